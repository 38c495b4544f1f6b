import { type ServingView, type SqlDialect, sqlType, t } from "@openaq-lakehouse/pipeline-core";

/**
 * The output columns of each serving view, defined once. The view SQL must produce exactly these
 * names and types on both engines (a test DESCRIBEs the deployed DuckDB views against this list);
 * the infra side can import them for a Glue `VIRTUAL_VIEW` payload or the OWOX data mart schema.
 */
type ViewColumnKind = "int32" | "int64" | "float64" | "string" | "boolean" | "timestamp_ms" | "date";

export interface ViewColumn {
  readonly name: string;
  readonly kind: ViewColumnKind;
  readonly description: string;
}

const col = (name: string, kind: ViewColumnKind, description: string): ViewColumn => ({
  name,
  kind,
  description,
});

const UGM3 = "µg/m³ (ppm gas readings converted at 25 °C)";

export const VIEW_COLUMNS: Readonly<Record<ServingView, readonly ViewColumn[]>> = {
  view_latest_aqi: [
    col("location_id", "int32", "OpenAQ location id."),
    col("location_name", "string", "Location name from the latest locations snapshot in the window."),
    col("city", "string", "City (locality or its deterministic fallback)."),
    col("latitude", "float64", "Latitude, WGS84 degrees."),
    col("longitude", "float64", "Longitude, WGS84 degrees."),
    col(
      "latest_datetime_utc",
      "timestamp_ms",
      "Start (UTC) of the location's latest valid reading of any main pollutant.",
    ),
    col("pm25", "float64", `Latest PM2.5, ${UGM3}; the mean over sensors at that instant.`),
    col(
      "pm25_datetime_utc",
      "timestamp_ms",
      "Start (UTC) of the latest PM2.5 reading, the one the AQI is computed from.",
    ),
    col("pm10", "float64", `Latest PM10, ${UGM3}.`),
    col("no2", "float64", `Latest NO2, ${UGM3}.`),
    col("o3", "float64", `Latest O3, ${UGM3}.`),
    col("co", "float64", `Latest CO, ${UGM3}.`),
    col("so2", "float64", `Latest SO2, ${UGM3}.`),
    col("aqi", "int32", "US EPA AQI (2024 breakpoints) of the latest PM2.5; null without PM2.5."),
    col("aqi_category", "string", "US EPA AQI category name."),
  ],
  view_daily_average: [
    col("location_id", "int32", "OpenAQ location id."),
    col("location_name", "string", "Location name from the latest locations snapshot."),
    col("city", "string", "City (locality or its deterministic fallback)."),
    col("timezone", "string", "IANA zone that defines the local day (UTC when the location is unknown)."),
    col("day", "date", "The station's local calendar day."),
    col("avg_pm25", "float64", `Mean of the hourly PM2.5 means, ${UGM3}.`),
    col("avg_pm10", "float64", `Mean of the hourly PM10 means, ${UGM3}.`),
    col("avg_no2", "float64", `Mean of the hourly NO2 means, ${UGM3}.`),
    col("avg_o3", "float64", `Mean of the hourly O3 means, ${UGM3}.`),
    col("avg_co", "float64", `Mean of the hourly CO means, ${UGM3}.`),
    col("avg_so2", "float64", `Mean of the hourly SO2 means, ${UGM3}.`),
    col("hours_observed", "int64", "Local hours of the day with at least one valid PM2.5 reading."),
    col("is_complete", "boolean", "False when fewer than 50% of the day's 24 hours have PM2.5."),
    col("aqi", "int32", "US EPA AQI (2024 breakpoints) of the 24-hour mean PM2.5."),
    col("aqi_category", "string", "US EPA AQI category name."),
    col("latest_datetime_utc", "timestamp_ms", "Start (UTC) of the day's latest valid reading (freshness)."),
  ],
};

const DATE_TYPE: Record<SqlDialect, string> = { hive: "date", trino: "date", duckdb: "DATE" };

/** The column's type in a dialect: `hive` for Glue, `trino` for the Presto view payload, `duckdb` locally. */
export function viewColumnType(column: ViewColumn, dialect: SqlDialect): string {
  if (column.kind === "date") return DATE_TYPE[dialect];
  const scalar = {
    int32: t.int32,
    int64: t.int64,
    float64: t.float64,
    string: t.string,
    boolean: t.boolean,
    timestamp_ms: t.timestampMs,
  }[column.kind]();
  return sqlType(scalar, dialect);
}

/** `[{ name, type, comment }]` of a view in a dialect, in output order. */
export function viewColumns(
  view: ServingView,
  dialect: SqlDialect,
): Array<{ name: string; type: string; comment: string }> {
  return VIEW_COLUMNS[view].map((c) => ({
    name: c.name,
    type: viewColumnType(c, dialect),
    comment: c.description,
  }));
}
