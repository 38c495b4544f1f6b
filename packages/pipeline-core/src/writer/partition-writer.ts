import type { Table } from "apache-arrow";
import type { IsoDay } from "../dates.js";
import { PipelineError } from "../errors.js";
import { type Environment, partFileName, partitionPrefix } from "../layout.js";
import { encodeParquetObject, parquetRowCount } from "../parquet.js";
import { assertTableMatches, tableFromRows } from "../schema/arrow.js";
import type { DatasetSchema, RowOf } from "../schema/types.js";
import { listKeys, type ObjectStore } from "../stores/object-store.js";

/**
 * The shrink guard's default: replacing a partition with more than this share fewer rows fails
 * (a damaged raw day or a short API answer must not silently replace good data).
 */
export const DEFAULT_MAX_SHRINK = 0.2;

export type WritePartitionOptions<D extends DatasetSchema> = {
  store: ObjectStore;
  env: Environment;
  dataset: D;
  /** The UTC day of the partition (`year=/month=/day=`). */
  day: IsoDay;
  /** Replace even when the new partition has materially fewer rows (a deliberate correction). */
  allowShrink?: boolean;
  /** The share of rows a replacement may lose before the shrink guard fails it. Default 0.2. */
  maxShrink?: number;
} & ({ table: Table; rows?: never } | { rows: Iterable<RowOf<D>>; table?: never });

export interface PartitionWriteReport {
  dataset: string;
  day: IsoDay;
  prefix: string;
  rows: number;
  /** Rows of the partition this write replaced (`undefined` when there was none). */
  previousRows?: number;
  keys: string[];
  bytes: number;
  /** Objects of an earlier layout that this write replaced and removed (a legacy multi-part partition). */
  deletedKeys: string[];
}

/**
 * Replaces one processed partition of one dataset with `table` (or `rows`), atomically and
 * idempotently. A partition is always one object, `part-00000.parquet`, whatever its size, in row
 * groups of `ROWS_PER_ROW_GROUP` rows: one put of one object is the switch (the local store renames
 * a complete, fsynced temp file into place; S3 makes a single PUT or a multipart upload visible only
 * at its completion), so a reader sees the old partition or the new one, whole. The same rows in the
 * same order always give byte-identical objects. A schema mismatch or an invalid name fails before
 * anything is written. Zero rows write one empty object, so "this day has no data" is a visible,
 * replaceable state rather than a missing partition.
 *
 * The shrink guard: when the partition exists and the new one has more than `maxShrink` fewer rows,
 * the write fails (naming both counts) and leaves the partition as it was, unless `allowShrink`.
 *
 * One writer at a time: callers that may race (the pipeline's transform) hold the lease of
 * (env, dataset, day) around this call (`acquireLease`).
 */
export async function writePartition<D extends DatasetSchema>(
  options: WritePartitionOptions<D>,
): Promise<PartitionWriteReport> {
  const { store, env, dataset, day } = options;
  // Validates env, dataset and day before any encoding work.
  partitionPrefix({ env, layer: "processed", dataset: dataset.name, day });
  const table = options.table ?? tableFromRows(dataset, options.rows as Iterable<RowOf<D>>);
  assertTableMatches(dataset, table);
  return publishPartition({
    store,
    env,
    dataset,
    day,
    rows: table.numRows,
    body: await encodeParquetObject(table),
    ...(options.allowShrink !== undefined && { allowShrink: options.allowShrink }),
    ...(options.maxShrink !== undefined && { maxShrink: options.maxShrink }),
  });
}

/**
 * Rows of the processed partition of (env, dataset, day) as stored now; `undefined` when there is
 * none. An object that is not readable Parquet counts as no rows: there is nothing in it to protect.
 */
export async function partitionRowCount(
  store: ObjectStore,
  ref: { env: Environment; dataset: string; day: IsoDay },
): Promise<number | undefined> {
  const prefix = partitionPrefix({ ...ref, layer: "processed" });
  const keys = (await listKeys(store, prefix)).filter((k) => k.endsWith(".parquet"));
  if (keys.length === 0) return undefined;
  let rows = 0;
  for (const key of keys) {
    const body = await store.get(key);
    if (body) rows += await parquetRowCount(body).catch(() => 0);
  }
  return rows;
}

/**
 * Publishes an already-encoded Parquet object as one processed partition (`part-00000.parquet`),
 * after the shrink guard. `writePartition` encodes then calls this; a streaming writer that encodes
 * row groups as rows arrive (`ParquetStreamEncoder`, each group checked with `assertTableMatches`)
 * calls it directly. Objects of the earlier multi-part layout (`part-00001.parquet`, …) are deleted
 * after the put: the last replacement of such a partition is the only one a reader could see mixed.
 */
export async function publishPartition(options: {
  store: ObjectStore;
  env: Environment;
  dataset: DatasetSchema;
  day: IsoDay;
  rows: number;
  body: Uint8Array;
  allowShrink?: boolean;
  maxShrink?: number;
  /** Called after the shrink guard, right before the put (e.g. `lease.assertHeld`). */
  beforeCommit?: () => Promise<void>;
}): Promise<PartitionWriteReport> {
  const { store, env, dataset, day, body, rows } = options;
  const maxShrink = options.maxShrink ?? DEFAULT_MAX_SHRINK;
  if (!(maxShrink >= 0 && maxShrink <= 1))
    throw new PipelineError("INVALID_OPTION", `maxShrink must be between 0 and 1, got ${maxShrink}.`);
  const prefix = partitionPrefix({ env, layer: "processed", dataset: dataset.name, day });
  const existing = await listKeys(store, prefix);
  const previousRows = await partitionRowCount(store, { env, dataset: dataset.name, day });
  if (previousRows !== undefined && !options.allowShrink) assertNoShrink(dataset.name, day, previousRows, rows, maxShrink);
  await options.beforeCommit?.();
  const key = prefix + partFileName(0);
  await store.put(key, body, { contentType: "application/vnd.apache.parquet" });
  const deletedKeys = existing.filter((k) => k !== key);
  if (deletedKeys.length > 0) await store.deleteMany(deletedKeys);
  return {
    dataset: dataset.name,
    day,
    prefix,
    rows,
    ...(previousRows !== undefined && { previousRows }),
    keys: [key],
    bytes: body.byteLength,
    deletedKeys,
  };
}

export function assertNoShrink(
  dataset: string,
  day: IsoDay,
  before: number,
  after: number,
  maxShrink: number = DEFAULT_MAX_SHRINK,
): void {
  if (before === 0 || after >= before * (1 - maxShrink)) return;
  const pct = Math.round(((before - after) / before) * 1000) / 10;
  throw new PipelineError(
    "PARTITION_SHRINK",
    `Refusing to replace ${dataset} ${day}: it would shrink from ${before} to ${after} rows (${pct}% fewer, more than ${Math.round(maxShrink * 100)}% allowed); processed is unchanged. Check the raw data, or pass --allow-shrink for a deliberate correction.`,
  );
}
