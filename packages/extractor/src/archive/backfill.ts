import { createHash, randomBytes } from "node:crypto";
import {
  addDays,
  archiveMonthPrefix,
  archiveObjectKey,
  type Environment,
  type IsoDay,
  LATENESS_WINDOW_HOURS,
  measurements as measurementsDataset,
  newRawRunId,
  type ObjectStore,
  PipelineError,
  rawBodyName,
  rawKey,
  rawRunManifestName,
  totalCount,
  utcDayWindow,
  writePartition,
} from "@openaq-lakehouse/pipeline-core";
import type { QueryEngine } from "@openaq-lakehouse/views";
import { type Logger, silentLogger } from "../log.js";
import { DEFAULT_COUNTRY_ID, type OpenAqClient } from "../openaq/client.js";
import type { Location } from "../openaq/types.js";
import { RAW_LOCATIONS_DATASET, type RawPageRef } from "../raw/names.js";
import { RawPartitionWriter } from "../steps/extract-raw-writer.js";
import { LocationsSnapshot } from "../steps/transform-locations.js";
import { MeasurementFlattener } from "../steps/transform-measurements.js";
import {
  type PublishedDay,
  type PublishOptions,
  publishDay,
  withDayLeases,
} from "../steps/transform-publish.js";
import { QuarantineLog, type QuarantineReason } from "../steps/transform-quarantine.js";
import { listRawRuns } from "../steps/transform-raw.js";
import { MeasurementPartWriter } from "../steps/transform-write.js";
import { runArchiveOnAthena, type StagedRow, stagedDayRows } from "./athena.js";
import { type ParsedArchiveFile, parseArchiveFile } from "./csv.js";
import { type ArchiveDayFile, addArchiveDay } from "./day-records.js";
import { archiveReadyAtMs, localDaysForUtcDay, monthsForRange } from "./plan.js";
import type { ArchiveObjectInfo, ArchiveSource } from "./source.js";

/**
 * `backfill --source archive`: history from the OpenAQ archive instead of the API.
 *
 * Per UTC day: the archive files of every location of the country for the local days that hold the
 * day's periods (see plan.ts) are stored byte for byte in raw (write-once, named by their sha256,
 * under `{env}/raw/archive/` and the file's local day), transformed with the API path's rules into
 * the same `measurements` and `locations` partitions, and recorded in a run manifest
 * (`{env}/raw/archive/…/day=D/run-{id}.manifest.json`, the day's commit point) with each file's ETag.
 *
 * Patch detection: a rerun lists the archive (one listing per location and month) and compares each
 * day's files and ETags with the newest manifest of that day: days whose files changed, appeared or
 * disappeared are ingested again (and say which), unchanged days are skipped at the cost of the
 * listing. That also makes the backfill resumable: a day without a manifest is simply not done yet.
 *
 * Days that ended less than the lateness window ago are not in the archive yet (OpenAQ writes a file
 * 72 h after the local day ends): they are skipped with a warning; the API path covers them.
 */

export const RAW_ARCHIVE_DATASET = "archive";

/** Archive GETs in flight at once: S3 answers each in tens of milliseconds; one at a time would idle. */
export const ARCHIVE_CONCURRENCY = 8;

export type ArchiveEngine = "local" | "athena";

export interface ArchiveBackfillOptions extends Omit<PublishOptions, "day"> {
  from: IsoDay;
  to: IsoDay;
  archive: ArchiveSource;
  /** The API client, for the country's locations (one listing per backfill). */
  client: OpenAqClient;
  countryId?: number;
  /** `local` (default): transform on this machine; `athena`: the transform runs as SQL on Athena. */
  engine?: ArchiveEngine;
  /** For `engine: "athena"`: the Athena query engine of the env, and the lake's `s3://bucket` URI. */
  athena?: { engine: QueryEngine; lakeUri: string };
  /** Re-ingest every day even when the archive did not change. */
  force?: boolean;
  now?: () => number;
  log?: Logger;
}

/** One archive file a day used, as its manifest records it. */
export interface ArchiveFileRef {
  /** The archive key. */
  key: string;
  etag: string;
  size: number;
  sha256: string;
  /** The raw copy's name in its local day's `raw/archive` partition. */
  body: string;
  localDay: IsoDay;
  locationId: number;
}

