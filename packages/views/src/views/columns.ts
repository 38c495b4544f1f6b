import { type ServingView, type SqlDialect, sqlType, t } from "@openaq-lakehouse/pipeline-core";
import { DAILY_MIN_HOURS, EIGHT_HOUR_MIN_HOURS, EIGHT_HOUR_POLLUTANTS } from "./daily-average.js";
import { exceededColumn, HEADLINE_LIMITS } from "./limits.js";
import { MAIN_POLLUTANTS } from "./pollutants.js";

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

/** The location columns both views start with, `snapshot` saying which locations snapshot names it. */
const locationColumns = (snapshot: string): ViewColumn[] => [
  col("location_id", "int32", "OpenAQ location id."),
  col("location_name", "string", `Location name from ${snapshot}.`),
  col("city", "string", "City (locality or its deterministic fallback)."),
];
const AQI_CATEGORY = col("aqi_category", "string", "US EPA AQI category name.");

const SUB_INDEX_SOURCE: Record<string, { hourly: string; daily: string }> = {
  pm25: { hourly: "the PM2.5 NowCast", daily: `the 24-hour mean PM2.5 (≥ ${DAILY_MIN_HOURS} hours)` },
  pm10: { hourly: "the PM10 NowCast", daily: `the 24-hour mean PM10 (≥ ${DAILY_MIN_HOURS} hours)` },
  o3: {
    hourly: "the 1-hour mean O3",
    daily:
      "the larger of the day's maximum 1-hour and maximum 8-hour O3 sub-indices (8-hour not used above 400 µg/m³)",
  },
  co: { hourly: "the 1-hour mean CO", daily: "the day's maximum 1-hour CO" },
  so2: { hourly: "the 1-hour mean SO2", daily: "the day's maximum 1-hour SO2" },
  no2: { hourly: "the 1-hour mean NO2", daily: "the day's maximum 1-hour NO2" },
};

function vnColumns(kind: "hourly" | "daily"): ViewColumn[] {
  const what = kind === "hourly" ? "hourly index of aqi_hour_utc" : "daily index of the local day";
  return [
    col(
      "vn_aqi",
      "int32",
      `VN_AQI (Decision 1459/QĐ-TCMT), the ${what}: the maximum sub-index, rounded; null without a PM2.5 or PM10 sub-index.`,
    ),
    col("vn_aqi_category", "string", "VN_AQI category, Vietnamese name (Tốt … Nguy hại)."),
    col("vn_aqi_category_en", "string", "VN_AQI category, English name (Good … Hazardous)."),
    col("vn_aqi_color", "string", "VN_AQI category colour as #RRGGBB (the Decision's RGB)."),
    ...["pm25", "pm10", "o3", "co", "so2", "no2"].map((p) =>
      col(`vn_aqi_${p}`, "int32", `VN_AQI sub-index from ${SUB_INDEX_SOURCE[p]?.[kind]}; null without data.`),
    ),
  ];
}

