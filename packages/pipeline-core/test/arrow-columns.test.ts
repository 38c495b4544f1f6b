import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  BOOL_FALSE,
  BOOL_NULL,
  BOOL_TRUE,
  type ColumnsInputOf,
  defineDataset,
  encodeParquet,
  growVector,
  LocalFolderStore,
  type LocationRow,
  locations,
  type MeasurementRow,
  measurements,
  optional,
  readRows,
  required,
  t,
  tableFromColumns,
  tableFromRows,
  writePartition,
} from "../src/index.js";

const HOUR = 3_600_000;
const T0 = Date.UTC(2024, 2, 1, 13);

/** Three measurement rows: all present; every optional column null; a struct with a null field and a null dictionary entry. */
const rows: MeasurementRow[] = [
  {
    location_id: 3001,
    sensor_id: 9101,
    parameter_id: 2,
    parameter: "pm25",
    value: 12.25,
    unit: "µg/m³",
    datetime: T0,
    datetime_to: T0 + HOUR,
    period_label: "1hour",
    period_seconds: 3600,
    coverage_percent: 100,
    has_flags: false,
    coordinates: { lat: 16.46, lon: 107.59 },
  },
  {
    location_id: 3002,
    sensor_id: 9105,
    parameter_id: 8,
    parameter: "co",
    value: -0.75,
    unit: "ppm",
    // Before 1970 and past 2^32 ms: both halves of the int64, and a negative one.
    datetime: -2 * 4294967296 - 123,
    // Every optional column null.
    coordinates: null,
    has_flags: null,
    coverage_percent: null,
    period_seconds: null,
    period_label: null,
    datetime_to: null,
  },
  {
    location_id: 3001,
    sensor_id: 9102,
    parameter_id: 2,
    parameter: "pm25",
    value: 0,
    unit: "µg/m³",
    datetime: T0 + HOUR,
    datetime_to: T0 + 2 * HOUR,
    period_label: null,
    period_seconds: 3600,
    coverage_percent: 87.5,
    has_flags: true,
    coordinates: { lat: null, lon: 107.59 },
  },
];

/** The same rows as column vectors, in every form a column of its kind takes. */
function columns(): ColumnsInputOf<typeof measurements> {
  return {
    location_id: Int32Array.of(3001, 3002, 3001),
    sensor_id: Int32Array.of(9101, 9105, 9102),
    parameter_id: Int32Array.of(2, 8, 2),
    parameter: { refs: Int32Array.of(0, 1, 0), dictionary: ["pm25", "co"] },
    value: Float64Array.of(12.25, -0.75, 0),
    unit: ["µg/m³", "ppm", "µg/m³"],
    datetime: Float64Array.of(T0, -2 * 4294967296 - 123, T0 + HOUR),
    datetime_to: Float64Array.of(T0 + HOUR, Number.NaN, T0 + 2 * HOUR),
    // -1 and a null entry are both null.
    period_label: { refs: Int32Array.of(0, -1, 1), dictionary: ["1hour", null] },
    period_seconds: { values: Int32Array.of(3600, 0, 3600), valid: Uint8Array.of(1, 0, 1) },
    coverage_percent: Float64Array.of(100, Number.NaN, 87.5),
    has_flags: Uint8Array.of(BOOL_FALSE, BOOL_NULL, BOOL_TRUE),
    coordinates: {
      // The fields under the null struct slot hold values; they must read as null all the same.
      fields: { lat: Float64Array.of(16.46, 1, Number.NaN), lon: Float64Array.of(107.59, 2, 107.59) },
      valid: Uint8Array.of(1, 0, 1),
    },
  };
}

