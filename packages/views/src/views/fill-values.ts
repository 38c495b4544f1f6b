/**
 * "No data" values that data loggers write and that must never reach a value or an index.
 *
 * - Negative sentinels (−999, −9999, …) are quarantined by the transform and never reach processed;
 *   any other negative value is kept in processed and ignored by the views ("values < 0 never count").
 * - 985 is a fill value seen at one Vietnam station. A single 985 µg/m³ could be a real (extreme)
 *   reading, so only a constant run counts: a reading of exactly `value` whose sensor has another
 *   reading of exactly `value` starting at most `runWithinSeconds` before or after it (for an hourly
 *   sensor, the neighbouring hour). Readings in such a run are left out everywhere.
 */
export interface FillValueRun {
  readonly value: number;
  readonly runWithinSeconds: number;
  readonly source: string;
}

export const FILL_VALUE_RUNS: readonly FillValueRun[] = [
  { value: 985, runWithinSeconds: 3600, source: "Vietnam station data: a constant 985 at one station" },
];

/** SQL: `value IN (985, …)` for the raw value column. */
export function fillValueCandidateSql(value: string): string {
  return `${value} IN (${FILL_VALUE_RUNS.map((f) => `${f.value}.0`).join(", ")})`;
}

/**
 * A CTE body selecting (sensor_id, datetime) of readings inside a fill-value run, from a relation
 * `source` with sensor_id, datetime and the raw `value`. It only windows over the (rare) candidate
 * rows, so it costs one filter over the readings.
 */
export function fillValueRunsSql(source: string): string {
  const within = FILL_VALUE_RUNS.map(
    (f) =>
      `(value = ${f.value}.0 AND (date_diff('second', prev_datetime, datetime) <= ${f.runWithinSeconds} OR date_diff('second', datetime, next_datetime) <= ${f.runWithinSeconds}))`,
  ).join(" OR ");
  return `SELECT sensor_id, datetime
  FROM (
    SELECT sensor_id, datetime, value,
           lag(datetime) OVER (PARTITION BY sensor_id, value ORDER BY datetime) AS prev_datetime,
           lead(datetime) OVER (PARTITION BY sensor_id, value ORDER BY datetime) AS next_datetime
    FROM ${source}
    WHERE ${fillValueCandidateSql("value")}
  ) candidates
  WHERE ${within}`;
}
