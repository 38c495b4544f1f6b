import { readdir, readFile } from "node:fs/promises";
import { join, relative } from "node:path";
import type { FakeOpenAq } from "@openaq-lakehouse/fake-openaq";
import { toJson } from "@openaq-lakehouse/fake-openaq/json";
import { measurementJson, periodEnds } from "@openaq-lakehouse/fake-openaq/responses";
import { decodeParquet, type IsoDay, utcDayWindow } from "@openaq-lakehouse/pipeline-core";

/**
 * Shared pieces of the end-to-end tests: a byte-level snapshot of a lake folder, and an oracle
 * that derives the expected processed rows of a day straight from the local OpenAQ server's
 * catalog (its own deterministic series), independently of the pipeline's code.
 */

/** Layers compared for "byte-identical": raw bodies and manifest, processed, quarantine. */
const DATA_LAYERS = /^(dev|prod)\/(raw|processed|quarantine)\//;

/**
 * Every object of the data layers, keyed by lake key. Raw is write-once: every extract run adds its
 * own `run-{id}.manifest.json` beside the (content-addressed, shared) bodies. The snapshot keeps
 * only the newest manifest of each day, under the name `run-(newest).manifest.json`, with its clock
 * fields (run id, start and end, each page's fetch time) blanked: they are the clock, not data.
 * Two lakes with the same snapshot hold the same bodies and the same newest answer.
 */
export async function lakeSnapshot(root: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  async function walk(dir: string): Promise<void> {
    let entries: import("node:fs").Dirent[];
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const path = join(dir, e.name);
      if (e.isDirectory()) await walk(path);
      else {
        const key = relative(root, path).split("\\").join("/");
        if (!DATA_LAYERS.test(key) || e.name.startsWith(".tmp-")) continue;
        let bytes = await readFile(path);
        if (/\/run-[^/]+\.manifest\.json$/.test(key)) {
          const newest = entries
            .map((x) => x.name)
            .filter((n) => /^run-.+\.manifest\.json$/.test(n))
            .sort()
            .at(-1);
          if (e.name !== newest) continue;
          out.set(
            key.replace(/run-[^/]+\.manifest\.json$/, "run-(newest).manifest.json"),
            normalizedManifest(bytes),
          );
          continue;
        }
        if (key.endsWith(".meta.json")) {
          const meta = JSON.parse(bytes.toString("utf8")) as Record<string, unknown>;
          meta.fetchedAt = "(clock)";
          bytes = Buffer.from(JSON.stringify(meta));
        }
        out.set(key, bytes.toString("base64"));
      }
    }
  }
  await walk(root);
  return out;
}

function normalizedManifest(bytes: Buffer): string {
  const m = JSON.parse(bytes.toString("utf8")) as Record<string, unknown>;
  const clockless = (pages: unknown) =>
    (pages as Array<Record<string, unknown>>).map((p) => ({ ...p, fetchedAt: "(clock)" }));
  const sensors = (m.sensors as Array<Record<string, unknown>>).map((s) => ({
    ...s,
    pages: clockless(s.pages),
  }));
  return Buffer.from(
    JSON.stringify({
      ...m,
      runId: "(clock)",
      startedAt: "(clock)",
      completedAt: "(clock)",
      locationsPages: clockless(m.locationsPages),
      sensors,
    }),
  ).toString("base64");
}

export function keysOf(snapshot: Map<string, string>, layer: string): string[] {
  return [...snapshot.keys()].filter((k) => k.split("/")[1] === layer).sort();
}

export interface ExpectedDay {
  measurements: Array<Record<string, unknown>>;
  locations: number[];
  sentinels: number;
}

/**
 * What transform must produce for `day` from the server's catalog: every Vietnam sensor's periods
 * that start on the day, with the location's coordinates attached, sorted by (sensor, datetime);
 * -999 values are not rows (they are quarantined SENTINEL_VALUE), negative values are.
 */
export function expectedDay(server: FakeOpenAq, day: IsoDay): ExpectedDay {
  const { startMs, endMs } = utcDayWindow(day);
  const rows: Array<Record<string, unknown>> = [];
  const locationIds: number[] = [];
  let sentinels = 0;
  for (const loc of server.catalog.locations) {
    if (server.catalog.countryOf(loc).id !== 56) continue;
    locationIds.push(loc.fixture.id);
    for (const s of loc.sensors) {
      for (const end of periodEnds(s, startMs / 1000, endMs / 1000)) {
        const m = JSON.parse(toJson(measurementJson(s, end))) as {
          value: number;
          flagInfo: { hasFlags: boolean };
          parameter: { id: number; name: string; units: string };
          period: { label: string };
          coverage: { percentCoverage: number };
        };
        if (m.value === -999) {
          sentinels++;
          continue;
        }
        rows.push({
          location_id: loc.fixture.id,
          sensor_id: s.fixture.id,
          parameter_id: m.parameter.id,
          parameter: m.parameter.name,
          value: m.value,
          unit: m.parameter.units,
          datetime: (end - s.intervalSec) * 1000,
          datetime_to: end * 1000,
          period_label: m.period.label,
          period_seconds: s.intervalSec,
          coverage_percent: m.coverage.percentCoverage,
          has_flags: m.flagInfo.hasFlags,
          coordinates: { lat: loc.fixture.latitude, lon: loc.fixture.longitude },
        });
      }
    }
  }
  rows.sort(
    (a, b) =>
      (a.sensor_id as number) - (b.sensor_id as number) || (a.datetime as number) - (b.datetime as number),
  );
  return { measurements: rows, locations: locationIds.sort((a, b) => a - b), sentinels };
}

/** The rows of a processed Parquet object as plain objects. */
export async function parquetRows(path: string): Promise<Array<Record<string, unknown>>> {
  const table = decodeParquet(new Uint8Array(await readFile(path)));
  return table.toArray().map((r) => {
    const o = r.toJSON() as Record<string, unknown>;
    if (o.coordinates) o.coordinates = { ...(o.coordinates as object) };
    return o;
  });
}
