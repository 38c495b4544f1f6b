import {
  type Environment,
  type IsoDay,
  type ObjectStore,
  PipelineError,
  parseIsoDay,
  rawKey,
  utcDayWindow,
} from "@openaq-lakehouse/pipeline-core";
import { type Logger, silentLogger } from "../log.js";
import { DEFAULT_COUNTRY_ID, type OpenAqClient } from "../openaq/client.js";
import type { Location } from "../openaq/types.js";
import {
  locationsPageName,
  MANIFEST_NAME,
  RAW_LOCATIONS_DATASET,
  RAW_MEASUREMENTS_DATASET,
  type RawManifest,
  sensorPageName,
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
  /** Objects of an earlier run of the day that this run did not produce, deleted. */
  staleObjectsDeleted: number;
  rawKeys: string[];
  manifestKey: string;
  durationMs: number;
}

/**
 * API → raw for one UTC day (DESIGN §3): the country's locations snapshot, then every sensor that
 * can have data on the day, each page's body stored byte-for-byte with its sidecar.
 *
 * Crash safety: the day's manifest is deleted first, so a run that dies midway is never taken for
 * complete; new objects are written under deterministic names (a rerun replaces, never
 * duplicates); then objects of an earlier run that this run did not write (e.g. a page 2 that no
 * longer exists) are deleted; the manifest is written last, only when every sensor succeeded.
 */
export async function extractDay(opts: ExtractOptions): Promise<ExtractReport> {
  const started = Date.now();
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
  const manifestKey = rawKey({ env, dataset: RAW_MEASUREMENTS_DATASET, day }, MANIFEST_NAME);
  await store.deleteMany([manifestKey]);

  const locationPages = await client.fetchLocations(countryId);
  const locations: Location[] = [];
  const locationsPageNames: string[] = [];
  for (const [i, page] of locationPages.entries()) {
    const name = locationsPageName(i + 1);
    await locationsOut.putResponse(name, page);
    locationsPageNames.push(name);
    locations.push(...page.data.results);
  }

  const { asked, skipped } = selectSensors(locations, window);
  const skippedByReason: Record<string, number> = {};
  for (const s of skipped) skippedByReason[s.reason] = (skippedByReason[s.reason] ?? 0) + 1;
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

  const stale = [
    ...(await locationsOut.deleteStale()),
    ...(await measurementsOut.deleteStale([manifestKey])),
  ];
  if (stale.length > 0)
    log.info(`extract ${day}: removed ${stale.length} objects left by an earlier run.`, {
      stale: stale.length,
    });

  const manifest = buildManifest(day, countryId, locationsPageNames, asked, sensorPages, skipped);
  await measurementsOut.put(
    MANIFEST_NAME,
    new TextEncoder().encode(`${JSON.stringify(manifest, null, 2)}\n`),
  );

  return {
    day,
    env,
    countryId,
    locations: locations.length,
    sensorsAsked: asked.length,
    sensorsSkipped: skipped.length,
    skippedByReason,
    pages: locationsPageNames.length + [...sensorPages.values()].reduce((n, p) => n + p.length, 0),
    requests: client.stats.requests - before.requests,
    retries: client.stats.retries - before.retries,
    rateLimited: client.stats.rateLimited - before.rateLimited,
    objectsWritten: locationsOut.objects + measurementsOut.objects,
    bytesWritten: locationsOut.bytes + measurementsOut.bytes,
    staleObjectsDeleted: stale.length,
    rawKeys: [...locationsOut.keys, ...measurementsOut.keys],
    manifestKey,
    durationMs: Date.now() - started,
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
): Promise<Map<number, string[]>> {
  const pagesBySensor = new Map<number, string[]>();
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
        const names: string[] = [];
        for (const [i, page] of pages.entries()) {
          const name = sensorPageName(task.sensorId, i + 1);
          await out.putResponse(name, page);
          names.push(name);
        }
        pagesBySensor.set(task.sensorId, names);
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

function buildManifest(
  day: IsoDay,
  countryId: number,
  locationsPages: string[],
  asked: readonly SensorTask[],
  pagesBySensor: Map<number, string[]>,
  skipped: readonly SkippedSensor[],
): RawManifest {
  return {
    version: 1,
    day,
    countryId,
    locationsPages,
    sensors: asked.map((t) => ({
      sensorId: t.sensorId,
      locationId: t.locationId,
      parameterId: t.parameterId,
      pages: pagesBySensor.get(t.sensorId) ?? [],
    })),
    skippedSensors: skipped.map((s) => ({
      sensorId: s.sensorId,
      locationId: s.locationId,
      reason: s.reason,
    })),
  };
}
