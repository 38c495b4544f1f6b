import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  athenaCreateTableDdl,
  datasetPartitionPrefix,
  datasetPartKey,
  datasetProjectionParameters,
  defineDataset,
  gluePartitionKeys,
  LocalFolderStore,
  listKeys,
  measurements,
  optional,
  partitionPrefix,
  partitionProjectionParameters,
  required,
  t,
  writePartition,
} from "../src/index.js";

/** A user's dataset: partitioned by a region of their own, then by UTC day. */
const readings = defineDataset({
  name: "readings",
  description: "Sensor readings by region.",
  partitionKeys: ["region", "year", "month", "day"],
  partitionSpecs: { region: { kind: "enum", values: ["north", "south"], description: "Sales region." } },
  columns: [
    required("station", t.string(), "Station id."),
    required("at", t.timestampMs(), "Reading time, UTC."),
    optional("pm25", t.float64(), "PM2.5, µg/m³."),
  ],
});

/** Partitioned by an ISO day (`dt=`) and a numbered shard. */
const events = defineDataset({
  name: "events",
  description: "Events by day and shard.",
  partitionKeys: ["dt", "shard"],
  partitionSpecs: { shard: { kind: "integer", min: 0, max: 15, digits: 2 } },
  columns: [required("id", t.int64(), "Event id.")],
});

/** No partition keys at all: the dataset is one replaceable unit. */
const stations = defineDataset({
  name: "stations",
  description: "Station list.",
  partitionKeys: [],
  columns: [required("station", t.string(), "Station id.")],
});

const at = (iso: string) => Date.parse(iso);

