import { describe, expect, it } from "vitest";
import {
  decodeParquet,
  listKeys,
  locations,
  type MeasurementRow,
  measurements,
  type ObjectStore,
  partitionPrefix,
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

/** A store that fails the first `deleteMany`, as a process killed between writing and cleaning up would. */
function crashingBeforeDelete(store: ObjectStore): ObjectStore & { crashed: boolean } {
  const wrapper = Object.create(store) as ObjectStore & { crashed: boolean };
  wrapper.crashed = false;
  wrapper.deleteMany = async (keys) => {
    if (!wrapper.crashed) {
      wrapper.crashed = true;
      throw new Error("killed before deleting stale objects");
    }
    return store.deleteMany(keys);
  };
  return wrapper;
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
      const first = await writePartition({
        store,
        env: "dev",
        dataset: measurements,
        day: "2024-03-01",
        rows,
      });
      expect(first.keys).toEqual(["dev/processed/measurements/year=2024/month=03/day=01/part-00000.parquet"]);
      expect(first.rows).toBe(120);
      const before = await snapshot(store, "dev/");
      const second = await writePartition({
        store,
        env: "dev",
        dataset: measurements,
        day: "2024-03-01",
        rows,
      });
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
      await writePartition({
        store,
        env: "dev",
        dataset: measurements,
        day: "2024-03-01",
        rows: rowsFor("2024-03-01", 2),
      });
      await writePartition({
        store,
        env: "dev",
        dataset: measurements,
        day: "2024-03-02",
        rows: rowsFor("2024-03-02", 2),
      });
      await writePartition({
        store,
        env: "prod",
        dataset: measurements,
        day: "2024-03-01",
        rows: rowsFor("2024-03-01", 3),
      });
      const neighbours = await snapshot(store, "dev/processed/measurements/year=2024/month=03/day=02/");
      const prod = await snapshot(store, "prod/");
      const report = await writePartition({
        store,
        env: "dev",
        dataset: measurements,
        day: "2024-03-01",
        rows: rowsFor("2024-03-01", 4, 24, 1),
      });
      expect(report.rows).toBe(96);
      expect(await snapshot(store, "dev/processed/measurements/year=2024/month=03/day=02/")).toEqual(
        neighbours,
      );
      expect(await snapshot(store, "prod/")).toEqual(prod);
    }),
  );

  it(
    "splits a partition over the size cap into numbered parts and deletes parts a smaller rerun no longer needs",
    withStore(async (store) => {
      const rows = rowsFor("2024-03-03", 40);
      const big = await writePartition({
        store,
        env: "dev",
        dataset: measurements,
        day: "2024-03-03",
        rows,
        maxPartBytes: 5_500,
      });
      expect(big.keys.length).toBeGreaterThan(1);
      expect(big.keys.map((k) => k.split("/").pop())).toEqual(
        big.keys.map((_, i) => `part-${String(i).padStart(5, "0")}.parquet`),
      );
      let total = 0;
      for (const k of big.keys) total += decodeParquet((await store.get(k)) as Uint8Array).numRows;
      expect(total).toBe(rows.length);

      const small = await writePartition({
        store,
        env: "dev",
        dataset: measurements,
        day: "2024-03-03",
        rows: rows.slice(0, 10),
      });
      expect(small.keys).toHaveLength(1);
      expect(small.deletedKeys.sort()).toEqual(big.keys.slice(1).sort());
      expect(
        await listKeys(
          store,
          partitionPrefix({ env: "dev", layer: "processed", dataset: "measurements", day: "2024-03-03" }),
        ),
      ).toEqual(small.keys);
    }),
  );

  it(
    "heals a write that stopped after the new parts and before the stale ones were deleted",
    withStore(async (store) => {
      const rows = rowsFor("2024-03-04", 40);
      const big = await writePartition({
        store,
        env: "dev",
        dataset: measurements,
        day: "2024-03-04",
        rows,
        maxPartBytes: 5_500,
      });
      const crashing = crashingBeforeDelete(store);
      await expect(
        writePartition({
          store: crashing,
          env: "dev",
          dataset: measurements,
          day: "2024-03-04",
          rows: rows.slice(0, 24),
        }),
      ).rejects.toThrow(/killed/);
      // The partition is never empty: the new part-00000 plus stale parts of the old run.
      const prefix = "dev/processed/measurements/year=2024/month=03/day=04/";
      expect((await listKeys(store, prefix)).length).toBe(big.keys.length);
      const healed = await writePartition({
        store,
        env: "dev",
        dataset: measurements,
        day: "2024-03-04",
        rows: rows.slice(0, 24),
      });
      expect(await listKeys(store, prefix)).toEqual(healed.keys);
      expect(decodeParquet((await store.get(healed.keys[0] as string)) as Uint8Array).numRows).toBe(24);
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
      await writePartition({
        store,
        env: "dev",
        dataset: measurements,
        day: "2024-03-05",
        rows: rowsFor("2024-03-05", 1),
      });
      const empty = await writePartition({
        store,
        env: "dev",
        dataset: measurements,
        day: "2024-03-05",
        rows: [],
      });
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
