import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import type { IsoDay } from "./dates.js";
import { PipelineError } from "./errors.js";
import { type Environment, leaseDayPrefix, leaseKey, parseLeaseGeneration } from "./layout.js";
import { listKeys, type ObjectStore } from "./stores/object-store.js";

/**
 * One writer per (env, dataset, day): a lease taken before a partition is replaced and released after.
 *
 * The scheme needs only a conditional create (`putIfAbsent`) and a delete, never an overwrite or an
 * `If-Match` (which radosgw mishandles), so it works the same on S3, S3-compatible servers and the
 * local store. Leases of one day are numbered generations, `lease-0000000001.json`, …; the highest
 * generation present is the lease.
 *
 * - Take: no generation present → create generation 1 (exactly one of racing writers succeeds).
 * - Held and fresh → wait (polling) up to `waitMs`, then fail naming the holder and its age.
 * - Held but expired (its holder crashed) → create the next generation: again exactly one wins.
 * - Renew (a timer, every third of the expiry): the holder creates the next generation itself and
 *   deletes its previous one. A holder that finds someone else's newer generation has lost the lease.
 * - Release: delete the own generation.
 *
 * Expiry compares the writer's clock with the holder's recorded time: clocks must roughly agree
 * (NTP), which every EC2 host and laptop does; the expiry is minutes, skew is milliseconds.
 */

/** A lease not renewed for this long is abandoned (its holder crashed) and may be taken over. */
export const DEFAULT_LEASE_TTL_MS = 10 * 60 * 1000;
/** How long a second writer waits for a held lease before failing. */
export const DEFAULT_LEASE_WAIT_MS = 60 * 1000;
const DEFAULT_POLL_MS = 1000;

interface LeaseBody {
  version: 1;
  holder: string;
  dataset: string;
  day: IsoDay;
  /** When the holder first took the lease (kept across renewals), epoch ms. */
  since: number;
  /** When this generation was written, epoch ms; it expires `ttlMs` later. */
  renewedAt: number;
  ttlMs: number;
}

export interface LeaseOptions {
  store: ObjectStore;
  env: Environment;
  dataset: string;
  day: IsoDay;
  /** Who is writing, for the error another writer sees, e.g. `transform on ip-10-0-1-5 (pid 42)`. */
  holder?: string;
  ttlMs?: number;
  waitMs?: number;
  pollMs?: number;
  now?: () => number;
}

export interface Lease {
  readonly holder: string;
  /** The key of the generation held now. */
  readonly key: string;
  /** Fails with LEASE_LOST unless this writer still holds the lease (call before a commit). */
  assertHeld(): Promise<void>;
  release(): Promise<void>;
}

export function defaultLeaseHolder(what: string): string {
  return `${what} on ${hostname()} (pid ${process.pid}, ${randomBytes(3).toString("hex")})`;
}

export async function acquireLease(options: LeaseOptions): Promise<Lease> {
  const { store, env, dataset, day } = options;
  const now = options.now ?? Date.now;
  const ttlMs = options.ttlMs ?? DEFAULT_LEASE_TTL_MS;
  const waitMs = options.waitMs ?? DEFAULT_LEASE_WAIT_MS;
  const pollMs = options.pollMs ?? DEFAULT_POLL_MS;
  const holder = options.holder ?? defaultLeaseHolder("a writer");
  const prefix = leaseDayPrefix(env, dataset, day);
  const started = now();
  const encode = (body: LeaseBody) => new TextEncoder().encode(`${JSON.stringify(body)}\n`);

  for (;;) {
    const current = await currentGeneration(store, prefix);
    let next = 1;
    if (current !== undefined) {
      const body = await readLease(store, current.key);
      if (body === undefined && !(await store.head(current.key))) continue; // released meanwhile
      const t = now();
      if (body && body.renewedAt + body.ttlMs > t) {
        if (t - started >= waitMs) {
          throw new PipelineError(
            "LEASE_HELD",
            `Another writer holds the lease on ${dataset} ${day} in ${env}: ${body.holder}, for ${formatAge(t - body.since)} (waited ${formatAge(t - started)}); retry when it is done, or after ${formatAge(body.renewedAt + body.ttlMs - t)} if it has crashed.`,
          );
        }
        await sleep(Math.min(pollMs, Math.max(1, waitMs - (t - started))));
        continue;
      }
      next = current.generation + 1;
    }
    const t = now();
    const body: LeaseBody = { version: 1, holder, dataset, day, since: t, renewedAt: t, ttlMs };
    const key = leaseKey(env, dataset, day, next);
    if (!(await store.putIfAbsent(key, encode(body), { contentType: "application/json" }))) continue;
    // Taken over: the abandoned generation is removed (harmless if that fails: a lower generation is ignored).
    if (current !== undefined) await store.deleteMany([current.key]).catch(() => {});
    return new HeldLease(store, env, dataset, day, prefix, key, next, body, encode);
  }
}

