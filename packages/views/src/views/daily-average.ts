import { aqiCategorySql, aqiSql, truncatedPm25Sql } from "./aqi.js";
import { fillValueRunsSql } from "./fill-values.js";
import {
  type Averaging,
  exceededColumn,
  HEADLINE_LIMITS,
  type LimitStandard,
  limitKeys,
  limitValueSql,
} from "./limits.js";
import { MAIN_POLLUTANTS, pollutantListSql, readingColumnsSql } from "./pollutants.js";
import { vnCategorySql, vnOverallSql, vnSubIndexSql } from "./vn-aqi.js";

export interface DailyAverageSqlParams {
  /** Validated database identifier, e.g. `openaq_dev`. */
  database: string;
}

/**
 * Hours in a local day. Vietnam (UTC+7) has no daylight saving time, so every local day has 24
 * hours; a DST zone would have 23- or 25-hour days once a year and be judged against 24.
 */
export const HOURS_PER_DAY = 24;
/**
 * A 24-hour mean counts (for the US EPA daily AQI, the VN_AQI PM sub-indices and the 24-hour limits)
 * only with at least 75% of the day's hours: EPA's rule, applied to VN_AQI and QCVN too.
 */
export const DAILY_MIN_HOURS = 18;
/** An 8-hour mean (O3, CO) counts with at least 6 of its 8 hours (75%). */
export const EIGHT_HOUR_MIN_HOURS = 6;
/** Pollutants with an 8-hour averaging time (VN_AQI O3; QCVN O3 and CO; WHO O3). */
export const EIGHT_HOUR_POLLUTANTS: readonly string[] = ["o3", "co"];

const POLLUTANTS = MAIN_POLLUTANTS.map((p) => p.parameter);

/** Daily VN_AQI sub-index columns, in output order, with the SQL of each (over the `measures` CTE). */
export const DAILY_VN_SUB_INDICES: ReadonlyArray<{ parameter: string; sql: string }> = [
  { parameter: "pm25", sql: vnSubIndexSql("pm25", "pm25_24h") },
  { parameter: "pm10", sql: vnSubIndexSql("pm10", "pm10_24h") },
  // O3: the larger of the day's maximum 1-hour and maximum 8-hour sub-indices
  {
    parameter: "o3",
    sql: largerSql(vnSubIndexSql("o3_1h", "max_1h_o3"), vnSubIndexSql("o3_8h", "max_8h_o3")),
  },
  { parameter: "co", sql: vnSubIndexSql("co", "max_1h_co") },
  { parameter: "so2", sql: vnSubIndexSql("so2", "max_1h_so2") },
  { parameter: "no2", sql: vnSubIndexSql("no2", "max_1h_no2") },
];

/** The larger of two nullable INTEGER expressions, NULL only when both are NULL. */
function largerSql(a: string, b: string): string {
  return `CASE WHEN (${a}) IS NULL THEN (${b}) WHEN (${b}) IS NULL OR (${a}) >= (${b}) THEN (${a}) ELSE (${b}) END`;
}

/** The day's value a limit of this averaging time is compared with (columns of `measures`). */
function measureColumn(code: string): string {
  const [pollutant, averaging] = code.split("/") as [string, Averaging];
  return { "1h": `max_1h_${pollutant}`, "8h": `max_8h_${pollutant}`, "24h": `${pollutant}_24h` }[averaging];
}

function exceededSql(standard: LimitStandard, code: string): string {
  const measure = measureColumn(code);
  const limit = limitValueSql(standard, code, "day");
  return `CASE WHEN ${measure} IS NULL OR (${limit}) IS NULL THEN NULL ELSE ${measure} > (${limit}) END`;
}

function exceededListSql(standard: LimitStandard): string {
  const codes = limitKeys(standard).map(
    (code) =>
      `CASE WHEN ${measureColumn(code)} > (${limitValueSql(standard, code, "day")}) THEN '${code}' END`,
  );
  return `concat_ws(',', ${codes.join(",\n      ")})`;
}

const EIGHT_LAGS = [1, 2, 3, 4, 5, 6, 7];

/** The 7 previous hours of each hourly row of the same series: their hour numbers and means. */
function eightHourLagsSql(): string {
  const over = "OVER (PARTITION BY location_id, timezone, parameter ORDER BY idx)";
  return EIGHT_LAGS.map(
    (k) => `    lag(idx, ${k}) ${over} AS idx_${k},\n    lag(value, ${k}) ${over} AS value_${k}`,
  ).join(",\n");
}

