/**
 * Transform throughput, side by side with DuckDB, the yardstick of every benchmark here.
 *
 * Generates the raw layer of one UTC day holding N measurements (default 1,000,000) in the real
 * `/v3/sensors/{id}/measurements` response shape, one page per sensor plus the locations page and
 * the manifest, exactly as extract lays it out. Then, each in its own child process so peak RSS is
 * its own:
 *   ours:   transformDay (raw pages → processed Parquet + quarantine, through the partition writer);
 *   duckdb: the same flattening in SQL — read_json over the same raw files, unnest, attach location
 *           coordinates, filter the day and the sentinels, dedupe, sort → COPY … (FORMAT parquet, snappy).
 * Reports rows/s for both, the ratio, and peak RSS. Targets: ratio ≥ 0.5 and our peak RSS ≤ 256 MB.
 *
 *   pnpm tsx bench/transform.ts            (BENCH_TRANSFORM_ROWS=200000 for a quick run)
 */
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdir, mkdtemp, realpath, rm, stat, symlink, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { float, toJson } from "@openaq-lakehouse/fake-openaq/json";
import {
  datetimeObject,
  envelope,
  measurementResultJson,
  meta,
} from "@openaq-lakehouse/fake-openaq/responses";
import {
  partFileName,
  partitionPrefix,
  rawBodyName,
  rawRunManifestName,
} from "@openaq-lakehouse/pipeline-core";

const DAY = "2024-03-05";
const ROWS_PER_SENSOR = 200;
const SENSORS_PER_LOCATION = 5;
const FIVE_MIN = 300;
const PAGE_LIMIT = 1000;
const SELF = fileURLToPath(import.meta.url);
const ROOT = join(dirname(SELF), "..");

function pad(n: number, w = 2): string {
  return String(n).padStart(w, "0");
}

/** The generated stations are in Vietnam: UTC+7. */
const OFFSET_MINUTES = 420;

const PARAMS = [
  { id: 2, name: "pm25", units: "µg/m³" },
  { id: 1, name: "pm10", units: "µg/m³" },
  { id: 3, name: "o3", units: "µg/m³" },
  { id: 5, name: "no2", units: "µg/m³" },
  { id: 19, name: "pm1", units: "µg/m³" },
];

/** One measurement result, as the local OpenAQ server writes it. */
function measurement(p: (typeof PARAMS)[number], startSec: number, value: number, flags: boolean) {
  return measurementResultJson({
    parameter: p,
    endSec: startSec + FIVE_MIN,
    intervalSec: FIVE_MIN,
    offsetMinutes: OFFSET_MINUTES,
    value: float(value),
    hasFlags: flags,
  });
}

/** The folder of DAY's raw partition of `dataset` in the lake folder. */
function rawDir(lake: string, dataset: "locations" | "measurements"): string {
  return join(lake, partitionPrefix({ env: "dev", layer: "raw", dataset, day: DAY }));
}

