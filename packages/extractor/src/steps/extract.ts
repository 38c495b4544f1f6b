import { randomBytes } from "node:crypto";
import {
  countBy,
  type Environment,
  type IsoDay,
  newRawRunId,
  type ObjectStore,
  PipelineError,
  parseIsoDay,
  rawRunManifestName,
  utcDayWindow,
} from "@openaq-lakehouse/pipeline-core";
import { type Logger, silentLogger } from "../log.js";
import { DEFAULT_COUNTRY_ID, type OpenAqClient } from "../openaq/client.js";
import type { Location } from "../openaq/types.js";
import {
  RAW_LOCATIONS_DATASET,
  RAW_MEASUREMENTS_DATASET,
  type RawPageRef,
  type RawRunManifest,
} from "../raw/names.js";
import { RawPartitionWriter } from "./extract-raw-writer.js";
import { type SensorTask, type SkippedSensor, selectSensors } from "./extract-sensors.js";

export interface ExtractOptions {
  store: ObjectStore;
  env: Environment;
  day: IsoDay;
  client: OpenAqClient;
  /** Default 56 (Vietnam). */
  countryId?: number;
  log?: Logger;
  now?: () => number;
}

export interface ExtractReport {
  day: IsoDay;
  env: Environment;
  countryId: number;
  locations: number;
  sensorsAsked: number;
  sensorsSkipped: number;
  skippedByReason: Record<string, number>;
  /** Pages stored: 1+ for locations, 1+ per asked sensor. */
  pages: number;
  /** HTTP attempts during this run, and how many of them were retries / 429s. */
  requests: number;
  retries: number;
  rateLimited: number;
  objectsWritten: number;
  bytesWritten: number;
  /** Pages whose exact bytes were already stored by an earlier run (an unchanged answer adds nothing). */
  pagesUnchanged: number;
  /** This run's id: `transform --raw-run <id>` replays exactly what it stored. */
  runId: string;
  rawKeys: string[];
  manifestKey: string;
  durationMs: number;
}

/**
 * API → raw for one UTC day (the day rule, `utcDayWindow`): the country's locations snapshot, then
 * every sensor that can have data on the day, each page's body stored byte-for-byte with its sidecar.
 *
 * Write-once: every body is stored under the sha256 of its bytes with a conditional create, so
 * nothing an earlier run stored is ever overwritten or deleted, and an identical answer is stored
 * once. The run's manifest (`run-{runId}.manifest.json`, a new name per run) is created last, only
 * when every sensor succeeded: it is the commit point. A run that dies midway leaves bodies no
 * manifest lists, which transform never reads; the earlier runs stay replayable (`--raw-run`).
 */
export async function extractDay(opts: ExtractOptions): Promise<ExtractReport> {
  const now = opts.now ?? Date.now;
  const started = now();
  const { store, env, day, client } = opts;
  const countryId = opts.countryId ?? DEFAULT_COUNTRY_ID;
  const log = opts.log ?? silentLogger;
  parseIsoDay(day);
  const window = utcDayWindow(day);
  if (!Number.isInteger(countryId) || countryId < 1) {
    throw new PipelineError(
      "INVALID_COUNTRY",
      `Invalid OpenAQ country id ${countryId}: expected a positive integer.`,
    );
  }
  if (window.startMs > started) {
    // No period of that day exists yet; a "complete" empty partition would be a lie.
    throw new PipelineError("DAY_IN_FUTURE", `Cannot extract ${day}: that UTC day has not started yet.`);
  }
  const before = { ...client.stats };

  const locationsOut = new RawPartitionWriter(store, { env, dataset: RAW_LOCATIONS_DATASET, day });
  const measurementsOut = new RawPartitionWriter(store, { env, dataset: RAW_MEASUREMENTS_DATASET, day });
  const runId = newRawRunId(started, randomBytes(4).toString("hex"));
  const manifestName = rawRunManifestName(runId);
  const manifestKey = measurementsOut.key(manifestName);

  const locationPages = await client.fetchLocations(countryId);
  const locations: Location[] = [];
  const locationsPageRefs: RawPageRef[] = [];
  for (const page of locationPages) {
    locationsPageRefs.push(await locationsOut.putResponse(page));
    locations.push(...page.data.results);
  }

  const { asked, skipped } = selectSensors(locations, window);
  const skippedByReason = countBy(skipped, (s) => s.reason);
  log.info(
    `extract ${day}: ${locations.length} locations, asking ${asked.length} sensors, skipping ${skipped.length} with no data possible on the day.`,
    {
      day,
      locations: locations.length,
      sensorsAsked: asked.length,
      sensorsSkipped: skipped.length,
      ...skippedByReason,
    },
  );

  const sensorPages = await fetchSensorDays(asked, opts, window, measurementsOut, log);

  const manifest = buildManifest({
    runId,
    day,
    countryId,
    startedAt: new Date(started).toISOString(),
    completedAt: new Date(now()).toISOString(),
    locationsPages: locationsPageRefs,
    asked,
    pagesBySensor: sensorPages,
    skipped,
  });
  const manifestBody = new TextEncoder().encode(`${JSON.stringify(manifest, null, 2)}\n`);
  if (!(await measurementsOut.create(manifestName, manifestBody))) {
    // Run ids are unique (time + random): an existing manifest means a clash, never a rerun.
    throw new PipelineError(
      "RAW_RUN_EXISTS",
      `The raw run manifest ${manifestKey} already exists: retry the extract.`,
    );
  }
  const unchanged = locationsOut.unchanged + measurementsOut.unchanged;
  log.info(`extract ${day}: run ${runId} stored; ${unchanged} pages were unchanged since an earlier run.`, {
    day,
    runId,
    unchanged,
  });

  return {
    day,
    env,
    countryId,
    locations: locations.length,
    sensorsAsked: asked.length,
    sensorsSkipped: skipped.length,
    skippedByReason,
    pages: locationsPageRefs.length + [...sensorPages.values()].reduce((n, p) => n + p.length, 0),
    requests: client.stats.requests - before.requests,
    retries: client.stats.retries - before.retries,
    rateLimited: client.stats.rateLimited - before.rateLimited,
    objectsWritten: locationsOut.objects + measurementsOut.objects,
    bytesWritten: locationsOut.bytes + measurementsOut.bytes,
    pagesUnchanged: unchanged,
    runId,
    rawKeys: [...locationsOut.keys, ...measurementsOut.keys],
    manifestKey,
    durationMs: now() - started,
  };
}

