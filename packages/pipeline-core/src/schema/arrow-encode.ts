import {
  Bool,
  type Data,
  Float64,
  Int32,
  Int64,
  makeData,
  RecordBatch,
  Struct,
  Table,
  TimestampMillisecond,
  Utf8,
} from "apache-arrow";
import { PipelineError } from "../errors.js";
import { arrowSchema, arrowStructType } from "./arrow.js";
import type { Column, DatasetSchema } from "./types.js";

/**
 * The column encoders: one column vector (the forms `tableFromColumns` documents) → one Arrow `Data`,
 * written straight into typed arrays and validity bitmaps, with no Arrow builder call or boxed value
 * per row (apache-arrow's `vectorFromArray` was 3-4× slower on 500k measurement rows).
 * `tableFromColumns` and `TableBuilder` (which gathers its rows into the same vectors) both end
 * here, so a dataset has one encoding whichever way its table is built.
 */

/** Boolean column vectors hold one byte per row: false, true, or null (every other byte is null too). */
export const BOOL_FALSE = 0;
export const BOOL_TRUE = 1;
export const BOOL_NULL = 2;

type GrowableVector = Int32Array | Float64Array | BigInt64Array | Uint8Array;

/**
 * `arr` itself when it holds at least `needed` elements, otherwise a new array of the same type with
 * room for at least `needed` (at least double the old length), holding `arr`'s elements at the front.
 */
export function growVector<T extends GrowableVector>(arr: T, needed: number): T {
  if (needed <= arr.length) return arr;
  // Every typed array's constructor takes a length and returns an array of its own type.
  const Ctor = arr.constructor as new (length: number) => T;
  const next = new Ctor(Math.max(arr.length * 2, needed));
  new Uint8Array(next.buffer, next.byteOffset, arr.byteLength).set(
    new Uint8Array(arr.buffer, arr.byteOffset, arr.byteLength),
  );
  return next;
}

function shown(value: unknown): string {
  if (typeof value === "bigint") return `${value}n`;
  if (typeof value === "number") return String(value); // NaN and ±Infinity, which JSON would print as null
  if (ArrayBuffer.isView(value)) return `a ${value.constructor.name}`;
  return JSON.stringify(value) ?? String(value);
}

/** The SCHEMA_MISMATCH error for the value of row `row` in the column at `path` (`coordinates.lat`). */
export function mismatch(path: string, row: number, expected: string, value: unknown): PipelineError {
  return new PipelineError(
    "SCHEMA_MISMATCH",
    `Row ${row}: column ${path} expects ${expected}, got ${shown(value)}.`,
  );
}

function notAVector(path: string, expected: string, value: unknown): PipelineError {
  return new PipelineError("SCHEMA_MISMATCH", `Column ${path} expects ${expected}, got ${shown(value)}.`);
}

function checkLength(path: string, got: number, length: number): void {
  if (got < length) {
    throw new PipelineError(
      "SCHEMA_MISMATCH",
      `Column ${path} has ${got} values, fewer than the table's ${length} rows.`,
    );
  }
}

function isRecord(v: unknown): v is Readonly<Record<string, unknown>> {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !ArrayBuffer.isView(v);
}

/** All present: the validity bytes a column starts from when it meets its first null. */
function allValid(length: number): Uint8Array {
  return new Uint8Array(length).fill(1);
}

/**
 * A column's validity bytes (0 = null) once its own nulls are checked against its nullability and
 * combined with its struct's: a field of a null struct slot is null whatever its own vector holds,
 * and such a slot is no offence to a required field. Undefined when neither the column nor its
 * struct has validity bytes.
 */
function validity(
  c: Column,
  path: string,
  own: Uint8Array | undefined,
  parent: Uint8Array | undefined,
  length: number,
): Uint8Array | undefined {
  if (own === undefined) return parent;
  if (!c.nullable) {
    for (let i = 0; i < length; i++) {
      if (own[i] === 0 && (parent === undefined || parent[i] !== 0)) {
        throw mismatch(path, i, "a value (the column is required)", null);
      }
    }
  }
  if (parent === undefined) return own;
  const both = new Uint8Array(length);
  for (let i = 0; i < length; i++) both[i] = own[i] !== 0 && parent[i] !== 0 ? 1 : 0;
  return both;
}