describe("tableFromColumns", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "lake-columns-"));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it("encodes exactly what tableFromRows encodes for the same rows: the same Parquet bytes", async () => {
    const fromColumns = await encodeParquet(tableFromColumns(measurements, 3, columns()));
    const fromRows = await encodeParquet(tableFromRows(measurements, rows));
    expect(Buffer.from(fromColumns).equals(Buffer.from(fromRows))).toBe(true);
  });

  it("makes the fields of a null struct slot null in the Arrow table too, as tableFromRows does", () => {
    const fieldsOf = (table: ReturnType<typeof tableFromRows>) => {
      const coordinates = table.getChild("coordinates");
      return ["lat", "lon"].map((name) => {
        const field = coordinates?.getChild(name);
        return { nullCount: field?.nullCount, values: [0, 1, 2].map((i) => field?.get(i)) };
      });
    };
    const expected = [
      { nullCount: 2, values: [16.46, null, null] },
      { nullCount: 1, values: [107.59, null, 107.59] },
    ];
    expect(fieldsOf(tableFromColumns(measurements, 3, columns()))).toEqual(expected);
    expect(fieldsOf(tableFromRows(measurements, rows))).toEqual(expected);
  });

  it("round-trips through the writer and the reader, nulls included", async () => {
    const store = new LocalFolderStore(dir);
    const table = tableFromColumns(measurements, 3, columns());
    await writePartition({ store, env: "dev", dataset: measurements, day: "2024-03-01", table });
    const back = [];
    for await (const r of readRows({ store, env: "dev", dataset: measurements })) back.push(r);
    const asWritten = rows.map((r) => ({
      ...r,
      datetime: new Date(r.datetime),
      datetime_to: r.datetime_to === null ? null : new Date(r.datetime_to),
      year: "2024",
      month: "03",
      day: "01",
    }));
    expect(back).toEqual(asWritten);
  });

  it("reads only the first `length` entries, so growable buffers go in as they are", async () => {
    let ids = new Int32Array(2);
    ids = growVector(ids, 3);
    expect(ids.length).toBe(4);
    ids.set([3001, 3002, 3001, 99]);
    const longer = { ...columns(), location_id: ids, value: Float64Array.of(12.25, -0.75, 0, Number.NaN) };
    const a = await encodeParquet(tableFromColumns(measurements, 3, longer));
    const b = await encodeParquet(tableFromColumns(measurements, 3, columns()));
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
  });

  it("takes plain string arrays, required booleans and int64 with validity", async () => {
    const loc: LocationRow = {
      location_id: 3001,
      name: "Huế - Phú Hội",
      locality: null,
      city: "Huế",
      country_code: "VN",
      country_name: null,
      provider: "AirGradient",
      owner: null,
      timezone: "Asia/Bangkok",
      is_monitor: false,
      is_mobile: true,
      coordinates: { lat: 16.46, lon: 107.59 },
      datetime_first: Date.UTC(2022, 5, 1),
      datetime_last: null,
    };
    const table = tableFromColumns(locations, 1, {
      location_id: Int32Array.of(3001),
      name: ["Huế - Phú Hội"],
      locality: [null],
      city: ["Huế"],
      country_code: ["VN"],
      country_name: [null],
      provider: ["AirGradient"],
      owner: [null],
      timezone: ["Asia/Bangkok"],
      is_monitor: Uint8Array.of(BOOL_FALSE),
      is_mobile: Uint8Array.of(BOOL_TRUE),
      coordinates: { fields: { lat: Float64Array.of(16.46), lon: Float64Array.of(107.59) } },
      datetime_first: Float64Array.of(Date.UTC(2022, 5, 1)),
      datetime_last: Float64Array.of(Number.NaN),
    });
    const expected = await encodeParquet(tableFromRows(locations, [loc]));
    expect(Buffer.from(await encodeParquet(table)).equals(Buffer.from(expected))).toBe(true);

    const counters = defineDataset({
      name: "counters",
      description: "64-bit counters.",
      partitionKeys: [],
      columns: [optional("n", t.int64(), "A counter.")],
    });
    const big = tableFromColumns(counters, 3, {
      n: { values: BigInt64Array.of(9_007_199_254_740_993n, 0n, -5n), valid: Uint8Array.of(1, 0, 1) },
    });
    expect(big.getChild("n")?.toArray()).toEqual(BigInt64Array.of(9_007_199_254_740_993n, 0n, -5n));
    expect([0, 1, 2].map((i) => big.getChild("n")?.get(i))).toEqual([9_007_199_254_740_993n, null, -5n]);
  });

  it("accepts a required field of a struct under a null struct slot, and refuses it under a present one", () => {
    const points = defineDataset({
      name: "points",
      description: "Points.",
      partitionKeys: [],
      columns: [optional("at", t.struct(required("x", t.float64(), "X.")), "Where.")],
    });
    const table = tableFromColumns(points, 2, {
      at: { fields: { x: Float64Array.of(1.5, Number.NaN) }, valid: Uint8Array.of(1, 0) },
    });
    expect(table.toArray().map((r) => r.toJSON().at?.toJSON() ?? null)).toEqual([{ x: 1.5 }, null]);
    expect(() =>
      tableFromColumns(points, 2, { at: { fields: { x: Float64Array.of(1.5, Number.NaN) } } }),
    ).toThrow(/Row 1: column at\.x expects a value \(the column is required\), got null/);
  });

  it.each([
    [
      "a NaN float64",
      { value: Float64Array.of(35.5, Number.NaN, 0) },
      /Row 1: column value expects a value \(the column is required\)/,
    ],
    [
      "a clear validity byte",
      { location_id: { values: Int32Array.of(1, 2, 3), valid: Uint8Array.of(1, 1, 0) } },
      /Row 2: column location_id expects a value/,
    ],
    [
      "a -1 dictionary index",
      { parameter: { refs: Int32Array.of(0, -1, 0), dictionary: ["pm25"] } },
      /Row 1: column parameter expects a value/,
    ],
    [
      "a null dictionary entry",
      { unit: { refs: Int32Array.of(0, 0, 1), dictionary: ["ppm", null] } },
      /Row 2: column unit expects a value/,
    ],
    ["a null in a plain string array", { unit: ["ppm", null, "ppm"] }, /Row 1: column unit expects a value/],
    [
      "a NaN timestamp",
      { datetime: Float64Array.of(T0, T0, Number.NaN) },
      /Row 2: column datetime expects a value/,
    ],
  ])("refuses a null in a required column: %s", (_, bad, message) => {
    const call = () =>
      tableFromColumns(measurements, 3, { ...columns(), ...bad } as ColumnsInputOf<typeof measurements>);
    expect(call).toThrow(message);
    expect(call).toThrow(expect.objectContaining({ code: "SCHEMA_MISMATCH" }));
  });

  it("refuses a boolean null in a required column", () => {
    const one = (is_monitor: Uint8Array) =>
      tableFromColumns(locations, 1, {
        location_id: Int32Array.of(1),
        name: [null],
        locality: [null],
        city: ["x"],
        country_code: ["VN"],
        country_name: [null],
        provider: [null],
        owner: [null],
        timezone: ["UTC"],
        is_monitor,
        is_mobile: Uint8Array.of(BOOL_FALSE),
        coordinates: {
          fields: { lat: Float64Array.of(Number.NaN), lon: Float64Array.of(Number.NaN) },
          valid: Uint8Array.of(0),
        },
        datetime_first: Float64Array.of(Number.NaN),
        datetime_last: Float64Array.of(Number.NaN),
      });
    expect(one(Uint8Array.of(BOOL_TRUE)).numRows).toBe(1);
    expect(() => one(Uint8Array.of(BOOL_NULL))).toThrow(/Row 0: column is_monitor expects a value/);
    expect(() => one(Uint8Array.of(7))).toThrow(/Row 0: column is_monitor expects a value/);
  });

  it.each([
    [
      "a vector shorter than the table",
      { sensor_id: Int32Array.of(1, 2) },
      /Column sensor_id has 2 values, fewer than the table's 3 rows/,
    ],
    [
      "validity shorter than the table",
      { period_seconds: { values: Int32Array.of(1, 2, 3), valid: Uint8Array.of(1) } },
      /Column period_seconds has 1 values, fewer than the table's 3 rows/,
    ],
    [
      "a struct field shorter than the table",
      { coordinates: { fields: { lat: Float64Array.of(1, 2, 3), lon: Float64Array.of(1) } } },
      /Column coordinates\.lon has 1 values/,
    ],
    [
      "a fractional timestamp",
      { datetime_to: Float64Array.of(T0, T0 + 0.5, T0) },
      /Row 1: column datetime_to expects a timestamp as integer epoch milliseconds, got 1709298000000\.5/,
    ],
    [
      "an infinite timestamp",
      { datetime_to: Float64Array.of(T0, Number.POSITIVE_INFINITY, T0) },
      /Row 1: column datetime_to expects a timestamp as integer epoch milliseconds, got Infinity/,
    ],
    [
      "a dictionary index past the end",
      { parameter: { refs: Int32Array.of(0, 2, 0), dictionary: ["pm25", "co"] } },
      /Row 1: column parameter expects a dictionary index from -1 to 1, got 2/,
    ],
    [
      "a dictionary entry that is no string",
      { parameter: { refs: Int32Array.of(0, 0, 0), dictionary: [5] } },
      /Column parameter expects a string or null at dictionary index 0, got 5/,
    ],
    [
      "a vector of the wrong type",
      { location_id: Float64Array.of(1, 2, 3) },
      /Column location_id expects Int32Array or \{ values: Int32Array, valid: Uint8Array \}, got a Float64Array/,
    ],
    ["a missing column", { value: undefined }, /Column value has no vector/],
    [
      "an unknown column",
      { extra: Int32Array.of(1, 2, 3) },
      /Column extra is not part of dataset measurements/,
    ],
    [
      "an unknown struct field",
      {
        coordinates: {
          fields: {
            lat: Float64Array.of(1, 2, 3),
            lon: Float64Array.of(1, 2, 3),
            alt: Float64Array.of(1, 2, 3),
          },
        },
      },
      /Column coordinates\.alt is not a field of coordinates/,
    ],
  ])("refuses %s, naming the column", (_, bad, message) => {
    const call = () =>
      tableFromColumns(measurements, 3, { ...columns(), ...bad } as unknown as ColumnsInputOf<
        typeof measurements
      >);
    expect(call).toThrow(message);
    expect(call).toThrow(expect.objectContaining({ code: "SCHEMA_MISMATCH" }));
  });

  it("refuses a length that is not a row count", () => {
    expect(() => tableFromColumns(measurements, -1, columns())).toThrow(/whole number of rows, got -1/);
    expect(() => tableFromColumns(measurements, 1.5, columns())).toThrow(/whole number of rows, got 1\.5/);
  });

  it("makes a missing, unknown or mistyped column a compile error (each also refused at run time)", () => {
    const { location_id: _, ...withoutLocation } = columns();
    // @ts-expect-error location_id is missing
    expect(() => tableFromColumns(measurements, 3, withoutLocation)).toThrow(
      /Column location_id has no vector/,
    );
    expect(() =>
      tableFromColumns(measurements, 3, {
        ...columns(),
        // @ts-expect-error measurements has no column `extra`
        extra: Int32Array.of(1, 2, 3),
      }),
    ).toThrow(/Column extra is not part of dataset measurements/);
    expect(() =>
      tableFromColumns(measurements, 3, {
        ...columns(),
        // @ts-expect-error an int32 column is an Int32Array, not a Float64Array
        sensor_id: Float64Array.of(1, 2, 3),
      }),
    ).toThrow(/Column sensor_id expects Int32Array/);
    expect(() =>
      tableFromColumns(measurements, 3, {
        ...columns(),
        // @ts-expect-error has_flags is a Uint8Array of tri-state bytes, not booleans
        has_flags: [true, false, null],
      }),
    ).toThrow(/Column has_flags expects a Uint8Array/);
    expect(() =>
      tableFromColumns(measurements, 3, {
        ...columns(),
        // @ts-expect-error struct fields are vectors too
        coordinates: { fields: { lat: [1, 2, 3], lon: Float64Array.of(1, 2, 3) } },
      }),
    ).toThrow(/Column coordinates\.lat expects a Float64Array/);
  });
});
