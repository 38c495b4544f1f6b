import { type IsoDay, utcDayWindow } from "@openaq-lakehouse/pipeline-core";
import type { SensorInfo } from "../steps/transform-locations.js";
import type { MeasurementFlattener } from "../steps/transform-measurements.js";
import { parseInstant } from "../steps/transform-parse.js";
import type { QuarantineLog } from "../steps/transform-quarantine.js";
import { type ArchiveRecord, type ParsedArchiveFile, parseArchiveFile } from "./csv.js";

/**
 * Archive files → the measurement results of one UTC day, fed to the same `MeasurementFlattener` as
 * the API's pages, so both sources share every rule (UTC period start, sentinels, non-numeric values,
 * parameter checks, dedup with the first row read winning, quarantine reasons).
 *
 * What the archive does not say, and how it is filled in:
 * - The period: a row holds its END only. Each sensor's interval is the smallest gap between its
 *   distinct period ends in the files read (an hourly sensor with gaps still shows a one-hour step
 *   somewhere); a sensor with a single reading is taken as hourly. `period_label` is `raw`, as the
 *   API's `/measurements` rows are.
 * - The parameter id: the row's parameter name and units must be those the locations snapshot lists
 *   for the sensor (then the sensor's parameter id is used), else the row is PARAMETER_MISMATCH.
 * - Coverage and flags: not in the archive; those columns stay null for archive rows.
 *
 * A file serves two or three UTC days. Rows belonging to another day are left for that day's run
 * (not quarantined); a file or row that cannot be read at all is quarantined once, by the run of the
 * UTC day equal to the file's local day.
 */

export interface ArchiveDayFile {
  key: string;
  body: Uint8Array;
  locationId: number;
  /** The local day the file covers. */
  localDay: IsoDay;
}

const DEFAULT_INTERVAL_MS = 3_600_000;
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

interface Reading {
  endMs: number;
  record: ArchiveRecord;
  file: ArchiveDayFile;
  fileIndex: number;
}

export interface ArchiveDayInput {
  day: IsoDay;
  /** The files of every location for the local days around `day` (see `localDaysForUtcDay`), in key order. */
  files: readonly ArchiveDayFile[];
  sensors: ReadonlyMap<number, SensorInfo>;
  flattener: MeasurementFlattener;
  quarantine: QuarantineLog;
  /** How a file is parsed (default `parseArchiveFile`); a backfill passes a cache, as a file serves two days. */
  parse?: (file: ArchiveDayFile) => ParsedArchiveFile;
}

/** Feeds one UTC day of archive rows to the flattener; returns the number of archive rows read. */
export function addArchiveDay(input: ArchiveDayInput): { recordsRead: number } {
  const { day, files, sensors, flattener, quarantine } = input;
  const { startMs, endMs } = utcDayWindow(day);
  const bySensor = new Map<number, Reading[]>();
  let recordsRead = 0;
  files.forEach((file, fileIndex) => {
    const owns = file.localDay === day;
    const parsed = input.parse ? input.parse(file) : parseArchiveFile(file.body);
    if (!parsed.ok) {
      if (owns) {
        quarantine.add(
          "MALFORMED_PAGE",
          { key: file.key, bytes: file.body.byteLength, lines: parsed.lines },
          file.key,
          `The archive file is ${parsed.why}.`,
        );
      }
      return;
    }
    for (const record of parsed.records) {
      recordsRead++;
      const sensorId = /^\d{1,10}$/.test(record.sensorId) ? Number(record.sensorId) : Number.NaN;
      if (!Number.isSafeInteger(sensorId)) {
        if (owns) quarantine.add("MALFORMED_ROW", record, file.key, "The row has no integer sensor id.");
        continue;
      }
      const end = parseInstant(record.datetime.replace(" ", "T"));
      if (Number.isNaN(end)) {
        if (owns) quarantine.add("UNPARSEABLE_TIMESTAMP", record, file.key);
        continue;
      }
      const readings = bySensor.get(sensorId) ?? [];
      if (readings.length === 0) bySensor.set(sensorId, readings);
      readings.push({ endMs: end, record, file, fileIndex });
    }
  });

  for (const sensorId of [...bySensor.keys()].sort((a, b) => a - b)) {
    const readings = bySensor.get(sensorId) as Reading[];
    const intervalMs = inferIntervalMs(readings);
    const sensor = sensors.get(sensorId);
    // The rows of this sensor that start on D, grouped per file (file order, then line order).
    const perFile = new Map<number, unknown[]>();
    for (const r of readings) {
      const start = r.endMs - intervalMs;
      if (start < startMs || start >= endMs) continue;
      const { record, file } = r;
      if (
        String(file.locationId) !== record.locationId ||
        (sensor && sensor.locationId !== file.locationId)
      ) {
        quarantine.add(
          "LOCATION_MISMATCH",
          record,
          file.key,
          `The row's location ${record.locationId} differs from its file's (${file.locationId})${sensor ? ` or its sensor's (${sensor.locationId})` : ""}.`,
        );
        continue;
      }
      const results = perFile.get(r.fileIndex) ?? [];
      if (results.length === 0) perFile.set(r.fileIndex, results);
      results.push(apiShapedResult(record, sensor, start, r.endMs, intervalMs));
    }
    if (perFile.size === 0) continue;
    flattener.beginSensor(sensorId, sensor);
    for (const fileIndex of [...perFile.keys()].sort((a, b) => a - b)) {
      flattener.addResults(perFile.get(fileIndex) as unknown[], (files[fileIndex] as ArchiveDayFile).key);
    }
  }
  flattener.endSensor();
  return { recordsRead };
}

function inferIntervalMs(readings: readonly Reading[]): number {
  const ends = [...new Set(readings.map((r) => r.endMs))].sort((a, b) => a - b);
  let best = Number.POSITIVE_INFINITY;
  for (let i = 1; i < ends.length; i++) best = Math.min(best, (ends[i] as number) - (ends[i - 1] as number));
  return Number.isFinite(best) ? best : DEFAULT_INTERVAL_MS;
}

function pad(n: number): string {
  return String(n).padStart(2, "0");
}

function intervalText(ms: number): string {
  const s = Math.round(ms / 1000);
  return `${pad(Math.floor(s / 3600))}:${pad(Math.floor((s % 3600) / 60))}:${pad(s % 60)}`;
}

function utc(ms: number): string {
  return new Date(ms).toISOString().replace(".000Z", "Z");
}

/** The archive row in the shape of an API `/measurements` result (only the fields the flattener reads). */
function apiShapedResult(
  record: ArchiveRecord,
  sensor: SensorInfo | undefined,
  startMs: number,
  endMs: number,
  intervalMs: number,
) {
  const sameParameter =
    sensor !== undefined && record.parameter === sensor.parameterName && record.units === sensor.units;
  return {
    value: NUMBER.test(record.value) ? Number(record.value) : record.value === "" ? null : record.value,
    flagInfo: null,
    parameter: { id: sameParameter ? sensor.parameterId : null, name: record.parameter, units: record.units },
    period: {
      label: "raw",
      interval: intervalText(intervalMs),
      datetimeFrom: { utc: utc(startMs) },
      datetimeTo: { utc: utc(endMs) },
    },
    coverage: null,
    archive: { line: record.line, location: record.locationId, datetime: record.datetime },
  };
}
