/**
 * The DuckDB side of "written once in Athena SQL, run unchanged locally" (README, "Written once: the
 * portable subset"): session
 * settings and macros that give DuckDB the Trino functions and semantics the views (and ad-hoc
 * `query` SQL) rely on. Nothing here rewrites SQL text; it only adds names DuckDB lacks.
 */
export const COMPAT_SETTINGS: readonly string[] = [
  // Athena runs in UTC: current_date, casts and date_trunc must agree.
  "SET TimeZone = 'UTC'",
  // Trino truncates int / int; DuckDB would return a double.
  "SET integer_division = true",
];

export const COMPAT_MACROS: readonly string[] = [
  "CREATE OR REPLACE MACRO from_iso8601_timestamp(s) AS CAST(s AS TIMESTAMPTZ)",
  "CREATE OR REPLACE MACRO from_unixtime(x) AS to_timestamp(x)",
  "CREATE OR REPLACE MACRO to_unixtime(t) AS epoch(t)",
  // Trino's date_add(unit, n, t); shadows DuckDB's own date_add(date, interval) in this catalog.
  `CREATE OR REPLACE MACRO date_add(unit, n, t) AS CASE lower(unit)
     WHEN 'second' THEN t + to_seconds(n) WHEN 'minute' THEN t + to_minutes(n) WHEN 'hour' THEN t + to_hours(n)
     WHEN 'day' THEN t + to_days(n) WHEN 'week' THEN t + to_weeks(n) WHEN 'month' THEN t + to_months(n)
     WHEN 'year' THEN t + to_years(n) END`,
  "CREATE OR REPLACE MACRO date_format(t, f) AS strftime(t, replace(replace(f, '%i', '%M'), '%s', '%S'))",
  "CREATE OR REPLACE MACRO date_parse(s, f) AS strptime(s, f)",
  `CREATE OR REPLACE MACRO format_datetime(t, f) AS strftime(t, replace(replace(replace(replace(replace(replace(f,
     'yyyy', '%Y'), 'MM', '%m'), 'dd', '%d'), 'HH', '%H'), 'mm', '%M'), 'ss', '%S'))`,
  "CREATE OR REPLACE MACRO approx_percentile(x, p) AS approx_quantile(x, p)",
  "CREATE OR REPLACE MACRO regexp_like(s, p) AS regexp_matches(s, p)",
  "CREATE OR REPLACE MACRO day_of_week(t) AS isodow(t)",
  // Time zones. Trino: with_timezone(naive, zone) reads the naive timestamp as wall time in zone;
  // at_timezone(tz, zone) shows the same instant in zone. DuckDB's timezone(zone, x) does the first
  // for a TIMESTAMP and the second for a TIMESTAMPTZ, so at_timezone(with_timezone(ts, 'UTC'), z)
  // means the same on both. Difference: DuckDB's at_timezone yields a naive local timestamp where
  // Trino's stays zone-tagged; CAST(… AS DATE), hour() and date_trunc() agree on both.
  "CREATE OR REPLACE MACRO with_timezone(t, z) AS timezone(z, t)",
  "CREATE OR REPLACE MACRO at_timezone(t, z) AS timezone(z, t)",
];
