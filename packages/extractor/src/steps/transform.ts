import {
  acquireLease,
  assertNoShrink,
  DEFAULT_MAX_SHRINK,
  defaultLeaseHolder,
  type Environment,
  type IsoDay,
  type Lease,
  locations as locationsDataset,
  measurements as measurementsDataset,
  type ObjectStore,
  PipelineError,
  partitionPrefix,
  partitionRowCount,
  utcDayWindow,
  writePartition,
  writeQuarantine,
} from "@openaq-lakehouse/pipeline-core";
import { type Logger, silentLogger } from "../log.js";
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
  type RawDay,
  type RawPageSpec,
  readRawDay,
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
  /** Rows per Parquet row group of the measurements object (default ROWS_PER_ROW_GROUP). */
  rowsPerGroup?: number;
  /** Replay this extract run (`run-{id}.manifest.json`) instead of the day's newest. */
  rawRunId?: string;
  /** Replace partitions even when they would shrink by more than `maxShrink` (a deliberate correction). */
  allowShrink?: boolean;
  maxShrink?: number;
  /** Writer leases: expiry, how long to wait for another writer, who this writer is. */
  lease?: { ttlMs?: number; waitMs?: number; pollMs?: number; holder?: string };
  log?: Logger;
}

/** A processed partition this transform replaced: rows before (absent: it did not exist) and after. */
export interface PartitionChange {
  dataset: string;
  before?: number;
  after: number;
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
  /** The extract run read (`legacy` for the earlier raw layout). */
  rawRunId: string;
  partitions: PartitionChange[];
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
export function sensorsInOrder(manifest: Pick<RawDay, "sensors">): Array<{ sensorId: number; pages: RawPageSpec[] }> {
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
 * raw → processed (+ quarantine) for one UTC day (DESIGN §3, §4). Reads the pages of the day's
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
  const { store, env, day } = options;
  const leases: Lease[] = [];
  try {
    // Alphabetical order, the same for every writer: two writers never hold one lease each.
    for (const dataset of [locationsDataset.name, measurementsDataset.name]) {
      leases.push(
        await acquireLease({
          store,
          env,
          dataset,
          day,
          holder: options.lease?.holder ?? defaultLeaseHolder(`transform ${day}`),
          ...(options.lease?.ttlMs !== undefined && { ttlMs: options.lease.ttlMs }),
          ...(options.lease?.waitMs !== undefined && { waitMs: options.lease.waitMs }),
          ...(options.lease?.pollMs !== undefined && { pollMs: options.lease.pollMs }),
        }),
      );
    }
    return await transformLeased(options, async () => {
      for (const l of leases) await l.assertHeld();
    });
  } finally {
    for (const l of leases.reverse()) await l.release().catch(() => {});
  }
}

async function transformLeased(options: TransformOptions, assertLeases: () => Promise<void>): Promise<TransformReport> {
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
  const manifest = await readRawDay(store, env, day, options.rawRunId);
  // A malformed page quarantines one record but stands for all it held: the rate counts those too.
  let malformedExtra = 0;
  let rawPagesRead = 0;
  let rawBytesRead = 0;

  const locationsQuarantine = new QuarantineLog();
  const snapshot = new LocationsSnapshot();
  for (const spec of manifest.locationsPages) {
    const { key, body } = await readRawPage(store, spec, manifest.manifestKey);
    rawPagesRead++;
    rawBytesRead += body.byteLength;
    const page = parseEnvelope(body);
    if (!page.ok) {
      locationsQuarantine.add("MALFORMED_PAGE", malformedPageRecord(key, body), key, malformedDetail(page.why, spec));
      malformedExtra += Math.max(0, (spec.records ?? 1) - 1);
      continue;
    }
    snapshot.addPage(page.results, key, locationsQuarantine);
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
    rawPagesRead++;
    rawBytesRead += body.byteLength;
    const page = parseEnvelope(body);
    if (!page.ok) {
      measurementsQuarantine.add("MALFORMED_PAGE", malformedPageRecord(key, body), key, malformedDetail(page.why, spec));
      malformedExtra += Math.max(0, (spec.records ?? 1) - 1);
      continue;
    }
    flattener.addResults(page.results, key);
  }
  while (current < sensors.length - 1) openSensor(++current);
  if (sensors.length > 0) log.progress("transform", sensors.length, sensors.length);
  flattener.endSensor();

  const accepted = flattener.accepted + snapshot.size;
  const quarantined = measurementsQuarantine.size + locationsQuarantine.size + malformedExtra;
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

  // The shrink guard checks both partitions before either is replaced: all or nothing.
  const before = {
    locations: await partitionRowCount(store, { env, dataset: locationsDataset.name, day }),
    measurements: await partitionRowCount(store, { env, dataset: measurementsDataset.name, day }),
  };
  if (!options.allowShrink) {
    const maxShrink = options.maxShrink ?? DEFAULT_MAX_SHRINK;
    if (before.measurements !== undefined)
      assertNoShrink(measurementsDataset.name, day, before.measurements, flattener.accepted, maxShrink);
    if (before.locations !== undefined)
      assertNoShrink(locationsDataset.name, day, before.locations, snapshot.size, maxShrink);
  }
  await assertLeases();
  const locationsWrite = await writePartition({
    store,
    env,
    dataset: locationsDataset,
    day,
    rows: snapshot.rows(),
    allowShrink: true,
  });
  writes.push({
    dataset: locationsDataset.name,
    layer: "processed",
    prefix: locationsWrite.prefix,
    objects: locationsWrite.keys.length,
    bytes: locationsWrite.bytes,
  });
  // Every accepted measurement starts on D (the rest is quarantined OUTSIDE_DAY): one partition.
  const measurementsWrite = await parts.publish(store, env, day, { allowShrink: true, beforeCommit: assertLeases });
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
  const partitions: PartitionChange[] = [
    { dataset: measurementsDataset.name, ...(before.measurements !== undefined && { before: before.measurements }), after: flattener.accepted },
    { dataset: locationsDataset.name, ...(before.locations !== undefined && { before: before.locations }), after: snapshot.size },
  ];
  return {
    day,
    rawRunId: manifest.runId,
    partitions,
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

function malformedDetail(why: string, spec: RawPageSpec): string {
  return spec.records !== undefined
    ? `The page is ${why}; it held ${spec.records} records when fetched, all counted as quarantined.`
    : `The page is ${why}.`;
}

/** The processed partition prefixes a transform of `day` replaces (for plans and catalogs). */
export function transformTargets(env: Environment, day: IsoDay): string[] {
  return [measurementsDataset.name, locationsDataset.name].map((dataset) =>
    partitionPrefix({ env, layer: "processed", dataset, day }),
  );
}
