import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  defineDataset,
  listDatasetPartitions,
  type MeasurementRow,
  measurements,
  type ObjectStore,
  optional,
  type PartitionFilter,
  type ReadRowOf,
  readPartitions,
  readRows,
  readTable,
  required,
  t,
  type WritableRow,
  writePartition,
} from "../src/index.js";
import { storeCases } from "./support/stores.js";

const readings = defineDataset({
  name: "readings",
  description: "Readings by region and day.",
  partitionKeys: ["region", "dt"],
  columns: [
    required("station", t.string(), "Station id."),
    required("at", t.timestampMs(), "Reading time, UTC."),
    optional("count", t.int64(), "A 64-bit counter."),
    optional("pm25", t.float64(), "PM2.5."),
    optional(
      "where",
      t.struct(optional("lat", t.float64(), ""), optional("lon", t.float64(), "")),
      "Position.",
    ),
  ],
});

const hour = (day: string, h: number) => Date.parse(`${day}T${String(h).padStart(2, "0")}:00:00Z`);

describe.each(storeCases)("read API on the $name store", (storeCase) => {
  let store: ObjectStore;
  let teardown: () => Promise<void>;

  /** Writes `rows` as the readings of `region` on `day` in dev. */
  const writeReadings = (
    day: string,
    region: string,
    rows: WritableRow<typeof readings>[],
    options: { allowShrink?: boolean } = {},
  ) => writePartition({ store, env: "dev", dataset: readings, day, partition: { region }, rows, ...options });

  /** Every row `readRows` yields in dev for `filter`, in order. */
  async function rowsWhere(filter: PartitionFilter<typeof readings>): Promise<ReadRowOf<typeof readings>[]> {
    const rows: ReadRowOf<typeof readings>[] = [];
    for await (const r of readRows({ store, env: "dev", dataset: readings, filter })) rows.push(r);
    return rows;
  }

  beforeAll(async () => {
    ({ store, teardown } = await storeCase.setup());
    for (const region of ["north", "south"]) {
      for (const day of ["2024-03-01", "2024-03-02", "2024-03-03"]) {
        await writeReadings(
          day,
          region,
          [0, 1].map((h) => ({
            station: `${region}-${h}`,
            at: hour(day, h),
            count: h === 0 ? 9_007_199_254_740_991n : null,
            pm25: h === 0 ? 10.5 : null,
            where: h === 0 ? { lat: 21.02, lon: null } : null,
          })),
        );
      }
    }
  });
  afterAll(() => teardown());

  it("lists partitions, filtered by values, by a predicate or by days", async () => {
    const all = await listDatasetPartitions({ store, env: "dev", dataset: readings });
    expect(all.map((p) => `${p.values.region}/${p.day}`)).toEqual([
      "north/2024-03-01",
      "north/2024-03-02",
      "north/2024-03-03",
      "south/2024-03-01",
      "south/2024-03-02",
      "south/2024-03-03",
    ]);
    const north = await listDatasetPartitions({
      store,
      env: "dev",
      dataset: readings,
      filter: { region: "north" },
    });
    expect(north.map((p) => p.prefix)).toEqual([
      "dev/processed/readings/region=north/dt=2024-03-01/",
      "dev/processed/readings/region=north/dt=2024-03-02/",
      "dev/processed/readings/region=north/dt=2024-03-03/",
    ]);
    const picked = await listDatasetPartitions({
      store,
      env: "dev",
      dataset: readings,
      filter: (v) => v.region === "south" && v.dt !== "2024-03-02",
    });
    expect(picked.map((p) => p.day)).toEqual(["2024-03-01", "2024-03-03"]);
    const ranged = await listDatasetPartitions({
      store,
      env: "dev",
      dataset: readings,
      filter: { region: ["north", "south"] },
      days: { from: "2024-03-02" },
    });
    expect(ranged).toHaveLength(4);
    await expect(
      listDatasetPartitions({ store, env: "dev", dataset: readings, filter: { zone: "x" } as never }),
    ).rejects.toThrow(/no partition key zone/);
  });

  it("reads typed rows: Date timestamps, numbers for int64, structs, nulls and the partition keys", async () => {
    const rows = await rowsWhere({ region: "north", dt: "2024-03-02" });
    expect(rows).toEqual([
      {
        station: "north-0",
        at: new Date("2024-03-02T00:00:00Z"),
        count: 9_007_199_254_740_991,
        pm25: 10.5,
        where: { lat: 21.02, lon: null },
        region: "north",
        dt: "2024-03-02",
      },
      {
        station: "north-1",
        at: new Date("2024-03-02T01:00:00Z"),
        count: null,
        pm25: null,
        where: null,
        region: "north",
        dt: "2024-03-02",
      },
    ]);
    expect(rows[0]?.at).toBeInstanceOf(Date);
  });

  it("reads one partition at a time and everything as one Arrow table", async () => {
    const seen: string[] = [];
    for await (const { partition, table } of readPartitions({
      store,
      env: "dev",
      dataset: readings,
      days: { to: "2024-03-01" },
    })) {
      seen.push(`${partition.values.region}:${table.numRows}:${table.getChild("region")?.get(0)}`);
    }
    expect(seen).toEqual(["north:2:north", "south:2:south"]);
    const table = await readTable({ store, env: "dev", dataset: readings });
    expect(table.numRows).toBe(12);
    expect(table.schema.fields.map((f) => f.name)).toEqual([
      "station",
      "at",
      "count",
      "pm25",
      "where",
      "region",
      "dt",
    ]);
    expect(table.getChild("count")?.get(0)).toBe(9_007_199_254_740_991n);
    const none = await readTable({ store, env: "dev", dataset: readings, filter: { region: "east" } });
    expect(none.numRows).toBe(0);
  });

  it("reads a replaced partition as its new contents only", async () => {
    await writeReadings(
      "2024-03-03",
      "south",
      [{ station: "replaced", at: hour("2024-03-03", 5), count: 1n, pm25: 1, where: null }],
      { allowShrink: true },
    );
    const rows = await rowsWhere({ region: "south", dt: "2024-03-03" });
    expect(rows.map((r) => [r.station, r.count, r.at.toISOString()])).toEqual([
      ["replaced", 1, "2024-03-03T05:00:00.000Z"],
    ]);
  });

  it("takes rows it read back (Date timestamps, partition fields) and rewrites the same bytes", async () => {
    const ref = {
      store,
      env: "dev" as const,
      dataset: readings,
      day: "2024-03-01",
      partition: { region: "north" },
    };
    const key = "dev/processed/readings/region=north/dt=2024-03-01/part-00000.parquet";
    const before = await store.get(key);
    const rows = await rowsWhere({ region: "north", dt: "2024-03-01" });
    // count was read as a number; the writer takes it back for the int64 column.
    const report = await writePartition({ ...ref, rows });
    expect(report.rows).toBe(2);
    expect(Buffer.from((await store.get(key)) as Uint8Array).equals(Buffer.from(before as Uint8Array))).toBe(
      true,
    );
    await expect(writePartition({ ...ref, partition: { region: "south" }, rows })).rejects.toThrow(
      /Row 0: partition key region is "north", but this write is to region=south/,
    );
  });

  it("refuses what it cannot read exactly: an int64 past 2^53, a foreign Parquet file, a schema mismatch", async () => {
    await writeReadings("2024-04-01", "north", [
      { station: "big", at: hour("2024-04-01", 0), count: 2n ** 60n, pm25: null, where: null },
    ]);
    await expect(rowsWhere({ region: "north", dt: "2024-04-01" })).rejects.toThrow(
      /count holds 1152921504606846976/,
    );

    // A part of another dataset's shape inside this dataset's partition.
    const other: MeasurementRow[] = [];
    await writePartition({ store, env: "dev", dataset: measurements, day: "2024-03-01", rows: other });
    const bytes = await store.get("dev/processed/measurements/year=2024/month=03/day=01/part-00000.parquet");
    await store.put(
      "dev/processed/readings/region=north/dt=2024-05-01/part-00000.parquet",
      bytes as Uint8Array,
    );
    await expect(rowsWhere({ region: "north", dt: "2024-05-01" })).rejects.toThrow(
      /Cannot read dev\/processed\/readings\/region=north\/dt=2024-05-01\/part-00000.parquet as dataset readings/,
    );
    await store.put("dev/processed/readings/stray.parquet", bytes as Uint8Array);
    await expect(listDatasetPartitions({ store, env: "dev", dataset: readings })).rejects.toThrow(
      /stray.parquet is not laid out as dataset readings is partitioned/,
    );
    await store.deleteMany([
      "dev/processed/readings/stray.parquet",
      "dev/processed/readings/region=north/dt=2024-05-01/part-00000.parquet",
    ]);
  });
});
