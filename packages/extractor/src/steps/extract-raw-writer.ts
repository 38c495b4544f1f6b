import { createHash } from "node:crypto";
import {
  type Environment,
  type IsoDay,
  listKeys,
  type ObjectStore,
  partitionPrefix,
  rawKey,
} from "@openaq-lakehouse/pipeline-core";
import { sidecarHeaders } from "../openaq/headers.js";
import type { FetchedPage } from "../openaq/types.js";
import { metaName, type RawResponseMeta } from "../raw/names.js";

const encoder = new TextEncoder();

/** The sidecar of one body: what was asked, what came back, when. Never the key. */
export function responseMeta(page: FetchedPage<unknown>): RawResponseMeta {
  const url = new URL(page.url);
  for (const name of [...url.searchParams.keys()]) {
    if (/api[_-]?key/i.test(name)) url.searchParams.delete(name);
  }
  return {
    url: url.toString(),
    status: page.status,
    headers: sidecarHeaders(page.headers),
    fetchedAt: page.fetchedAt,
    bytes: page.body.byteLength,
    sha256: createHash("sha256").update(page.body).digest("hex"),
  };
}

/**
 * Writes raw objects into one `{env}/raw/{dataset}/year=/month=/day=/` partition and remembers
 * every key it wrote, so what an earlier run left behind can be removed afterwards.
 */
export class RawPartitionWriter {
  readonly prefix: string;
  private readonly written = new Set<string>();
  objects = 0;
  bytes = 0;

  constructor(
    private readonly store: ObjectStore,
    private readonly ref: { env: Environment; dataset: string; day: IsoDay },
  ) {
    this.prefix = partitionPrefix({ ...ref, layer: "raw" });
  }

  key(name: string): string {
    return rawKey(this.ref, name);
  }

  get keys(): string[] {
    return [...this.written].sort();
  }

  async put(name: string, body: Uint8Array): Promise<string> {
    const key = this.key(name);
    await this.store.put(key, body, { contentType: "application/json" });
    this.written.add(key);
    this.objects++;
    this.bytes += body.byteLength;
    return key;
  }

  /** The body byte-for-byte, then its `.meta.json` sidecar. */
  async putResponse(name: string, page: FetchedPage<unknown>): Promise<string> {
    const key = await this.put(name, page.body);
    await this.put(metaName(name), encoder.encode(`${JSON.stringify(responseMeta(page), null, 2)}\n`));
    return key;
  }

  /** Deletes every object of the partition this writer did not write (except `keep`). */
  async deleteStale(keep: readonly string[] = []): Promise<string[]> {
    const spare = new Set(keep);
    const stale = (await listKeys(this.store, this.prefix)).filter(
      (k) => !this.written.has(k) && !spare.has(k),
    );
    if (stale.length > 0) await this.store.deleteMany(stale);
    return stale;
  }
}
