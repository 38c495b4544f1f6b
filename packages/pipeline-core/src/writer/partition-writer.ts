import type { Table } from "apache-arrow";
import type { IsoDay } from "../dates.js";
import { PipelineError } from "../errors.js";
import { type Environment, partFileName, partitionPrefix } from "../layout.js";
import { encodeParquetObject, parquetRowCount } from "../parquet.js";
import { datasetPartitionPrefix, type PartitionValues, resolvePartition } from "../partitioning.js";
import { assertTableMatches } from "../schema/arrow.js";
import { tableFromRows } from "../schema/arrow-rows.js";
import type { DatasetSchema, ReadRowOf, RowInputOf } from "../schema/types.js";
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
  /** The UTC day of the partition: fills the day keys (`year=/month=/day=` or `dt=`). */
  day?: IsoDay;
  /** Values of the dataset's other partition keys (e.g. `{ region: "north" }`), or of all of them. */
  partition?: PartitionValues;
  /** Replace even when the new partition has materially fewer rows (a deliberate correction). */
  allowShrink?: boolean;
  /** The share of rows a replacement may lose before the shrink guard fails it. Default 0.2. */
  maxShrink?: number;
} & ({ table: Table; rows?: never } | { rows: Iterable<WritableRow<D>>; table?: never });

/**
 * A row `writePartition` takes: the dataset's columns (timestamps as epoch ms or `Date`), optionally
 * with the partition keys as well (as `readRows` returns them), which must then equal the partition's.
 */
export type WritableRow<D extends DatasetSchema> =
  | RowInputOf<D>
  | (RowInputOf<D> & Partial<Pick<ReadRowOf<D>, D["partitionKeys"][number]>>);

export interface PartitionWriteReport {
  dataset: string;
  /** The UTC day, when the write named one. */
  day?: IsoDay;
  /** Every partition key's value, in key order. */
  partition: PartitionValues;
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
  const { store, env, dataset, day, partition } = options;
  // Validates env, dataset and partition values before any encoding work.
  datasetPartitionPrefix({ env, layer: "processed", dataset, day, partition });
  const values = resolvePartition(dataset, { day, partition });
  const table =
    options.table ?? tableFromRows(dataset, withoutPartitionFields<D>(values, options.rows ?? []));
  assertTableMatches(dataset, table);
  return publishPartition({
    store,
    env,
    dataset,
    ...(day !== undefined && { day }),
    ...(partition !== undefined && { partition }),
    rows: table.numRows,
    body: await encodeParquetObject(table),
    ...(options.allowShrink !== undefined && { allowShrink: options.allowShrink }),
    ...(options.maxShrink !== undefined && { maxShrink: options.maxShrink }),
  });
}

/** Rows of the Parquet objects among `keys`; `undefined` when there is none (unreadable objects count 0). */
async function rowCountOf(store: ObjectStore, keys: readonly string[]): Promise<number | undefined> {
  const parquet = keys.filter((k) => k.endsWith(".parquet"));
  if (parquet.length === 0) return undefined;
  let rows = 0;
  for (const key of parquet) {
    const body = await store.get(key);
    if (body) rows += await parquetRowCount(body).catch(() => 0);
  }
  return rows;
}

/**
 * Rows of the processed partition of (env, dataset, day) as stored now; `undefined` when there is
 * none. An object that is not readable Parquet counts as no rows: there is nothing in it to protect.
 */
export async function partitionRowCount(
  store: ObjectStore,
  ref: { env: Environment; dataset: string; day: IsoDay },
): Promise<number | undefined> {
  return rowCountOf(store, await listKeys(store, partitionPrefix({ ...ref, layer: "processed" })));
}

/**
 * Publishes an already-encoded Parquet object as one processed partition (`part-00000.parquet`),
 * after the shrink guard. `writePartition` encodes then calls this; a streaming writer that encodes
 * row groups as rows arrive (`ParquetStreamEncoder`, each group a table of the dataset: built by
 * `tableFromColumns` or `TableBuilder`, or else checked with `assertTableMatches`) calls it directly. Objects of the earlier multi-part layout (`part-00001.parquet`, …) are deleted
 * after the put: the last replacement of such a partition is the only one a reader could see mixed.
 */
export async function publishPartition(options: {
  store: ObjectStore;
  env: Environment;
  dataset: DatasetSchema;
  day?: IsoDay;
  partition?: PartitionValues;
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
  const selector = { day, partition: options.partition };
  const prefix = datasetPartitionPrefix({ env, layer: "processed", dataset, ...selector });
  const values = resolvePartition(dataset, selector);
  const existing = await listKeys(store, prefix);
  const previousRows = await rowCountOf(store, existing);
  if (previousRows !== undefined && !options.allowShrink) {
    const where = day ?? values.map(([k, v]) => `${k}=${v}`).join("/");
    assertNoShrink(dataset.name, where, previousRows, rows, maxShrink);
  }
  await options.beforeCommit?.();
  const key = prefix + partFileName(0);
  await store.put(key, body, { contentType: "application/vnd.apache.parquet" });
  const deletedKeys = existing.filter((k) => k !== key);
  if (deletedKeys.length > 0) await store.deleteMany(deletedKeys);
  return {
    dataset: dataset.name,
    ...(day !== undefined && { day }),
    partition: Object.fromEntries(values),
    prefix,
    rows,
    ...(previousRows !== undefined && { previousRows }),
    keys: [key],
    bytes: body.byteLength,
    deletedKeys,
  };
}

/** Fails (PARTITION_SHRINK) when `after` is more than `maxShrink` below `before`. `where`: the day or partition. */
export function assertNoShrink(
  dataset: string,
  where: string,
  before: number,
  after: number,
  maxShrink: number = DEFAULT_MAX_SHRINK,
): void {
  if (before === 0 || after >= before * (1 - maxShrink)) return;
  const pct = Math.round(((before - after) / before) * 1000) / 10;
  throw new PipelineError(
    "PARTITION_SHRINK",
    `Refusing to replace ${dataset} ${where}: it would shrink from ${before} to ${after} rows (${pct}% fewer, more than ${Math.round(maxShrink * 100)}% allowed); processed is unchanged. Check the raw data, or pass --allow-shrink for a deliberate correction.`,
  );
}

/**
 * Rows as given, except that partition-key fields (rows read back with `readRows` carry them) are
 * checked against the partition being written and left out of the data columns.
 */
function* withoutPartitionFields<D extends DatasetSchema>(
  values: readonly [string, string][],
  rows: Iterable<WritableRow<D>>,
): Generator<RowInputOf<D>> {
  let index = 0;
  for (const row of rows) {
    let out = row as Record<string, unknown>;
    for (const [key, value] of values) {
      if (typeof row !== "object" || row === null || !(key in row)) continue;
      const given = (row as Record<string, unknown>)[key];
      if (given !== value) {
        throw new PipelineError(
          "SCHEMA_MISMATCH",
          `Row ${index}: partition key ${key} is ${JSON.stringify(given)}, but this write is to ${key}=${value}.`,
        );
      }
      if (out === row) out = { ...row };
      delete out[key];
    }
    index++;
    yield out as RowInputOf<D>;
  }
}
