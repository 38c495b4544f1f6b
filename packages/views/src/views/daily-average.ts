import { aqiCategorySql, aqiSql, truncatedPm25Sql } from "./aqi.js";
import { MAIN_POLLUTANTS, pollutantListSql, ugm3ValueSql } from "./pollutants.js";

export interface DailyAverageSqlParams {
  /** Validated database identifier, e.g. `openaq_dev`. */
  database: string;
}

/**
 * Hours in a local day. Vietnam (UTC+7) has no daylight saving time, so every local day has 24
 * hours; a DST zone would have 23- or 25-hour days once a year and be judged against 24.
 */
export const HOURS_PER_DAY = 24;

export function dailyAverageSql({ database }: DailyAverageSqlParams): string {
  const averages = MAIN_POLLUTANTS.map(
    (p) => `    avg(CASE WHEN parameter = '${p.parameter}' THEN value END) AS avg_${p.parameter},`,
  ).join("\n");
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
    m.location_id,
    m.parameter,
    m.datetime,
    -- a location missing from the snapshot falls back to UTC days; the timezone column says so
    COALESCE(s.timezone, 'UTC') AS timezone,
    ${ugm3ValueSql("m")} AS value_ugm3
  FROM ${database}.measurements m
  LEFT JOIN location_snapshot s ON s.location_id = m.location_id
  WHERE m.parameter IN (${pollutantListSql()})
),
-- measurements.datetime is a naive timestamp holding UTC: tag it as UTC explicitly, then convert
-- to the station's zone. The conversion is a time-zone database lookup (per row on DuckDB, where
-- it was most of this view's time), and readings share instants across sensors, so each distinct
-- (zone, instant) is converted once and joined back. The second use of readings reads only its
-- key columns (location_id, parameter, datetime), which are small in Parquet.
local_times AS (
  SELECT timezone, datetime, at_timezone(with_timezone(datetime, 'UTC'), timezone) AS local_ts
  FROM (SELECT DISTINCT timezone, datetime FROM readings) instants
),
-- Sub-hourly readings are averaged per local hour first, so a sensor reporting every 10 minutes
-- weighs the same as an hourly one.
hourly AS (
  SELECT
    r.location_id,
    r.timezone,
    r.parameter,
    CAST(t.local_ts AS DATE) AS day,
    hour(t.local_ts) AS local_hour,
    avg(r.value_ugm3) AS value,
    max(r.datetime) AS latest_datetime
  FROM readings r
  JOIN local_times t ON t.timezone = r.timezone AND t.datetime = r.datetime
  WHERE r.value_ugm3 IS NOT NULL
  GROUP BY r.location_id, r.timezone, r.parameter, CAST(t.local_ts AS DATE), hour(t.local_ts)
),
daily AS (
  SELECT
    location_id,
    timezone,
    day,
${averages}
    -- hours observed: local hours with at least one valid PM2.5 reading. PM2.5 drives the AQI,
    -- the dashboard's headline, so completeness is judged on it. (hourly has one row per hour.)
    count(CASE WHEN parameter = 'pm25' THEN 1 END) AS hours_observed,
    max(latest_datetime) AS latest_datetime_utc,
    -- the AQI uses the 24-hour mean PM2.5 truncated to 0.1 µg/m³ (EPA rule)
    ${truncatedPm25Sql("avg(CASE WHEN parameter = 'pm25' THEN value END)")} AS pm25_truncated
  FROM hourly
  GROUP BY location_id, timezone, day
)
SELECT
  d.location_id,
  s.name AS location_name,
  s.city,
  d.timezone,
  d.day,
${MAIN_POLLUTANTS.map((p) => `  d.avg_${p.parameter},`).join("\n")}
  d.hours_observed,
  -- incomplete: fewer than 50% of the day's ${HOURS_PER_DAY} hours observed
  d.hours_observed * 2 >= ${HOURS_PER_DAY} AS is_complete,
  ${aqiSql("d.pm25_truncated")} AS aqi,
  ${aqiCategorySql("d.pm25_truncated")} AS aqi_category,
  d.latest_datetime_utc
FROM daily d
LEFT JOIN location_snapshot s ON s.location_id = d.location_id`;
}
