import { ParquetFile } from "parquet-wasm";
import { describe, expect, it } from "vitest";
import {
  decodeParquet,
  type Environment,
  listKeys,
  locations,
  type MeasurementRow,
  measurements,
  type ObjectStore,
  partitionPrefix,
  ROWS_PER_ROW_GROUP,
  readQuarantine,
  tableFromRows,
  writePartition,
  writeQuarantine,
} from "../src/index.js";
import { storeCases } from "./support/stores.js";

const HOUR = 3_600_000;

function rowsFor(day: string, sensors: number, hours = 24, valueOffset = 0): MeasurementRow[] {
  const start = Date.parse(`${day}T00:00:00Z`);
  const rows: MeasurementRow[] = [];
  for (let s = 0; s < sensors; s++) {
    for (let h = 0; h < hours; h++) {
      rows.push({
        location_id: 1000 + s,
        sensor_id: 5000 + s,
        parameter_id: 2,
        parameter: "pm25",
        value: Math.round((10 + s + h * 0.5 + valueOffset) * 10) / 10,
        unit: "µg/m³",
        datetime: start + h * HOUR,
        datetime_to: start + (h + 1) * HOUR,
        period_label: "1hour",
        period_seconds: 3600,
        coverage_percent: 100,
        has_flags: false,
        coordinates: { lat: 21 + s / 100, lon: 105.8 },
      });
    }
  }
  return rows;
}

async function snapshot(store: ObjectStore, prefix: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const key of await listKeys(store, prefix)) {
    const body = await store.get(key);
    out.set(key, Buffer.from(body ?? new Uint8Array()).toString("base64"));
  }
  return out;
}

/** Writes `rows` as the measurements of `day` in dev, unless `options` say otherwise. */
function writeDay(
  store: ObjectStore,
  day: string,
  rows: MeasurementRow[],
  options: { env?: Environment; allowShrink?: boolean } = {},
) {
  return writePartition({ store, env: "dev", dataset: measurements, day, rows, ...options });
}

