/**
 * Archive backfill throughput, side by side with DuckDB, the yardstick of every benchmark here.
 *
 * One month (January 2026) of a 50-location country (the local OpenAQ server's synthetic stations,
 * 6 hourly sensors each) published as the OpenAQ archive publishes it: one gzip CSV per location per
 * local day, in a local folder. Then, each in its own child process so peak RSS is its own:
 *   ours:   `archiveBackfill` (local engine): list, read, store each file in raw, transform with the
 *           API path's rules, publish the month's daily partitions;
 *   duckdb: `read_csv` over the same gzip CSVs → the same UTC-day Hive layout with `COPY … PARTITION_BY`
 *           (no raw copy, no quarantine, no dedup: a floor, not the same work).
 * Reports rows/s for both, the ratio and peak RSS, and projects API vs archive time for a year of
 * Vietnam from the measured rates and the API's published limits.
 *
 *   pnpm bench archive
 */
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { archiveObjects, startFakeOpenAq, writeArchiveFolder } from "@openaq-lakehouse/fake-openaq";
import { datasetPrefix, layerPrefix } from "@openaq-lakehouse/pipeline-core";
import { ratio, reportAndExit, runSide } from "./lib/child.js";

const SELF = fileURLToPath(import.meta.url);
const LOCATIONS = 50;
const FROM = "2026-01-01";
const TO = "2026-01-31";
const AS_OF = "2026-03-01T00:00:00Z";
/** The synthetic stations' ids (fake-openaq's catalog numbers them from 9,000,000). */
const LOCATION_IDS = Array.from({ length: LOCATIONS }, (_, i) => 9_000_000 + i);

/** The API's published limits (docs/openaq.md) and the extract's measured requests per Vietnam day. */
const API = { perMinute: 60, perHour: 2000, requestsPerVietnamDay: 206 };
/** Vietnam: 54 locations in the 2026-03-25 snapshot (docs/openaq.md), 3,625 rows in a fixture day. */
const VIETNAM = { locations: 54, rowsPerDay: 3625 };
/** Assumed: one archive GET from a host in ap-southeast-1 to us-east-1 takes ~250 ms; 8 run at once. */
const ARCHIVE_GET_MS = 250;
const ARCHIVE_CONCURRENCY = 8;

async function sideOurs(archiveDir: string, lake: string): Promise<never> {
  const { archiveBackfill, openArchive, OpenAqClient } = await import("@openaq-lakehouse/extractor");
  const { LocalFolderStore } = await import("@openaq-lakehouse/pipeline-core");
  const api = await startFakeOpenAq({ asOf: AS_OF, extraLocations: { active: LOCATIONS } });
  const client = new OpenAqClient({ baseUrl: api.url, apiKey: api.apiKey, requestsPerMinute: 100_000 });
  const started = performance.now();
  const report = await archiveBackfill({
    store: new LocalFolderStore(lake),
    env: "dev",
    from: FROM,
    to: TO,
    archive: await openArchive(archiveDir),
    client,
    now: () => Date.parse(AS_OF),
  });
  const seconds = (performance.now() - started) / 1000;
  await api.close();
  reportAndExit({
    seconds,
    rows: report.rows,
    rowsPerSec: Math.round(report.rows / seconds),
    files: report.days.reduce((n, d) => n + d.objects, 0),
    quarantined: report.quarantined,
  });
}