/** Validity bytes → an Arrow validity bitmap (LSB first) and null count; no bitmap when nothing is null. */
function nullBuffer(
  valid: Uint8Array | undefined,
  length: number,
): { nullBitmap: Uint8Array | undefined; nullCount: number } {
  if (valid === undefined) return { nullBitmap: undefined, nullCount: 0 };
  const bitmap = new Uint8Array((length + 7) >> 3);
  let clear = 0;
  let byte = 0;
  for (let i = 0; i < length; i++) {
    if (valid[i] !== 0) byte |= 1 << (i & 7);
    else clear++;
    if ((i & 7) === 7) {
      bitmap[i >> 3] = byte;
      byte = 0;
    }
  }
  if ((length & 7) !== 0) bitmap[length >> 3] = byte;
  return clear === 0 ? { nullBitmap: undefined, nullCount: 0 } : { nullBitmap: bitmap, nullCount: clear };
}

/** Values and validity bytes of an int32 or int64 vector: the bare typed array, or `{ values, valid }`. */
function withValidity<V extends Int32Array | BigInt64Array>(
  v: unknown,
  Values: new (length: number) => V,
  path: string,
  length: number,
): { values: V; valid: Uint8Array | undefined } {
  const name = Values.name;
  let values: V;
  let valid: Uint8Array | undefined;
  if (v instanceof Values) values = v;
  else if (isRecord(v) && v.values instanceof Values && v.valid instanceof Uint8Array) {
    values = v.values;
    valid = v.valid;
    checkLength(path, valid.length, length);
  } else throw notAVector(path, `${name} or { values: ${name}, valid: Uint8Array }`, v);
  checkLength(path, values.length, length);
  return { values, valid };
}

