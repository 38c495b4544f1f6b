import {
  acquireLease,
  assertNoShrink,
  type Counts,
  DEFAULT_MAX_SHRINK,
  defaultLeaseHolder,
  type Environment,
  type IsoDay,
  type Lease,
  layerPrefix,
  locations as locationsDataset,
  measurements as measurementsDataset,
  type ObjectStore,
  type PartitionWriteReport,
  PipelineError,
  partitionRowCount,
  sumCounts,
  writePartition,
  writeQuarantine,
} from "@openaq-lakehouse/pipeline-core";
import type { Logger } from "../log.js";
import type { LocationsSnapshot } from "./transform-locations.js";
import {
  assertQuarantineRate,
  DEFAULT_MAX_QUARANTINE_RATE,
  type QuarantineLog,
  type QuarantineReason,
  quarantineRate,
} from "./transform-quarantine.js";

/**
 * The second half of every transform, whatever the source (API pages or archive files): quarantine
 * first, the quarantine-rate check, the shrink guard on both partitions, then the `locations` and
 * `measurements` partitions, all under the writer leases of the day.
 */

/** What a publishing transform is asked to honour. */
export interface PublishOptions {
  store: ObjectStore;
  env: Environment;
  day: IsoDay;
  /** Fail the run (and leave processed as it was) above this quarantined / (accepted + quarantined). */
  maxQuarantineRate?: number;
  /** Replace partitions even when they would shrink by more than `maxShrink` (a deliberate correction). */
  allowShrink?: boolean;
  maxShrink?: number;
  /** Writer leases: expiry, how long to wait for another writer, who this writer is. */
  lease?: { ttlMs?: number; waitMs?: number; pollMs?: number; holder?: string };
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

/** What one source produced for a day, ready to publish. */
export interface DayOutput {
  snapshot: LocationsSnapshot;
  measurementsQuarantine: QuarantineLog;
  locationsQuarantine: QuarantineLog;
  /** Records that malformed inputs stood for beyond the one record each quarantined. */
  malformedExtra: number;
  measurementsAccepted: number;
  /** Writes the measurements partition (after `beforeCommit` confirms the leases). */
  publishMeasurements(options: {
    allowShrink: boolean;
    beforeCommit: () => Promise<void>;
  }): Promise<PartitionWriteReport>;
}

export interface PublishedDay {
  partitions: PartitionChange[];
  rows: { measurements: number; locations: number };
  quarantined: { measurements: Counts<QuarantineReason>; locations: Counts<QuarantineReason> };
  quarantineRate: number;
  writes: DatasetWrite[];
  objectsWritten: number;
  bytesWritten: number;
}

/**
 * Runs `fn` holding the leases of (env, locations, day) and (env, measurements, day), taken in the
 * same order by every writer (so two writers never hold one each) and released whatever happens.
 */
export async function withDayLeases<T>(
  options: PublishOptions,
  what: string,
  fn: (assertLeases: () => Promise<void>) => Promise<T>,
): Promise<T> {
  const { store, env, day } = options;
  const leases: Lease[] = [];
  try {
    for (const dataset of [locationsDataset.name, measurementsDataset.name]) {
      leases.push(
        await acquireLease({
          store,
          env,
          dataset,
          day,
          holder: options.lease?.holder ?? defaultLeaseHolder(what),
          ...(options.lease?.ttlMs !== undefined && { ttlMs: options.lease.ttlMs }),
          ...(options.lease?.waitMs !== undefined && { waitMs: options.lease.waitMs }),
          ...(options.lease?.pollMs !== undefined && { pollMs: options.lease.pollMs }),
        }),
      );
    }
    return await fn(async () => {
      for (const l of leases) await l.assertHeld();
    });
  } finally {
    for (const l of leases.reverse()) await l.release().catch(() => {});
  }
}

export function checkQuarantineRateOption(options: PublishOptions): number {
  const maxRate = options.maxQuarantineRate ?? DEFAULT_MAX_QUARANTINE_RATE;
  if (!(maxRate >= 0 && maxRate <= 1)) {
    throw new PipelineError(
      "INVALID_OPTION",
      `The maximum quarantine rate must be between 0 and 1, got ${maxRate}.`,
    );
  }
  return maxRate;
}

export async function publishDay(
  options: PublishOptions,
  out: DayOutput,
  assertLeases: () => Promise<void>,
  log: Logger,
): Promise<PublishedDay> {
  const { store, env, day } = options;
  const maxRate = checkQuarantineRateOption(options);
  const { snapshot, measurementsQuarantine, locationsQuarantine } = out;
  const accepted = out.measurementsAccepted + snapshot.size;
  const quarantined = measurementsQuarantine.size + locationsQuarantine.size + out.malformedExtra;
  const byReason = sumCounts(measurementsQuarantine.byReason, locationsQuarantine.byReason);

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
    quarantineWhere: `${store.uri}/${layerPrefix(env, "quarantine")}`,
  });

  // The shrink guard checks both partitions before either is replaced: all or nothing.
  const before = {
    locations: await partitionRowCount(store, { env, dataset: locationsDataset.name, day }),
    measurements: await partitionRowCount(store, { env, dataset: measurementsDataset.name, day }),
  };
  if (!options.allowShrink) {
    const maxShrink = options.maxShrink ?? DEFAULT_MAX_SHRINK;
    if (before.measurements !== undefined)
      assertNoShrink(measurementsDataset.name, day, before.measurements, out.measurementsAccepted, maxShrink);
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
  const measurementsWrite = await out.publishMeasurements({ allowShrink: true, beforeCommit: assertLeases });
  writes.push({
    dataset: measurementsDataset.name,
    layer: "processed",
    prefix: measurementsWrite.prefix,
    objects: measurementsWrite.keys.length,
    bytes: measurementsWrite.bytes,
  });
  log.info(
    `Transformed ${day}: ${out.measurementsAccepted} measurements, ${snapshot.size} locations, ${quarantined} quarantined.`,
    { step: "transform", day, measurements: out.measurementsAccepted, locations: snapshot.size, quarantined },
  );
  const change = (dataset: string, before: number | undefined, after: number): PartitionChange => ({
    dataset,
    ...(before !== undefined && { before }),
    after,
  });
  return {
    partitions: [
      change(measurementsDataset.name, before.measurements, out.measurementsAccepted),
      change(locationsDataset.name, before.locations, snapshot.size),
    ],
    rows: { measurements: out.measurementsAccepted, locations: snapshot.size },
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
