/**
 * pipeline-core write benchmark: ~1,000,000 measurement rows across 30 daily partitions through the
 * idempotent writer to the local store, against DuckDB `COPY … (FORMAT parquet, COMPRESSION snappy,
 * PARTITION_BY …)` of the same data, each side in its own process.
 *
 *   pnpm tsx bench/write.ts            # both sides, prints a summary
 *   pnpm tsx bench/write.ts writer     # one side (used by the harness)
 */
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import {
  addDays,
  encodeParquet,
  LocalFolderStore,
  type MeasurementRow,
  measurements,
  TableBuilder,
  writePartition,
} from "@openaq-lakehouse/pipeline-core";
import { median, ratio, reportAndExit, runSide } from "./lib/child.js";
import { parquetStats } from "./lib/files.js";

const DAYS = 30;
const SENSORS = 1389; // 30 days × 24 h × 1,389 sensors = 1,000,080 rows
const FIRST_DAY = "2024-03-01";
const UNITS = ["µg/m³", "µg/m³", "ppm"] as const;
const PARAMS = ["pm25", "pm10", "co"] as const;

/** One day of deterministic hourly rows, built straight into a column-wise table. */
function dayTable(day: string) {
  const b = new TableBuilder(measurements);
  const start = Date.parse(`${day}T00:00:00Z`);
  const row: MeasurementRow = {
    location_id: 0,
    sensor_id: 0,
    parameter_id: 0,
    parameter: "",
    value: 0,
    unit: "",
    datetime: 0,
    datetime_to: null,
    period_label: "1hour",
    period_seconds: 3600,
    coverage_percent: 100,
    has_flags: false,
    coordinates: null,
  };
  for (let s = 0; s < SENSORS; s++) {
    const p = s % 3;
    for (let h = 0; h < 24; h++) {
      row.location_id = 1000 + (s >> 2);
      row.sensor_id = 100_000 + s;
      row.parameter_id = p + 1;
      row.parameter = PARAMS[p] as string;
      row.unit = UNITS[p] as string;
      row.value = Math.round(((s * 7919 + h * 104729 + start / 3_600_000) % 2000) / 10) / 10;
      row.datetime = start + h * 3_600_000;
      row.datetime_to = row.datetime + 3_600_000;
      row.coordinates = { lat: 8 + (s % 1500) / 100, lon: 102 + (s % 700) / 100 };
      b.append(row);
    }
  }
  return b.toTable();
}

async function writerSide(): Promise<Record<string, unknown>> {
  const dir = await mkdtemp(join(tmpdir(), "bench-writer-"));
  const store = new LocalFolderStore(dir);
  // Each day's Arrow data is built untimed (as DuckDB's side loads its table untimed), then written
  // timed; one day is held at a time, which is how the pipeline streams partitions.
  let rows = 0;
  let seconds = 0;
  let buildSeconds = 0;
  for (let d = 0; d < DAYS; d++) {
    const day = addDays(FIRST_DAY, d);
    const b0 = performance.now();
    const table = dayTable(day);
    const t0 = performance.now();
    const r = await writePartition({ store, env: "dev", dataset: measurements, day, table });
    const t1 = performance.now();
    buildSeconds += (t0 - b0) / 1000;
    seconds += (t1 - t0) / 1000;
    rows += r.rows;
  }
  const out = await parquetStats(dir);
  await rm(dir, { recursive: true, force: true });
  return {
    side: "writer",
    rows,
    seconds,
    rowsPerSec: Math.round(rows / seconds),
    rowsToArrowPerSec: Math.round(rows / buildSeconds),
    ...out,
  };
}

async function duckdbSide(): Promise<Record<string, unknown>> {
  const dir = await mkdtemp(join(tmpdir(), "bench-duckdb-"));
  // Load the very same rows into DuckDB first (not timed): our Parquet of each day, read back.
  const staging = join(dir, "staging");
  await mkdir(staging);
  for (let d = 0; d < DAYS; d++) {
    await writeFile(join(staging, `d${d}.parquet`), encodeParquet(dayTable(addDays(FIRST_DAY, d))));
  }
  const db = await DuckDBInstance.create(":memory:");
  const con = await db.connect();
  await con.run("SET TimeZone = 'UTC'");
  await con.run(`CREATE TABLE m AS SELECT * FROM read_parquet('${staging}/*.parquet')`);
  await rm(staging, { recursive: true, force: true });
  const rows = Number((await con.runAndReadAll("SELECT count(*) AS n FROM m")).getRows()[0]?.[0]);
  const out = join(dir, "out");
  const t0 = performance.now();
  await con.run(`COPY (
      SELECT *, strftime(datetime, '%Y') AS year, strftime(datetime, '%m') AS month, strftime(datetime, '%d') AS day FROM m
    ) TO '${out}' (FORMAT parquet, COMPRESSION snappy, PARTITION_BY (year, month, day), FILENAME_PATTERN 'part-{i}')`);
  const seconds = (performance.now() - t0) / 1000;
  const stats = await parquetStats(out);
  con.closeSync();
  await rm(dir, { recursive: true, force: true });
  return { side: "duckdb", rows, seconds, rowsPerSec: Math.round(rows / seconds), ...stats };
}

export async function benchWrite(rounds = 3): Promise<Record<string, unknown>> {
  const self = new URL(import.meta.url);
  // Alternate the sides and keep each side's median round: a 2-core machine is noisy.
  const writerRuns: Record<string, unknown>[] = [];
  const duckdbRuns: Record<string, unknown>[] = [];
  for (let i = 0; i < rounds; i++) {
    writerRuns.push(await runSide(self, ["writer"]));
    duckdbRuns.push(await runSide(self, ["duckdb"]));
  }
  const writer = median(writerRuns);
  const duckdb = median(duckdbRuns);
  return {
    name: "write: 1M measurement rows → 30 Snappy Parquet partitions",
    writer,
    duckdb,
    writerVsDuckdb: ratio(writer.rowsPerSec as number, duckdb.rowsPerSec as number),
    targets: "writer ≥ 0.5× DuckDB rows/s (within 2×), writer peak RSS ≤ 300 MB",
  };
}

const side = process.argv[2];
if (side === "writer") reportAndExit(await writerSide());
else if (side === "duckdb") reportAndExit(await duckdbSide());
else if (import.meta.url === `file://${process.argv[1]}`)
  console.log(JSON.stringify(await benchWrite(), null, 2));
