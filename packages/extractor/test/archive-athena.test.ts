import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  AthenaClient,
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  StartQueryExecutionCommand,
} from "@aws-sdk/client-athena";
import { archiveObjects, Catalog, writeArchiveFolder } from "@openaq-lakehouse/fake-openaq";
import { toJson } from "@openaq-lakehouse/fake-openaq/json";
import { locationJson } from "@openaq-lakehouse/fake-openaq/responses";
import { type IsoDay, LocalFolderStore, listKeys, utcDayWindow } from "@openaq-lakehouse/pipeline-core";
import { openAthenaEngine } from "@openaq-lakehouse/views";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  chunkDays,
  runArchiveOnAthena,
  type StagedRow,
  stagedDayRows,
  unloadSql,
} from "../src/archive/athena.js";
import { addArchiveDay } from "../src/archive/day-records.js";
import { localDaysForUtcDay, monthsForRange } from "../src/archive/plan.js";
import { silentLogger } from "../src/log.js";
import { LocationsSnapshot } from "../src/steps/transform-locations.js";
import { MeasurementFlattener } from "../src/steps/transform-measurements.js";
import { QuarantineLog } from "../src/steps/transform-quarantine.js";
import { fakeUnload } from "./support/archive-duckdb.js";

/**
 * The Athena driver of the archive backfill against the Athena API contract (StartQueryExecution,
 * GetQueryExecution polling to SUCCEEDED/FAILED, GetQueryResults), played by aws-sdk-client-mock.
 * Where Athena would run the UNLOAD, the fake runs the same SELECT on DuckDB and writes what UNLOAD
 * writes: Parquet files under `<destination>/day=YYYY-MM-DD/`.
 */

const AS_OF = Date.parse("2026-10-20T00:00:00Z");
const athena = mockClient(AthenaClient);
let archiveRoot: string;
let lakeRoot: string;
const catalog = new Catalog(AS_OF);
const snapshot = new LocationsSnapshot();
snapshot.addPage(
  catalog.locations.map((l) => JSON.parse(toJson(locationJson(catalog, l)))),
  "locations",
  new QuarantineLog(),
);

beforeAll(async () => {
  archiveRoot = await mkdtemp(join(tmpdir(), "archive-"));
  await writeArchiveFolder(
    archiveRoot,
    archiveObjects({ from: "2026-10-13", to: "2026-10-16", asOfMs: AS_OF }),
  );
});
afterAll(async () => {
  await rm(archiveRoot, { recursive: true, force: true });
});
beforeEach(async () => {
  athena.reset();
  lakeRoot = await mkdtemp(join(tmpdir(), "lake-"));
});

function playAthena(outcome: "SUCCEEDED" | "FAILED" = "SUCCEEDED") {
  const queries: string[] = [];
  athena.on(StartQueryExecutionCommand).callsFake(async (input: { QueryString: string }) => {
    queries.push(input.QueryString);
    if (outcome === "SUCCEEDED") await fakeUnload(archiveRoot, lakeRoot, input.QueryString);
    return { QueryExecutionId: `q-${queries.length}` };
  });
  athena
    .on(GetQueryExecutionCommand)
    .resolvesOnce({ QueryExecution: { Status: { State: "RUNNING" } } })
    .resolves({
      QueryExecution: {
        StatementType: "DML",
        Status:
          outcome === "SUCCEEDED"
            ? { State: "SUCCEEDED" }
            : { State: "FAILED", StateChangeReason: "HIVE_BAD_DATA: Error parsing field value" },
      },
    });
  athena
    .on(GetQueryResultsCommand)
    .resolves({ ResultSet: { Rows: [], ResultSetMetadata: { ColumnInfo: [] } } });
  return queries;
}

