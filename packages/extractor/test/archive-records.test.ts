import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { archiveObjects, Catalog, writeArchiveFolder } from "@openaq-lakehouse/fake-openaq";
import { toJson } from "@openaq-lakehouse/fake-openaq/json";
import { locationJson, measurementJson, periodEnds } from "@openaq-lakehouse/fake-openaq/responses";
import { countBy, type IsoDay, parseArchiveObjectKey, utcDayWindow } from "@openaq-lakehouse/pipeline-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseArchiveFile } from "../src/archive/csv.js";
import { type ArchiveDayFile, addArchiveDay } from "../src/archive/day-records.js";
import {
  archiveReadyAtMs,
  localDaysForUtcDay,
  monthsForRange,
  zoneOffsetMinutes,
} from "../src/archive/plan.js";
import { archiveTransformSql } from "../src/archive/sql.js";
import { LocationsSnapshot } from "../src/steps/transform-locations.js";
import { MeasurementFlattener } from "../src/steps/transform-measurements.js";
import { QuarantineLog } from "../src/steps/transform-quarantine.js";
import { runArchiveSqlOnDuckDb } from "./support/archive-duckdb.js";

const DAY: IsoDay = "2026-10-15";
/** The catalog's "now": the archive is read more than 72 h after the day. */
const AS_OF = Date.parse("2026-10-20T00:00:00Z");

function snapshotOf(catalog: Catalog): LocationsSnapshot {
  const snapshot = new LocationsSnapshot();
  snapshot.addPage(
    catalog.locations.map((l) => JSON.parse(toJson(locationJson(catalog, l)))),
    "locations",
    new QuarantineLog(),
  );
  return snapshot;
}

/** One flattened row per accepted measurement, in the flattener's order, on the columns both sources carry. */
function rowsOf(f: MeasurementFlattener) {
  const c = f.columns;
  return Array.from({ length: c.length }, (_, i) => {
    const sensor = c.sensors[c.sensorRef[i] as number];
    const parameter = c.parameters[c.parameterRef[i] as number];
    const period = c.periods[c.periodRef[i] as number];
    return {
      sensor: sensor?.sensorId,
      location: sensor?.locationId,
      parameter: `${parameter?.name} ${parameter?.units}`,
      value: c.value[i],
      start: new Date(c.start[i] as number).toISOString(),
      end: new Date(c.end[i] as number).toISOString(),
      period: `${period?.label}/${period?.seconds}`,
    };
  });
}

/** The API path: every sensor's `/measurements` results for the day, as the transform feeds them. */
function fromApi(catalog: Catalog, snapshot: LocationsSnapshot, day: IsoDay) {
  const { startMs, endMs } = utcDayWindow(day);
  const quarantine = new QuarantineLog();
  const f = new MeasurementFlattener(startMs, endMs, quarantine);
  const sensors = catalog.locations.flatMap((l) => l.sensors).sort((a, b) => a.fixture.id - b.fixture.id);
  for (const s of sensors) {
    const ends = periodEnds(s, startMs / 1000, endMs / 1000);
    if (ends.length === 0) continue;
    f.beginSensor(s.fixture.id, snapshot.sensors.get(s.fixture.id));
    f.addResults(
      ends.map((e) => JSON.parse(toJson(measurementJson(s, e)))),
      `sensor-${s.fixture.id}`,
    );
  }
  f.endSensor();
  return { f, quarantine };
}

function archiveFiles(day: IsoDay, options: { generation?: "2023" | "current" } = {}): ArchiveDayFile[] {
  const objects = archiveObjects({ from: "2026-10-13", to: "2026-10-16", asOfMs: AS_OF, ...options });
  const wanted = new Set(localDaysForUtcDay(day, "Asia/Bangkok"));
  return objects
    .filter((o) => wanted.has(o.localDay))
    .map((o) => ({ key: o.key, body: o.body, locationId: o.locationId, localDay: o.localDay }));
}

function fromArchive(snapshot: LocationsSnapshot, day: IsoDay, files: ArchiveDayFile[]) {
  const { startMs, endMs } = utcDayWindow(day);
  const quarantine = new QuarantineLog();
  const f = new MeasurementFlattener(startMs, endMs, quarantine);
  addArchiveDay({ day, files, sensors: snapshot.sensors, flattener: f, quarantine });
  return { f, quarantine };
}

