import { readFile, rm } from "node:fs/promises";
import { relative } from "node:path";
import { runCli } from "@openaq-lakehouse/extractor";
import { type FakeOpenAq, startFakeOpenAq } from "@openaq-lakehouse/fake-openaq";
import { toJson } from "@openaq-lakehouse/fake-openaq/json";
import { measurementJson, periodEnds } from "@openaq-lakehouse/fake-openaq/responses";
import { decodeParquet, type IsoDay, utcDayWindow } from "@openaq-lakehouse/pipeline-core";
import { type CliResult, captured } from "@openaq-lakehouse/test-support/cli";
import { readTree, tempLake } from "@openaq-lakehouse/test-support/lake";

/**
 * Shared pieces of the end-to-end tests: the local OpenAQ server, a work folder and the CLI pointed
 * at them; a byte-level snapshot of a lake folder; and an oracle that derives the expected processed
 * rows of a day straight from the local OpenAQ server's catalog (its own deterministic series),
 * independently of the pipeline's code.
 */

/** What an end-to-end suite runs against; `close()` stops the server and removes the folder. */
export interface E2eWorld {
  server: FakeOpenAq;
  /** An empty temp folder for the suite's lakes. */
  dir: string;
  /** The OPENAQ_* environment that points the CLI at the server. */
  env: Record<string, string>;
  /** The CLI run in this process on `env` (plus `extraEnv`), with its output captured. */
  cli(argv: string[], extraEnv?: Record<string, string>): Promise<CliResult>;
  close(): Promise<void>;
}

/**
 * The local OpenAQ server accepting `key`, a work folder named after `name`, and the CLI's
 * environment for them (`env` adds to it). A one-second rate window keeps injected 429s (which carry
 * x-ratelimit-reset) cheap to wait out; the client's own limit is lifted so it never waits on itself.
 */
export async function startE2e(
  name: string,
  key: string,
  env: Record<string, string> = {},
): Promise<E2eWorld> {
  const server = await startFakeOpenAq({
    apiKeys: [key],
    rateLimit: { perWindow: 100_000, windowMs: 1_000, perHour: 10_000_000 },
  });
  const dir = await tempLake(name);
  const cliEnv = {
    OPENAQ_BASE_URL: server.url,
    OPENAQ_API_KEY: key,
    OPENAQ_REQUESTS_PER_MINUTE: "100000",
    ...env,
  };
  return {
    server,
    dir,
    env: cliEnv,
    cli: (argv, extraEnv = {}) => captured((io) => runCli(argv, { ...io, env: { ...cliEnv, ...extraEnv } })),
    async close() {
      await server.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Layers compared for "byte-identical": raw bodies and manifest, processed, quarantine. */
const DATA_LAYERS = /^(dev|prod)\/(raw|processed|quarantine)\//;
/** A raw run manifest's name: `run-{id}.manifest.json`. */
const RUN_MANIFEST = /^run-.+\.manifest\.json$/;

/**
 * Every object of the data layers, keyed by lake key. Raw is write-once: every extract run adds its
 * own `run-{id}.manifest.json` beside the (content-addressed, shared) bodies. The snapshot keeps
 * only the newest manifest of each day, under the name `run-(newest).manifest.json`, with its clock
 * fields (run id, start and end, each page's fetch time) blanked: they are the clock, not data.
 * Two lakes with the same snapshot hold the same bodies and the same newest answer.
 */
export async function lakeSnapshot(root: string): Promise<Map<string, string>> {
  const keys = new Map<string, Buffer>();
  for (const [path, bytes] of await readTree(root))
    keys.set(relative(root, path).split("\\").join("/"), bytes);
  const folderOf = (key: string) => key.slice(0, key.lastIndexOf("/") + 1);
  const out = new Map<string, string>();
  for (const [key, bytes] of keys) {
    const name = key.slice(folderOf(key).length);
    if (!DATA_LAYERS.test(key) || name.startsWith(".tmp-")) continue;
    if (RUN_MANIFEST.test(name)) {
      const newest = [...keys.keys()]
        .filter((k) => folderOf(k) === folderOf(key) && RUN_MANIFEST.test(k.slice(folderOf(k).length)))
        .sort()
        .at(-1);
      if (key === newest) out.set(`${folderOf(key)}run-(newest).manifest.json`, normalizedManifest(bytes));
      continue;
    }
    if (key.endsWith(".meta.json")) {
      const meta = JSON.parse(bytes.toString("utf8")) as Record<string, unknown>;
      meta.fetchedAt = "(clock)";
      out.set(key, Buffer.from(JSON.stringify(meta)).toString("base64"));
    } else out.set(key, bytes.toString("base64"));
  }
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
