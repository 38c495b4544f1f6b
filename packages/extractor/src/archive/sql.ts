import {
  databaseName,
  type Environment,
  type IsoDay,
  OPENAQ_ARCHIVE_TABLE,
  PipelineError,
} from "@openaq-lakehouse/pipeline-core";
import type { SensorInfo } from "../steps/transform-locations.js";
import { SENTINEL_VALUES } from "../steps/transform-quarantine.js";

/**
 * The archive transform as SQL, for when one machine is not enough (`backfill --engine athena`).
 * Written once in Athena (Trino) SQL over the external table `openaq_{env}.archive_records` (the
 * archive's gzip CSVs, partition projection on locationid/year/month, see pipeline-core's
 * `OPENAQ_ARCHIVE_TABLE`), and run unchanged on DuckDB locally through the views' compatibility
 * layer, so local tests prove the semantics that Athena then runs at scale.
 *
 * It applies the rules of the local engine (`day-records.ts` + the transform's flattener), in the same
 * order: MALFORMED_ROW, UNPARSEABLE_TIMESTAMP, LOCATION_MISMATCH, UNKNOWN_SENSOR, PARAMETER_MISMATCH,
 * NON_NUMERIC_VALUE, SENTINEL_VALUE, DUPLICATE. One difference, stated: among duplicate rows of one
 * file the local engine keeps the first line, SQL (which has no line numbers in Athena) keeps the
 * smallest value; rows from different files keep the first file in key order on both.
 *
 * Output: one row per archive record of the days asked, with `reason` null for accepted rows. Times
 * are epoch milliseconds (BIGINT) so both engines hand the publisher the same numbers. `day` is the
 * last column: Athena's UNLOAD … partitioned_by needs the partition column at the end.
 */

/** Athena writes at most 100 partitions per UNLOAD/CTAS/INSERT: one chunk is at most this many days. */
export const ATHENA_MAX_PARTITIONS_PER_WRITE = 100;

export interface ArchiveSqlInput {
  env: Environment;
  /** UTC days, inclusive. */
  from: IsoDay;
  to: IsoDay;
  /** The `YYYY-MM` months to read per location (see `monthsForRange`). */
  months: ReadonlyMap<number, readonly string[]>;
  /** The locations snapshot's sensors of those locations. */
  sensors: readonly SensorInfo[];
}

const NUMBER_PATTERN = "^[+-]?([0-9]+[.]?[0-9]*|[.][0-9]+)([eE][+-]?[0-9]+)?$";
const DEFAULT_INTERVAL_SECONDS = 3600;

function literal(value: string | null): string {
  return value === null ? "CAST(NULL AS varchar)" : `'${value.replaceAll("'", "''")}'`;
}

function intLiteral(n: number): string {
  if (!Number.isSafeInteger(n)) throw new PipelineError("INVALID_ARCHIVE_SQL", `Not an integer: ${n}.`);
  return String(n);
}

function dayLiteral(day: IsoDay): string {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) throw new PipelineError("INVALID_DATE", `Invalid day ${day}.`);
  return `'${day}'`;
}

