import { rm } from "node:fs/promises";
import { DuckDBInstance } from "@duckdb/node-api";
import { place, reading, tempLake, writeLake } from "@openaq-lakehouse/test-support/lake";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

/** Rows → Parquet through the writer → read back by DuckDB as Athena would: Hive partitions, UTC, structs. */
describe("round trip through DuckDB", () => {
  let dir: string;
  // One full row (a sub-second timestamp, a struct) and one with every optional column null.
  const m = [
    reading({
      location_id: 2161,
      sensor_id: 7772,
      parameter: "pm25",
      value: 35.5,
      datetime: Date.UTC(2024, 2, 1, 23, 0, 0, 125),
      datetime_to: Date.UTC(2024, 2, 2, 0),
      coverage_percent: 87.5,
      has_flags: true,
      coordinates: { lat: 21.0245, lon: 105.84117 },
    }),
    reading({
      location_id: 2162,
      sensor_id: 7780,
      parameter: "co",
      value: -0.25,
      unit: "ppm",
      datetime: Date.UTC(2024, 2, 1, 0),
      datetime_to: null,
      period_label: null,
      period_seconds: null,
      coverage_percent: null,
      has_flags: null,
      coordinates: null,
    }),
  ];
  const loc = place({
    location_id: 2161,
    name: "Hà Nội - Hoàn Kiếm",
    city: "Hà Nội",
    timezone: "Asia/Bangkok",
    datetime_first: Date.UTC(2016, 0, 1),
  });

  beforeAll(async () => {
    dir = await tempLake("lake-duck");
    await writeLake(dir, { measurements: m, snapshots: { "2024-03-01": [loc] } });
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it("reads the same values, UTC timestamps, intact structs and string partitions", async () => {
    const db = await DuckDBInstance.create(":memory:");
    const con = await db.connect();
    await con.run("SET TimeZone = 'Asia/Ho_Chi_Minh'"); // a non-UTC session must not shift the instants
    const reader = await con.runAndReadAll(`
      SELECT location_id, parameter, value, unit,
             strftime(datetime AT TIME ZONE 'UTC', '%Y-%m-%d %H:%M:%S.%g') AS utc,
             coordinates.lat AS lat, coordinates.lon AS lon, coordinates IS NULL AS no_coords,
             has_flags, year, month, day
      FROM read_parquet('${dir}/dev/processed/measurements/**/*.parquet', hive_partitioning = true,
                        hive_types = {'year': VARCHAR, 'month': VARCHAR, 'day': VARCHAR})
      ORDER BY location_id`);
    const rows = reader.getRowObjectsJson();
    expect(rows).toEqual([
      {
        location_id: 2161,
        parameter: "pm25",
        value: 35.5,
        unit: "µg/m³",
        utc: "2024-03-01 23:00:00.125",
        lat: 21.0245,
        lon: 105.84117,
        no_coords: false,
        has_flags: true,
        year: "2024",
        month: "03",
        day: "01",
      },
      {
        location_id: 2162,
        parameter: "co",
        value: -0.25,
        unit: "ppm",
        utc: "2024-03-01 00:00:00.000",
        lat: null,
        lon: null,
        no_coords: true,
        has_flags: null,
        year: "2024",
        month: "03",
        day: "01",
      },
    ]);
    const schema = (
      await con.runAndReadAll(
        `SELECT s.name, s.type, s.logical_type, m.compression FROM parquet_metadata('${dir}/dev/processed/measurements/year=2024/month=03/day=01/part-00000.parquet') m
         JOIN parquet_schema('${dir}/dev/processed/measurements/year=2024/month=03/day=01/part-00000.parquet') s ON s.name = m.path_in_schema
         WHERE s.name = 'datetime'`,
      )
    ).getRowObjectsJson();
    expect(schema[0]).toMatchObject({ name: "datetime", type: "INT64", compression: "SNAPPY" });
    expect(String(schema[0]?.logical_type)).toMatch(/isAdjustedToUTC=1.*MILLIS|MILLIS.*isAdjustedToUTC=1/i);
    const city = (
      await con.runAndReadAll(
        `SELECT city, locality, datetime_last FROM read_parquet('${dir}/dev/processed/locations/**/*.parquet')`,
      )
    ).getRowObjectsJson();
    expect(city).toEqual([{ city: "Hà Nội", locality: null, datetime_last: null }]);
    con.closeSync();
  });
});
