import type { Table } from "apache-arrow";
import { encodeTable } from "./arrow-encode.js";
import type { Column, ColumnType, DatasetSchema, ScalarKind, ScalarType, StructType } from "./types.js";

export { BOOL_FALSE, BOOL_NULL, BOOL_TRUE, growVector } from "./arrow-encode.js";

/** Typed values with one validity byte per row beside them: 0 is null, any other byte present. */
export interface ValidityVector<V> {
  readonly values: V;
  readonly valid: Uint8Array;
}

/** Strings as per-row indices into a dictionary; -1, or an index whose entry is null, is null. */
export interface DictionaryVector {
  readonly refs: Int32Array;
  readonly dictionary: readonly (string | null)[];
}

/**
 * A struct column: one vector per field, and the struct's own validity (0 = null) unless every row
 * has one. The fields of a null struct slot read as null, whatever their vectors hold there.
 */
export interface StructVector<F extends readonly Column[] = readonly Column[]> {
  readonly fields: ColumnVectorsOf<F>;
  readonly valid?: Uint8Array;
}

type ScalarVector<K extends ScalarKind> = K extends "int32"
  ? Int32Array | ValidityVector<Int32Array>
  : K extends "int64"
    ? BigInt64Array | ValidityVector<BigInt64Array>
    : K extends "float64" | "timestamp_ms"
      ? Float64Array
      : K extends "string"
        ? readonly (string | null)[] | DictionaryVector
        : K extends "boolean"
          ? Uint8Array
          : never;

/** The vector `tableFromColumns` takes for a column of type `T`. */
export type ColumnVectorOf<T extends ColumnType> =
  T extends StructType<infer F> ? StructVector<F> : T extends ScalarType<infer K> ? ScalarVector<K> : never;

export type ColumnVectorsOf<C extends readonly Column[]> = {
  readonly [Col in C[number] as Col["name"]]: ColumnVectorOf<Col["type"]>;
};

/** One vector per column of dataset `D`, keyed by column name: what `tableFromColumns` takes. */
export type ColumnsInputOf<D extends DatasetSchema> = ColumnVectorsOf<D["columns"]>;

/**
 * Builds the Arrow table of `length` rows of a dataset from one typed vector per column, with no
 * per-row objects: the fast way in for data already held column by column. Each column's vector is
 * chosen by its type (`ColumnsInputOf<D>`, so a missing, unknown or mistyped column does not
 * compile):
 *
 * | column type    | vector                                                                         |
 * | -------------- | ------------------------------------------------------------------------------ |
 * | `int32`        | `Int32Array`, or `{ values: Int32Array, valid: Uint8Array }` when it has nulls |
 * | `int64`        | `BigInt64Array`, or `{ values: BigInt64Array, valid: Uint8Array }`             |
 * | `float64`      | `Float64Array`, NaN = null                                                     |
 * | `timestamp_ms` | `Float64Array` of integer epoch milliseconds, NaN = null                       |
 * | `string`       | `(string \| null)[]`, or `{ refs: Int32Array, dictionary }` (-1 = null)         |
 * | `boolean`      | `Uint8Array`: `BOOL_FALSE` (0), `BOOL_TRUE` (1), any other byte null           |
 * | `struct`       | `{ fields: { one vector per field }, valid?: Uint8Array }`                     |
 *
 * `valid` bytes are one per row, 0 for null. Only the first `length` entries of each vector are read
 * (a growable buffer can be passed as it is, see `growVector`); a shorter vector, a null in a
 * required column (outside a null struct slot), a non-integer timestamp or a dictionary index out of
 * range throws a SCHEMA_MISMATCH error naming the column (and the row). `Int32Array`, `BigInt64Array`
 * and `Float64Array` values become the table's buffers without a copy: do not change them while the
 * table is in use. Every other form is encoded into new buffers.
 */
export function tableFromColumns<D extends DatasetSchema>(
  schema: D,
  length: number,
  columns: ColumnsInputOf<D>,
): Table {
  return encodeTable(schema, length, columns);
}
