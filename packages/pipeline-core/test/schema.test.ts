import { describe, expect, it } from "vitest";
import {
  arrowSchema,
  athenaCreateTableDdl,
  glueColumns,
  gluePartitionKeys,
  locations,
  type MeasurementRow,
  measurements,
  sqlColumns,
  TableBuilder,
  tableFromRows,
} from "../src/index.js";

const row: MeasurementRow = {
  location_id: 2161,
  sensor_id: 7772,
  parameter_id: 2,
  parameter: "pm25",
  value: 35.5,
  unit: "µg/m³",
  datetime: Date.UTC(2024, 2, 1, 13),
  datetime_to: Date.UTC(2024, 2, 1, 14),
  period_label: "1hour",
  period_seconds: 3600,
  coverage_percent: 100,
  has_flags: false,
  coordinates: { lat: 21.02, lon: 105.85 },
};

describe("dataset schemas: one definition, every form", () => {
  it("holds the seed's fields with the seed's types", () => {
    const hive = Object.fromEntries(glueColumns(measurements).map((c) => [c.name, c.type]));
    expect(hive).toMatchObject({
      location_id: "int",
      parameter: "string",
      value: "double",
      unit: "string",
      datetime: "timestamp",
      coordinates: "struct<lat:double,lon:double>",
    });
    expect(gluePartitionKeys(measurements).map((c) => `${c.name}:${c.type}`)).toEqual([
      "year:string",
      "month:string",
      "day:string",
    ]);
  });

  it("derives Arrow, Hive, Trino and DuckDB column lists from the same columns in the same order", () => {
    for (const ds of [measurements, locations]) {
      const names = ds.columns.map((c) => c.name);
      expect(arrowSchema(ds).fields.map((f) => f.name)).toEqual(names);
      for (const dialect of ["hive", "trino", "duckdb"] as const) {
        expect(sqlColumns(ds, dialect).map((c) => c.name)).toEqual(names);
      }
    }
    expect(sqlColumns(measurements, "trino").find((c) => c.name === "datetime")?.type).toBe("timestamp(3)");
    expect(sqlColumns(measurements, "duckdb").find((c) => c.name === "coordinates")?.type).toBe(
      "STRUCT(lat DOUBLE, lon DOUBLE)",
    );
    const ts = arrowSchema(measurements).fields.find((f) => f.name === "datetime");
    expect(String(ts?.type)).toBe("Timestamp<MILLISECOND, UTC>");
    expect(ts?.nullable).toBe(false);
  });

  it("renders Athena DDL with partition projection over the lake layout", () => {
    const ddl = athenaCreateTableDdl(measurements, {
      database: "openaq_dev",
      location: "s3://lake-bucket/dev/processed/measurements",
    });
    expect(ddl).toContain("CREATE EXTERNAL TABLE IF NOT EXISTS `openaq_dev`.`measurements`");
    expect(ddl).toContain("PARTITIONED BY (`year` string, `month` string, `day` string)");
    expect(ddl).toContain(
      // biome-ignore lint/suspicious/noTemplateCurlyInString: Athena's own placeholder syntax
      "'storage.location.template'='s3://lake-bucket/dev/processed/measurements/year=${year}/month=${month}/day=${day}/'",
    );
    expect(() =>
      athenaCreateTableDdl(measurements, { database: "openaq_dev'", location: "s3://b/x" }),
    ).toThrow(/Invalid database/);
    expect(() =>
      athenaCreateTableDdl(measurements, { database: "openaq_dev", location: "s3://b/x'; DROP" }),
    ).toThrow(/Invalid table location/);
  });
});

describe("TableBuilder", () => {
  it("builds typed columns with nulls, struct nulls and UTC millisecond timestamps", () => {
    const table = tableFromRows(measurements, [
      row,
      { ...row, sensor_id: 7773, value: -1.5, coordinates: null, has_flags: null, datetime_to: null },
    ]);
    expect(table.numRows).toBe(2);
    const rows = table.toArray().map((r) => r.toJSON());
    expect(rows[0]).toMatchObject({ location_id: 2161, value: 35.5, unit: "µg/m³", datetime: row.datetime });
    expect(rows[0]?.coordinates?.toJSON()).toEqual({ lat: 21.02, lon: 105.85 });
    expect(rows[1]?.coordinates).toBeNull();
    expect(rows[1]?.has_flags).toBeNull();
    expect(rows[1]?.value).toBe(-1.5);
  });

  it.each([
    [{ ...row, location_id: "2161" }, /Row 0: column location_id expects an integer, got "2161"/],
    [{ ...row, location_id: 1.5 }, /location_id expects a 32-bit integer/],
    [{ ...row, value: null }, /column value expects a value \(the column is required\)/],
    [
      { ...row, datetime: "2024-03-01T00:00:00Z" },
      /datetime expects a timestamp as integer epoch milliseconds/,
    ],
    [{ ...row, coordinates: { lat: "21", lon: 105 } }, /coordinates\.lat expects a number/],
    [{ ...row, extra: 1 }, /column extra is not part of dataset measurements/],
  ])("rejects a row that does not match the schema (%#)", (bad, message) => {
    const b = new TableBuilder(measurements);
    expect(() => b.append(bad as unknown as MeasurementRow)).toThrow(message);
    expect(() => b.append(row)).toThrow(/already failed/);
  });
});
