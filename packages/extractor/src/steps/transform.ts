import { type IsoDay, utcDayWindow } from "@openaq-lakehouse/pipeline-core";
import { type Logger, silentLogger } from "../log.js";
import { LocationsSnapshot } from "./transform-locations.js";
import { MeasurementFlattener } from "./transform-measurements.js";
import {
  checkQuarantineRateOption,
  type PublishedDay,
  type PublishOptions,
  publishDay,
  withDayLeases,
} from "./transform-publish.js";
import { QuarantineLog } from "./transform-quarantine.js";
import {
  malformedPageRecord,
  parseEnvelope,
  type RawDay,
  type RawPageSpec,
  readRawDay,
  readRawPage,
  readRawPagesAhead,
} from "./transform-raw.js";
import { MeasurementPartWriter } from "./transform-write.js";

export interface TransformOptions extends PublishOptions {
  /** Rows per Parquet row group of the measurements object (default ROWS_PER_ROW_GROUP). */
  rowsPerGroup?: number;
  /** Replay this extract run (`run-{id}.manifest.json`) instead of the day's newest. */
  rawRunId?: string;
  log?: Logger;
}

export type { DatasetWrite, PartitionChange } from "./transform-publish.js";

export interface TransformReport extends PublishedDay {
  day: IsoDay;
  /** The extract run read (`legacy` for the earlier raw layout). */
  rawRunId: string;
  rawPagesRead: number;
  rawBytesRead: number;
}

/** How often (in sensors) the progress line moves. */
const PROGRESS_EVERY = 25;

/** Manifest sensors in ascending id order, pages of a sensor listed twice merged in manifest order. */
export function sensorsInOrder(
  manifest: Pick<RawDay, "sensors">,
): Array<{ sensorId: number; pages: RawPageSpec[] }> {
  const bySensor = new Map<number, RawPageSpec[]>();
  for (const s of manifest.sensors) {
    const pages = bySensor.get(s.sensorId);
    if (pages) pages.push(...s.pages);
    else bySensor.set(s.sensorId, [...s.pages]);
  }
  return [...bySensor.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([sensorId, pages]) => ({ sensorId, pages }));
}

/**
 * raw → processed (+ quarantine) for one UTC day. Reads the pages of the day's
 * complete extract one at a time, writes the `locations` snapshot and the `measurements` of day D
 * through the idempotent partition writer, and every rejected record to quarantine with its reason.
 * When the quarantine rate exceeds the limit, quarantine is written and processed is left as it was.
 *
 * Integrity: every raw body is checked against the sha256 its manifest records (a mismatch fails the
 * run naming the object); a malformed page counts as all the records it held when fetched; the
 * shrink guard refuses to replace a partition with materially fewer rows; and the run holds the
 * leases of (env, measurements, day) and (env, locations, day) from the first write to the last, so
 * two transforms of one day never interleave (the second waits, then fails naming the holder).
 */
export async function transformDay(options: TransformOptions): Promise<TransformReport> {
  return withDayLeases(options, `transform ${options.day}`, (assertLeases) =>
    transformLeased(options, assertLeases),
  );
}

async function transformLeased(
  options: TransformOptions,
  assertLeases: () => Promise<void>,
): Promise<TransformReport> {
  const { store, env, day } = options;
  const log = options.log ?? silentLogger;
  checkQuarantineRateOption(options);
  const window = utcDayWindow(day);
  const manifest = await readRawDay(store, env, day, options.rawRunId);
  // A malformed page quarantines one record but stands for all it held: the rate counts those too.
  let malformedExtra = 0;
  let rawPagesRead = 0;
  let rawBytesRead = 0;
  /** Counts a page read and parses it: its results, or undefined when it went to `quarantine` whole. */
  const pageResults = (
    key: string,
    body: Uint8Array,
    spec: RawPageSpec,
    quarantine: QuarantineLog,
  ): unknown[] | undefined => {
    rawPagesRead++;
    rawBytesRead += body.byteLength;
    const page = parseEnvelope(body);
    if (page.ok) return page.results;
    quarantine.add("MALFORMED_PAGE", malformedPageRecord(key, body), key, malformedDetail(page.why, spec));
    malformedExtra += Math.max(0, (spec.records ?? 1) - 1);
    return undefined;
  };

  const locationsQuarantine = new QuarantineLog();
  const snapshot = new LocationsSnapshot();
  for (const spec of manifest.locationsPages) {
    const { key, body } = await readRawPage(store, spec, manifest.manifestKey);
    const results = pageResults(key, body, spec, locationsQuarantine);
    if (results) snapshot.addPage(results, key, locationsQuarantine);
  }

  const measurementsQuarantine = new QuarantineLog();
  const flattener = new MeasurementFlattener(window.startMs, window.endMs, measurementsQuarantine);
  const parts = new MeasurementPartWriter(flattener, options.rowsPerGroup);
  const sensors = sensorsInOrder(manifest);
  // One stream of pages across all sensors (read ahead), each tagged with its sensor's index.
  const pageSpecs: RawPageSpec[] = [];
  const pageSensor: number[] = [];
  sensors.forEach((s, i) => {
    for (const spec of s.pages) {
      pageSpecs.push(spec);
      pageSensor.push(i);
    }
  });
  let current = -1;
  const openSensor = (i: number) => {
    const sensorId = (sensors[i] as { sensorId: number }).sensorId;
    flattener.beginSensor(sensorId, snapshot.sensors.get(sensorId));
    // The previous sensor's rows are final now: encode any full part, freeing their columns.
    parts.flush();
    if (i > 0 && (i % PROGRESS_EVERY === 0 || i === sensors.length))
      log.progress("transform", i, sensors.length);
  };
  let pageIndex = 0;
  for await (const { key, body } of readRawPagesAhead(store, pageSpecs, manifest.manifestKey)) {
    const spec = pageSpecs[pageIndex] as RawPageSpec;
    const sensorIndex = pageSensor[pageIndex++] as number;
    // Sensors without pages still open (and close) a segment, so progress counts every sensor.
    while (current < sensorIndex) openSensor(++current);
    const results = pageResults(key, body, spec, measurementsQuarantine);
    if (results) flattener.addResults(results, key);
  }
  while (current < sensors.length - 1) openSensor(++current);
  if (sensors.length > 0) log.progress("transform", sensors.length, sensors.length);
  flattener.endSensor();

  const published = await publishDay(
    options,
    {
      snapshot,
      measurementsQuarantine,
      locationsQuarantine,
      malformedExtra,
      measurementsAccepted: flattener.accepted,
      publishMeasurements: (o) => parts.publish(store, env, day, o),
    },
    assertLeases,
    log,
  );
  return { day, rawRunId: manifest.runId, rawPagesRead, rawBytesRead, ...published };
}

function malformedDetail(why: string, spec: RawPageSpec): string {
  return spec.records !== undefined
    ? `The page is ${why}; it held ${spec.records} records when fetched, all counted as quarantined.`
    : `The page is ${why}.`;
}
