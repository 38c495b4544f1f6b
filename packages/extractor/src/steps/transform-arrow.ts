import { arrowSchema, type measurements as MeasurementsDataset } from "@openaq-lakehouse/pipeline-core";
import { type Data, type DataType, type Field, makeData, RecordBatch, Struct, Table } from "apache-arrow";
import { FLAG_NULL, FLAG_TRUE, type MeasurementColumns } from "./transform-measurements.js";

/**
 * Expands `MeasurementColumns` into an Arrow table of the `measurements` dataset, column by column
 * over typed arrays (the row-object route is ~20× slower, tsdata.md §1). The Arrow types are taken
 * from the dataset definition itself, so `assertTableMatches` in the writer checks the result
 * against the one source of truth rather than against a copy here.
 */

const encoder = new TextEncoder();

/** A packed bitmap (LSB first, as Arrow lays out validity and booleans) and how many bits are clear. */
function bits(length: number, isSet: (i: number) => boolean): { bitmap: Uint8Array; clear: number } {
  const bitmap = new Uint8Array((length + 7) >> 3);
  let clear = 0;
  for (let i = 0; i < length; i++) {
    if (isSet(i)) bitmap[i >> 3] = (bitmap[i >> 3] as number) | (1 << (i & 7));
    else clear++;
  }
  return { bitmap, clear };
}

/** A validity bitmap, omitted when nothing is null (what Arrow writers expect). */
function validity(
  length: number,
  isValid: (i: number) => boolean,
): { bitmap: Uint8Array | undefined; nulls: number } {
  const b = bits(length, isValid);
  return { bitmap: b.clear === 0 ? undefined : b.bitmap, nulls: b.clear };
}

function int32Data(type: DataType, values: Int32Array, length: number, valid?: (i: number) => boolean): Data {
  const v = valid ? validity(length, valid) : { bitmap: undefined, nulls: 0 };
  return makeData({ type: type as never, length, data: values, nullBitmap: v.bitmap, nullCount: v.nulls });
}

function float64Data(
  type: DataType,
  values: Float64Array,
  length: number,
  valid?: (i: number) => boolean,
): Data {
  const v = valid ? validity(length, valid) : { bitmap: undefined, nulls: 0 };
  return makeData({ type: type as never, length, data: values, nullBitmap: v.bitmap, nullCount: v.nulls });
}

/** Epoch-ms doubles as int64 without a BigInt per value: write the two 32-bit halves (little-endian). */
function timestampData(type: DataType, ms: Float64Array, length: number, nullable: boolean): Data {
  const out = new BigInt64Array(length);
  const halves = new Int32Array(out.buffer);
  for (let i = 0; i < length; i++) {
    const t = ms[i] as number;
    if (Number.isNaN(t)) continue;
    const hi = Math.floor(t / 4294967296);
    halves[2 * i] = t - hi * 4294967296;
    halves[2 * i + 1] = hi;
  }
  const v = nullable
    ? validity(length, (i) => !Number.isNaN(ms[i] as number))
    : { bitmap: undefined, nulls: 0 };
  // biome-ignore lint/suspicious/noExplicitAny: makeData is overloaded per type; the type comes from the dataset
  return makeData({ type: type as any, length, data: out, nullBitmap: v.bitmap, nullCount: v.nulls } as any);
}

