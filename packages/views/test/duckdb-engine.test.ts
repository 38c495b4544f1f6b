import { readdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { LOCAL_CATALOG_FILE, locations, measurements, sqlColumns } from "@openaq-lakehouse/pipeline-core";
import { at, place, reading, tempLake, utcToday, writeLake } from "@openaq-lakehouse/test-support/lake";
import { afterEach, describe, expect, it } from "vitest";
import { deployViews, openDuckDbEngine, validateViews, viewColumns } from "../src/index.js";

const T = utcToday();
const dirs: string[] = [];
async function lake(): Promise<string> {
  const d = await tempLake("duck-engine");
  dirs.push(d);
  return d;
}
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

const describeRows = async (e: Awaited<ReturnType<typeof openDuckDbEngine>>, rel: string) =>
  (await e.query(`DESCRIBE ${rel}`)).rows.map((r) => ({ name: r.column_name, type: r.column_type }));

const datasetColumns = (schema: typeof measurements | typeof locations) => [
  ...sqlColumns(schema, "duckdb").map((c) => ({ name: c.name, type: c.type })),
  ...schema.partitionKeys.map((name) => ({ name, type: "VARCHAR" })),
];

describe("DuckDB engine", () => {
  it("exposes openaq_{env}.measurements/locations with pipeline-core's types, files or not", async () => {
    const root = await lake();
    const empty = await openDuckDbEngine({ lakeRoot: root, env: "prod" });
    try {
      expect(await describeRows(empty, "openaq_prod.measurements")).toEqual(datasetColumns(measurements));
      expect(await describeRows(empty, "openaq_prod.locations")).toEqual(datasetColumns(locations));
      expect((await empty.query("SELECT count(*) AS n FROM openaq_prod.measurements")).rows).toEqual([
        { n: 0 },
      ]);
    } finally {
      await empty.close();
    }
    await writeLake(
      root,
      {
        measurements: [
          reading({ location_id: 1, sensor_id: 1, parameter: "pm25", value: 1, datetime: at(T, 0) }),
        ],
      },
      "prod",
    );
    const full = await openDuckDbEngine({ lakeRoot: root, env: "prod" });
    try {
      expect(await describeRows(full, "openaq_prod.measurements")).toEqual(datasetColumns(measurements));
      const r = await full.query(
        "SELECT datetime, year, month, day, coordinates FROM openaq_prod.measurements",
      );
      expect(r.rows).toEqual([
        {
          datetime: `${T} 00:00:00.000`,
          year: T.slice(0, 4),
          month: T.slice(5, 7),
          day: T.slice(8, 10),
          coordinates: { lat: 21, lon: 105.8 },
        },
      ]);
    } finally {
      await full.close();
    }
  });

  it("an empty lake deploys, then fails validation as empty; data written later in the same process shows up", async () => {
    const root = await lake();
    const e = await openDuckDbEngine({ lakeRoot: root, env: "dev" });
    try {
      expect(await deployViews(e, { env: "dev" })).toEqual({
        views: ["openaq_dev.view_latest_aqi", "openaq_dev.view_daily_average"],
      });
      for (const view of ["view_latest_aqi", "view_daily_average"] as const) {
        expect(await describeRows(e, `openaq_dev.${view}`)).toEqual(
          viewColumns(view, "duckdb").map(({ name, type }) => ({ name, type })),
        );
      }
      const report = await validateViews(e, { env: "dev" });
      expect(report.ok).toBe(false);
      expect(report.views.map((v) => v.problem)).toEqual([
        expect.stringMatching(/^view_latest_aqi is empty: /),
        expect.stringMatching(/^view_daily_average is empty: /),
      ]);
      await writeLake(root, {
        measurements: [
          reading({ location_id: 7, sensor_id: 70, parameter: "pm25", value: 20, datetime: at(T, 0) }),
        ],
        snapshots: { [T]: [place({ location_id: 7, name: "Seven", city: "Hà Nội" })] },
      });
      const rows = (await e.query("SELECT location_id, location_name, pm25 FROM openaq_dev.view_latest_aqi"))
        .rows;
      expect(rows).toEqual([{ location_id: 7, location_name: "Seven", pm25: 20 }]);
    } finally {
      await e.close();
    }
  });

  it("builds the catalog in memory: the views are in every new engine, and nothing is written to the lake", async () => {
    const root = await lake();
    await writeLake(root, {
      measurements: [
        reading({ location_id: 9, sensor_id: 90, parameter: "pm25", value: 9, datetime: at(T, 0) }),
      ],
    });
    // A catalog file left by an older version, with a macro that would poison every view: ignored.
    const old = await DuckDBInstance.create(join(root, LOCAL_CATALOG_FILE));
    const oldConnection = await old.connect();
    await oldConnection.run("CREATE OR REPLACE MACRO round(x, n) AS -1");
    // Checkpointed and closed now, so no write-ahead log is left to vanish later and blur the check below.
    await oldConnection.run("CHECKPOINT");
    oldConnection.closeSync();
    old.closeSync();
    const before = await readdir(root, { recursive: true });
    const first = await openDuckDbEngine({ lakeRoot: root, env: "dev" });
    const second = await openDuckDbEngine({ lakeRoot: root, env: "dev" }); // opened at the same time: no lock
    try {
      for (const e of [first, second]) {
        expect((await e.readQuery("SELECT location_id, pm25 FROM view_latest_aqi")).rows).toEqual([
          { location_id: 9, pm25: 9 },
        ]);
        expect((await e.readQuery("SELECT round(2.345, 1) AS r")).rows).toEqual([{ r: 2.3 }]);
      }
    } finally {
      await first.close();
      await second.close();
    }
    expect(await readdir(root, { recursive: true })).toEqual(before);
  });

  it("refuses to deploy or validate another environment's views", async () => {
    const e = await openDuckDbEngine({ lakeRoot: await lake(), env: "dev" });
    try {
      await expect(deployViews(e, { env: "prod" })).rejects.toMatchObject({ code: "ENGINE_ENV_MISMATCH" });
      await expect(validateViews(e, { env: "prod" })).rejects.toThrow(/serves openaq_dev, not openaq_prod/);
    } finally {
      await e.close();
    }
  });

  it("refuses an S3 lake (that is Athena's job) instead of creating a folder named s3:", async () => {
    await expect(openDuckDbEngine({ lakeRoot: "s3://openaq-lake", env: "dev" })).rejects.toMatchObject({
      code: "INVALID_LAKE",
      message: expect.stringContaining("query an S3 lake through Athena"),
    });
  });

  it("query errors are PipelineErrors that carry DuckDB's reason", async () => {
    const e = await openDuckDbEngine({ lakeRoot: await lake(), env: "dev" });
    try {
      await expect(e.query("SELECT * FROM openaq_dev.no_such_table")).rejects.toMatchObject({
        name: "PipelineError",
        code: "QUERY_FAILED",
        message: expect.stringMatching(/no_such_table/),
      });
    } finally {
      await e.close();
    }
  });

  it("the compat layer gives DuckDB Trino's functions and semantics", async () => {
    const e = await openDuckDbEngine({ lakeRoot: await lake(), env: "dev" });
    try {
      const r = await e.query(`SELECT
          7 / 2 AS int_div,
          CAST(date_add('day', 1, DATE '2024-02-28') AS DATE) AS next_day,
          at_timezone(with_timezone(TIMESTAMP '2024-03-01 17:30:00', 'UTC'), 'Asia/Ho_Chi_Minh') AS hanoi,
          CAST(at_timezone(with_timezone(TIMESTAMP '2024-03-01 17:30:00', 'UTC'), 'Asia/Ho_Chi_Minh') AS DATE) AS hanoi_day,
          day_of_week(DATE '2024-03-03') AS sunday,
          regexp_like('pm25', '^pm') AS matches,
          format_datetime(TIMESTAMP '2024-03-01 05:06:07', 'yyyy-MM-dd HH:mm:ss') AS joda,
          current_date = CAST(current_timestamp AT TIME ZONE 'UTC' AS DATE) AS utc_session`);
      expect(r.rows).toEqual([
        {
          int_div: 3,
          next_day: "2024-02-29",
          hanoi: "2024-03-02 00:30:00.000",
          hanoi_day: "2024-03-02",
          sunday: 7,
          matches: true,
          joda: "2024-03-01 05:06:07",
          utc_session: true,
        },
      ]);
    } finally {
      await e.close();
    }
  });
});
