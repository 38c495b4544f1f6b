import { PipelineError } from "../errors.js";
import { assertIdentifier } from "../identifiers.js";
import { assertPartitioning, type PartitionKeySpec } from "../partitioning.js";

/**
 * The column type system every dataset is written in. One definition per dataset (see
 * `datasets.ts`) yields its TS row type, its Arrow schema, its Glue columns and its SQL DDL.
 */
export type ScalarKind = "int32" | "int64" | "float64" | "string" | "boolean" | "timestamp_ms";

export interface ScalarType<K extends ScalarKind = ScalarKind> {
  readonly kind: K;
}

export interface StructType<F extends readonly Column[] = readonly Column[]> {
  readonly kind: "struct";
  readonly fields: F;
}

export type ColumnType = ScalarType | StructType;

export interface Column<
  N extends string = string,
  T extends ColumnType = ColumnType,
  Nullable extends boolean = boolean,
> {
  readonly name: N;
  readonly type: T;
  readonly nullable: Nullable;
  readonly description: string;
}

export interface DatasetSchema<
  C extends readonly Column[] = readonly Column[],
  K extends readonly string[] = readonly string[],
> {
  readonly name: string;
  readonly description: string;
  readonly columns: C;
  /**
   * Hive partition keys, in folder order; values are strings (`year=2024/month=03/day=01`). `year`,
   * `month`, `day` and `dt` come from a UTC day; any other key takes its values from the writer (see
   * `partitioning.ts`). `[]` is an unpartitioned dataset.
   */
  readonly partitionKeys: K;
  /** Checks and Athena projection of non-day keys; a key without a spec is `injected`. */
  readonly partitionSpecs?: Readonly<Partial<Record<K[number], PartitionKeySpec>>>;
}

export const t = {
  int32: (): ScalarType<"int32"> => ({ kind: "int32" }),
  int64: (): ScalarType<"int64"> => ({ kind: "int64" }),
  float64: (): ScalarType<"float64"> => ({ kind: "float64" }),
  string: (): ScalarType<"string"> => ({ kind: "string" }),
  boolean: (): ScalarType<"boolean"> => ({ kind: "boolean" }),
  /** UTC instant with millisecond precision (what Athena reads); held in TS as epoch milliseconds. */
  timestampMs: (): ScalarType<"timestamp_ms"> => ({ kind: "timestamp_ms" }),
  struct: <const F extends readonly Column[]>(...fields: F): StructType<F> => ({ kind: "struct", fields }),
};

export function required<const N extends string, T extends ColumnType>(
  name: N,
  type: T,
  description: string,
): Column<N, T, false> {
  return { name, type, nullable: false, description };
}

export function optional<const N extends string, T extends ColumnType>(
  name: N,
  type: T,
  description: string,
): Column<N, T, true> {
  return { name, type, nullable: true, description };
}

/**
 * Defines a dataset once; its row types, Arrow schema, Glue columns, Athena DDL and lake keys all
 * derive from this. Invalid names, duplicate columns and partitionings the lake cannot honour are
 * refused here with a `PipelineError`.
 */
export function defineDataset<const C extends readonly Column[], const K extends readonly string[]>(
  def: DatasetSchema<C, K>,
): DatasetSchema<C, K> {
  assertIdentifier("dataset name", def.name);
  assertPartitioning(def);
  const seen = new Set<string>();
  const check = (cols: readonly Column[], where: string) => {
    for (const c of cols) {
      assertIdentifier(`column name in ${where}`, c.name);
      if (c.type.kind === "struct") check(c.type.fields, `${where}.${c.name}`);
    }
  };
  check(def.columns, def.name);
  for (const c of [...def.columns.map((c) => c.name), ...def.partitionKeys]) {
    assertIdentifier(`column name in ${def.name}`, c);
    if (seen.has(c))
      throw new PipelineError("INVALID_DATASET", `Dataset ${def.name} defines column ${c} twice.`);
    seen.add(c);
  }
  return def;
}

// ---- TS row types, derived from the definition ----

type ScalarTs<K extends ScalarKind> = K extends "int32" | "float64" | "timestamp_ms"
  ? number
  : K extends "int64"
    ? bigint
    : K extends "string"
      ? string
      : K extends "boolean"
        ? boolean
        : never;

type Simplify<T> = { [K in keyof T]: T[K] } & {};

/**
 * A row of columns in one of its three TS forms, which differ only in their scalars: as the writer
 * takes it (`row`), with what the writer also accepts (`input`), and as the reader returns it (`read`).
 */
type ScalarIn<K extends ScalarKind> = { row: ScalarTs<K>; input: InputScalarTs<K>; read: ReadScalarTs<K> };
type Form = keyof ScalarIn<ScalarKind>;

type TsIn<T extends ColumnType, F extends Form> =
  T extends StructType<infer C> ? ColumnsIn<C, F> : T extends ScalarType<infer K> ? ScalarIn<K>[F] : never;

type ColumnsIn<C extends readonly Column[], F extends Form> = Simplify<{
  [Col in C[number] as Col["name"]]: Col["nullable"] extends true
    ? TsIn<Col["type"], F> | null
    : TsIn<Col["type"], F>;
}>;

export type TsOf<T extends ColumnType> = TsIn<T, "row">;
export type RowOfColumns<C extends readonly Column[]> = ColumnsIn<C, "row">;

/** The TS type of one row of a dataset, as the writer takes it (timestamps as epoch milliseconds). */
export type RowOf<D extends DatasetSchema> = RowOfColumns<D["columns"]>;

// ---- rows as the writer accepts them: RowOf, and a Date wherever a timestamp goes ----

type InputScalarTs<K extends ScalarKind> = K extends "timestamp_ms"
  ? number | Date
  : K extends "int64"
    ? bigint | number
    : ScalarTs<K>;

export type InputTsOf<T extends ColumnType> = TsIn<T, "input">;
export type RowInputOfColumns<C extends readonly Column[]> = ColumnsIn<C, "input">;

/**
 * What `writePartition` and `TableBuilder` accept: a `RowOf`, with `Date` allowed for timestamps and a
 * safe-integer `number` for int64 (what `readRows` returns).
 */
export type RowInputOf<D extends DatasetSchema> = RowInputOfColumns<D["columns"]>;

// ---- rows as the reader returns them ----

type ReadScalarTs<K extends ScalarKind> = K extends "int32" | "float64" | "int64"
  ? number
  : K extends "timestamp_ms"
    ? Date
    : K extends "string"
      ? string
      : K extends "boolean"
        ? boolean
        : never;

export type ReadTsOf<T extends ColumnType> = TsIn<T, "read">;
export type ReadRowOfColumns<C extends readonly Column[]> = ColumnsIn<C, "read">;

/**
 * One row as `readRows` returns it: timestamps as `Date`, int64 as `number` (a value beyond 2^53 is an
 * error, read the Arrow table for those), and the partition keys as string columns.
 */
export type ReadRowOf<D extends DatasetSchema> = Simplify<
  ReadRowOfColumns<D["columns"]> & { [K in D["partitionKeys"][number]]: string }
>;