/** Writes the raw layer of DAY with `rows` measurements; returns its size in bytes. */
export async function generateRawDay(
  lake: string,
  rows: number,
): Promise<{ bytes: number; sensors: number }> {
  const sensors = Math.ceil(rows / ROWS_PER_SENSOR);
  const locationsCount = Math.ceil(sensors / SENSORS_PER_LOCATION);
  const locDir = rawDir(lake, "locations");
  const mDir = rawDir(lake, "measurements");
  await mkdir(locDir, { recursive: true });
  await mkdir(mDir, { recursive: true });
  let bytes = 0;
  const dayStart = Date.parse(`${DAY}T00:00:00Z`) / 1000;
  const locations: string[] = [];
  const pageRef = (body: string, records: number) => {
    const sha256 = createHash("sha256").update(body).digest("hex");
    return {
      body: rawBodyName(sha256),
      sha256,
      bytes: Buffer.byteLength(body),
      records,
      url: "https://api.openaq.org/v3/bench",
      status: 200,
      headers: {},
      fetchedAt: "2024-01-15T00:00:00.000Z",
    };
  };
  const manifestSensors: Array<{
    sensorId: number;
    locationId: number;
    parameterId: number;
    pages: ReturnType<typeof pageRef>[];
  }> = [];
  let left = rows;
  for (let l = 0; l < locationsCount; l++) {
    const locationId = 100_000 + l;
    const lat = 8.5 + ((l * 37) % 140) / 10;
    const lon = 102.2 + ((l * 53) % 70) / 10;
    const sensorJson: string[] = [];
    for (let k = 0; k < SENSORS_PER_LOCATION && left > 0; k++) {
      const sensorId = 5_000_000 + l * 10 + k;
      const p = PARAMS[k % PARAMS.length] as (typeof PARAMS)[number];
      sensorJson.push(
        `{"id":${sensorId},"name":"${p.name} ${p.units}","parameter":{"id":${p.id},"name":"${p.name}","units":"${p.units}","displayName":null}}`,
      );
      const n = Math.min(ROWS_PER_SENSOR, left);
      left -= n;
      const results: ReturnType<typeof measurement>[] = [];
      for (let i = 0; i < n; i++) {
        const h = (sensorId * 31 + i * 17) % 1000;
        // ~0.1% sentinels, ~0.5% small negatives (low-cost sensors), the rest positive readings.
        const value =
          h === 0
            ? -999
            : h < 6
              ? -Math.round(h * 3) / 10
              : Math.round((5 + ((sensorId + i * 7) % 900) / 10) * 10) / 10;
        results.push(measurement(p, dayStart + i * FIVE_MIN, value, h === 999));
      }
      const body = envelope(1, PAGE_LIMIT, results);
      const ref = pageRef(body, n);
      await writeFile(join(mDir, ref.body), body);
      // The DuckDB side takes the sensor id from the file name: the same bytes under the earlier name.
      await writeFile(join(mDir, `sensor-${sensorId}-p0001.json`), body);
      bytes += Buffer.byteLength(body);
      manifestSensors.push({ sensorId, locationId, parameterId: p.id, pages: [ref] });
    }
    const first = datetimeObject(dayStart - 86_400 * 400, OFFSET_MINUTES);
    const last = datetimeObject(dayStart + 86_400, OFFSET_MINUTES);
    locations.push(
      `{"id":${locationId},"name":"Station ${l}","locality":${l % 3 === 0 ? "null" : l % 3 === 1 ? '"N/A"' : '"Hanoi"'},"timezone":"Asia/Bangkok","country":{"id":56,"code":"VN","name":"Vietnam"},"owner":{"id":4,"name":"Unknown Governmental Organization"},"provider":{"id":66,"name":"AirGradient"},"isMobile":false,"isMonitor":false,"instruments":[{"id":3,"name":"AirGradient Open Air"}],"sensors":[${sensorJson.join(",")}],"coordinates":{"latitude":${lat},"longitude":${lon}},"licenses":null,"bounds":[${lon},${lat},${lon},${lat}],"distance":null,"datetimeFirst":{"utc":"${first.utc}","local":"${first.local}"},"datetimeLast":{"utc":"${last.utc}","local":"${last.local}"}}`,
    );
  }
  // The real listing pages at 1,000 locations; so does this one.
  const locationPages: ReturnType<typeof pageRef>[] = [];
  for (let i = 0; i * PAGE_LIMIT < locations.length; i++) {
    const slice = locations.slice(i * PAGE_LIMIT, (i + 1) * PAGE_LIMIT);
    const body = `{"meta":${toJson(meta(1, PAGE_LIMIT, slice.length))},"results":[${slice.join(",")}]}`;
    const ref = pageRef(body, slice.length);
    await writeFile(join(locDir, ref.body), body);
    await writeFile(join(locDir, `locations-p${pad(i + 1, 4)}.json`), body);
    bytes += Buffer.byteLength(body);
    locationPages.push(ref);
  }
  // The write-once layout: content-addressed bodies and one run manifest, so transform's sha256
  // check of every body is part of what is measured.
  const runId = "20240115T000000000Z-be0c00";
  const manifest = {
    version: 2,
    runId,
    day: DAY,
    countryId: 56,
    startedAt: "2024-01-15T00:00:00.000Z",
    completedAt: "2024-01-15T00:00:00.000Z",
    locationsPages: locationPages,
    sensors: manifestSensors,
    skippedSensors: [],
  };
  await writeFile(join(mDir, rawRunManifestName(runId)), JSON.stringify(manifest));
  return { bytes, sensors };
}

