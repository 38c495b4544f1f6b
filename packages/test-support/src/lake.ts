/**
 * Lakes built by hand for tests: measurement and location rows with plausible defaults (a test
 * states only what it checks), written into a local lake folder through the partition writer, and
 * the files of a lake folder read back.
 */
import { mkdtemp, readdir, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  formatIsoDay,
  type IsoDay,
  LocalFolderStore,
  type LocationRow,
  locations,
  type MeasurementRow,
  measurements,
  writePartition,
} from "@openaq-lakehouse/pipeline-core";

const UGM3 = "µg/m³";

/** Today's UTC day, the anchor of every window fixture. */
export function utcToday(): IsoDay {
  return formatIsoDay(Date.now());
}

/** Epoch ms of `day` + hh:mm UTC. */
export function at(day: IsoDay, hour: number, minute = 0): number {
  return Date.parse(`${day}T00:00:00Z`) + hour * 3_600_000 + minute * 60_000;
}

/** A measurement row: an hourly µg/m³ reading, unflagged, fully covered, unless `r` says otherwise. */
export function reading(
  r: Pick<MeasurementRow, "location_id" | "sensor_id" | "parameter" | "value" | "datetime"> &
    Partial<MeasurementRow>,
): MeasurementRow {
  return {
    parameter_id: { pm25: 2, pm10: 1, no2: 7, o3: 10, co: 8, so2: 9 }[r.parameter] ?? 99,
    unit: UGM3,
    datetime_to: r.datetime + 3_600_000,
    period_label: "1hour",
    period_seconds: 3600,
    coverage_percent: 100,
    has_flags: false,
    coordinates: { lat: 21, lon: 105.8 },
    ...r,
  };
}

/** A location row: a Vietnamese AirNow monitor, unless `r` says otherwise. */
export function place(
  r: Pick<LocationRow, "location_id" | "name" | "city"> & Partial<LocationRow>,
): LocationRow {
  return {
    locality: null,
    country_code: "VN",
    country_name: "Vietnam",
    provider: "AirNow",
    owner: null,
    timezone: "Asia/Ho_Chi_Minh",
    is_monitor: true,
    is_mobile: false,
    coordinates: { lat: 21.0245, lon: 105.84117 },
    datetime_first: null,
    datetime_last: null,
    ...r,
  };
}

/** A new empty folder under the OS temp folder, named after `prefix`. */
export async function tempLake(prefix: string): Promise<string> {
  return mkdtemp(join(tmpdir(), `${prefix}-`));
}

/** Writes measurements into their UTC-day partitions and location snapshots into the given days. */
export async function writeLake(
  root: string,
  data: { measurements?: MeasurementRow[]; snapshots?: Record<IsoDay, LocationRow[]> },
  env: "dev" | "prod" = "dev",
): Promise<void> {
  const store = new LocalFolderStore(root);
  const byDay = new Map<IsoDay, MeasurementRow[]>();
  for (const m of data.measurements ?? []) {
    const day = formatIsoDay(m.datetime);
    byDay.set(day, [...(byDay.get(day) ?? []), m]);
  }
  for (const [day, rows] of byDay) await writePartition({ store, env, dataset: measurements, day, rows });
  for (const [day, rows] of Object.entries(data.snapshots ?? {})) {
    await writePartition({ store, env, dataset: locations, day, rows });
  }
}

/** Every file under `dir` with its bytes, keyed by path (for "the key is nowhere in the lake"). */
export async function readTree(dir: string): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  async function walk(d: string): Promise<void> {
    let entries: import("node:fs").Dirent[];
    try {
      entries = await readdir(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else out.set(p, await readFile(p));
    }
  }
  await walk(dir);
  return out;
}
