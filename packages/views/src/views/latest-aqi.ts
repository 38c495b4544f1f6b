import { aqiCategorySql, aqiSql, truncatedPm25Sql } from "./aqi.js";
import { fillValueRunsSql } from "./fill-values.js";
import { NOWCAST_HOURS, NOWCAST_MIN_RECENT, NOWCAST_RECENT_HOURS, nowcastWeightSql } from "./nowcast.js";
import { MAIN_POLLUTANTS, pollutantListSql, readingColumnsSql } from "./pollutants.js";
import { vnCategorySql, vnOverallSql, vnSubIndexSql } from "./vn-aqi.js";

export interface LatestAqiSqlParams {
  /** Validated database identifier, e.g. `openaq_dev`. */
  database: string;
  /** Validated positive integer: UTC days in the window, today included. */
  windowDays: number;
}

/** PM sub-indices from the NowCast; gases from the 1-hour mean of the index hour. */
export const HOURLY_VN_SUB_INDICES: ReadonlyArray<{ parameter: string; sql: string }> = [
  { parameter: "pm25", sql: vnSubIndexSql("pm25", "pm25_nowcast") },
  { parameter: "pm10", sql: vnSubIndexSql("pm10", "pm10_nowcast") },
  { parameter: "o3", sql: vnSubIndexSql("o3_1h", "o3_1h") },
  { parameter: "co", sql: vnSubIndexSql("co", "co_1h") },
  { parameter: "so2", sql: vnSubIndexSql("so2", "so2_1h") },
  { parameter: "no2", sql: vnSubIndexSql("no2", "no2_1h") },
];

const GASES = ["o3", "co", "so2", "no2"];

/**
 * The partition predicate of the recent window: UTC days from `current_date - (windowDays - 1)`
 * to today. Why this form:
 * - It references only the string partition columns and a value computed once per query from
 *   `current_date`, so the view stays correct every day without being re-rendered.
 * - `'YYYY-MM-DD'` strings order like dates because the lake zero-pads month and day.
 * - DuckDB folds `current_date` and applies the predicate as a hive "File Filter" before opening
 *   any file (EXPLAIN ANALYZE shows `Scanning Files: k/N`; tested).
 * - Athena (Trino Hive connector) evaluates predicates that reference only partition columns
 *   against each candidate partition, the projected ones included, before it lists S3, so only the
 *   window's prefixes are read.
 * - The inner `CAST(… AS DATE)` matters: DuckDB's DATE - INTERVAL is a TIMESTAMP, whose text
 *   would carry ` 00:00:00` and compare wrongly.
 */
export function windowPartitionPredicate(alias: string, windowDays: number): string {
  return `concat(${alias}.year, '-', ${alias}.month, '-', ${alias}.day) >= CAST(CAST(current_date - INTERVAL '${windowDays - 1}' DAY AS DATE) AS VARCHAR)`;
}

