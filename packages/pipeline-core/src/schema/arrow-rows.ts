import type { Table } from "apache-arrow";
import { PipelineError } from "../errors.js";
import { BOOL_FALSE, BOOL_NULL, BOOL_TRUE, encodeTable, growVector, mismatch } from "./arrow-encode.js";
import type { Column, DatasetSchema, RowInputOf } from "./types.js";

/**
 * Row objects → the column vectors `tableFromColumns` takes, one accumulator per column; the table
 * is then encoded by the same column encoders.
 */

const INITIAL = 1024;

abstract class Accumulator {
  /** Rows appended so far. */
  n = 0;
  constructor(
    /** The column in errors: its name, or `struct.field`. */
    readonly path: string,
    readonly nullable: boolean,
  ) {}

  /** Appends row `row`'s value, or throws SCHEMA_MISMATCH naming the row and the column. */
  append(value: unknown, row: number): void {
    if (value === null || value === undefined) {
      if (!this.nullable) throw mismatch(this.path, row, "a value (the column is required)", value);
      this.appendNull();
    } else {
      this.push(value, row);
      this.n++;
    }
  }

  /**
   * Appends a null without the required check: also the slot of a field under a null struct slot,
   * which the encoders read as null whatever the field's nullability.
   */
  appendNull(): void {
    this.pushNull();
    this.n++;
  }

  /** Stores a present value at slot `this.n`. */
  protected abstract push(value: unknown, row: number): void;
  /** Stores a null at slot `this.n`. */
  protected abstract pushNull(): void;
  /** The `n` rows appended, as this column's vector. */
  abstract vector(): unknown;
}

/** One validity byte per row (0 = null), handed on only when a row was null. */
class ValidityBytes {
  private bytes = new Uint8Array(INITIAL);
  private nulls = 0;
  set(i: number, present: boolean): void {
    this.bytes = growVector(this.bytes, i + 1);
    this.bytes[i] = present ? 1 : 0;
    if (!present) this.nulls++;
  }
  /** `{ values, valid }` when a row was null, else `values` alone. */
  vectorOf<V>(values: V, n: number): V | { values: V; valid: Uint8Array } {
    return this.nulls === 0 ? values : { values, valid: this.bytes.subarray(0, n) };
  }
  /** The validity bytes when a row was null. */
  validOf(n: number): Uint8Array | undefined {
    return this.nulls === 0 ? undefined : this.bytes.subarray(0, n);
  }
}

/** int32 and int64: typed values, and validity bytes beside them. */
abstract class IntegerAccumulator<V extends Int32Array | BigInt64Array> extends Accumulator {
  protected abstract values: V;
  private readonly valid = new ValidityBytes();
  protected push(v: unknown, row: number): void {
    this.values = growVector(this.values, this.n + 1);
    this.store(v, row);
    this.valid.set(this.n, true);
  }
  protected pushNull(): void {
    this.values = growVector(this.values, this.n + 1);
    this.valid.set(this.n, false);
  }
  /** Checks `v` and stores it at slot `this.n`, which exists. */
  protected abstract store(v: unknown, row: number): void;
  vector() {
    return this.valid.vectorOf(this.values.subarray(0, this.n), this.n);
  }
}

class Int32Accumulator extends IntegerAccumulator<Int32Array> {
  protected values = new Int32Array(INITIAL);
  protected store(v: unknown, row: number): void {
    if (typeof v !== "number") throw mismatch(this.path, row, "an integer", v);
    if (!Number.isInteger(v) || v < -2147483648 || v > 2147483647) {
      throw mismatch(this.path, row, "a 32-bit integer", v);
    }
    this.values[this.n] = v;
  }
}

class Int64Accumulator extends IntegerAccumulator<BigInt64Array> {
  protected values = new BigInt64Array(INITIAL);
  protected store(v: unknown, row: number): void {
    if (typeof v === "bigint") this.values[this.n] = v;
    else if (typeof v === "number" && Number.isSafeInteger(v)) this.values[this.n] = BigInt(v);
    else throw mismatch(this.path, row, "a 64-bit integer", v);
  }
}

/** float64 and timestamp_ms: one double per row, NaN for null (a NaN value is refused). */
class DoubleAccumulator extends Accumulator {
  private values = new Float64Array(INITIAL);
  constructor(
    path: string,
    nullable: boolean,
    private readonly kind: "float64" | "timestamp_ms",
  ) {
    super(path, nullable);
  }
  protected push(v: unknown, row: number): void {
    let x: number;
    if (this.kind === "float64") {
      if (typeof v !== "number") throw mismatch(this.path, row, "a number", v);
      if (Number.isNaN(v)) throw mismatch(this.path, row, "a number (not NaN)", v);
      x = v;
    } else {
      // A Date is taken as its instant, so rows read back (`readRows`) can be written again.
      const ms = v instanceof Date ? v.getTime() : v;
      if (typeof ms !== "number" || !Number.isSafeInteger(ms)) {
        throw mismatch(this.path, row, "a timestamp as integer epoch milliseconds or a valid Date", v);
      }
      x = ms;
    }
    this.values = growVector(this.values, this.n + 1);
    this.values[this.n] = x;
  }
  protected pushNull(): void {
    this.values = growVector(this.values, this.n + 1);
    this.values[this.n] = Number.NaN;
  }
  vector() {
    return this.values.subarray(0, this.n);
  }
}

