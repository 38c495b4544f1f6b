import { databaseName, type Environment } from "@openaq-lakehouse/pipeline-core";

/**
 * What a person wants to see after a run: the current VN_AQI and US EPA AQI per location and the
 * last few local days of daily averages, indices and QCVN exceedances, read from the serving views
 * (so they show exactly what dashboards see).
 */
export function summaryQueries(env: Environment, days = 3): Array<{ title: string; sql: string }> {
  if (!Number.isInteger(days) || days < 1 || days > 31) throw new Error(`days must be 1..31, got ${days}.`);
  const db = databaseName(env);
  return [
    {
      title: `Latest AQI per location (${db}.view_latest_aqi)`,
      sql: `SELECT location_id, location_name, city, aqi_hour_utc, round(pm25_nowcast, 1) AS pm25_nowcast, vn_aqi, vn_aqi_category, aqi, aqi_category
FROM ${db}.view_latest_aqi
ORDER BY vn_aqi DESC NULLS LAST, aqi DESC NULLS LAST, location_id`,
    },
    {
      title: `Daily averages, last ${days} local days (${db}.view_daily_average)`,
      sql: `SELECT day, location_id, location_name, city, round(avg_pm25, 1) AS avg_pm25, hours_observed, is_complete, vn_aqi, aqi, qcvn_exceeded
FROM ${db}.view_daily_average
WHERE day >= CAST(current_date - INTERVAL '${days - 1}' DAY AS DATE)
ORDER BY day DESC, location_id`,
    },
  ];
}
