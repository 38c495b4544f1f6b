import { createHash } from "node:crypto";
import { mkdir, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { gzipSync } from "node:zlib";
import { archiveObjectKey, daysBetween, OPENAQ_ARCHIVE_COLUMNS } from "@openaq-lakehouse/pipeline-core";
import { Catalog, type ExtraLocations, type ServedLocation, type ServedSensor } from "./catalog.js";
import { periodEnds } from "./responses.js";
import { valueAt } from "./series.js";

/**
 * The OpenAQ open-data archive (`s3://openaq-data-archive`) as the fixtures would publish it
 * (docs/openaq.md, "The archive"): one gzip CSV per location per LOCAL day, at
 *
 *   records/csv.gz/locationid={id}/year={YYYY}/month={MM}/location-{id}-{YYYYMMDD}.csv.gz
 *
 * holding every period whose END falls in (local 00:00, next local 00:00], with the period end in
 * local time and its offset. The values are the same deterministic series the API server serves, so
 * a day read from both sources must give the same measurements.
 *
 * Two file generations are produced, as observed in the real bucket: `2023` (nothing quoted, LF) and
 * `current` (header and strings quoted, decimals quoted too, CRLF: pandas' QUOTE_NONNUMERIC over
 * Decimal columns). No file is written for a location-day without rows.
 */

export type ArchiveGeneration = "2023" | "current";

export interface ArchiveObject {
  key: string;
  body: Uint8Array;
  /** S3's ETag of a single-part upload: the md5 of the bytes, quoted. */
  etag: string;
  locationId: number;
  /** The local day the file covers. */
  localDay: string;
}

export interface ArchiveOptions {
  /** First and last local day (inclusive), `YYYY-MM-DD`. */
  from: string;
  to: string;
  /** The catalog's "now" (sensors that are live report up to this instant). Default: end of `to` + 3 days. */
  asOfMs?: number;
  generation?: ArchiveGeneration;
  /** Synthetic stations beside the fixtures, as the API server's `extraLocations`. */
  extraLocations?: ExtraLocations;
  /** Location ids to publish (default: every location of the catalog). */
  locationIds?: readonly number[];
  /**
   * Files to publish as patched: the same file with one more row appended at the end, a late
   * reading (the archive's files are rewritten when late data arrives).
   */
  patched?: ReadonlyArray<{ locationId: number; localDay: string }>;
}

/** The archive files' header, in file order (pipeline-core spells the archive's layout once). */
export const ARCHIVE_HEADER = OPENAQ_ARCHIVE_COLUMNS;

const DAY_MS = 86_400_000;

function pad(n: number, width = 2): string {
  return String(n).padStart(width, "0");
}

/** `2026-11-02T01:00:00+07:00`: the archive's local timestamp with offset (openaq-db format_timestamp). */
export function archiveTimestamp(epochSec: number, offsetMinutes: number): string {
  const d = new Date((epochSec + offsetMinutes * 60) * 1000);
  const sign = offsetMinutes >= 0 ? "+" : "-";
  const abs = Math.abs(offsetMinutes);
  return (
    `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}T` +
    `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}` +
    `${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`
  );
}

/** Python's repr of a float, as pandas writes it: `71.0`, `0.0213`, `-999.0`. */
function pythonFloat(v: number): string {
  return Number.isInteger(v) ? v.toFixed(1) : String(v);
}

interface CsvRow {
  locationId: number;
  sensorId: number;
  location: string;
  endSec: number;
  offsetMinutes: number;
  lat: number;
  lon: number;
  parameter: string;
  units: string;
  value: number;
}

function rowsOf(loc: ServedLocation, localDay: string): CsvRow[] {
  const off = loc.offsetMinutes;
  // Period ends in (local 00:00, next local 00:00], in epoch seconds.
  const fromSec = Date.parse(`${localDay}T00:00:00Z`) / 1000 - off * 60;
  const toSec = fromSec + 86_400;
  // The archive names a location by site name and sensor-system id, not the location id.
  const label = `${loc.fixture.name ?? "Unknown"}-${loc.fixture.id + 1_000_000}`;
  const rows: CsvRow[] = [];
  for (const s of loc.sensors) {
    for (const endSec of periodEnds(s, fromSec, toSec)) rows.push(csvRow(loc, s, label, endSec));
  }
  // The exporter orders by sensor, then time.
  rows.sort((a, b) => a.sensorId - b.sensorId || a.endSec - b.endSec);
  return rows;
}

function csvRow(loc: ServedLocation, s: ServedSensor, label: string, endSec: number): CsvRow {
  return {
    locationId: loc.fixture.id,
    sensorId: s.fixture.id,
    location: label,
    endSec,
    offsetMinutes: loc.offsetMinutes,
    lat: loc.fixture.latitude,
    lon: loc.fixture.longitude,
    parameter: s.parameter.name,
    units: s.parameter.units,
    value: valueAt(s.fixture, endSec, loc.offsetMinutes),
  };
}

/**
 * A patched file, as the archive rewrites one when late data arrives: the first period a sensor
 * skipped (a gap in the series) is filled in; a day without gaps gets its last value corrected.
 */
function patchRows(loc: ServedLocation, localDay: string, rows: CsvRow[]): void {
  const fromSec = Date.parse(`${localDay}T00:00:00Z`) / 1000 - loc.offsetMinutes * 60;
  const label = (rows[0] as CsvRow).location;
  for (const s of loc.sensors) {
    const have = new Set(rows.filter((r) => r.sensorId === s.fixture.id).map((r) => r.endSec));
    if (have.size === 0) continue;
    for (let end = fromSec + s.intervalSec; end <= fromSec + 86_400; end += s.intervalSec) {
      if (have.has(end)) continue;
      rows.push(csvRow(loc, s, label, end));
      rows.sort((a, b) => a.sensorId - b.sensorId || a.endSec - b.endSec);
      return;
    }
  }
  const last = rows[rows.length - 1] as CsvRow;
  last.value = last.value + 1;
}

function formatCsv(rows: CsvRow[], generation: ArchiveGeneration): string {
  const quoted = generation === "current";
  // The 2023 files quote only what must be (pandas' QUOTE_MINIMAL): a name with a comma, say.
  const q = (text: string) => (quoted || /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text);
  const eol = quoted ? "\r\n" : "\n";
  const lines = [ARCHIVE_HEADER.map(q).join(",")];
  for (const r of rows) {
    lines.push(
      [
        String(r.locationId),
        String(r.sensorId),
        q(r.location),
        q(archiveTimestamp(r.endSec, r.offsetMinutes)),
        q(String(r.lat)),
        q(String(r.lon)),
        q(r.parameter),
        q(r.units),
        q(pythonFloat(r.value)),
      ].join(","),
    );
  }
  return lines.join(eol) + eol;
}

/** Every archive object of the catalog's locations for the local days `from`…`to`. */
export function archiveObjects(options: ArchiveOptions): ArchiveObject[] {
  const asOfMs = options.asOfMs ?? Date.parse(`${options.to}T00:00:00Z`) + 4 * DAY_MS;
  const catalog = new Catalog(asOfMs, options.extraLocations);
  const wanted = options.locationIds ? new Set(options.locationIds) : undefined;
  const patched = new Set((options.patched ?? []).map((p) => `${p.locationId}/${p.localDay}`));
  const out: ArchiveObject[] = [];
  for (const loc of catalog.locations) {
    if (wanted && !wanted.has(loc.fixture.id)) continue;
    for (const localDay of daysBetween(options.from, options.to)) {
      const rows = rowsOf(loc, localDay);
      if (rows.length === 0) continue;
      if (patched.has(`${loc.fixture.id}/${localDay}`)) patchRows(loc, localDay, rows);
      const text = formatCsv(rows, options.generation ?? "current");
      // mtime 0 and no file name: the same rows always give the same bytes (and ETag).
      const body = new Uint8Array(gzipSync(Buffer.from(text, "utf8"), { level: 6 }));
      out.push({
        key: archiveObjectKey(loc.fixture.id, localDay),
        body,
        etag: `"${createHash("md5").update(body).digest("hex")}"`,
        locationId: loc.fixture.id,
        localDay,
      });
    }
  }
  return out;
}

/** Writes the archive objects under `root` in the bucket's layout (a folder `OPENAQ_ARCHIVE_URI` can point at). */
export async function writeArchiveFolder(root: string, objects: readonly ArchiveObject[]): Promise<void> {
  for (const o of objects) {
    const path = join(root, ...o.key.split("/"));
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, o.body);
  }
}
