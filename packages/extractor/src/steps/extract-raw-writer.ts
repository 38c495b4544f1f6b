import { createHash } from "node:crypto";
import {
  type Environment,
  type IsoDay,
  type ObjectStore,
  rawBodyName,
  rawKey,
} from "@openaq-lakehouse/pipeline-core";
import { sidecarHeaders } from "../openaq/headers.js";
import type { FetchedPage } from "../openaq/types.js";
import type { RawPageRef } from "../raw/names.js";

/** What a manifest records of one response: what was asked, what came back, when. Never the key. */
export function pageRef(page: FetchedPage<unknown>): RawPageRef {
  const url = new URL(page.url);
  for (const name of [...url.searchParams.keys()]) {
    if (/api[_-]?key/i.test(name)) url.searchParams.delete(name);
  }
  const sha256 = createHash("sha256").update(page.body).digest("hex");
  return {
    body: rawBodyName(sha256),
    sha256,
    bytes: page.body.byteLength,
    records: page.data.results.length,
    url: url.toString(),
    status: page.status,
    headers: sidecarHeaders(page.headers),
    fetchedAt: page.fetchedAt,
  };
}

/**
 * Writes response bodies into one `{env}/raw/{dataset}/year=/month=/day=/` partition, write-once:
 * each body is named by the sha256 of its bytes and created only if absent, so an identical answer
 * is stored once and nothing stored is ever overwritten or deleted.
 */
export class RawPartitionWriter {
  objects = 0;
  bytes = 0;
  /** Bodies that were already stored (an unchanged answer): nothing written. */
  unchanged = 0;
  private readonly written: string[] = [];

  constructor(
    private readonly store: ObjectStore,
    private readonly ref: { env: Environment; dataset: string; day: IsoDay },
  ) {}

  key(name: string): string {
    return rawKey(this.ref, name);
  }

  get keys(): string[] {
    return [...this.written].sort();
  }

  /** Creates `name` unless it exists; returns whether this call wrote it. */
  async create(name: string, body: Uint8Array): Promise<boolean> {
    const key = this.key(name);
    const created = await this.store.putIfAbsent(key, body, { contentType: "application/json" });
    if (created) {
      this.written.push(key);
      this.objects++;
      this.bytes += body.byteLength;
    }
    return created;
  }

  /** Stores the body byte-for-byte under its content address; returns what the manifest records. */
  async putResponse(page: FetchedPage<unknown>): Promise<RawPageRef> {
    const ref = pageRef(page);
    if (!(await this.create(ref.body, page.body))) this.unchanged++;
    return ref;
  }
}