interface SideResult {
  ms: number;
  rows: number;
  maxRssMb: number;
  outBytes: number;
}

/**
 * ours: the pipeline's transform step, as the CLI runs it. Imported by the extractor's `./transform`
 * entry, which loads the step alone: the package's main entry would also load the CLI, the API client
 * and the AWS SDK clients into the measured process (about 30 MB more peak RSS).
 */
async function sideOurs(lake: string): Promise<SideResult> {
  const { LocalFolderStore } = await import("@openaq-lakehouse/pipeline-core");
  const { transformDay } = await import("@openaq-lakehouse/extractor/transform");
  const store = new LocalFolderStore(lake);
  const t0 = performance.now();
  const r = await transformDay({ store, env: "dev", day: DAY });
  const ms = performance.now() - t0;
  const outBytes = r.writes
    .filter((w) => w.layer === "processed" && w.dataset === "measurements")
    .reduce((a, w) => a + w.bytes, 0);
  return { ms, rows: r.rows.measurements, maxRssMb: process.resourceUsage().maxRSS / 1024, outBytes };
}

/** duckdb: the same flattening as one SQL statement over the same raw files. */
async function sideDuckDb(lake: string): Promise<SideResult> {
  const { DuckDBInstance } = await import("@duckdb/node-api");
  const out = join(lake, "duckdb-out");
  const outFile = join(out, partFileName(0));
  await mkdir(out, { recursive: true });
  const dt = 'STRUCT(utc VARCHAR, "local" VARCHAR)';
  const measurementType = `STRUCT("value" DOUBLE, flagInfo STRUCT(hasFlags BOOLEAN), parameter STRUCT(id INTEGER, "name" VARCHAR, units VARCHAR), period STRUCT("label" VARCHAR, "interval" VARCHAR, datetimeFrom ${dt}, datetimeTo ${dt}), coverage STRUCT(percentCoverage DOUBLE))`;
  const locationType = `STRUCT(id INTEGER, sensors STRUCT(id INTEGER, parameter STRUCT(id INTEGER))[], coordinates STRUCT(latitude DOUBLE, longitude DOUBLE))`;
  const sql = `
COPY (
  WITH sensors AS (
    SELECT s.id AS sensor_id, l.id AS location_id, s.parameter.id AS parameter_id,
           struct_pack(lat := l.coordinates.latitude, lon := l.coordinates.longitude) AS coordinates
    FROM (SELECT unnest(results) AS l FROM read_json('${join(rawDir(lake, "locations"), "locations-p*.json")}',
            format = 'auto', columns = {results: '${locationType}[]'})) AS x(l),
         LATERAL (SELECT unnest(x.l.sensors) AS s) AS y(s)
  ),
  rows AS (
    SELECT CAST(regexp_extract(filename, 'sensor-([0-9]+)-p', 1) AS INTEGER) AS sensor_id, filename,
           unnest(results) AS m
    FROM read_json('${join(rawDir(lake, "measurements"), "sensor-*.json")}', format = 'auto', filename = true,
                   columns = {results: '${measurementType}[]'})
  ),
  flat AS (
    SELECT s.location_id, r.sensor_id, m.parameter.id AS parameter_id, m.parameter.name AS parameter,
           m.value AS value, m.parameter.units AS unit,
           CAST(CAST(m.period.datetimeFrom.utc AS TIMESTAMPTZ) AS TIMESTAMP_MS) AS datetime,
           CAST(CAST(m.period.datetimeTo.utc AS TIMESTAMPTZ) AS TIMESTAMP_MS) AS datetime_to,
           m.period.label AS period_label,
           CAST(epoch(CAST(m.period.interval AS INTERVAL)) AS INTEGER) AS period_seconds,
           m.coverage.percentCoverage AS coverage_percent, m.flagInfo.hasFlags AS has_flags,
           s.coordinates, r.filename
    FROM rows r JOIN sensors s ON s.sensor_id = r.sensor_id AND s.parameter_id = r.m.parameter.id
  )
  -- DISTINCT ON keeps the first row per (sensor, period start): the dedup rule of transform.
  SELECT DISTINCT ON (sensor_id, datetime) * EXCLUDE (filename) FROM flat
  WHERE value IS NOT NULL AND value NOT IN (-999, -999.9, -9999, -99999, -999999)
    AND datetime >= TIMESTAMP '${DAY} 00:00:00' AND datetime < TIMESTAMP '${DAY} 00:00:00' + INTERVAL 1 DAY
  ORDER BY sensor_id, datetime, filename
) TO '${outFile}' (FORMAT parquet, COMPRESSION snappy)`;
  const instance = await DuckDBInstance.create(":memory:");
  const con = await instance.connect();
  await con.run("SET TimeZone = 'UTC'");
  const t0 = performance.now();
  await con.run(sql);
  const ms = performance.now() - t0;
  const count = await con.runAndReadAll(`SELECT count(*)::INTEGER AS n FROM read_parquet('${outFile}')`);
  const rows = Number(count.getRowObjects()[0]?.n ?? 0);
  const outBytes = (await stat(outFile)).size;
  con.closeSync();
  instance.closeSync();
  return { ms, rows, maxRssMb: process.resourceUsage().maxRSS / 1024, outBytes };
}