/** `{env}/raw/archive/…/day=D/run-{id}.manifest.json`. */
export interface ArchiveRunManifest {
  version: 1;
  source: "archive";
  runId: string;
  day: IsoDay;
  archive: string;
  engine: ArchiveEngine;
  countryId: number;
  completedAt: string;
  locationsPages: RawPageRef[];
  files: ArchiveFileRef[];
}

export interface ArchiveDayReport {
  day: IsoDay;
  status: "ingested" | "unchanged" | "too-recent";
  /** Against the day's previous manifest: files whose ETag changed, new files, files gone. */
  changed: string[];
  appeared: string[];
  disappeared: string[];
  objects: number;
  bytes: number;
  rows: number;
  quarantined: number;
}

export interface ArchiveBackfillReport {
  from: IsoDay;
  to: IsoDay;
  archive: string;
  engine: ArchiveEngine;
  locations: number;
  listings: number;
  days: ArchiveDayReport[];
  objects: number;
  bytes: number;
  rows: number;
  quarantined: number;
  skippedUnchanged: number;
  durationMs: number;
}

interface PlannedFile extends ArchiveObjectInfo {
  locationId: number;
  localDay: IsoDay;
}

const encoder = new TextEncoder();

/** The newest archive manifest of a day, or undefined when the day was never ingested from the archive. */
export async function readArchiveManifest(
  store: ObjectStore,
  env: Environment,
  day: IsoDay,
): Promise<ArchiveRunManifest | undefined> {
  const newest = (await listRawRuns(store, env, day, RAW_ARCHIVE_DATASET)).at(-1);
  if (newest === undefined) return undefined;
  const key = rawKey({ env, dataset: RAW_ARCHIVE_DATASET, day }, rawRunManifestName(newest));
  const body = await store.get(key);
  try {
    const m = JSON.parse(new TextDecoder().decode(body)) as ArchiveRunManifest;
    if (m.version === 1 && m.source === "archive" && m.day === day && Array.isArray(m.files)) return m;
  } catch {
    // falls through: an unreadable manifest is an error, never "not ingested"
  }
  throw new PipelineError(
    "INVALID_MANIFEST",
    `The archive manifest ${key} is not valid: remove nothing; rerun with --force to ingest ${day} again.`,
  );
}

/** A day's planned files against its previous manifest. */
function diff(planned: readonly PlannedFile[], previous: ArchiveRunManifest | undefined) {
  const before = new Map((previous?.files ?? []).map((f) => [f.key, f.etag]));
  const now = new Map(planned.map((f) => [f.key, f.etag]));
  const changed = planned.filter((f) => before.has(f.key) && before.get(f.key) !== f.etag).map((f) => f.key);
  const appeared = planned.filter((f) => !before.has(f.key)).map((f) => f.key);
  const disappeared = [...before.keys()].filter((k) => !now.has(k));
  return {
    changed,
    appeared,
    disappeared,
    same: changed.length + appeared.length + disappeared.length === 0,
  };
}

function md5Hex(body: Uint8Array): string {
  return createHash("md5").update(body).digest("hex");
}