describe.each(storeCases)("writePartition on the $name store", (storeCase) => {
  const withStore = (fn: (store: ObjectStore) => Promise<void>) => async () => {
    const { store, teardown } = await storeCase.setup();
    try {
      await fn(store);
    } finally {
      await teardown();
    }
  };

  it(
    "writes one deterministic part and a rerun gives the same keys and the same bytes",
    withStore(async (store) => {
      const rows = rowsFor("2024-03-01", 5);
      const first = await writeDay(store, "2024-03-01", rows);
      expect(first.keys).toEqual(["dev/processed/measurements/year=2024/month=03/day=01/part-00000.parquet"]);
      expect(first.rows).toBe(120);
      const before = await snapshot(store, "dev/");
      const second = await writeDay(store, "2024-03-01", rows);
      expect(second.keys).toEqual(first.keys);
      expect(second.deletedKeys).toEqual([]);
      expect(await snapshot(store, "dev/")).toEqual(before);
      const back = decodeParquet((await store.get(first.keys[0] as string)) as Uint8Array);
      expect(back.numRows).toBe(120);
      expect(back.getChild("value")?.get(0)).toBe(rows[0]?.value);
    }),
  );

  it(
    "replaces only its own partition: neighbours, other datasets and the other environment are untouched",
    withStore(async (store) => {
      await writeDay(store, "2024-03-01", rowsFor("2024-03-01", 2));
      await writeDay(store, "2024-03-02", rowsFor("2024-03-02", 2));
      await writeDay(store, "2024-03-01", rowsFor("2024-03-01", 3), { env: "prod" });
      const neighbours = await snapshot(store, "dev/processed/measurements/year=2024/month=03/day=02/");
      const prod = await snapshot(store, "prod/");
      const report = await writeDay(store, "2024-03-01", rowsFor("2024-03-01", 4, 24, 1));
      expect(report.rows).toBe(96);
      expect(await snapshot(store, "dev/processed/measurements/year=2024/month=03/day=02/")).toEqual(
        neighbours,
      );
      expect(await snapshot(store, "prod/")).toEqual(prod);
    }),
  );

  it(
    "writes one object per partition at any size, in 65,536-row row groups, and removes a legacy partition's other parts",
    withStore(async (store) => {
      const prefix = partitionPrefix({
        env: "dev",
        layer: "processed",
        dataset: "measurements",
        day: "2024-03-03",
      });
      // A partition of the earlier multi-part layout.
      await store.put(`${prefix}part-00001.parquet`, new Uint8Array([1, 2, 3]));
      const rows = rowsFor("2024-03-03", 2_750); // 66,000 rows: two row groups
      const big = await writeDay(store, "2024-03-03", rows);
      expect(big.keys).toEqual([`${prefix}part-00000.parquet`]);
      expect(big.deletedKeys).toEqual([`${prefix}part-00001.parquet`]);
      expect(await listKeys(store, prefix)).toEqual(big.keys);
      const bytes = (await store.get(big.keys[0] as string)) as Uint8Array;
      expect(decodeParquet(bytes).numRows).toBe(rows.length);
      const file = await ParquetFile.fromFile(new Blob([bytes]));
      expect(file.metadata().numRowGroups()).toBe(2);
      expect(file.metadata().rowGroup(0).numRows()).toBe(ROWS_PER_ROW_GROUP);
      file.free();
    }),
  );

  it(
    "refuses to replace a partition with materially fewer rows, unless told to, and leaves it as it was",
    withStore(async (store) => {
      const day = "2024-03-04";
      const rows = rowsFor(day, 40);
      const first = await writeDay(store, day, rows);
      expect(first.previousRows).toBeUndefined();
      const before = await store.get(first.keys[0] as string);
      const e = await writeDay(store, day, rows.slice(0, 24 * 30)).catch((x: unknown) => x as Error);
      expect((e as Error).message).toBe(
        "Refusing to replace measurements 2024-03-04: it would shrink from 960 to 720 rows (25% fewer, more than 20% allowed); processed is unchanged. Check the raw data, or pass --allow-shrink for a deliberate correction.",
      );
      expect(await store.get(first.keys[0] as string)).toEqual(before);
      // 20% fewer is within the guard; the report says before → after.
      const within = await writeDay(store, day, rows.slice(0, 24 * 32));
      expect([within.previousRows, within.rows]).toEqual([960, 768]);
      const forced = await writeDay(store, day, rows.slice(0, 24), { allowShrink: true });
      expect([forced.previousRows, forced.rows]).toEqual([768, 24]);
    }),
  );

  it(
    "refuses a schema mismatch, an invalid identifier or a bad day before writing anything",
    withStore(async (store) => {
      const locTable = tableFromRows(locations, []);
      await expect(
        writePartition({ store, env: "dev", dataset: measurements, day: "2024-03-01", table: locTable }),
      ).rejects.toThrow(/does not match dataset measurements/);
      const bad = { ...rowsFor("2024-03-01", 1)[0], value: "12" } as unknown as MeasurementRow;
      await expect(
        writePartition({ store, env: "dev", dataset: measurements, day: "2024-03-01", rows: [bad] }),
      ).rejects.toThrow(/column value expects a number/);
      await expect(
        writePartition({
          store,
          env: "dev",
          dataset: { ...measurements, name: "../etc" },
          day: "2024-03-01",
          rows: [],
        }),
      ).rejects.toThrow(/Invalid dataset name/);
      await expect(
        writePartition({
          store,
          env: "staging" as "dev",
          dataset: measurements,
          day: "2024-03-01",
          rows: [],
        }),
      ).rejects.toThrow(/Unknown environment/);
      await expect(
        writePartition({ store, env: "dev", dataset: measurements, day: "2024-3-1", rows: [] }),
      ).rejects.toThrow(/Invalid date/);
      expect(await listKeys(store, "")).toEqual([]);
    }),
  );

  it(
    "writes an empty part for a day with no rows, replacing earlier data",
    withStore(async (store) => {
      await writeDay(store, "2024-03-05", rowsFor("2024-03-05", 1));
      const empty = await writeDay(store, "2024-03-05", [], { allowShrink: true });
      expect(empty.rows).toBe(0);
      expect(decodeParquet((await store.get(empty.keys[0] as string)) as Uint8Array).numRows).toBe(0);
    }),
  );

  it(
    "replaces a day's quarantine with records and reasons, idempotently",
    withStore(async (store) => {
      const ref = { env: "dev" as const, dataset: "measurements", day: "2024-03-01" };
      const records = [
        {
          reason: "SENTINEL_VALUE",
          detail: "value -999 is a sentinel",
          source: "raw/x.json",
          record: { value: -999 },
        },
        { reason: "OUTSIDE_DAY", record: { datetime: "2024-02-29T23:00:00Z" } },
        { reason: "SENTINEL_VALUE", record: { value: -999.0 } },
      ];
      const first = await writeQuarantine({ store, ...ref, records });
      expect(first.byReason).toEqual({ SENTINEL_VALUE: 2, OUTSIDE_DAY: 1 });
      const bytes = await store.get(first.keys[0] as string);
      await writeQuarantine({ store, ...ref, records });
      expect(await store.get(first.keys[0] as string)).toEqual(bytes);
      expect((await readQuarantine(store, ref)).map((r) => r.reason)).toEqual([
        "SENTINEL_VALUE",
        "OUTSIDE_DAY",
        "SENTINEL_VALUE",
      ]);
      const cleared = await writeQuarantine({ store, ...ref, records: [] });
      expect(cleared.deletedKeys).toEqual(first.keys);
      expect(await readQuarantine(store, ref)).toEqual([]);
      await expect(
        writeQuarantine({ store, ...ref, records: [{ reason: "bad reason", record: 1 }] }),
      ).rejects.toThrow(/UPPER_SNAKE_CASE/);
    }),
  );
});