/**
 * Both sides run from an esbuild bundle of this file under plain `node`, as the CLI ships in its
 * container: no TypeScript loader thread in the measured process's memory or time. The bundle sits
 * in bench/out/ with the two unbundleable packages linked beside it, as in the image.
 */
async function bundleSelf(): Promise<string> {
  const outdir = join(ROOT, "bench/out/transform");
  await mkdir(join(outdir, "node_modules/@duckdb"), { recursive: true });
  const link = async (name: string, from: string) => {
    const target = await realpath(join(ROOT, from, "node_modules", name));
    await rm(join(outdir, "node_modules", name), { force: true, recursive: true });
    await symlink(target, join(outdir, "node_modules", name));
  };
  await link("parquet-wasm", "packages/pipeline-core");
  await link("@duckdb/node-api", "packages/extractor");
  // esbuild is the extractor's devDependency (the container bundle is built with it).
  const esbuild = createRequire(join(ROOT, "packages/extractor/package.json"))("esbuild") as {
    build(options: Record<string, unknown>): Promise<unknown>;
  };
  const outfile = join(outdir, "bench-transform.mjs");
  await esbuild.build({
    entryPoints: [SELF],
    outfile,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    external: ["@duckdb/node-api", "parquet-wasm", "esbuild"],
    // Workspace packages from their TypeScript source (their `development` export condition).
    conditions: ["development"],
    banner: {
      js: 'import { createRequire as __createRequire } from "node:module"; const require = __createRequire(import.meta.url);',
    },
    logLevel: "warning",
  });
  return outfile;
}

function runSide(bundle: string, side: "ours" | "duckdb", lake: string): Promise<SideResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bundle, "--side", side, "--lake", lake], {
      cwd: ROOT,
      stdio: ["ignore", "pipe", "inherit"],
      env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" },
    });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.on("error", reject);
    child.on("close", (code) => {
      if (code !== 0) reject(new Error(`bench side ${side} exited ${code}`));
      else resolve(JSON.parse(out.trim().split("\n").at(-1) as string) as SideResult);
    });
  });
}

