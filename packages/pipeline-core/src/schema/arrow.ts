import {
  Bool,
  type DataType,
  Field,
  Float64,
  Int32,
  Int64,
  Schema,
  Struct,
  type Table,
  TimestampMillisecond,
  Utf8,
} from "apache-arrow";
import { PipelineError } from "../errors.js";
import type { Column, ColumnType, DatasetSchema } from "./types.js";

/**
 * A dataset's Arrow form. Tables are built by `tableFromColumns` (typed column vectors,
 * `arrow-columns.ts`) or `TableBuilder` / `tableFromRows` (row objects, `arrow-rows.ts`); both
 * encode through the same column encoders.
 */

/** The Arrow type of a column type. Timestamps are ms with a UTC zone: Parquet INT64 TIMESTAMP(MILLIS, isAdjustedToUTC). */
export function arrowType(type: ColumnType): DataType {
  switch (type.kind) {
    case "int32":
      return new Int32();
    case "int64":
      return new Int64();
    case "float64":
      return new Float64();
    case "string":
      return new Utf8();
    case "boolean":
      return new Bool();
    case "timestamp_ms":
      return new TimestampMillisecond("UTC");
    case "struct":
      return arrowStructType(type.fields);
  }
}

/** The Arrow struct type of a struct column's fields. */
export function arrowStructType(fields: readonly Column[]): Struct {
  return new Struct(fields.map(arrowField));
}

function arrowField(c: Column): Field {
  return new Field(c.name, arrowType(c.type), c.nullable);
}

export function arrowSchema(schema: DatasetSchema): Schema {
  return new Schema(schema.columns.map(arrowField));
}

/** Throws SCHEMA_MISMATCH unless the table has exactly the dataset's columns, types and nullability, in order. */
export function assertTableMatches(schema: DatasetSchema, table: Table): void {
  const expected = arrowSchema(schema);
  const got = table.schema.fields;
  const describe = (f: Field) => `${f.name} ${String(f.type)}${f.nullable ? "" : " not null"}`;
  const problems: string[] = [];
  if (got.length !== expected.fields.length) {
    problems.push(`expected ${expected.fields.length} columns, got ${got.length}`);
  }
  expected.fields.forEach((f, i) => {
    const g = got[i];
    if (!g) problems.push(`missing column ${f.name}`);
    else if (describe(g) !== describe(f))
      problems.push(`column ${i}: expected ${describe(f)}, got ${describe(g)}`);
  });
  if (problems.length > 0) {
    throw new PipelineError(
      "SCHEMA_MISMATCH",
      `The table does not match dataset ${schema.name}: ${problems.slice(0, 3).join("; ")}.`,
    );
  }
}
