import {
  addDays,
  decodeParquet,
  type IsoDay,
  listKeys,
  type MeasurementRow,
  type ObjectStore,
  PipelineError,
  type QuarantineRecord,
} from "@openaq-lakehouse/pipeline-core";
import type { QueryEngine } from "@openaq-lakehouse/views";
import type { Logger } from "../log.js";
import type { SensorInfo } from "../steps/transform-locations.js";
import { type ArchiveSqlInput, ATHENA_MAX_PARTITIONS_PER_WRITE, archiveTransformSql } from "./sql.js";

/**
 * The archive transform on Athena (`backfill --source archive --engine athena`): the range is cut
 * into chunks of at most 100 days (Athena writes at most 100 partitions per UNLOAD/CTAS/INSERT), each
 * chunk is one `UNLOAD (<archive SQL>) TO <staging> WITH (format PARQUET, partitioned_by day)`, and
 * each staged day is then published into the lake's layout by the caller, with the same writers,
 * atomic replacement and leases as the local engine. Staging is under `{env}/_staging/` and is
 * removed once its days are published.
 */

export interface DayChunk {
  from: IsoDay;
  to: IsoDay;
}

/** `from`…`to` in chunks of at most `maxDays` days. */
export function chunkDays(from: IsoDay, to: IsoDay, maxDays = ATHENA_MAX_PARTITIONS_PER_WRITE): DayChunk[] {
  if (!(Number.isInteger(maxDays) && maxDays >= 1)) throw new PipelineError("INVALID_OPTION", "maxDays ≥ 1.");
  const chunks: DayChunk[] = [];
  for (let start = from; start <= to; start = addDays(start, maxDays)) {
    const end = addDays(start, maxDays - 1);
    chunks.push({ from: start, to: end < to ? end : to });
  }
  return chunks;
}

/** Athena's UNLOAD around the archive SELECT: Snappy Parquet, one folder per UTC day. */
export function unloadSql(select: string, stagingUri: string): string {
  if (!/^s3:\/\/[a-z0-9][a-z0-9.-]+\/.*\/$/.test(stagingUri) || stagingUri.includes("'")) {
    throw new PipelineError("INVALID_OPTION", `Invalid staging location ${JSON.stringify(stagingUri)}.`);
  }
  return `UNLOAD (\n${select}\n) TO '${stagingUri}' WITH (format = 'PARQUET', compression = 'SNAPPY', partitioned_by = ARRAY['day'])`;
}

/** One staged day: the keys Athena wrote under `…/day=YYYY-MM-DD/`. */
export interface StagedDay {
  day: IsoDay;
  keys: string[];
}

/** Groups the objects of a staging prefix by their `day=` folder, in day order. */
export async function stagedDays(store: ObjectStore, prefix: string): Promise<StagedDay[]> {
  const byDay = new Map<IsoDay, string[]>();
  for (const key of await listKeys(store, prefix)) {
    const m = /\/day=(\d{4}-\d{2}-\d{2})\/[^/]+$/.exec(key);
    // Athena also writes a manifest and metadata files beside the data; only day folders hold rows.
    if (!m) continue;
    const day = m[1] as IsoDay;
    byDay.set(day, [...(byDay.get(day) ?? []), key]);
  }
  return [...byDay.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([day, keys]) => ({ day, keys }));
}

export interface AthenaArchiveRun {
  engine: QueryEngine;
  /** The lake (an S3 store): staging is read from it. */
  store: ObjectStore;
  /** `s3://bucket[/prefix]/` of the lake's root, where `stagingPrefix` lives. */
  lakeUri: string;
  /** `{env}/_staging/archive/{runId}/`: unique per run, because UNLOAD needs an empty destination. */
  stagingPrefix: string;
  input: Omit<ArchiveSqlInput, "from" | "to">;
  from: IsoDay;
  to: IsoDay;
  log: Logger;
  /** Called for each staged day in order; the day's staging objects are deleted after it returns. */
  publish(day: IsoDay, rows: StagedRow[]): Promise<void>;
}

