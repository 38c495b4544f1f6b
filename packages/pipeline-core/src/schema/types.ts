import { assertIdentifier } from "../identifiers.js";

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

export interface DatasetSchema<C extends readonly Column[] = readonly Column[]> {
  readonly name: string;
  readonly description: string;
  readonly columns: C;
  /** Hive partition keys, in key order; values are strings (`year=2024/month=03/day=01`). */
  readonly partitionKeys: readonly string[];
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

export function defineDataset<const C extends readonly Column[]>(def: DatasetSchema<C>): DatasetSchema<C> {
  assertIdentifier("dataset name", def.name);
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
    if (seen.has(c)) throw new Error(`Dataset ${def.name} defines column ${c} twice.`);
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

export type TsOf<T extends ColumnType> =
  T extends StructType<infer F> ? RowOfColumns<F> : T extends ScalarType<infer K> ? ScalarTs<K> : never;

type Simplify<T> = { [K in keyof T]: T[K] } & {};

export type RowOfColumns<C extends readonly Column[]> = Simplify<{
  [Col in C[number] as Col["name"]]: Col["nullable"] extends true
    ? TsOf<Col["type"]> | null
    : TsOf<Col["type"]>;
}>;

/** The TS type of one row of a dataset. */
export type RowOf<D extends DatasetSchema> = RowOfColumns<D["columns"]>;