export function latestAqiSql({ database, windowDays }: LatestAqiSqlParams): string {
  const pivot = MAIN_POLLUTANTS.filter((p) => p.parameter !== "pm25")
    .map((p) => `    max(CASE WHEN parameter = '${p.parameter}' THEN value END) AS ${p.parameter}`)
    .join(",\n");
  return `CREATE OR REPLACE VIEW ${database}.view_latest_aqi AS
-- One row per location with a valid reading in the last ${windowDays} UTC day(s), today included.
-- Only the window's partitions are read, so the cost does not grow with history.
WITH readings AS (
  SELECT
    ${readingColumnsSql("m")}
  FROM ${database}.measurements m
  -- The window is a predicate on the string partition columns alone, against one value computed
  -- per query from current_date (UTC): DuckDB turns it into a hive file filter and Athena checks it
  -- against each (projected) partition before reading S3. 'YYYY-MM-DD' strings sort like dates
  -- because month and day are zero-padded. Cost stays flat as history grows.
  WHERE ${windowPartitionPredicate("m", windowDays)}
    AND m.parameter IN (${pollutantListSql()})
),
-- Fill values (a constant run of 985) never count: see fill-values.ts.
fill_runs AS (
  ${fillValueRunsSql("readings")}
),
valid AS (
  SELECT r.location_id, r.parameter, r.datetime, r.value_ugm3,
         max(r.datetime) OVER (PARTITION BY r.location_id, r.parameter) AS last_datetime
  FROM readings r
  LEFT JOIN fill_runs f ON f.sensor_id = r.sensor_id AND f.datetime = r.datetime
  WHERE r.value_ugm3 IS NOT NULL AND f.sensor_id IS NULL
),
-- The latest valid reading of each pollutant; several sensors at the same instant are averaged.
latest_per_parameter AS (
  SELECT location_id, parameter, datetime, avg(value_ugm3) AS value
  FROM valid
  WHERE datetime = last_datetime
  GROUP BY location_id, parameter, datetime
),
per_location AS (
  SELECT
    location_id,
    max(datetime) AS latest_datetime_utc,
    max(CASE WHEN parameter = 'pm25' THEN value END) AS pm25,
    max(CASE WHEN parameter = 'pm25' THEN datetime END) AS pm25_datetime_utc,
${pivot}
  FROM latest_per_parameter
  GROUP BY location_id
),
-- Hourly means (UTC hours; sensors and sub-hourly readings averaged together) of complete hours
-- only: an hour counts once it has ended, so a half-filled current hour never drives the index.
hourly AS (
  SELECT location_id, parameter, date_trunc('hour', datetime) AS hour_utc, avg(value_ugm3) AS value
  FROM valid
  WHERE date_trunc('hour', datetime) < date_trunc('hour', CAST(at_timezone(current_timestamp, 'UTC') AS TIMESTAMP))
  GROUP BY location_id, parameter, date_trunc('hour', datetime)
),
-- The hour the current indices describe: the location's latest complete hour with any valid reading.
index_hour AS (
  SELECT location_id, max(hour_utc) AS aqi_hour_utc
  FROM hourly
  GROUP BY location_id
),
-- NowCast inputs: PM hourly means of the ${NOWCAST_HOURS} hours ending with the index hour; i = hours ago (c1 is i = 0).
nowcast_hours AS (
  SELECT h.location_id, h.parameter, h.value, date_diff('hour', h.hour_utc, x.aqi_hour_utc) AS i
  FROM hourly h
  JOIN index_hour x ON x.location_id = h.location_id
  WHERE h.parameter IN ('pm25', 'pm10')
    AND date_diff('hour', h.hour_utc, x.aqi_hour_utc) BETWEEN 0 AND ${NOWCAST_HOURS - 1}
),
nowcast_weights AS (
  SELECT location_id, parameter,
         ${nowcastWeightSql("min(value)", "max(value)")} AS w,
         count(CASE WHEN i < ${NOWCAST_RECENT_HOURS} THEN 1 END) AS recent_hours
  FROM nowcast_hours
  GROUP BY location_id, parameter
),
-- NowCast = Σ w^i·c / Σ w^i over the hours present; none unless ${NOWCAST_MIN_RECENT} of the ${NOWCAST_RECENT_HOURS} newest hours are there.
nowcast AS (
  SELECT n.location_id, n.parameter,
         CASE WHEN w.recent_hours >= ${NOWCAST_MIN_RECENT} THEN sum(power(w.w, n.i) * n.value) / sum(power(w.w, n.i)) END AS value
  FROM nowcast_hours n
  JOIN nowcast_weights w ON w.location_id = n.location_id AND w.parameter = n.parameter
  GROUP BY n.location_id, n.parameter, w.recent_hours
),
current_hour AS (
  SELECT
    x.location_id,
    x.aqi_hour_utc,
    max(CASE WHEN c.parameter = 'pm25' THEN c.value END) AS pm25_nowcast,
    max(CASE WHEN c.parameter = 'pm10' THEN c.value END) AS pm10_nowcast,
${GASES.map((g) => `    max(CASE WHEN h.parameter = '${g}' THEN h.value END) AS ${g}_1h`).join(",\n")}
  FROM index_hour x
  LEFT JOIN nowcast c ON c.location_id = x.location_id
  LEFT JOIN hourly h ON h.location_id = x.location_id AND h.hour_utc = x.aqi_hour_utc
  GROUP BY x.location_id, x.aqi_hour_utc
),
indexed AS (
  SELECT
    c.*,
${HOURLY_VN_SUB_INDICES.map((s) => `    ${s.sql} AS vn_aqi_${s.parameter}`).join(",\n")},
    -- US EPA: the PM2.5 NowCast truncated to 0.1 µg/m³
    ${truncatedPm25Sql("pm25_nowcast")} AS pm25_truncated
  FROM current_hour c
),
overall AS (
  SELECT
    i.*,
    ${vnOverallSql(
      HOURLY_VN_SUB_INDICES.map((s) => `vn_aqi_${s.parameter}`),
      ["vn_aqi_pm25", "vn_aqi_pm10"],
    )} AS vn_aqi
  FROM indexed i
),
-- The newest locations snapshot inside the same window (the dimension is pruned too).
location_snapshot AS (
  SELECT location_id, name, city, latitude, longitude
  FROM (
    SELECT
      l.location_id, l.name, l.city, l.coordinates.lat AS latitude, l.coordinates.lon AS longitude,
      row_number() OVER (PARTITION BY l.location_id ORDER BY l.year DESC, l.month DESC, l.day DESC) AS rn
    FROM ${database}.locations l
    WHERE ${windowPartitionPredicate("l", windowDays)}
  ) ranked
  WHERE rn = 1
)
SELECT
  p.location_id,
  s.name AS location_name,
  s.city,
  s.latitude,
  s.longitude,
  p.latest_datetime_utc,
  p.pm25,
  p.pm25_datetime_utc,
${MAIN_POLLUTANTS.filter((x) => x.parameter !== "pm25")
  .map((x) => `  p.${x.parameter},`)
  .join("\n")}
  o.aqi_hour_utc,
  o.pm25_nowcast,
  o.pm10_nowcast,
  ${aqiSql("o.pm25_truncated")} AS aqi,
  ${aqiCategorySql("o.pm25_truncated")} AS aqi_category,
  o.vn_aqi,
  ${vnCategorySql("o.vn_aqi", "vi")} AS vn_aqi_category,
  ${vnCategorySql("o.vn_aqi", "en")} AS vn_aqi_category_en,
  ${vnCategorySql("o.vn_aqi", "color")} AS vn_aqi_color,
${HOURLY_VN_SUB_INDICES.map((x) => `  o.vn_aqi_${x.parameter}`).join(",\n")}
FROM per_location p
LEFT JOIN overall o ON o.location_id = p.location_id
LEFT JOIN location_snapshot s ON s.location_id = p.location_id`;
}
