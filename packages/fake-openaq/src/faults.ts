import { hash01, hashString } from "./series.js";

export const FAULT_KINDS = [
  "429",
  "408",
  "500",
  "502",
  "503",
  "reset",
  "slow",
  "truncated",
  "malformed",
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface ForcedFault {
  /** Every request for this sensor (`/v3/sensors/{id}/…`) … */
  sensorId?: number;
  /** … or every request whose path starts with this. */
  pathPrefix?: string;
  kind: FaultKind;
  /** How many matching requests get it (default: all of them). */
  times?: number;
}

export interface FaultConfig {
  /** Share of requests, 0..1, that get a random fault (default 0). */
  rate?: number;
  /** Kinds drawn from for random faults (default: all). */
  kinds?: readonly FaultKind[];
  /** Seed of the draw (default 1). The draw depends on (seed, request path+query, how many times that URL was asked), not on arrival order, so it is reproducible under concurrency. */
  seed?: number;
  /** Delay of a `slow` reply (default 2,000 ms). */
  slowMs?: number;
  forced?: ForcedFault[];
}

/** Decides, per request, whether and how it fails. */
export class FaultPlan {
  private config: Required<Omit<FaultConfig, "forced">> & { forced: ForcedFault[] };
  private readonly seen = new Map<string, number>();
  private readonly forcedUsed = new Map<ForcedFault, number>();

  constructor(config: FaultConfig = {}) {
    this.config = FaultPlan.normalise(config);
  }

  private static normalise(config: FaultConfig) {
    const rate = config.rate ?? 0;
    if (!(rate >= 0 && rate <= 1)) throw new Error(`Fault rate must be within 0..1, got ${rate}.`);
    const kinds = config.kinds ?? FAULT_KINDS;
    for (const k of kinds)
      if (!(FAULT_KINDS as readonly string[]).includes(k)) throw new Error(`Unknown fault kind ${k}.`);
    if (rate > 0 && kinds.length === 0) throw new Error("A fault rate needs at least one fault kind.");
    return {
      rate,
      kinds,
      seed: config.seed ?? 1,
      slowMs: config.slowMs ?? 2_000,
      forced: [...(config.forced ?? [])],
    };
  }

  set(config: FaultConfig): void {
    this.config = FaultPlan.normalise(config);
    this.seen.clear();
    this.forcedUsed.clear();
  }

  get slowMs(): number {
    return this.config.slowMs;
  }

  /** `pathAndQuery` must not contain secrets; it only feeds the hash. */
  decide(pathAndQuery: string, sensorId: number | undefined): FaultKind | undefined {
    for (const f of this.config.forced) {
      const matches =
        (f.sensorId !== undefined && f.sensorId === sensorId) ||
        (f.pathPrefix !== undefined && pathAndQuery.startsWith(f.pathPrefix));
      if (!matches) continue;
      const used = this.forcedUsed.get(f) ?? 0;
      if (f.times !== undefined && used >= f.times) continue;
      this.forcedUsed.set(f, used + 1);
      return f.kind;
    }
    const { rate, kinds, seed } = this.config;
    if (rate === 0) return undefined;
    const n = this.seen.get(pathAndQuery) ?? 0;
    this.seen.set(pathAndQuery, n + 1);
    const h = hashString(pathAndQuery);
    if (hash01(seed, h, n) >= rate) return undefined;
    return kinds[Math.floor(hash01(seed, h, n, 1) * kinds.length)];
  }
}
