import {
  type Environment,
  type IsoDay,
  locations as locationsDataset,
  measurements as measurementsDataset,
  type ObjectStore,
  PipelineError,
  partitionPrefix,
  utcDayWindow,
  writePartition,
  writeQuarantine,
} from "@openaq-lakehouse/pipeline-core";
import { type Logger, silentLogger } from "../log.js";
import { RAW_LOCATIONS_DATASET, RAW_MEASUREMENTS_DATASET, type RawManifest } from "../raw/names.js";
import { LocationsSnapshot } from "./transform-locations.js";
import { MeasurementFlattener } from "./transform-measurements.js";
import {
  assertQuarantineRate,
  DEFAULT_MAX_QUARANTINE_RATE,
  QuarantineLog,
  quarantineRate,
} from "./transform-quarantine.js";
import {
  malformedPageRecord,
  parseEnvelope,
  readManifest,
  readRawPage,
  readRawPagesAhead,
} from "./transform-raw.js";
import { MeasurementPartWriter } from "./transform-write.js";

export interface TransformOptions {
  store: ObjectStore;
  env: Environment;
  day: IsoDay;
  /** Fail the run (and leave processed as it was) above this quarantined / (accepted + quarantined). */
  maxQuarantineRate?: number;
  /** Rows per Parquet part of the measurements partition (default MEASUREMENT_ROWS_PER_PART). */
  rowsPerPart?: number;
  log?: Logger;
}

export interface DatasetWrite {
  dataset: string;
  layer: "processed" | "quarantine";
  prefix: string;
  objects: number;
  bytes: number;
}

export interface TransformReport {
  day: IsoDay;
  rawPagesRead: number;
  rawBytesRead: number;
  rows: { measurements: number; locations: number };
  quarantined: { measurements: Record<string, number>; locations: Record<string, number> };
  quarantineRate: number;
  writes: DatasetWrite[];
  objectsWritten: number;
  bytesWritten: number;
}

/** How often (in sensors) the progress line moves. */
const PROGRESS_EVERY = 25;