function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  return s >= 3600
    ? `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`
    : s >= 60
      ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`
      : `${s}s`;
}

export async function archiveBackfill(options: ArchiveBackfillOptions): Promise<ArchiveBackfillReport> {
  const started = Date.now();
  const { store, env, archive, from, to } = options;
  const log = options.log ?? silentLogger;
  const now = options.now ?? Date.now;
  const engine = options.engine ?? "local";
  const countryId = options.countryId ?? DEFAULT_COUNTRY_ID;
  if (from > to) throw new PipelineError("INVALID_RANGE", `--from ${from} is after --to ${to}.`);
  if (engine === "athena" && options.athena === undefined) {
    throw new PipelineError(
      "ATHENA_REQUIRED",
      "--engine athena runs the transform on Athena: it needs an S3 lake and ATHENA_WORKGROUP.",
    );
  }

  // The country's locations: one API listing for the whole backfill.
  const locationPages = await options.client.fetchLocations(countryId);
  const locations: Location[] = locationPages.flatMap((p) => p.data.results);
  // The pages' results as their stored bytes hold them, parsed once: every day's snapshot reads them.
  const locationResults = locationPages.map(
    (p) => JSON.parse(new TextDecoder().decode(p.body)).results as unknown[],
  );
  const timeZones = new Map(locations.map((l) => [l.id, l.timezone ?? "UTC"]));

  // One archive listing per location and month of the range.
  const listed = new Map<string, ArchiveObjectInfo>();
  const months = new Map<number, string[]>();
  let listings = 0;
  for (const [locationId, tz] of timeZones) {
    const ms = monthsForRange(from, to, tz);
    months.set(locationId, ms);
    for (const month of ms) {
      for (const o of await archive.list(archiveMonthPrefix(locationId, month))) listed.set(o.key, o);
      listings++;
    }
  }
  log.info(
    `archive ${archive.uri}: ${locations.length} locations, ${listings} listings, ${listed.size} files for ${from} … ${to}.`,
    { step: "backfill", locations: locations.length, listings, files: listed.size },
  );

  const report: ArchiveBackfillReport = {
    from,
    to,
    archive: archive.uri,
    engine,
    locations: locations.length,
    listings,
    days: [],
    objects: 0,
    bytes: 0,
    rows: 0,
    quarantined: 0,
    skippedUnchanged: 0,
    durationMs: 0,
  };

  // Which days to ingest: every day whose files differ from its last manifest (or --force).
  const toIngest: Array<{ day: IsoDay; files: PlannedFile[]; diff: ReturnType<typeof diff> }> = [];
  for (let day = from; day <= to; day = addDays(day, 1)) {
    if (archiveReadyAtMs(day, timeZones.values()) > now()) {
      log.warn(
        `archive ${day}: not in the archive yet (OpenAQ writes a local day ${LATENESS_WINDOW_HOURS} h after it ends); use the API for it.`,
        { step: "backfill", day },
      );
      report.days.push(emptyDay(day, "too-recent"));
      continue;
    }
    const files: PlannedFile[] = [];
    for (const [locationId, tz] of timeZones) {
      for (const localDay of localDaysForUtcDay(day, tz)) {
        const info = listed.get(archiveObjectKey(locationId, localDay));
        if (info) files.push({ ...info, locationId, localDay });
      }
    }
    files.sort((a, b) => (a.key < b.key ? -1 : 1));
    const previous = await readArchiveManifest(store, env, day);
    const d = diff(files, previous);
    if (previous !== undefined && d.same && !options.force) {
      report.skippedUnchanged++;
      report.days.push(emptyDay(day, "unchanged"));
      continue;
    }
    toIngest.push({ day, files, diff: d });
  }
  const total = toIngest.length;
  const runId = newRawRunId(now(), randomBytes(4).toString("hex"));

  const ingestStarted = Date.now();
  const progress = (done: number, day: IsoDay, line: string) => {
    const elapsed = Date.now() - ingestStarted;
    const eta = done > 0 ? ((total - done) * elapsed) / done : 0;
    log.info(`archive ${day} (${done}/${total}, ETA ${formatDuration(eta)}): ${line}`, {
      step: "backfill",
      day,
      done,
      total,
      etaSeconds: Math.round(eta / 1000),
    });
    log.progress("backfill", done, total);
  };

  const stored = new Map<string, ArchiveFileRef>();
  type FetchedFile = ArchiveDayFile & { ref: ArchiveFileRef };
  /**
   * The files of the previous day, read and parsed: a local day's file holds periods of two UTC
   * days (Vietnam: D−1 and D), so the next day reuses them instead of reading and parsing them again.
   */
  let recent = new Map<string, { file: FetchedFile; parsed?: ParsedArchiveFile }>();
  const parseCached = (file: ArchiveDayFile): ParsedArchiveFile => {
    const entry = recent.get(file.key);
    if (entry?.parsed) return entry.parsed;
    const parsed = parseArchiveFile(file.body);
    if (entry) entry.parsed = parsed;
    return parsed;
  };
  /** Stores (write-once) and returns the bytes of each file of a day; verifies each against its ETag. */
  const fetchDay = async (
    files: readonly PlannedFile[],
  ): Promise<Array<ArchiveDayFile & { ref: ArchiveFileRef }>> => {
    const out: Array<ArchiveDayFile & { ref: ArchiveFileRef }> = new Array(files.length);
    let next = 0;
    // ARCHIVE_CONCURRENCY reads in flight; results keep the files' (key) order.
    const worker = async () => {
      while (next < files.length) {
        const i = next++;
        const f = files[i] as PlannedFile;
        const again = recent.get(f.key)?.file;
        if (again && again.ref.etag === f.etag) {
          out[i] = again;
          continue;
        }
        const body = await archive.get(f.key);
        if (body === undefined) {
          throw new PipelineError(
            "ARCHIVE_FILE_MISSING",
            `The archive file ${f.key} was listed but could not be read (it disappeared): run the backfill again.`,
          );
        }
        // A single-part upload's ETag is the md5 of its bytes: a mismatch is a torn or changed read.
        const etag = f.etag.replaceAll('"', "");
        if (/^[0-9a-f]{32}$/.test(etag) && md5Hex(body) !== etag) {
          throw new PipelineError(
            "ARCHIVE_CHECKSUM_MISMATCH",
            `The archive file ${f.key} does not match its ETag ${f.etag}: it changed while being read; run the backfill again.`,
          );
        }
        let ref = stored.get(`${f.key} ${f.etag}`);
        if (!ref) {
          const sha256 = createHash("sha256").update(body).digest("hex");
          const name = rawBodyName(sha256, "csv.gz");
          const created = await store.putIfAbsent(
            rawKey({ env, dataset: RAW_ARCHIVE_DATASET, day: f.localDay }, name),
            body,
            { contentType: "application/gzip" },
          );
          if (created) {
            report.objects++;
            report.bytes += body.byteLength;
          }
          ref = {
            key: f.key,
            etag: f.etag,
            size: body.byteLength,
            sha256,
            body: name,
            localDay: f.localDay,
            locationId: f.locationId,
          };
          stored.set(`${f.key} ${f.etag}`, ref);
        }
        out[i] = { key: f.key, body, locationId: f.locationId, localDay: f.localDay, ref };
      }
    };
    await Promise.all(Array.from({ length: Math.min(ARCHIVE_CONCURRENCY, files.length) }, worker));
    const previous = recent;
    recent = new Map();
    for (const file of out) {
      const old = previous.get(file.key);
      recent.set(file.key, old && old.file === file ? old : { file });
    }
    return out;
  };

  /** The locations snapshot of a day, its pages stored in raw/locations for that day (write-once). */
  const snapshotOf = async (day: IsoDay) => {
    const writer = new RawPartitionWriter(store, { env, dataset: RAW_LOCATIONS_DATASET, day });
    const refs: RawPageRef[] = [];
    const quarantine = new QuarantineLog();
    const snapshot = new LocationsSnapshot();
    for (const [i, page] of locationPages.entries()) {
      const ref = await writer.putResponse(page);
      refs.push(ref);
      snapshot.addPage(locationResults[i] as unknown[], writer.key(ref.body), quarantine);
    }
    return { snapshot, quarantine, refs };
  };

  const commit = async (
    day: IsoDay,
    refs: RawPageRef[],
    files: ArchiveFileRef[],
    published: PublishedDay,
    d: ReturnType<typeof diff>,
    done: number,
  ) => {
    const manifest: ArchiveRunManifest = {
      version: 1,
      source: "archive",
      runId,
      day,
      archive: archive.uri,
      engine,
      countryId,
      completedAt: new Date(now()).toISOString(),
      locationsPages: refs,
      files,
    };
    await store.putIfAbsent(
      rawKey({ env, dataset: RAW_ARCHIVE_DATASET, day }, rawRunManifestName(runId)),
      encoder.encode(`${JSON.stringify(manifest, null, 2)}\n`),
      { contentType: "application/json" },
    );
    const quarantined =
      totalCount(published.quarantined.measurements) + totalCount(published.quarantined.locations);
    report.rows += published.rows.measurements;
    report.quarantined += quarantined;
    report.days.push({
      day,
      status: "ingested",
      changed: d.changed,
      appeared: d.appeared,
      disappeared: d.disappeared,
      objects: files.length,
      bytes: files.reduce((n, f) => n + f.size, 0),
      rows: published.rows.measurements,
      quarantined,
    });
    const what =
      d.changed.length + d.disappeared.length > 0
        ? `re-ingested: ${d.changed.length} changed, ${d.appeared.length} new, ${d.disappeared.length} gone`
        : `${files.length} files`;
    progress(done, day, `${what}, ${published.rows.measurements} rows, ${quarantined} quarantined.`);
  };

  if (engine === "local") {
    let done = 0;
    for (const { day, files, diff: d } of toIngest) {
      const read = await fetchDay(files);
      const { snapshot, quarantine: locationsQuarantine, refs } = await snapshotOf(day);
      const published = await withDayLeases(
        { ...options, day },
        `archive backfill ${day}`,
        async (assertLeases) => {
          const { startMs, endMs } = utcDayWindow(day);
          const measurementsQuarantine = new QuarantineLog();
          const flattener = new MeasurementFlattener(startMs, endMs, measurementsQuarantine);
          const parts = new MeasurementPartWriter(flattener);
          addArchiveDay({
            day,
            files: read,
            sensors: snapshot.sensors,
            flattener,
            quarantine: measurementsQuarantine,
            parse: parseCached,
          });
          return publishDay(
            { ...options, day },
            {
              snapshot,
              measurementsQuarantine,
              locationsQuarantine,
              malformedExtra: 0,
              measurementsAccepted: flattener.accepted,
              publishMeasurements: (o) => parts.publish(store, env, day, o),
            },
            assertLeases,
            log,
          );
        },
      );
      await commit(
        day,
        refs,
        read.map((r) => r.ref),
        published,
        d,
        ++done,
      );
    }
  } else {
    const athena = options.athena as { engine: QueryEngine; lakeUri: string };
    // The sensors the SQL checks rows against: the locations listing, read once (each day's own
    // snapshot, stored in raw, is made when that day is published).
    const listing = new LocationsSnapshot();
    for (const results of locationResults) listing.addPage(results, "locations", new QuarantineLog());
    const sensors = [...listing.sensors.values()];
    // Contiguous runs of days to ingest: each run is chunked into Athena writes of ≤ 100 days.
    const runs: Array<typeof toIngest> = [];
    for (const item of toIngest) {
      const last = runs.at(-1)?.at(-1);
      if (last && addDays(last.day, 1) === item.day) runs.at(-1)?.push(item);
      else runs.push([item]);
    }
    let done = 0;
    for (const [i, daysRun] of runs.entries()) {
      const first = daysRun[0] as (typeof toIngest)[number];
      const lastDay = (daysRun.at(-1) as (typeof toIngest)[number]).day;
      const byDay = new Map(daysRun.map((d) => [d.day, d]));
      const fetched = new Map<IsoDay, ArchiveFileRef[]>();
      for (const d of daysRun)
        fetched.set(
          d.day,
          (await fetchDay(d.files)).map((r) => r.ref),
        );
      const publishStaged = async (day: IsoDay, rows: StagedRow[]) => {
        const item = byDay.get(day);
        if (!item) return;
        byDay.delete(day);
        const { snapshot: daySnapshot, quarantine: locationsQuarantine, refs } = await snapshotOf(day);
        const { measurements, quarantine } = stagedDayRows(rows, daySnapshot.sensors);
        const measurementsQuarantine = new QuarantineLog();
        for (const q of quarantine)
          measurementsQuarantine.add(q.reason as QuarantineReason, q.record, q.source ?? "");
        const published = await withDayLeases(
          { ...options, day },
          `archive backfill ${day}`,
          (assertLeases) =>
            publishDay(
              { ...options, day },
              {
                snapshot: daySnapshot,
                measurementsQuarantine,
                locationsQuarantine,
                malformedExtra: 0,
                measurementsAccepted: measurements.length,
                publishMeasurements: async (o) => {
                  await o.beforeCommit();
                  return writePartition({
                    store,
                    env,
                    dataset: measurementsDataset,
                    day,
                    rows: measurements,
                    allowShrink: o.allowShrink,
                  });
                },
              },
              assertLeases,
              log,
            ),
        );
        await commit(day, refs, fetched.get(day) ?? [], published, item.diff, ++done);
      };
      await runArchiveOnAthena({
        engine: athena.engine,
        store,
        lakeUri: athena.lakeUri,
        stagingPrefix: `${env}/_staging/archive/${runId}/run-${i + 1}/`,
        input: { env, months, sensors },
        from: first.day,
        to: lastDay,
        log,
        publish: publishStaged,
      });
      // Days Athena staged nothing for (no file had a row of theirs) are published empty.
      for (const day of [...byDay.keys()]) await publishStaged(day, []);
    }
  }
  report.days.sort((a, b) => (a.day < b.day ? -1 : 1));
  report.durationMs = Date.now() - started;
  return report;
}

function emptyDay(day: IsoDay, status: ArchiveDayReport["status"]): ArchiveDayReport {
  return {
    day,
    status,
    changed: [],
    appeared: [],
    disappeared: [],
    objects: 0,
    bytes: 0,
    rows: 0,
    quarantined: 0,
  };
}
