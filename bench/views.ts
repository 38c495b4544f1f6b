/**
 * Serving-views benchmark: what each view reads from a local lake of 365 days × 200 sensors of
 * hourly data, against the lake's total, from DuckDB's own profile (files opened by each Parquet
 * scan, bytes read from disk with the file cache off), plus the median query time.
 *
 * Peer, in the same run: view_latest_aqi with its partition predicate swapped for the equivalent
 * predicate on `datetime` (what one writes without knowing the layout). And the history check:
 * the same view on a 30-day lake of the same data, whose reads must match the 365-day lake's.
 *
 *   pnpm tsx bench/views.ts        # alone; `pnpm bench views` through bench/run.ts
 *
 * The lakes are written once per UTC day into the temp folder and reused (the view's window is
 * relative to today, so a lake from another day would be stale).
 */
import { existsSync } from "node:fs";
import { mkdir, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import {
  addDays,
  databaseName,
  formatIsoDay,
  LocalFolderStore,
  type LocationRow,
  layerPrefix,
  locations,
  type MeasurementRow,
  measurements,
  TableBuilder,
  writePartition,
} from "@openaq-lakehouse/pipeline-core";
import { type DuckDbEngine, deployViews, openDuckDbEngine, renderViews } from "@openaq-lakehouse/views";
import { parquetStats } from "./lib/files.js";

const SENSORS = 200; // 50 locations × 4 parameters
const PARAMETERS = [
  { parameter: "pm25", parameter_id: 2, unit: "µg/m³" },
  { parameter: "pm10", parameter_id: 1, unit: "µg/m³" },
  { parameter: "no2", parameter_id: 7, unit: "ppm" },
  { parameter: "o3", parameter_id: 3, unit: "µg/m³" },
] as const;
const WINDOW_DAYS = 3;
const RUNS = 3;

function measurementsOfDay(day: string) {
  const b = new TableBuilder(measurements);
  const start = Date.parse(`${day}T00:00:00Z`);
  for (let s = 0; s < SENSORS; s++) {
    const p = PARAMETERS[s % PARAMETERS.length] as (typeof PARAMETERS)[number];
    const location = 1000 + Math.floor(s / PARAMETERS.length);
    for (let h = 0; h < 24; h++) {
      const datetime = start + h * 3_600_000;
      const raw = ((s * 7919 + h * 104_729 + start / 3_600_000) % 1200) / 10; // 0 … 119.9
      const row: MeasurementRow = {
        location_id: location,
        sensor_id: 100_000 + s,
        parameter_id: p.parameter_id,
        parameter: p.parameter,
        // a sprinkling of -999 sentinels, and ppm-scale NO2
        value: (s + h) % 97 === 0 ? -999 : p.unit === "ppm" ? raw / 1000 : raw,
        unit: p.unit,
        datetime,
        datetime_to: datetime + 3_600_000,
        period_label: "1hour",
        period_seconds: 3600,
        coverage_percent: 100,
        has_flags: false,
        coordinates: { lat: 10 + (location % 50) / 5, lon: 104 + (location % 25) / 10 },
      };
      b.append(row);
    }
  }
  return b.toTable();
}

function locationsSnapshot(): LocationRow[] {
  return Array.from({ length: SENSORS / PARAMETERS.length }, (_, i) => ({
    location_id: 1000 + i,
    name: `Station ${1000 + i}`,
    locality: null,
    city: ["Hà Nội", "Hồ Chí Minh", "Đà Nẵng", "Huế", "Hải Phòng"][i % 5] as string,
    country_code: "VN",
    country_name: "Vietnam",
    provider: "bench",
    owner: null,
    timezone: "Asia/Ho_Chi_Minh",
    is_monitor: i % 2 === 0,
    is_mobile: false,
    coordinates: { lat: 10 + (i % 50) / 5, lon: 104 + (i % 25) / 10 },
    datetime_first: null,
    datetime_last: null,
  }));
}

/** A lake of `days` days of history ending today (UTC), written once per day and cached. */
export async function lakeOf(
  days: number,
  today: string,
): Promise<{ root: string; builtSeconds: number | "cached" }> {
  const cache = join(tmpdir(), "openaq-bench-views");
  const root = join(cache, `${today}-${days}d-${SENSORS}s`);
  const done = join(root, ".complete");
  if (existsSync(done)) return { root, builtSeconds: "cached" };
  // lakes of earlier days are stale (the window is relative to today): drop them
  await mkdir(cache, { recursive: true });
  for (const old of await readdir(cache)) {
    if (!old.startsWith(today)) await rm(join(cache, old), { recursive: true, force: true });
  }
  await rm(root, { recursive: true, force: true });
  await mkdir(root, { recursive: true });
  const store = new LocalFolderStore(root);
  const snapshot = locationsSnapshot();
  const t0 = performance.now();
  for (let i = 0; i < days; i++) {
    const day = addDays(today, -i);
    await writePartition({ store, env: "dev", dataset: measurements, day, table: measurementsOfDay(day) });
    await writePartition({ store, env: "dev", dataset: locations, day, rows: snapshot });
  }
  await writeFile(done, new Date().toISOString());
  return { root, builtSeconds: Math.round((performance.now() - t0) / 100) / 10 };
}

interface Measured {
  rows: number;
  filesRead: number;
  bytesRead: number;
  filesShareOfLake: number;
  bytesShareOfLake: number;
  medianMs: number;
  minMs: number;
}

async function measure(
  engine: DuckDbEngine,
  sql: string,
  lake: { files: number; bytes: number },
): Promise<Measured> {
  const { result, profile } = await engine.profile(sql);
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    await engine.query(sql);
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return {
    rows: result.rows.length,
    filesRead: profile.filesRead,
    bytesRead: profile.bytesRead,
    filesShareOfLake: round4(profile.filesRead / lake.files),
    bytesShareOfLake: round4(profile.bytesRead / lake.bytes),
    medianMs: round1(times[Math.floor(times.length / 2)] as number),
    minMs: round1(times[0] as number),
  };
}

const round1 = (n: number) => Math.round(n * 10) / 10;
const round4 = (n: number) => Math.round(n * 10_000) / 10_000;

export async function benchViews(): Promise<Record<string, unknown>> {
  const today = formatIsoDay(Date.now());
  const out: Record<string, unknown> = {
    data: {
      sensors: SENSORS,
      locations: SENSORS / PARAMETERS.length,
      hourly: true,
      windowDays: WINDOW_DAYS,
      runs: RUNS,
    },
  };
  const db = databaseName("dev");
  const latestSql = `SELECT * FROM ${db}.view_latest_aqi`;
  const dailySql = `SELECT * FROM ${db}.view_daily_average`;
  for (const days of [365, 30]) {
    const { root, builtSeconds } = await lakeOf(days, today);
    const lake = await parquetStats(join(root, layerPrefix("dev", "processed")));
    const engine = await openDuckDbEngine({ lakeRoot: root, env: "dev", profiling: true });
    try {
      await deployViews(engine, { env: "dev", windowDays: WINDOW_DAYS });
      const result: Record<string, unknown> = {
        lake: { days, rows: days * 24 * SENSORS, files: lake.files, bytes: lake.bytes, builtSeconds },
        view_latest_aqi: await measure(engine, latestSql, lake),
      };
      if (days === 365) {
        result.view_daily_average = await measure(engine, dailySql, lake);
        // A dashboard filter on the local day does not prune: `day` is computed, not a partition.
        result.view_daily_average_last_7_days = await measure(
          engine,
          `${dailySql} WHERE day >= CAST(current_date - INTERVAL '7' DAY AS DATE)`,
          lake,
        );
        // Peer: the same latest view with the window on `datetime` instead of the partition columns.
        const view = renderViews({ env: "dev", windowDays: WINDOW_DAYS })[0]?.sql ?? "";
        const unpruned = view
          .replace(`${db}.view_latest_aqi`, `${db}.bench_latest_aqi_unpruned`)
          .replaceAll(
            /concat\((\w+)\.year, '-', \1\.month, '-', \1\.day\) >= (CAST\(CAST\(current_date - INTERVAL '\d+' DAY AS DATE\) AS VARCHAR\))/g,
            (_m, alias: string) =>
              alias === "m"
                ? `m.datetime >= CAST(CAST(current_date - INTERVAL '${WINDOW_DAYS - 1}' DAY AS DATE) AS TIMESTAMP)`
                : "true",
          );
        if (unpruned === view || unpruned.includes("concat("))
          throw new Error("bench: could not derive the unpruned peer view");
        await engine.query(unpruned);
        result.peer_latest_aqi_datetime_filter = await measure(
          engine,
          `SELECT * FROM ${db}.bench_latest_aqi_unpruned`,
          lake,
        );
      }
      out[`history_${days}d`] = result;
    } finally {
      await engine.close();
    }
  }
  const long = (out.history_365d as { view_latest_aqi: Measured }).view_latest_aqi;
  const short = (out.history_30d as { view_latest_aqi: Measured }).view_latest_aqi;
  const peer = (out.history_365d as { peer_latest_aqi_datetime_filter: Measured })
    .peer_latest_aqi_datetime_filter;
  out.summary = {
    latestAqiFilesRead_365d_vs_30d: `${long.filesRead} vs ${short.filesRead}`,
    latestAqiBytesRead_365d_over_30d: round4(long.bytesRead / short.bytesRead),
    latestAqiIndependentOfHistory:
      long.filesRead === short.filesRead &&
      Math.abs(long.bytesRead - short.bytesRead) <= 0.02 * short.bytesRead,
    peerFilesRead_over_view: round1(peer.filesRead / long.filesRead),
    peerMedianMs_over_view: round1(peer.medianMs / long.medianMs),
  };
  return out;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  console.log(JSON.stringify(await benchViews(), null, 2));
}