/** Sum and count of the hours present among the row's hour and the 7 hours before it. */
function trailingEightHourSql(): { sum: string; count: string } {
  const inWindow = (k: number) => `idx - idx_${k} <= 7`;
  return {
    sum: [
      "value",
      ...EIGHT_LAGS.map((k) => `coalesce(CASE WHEN ${inWindow(k)} THEN value_${k} END, 0.0)`),
    ].join("\n        + "),
    count: ["1", ...EIGHT_LAGS.map((k) => `CASE WHEN ${inWindow(k)} THEN 1 ELSE 0 END`)].join("\n        + "),
  };
}

export function dailyAverageSql({ database }: DailyAverageSqlParams): string {
  const byParameter = (fn: (p: string) => string) => POLLUTANTS.map((p) => `    ${fn(p)},`).join("\n");
  const eight = trailingEightHourSql();
  const headline = HEADLINE_LIMITS.map(
    (h) => `  ${exceededSql(h.standard, h.code)} AS ${exceededColumn(h.standard, h.code)},`,
  );
  return `CREATE OR REPLACE VIEW ${database}.view_daily_average AS
-- One row per location per LOCAL day (people read days in the station's own zone; Vietnam is UTC+7).
WITH location_snapshot AS (
  SELECT location_id, name, city, timezone
  FROM (
    SELECT l.location_id, l.name, l.city, l.timezone,
           row_number() OVER (PARTITION BY l.location_id ORDER BY l.year DESC, l.month DESC, l.day DESC) AS rn
    FROM ${database}.locations l
  ) ranked
  WHERE rn = 1
),
readings AS (
  SELECT
    ${readingColumnsSql("m")},
    -- a location missing from the snapshot falls back to UTC days; the timezone column says so
    COALESCE(s.timezone, 'UTC') AS timezone
  FROM ${database}.measurements m
  LEFT JOIN location_snapshot s ON s.location_id = m.location_id
  WHERE m.parameter IN (${pollutantListSql()})
),
-- Fill values (a constant run of 985) never count: see fill-values.ts.
fill_runs AS (
  ${fillValueRunsSql("readings")}
),
valid AS (
  SELECT r.location_id, r.timezone, r.parameter, r.datetime, r.value_ugm3
  FROM readings r
  LEFT JOIN fill_runs f ON f.sensor_id = r.sensor_id AND f.datetime = r.datetime
  WHERE r.value_ugm3 IS NOT NULL AND f.sensor_id IS NULL
),
-- measurements.datetime is a naive timestamp holding UTC: tag it as UTC explicitly, then convert
-- to the station's zone. The conversion is a time-zone database lookup (per row on DuckDB, where
-- it was most of this view's time), and readings share instants across sensors, so each distinct
-- (zone, instant) is converted once and joined back.
local_times AS (
  SELECT timezone, datetime, at_timezone(with_timezone(datetime, 'UTC'), timezone) AS local_ts
  FROM (SELECT DISTINCT timezone, datetime FROM valid) instants
),
-- Sub-hourly readings are averaged per local hour first, so a sensor reporting every 10 minutes
-- weighs the same as an hourly one. idx numbers the local hours, for the 8-hour means.
hourly AS (
  SELECT
    v.location_id,
    v.timezone,
    v.parameter,
    CAST(t.local_ts AS DATE) AS day,
    hour(t.local_ts) AS local_hour,
    date_diff('day', DATE '1970-01-01', CAST(t.local_ts AS DATE)) * 24 + hour(t.local_ts) AS idx,
    avg(v.value_ugm3) AS value,
    max(v.datetime) AS latest_datetime
  FROM valid v
  JOIN local_times t ON t.timezone = v.timezone AND t.datetime = v.datetime
  GROUP BY v.location_id, v.timezone, v.parameter, CAST(t.local_ts AS DATE), hour(t.local_ts)
),
-- The trailing 8-hour mean ending at each hour (that hour and the 7 before it, across midnight),
-- from the hours present; it counts with at least ${EIGHT_HOUR_MIN_HOURS} of the 8 (checked below).
hourly_lags AS (
  SELECT
    location_id, timezone, parameter, day, value, latest_datetime, idx,
${eightHourLagsSql()}
  FROM hourly
  WHERE parameter IN (${EIGHT_HOUR_POLLUTANTS.map((p) => `'${p}'`).join(", ")})
),
hourly_8h AS (
  SELECT
    location_id, timezone, parameter, day, value, latest_datetime,
    (${eight.sum}) / (${eight.count}) AS mean_8h,
    ${eight.count} AS hours_8h
  FROM hourly_lags
  UNION ALL
  SELECT location_id, timezone, parameter, day, value, latest_datetime, NULL AS mean_8h, NULL AS hours_8h
  FROM hourly
  WHERE parameter NOT IN (${EIGHT_HOUR_POLLUTANTS.map((p) => `'${p}'`).join(", ")})
),
daily AS (
  SELECT
    location_id,
    timezone,
    day,
${byParameter((p) => `avg(CASE WHEN parameter = '${p}' THEN value END) AS avg_${p}`)}
    -- hours observed: distinct local hours with at least one valid reading (hourly has one row per hour)
${byParameter((p) => `count(CASE WHEN parameter = '${p}' THEN 1 END) AS hours_observed_${p}`)}
${byParameter((p) => `max(CASE WHEN parameter = '${p}' THEN value END) AS max_1h_${p}`)}
${EIGHT_HOUR_POLLUTANTS.map((p) => `    max(CASE WHEN parameter = '${p}' AND hours_8h >= ${EIGHT_HOUR_MIN_HOURS} THEN mean_8h END) AS max_8h_${p},`).join("\n")}
    max(latest_datetime) AS latest_datetime_utc
  FROM hourly_8h
  GROUP BY location_id, timezone, day
),
-- 24-hour means that count: at least ${DAILY_MIN_HOURS} of the day's hours observed
measures AS (
  SELECT
    d.*,
${POLLUTANTS.map((p) => `    CASE WHEN hours_observed_${p} >= ${DAILY_MIN_HOURS} THEN avg_${p} END AS ${p}_24h`).join(",\n")}
  FROM daily d
),
indexed AS (
  SELECT
    m.*,
${DAILY_VN_SUB_INDICES.map((s) => `    ${s.sql} AS vn_aqi_${s.parameter}`).join(",\n")},
    -- US EPA daily AQI: the 24-hour mean PM2.5 truncated to 0.1 µg/m³
    ${truncatedPm25Sql("pm25_24h")} AS pm25_truncated
  FROM measures m
),
overall AS (
  SELECT
    i.*,
    ${vnOverallSql(
      DAILY_VN_SUB_INDICES.map((s) => `vn_aqi_${s.parameter}`),
      ["vn_aqi_pm25", "vn_aqi_pm10"],
    )} AS vn_aqi
  FROM indexed i
)
SELECT
  d.location_id,
  s.name AS location_name,
  s.city,
  d.timezone,
  d.day,
${POLLUTANTS.map((p) => `  d.avg_${p},`).join("\n")}
  d.hours_observed_pm25 AS hours_observed,
${POLLUTANTS.map((p) => `  d.hours_observed_${p},`).join("\n")}
  -- incomplete: fewer than 50% of the day's ${HOURS_PER_DAY} hours have PM2.5
  d.hours_observed_pm25 * 2 >= ${HOURS_PER_DAY} AS is_complete,
  ${aqiSql("d.pm25_truncated")} AS aqi,
  ${aqiCategorySql("d.pm25_truncated")} AS aqi_category,
  d.hours_observed_pm25 >= ${DAILY_MIN_HOURS} AS aqi_is_complete,
  d.vn_aqi,
  ${vnCategorySql("d.vn_aqi", "vi")} AS vn_aqi_category,
  ${vnCategorySql("d.vn_aqi", "en")} AS vn_aqi_category_en,
  ${vnCategorySql("d.vn_aqi", "color")} AS vn_aqi_color,
${DAILY_VN_SUB_INDICES.map((x) => `  d.vn_aqi_${x.parameter},`).join("\n")}
  (d.hours_observed_pm25 >= ${DAILY_MIN_HOURS} OR d.hours_observed_pm10 >= ${DAILY_MIN_HOURS}) AS vn_aqi_is_complete,
${EIGHT_HOUR_POLLUTANTS.map((p) => `  d.max_8h_${p},`).join("\n")}
  ${exceededListSql("qcvn")} AS qcvn_exceeded,
  ${limitValueSql("qcvn", "pm25/24h", "d.day")} AS qcvn_pm25_24h_limit,
  ${exceededListSql("who")} AS who_exceeded,
${headline.join("\n")}
  d.latest_datetime_utc
FROM overall d
LEFT JOIN location_snapshot s ON s.location_id = d.location_id`;
}
