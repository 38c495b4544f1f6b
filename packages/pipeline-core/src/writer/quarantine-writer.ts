import { addCount } from "../counts.js";
import type { IsoDay } from "../dates.js";
import { PipelineError } from "../errors.js";
import { type Environment, partitionPrefix } from "../layout.js";
import type { ObjectStore } from "../stores/object-store.js";
import { replaceObjects } from "./replace-objects.js";

/** A record that failed validation, kept whole with the reason it was rejected. */
export interface QuarantineRecord {
  /** Stable upper-case code, e.g. SENTINEL_VALUE, OUTSIDE_DAY, NON_NUMERIC_VALUE. */
  reason: string;
  /** One sentence for a person. */
  detail?: string;
  /** Where the record came from, e.g. the raw object key. */
  source?: string;
  /** The rejected input, as it was. */
  record: unknown;
}

export interface QuarantineWriteReport {
  prefix: string;
  records: number;
  byReason: Record<string, number>;
  keys: string[];
  bytes: number;
  deletedKeys: string[];
}

export const QUARANTINE_FILE = "rejected.ndjson";
const REASON = /^[A-Z][A-Z0-9_]{0,63}$/;

/**
 * Replaces the quarantine of one dataset partition with `records`, as NDJSON (one record a line,
 * in the given order, so reruns are byte-identical). No records leaves the partition empty.
 */
export async function writeQuarantine(options: {
  store: ObjectStore;
  env: Environment;
  dataset: string;
  day: IsoDay;
  records: readonly QuarantineRecord[];
}): Promise<QuarantineWriteReport> {
  const prefix = partitionPrefix({
    env: options.env,
    layer: "quarantine",
    dataset: options.dataset,
    day: options.day,
  });
  const byReason: Record<string, number> = {};
  const lines: string[] = [];
  for (const r of options.records) {
    if (!REASON.test(r.reason)) {
      throw new PipelineError(
        "INVALID_REASON",
        `Quarantine reason codes are UPPER_SNAKE_CASE, got ${JSON.stringify(r.reason)}.`,
      );
    }
    addCount(byReason, r.reason);
    lines.push(
      JSON.stringify({
        reason: r.reason,
        detail: r.detail ?? null,
        source: r.source ?? null,
        record: r.record,
      }),
    );
  }
  const objects =
    lines.length === 0
      ? []
      : [
          {
            name: QUARANTINE_FILE,
            body: new TextEncoder().encode(`${lines.join("\n")}\n`),
            options: { contentType: "application/x-ndjson" },
          },
        ];
  const report = await replaceObjects(options.store, prefix, objects);
  return {
    prefix,
    records: lines.length,
    byReason,
    keys: report.written,
    bytes: report.bytes,
    deletedKeys: report.deleted,
  };
}

/** Reads back a quarantine partition (for reports and tests). */
export async function readQuarantine(
  store: ObjectStore,
  ref: { env: Environment; dataset: string; day: IsoDay },
): Promise<QuarantineRecord[]> {
  const key = partitionPrefix({ ...ref, layer: "quarantine" }) + QUARANTINE_FILE;
  const body = await store.get(key);
  if (!body) return [];
  return new TextDecoder()
    .decode(body)
    .split("\n")
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as QuarantineRecord);
}
