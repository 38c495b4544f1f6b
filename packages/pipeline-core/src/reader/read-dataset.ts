import {
  type Data,
  Field,
  makeData,
  RecordBatch,
  Schema,
  Struct,
  type StructRowProxy,
  Table,
  Utf8,
  type Vector,
} from "apache-arrow";
import { assertIsoDay, type IsoDay } from "../dates.js";
import { PipelineError } from "../errors.js";
import { datasetPrefix, type Environment, hivePartitionPath } from "../layout.js";
import { decodeParquet } from "../parquet.js";
import {
  assertPartitionValue,
  isDayPartitioned,
  type PartitionValues,
  parsePartitionPath,
  partitionDay,
} from "../partitioning.js";
import { arrowSchema, assertTableMatches } from "../schema/arrow.js";
import type { Column, ColumnType, DatasetSchema, ReadRowOf } from "../schema/types.js";
import { listAll, type ObjectStore } from "../stores/object-store.js";

/**
 * The read side of the lake: list a dataset's partitions, pick some with a filter, and read them one
 * partition (or one part) at a time as Arrow tables or typed rows. Reads the processed layer, the
 * layout `writePartition` writes; every part is checked against the dataset definition.
 */

type KeyOf<D extends DatasetSchema> = D["partitionKeys"][number];

/**
 * Which partitions to read: values per key (`{ region: "north" }`, `{ region: ["north", "south"] }`),
 * or a predicate over a partition's values, as awswrangler's `partition_filter`.
 */
export type PartitionFilter<D extends DatasetSchema = DatasetSchema> =
  | { readonly [K in KeyOf<D>]?: string | readonly string[] }
  | ((values: { readonly [K in KeyOf<D>]: string }) => boolean);

export interface ReadDatasetOptions<D extends DatasetSchema> {
  store: ObjectStore;
  env: Environment;
  dataset: D;
  filter?: PartitionFilter<D>;
  /** Inclusive UTC day range (either end optional), for datasets partitioned by day. */
  days?: { from?: IsoDay; to?: IsoDay };
}

/** One partition as listed: its values, its prefix and its Parquet objects in key order. */
export interface DatasetPartition {
  values: PartitionValues;
  /** The UTC day, for datasets partitioned by day. */
  day?: IsoDay;
  prefix: string;
  keys: string[];
}

/** The Arrow schema of what the reader returns: the dataset's columns, then each partition key as a string. */
export function readSchema(dataset: DatasetSchema): Schema {
  const data = arrowSchema(dataset);
  return new Schema([...data.fields, ...dataset.partitionKeys.map((k) => new Field(k, new Utf8(), false))]);
}

/** The partitions of a dataset that match the options, sorted by key; the data itself is not read. */
export async function listDatasetPartitions<D extends DatasetSchema>(
  options: ReadDatasetOptions<D>,
): Promise<DatasetPartition[]> {
  const { store, env, dataset } = options;
  const base = datasetPrefix({ env, layer: "processed", dataset: dataset.name });
  const match = matcher(options);
  const byPrefix = new Map<string, DatasetPartition>();
  for await (const object of listAll(store, base + leadingPath(options))) {
    const parsed = parsePartitionPath(dataset, object.key.slice(base.length));
    if (!parsed) {
      // A Parquet object outside the layout would otherwise be silently left out of every read.
      if (object.key.endsWith(".parquet")) {
        throw new PipelineError(
          "LAKE_LAYOUT",
          `Object ${object.key} is not laid out as dataset ${dataset.name} is partitioned (${dataset.partitionKeys.map((k) => `${k}=…/`).join("") || "no partition keys: files directly under the dataset"}).`,
        );
      }
      continue;
    }
    if (!parsed.file.endsWith(".parquet") || !match(parsed.values)) continue;
    const prefix =
      base + hivePartitionPath(dataset.partitionKeys.map((k) => [k, parsed.values[k] as string]));
    let partition = byPrefix.get(prefix);
    if (!partition) {
      const day = isDayPartitioned(dataset) ? partitionDay(parsed.values) : undefined;
      partition = { values: parsed.values, ...(day !== undefined && { day }), prefix, keys: [] };
      byPrefix.set(prefix, partition);
    }
    partition.keys.push(object.key);
  }
  return [...byPrefix.values()].sort((a, b) => (a.prefix < b.prefix ? -1 : a.prefix > b.prefix ? 1 : 0));
}