describe("custom partition keys, end to end", () => {
  let dir: string;
  let store: LocalFolderStore;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "lake-custom-"));
    store = new LocalFolderStore(dir);
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it("writes under the dataset's own Hive keys and DuckDB reads them back with hive_partitioning", async () => {
    const north = await writePartition({
      store,
      env: "dev",
      dataset: readings,
      day: "2024-03-01",
      partition: { region: "north" },
      rows: [
        { station: "n1", at: at("2024-03-01T01:00:00Z"), pm25: 12.5 },
        { station: "n2", at: at("2024-03-01T02:00:00Z"), pm25: null },
      ],
    });
    expect(north.prefix).toBe("dev/processed/readings/region=north/year=2024/month=03/day=01/");
    expect(north.partition).toEqual({ region: "north", year: "2024", month: "03", day: "01" });
    await writePartition({
      store,
      env: "dev",
      dataset: readings,
      // Every key given explicitly works as well as a day.
      partition: { region: "south", year: "2024", month: "03", day: "02" },
      rows: [{ station: "s1", at: at("2024-03-02T05:00:00Z"), pm25: 40 }],
    });
    expect(await listKeys(store, "dev/processed/readings/")).toEqual([
      "dev/processed/readings/region=north/year=2024/month=03/day=01/part-00000.parquet",
      "dev/processed/readings/region=south/year=2024/month=03/day=02/part-00000.parquet",
    ]);

    await writePartition({
      store,
      env: "dev",
      dataset: events,
      day: "2024-03-01",
      partition: { shard: "07" },
      rows: [{ id: 1n }],
    });
    await writePartition({
      store,
      env: "dev",
      dataset: stations,
      rows: [{ station: "n1" }, { station: "s1" }],
    });
    expect(await listKeys(store, "dev/processed/events/")).toEqual([
      "dev/processed/events/dt=2024-03-01/shard=07/part-00000.parquet",
    ]);
    expect(await listKeys(store, "dev/processed/stations/")).toEqual([
      "dev/processed/stations/part-00000.parquet",
    ]);

    const db = await DuckDBInstance.create(":memory:");
    const con = await db.connect();
    try {
      const rows = (
        await con.runAndReadAll(`
          SELECT region, year, month, day, station, pm25
          FROM read_parquet('${dir}/dev/processed/readings/**/*.parquet', hive_partitioning = true,
                            hive_types = {'region': VARCHAR, 'year': VARCHAR, 'month': VARCHAR, 'day': VARCHAR})
          ORDER BY station`)
      ).getRowObjectsJson();
      expect(rows).toEqual([
        { region: "north", year: "2024", month: "03", day: "01", station: "n1", pm25: 12.5 },
        { region: "north", year: "2024", month: "03", day: "01", station: "n2", pm25: null },
        { region: "south", year: "2024", month: "03", day: "02", station: "s1", pm25: 40 },
      ]);
      const ev = (
        await con.runAndReadAll(`
          SELECT dt, shard, id FROM read_parquet('${dir}/dev/processed/events/**/*.parquet', hive_partitioning = true,
                                                hive_types = {'dt': VARCHAR, 'shard': VARCHAR})`)
      ).getRowObjectsJson();
      expect(ev).toEqual([{ dt: "2024-03-01", shard: "07", id: "1" }]);
    } finally {
      con.closeSync();
    }
  });

  it("derives Glue partition keys, DDL and projection from the same keys, and the template finds what was written", async () => {
    const location = "s3://lake-bucket/dev/processed/readings/";
    expect(gluePartitionKeys(readings)).toEqual([
      { name: "region", type: "string", comment: "Sales region." },
      { name: "year", type: "string", comment: "Partition: UTC year of the data." },
      { name: "month", type: "string", comment: "Partition: UTC month of the data." },
      { name: "day", type: "string", comment: "Partition: UTC day of the data." },
    ]);
    const params = datasetProjectionParameters(readings, location, { firstYear: 2020 });
    expect(params).toMatchObject({
      "projection.enabled": "true",
      "projection.region.type": "enum",
      "projection.region.values": "north,south",
      "projection.year.range": "2020,2099",
      "projection.month.digits": "2",
    });
    // Every partition key is projected, and nothing else is.
    const projected = new Set(
      Object.keys(params)
        .filter((k) => k.startsWith("projection.") && k !== "projection.enabled")
        .map((k) => k.split(".")[1]),
    );
    expect([...projected]).toEqual(["region", "year", "month", "day"]);
    // Athena fills the template with partition values: it must land exactly on the writer's prefix.
    const template = params["storage.location.template"] as string;
    const filled = template.replace(
      /\$\{(\w+)\}/g,
      (_m, k: string) => ({ region: "north", year: "2024", month: "03", day: "01" })[k] ?? "?",
    );
    expect(filled).toBe(
      `s3://lake-bucket/${datasetPartitionPrefix({ env: "dev", layer: "processed", dataset: readings, day: "2024-03-01", partition: { region: "north" } })}`,
    );

    const ddl = athenaCreateTableDdl(readings, { database: "analytics", location, firstYear: 2020 });
    expect(ddl).toContain("PARTITIONED BY (`region` string, `year` string, `month` string, `day` string)");
    expect(ddl).toContain("'projection.region.values'='north,south'");
    expect(ddl).not.toContain("projection.dt");

    const ev = datasetProjectionParameters(events, "s3://lake-bucket/dev/processed/events");
    expect(ev).toMatchObject({
      "projection.dt.type": "date",
      "projection.dt.format": "yyyy-MM-dd",
      "projection.shard.type": "integer",
      "projection.shard.range": "0,15",
      "projection.shard.digits": "2",
      "storage.location.template": `s3://lake-bucket/dev/processed/events/dt=\${dt}/shard=\${shard}/`,
    });
    const flat = athenaCreateTableDdl(stations, { database: "analytics", location: "s3://lake-bucket/x/" });
    expect(flat).not.toContain("PARTITIONED BY");
    expect(flat).not.toContain("projection");
  });

  it("leaves the built-in datasets exactly as they were", () => {
    const ref = { env: "prod" as const, dataset: measurements, day: "2024-03-01" };
    expect(datasetPartitionPrefix({ ...ref, layer: "processed" })).toBe(
      partitionPrefix({ env: "prod", layer: "processed", dataset: "measurements", day: "2024-03-01" }),
    );
    expect(datasetPartKey(ref, 0)).toBe(
      "prod/processed/measurements/year=2024/month=03/day=01/part-00000.parquet",
    );
    expect(datasetProjectionParameters(measurements, "s3://b-1/p/", { firstYear: 2020 })).toEqual(
      partitionProjectionParameters("s3://b-1/p/", 2020),
    );
    expect(partitionProjectionParameters("s3://b-1/p")["storage.location.template"]).toBe(
      `s3://b-1/p/year=\${year}/month=\${month}/day=\${day}/`,
    );
  });

  it("refuses partitionings and values it cannot honour, each with one sentence", async () => {
    const base = { name: "bad", description: "", columns: [required("x", t.int32(), "")] };
    const refused = (def: Parameters<typeof defineDataset>[0]) => {
      try {
        defineDataset(def);
      } catch (e) {
        return (e as Error).message;
      }
      return "accepted";
    };
    expect(refused({ ...base, partitionKeys: ["Region"] })).toMatch(
      /partition key "Region" is not supported/,
    );
    expect(refused({ ...base, partitionKeys: ["region-id"] })).toMatch(/not supported/);
    expect(refused({ ...base, partitionKeys: ["x"] })).toMatch(/defines column x twice/);
    expect(refused({ ...base, partitionKeys: ["dt", "year"] })).toMatch(
      /dt or by year\/month\/day, not both/,
    );
    expect(refused({ ...base, partitionKeys: ["month"] })).toMatch(/month needs year/);
    expect(refused({ ...base, partitionKeys: ["year", "day", "month"] })).toMatch(/order year, month, day/);
    expect(
      refused({ ...base, partitionKeys: ["region"], partitionSpecs: { other: { kind: "injected" } } }),
    ).toMatch(/spec for other, which is not one of its partition keys/);
    expect(
      refused({ ...base, partitionKeys: ["year"], partitionSpecs: { year: { kind: "injected" } } }),
    ).toMatch(/derived from the UTC day and takes no spec/);
    expect(
      refused({ ...base, partitionKeys: ["r"], partitionSpecs: { r: { kind: "enum", values: ["a/b"] } } }),
    ).toMatch(/Invalid value "a\/b" for partition key r/);
    for (const message of [
      refused({ ...base, partitionKeys: ["Region"] }),
      refused({ ...base, partitionKeys: ["month"] }),
    ]) {
      expect(message.trim().split(/(?<=\.)\s+(?=[A-Z])/)).toHaveLength(1);
    }

    const write = (extra: object) =>
      writePartition({ store, env: "dev", dataset: readings, rows: [], ...extra } as Parameters<
        typeof writePartition
      >[0]);
    await expect(write({ day: "2024-03-01", partition: { region: "east" } })).rejects.toThrow(
      /expected one of north, south/,
    );
    await expect(write({ day: "2024-03-01" })).rejects.toThrow(/Missing the value of partition key region/);
    await expect(write({ day: "2024-03-01", partition: { region: "north", year: "2023" } })).rejects.toThrow(
      /year=2023 contradicts day 2024-03-01/,
    );
    await expect(write({ day: "2024-03-01", partition: { region: "north", zone: "a" } })).rejects.toThrow(
      /no partition key zone/,
    );
    await expect(
      writePartition({ store, env: "dev", dataset: stations, day: "2024-03-01", rows: [] }),
    ).rejects.toThrow(/not partitioned by day/);
    await expect(
      writePartition({
        store,
        env: "dev",
        dataset: events,
        day: "2024-03-01",
        partition: { shard: "7" },
        rows: [],
      }),
    ).rejects.toThrow(/written with 2 digits/);
    // Nothing was written by any refused call.
    expect(await listKeys(store, "dev/processed/readings/region=east")).toEqual([]);
  });

  it("gives a table location with a bad bucket a message about the bucket", () => {
    expect(() => athenaCreateTableDdl(measurements, { database: "d", location: "s3://b/x/" })).toThrow(
      /bucket "b" is not a valid S3 bucket name/,
    );
    expect(() =>
      athenaCreateTableDdl(measurements, { database: "d", location: "s3://bucket/x/../y" }),
    ).toThrow(/without '\.\.'/);
  });
});