/** Runs every chunk on Athena and hands each staged day to `publish`. Returns the days published. */
export async function runArchiveOnAthena(run: AthenaArchiveRun): Promise<IsoDay[]> {
  if (run.engine.kind !== "athena") {
    throw new PipelineError("INVALID_OPTION", "The archive's Athena engine needs an Athena query engine.");
  }
  const published: IsoDay[] = [];
  const chunks = chunkDays(run.from, run.to);
  for (const [i, chunk] of chunks.entries()) {
    const prefix = `${run.stagingPrefix}chunk-${String(i + 1).padStart(4, "0")}/`;
    run.log.info(`archive on Athena: chunk ${i + 1}/${chunks.length} (${chunk.from} … ${chunk.to}).`, {
      step: "backfill",
      chunk: i + 1,
      chunks: chunks.length,
    });
    const select = archiveTransformSql({ ...run.input, from: chunk.from, to: chunk.to });
    await run.engine.query(unloadSql(select, `${run.lakeUri.replace(/\/+$/, "")}/${prefix}`));
    for (const staged of await stagedDays(run.store, prefix)) {
      const rows: StagedRow[] = [];
      for (const key of staged.keys) {
        const body = await run.store.get(key);
        if (body === undefined || body.byteLength === 0) continue;
        rows.push(...stagedRows(body, key));
      }
      await run.publish(staged.day, rows);
      await run.store.deleteMany(staged.keys);
      published.push(staged.day);
    }
    // What is left in the chunk (Athena's own manifest files) goes too.
    await run.store.deleteMany(await listKeys(run.store, prefix));
  }
  return published;
}

/** One output row of the archive SQL, read back from staged Parquet. */
export interface StagedRow {
  reason: string | null;
  source: string;
  location_id: number | null;
  sensor_id: number | null;
  parameter_id: number | null;
  parameter: string;
  unit: string;
  value: number | null;
  value_text: string;
  start_ms: number | null;
  end_ms: number | null;
  period_seconds: number | null;
  datetime_text: string;
}

function num(v: unknown): number | null {
  return v === null || v === undefined ? null : Number(v);
}

export function stagedRows(parquet: Uint8Array, key: string): StagedRow[] {
  let table: ReturnType<typeof decodeParquet>;
  try {
    table = decodeParquet(parquet);
  } catch (e) {
    throw new PipelineError("STAGING_UNREADABLE", `The staged object ${key} is not readable Parquet.`, {
      cause: e,
    });
  }
  const out: StagedRow[] = [];
  for (const r of table.toArray() as Array<Record<string, unknown>>) {
    out.push({
      reason: (r.reason as string | null) ?? null,
      source: String(r.source ?? ""),
      location_id: num(r.location_id),
      sensor_id: num(r.sensor_id),
      parameter_id: num(r.parameter_id),
      parameter: String(r.parameter ?? ""),
      unit: String(r.unit ?? ""),
      value: num(r.value),
      value_text: String(r.value_text ?? ""),
      start_ms: num(r.start_ms),
      end_ms: num(r.end_ms),
      period_seconds: num(r.period_seconds),
      datetime_text: String(r.datetime_text ?? ""),
    });
  }
  return out;
}

/**
 * Staged rows of one day → processed measurement rows (in the local engine's order: sensor, then
 * period start) and quarantine records, the archive's fields kept as read.
 */
export function stagedDayRows(
  rows: readonly StagedRow[],
  sensors: ReadonlyMap<number, SensorInfo>,
): { measurements: MeasurementRow[]; quarantine: QuarantineRecord[] } {
  const measurements: MeasurementRow[] = [];
  const quarantine: QuarantineRecord[] = [];
  for (const r of rows) {
    if (r.reason !== null) {
      quarantine.push({
        reason: r.reason,
        source: r.source,
        record: {
          location_id: r.location_id,
          sensors_id: r.sensor_id,
          datetime: r.datetime_text,
          parameter: r.parameter,
          units: r.unit,
          value: r.value_text,
        },
      });
      continue;
    }
    const sensor = sensors.get(r.sensor_id as number) as SensorInfo;
    measurements.push({
      location_id: sensor.locationId,
      sensor_id: sensor.sensorId,
      parameter_id: sensor.parameterId,
      parameter: r.parameter,
      value: r.value as number,
      unit: r.unit,
      datetime: r.start_ms as number,
      datetime_to: r.end_ms,
      period_label: "raw",
      period_seconds: r.period_seconds,
      coverage_percent: null,
      has_flags: null,
      coordinates: sensor.lat === null && sensor.lon === null ? null : { lat: sensor.lat, lon: sensor.lon },
    });
  }
  measurements.sort((a, b) => a.sensor_id - b.sensor_id || a.datetime - b.datetime);
  quarantine.sort((a, b) =>
    String(a.source) < String(b.source) ? -1 : String(a.source) > String(b.source) ? 1 : 0,
  );
  return { measurements, quarantine };
}