/**
 * Fetches and stores each sensor's pages with 2 × `client.concurrency` workers. The first sensor that
 * fails stops the run (no new sensors start; those in flight finish) and its error is thrown: it
 * names the sensor and why.
 */
async function fetchSensorDays(
  tasks: readonly SensorTask[],
  opts: ExtractOptions,
  window: { from: string; to: string },
  out: RawPartitionWriter,
  log: Logger,
): Promise<Map<number, RawPageRef[]>> {
  const pagesBySensor = new Map<number, RawPageRef[]>();
  let next = 0;
  let done = 0;
  let failure: { error: unknown; sensorId: number } | undefined;
  const batch = Math.max(1, opts.client.concurrency);
  log.progress("extract", 0, tasks.length);

  async function worker(): Promise<void> {
    while (failure === undefined && next < tasks.length) {
      const task = tasks[next++] as SensorTask;
      try {
        const pages = await opts.client.fetchSensorMeasurements(task.sensorId, window);
        const refs: RawPageRef[] = [];
        for (const page of pages) refs.push(await out.putResponse(page));
        pagesBySensor.set(task.sensorId, refs);
        done++;
        if (done % batch === 0 || done === tasks.length) log.progress("extract", done, tasks.length);
      } catch (e) {
        failure ??= { error: e, sensorId: task.sensorId };
      }
    }
  }

  // Twice as many workers as requests in flight, so storing one sensor overlaps fetching the next;
  // the client still bounds the requests themselves.
  await Promise.all(Array.from({ length: Math.min(2 * batch, tasks.length) }, worker));
  if (failure !== undefined) {
    const { error, sensorId } = failure;
    if (error instanceof PipelineError) throw error;
    const reason = error instanceof Error ? error.message : String(error);
    throw new PipelineError("EXTRACT_FAILED", `Extract failed at sensor ${sensorId}: ${reason}`, {
      cause: error,
    });
  }
  return pagesBySensor;
}

function buildManifest(m: {
  runId: string;
  day: IsoDay;
  countryId: number;
  startedAt: string;
  completedAt: string;
  locationsPages: RawPageRef[];
  asked: readonly SensorTask[];
  pagesBySensor: Map<number, RawPageRef[]>;
  skipped: readonly SkippedSensor[];
}): RawRunManifest {
  return {
    version: 2,
    runId: m.runId,
    day: m.day,
    countryId: m.countryId,
    startedAt: m.startedAt,
    completedAt: m.completedAt,
    locationsPages: m.locationsPages,
    sensors: m.asked.map((t) => ({
      sensorId: t.sensorId,
      locationId: t.locationId,
      parameterId: t.parameterId,
      pages: m.pagesBySensor.get(t.sensorId) ?? [],
    })),
    skippedSensors: m.skipped.map((s) => ({
      sensorId: s.sensorId,
      locationId: s.locationId,
      reason: s.reason,
    })),
  };
}