describe("archive planning", () => {
  it("reads the local days D and D+1 for Vietnam, and knows zone offsets", () => {
    expect(localDaysForUtcDay("2026-10-14", "Asia/Ho_Chi_Minh")).toEqual(["2026-10-14", "2026-10-15"]);
    expect(localDaysForUtcDay("2026-10-14", "UTC")).toEqual(["2026-10-14", "2026-10-15"]);
    expect(localDaysForUtcDay("2026-10-14", "America/New_York")).toEqual(["2026-10-13", "2026-10-14"]);
    expect(localDaysForUtcDay("2026-10-14", "Not/AZone")).toEqual(["2026-10-13", "2026-10-14", "2026-10-15"]);
    expect(zoneOffsetMinutes("Asia/Bangkok", Date.parse("2026-01-01T00:00:00Z"))).toBe(420);
    expect(zoneOffsetMinutes("Europe/London", Date.parse("2026-07-01T00:00:00Z"))).toBe(60);
    expect(monthsForRange("2026-10-30", "2026-10-31", "Asia/Bangkok")).toEqual(["2026-10", "2026-11"]);
  });
  it("calls a UTC day archived only once its zones' last local day is 72 h old", () => {
    const hours = (iso: string, h: number) => Date.parse(iso) + h * 3_600_000;
    // Vietnam: UTC day D needs local D+1, which ends at D+1 17:00Z; its file appears 72 h later.
    expect(archiveReadyAtMs("2026-10-14", ["Asia/Ho_Chi_Minh"])).toBe(hours("2026-10-15T17:00:00Z", 72));
    // UTC: the local day D+1 file (periods ending after midnight) ends at D+2 00:00Z.
    expect(archiveReadyAtMs("2026-10-14", ["UTC"])).toBe(hours("2026-10-16T00:00:00Z", 72));
    // New York (UTC-4 in October): local D ends at D+1 04:00Z.
    expect(archiveReadyAtMs("2026-10-14", ["America/New_York"])).toBe(hours("2026-10-15T04:00:00Z", 72));
    // The latest zone decides; an unknown zone is read as the last to reach midnight (UTC-12).
    expect(archiveReadyAtMs("2026-10-14", ["Asia/Ho_Chi_Minh", "America/New_York", "Asia/Bangkok"])).toBe(
      hours("2026-10-15T17:00:00Z", 72),
    );
    expect(archiveReadyAtMs("2026-10-14", ["Not/AZone"])).toBe(hours("2026-10-16T12:00:00Z", 72));
    // No locations: the UTC day's own end.
    expect(archiveReadyAtMs("2026-10-14", [])).toBe(hours("2026-10-15T00:00:00Z", 72));
  });
});

describe("archive files", () => {
  it("parse in both generations (quoted + CRLF, unquoted + LF) to the same records", () => {
    const current = archiveObjects({ from: DAY, to: DAY, asOfMs: AS_OF, generation: "current" });
    const old = archiveObjects({ from: DAY, to: DAY, asOfMs: AS_OF, generation: "2023" });
    expect(current.length).toBeGreaterThan(10);
    for (const [i, o] of current.entries()) {
      const a = parseArchiveFile(o.body);
      const b = parseArchiveFile((old[i] as { body: Uint8Array }).body);
      expect(a.ok && b.ok).toBe(true);
      if (a.ok && b.ok) expect(a.records).toEqual(b.records);
      expect(parseArchiveObjectKey(o.key)).toEqual({ locationId: o.locationId, localDay: o.localDay });
    }
  });

  it("accept the documented header spellings (sensor_id, unit) and refuse a file without a needed column", () => {
    const doc = gzipSync(
      "location_id,sensor_id,location,datetime,lat,lon,parameter,unit,value\n1,2,x,2026-10-14 01:00:00+00:00,1,2,pm25,µg/m³,3.5\n",
    );
    const parsed = parseArchiveFile(doc);
    expect(parsed).toMatchObject({ ok: true, records: [{ sensorId: "2", units: "µg/m³", value: "3.5" }] });
    expect(parseArchiveFile(gzipSync("location_id,datetime,value\n1,x,2\n"))).toMatchObject({
      ok: false,
      why: expect.stringContaining("sensors_id/sensor_id"),
    });
    expect(parseArchiveFile(new TextEncoder().encode("not gzip"))).toMatchObject({ ok: false });
  });
});

describe("a UTC day from the archive", () => {
  const catalog = new Catalog(AS_OF);
  const snapshot = snapshotOf(catalog);

  it("gives the same measurements as the API on every column both carry", () => {
    const api = fromApi(catalog, snapshot, DAY);
    const archive = fromArchive(snapshot, DAY, archiveFiles(DAY));
    const apiRows = rowsOf(api.f);
    expect(apiRows.length).toBeGreaterThan(500);
    expect(rowsOf(archive.f)).toEqual(apiRows);
    // Rejections (sentinels, duplicates, …) are the same on both paths.
    expect(archive.quarantine.byReason).toEqual(api.quarantine.byReason);
    expect(api.quarantine.byReason.SENTINEL_VALUE).toBe(1);
    // What the archive cannot say stays unknown.
    expect(archive.f.columns.flags.slice(0, archive.f.columns.length).every((v) => v === 2)).toBe(true);
    expect(archive.f.columns.coverage.slice(0, archive.f.columns.length).every(Number.isNaN)).toBe(true);
  });

  it("reads the 2023 generation to the same rows", () => {
    const a = fromArchive(snapshot, DAY, archiveFiles(DAY));
    const b = fromArchive(snapshot, DAY, archiveFiles(DAY, { generation: "2023" }));
    expect(rowsOf(b.f)).toEqual(rowsOf(a.f));
  });

  it("quarantines an unreadable file once (on its own local day) and rows with another location", () => {
    const files = archiveFiles(DAY);
    const broken = files.map((f, i) => (i === 0 ? { ...f, body: new TextEncoder().encode("{}") } : f));
    const own = broken[0] as ArchiveDayFile;
    const onOwnDay = fromArchive(snapshot, own.localDay, broken);
    expect(onOwnDay.quarantine.byReason.MALFORMED_PAGE).toBe(1);
    const other = own.localDay === DAY ? "2026-10-13" : DAY;
    expect(fromArchive(snapshot, other, broken).quarantine.byReason.MALFORMED_PAGE ?? 0).toBe(0);

    const text = "location_id,sensors_id,location,datetime,lat,lon,parameter,units,value\n";
    const sensor = catalog.locations[0]?.sensors[0];
    if (!sensor) throw new Error("no sensor");
    const row = `999,${sensor.fixture.id},x,${DAY}T10:00:00+07:00,1,2,${sensor.parameter.name},${sensor.parameter.units},5.0\n`;
    const file: ArchiveDayFile = {
      key: "x",
      body: gzipSync(text + row),
      locationId: sensor.location.fixture.id,
      localDay: DAY,
    };
    expect(fromArchive(snapshot, DAY, [file]).quarantine.byReason.LOCATION_MISMATCH).toBe(1);
  });
});

