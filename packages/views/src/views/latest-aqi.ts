import { aqiCategorySql, aqiSql, truncatedPm25Sql } from "./aqi.js";
import { MAIN_POLLUTANTS, pollutantListSql, ugm3ValueSql } from "./pollutants.js";

export interface LatestAqiSqlParams {
  /** Validated database identifier, e.g. `openaq_dev`. */
  database: string;
  /** Validated positive integer: UTC days in the window, today included. */
  windowDays: number;
}

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
    .map((p) => `    max(CASE WHEN parameter = '${p.parameter}' THEN value END) AS ${p.parameter},`)
    .join("\n");
  return `CREATE OR REPLACE VIEW ${database}.view_latest_aqi AS
-- One row per location with a valid reading in the last ${windowDays} UTC day(s), today included.
-- Only the window's partitions are read, so the cost does not grow with history.
WITH readings AS (
  SELECT
    m.location_id,
    m.parameter,
    m.datetime,
    ${ugm3ValueSql("m")} AS value_ugm3
  FROM ${database}.measurements m
  -- The window is a predicate on the string partition columns alone, against one value computed
  -- per query from current_date (UTC): DuckDB turns it into a hive file filter and Athena checks it
  -- against each (projected) partition before reading S3. 'YYYY-MM-DD' strings sort like dates
  -- because month and day are zero-padded. Cost stays flat as history grows.
  WHERE ${windowPartitionPredicate("m", windowDays)}
    AND m.parameter IN (${pollutantListSql()})
),
valid AS (
  SELECT location_id, parameter, datetime, value_ugm3,
         max(datetime) OVER (PARTITION BY location_id, parameter) AS last_datetime
  FROM readings
  WHERE value_ugm3 IS NOT NULL
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
    -- the AQI uses PM2.5 truncated to 0.1 µg/m³ (EPA rule)
    max(CASE WHEN parameter = 'pm25' THEN ${truncatedPm25Sql("value")} END) AS pm25_truncated
  FROM latest_per_parameter
  GROUP BY location_id
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
  ${aqiSql("p.pm25_truncated")} AS aqi,
  ${aqiCategorySql("p.pm25_truncated")} AS aqi_category
FROM per_location p
LEFT JOIN location_snapshot s ON s.location_id = p.location_id`;
}