/** Manifest sensors in ascending id order, pages of a sensor listed twice merged in manifest order. */
export function sensorsInOrder(manifest: RawManifest): Array<{ sensorId: number; pages: string[] }> {
  const bySensor = new Map<number, string[]>();
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
 * raw → processed (+ quarantine) for one UTC day (DESIGN §3, §4). Reads the pages of the day's
 * complete extract one at a time, writes the `locations` snapshot and the `measurements` of day D
 * through the idempotent partition writer, and every rejected record to quarantine with its reason.
 * When the quarantine rate exceeds the limit, quarantine is written and processed is left as it was.
 */
export async function transformDay(options: TransformOptions): Promise<TransformReport> {
  const { store, env, day } = options;
  const log = options.log ?? silentLogger;
  const maxRate = options.maxQuarantineRate ?? DEFAULT_MAX_QUARANTINE_RATE;
  if (!(maxRate >= 0 && maxRate <= 1)) {
    throw new PipelineError(
      "INVALID_OPTION",
      `The maximum quarantine rate must be between 0 and 1, got ${maxRate}.`,
    );
  }
  const window = utcDayWindow(day);
  const manifest = await readManifest(store, env, day);
  let rawPagesRead = 0;
  let rawBytesRead = 0;

  const locationsQuarantine = new QuarantineLog();
  const snapshot = new LocationsSnapshot();
  for (const name of manifest.locationsPages) {
    const { key, body } = await readRawPage(store, env, RAW_LOCATIONS_DATASET, day, name);
    rawPagesRead++;
    rawBytesRead += body.byteLength;
    const page = parseEnvelope(body);
    if (!page.ok) {
      locationsQuarantine.add(
        "MALFORMED_PAGE",
        malformedPageRecord(key, body),
        key,
        `The page is ${page.why}.`,
      );
      continue;
    }
    snapshot.addPage(page.results, key, locationsQuarantine);
  }

  const measurementsQuarantine = new QuarantineLog();
  const flattener = new MeasurementFlattener(window.startMs, window.endMs, measurementsQuarantine);
  const parts = new MeasurementPartWriter(flattener, options.rowsPerPart);
  const sensors = sensorsInOrder(manifest);
  // One stream of pages across all sensors (read ahead), each tagged with its sensor's index.
  const pageNames: string[] = [];
  const pageSensor: number[] = [];
  sensors.forEach((s, i) => {
    for (const name of s.pages) {
      pageNames.push(name);
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
  for await (const { key, body } of readRawPagesAhead(store, env, RAW_MEASUREMENTS_DATASET, day, pageNames)) {
    const sensorIndex = pageSensor[pageIndex++] as number;
    // Sensors without pages still open (and close) a segment, so progress counts every sensor.
    while (current < sensorIndex) openSensor(++current);
    rawPagesRead++;
    rawBytesRead += body.byteLength;
    const page = parseEnvelope(body);
    if (!page.ok) {
      measurementsQuarantine.add(
        "MALFORMED_PAGE",
        malformedPageRecord(key, body),
        key,
        `The page is ${page.why}.`,
      );
      continue;
    }
    flattener.addResults(page.results, key);
  }
  while (current < sensors.length - 1) openSensor(++current);
  if (sensors.length > 0) log.progress("transform", sensors.length, sensors.length);
  flattener.endSensor();

  const accepted = flattener.accepted + snapshot.size;
  const quarantined = measurementsQuarantine.size + locationsQuarantine.size;
  const byReason: Record<string, number> = {};
  for (const q of [measurementsQuarantine, locationsQuarantine]) {
    for (const [reason, n] of Object.entries(q.byReason)) byReason[reason] = (byReason[reason] ?? 0) + n;
  }

  // Quarantine first: it is what an operator looks at when the rate check below fails the run.
  const writes: DatasetWrite[] = [];
  for (const [dataset, q] of [
    [measurementsDataset.name, measurementsQuarantine],
    [locationsDataset.name, locationsQuarantine],
  ] as const) {
    const w = await writeQuarantine({ store, env, dataset, day, records: q.records });
    writes.push({ dataset, layer: "quarantine", prefix: w.prefix, objects: w.keys.length, bytes: w.bytes });
  }
  assertQuarantineRate({
    day,
    accepted,
    quarantined,
    byReason,
    maxRate,
    quarantineWhere: `${store.uri}/${env}/quarantine/`,
  });

  const locationsWrite = await writePartition({
    store,
    env,
    dataset: locationsDataset,
    day,
    rows: snapshot.rows(),
  });
  writes.push({
    dataset: locationsDataset.name,
    layer: "processed",
    prefix: locationsWrite.prefix,
    objects: locationsWrite.keys.length,
    bytes: locationsWrite.bytes,
  });
  // Every accepted measurement starts on D (the rest is quarantined OUTSIDE_DAY): one partition.
  const measurementsWrite = await parts.publish(store, env, day);
  writes.push({
    dataset: measurementsDataset.name,
    layer: "processed",
    prefix: measurementsWrite.prefix,
    objects: measurementsWrite.keys.length,
    bytes: measurementsWrite.bytes,
  });
  log.info(
    `Transformed ${day}: ${flattener.accepted} measurements, ${snapshot.size} locations, ${quarantined} quarantined.`,
    { step: "transform", day, measurements: flattener.accepted, locations: snapshot.size, quarantined },
  );
  return {
    day,
    rawPagesRead,
    rawBytesRead,
    rows: { measurements: flattener.accepted, locations: snapshot.size },
    quarantined: {
      measurements: { ...measurementsQuarantine.byReason },
      locations: { ...locationsQuarantine.byReason },
    },
    quarantineRate: quarantineRate(accepted, quarantined),
    writes,
    objectsWritten: writes.reduce((n, w) => n + w.objects, 0),
    bytesWritten: writes.reduce((n, w) => n + w.bytes, 0),
  };
}

/** The processed partition prefixes a transform of `day` replaces (for plans and catalogs). */
export function transformTargets(env: Environment, day: IsoDay): string[] {
  return [measurementsDataset.name, locationsDataset.name].map((dataset) =>
    partitionPrefix({ env, layer: "processed", dataset, day }),
  );
}