class BooleanAccumulator extends Accumulator {
  private values = new Uint8Array(INITIAL);
  protected push(v: unknown, row: number): void {
    if (typeof v !== "boolean") throw mismatch(this.path, row, "a boolean", v);
    this.values = growVector(this.values, this.n + 1);
    this.values[this.n] = v ? BOOL_TRUE : BOOL_FALSE;
  }
  protected pushNull(): void {
    this.values = growVector(this.values, this.n + 1);
    this.values[this.n] = BOOL_NULL;
  }
  vector() {
    return this.values.subarray(0, this.n);
  }
}

class StringAccumulator extends Accumulator {
  private readonly values: (string | null)[] = [];
  protected push(v: unknown, row: number): void {
    if (typeof v !== "string") throw mismatch(this.path, row, "a string", v);
    this.values.push(v);
  }
  protected pushNull(): void {
    this.values.push(null);
  }
  vector() {
    return this.values;
  }
}

class StructAccumulator extends Accumulator {
  private readonly fields: Array<{ name: string; acc: Accumulator }>;
  private readonly valid = new ValidityBytes();
  constructor(path: string, nullable: boolean, fields: readonly Column[]) {
    super(path, nullable);
    this.fields = fields.map((f) => ({ name: f.name, acc: accumulatorFor(f, `${path}.${f.name}`) }));
  }
  protected push(v: unknown, row: number): void {
    if (typeof v !== "object" || v === null || Array.isArray(v))
      throw mismatch(this.path, row, "an object", v);
    const obj = v as Record<string, unknown>;
    for (const f of this.fields) f.acc.append(obj[f.name], row);
    this.valid.set(this.n, true);
  }
  protected pushNull(): void {
    for (const f of this.fields) f.acc.appendNull();
    this.valid.set(this.n, false);
  }
  vector() {
    const fields = Object.fromEntries(this.fields.map((f) => [f.name, f.acc.vector()]));
    const valid = this.valid.validOf(this.n);
    return valid ? { fields, valid } : { fields };
  }
}

function accumulatorFor(c: Column, path = c.name): Accumulator {
  switch (c.type.kind) {
    case "int32":
      return new Int32Accumulator(path, c.nullable);
    case "int64":
      return new Int64Accumulator(path, c.nullable);
    case "float64":
    case "timestamp_ms":
      return new DoubleAccumulator(path, c.nullable, c.type.kind);
    case "boolean":
      return new BooleanAccumulator(path, c.nullable);
    case "string":
      return new StringAccumulator(path, c.nullable);
    case "struct":
      return new StructAccumulator(path, c.nullable, c.type.fields);
  }
}

/**
 * Builds an Arrow table for a dataset row by row. `append` checks every value against the
 * definition (type, nullability, unknown columns) and throws a SCHEMA_MISMATCH error naming the row
 * and column; a failed append leaves the builder unusable, so callers build a table or nothing.
 * Values go straight into typed arrays, one per column, which `toTable` encodes as
 * `tableFromColumns` does.
 */
export class TableBuilder<D extends DatasetSchema> {
  private readonly columns: Array<{ name: string; acc: Accumulator }>;
  private readonly names: Set<string>;
  private n = 0;
  private broken = false;

  constructor(readonly schema: D) {
    this.columns = schema.columns.map((c) => ({ name: c.name, acc: accumulatorFor(c) }));
    this.names = new Set(schema.columns.map((c) => c.name));
  }

  get length(): number {
    return this.n;
  }

  append(row: RowInputOf<D>): void {
    if (this.broken)
      throw new PipelineError("BUILDER_FAILED", "This table builder already failed; start a new one.");
    try {
      if (typeof row !== "object" || row === null) throw mismatch("(row)", this.n, "an object", row);
      const r = row as Record<string, unknown>;
      for (const key in r) {
        if (!this.names.has(key)) {
          throw new PipelineError(
            "SCHEMA_MISMATCH",
            `Row ${this.n}: column ${key} is not part of dataset ${this.schema.name}.`,
          );
        }
      }
      for (const c of this.columns) c.acc.append(r[c.name], this.n);
      this.n++;
    } catch (e) {
      this.broken = true;
      throw e;
    }
  }

  /** The rows appended so far as a table; appending more afterwards leaves this table as it is. */
  toTable(): Table {
    return encodeTable(
      this.schema,
      this.n,
      Object.fromEntries(this.columns.map((c) => [c.name, c.acc.vector()])),
    );
  }
}

export function tableFromRows<D extends DatasetSchema>(schema: D, rows: Iterable<RowInputOf<D>>): Table {
  const b = new TableBuilder(schema);
  for (const r of rows) b.append(r);
  return b.toTable();
}