/** Validity bytes for a Float64Array where NaN is null; undefined when no value is NaN. */
function nanValidity(values: Float64Array, length: number): Uint8Array | undefined {
  let first = 0;
  while (first < length && !Number.isNaN(values[first])) first++;
  if (first === length) return undefined;
  const valid = allValid(length);
  for (let i = first; i < length; i++) if (Number.isNaN(values[i])) valid[i] = 0;
  return valid;
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const LOW = LITTLE_ENDIAN ? 0 : 1;
const HIGH = 1 - LOW;
const TWO_32 = 4294967296;

/**
 * Epoch-ms doubles (NaN = null) → int64 without a BigInt per value: each value's two 32-bit halves
 * are written through an Int32Array view of the BigInt64Array's memory.
 */
function timestampValues(
  ms: Float64Array,
  length: number,
  path: string,
): { values: BigInt64Array; valid: Uint8Array | undefined } {
  const values = new BigInt64Array(length);
  const halves = new Int32Array(values.buffer);
  let valid: Uint8Array | undefined;
  for (let i = 0; i < length; i++) {
    const t = ms[i] as number;
    if (Number.isNaN(t)) {
      valid ??= allValid(length);
      valid[i] = 0;
      continue;
    }
    if (!Number.isSafeInteger(t)) throw mismatch(path, i, "a timestamp as integer epoch milliseconds", t);
    const high = Math.floor(t / TWO_32);
    // The low half is in [0, 2^32); storing it in an Int32Array keeps its 32 bits.
    halves[2 * i + LOW] = t - high * TWO_32;
    halves[2 * i + HIGH] = high;
  }
  return { values, valid };
}

const encoder = new TextEncoder();
/** The most distinct strings of one column kept encoded (most string columns are low-cardinality). */
const STRING_CACHE = 4096;

interface Utf8Parts {
  offsets: Int32Array;
  bytes: Uint8Array;
  valid: Uint8Array | undefined;
}

/** A plain string array (null or undefined = null) → UTF-8 offsets and bytes. */
function plainStrings(values: readonly unknown[], length: number, path: string): Utf8Parts {
  const offsets = new Int32Array(length + 1);
  let bytes = new Uint8Array(16 * 1024);
  let pos = 0;
  let valid: Uint8Array | undefined;
  const cache = new Map<string, Uint8Array>();
  for (let i = 0; i < length; i++) {
    const s = values[i];
    if (s === null || s === undefined) {
      valid ??= allValid(length);
      valid[i] = 0;
    } else {
      if (typeof s !== "string") throw mismatch(path, i, "a string", s);
      let enc = cache.get(s);
      if (!enc) {
        enc = encoder.encode(s);
        if (cache.size < STRING_CACHE) cache.set(s, enc);
      }
      bytes = growVector(bytes, pos + enc.length);
      bytes.set(enc, pos);
      pos += enc.length;
    }
    offsets[i + 1] = pos;
  }
  return { offsets, bytes: bytes.subarray(0, pos), valid };
}

/** Per-row indices into a dictionary (-1, or a null entry, = null) → UTF-8 offsets and bytes. */
function dictionaryStrings(
  refs: Int32Array,
  dictionary: readonly unknown[],
  length: number,
  path: string,
): Utf8Parts {
  const encoded = dictionary.map((s, k) => {
    if (s === null) return null;
    if (typeof s !== "string") throw notAVector(path, `a string or null at dictionary index ${k}`, s);
    return encoder.encode(s);
  });
  let total = 0;
  let valid: Uint8Array | undefined;
  for (let i = 0; i < length; i++) {
    const r = refs[i] as number;
    const e = r === -1 ? null : encoded[r];
    if (e === undefined) throw mismatch(path, i, `a dictionary index from -1 to ${encoded.length - 1}`, r);
    if (e === null) {
      valid ??= allValid(length);
      valid[i] = 0;
    } else total += e.length;
  }
  const bytes = new Uint8Array(total);
  const offsets = new Int32Array(length + 1);
  let pos = 0;
  for (let i = 0; i < length; i++) {
    const e = encoded[refs[i] as number];
    if (e) {
      bytes.set(e, pos);
      pos += e.length;
    }
    offsets[i + 1] = pos;
  }
  return { offsets, bytes, valid };
}

function utf8Parts(v: unknown, length: number, path: string): Utf8Parts {
  if (Array.isArray(v)) {
    checkLength(path, v.length, length);
    return plainStrings(v, length, path);
  }
  if (isRecord(v) && v.refs instanceof Int32Array && Array.isArray(v.dictionary)) {
    checkLength(path, v.refs.length, length);
    return dictionaryStrings(v.refs, v.dictionary, length, path);
  }
  throw notAVector(path, "an array of strings or { refs: Int32Array, dictionary: (string | null)[] }", v);
}

/** Tri-state bytes → the Arrow value bitmap (true bits) and validity bytes. */
function booleanBits(v: Uint8Array, length: number): { bits: Uint8Array; valid: Uint8Array | undefined } {
  const bits = new Uint8Array((length + 7) >> 3);
  let valid: Uint8Array | undefined;
  let byte = 0;
  for (let i = 0; i < length; i++) {
    const b = v[i];
    if (b === BOOL_TRUE) byte |= 1 << (i & 7);
    else if (b !== BOOL_FALSE) {
      valid ??= allValid(length);
      valid[i] = 0;
    }
    if ((i & 7) === 7) {
      bits[i >> 3] = byte;
      byte = 0;
    }
  }
  if ((length & 7) !== 0) bits[length >> 3] = byte;
  return { bits, valid };
}

/** One column's vector → its Arrow data; `parent` is the validity of the struct it is a field of. */
function encodeColumn(
  c: Column,
  v: unknown,
  length: number,
  path: string,
  parent: Uint8Array | undefined,
): Data {
  if (v === undefined) {
    throw new PipelineError("SCHEMA_MISMATCH", `Column ${path} has no vector.`);
  }
  switch (c.type.kind) {
    case "int32": {
      const { values, valid } = withValidity(v, Int32Array, path, length);
      const nulls = nullBuffer(validity(c, path, valid, parent, length), length);
      return makeData({ type: new Int32(), length, data: values.subarray(0, length), ...nulls });
    }
    case "int64": {
      const { values, valid } = withValidity(v, BigInt64Array, path, length);
      const nulls = nullBuffer(validity(c, path, valid, parent, length), length);
      return makeData({ type: new Int64(), length, data: values.subarray(0, length), ...nulls });
    }
    case "float64": {
      if (!(v instanceof Float64Array)) throw notAVector(path, "a Float64Array (NaN = null)", v);
      checkLength(path, v.length, length);
      const nulls = nullBuffer(validity(c, path, nanValidity(v, length), parent, length), length);
      return makeData({ type: new Float64(), length, data: v.subarray(0, length), ...nulls });
    }
    case "timestamp_ms": {
      if (!(v instanceof Float64Array)) {
        throw notAVector(path, "a Float64Array of epoch milliseconds (NaN = null)", v);
      }
      checkLength(path, v.length, length);
      const { values, valid } = timestampValues(v, length, path);
      const nulls = nullBuffer(validity(c, path, valid, parent, length), length);
      return makeData({ type: new TimestampMillisecond("UTC"), length, data: values, ...nulls });
    }
    case "string": {
      const { offsets, bytes, valid } = utf8Parts(v, length, path);
      const nulls = nullBuffer(validity(c, path, valid, parent, length), length);
      return makeData({ type: new Utf8(), length, valueOffsets: offsets, data: bytes, ...nulls });
    }
    case "boolean": {
      if (!(v instanceof Uint8Array)) {
        throw notAVector(path, "a Uint8Array (0 false, 1 true, other bytes null)", v);
      }
      checkLength(path, v.length, length);
      const { bits, valid } = booleanBits(v, length);
      const nulls = nullBuffer(validity(c, path, valid, parent, length), length);
      return makeData({ type: new Bool(), length, data: bits, ...nulls });
    }
    case "struct": {
      const fields = c.type.fields;
      const own = isRecord(v) ? v.valid : undefined;
      if (!isRecord(v) || !isRecord(v.fields) || !(own === undefined || own instanceof Uint8Array)) {
        throw notAVector(path, "{ fields: { …one vector per field }, valid?: Uint8Array }", v);
      }
      if (own) checkLength(path, own.length, length);
      checkNames(
        v.fields,
        fields.map((f) => f.name),
        (key) => `Column ${path}.${key} is not a field of ${path}.`,
      );
      const valid = validity(c, path, own, parent, length);
      const vectors = v.fields;
      const children = fields.map((f) =>
        encodeColumn(f, vectors[f.name], length, `${path}.${f.name}`, valid),
      );
      return makeData({ type: arrowStructType(fields), length, ...nullBuffer(valid, length), children });
    }
  }
}

function checkNames(
  vectors: Readonly<Record<string, unknown>>,
  names: readonly string[],
  unknown: (key: string) => string,
): void {
  const known = new Set(names);
  for (const key of Object.keys(vectors)) {
    if (!known.has(key)) throw new PipelineError("SCHEMA_MISMATCH", unknown(key));
  }
}

/**
 * The table of `length` rows of `schema` from one vector per column (see `tableFromColumns` for the
 * vector forms; checked here, so untyped callers get the same SCHEMA_MISMATCH errors).
 */
export function encodeTable(
  schema: DatasetSchema,
  length: number,
  columns: Readonly<Record<string, unknown>>,
): Table {
  if (!Number.isSafeInteger(length) || length < 0) {
    throw new PipelineError("SCHEMA_MISMATCH", `A table's length is a whole number of rows, got ${length}.`);
  }
  if (!isRecord(columns)) {
    throw new PipelineError(
      "SCHEMA_MISMATCH",
      `The columns are an object of one vector per column, got ${shown(columns)}.`,
    );
  }
  checkNames(
    columns,
    schema.columns.map((c) => c.name),
    (key) => `Column ${key} is not part of dataset ${schema.name}.`,
  );
  const arrow = arrowSchema(schema);
  const children = schema.columns.map((c) => encodeColumn(c, columns[c.name], length, c.name, undefined));
  const data = makeData({ type: new Struct(arrow.fields), length, nullCount: 0, children });
  return new Table(arrow, [new RecordBatch(arrow, data)]);
}