async function sideDuckDb(archiveDir: string, lake: string): Promise<never> {
  const { DuckDBInstance } = await import("@duckdb/node-api");
  const db = await DuckDBInstance.create(":memory:");
  const c = await db.connect();
  await c.run("SET TimeZone = 'UTC'");
  await mkdir(join(lake, layerPrefix("dev", "processed")), { recursive: true });
  const processed = join(lake, datasetPrefix({ env: "dev", layer: "processed", dataset: "measurements" }));
  const started = performance.now();
  const glob = `${archiveDir}/records/csv.gz/*/*/*/*.csv.gz`;
  // Hourly stations: the period starts an hour before the archive's period end.
  await c.run(`COPY (
      SELECT location_id, sensors_id AS sensor_id, parameter, units AS unit, value,
             datetime - INTERVAL 1 HOUR AS datetime, datetime AS datetime_to,
             strftime(datetime - INTERVAL 1 HOUR, '%Y') AS year,
             strftime(datetime - INTERVAL 1 HOUR, '%m') AS month,
             strftime(datetime - INTERVAL 1 HOUR, '%d') AS day
      FROM read_csv('${glob}', header = true, hive_partitioning = false,
        columns = {location_id: 'INTEGER', sensors_id: 'INTEGER', location: 'VARCHAR', datetime: 'TIMESTAMPTZ',
                   lat: 'DOUBLE', lon: 'DOUBLE', parameter: 'VARCHAR', units: 'VARCHAR', value: 'DOUBLE'})
      WHERE datetime - INTERVAL 1 HOUR >= TIMESTAMPTZ '${FROM} 00:00:00+00'
        AND datetime - INTERVAL 1 HOUR < TIMESTAMPTZ '${TO} 00:00:00+00' + INTERVAL 1 DAY
      ORDER BY sensor_id, datetime
    ) TO '${processed}' (FORMAT PARQUET, COMPRESSION SNAPPY, PARTITION_BY (year, month, day))`);
  const seconds = (performance.now() - started) / 1000;
  const rows = Number(
    (
      await c.runAndReadAll(`SELECT count(*) FROM read_parquet('${join(processed, "**/*.parquet")}')`)
    ).getRows()[0]?.[0],
  );
  reportAndExit({ seconds, rows, rowsPerSec: Math.round(rows / seconds) });
}

export async function benchArchive(): Promise<Record<string, unknown>> {
  const dir = await mkdtemp(join(tmpdir(), "bench-archive-"));
  try {
    const archiveDir = join(dir, "archive");
    const objects = archiveObjects({
      from: "2025-12-31",
      to: "2026-02-01",
      asOfMs: Date.parse(AS_OF),
      extraLocations: { active: LOCATIONS },
      locationIds: LOCATION_IDS,
    });
    await writeArchiveFolder(archiveDir, objects);
    const archiveBytes = objects.reduce((n, o) => n + o.body.byteLength, 0);
    const ours = await runSide(SELF, ["--side", "ours", archiveDir, join(dir, "ours")]);
    const duckdb = await runSide(SELF, ["--side", "duckdb", archiveDir, join(dir, "duckdb")]);

    // A year of Vietnam: the API is bound by its hourly limit; the archive by GETs and the transform.
    const apiRequests = API.requestsPerVietnamDay * 365;
    const apiHours = Math.max(apiRequests / API.perMinute / 60, apiRequests / API.perHour);
    const archiveFiles = VIETNAM.locations * 366;
    const archiveFetchHours = (archiveFiles * ARCHIVE_GET_MS) / ARCHIVE_CONCURRENCY / 3_600_000;
    const archiveTransformHours = (VIETNAM.rowsPerDay * 365) / (ours.rowsPerSec as number) / 3600;
    return {
      input: { locations: LOCATIONS, days: 31, files: objects.length, gzipBytes: archiveBytes },
      ours,
      duckdb,
      ratio: ratio(ours.rowsPerSec as number, duckdb.rowsPerSec as number),
      yearOfVietnam: {
        api: { requests: apiRequests, hours: Math.round(apiHours * 10) / 10, bound: "2,000 requests/hour" },
        archive: {
          files: archiveFiles,
          hours: Math.round((archiveFetchHours + archiveTransformHours) * 100) / 100,
          assumes: `${ARCHIVE_GET_MS} ms per GET, ${ARCHIVE_CONCURRENCY} at once, transform at the measured rate`,
        },
      },
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const argv = process.argv.slice(2);
if (argv[0] === "--side") {
  const [, side, archiveDir, lake] = argv as [string, string, string, string];
  if (side === "ours") await sideOurs(archiveDir, lake);
  else await sideDuckDb(archiveDir, lake);
}