export function archiveTransformSql(input: ArchiveSqlInput): string {
  const db = databaseName(input.env);
  if (input.months.size === 0) throw new PipelineError("INVALID_ARCHIVE_SQL", "No location to read.");
  const partitions = [...input.months.entries()]
    .map(([locationId, months]) => {
      const byYear = new Map<string, string[]>();
      for (const m of months) {
        const [y, mo] = m.split("-") as [string, string];
        byYear.set(y, [...(byYear.get(y) ?? []), mo]);
      }
      const years = [...byYear.entries()]
        .map(([y, mos]) => `(year = ${literal(y)} AND month IN (${mos.map(literal).join(", ")}))`)
        .join(" OR ");
      return `(locationid = ${intLiteral(locationId)} AND (${years}))`;
    })
    .join("\n      OR ");
  const allMonths = [...new Set([...input.months.values()].flat())].sort();
  const years = [...new Set(allMonths.map((m) => m.slice(0, 4)))];
  const monthsOfYear = [...new Set(allMonths.map((m) => m.slice(5, 7)))].sort();
  const sensorRows = input.sensors.length
    ? input.sensors
        .map(
          (s) =>
            `(${intLiteral(s.sensorId)}, ${intLiteral(s.locationId)}, ${intLiteral(s.parameterId)}, ${literal(s.parameterName)}, ${literal(s.units)})`,
        )
        .join(",\n      ")
    : "(CAST(NULL AS integer), CAST(NULL AS integer), CAST(NULL AS integer), CAST(NULL AS varchar), CAST(NULL AS varchar))";
  const sentinels = [...SENTINEL_VALUES].map((v) => `${v.toFixed(1)}E0`).join(", ");

  return `WITH
  snapshot (sensor_id, location_id, parameter_id, parameter, units) AS (
    VALUES
      ${sensorRows}
  ),
  src AS (
    SELECT
      "$path" AS source,
      locationid AS file_location_id,
      regexp_extract("$path", 'location-[0-9]+-([0-9]{8})[.]csv[.]gz$', 1) AS file_day,
      trim(location_id) AS location_id_text,
      try_cast(trim(sensors_id) AS integer) AS sensor_id,
      trim(datetime) AS datetime_text,
      trim(parameter) AS parameter,
      trim(units) AS units,
      trim(value) AS value_text,
      try(to_unixtime(from_iso8601_timestamp(replace(trim(datetime), ' ', 'T')))) AS end_s
    FROM ${db}.${OPENAQ_ARCHIVE_TABLE}
    -- The top-level IN lists let Athena's partition projection enumerate only these partitions
    -- (locationid is an injected projection); the OR below picks each location's own months.
    WHERE locationid IN (${[...input.months.keys()].map(intLiteral).join(", ")})
      AND year IN (${years.map(literal).join(", ")})
      AND month IN (${monthsOfYear.map(literal).join(", ")})
      AND (${partitions})
  ),
  stepped AS (
    SELECT src.*, end_s - lag(end_s) OVER (PARTITION BY sensor_id ORDER BY end_s) AS step_s
    FROM src
  ),
  timed AS (
    SELECT
      stepped.*,
      coalesce(min(CASE WHEN step_s > 0 THEN step_s END) OVER (PARTITION BY sensor_id), ${DEFAULT_INTERVAL_SECONDS}) AS interval_s
    FROM stepped
  ),
  dated AS (
    SELECT
      timed.*,
      end_s - interval_s AS start_s,
      CASE
        WHEN sensor_id IS NULL OR end_s IS NULL
          THEN concat(substr(file_day, 1, 4), '-', substr(file_day, 5, 2), '-', substr(file_day, 7, 2))
        ELSE date_format(from_unixtime(end_s - interval_s), '%Y-%m-%d')
      END AS day
    FROM timed
  ),
  checked AS (
    SELECT
      d.*,
      s.sensor_id AS known_sensor,
      s.location_id AS sensor_location_id,
      s.parameter_id,
      CASE
        WHEN d.sensor_id IS NULL THEN 'MALFORMED_ROW'
        WHEN d.end_s IS NULL THEN 'UNPARSEABLE_TIMESTAMP'
        WHEN try_cast(d.location_id_text AS integer) IS NULL
          OR try_cast(d.location_id_text AS integer) <> d.file_location_id
          OR s.location_id <> d.file_location_id THEN 'LOCATION_MISMATCH'
        WHEN s.sensor_id IS NULL THEN 'UNKNOWN_SENSOR'
        WHEN d.parameter <> s.parameter OR d.units <> s.units
          OR s.parameter IS NULL OR s.units IS NULL THEN 'PARAMETER_MISMATCH'
        WHEN NOT regexp_like(d.value_text, '${NUMBER_PATTERN}') THEN 'NON_NUMERIC_VALUE'
        WHEN CAST(d.value_text AS double) IN (${sentinels}) THEN 'SENTINEL_VALUE'
      END AS rule_reason
    FROM dated d
    LEFT JOIN snapshot s ON s.sensor_id = d.sensor_id
    WHERE d.day BETWEEN ${dayLiteral(input.from)} AND ${dayLiteral(input.to)}
  ),
  ranked AS (
    SELECT
      checked.*,
      CASE WHEN rule_reason IS NULL THEN
        row_number() OVER (
          PARTITION BY sensor_id, start_s, rule_reason IS NULL
          ORDER BY source, CAST(value_text AS double)
        )
      END AS copy_number
    FROM checked
  )
SELECT
  coalesce(rule_reason, CASE WHEN copy_number > 1 THEN 'DUPLICATE' END) AS reason,
  source,
  try_cast(location_id_text AS integer) AS location_id,
  sensor_id,
  parameter_id,
  parameter,
  units AS unit,
  CASE WHEN rule_reason IS NULL THEN CAST(value_text AS double) END AS value,
  value_text,
  CAST(round(start_s * 1000) AS bigint) AS start_ms,
  CAST(round(end_s * 1000) AS bigint) AS end_ms,
  CAST(interval_s AS integer) AS period_seconds,
  datetime_text,
  day
FROM ranked`;
}
