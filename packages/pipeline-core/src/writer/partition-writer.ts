import type { Table } from "apache-arrow";
import type { IsoDay } from "../dates.js";
import { PipelineError } from "../errors.js";
import { type Environment, partFileName } from "../layout.js";
import { encodeParquet } from "../parquet.js";
import { datasetPartitionPrefix, type PartitionValues, resolvePartition } from "../partitioning.js";
import { assertTableMatches, tableFromRows } from "../schema/arrow.js";
import type { DatasetSchema, ReadRowOf, RowInputOf } from "../schema/types.js";
import type { ObjectStore } from "../stores/object-store.js";
import { replaceObjects } from "./replace-objects.js";

/** One object per partition unless its Parquet exceeds this many bytes. */
export const DEFAULT_MAX_PART_BYTES = 128 * 1024 * 1024;

export type WritePartitionOptions<D extends DatasetSchema> = {
  store: ObjectStore;
  env: Environment;
  dataset: D;
  /** The UTC day of the partition: fills the day keys (`year=/month=/day=` or `dt=`). */
  day?: IsoDay;
  /** Values of the dataset's other partition keys (e.g. `{ region: "north" }`), or of all of them. */
  partition?: PartitionValues;
  maxPartBytes?: number;
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
  keys: string[];
  bytes: number;
  /** Objects of an earlier run that this write replaced and removed (stale parts, leftovers of a crash). */
  deletedKeys: string[];
}

/**
 * Replaces one processed partition of one dataset with `table` (or `rows`), idempotently.
 * Objects are named `part-00000.parquet`, `part-00001.parquet`, …: one per partition unless the
 * encoded size exceeds `maxPartBytes`. New parts are written before stale ones are deleted (see
 * `replaceObjects`). The same rows in the same order always give byte-identical objects. A schema
 * mismatch or an invalid name fails before anything is written. Zero rows write one empty part, so
 * "this day has no data" is a visible, replaceable state rather than a missing partition.
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
  const maxPartBytes = options.maxPartBytes ?? DEFAULT_MAX_PART_BYTES;
  if (!(maxPartBytes > 0)) throw new PipelineError("INVALID_OPTION", "maxPartBytes must be positive.");

  return publishPartition({
    store,
    env,
    dataset,
    ...(day !== undefined && { day }),
    ...(partition !== undefined && { partition }),
    rows: table.numRows,
    parts: encodeParts(table, maxPartBytes),
  });
}

/**
 * Publishes already-encoded Parquet parts as one processed partition: `parts[i]` becomes
 * `part-0000i.parquet`, every new part is written before the partition's stale objects are deleted
 * (`replaceObjects`). `writePartition` encodes then calls this; a streaming writer that encodes parts
 * as rows arrive (and has checked each part's table with `assertTableMatches`) calls it directly.
 */
export async function publishPartition(options: {
  store: ObjectStore;
  env: Environment;
  dataset: DatasetSchema;
  day?: IsoDay;
  partition?: PartitionValues;
  rows: number;
  parts: readonly Uint8Array[];
}): Promise<PartitionWriteReport> {
  const { store, env, dataset, day, parts } = options;
  if (parts.length === 0) throw new PipelineError("INVALID_OPTION", "A partition has at least one part.");
  const selector = { day, partition: options.partition };
  const prefix = datasetPartitionPrefix({ env, layer: "processed", dataset, ...selector });
  const report = await replaceObjects(
    store,
    prefix,
    parts.map((body, i) => ({
      name: partFileName(i),
      body,
      options: { contentType: "application/vnd.apache.parquet" },
    })),
  );
  return {
    dataset: dataset.name,
    ...(day !== undefined && { day }),
    partition: Object.fromEntries(resolvePartition(dataset, selector)),
    prefix,
    rows: options.rows,
    keys: report.written,
    bytes: report.bytes,
    deletedKeys: report.deleted,
  };
}

/** Encodes the table as one Parquet object, or as N row slices of it when one would exceed the cap. */
function encodeParts(table: Table, maxPartBytes: number): Uint8Array[] {
  const whole = encodeParquet(table);
  if (whole.byteLength <= maxPartBytes || table.numRows <= 1) return [whole];
  let count = Math.ceil(whole.byteLength / maxPartBytes);
  for (;;) {
    const size = Math.ceil(table.numRows / count);
    const parts: Uint8Array[] = [];
    for (let start = 0; start < table.numRows; start += size) {
      parts.push(encodeParquet(table.slice(start, Math.min(start + size, table.numRows))));
    }
    if (parts.every((p) => p.byteLength <= maxPartBytes) || size <= 1) return parts;
    count *= 2;
  }
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