function run(from: IsoDay, to: IsoDay, published: Map<IsoDay, StagedRow[]>) {
  const timeZones = new Map(snapshot.rows().map((l) => [l.location_id, l.timezone]));
  return runArchiveOnAthena({
    engine: openAthenaEngine({
      env: "dev",
      workgroup: "openaq-dev",
      client: new AthenaClient({ region: "ap-southeast-1" }),
      pollMs: 1,
    }),
    store: new LocalFolderStore(lakeRoot),
    lakeUri: "s3://lake-bucket",
    stagingPrefix: "dev/_staging/archive/run-1/",
    input: {
      env: "dev",
      months: new Map([...timeZones].map(([id, tz]) => [id, monthsForRange(from, to, tz)])),
      sensors: [...snapshot.sensors.values()],
    },
    from,
    to,
    log: silentLogger,
    publish: async (day, rows) => {
      published.set(day, rows);
    },
  });
}

describe("the archive on Athena", () => {
  it("cuts a range into chunks Athena can write (at most 100 partitions each)", () => {
    const chunks = chunkDays("2025-01-01", "2025-12-31");
    expect(chunks).toEqual([
      { from: "2025-01-01", to: "2025-04-10" },
      { from: "2025-04-11", to: "2025-07-19" },
      { from: "2025-07-20", to: "2025-10-27" },
      { from: "2025-10-28", to: "2025-12-31" },
    ]);
    expect(chunkDays("2025-01-01", "2025-01-01")).toEqual([{ from: "2025-01-01", to: "2025-01-01" }]);
    expect(() => unloadSql("SELECT 1", "s3://b/x'; DROP/")).toThrow(/Invalid staging location/);
  });

  it("unloads each chunk, hands every staged day to publish with the local engine's rows, and cleans staging", async () => {
    const queries = playAthena();
    const published = new Map<IsoDay, StagedRow[]>();
    const days = await run("2026-10-14", "2026-10-15", published);
    expect(days).toEqual(["2026-10-14", "2026-10-15"]);
    expect(queries).toHaveLength(1);
    expect(queries[0]).toMatch(/^UNLOAD \(/);
    expect(athena.commandCalls(StartQueryExecutionCommand)[0]?.args[0].input).toMatchObject({
      WorkGroup: "openaq-dev",
      QueryExecutionContext: { Database: "openaq_dev" },
    });
    for (const day of days) {
      const { measurements, quarantine } = stagedDayRows(published.get(day) ?? [], snapshot.sensors);
      const { startMs, endMs } = utcDayWindow(day);
      const q = new QuarantineLog();
      const f = new MeasurementFlattener(startMs, endMs, q);
      const wanted = new Set(localDaysForUtcDay(day, "Asia/Bangkok"));
      const files = archiveObjects({ from: "2026-10-13", to: "2026-10-16", asOfMs: AS_OF })
        .filter((o) => wanted.has(o.localDay))
        .map((o) => ({ key: o.key, body: o.body, locationId: o.locationId, localDay: o.localDay }));
      addArchiveDay({ day, files, sensors: snapshot.sensors, flattener: f, quarantine: q });
      expect(measurements.length).toBe(f.columns.length);
      expect(measurements.length).toBeGreaterThan(500);
      expect(measurements.map((m) => [m.sensor_id, m.datetime, m.value])).toEqual(
        Array.from({ length: f.columns.length }, (_, i) => [
          f.columns.sensors[f.columns.sensorRef[i] as number]?.sensorId,
          f.columns.start[i],
          f.columns.value[i],
        ]),
      );
      expect(quarantine.length).toBe(q.size);
    }
    expect(await listKeys(new LocalFolderStore(lakeRoot), "dev/_staging/")).toEqual([]);
  });

  it("one UNLOAD per chunk of at most 100 days", async () => {
    const queries = playAthena();
    await run("2026-07-01", "2026-10-15", new Map());
    expect(queries).toHaveLength(2);
    expect(queries[0]).toContain("BETWEEN '2026-07-01' AND '2026-10-08'");
    expect(queries[1]).toContain("BETWEEN '2026-10-09' AND '2026-10-15'");
  });

  it("a failed query fails the run with Athena's reason, publishing nothing", async () => {
    playAthena("FAILED");
    const published = new Map<IsoDay, StagedRow[]>();
    await expect(run("2026-10-14", "2026-10-15", published)).rejects.toThrow(
      /Athena query q-1 failed: HIVE_BAD_DATA: Error parsing field value/,
    );
    expect(published.size).toBe(0);
  });
});