/**
 * Reads the matching partitions one at a time: each yielded table holds one whole partition, with the
 * partition keys appended as string columns. Memory holds one partition, never the dataset.
 */
export async function* readPartitions<D extends DatasetSchema>(
  options: ReadDatasetOptions<D>,
): AsyncGenerator<{ partition: DatasetPartition; table: Table }> {
  const schema = readSchema(options.dataset);
  for (const partition of await listDatasetPartitions(options)) {
    const batches: RecordBatch[] = [];
    for await (const part of readParts(options, partition, schema)) batches.push(...part.batches);
    yield { partition, table: new Table(schema, batches) };
  }
}

/** Reads every matching partition into one Arrow table (dataset columns, then partition keys as strings). */
export async function readTable<D extends DatasetSchema>(options: ReadDatasetOptions<D>): Promise<Table> {
  const schema = readSchema(options.dataset);
  const batches: RecordBatch[] = [];
  for await (const { table } of readPartitions(options)) batches.push(...table.batches);
  return new Table(schema, batches);
}

/**
 * Reads the matching rows as plain objects, part by part (memory holds one Parquet object at a time):
 * timestamps as `Date`, int64 as `number`, structs as objects, nulls as `null`, and the partition keys
 * as strings.
 */
export async function* readRows<D extends DatasetSchema>(
  options: ReadDatasetOptions<D>,
): AsyncGenerator<ReadRowOf<D>> {
  const schema = readSchema(options.dataset);
  for (const partition of await listDatasetPartitions(options)) {
    for await (const table of readParts(options, partition, schema)) {
      yield* tableToRows(options.dataset, table) as ReadRowOf<D>[];
    }
  }
}

/**
 * Converts a table of a dataset (as `readTable` returns it, or the bare data columns) to typed rows.
 * An int64 beyond ±2^53 is an error (`INT64_OUT_OF_RANGE`): read those from the Arrow table as bigint.
 */
export function tableToRows<D extends DatasetSchema>(dataset: D, table: Table): ReadRowOf<D>[] {
  const columns: Array<{ name: string; vector: Vector; convert: (v: unknown) => unknown }> = [];
  for (const c of dataset.columns) {
    const vector = table.getChild(c.name);
    if (!vector) throw new PipelineError("SCHEMA_MISMATCH", `The table has no column ${c.name}.`);
    columns.push({ name: c.name, vector, convert: converter(c.type, c.name) });
  }
  for (const k of dataset.partitionKeys) {
    const vector = table.getChild(k);
    if (vector) columns.push({ name: k, vector, convert: (v) => v });
  }
  const rows: Record<string, unknown>[] = new Array(table.numRows);
  for (let i = 0; i < table.numRows; i++) {
    const row: Record<string, unknown> = {};
    for (const c of columns) row[c.name] = c.convert(c.vector.get(i));
    rows[i] = row;
  }
  return rows as ReadRowOf<D>[];
}

function converter(type: ColumnType, path: string): (v: unknown) => unknown {
  switch (type.kind) {
    case "timestamp_ms":
      return (v) => (v === null || v === undefined ? null : new Date(Number(v)));
    case "int64":
      return (v) => {
        if (v === null || v === undefined) return null;
        const n = Number(v);
        if (!Number.isSafeInteger(n)) {
          throw new PipelineError(
            "INT64_OUT_OF_RANGE",
            `Column ${path} holds ${String(v)}, beyond what a JS number holds exactly; read it from the Arrow table as a bigint.`,
          );
        }
        return n;
      };
    case "struct": {
      const fields = type.fields.map((f: Column) => ({
        name: f.name,
        convert: converter(f.type, `${path}.${f.name}`),
      }));
      return (v) => {
        if (v === null || v === undefined) return null;
        const row = v as StructRowProxy;
        const out: Record<string, unknown> = {};
        for (const f of fields) out[f.name] = f.convert((row as unknown as Record<string, unknown>)[f.name]);
        return out;
      };
    }
    default:
      return (v) => (v === undefined ? null : v);
  }
}