export const VIEW_COLUMNS: Readonly<Record<ServingView, readonly ViewColumn[]>> = {
  view_latest_aqi: [
    ...locationColumns("the latest locations snapshot in the window"),
    col("latitude", "float64", "Latitude, WGS84 degrees."),
    col("longitude", "float64", "Longitude, WGS84 degrees."),
    col(
      "latest_datetime_utc",
      "timestamp_ms",
      "Start (UTC) of the location's latest valid reading of any main pollutant.",
    ),
    col("pm25", "float64", `Latest PM2.5 reading, ${UGM3}; the mean over sensors at that instant.`),
    col("pm25_datetime_utc", "timestamp_ms", "Start (UTC) of the latest PM2.5 reading."),
    col("pm10", "float64", `Latest PM10, ${UGM3}.`),
    col("no2", "float64", `Latest NO2, ${UGM3}.`),
    col("o3", "float64", `Latest O3, ${UGM3}.`),
    col("co", "float64", `Latest CO, ${UGM3}.`),
    col("so2", "float64", `Latest SO2, ${UGM3}.`),
    col(
      "aqi_hour_utc",
      "timestamp_ms",
      "Start (UTC) of the hour the current indices (aqi, vn_aqi) describe: the location's latest complete hour with a valid reading.",
    ),
    col(
      "pm25_nowcast",
      "float64",
      `PM2.5 NowCast of the 12 hours ending with aqi_hour_utc, ${UGM3}; null unless 2 of the 3 newest hours have data.`,
    ),
    col("pm10_nowcast", "float64", `PM10 NowCast of the 12 hours ending with aqi_hour_utc, ${UGM3}.`),
    col("aqi", "int32", "US EPA current AQI (2024 breakpoints) of the PM2.5 NowCast; null without one."),
    AQI_CATEGORY,
    ...vnColumns("hourly"),
  ],
  view_daily_average: [
    ...locationColumns("the latest locations snapshot"),
    col("timezone", "string", "IANA zone that defines the local day (UTC when the location is unknown)."),
    col("day", "date", "The station's local calendar day."),
    ...MAIN_POLLUTANTS.map((p) =>
      col(`avg_${p.parameter}`, "float64", `Mean of the hourly ${p.parameter.toUpperCase()} means, ${UGM3}.`),
    ),
    col(
      "hours_observed",
      "int64",
      "Local hours of the day with at least one valid PM2.5 reading (= hours_observed_pm25).",
    ),
    ...MAIN_POLLUTANTS.map((p) =>
      col(
        `hours_observed_${p.parameter}`,
        "int64",
        `Local hours of the day with at least one valid ${p.parameter.toUpperCase()} reading.`,
      ),
    ),
    col("is_complete", "boolean", "False when fewer than 50% of the day's 24 hours have PM2.5."),
    col(
      "aqi",
      "int32",
      `US EPA daily AQI (2024 breakpoints) of the 24-hour mean PM2.5; null below ${DAILY_MIN_HOURS} hours of PM2.5.`,
    ),
    AQI_CATEGORY,
    col(
      "aqi_is_complete",
      "boolean",
      `True when PM2.5 has at least ${DAILY_MIN_HOURS} hours: EPA's rule for a daily AQI.`,
    ),
    ...vnColumns("daily"),
    col(
      "vn_aqi_is_complete",
      "boolean",
      `True when PM2.5 or PM10 has at least ${DAILY_MIN_HOURS} hours, so a daily VN_AQI can exist.`,
    ),
    ...EIGHT_HOUR_POLLUTANTS.map((p) =>
      col(
        `max_8h_${p}`,
        "float64",
        `The day's maximum trailing 8-hour mean ${p.toUpperCase()} (windows ending in the day, ≥ ${EIGHT_HOUR_MIN_HOURS} of 8 hours), ${UGM3}.`,
      ),
    ),
    col(
      "qcvn_exceeded",
      "string",
      "QCVN 05:2023 limits exceeded that day, comma-separated pollutant/averaging codes (e.g. pm25/24h,o3/8h); empty when none.",
    ),
    col(
      "qcvn_pm25_24h_limit",
      "float64",
      "The QCVN 24-hour PM2.5 limit in force that day, µg/m³ (50, then 45 from 2026-01-01).",
    ),
    col(
      "who_exceeded",
      "string",
      "WHO 2021 guideline levels exceeded that day (24-hour, and O3 8-hour daily maximum), comma-separated codes; empty when none.",
    ),
    ...HEADLINE_LIMITS.map((h) =>
      col(
        exceededColumn(h.standard, h.code),
        "boolean",
        `${h.standard === "qcvn" ? "QCVN 05:2023" : "WHO 2021"} ${h.code} exceeded; null when the day has no value that counts or no limit is in force.`,
      ),
    ),
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