class HeldLease implements Lease {
  private timer: NodeJS.Timeout | undefined;
  private lost: string | undefined;
  private renewing: Promise<void> = Promise.resolve();

  constructor(
    private readonly store: ObjectStore,
    private readonly env: Environment,
    private readonly dataset: string,
    private readonly day: IsoDay,
    private readonly prefix: string,
    public key: string,
    private generation: number,
    private body: LeaseBody,
    private readonly encode: (b: LeaseBody) => Uint8Array,
  ) {
    this.timer = setInterval(() => {
      this.renewing = this.renewing.then(() => this.renew());
    }, Math.max(10, Math.floor(body.ttlMs / 3)));
    this.timer.unref();
  }

  get holder(): string {
    return this.body.holder;
  }

  private async renew(): Promise<void> {
    if (this.lost !== undefined || this.timer === undefined) return;
    const next = this.generation + 1;
    const body = { ...this.body, renewedAt: Date.now() };
    try {
      const key = leaseKey(this.env, this.dataset, this.day, next);
      if (await this.store.putIfAbsent(key, this.encode(body), { contentType: "application/json" })) {
        const old = this.key;
        this.key = key;
        this.generation = next;
        this.body = body;
        await this.store.deleteMany([old]).catch(() => {});
      } else {
        const other = await readLease(this.store, key);
        this.lost = other?.holder ?? "another writer";
      }
    } catch {
      // A failed renewal is retried on the next tick; assertHeld decides before any commit.
    }
  }

  async assertHeld(): Promise<void> {
    await this.renewing;
    const current = await currentGeneration(this.store, this.prefix);
    if (this.lost === undefined && current?.generation !== this.generation) {
      const other = current ? await readLease(this.store, current.key) : undefined;
      this.lost = other?.holder ?? "nobody (the lease was deleted)";
    }
    if (this.lost !== undefined) {
      throw new PipelineError(
        "LEASE_LOST",
        `The lease on ${this.dataset} ${this.day} in ${this.env} was taken over by ${this.lost} after it expired: this run stops without writing.`,
      );
    }
  }

  async release(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.renewing;
    if (this.lost === undefined) await this.store.deleteMany([this.key]);
  }
}

async function currentGeneration(
  store: ObjectStore,
  prefix: string,
): Promise<{ key: string; generation: number } | undefined> {
  let best: { key: string; generation: number } | undefined;
  for (const key of await listKeys(store, prefix)) {
    const generation = parseLeaseGeneration(key);
    if (generation !== undefined && (best === undefined || generation > best.generation))
      best = { key, generation };
  }
  return best;
}

/** The lease's record; `undefined` when it is gone or unreadable (an unreadable lease counts as expired). */
async function readLease(store: ObjectStore, key: string): Promise<LeaseBody | undefined> {
  const bytes = await store.get(key);
  if (!bytes) return undefined;
  try {
    const b = JSON.parse(new TextDecoder().decode(bytes)) as LeaseBody;
    return b && typeof b.holder === "string" && typeof b.renewedAt === "number" && typeof b.ttlMs === "number"
      ? b
      : undefined;
  } catch {
    return undefined;
  }
}

export function formatAge(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 120) return `${s} s`;
  const m = Math.round(s / 60);
  return m < 120 ? `${m} min` : `${Math.round(m / 60)} h`;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