/** Each Parquet object of one partition, decoded, checked, with the partition columns appended. */
async function* readParts<D extends DatasetSchema>(
  options: ReadDatasetOptions<D>,
  partition: DatasetPartition,
  schema: Schema,
): AsyncGenerator<Table> {
  const { store, dataset } = options;
  for (const key of partition.keys) {
    const bytes = await store.get(key);
    if (!bytes) {
      throw new PipelineError(
        "PARTITION_CHANGED",
        `Partition ${partition.prefix} changed while it was read (${key} is gone); read it again.`,
      );
    }
    let table: Table;
    try {
      table = decodeParquet(bytes);
      assertTableMatches(dataset, table);
    } catch (e) {
      const why = e instanceof Error ? e.message : String(e);
      throw new PipelineError("UNREADABLE_PART", `Cannot read ${key} as dataset ${dataset.name}: ${why}`, {
        cause: e,
      });
    }
    yield withPartitionColumns(table, schema, dataset, partition.values);
  }
}

function withPartitionColumns(
  table: Table,
  schema: Schema,
  dataset: DatasetSchema,
  values: PartitionValues,
): Table {
  const encoded = dataset.partitionKeys.map((k) => new TextEncoder().encode(values[k] ?? ""));
  const batches = table.batches.map((batch) => {
    const n = batch.numRows;
    const children: Data[] = [...batch.data.children, ...encoded.map((bytes) => constantUtf8(bytes, n))];
    return new RecordBatch(
      schema,
      makeData({ type: new Struct(schema.fields), length: n, nullCount: 0, children }),
    );
  });
  return new Table(schema, batches);
}

/** A non-null Utf8 column holding the same string `length` times, built directly (no per-row objects). */
function constantUtf8(bytes: Uint8Array, length: number): Data<Utf8> {
  const offsets = new Int32Array(length + 1);
  for (let i = 1; i <= length; i++) offsets[i] = i * bytes.length;
  const data = new Uint8Array(bytes.length * length);
  for (let i = 0; i < length; i++) data.set(bytes, i * bytes.length);
  return makeData({ type: new Utf8(), length, nullCount: 0, valueOffsets: offsets, data });
}

/** The folders a filter object pins from the first key on: listing starts there instead of the whole dataset. */
function leadingPath<D extends DatasetSchema>(options: ReadDatasetOptions<D>): string {
  const { filter, dataset } = options;
  if (!filter || typeof filter === "function") return "";
  let path = "";
  for (const key of dataset.partitionKeys) {
    const v = (filter as Record<string, unknown>)[key];
    if (typeof v !== "string") break;
    path += `${key}=${assertPartitionValue(dataset, key, v)}/`;
  }
  return path;
}

function matcher<D extends DatasetSchema>(
  options: ReadDatasetOptions<D>,
): (values: PartitionValues) => boolean {
  const { filter, days, dataset } = options;
  if (days) {
    if (!isDayPartitioned(dataset)) {
      throw new PipelineError(
        "INVALID_FILTER",
        `Dataset ${dataset.name} is not partitioned by day (keys: ${dataset.partitionKeys.join(", ") || "none"}): filter it with \`filter\`.`,
      );
    }
    for (const d of [days.from, days.to]) if (d !== undefined) assertIsoDay(d);
  }
  if (filter && typeof filter !== "function") {
    for (const k of Object.keys(filter)) {
      if (!dataset.partitionKeys.includes(k)) {
        throw new PipelineError(
          "INVALID_FILTER",
          `Dataset ${dataset.name} has no partition key ${k} to filter on (its keys: ${dataset.partitionKeys.join(", ") || "none"}).`,
        );
      }
    }
  }
  return (values) => {
    if (days) {
      const day = partitionDay(values);
      if (day === undefined) return false;
      if (days.from !== undefined && day < days.from) return false;
      if (days.to !== undefined && day > days.to) return false;
    }
    if (!filter) return true;
    if (typeof filter === "function") return filter(values as { readonly [K in KeyOf<D>]: string });
    return Object.entries(filter as Record<string, string | readonly string[] | undefined>).every(
      ([k, want]) => {
        if (want === undefined) return true;
        const v = values[k] as string;
        return typeof want === "string" ? v === want : want.includes(v);
      },
    );
  };
}