/** A Utf8 column from per-row indices into a small dictionary of strings (-1 = null). */
function dictionaryStringData(
  type: DataType,
  refs: Int32Array,
  dictionary: readonly (string | null)[],
  length: number,
): Data {
  const encoded = dictionary.map((s) => (s === null ? null : encoder.encode(s)));
  let total = 0;
  for (let i = 0; i < length; i++) {
    const e = encoded[refs[i] as number];
    if (e) total += e.length;
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
  const v = validity(length, (i) => (refs[i] as number) >= 0 && encoded[refs[i] as number] != null);
  return makeData({
    type: type as never,
    length,
    valueOffsets: offsets,
    data: bytes,
    nullBitmap: v.bitmap,
    nullCount: v.nulls,
  });
}

/**
 * Rows [from, to) of `c` as an Arrow table of the `measurements` dataset. Every column is a fresh
 * array of `to - from` values, so a slice costs memory in proportion to its own length only.
 */
export function measurementsTable(
  schema: typeof MeasurementsDataset,
  c: MeasurementColumns,
  from = 0,
  to = c.length,
): Table {
  const arrow = arrowSchema(schema);
  const n = to - from;
  const sensors = c.sensors;
  const sensorAt = (i: number) => sensors[c.sensorRef[from + i] as number] as (typeof sensors)[number];
  const perSensor = (pick: (s: (typeof sensors)[number]) => number): Int32Array => {
    const out = new Int32Array(n);
    for (let i = 0; i < n; i++) out[i] = pick(sensorAt(i));
    return out;
  };
  const lat = new Float64Array(n);
  const lon = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const s = sensorAt(i);
    lat[i] = s.lat ?? Number.NaN;
    lon[i] = s.lon ?? Number.NaN;
  }
  const periodRef = c.periodRef.slice(from, to);
  const parameterRef = c.parameterRef.slice(from, to);
  const coverage = c.coverage.slice(from, to);
  const flags = c.flags.subarray(from, to);
  const periodSeconds = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const p = periodRef[i] as number;
    periodSeconds[i] = p >= 0 ? (c.periods[p]?.seconds ?? 0) : 0;
  }
  const periodSecondsValid = (i: number) => {
    const p = periodRef[i] as number;
    return p >= 0 && c.periods[p]?.seconds != null;
  };
  const hasFlags = bits(n, (i) => flags[i] === FLAG_TRUE);
  const flagValidity = validity(n, (i) => flags[i] !== FLAG_NULL);

  const data: Record<string, (type: DataType) => Data> = {
    location_id: (t) =>
      int32Data(
        t,
        perSensor((s) => s.locationId),
        n,
      ),
    sensor_id: (t) =>
      int32Data(
        t,
        perSensor((s) => s.sensorId),
        n,
      ),
    parameter_id: (t) =>
      int32Data(
        t,
        perSensor((s) => s.parameterId),
        n,
      ),
    parameter: (t) =>
      dictionaryStringData(
        t,
        parameterRef,
        c.parameters.map((p) => p.name),
        n,
      ),
    value: (t) => float64Data(t, c.value.slice(from, to), n),
    unit: (t) =>
      dictionaryStringData(
        t,
        parameterRef,
        c.parameters.map((p) => p.units),
        n,
      ),
    datetime: (t) => timestampData(t, c.start.subarray(from, to), n, false),
    datetime_to: (t) => timestampData(t, c.end.subarray(from, to), n, true),
    period_label: (t) =>
      dictionaryStringData(
        t,
        periodRef,
        c.periods.map((p) => p.label),
        n,
      ),
    period_seconds: (t) => int32Data(t, periodSeconds, n, periodSecondsValid),
    coverage_percent: (t) => float64Data(t, coverage, n, (i) => !Number.isNaN(coverage[i] as number)),
    has_flags: (t) =>
      makeData({
        type: t as never,
        length: n,
        data: hasFlags.bitmap,
        nullBitmap: flagValidity.bitmap,
        nullCount: flagValidity.nulls,
      }),
    coordinates: (t) => {
      const struct = t as Struct;
      const [latField, lonField] = struct.children as [Field, Field];
      const present = validity(n, (i) => !Number.isNaN(lat[i] as number) || !Number.isNaN(lon[i] as number));
      return makeData({
        type: struct,
        length: n,
        nullBitmap: present.bitmap,
        nullCount: present.nulls,
        children: [
          float64Data(latField.type, lat, n, (i) => !Number.isNaN(lat[i] as number)),
          float64Data(lonField.type, lon, n, (i) => !Number.isNaN(lon[i] as number)),
        ],
      });
    },
  };
  const children = arrow.fields.map((f) => {
    const build = data[f.name];
    if (!build) throw new Error(`measurementsTable has no builder for column ${f.name}.`);
    return build(f.type);
  });
  const batch = makeData({ type: new Struct(arrow.fields), length: n, nullCount: 0, children });
  return new Table(arrow, [new RecordBatch(arrow, batch)]);
}