/** Both sides must have written the same rows: compare counts and sums with DuckDB. */
async function compareOutputs(lake: string): Promise<{ same: boolean; detail: Record<string, unknown> }> {
  const { DuckDBInstance } = await import("@duckdb/node-api");
  const instance = await DuckDBInstance.create(":memory:");
  const con = await instance.connect();
  const q = (files: string) =>
    `SELECT count(*)::BIGINT::VARCHAR AS n, round(sum(value), 3)::VARCHAR AS sum_value, sum(epoch_ms(datetime))::VARCHAR AS sum_ts, round(sum(coordinates.lat), 3)::VARCHAR AS sum_lat, min(sensor_id)::VARCHAR AS min_sensor FROM read_parquet('${files}')`;
  // Every part of the partition (a day this large is written as several parts).
  const ours = (
    await con.runAndReadAll(
      q(
        join(
          lake,
          partitionPrefix({ env: "dev", layer: "processed", dataset: "measurements", day: DAY }),
          "*.parquet",
        ),
      ),
    )
  ).getRowObjects()[0];
  const duck = (await con.runAndReadAll(q(join(lake, "duckdb-out", partFileName(0))))).getRowObjects()[0];
  con.closeSync();
  instance.closeSync();
  return { same: JSON.stringify(ours) === JSON.stringify(duck), detail: { ours, duckdb: duck } };
}

/** One side's figures as reported: seconds, rows, rate, peak RSS and output size. */
function sideSummary(
  side: { ms: number; rows: number; maxRssMb: number; outBytes: number },
  rate: number,
): Record<string, number> {
  return {
    seconds: +(side.ms / 1000).toFixed(2),
    rows: side.rows,
    rowsPerSecond: Math.round(rate),
    peakRssMb: Math.round(side.maxRssMb),
    parquetMiB: +(side.outBytes / 1048576).toFixed(1),
  };
}

export async function benchTransform(): Promise<Record<string, unknown>> {
  const rows = Number(process.env.BENCH_TRANSFORM_ROWS ?? 1_000_000);
  const lake = await mkdtemp(join(tmpdir(), "bench-transform-"));
  try {
    const t0 = performance.now();
    const raw = await generateRawDay(lake, rows);
    const generateMs = performance.now() - t0;
    const bundle = await bundleSelf();
    const ours = await runSide(bundle, "ours", lake);
    const duckdb = await runSide(bundle, "duckdb", lake);
    const check = await compareOutputs(lake);
    const oursRate = ours.rows / (ours.ms / 1000);
    const duckRate = duckdb.rows / (duckdb.ms / 1000);
    const ratio = oursRate / duckRate;
    return {
      name: "transform: raw API pages -> processed Parquet, vs DuckDB read_json -> COPY parquet",
      measurements: rows,
      sensors: raw.sensors,
      rawMiB: +(raw.bytes / 1048576).toFixed(1),
      generateSeconds: +(generateMs / 1000).toFixed(2),
      ours: sideSummary(ours, oursRate),
      duckdb: sideSummary(duckdb, duckRate),
      ratio: +ratio.toFixed(2),
      sameOutput: check.same,
      outputCheck: check.detail,
      targets: { ratioAtLeast: 0.5, oursPeakRssMbAtMost: 256 },
      pass: check.same && ratio >= 0.5 && ours.maxRssMb <= 256,
    };
  } finally {
    await rm(lake, { recursive: true, force: true });
  }
}

const argv = process.argv.slice(2);
if (process.argv[1] && SELF === (await realpath(process.argv[1]).catch(() => process.argv[1]))) {
  if (argv[0] === "--side") {
    const lake = argv[3] as string;
    const result = argv[1] === "ours" ? await sideOurs(lake) : await sideDuckDb(lake);
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } else {
    process.stdout.write(`${JSON.stringify(await benchTransform(), null, 2)}\n`);
  }
}