describe("the archive SQL (Athena SQL, run here on DuckDB)", () => {
  const catalog = new Catalog(AS_OF);
  const snapshot = snapshotOf(catalog);
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), "archive-sql-"));
    await writeArchiveFolder(root, archiveObjects({ from: "2026-10-13", to: "2026-10-16", asOfMs: AS_OF }));
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it("accepts and rejects exactly what the local engine does", async () => {
    const days: IsoDay[] = ["2026-10-14", "2026-10-15"];
    const timeZones = new Map(snapshot.rows().map((l) => [l.location_id, l.timezone]));
    const months = new Map(
      [...timeZones].map(([id, tz]) => [id, monthsForRange(days[0] as IsoDay, days[1] as IsoDay, tz)]),
    );
    const sql = archiveTransformSql({
      env: "dev",
      from: days[0] as IsoDay,
      to: days[1] as IsoDay,
      months,
      sensors: [...snapshot.sensors.values()],
    });
    const rows = await runArchiveSqlOnDuckDb(root, "dev", sql);
    for (const day of days) {
      const local = fromArchive(snapshot, day, archiveFiles(day));
      const accepted = rows
        .filter((r) => r.day === day && r.reason === null)
        .sort((a, b) => Number(a.sensor_id) - Number(b.sensor_id) || Number(a.start_ms) - Number(b.start_ms))
        .map((r) => {
          const sensor = snapshot.sensors.get(Number(r.sensor_id));
          return {
            sensor: r.sensor_id,
            location: sensor?.locationId,
            parameter: `${r.parameter} ${r.unit}`,
            value: r.value,
            start: new Date(Number(r.start_ms)).toISOString(),
            end: new Date(Number(r.end_ms)).toISOString(),
            period: `raw/${r.period_seconds}`,
          };
        });
      expect(accepted).toEqual(rowsOf(local.f));
      const reasons = countBy(
        rows.filter((r) => r.day === day && r.reason !== null),
        (r) => r.reason as string,
      );
      expect(reasons).toEqual(local.quarantine.byReason);
    }
  });

  it("parses as Trino SQL (the grammar Athena speaks) and calls only Athena functions", async () => {
    const { TrinoSQL } = await import("dt-sql-parser");
    const sql = archiveTransformSql({
      env: "prod",
      from: "2026-10-14",
      to: "2026-10-15",
      months: new Map([[7441, ["2026-10"]]]),
      sensors: [...snapshot.sensors.values()].slice(0, 3),
    });
    expect(new TrinoSQL().validate(sql)).toEqual([]);
    // The grammar does not know functions: every call must be one Athena engine v3 has.
    const ATHENA_FUNCTIONS = new Set(
      "coalesce concat date_format from_iso8601_timestamp from_unixtime lag min regexp_extract regexp_like replace round row_number substr to_unixtime trim try try_cast".split(
        " ",
      ),
    );
    const KEYWORDS = new Set([
      "as",
      "in",
      "values",
      "over",
      "and",
      "or",
      "not",
      "when",
      "then",
      "cast",
      "snapshot",
      "where",
    ]);
    const called = [...sql.matchAll(/\b([a-z_][a-z0-9_]*)\s*\(/gi)]
      .map((m) => (m[1] as string).toLowerCase())
      .filter((n) => !KEYWORDS.has(n));
    expect(called.length).toBeGreaterThan(10);
    expect(called.filter((n) => !ATHENA_FUNCTIONS.has(n))).toEqual([]);
    // The grammar check has teeth: DuckDB-only syntax fails it.
    expect(
      new TrinoSQL().validate(`${sql.replace("CAST(value_text AS double)", "value_text::DOUBLE")}`),
    ).not.toEqual([]);
  });
});
