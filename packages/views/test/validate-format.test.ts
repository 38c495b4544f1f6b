import { rm } from "node:fs/promises";
import { addDays } from "@openaq-lakehouse/pipeline-core";
import { at, place, reading, tempLake, utcToday, writeLake } from "@openaq-lakehouse/test-support/lake";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type DuckDbEngine,
  deployViews,
  formatResult,
  openDuckDbEngine,
  type QueryResult,
  validateViews,
} from "../src/index.js";

const T = utcToday();

describe("validateViews on DuckDB", () => {
  let root: string;
  let engine: DuckDbEngine;
  beforeAll(async () => {
    root = await tempLake("validate");
    await writeLake(root, {
      measurements: [
        reading({ location_id: 1, sensor_id: 1, parameter: "pm25", value: 10, datetime: at(T, 0) }),
      ],
      snapshots: { [T]: [place({ location_id: 1, name: "One", city: "Hà Nội" })] },
    });
    engine = await openDuckDbEngine({ lakeRoot: root, env: "dev" });
    await deployViews(engine, { env: "dev" });
  });
  afterAll(async () => {
    await engine.close();
    await rm(root, { recursive: true, force: true });
  });

  it("passes with counts and the newest reading when fresh", async () => {
    const report = await validateViews(engine, { env: "dev", now: new Date(at(T, 6)) });
    expect(report).toEqual({
      ok: true,
      views: [
        { view: "view_latest_aqi", rows: 1, latest: `${T} 00:00:00.000` },
        { view: "view_daily_average", rows: 1, latest: `${T} 00:00:00.000` },
      ],
    });
  });

  it("fails as stale when the newest reading is older than maxAgeHours", async () => {
    const report = await validateViews(engine, { env: "dev", maxAgeHours: 5, now: new Date(at(T, 6)) });
    expect(report.ok).toBe(false);
    expect(report.views.map((v) => v.problem)).toEqual([
      `stale: openaq_dev.view_latest_aqi's newest reading starts ${T} 00:00:00.000 UTC, 6.0 h before ${new Date(at(T, 6)).toISOString()} (max 5 h).`,
      expect.stringMatching(/^stale: openaq_dev\.view_daily_average's newest reading/),
    ]);
  });

  it("fails with the engine's reason when a view cannot be read", async () => {
    const other = await openDuckDbEngine({ lakeRoot: root, env: "dev", serveViews: false }); // views never deployed here
    try {
      const report = await validateViews(other, { env: "dev" });
      expect(report.ok).toBe(false);
      expect(report.views[0]?.problem).toMatch(
        /^view_latest_aqi cannot be read: DuckDB query failed: .*view_latest_aqi/,
      );
    } finally {
      await other.close();
    }
  });
});

describe("validateViews for a day (--date): judged on that day's data, not on today's", () => {
  const OLD = addDays(T, -30);
  let root: string;
  let engine: DuckDbEngine;
  beforeAll(async () => {
    root = await tempLake("validate-day");
    // Data for a day a month back, and for today; nothing in between.
    await writeLake(root, {
      measurements: [
        reading({ location_id: 1, sensor_id: 1, parameter: "pm25", value: 10, datetime: at(OLD, 5) }),
        reading({ location_id: 1, sensor_id: 1, parameter: "pm25", value: 12, datetime: at(OLD, 20) }),
        reading({ location_id: 1, sensor_id: 1, parameter: "pm25", value: 14, datetime: at(T, 1) }),
      ],
      snapshots: {
        [OLD]: [place({ location_id: 1, name: "One", city: "Hà Nội" })],
        [T]: [place({ location_id: 1, name: "One", city: "Hà Nội" })],
      },
    });
    engine = await openDuckDbEngine({ lakeRoot: root, env: "dev", persistent: false });
    await deployViews(engine, { env: "dev" });
  });
  afterAll(async () => {
    await engine.close();
    await rm(root, { recursive: true, force: true });
  });

  it("a catch-up day 30 days back passes on its own data; the latest-AQI window is not judged for it", async () => {
    const report = await validateViews(engine, { env: "dev", day: OLD, now: new Date(at(T, 6)) });
    expect(report.ok).toBe(true);
    expect(report.day).toBe(OLD);
    const daily = report.views.find((v) => v.view === "view_daily_average");
    expect(daily).toMatchObject({ rows: expect.any(Number), latest: `${OLD} 20:00:00.000` });
    expect(daily?.rows).toBeGreaterThan(0);
    expect(report.views.find((v) => v.view === "view_latest_aqi")?.note).toMatch(
      new RegExp(`^not judged for ${OLD}: `),
    );
  });

  it("a day with no data fails, naming the view and the newest reading before it", async () => {
    const missing = addDays(OLD, 5);
    const report = await validateViews(engine, { env: "dev", day: missing, now: new Date(at(T, 6)) });
    expect(report.ok).toBe(false);
    expect(report.views.map((v) => v.problem)).toEqual([
      undefined,
      `view_daily_average has no readings on ${missing} (UTC): openaq_dev.view_daily_average's newest reading before that day's end starts ${OLD} 20:00:00.000 UTC, 124.0 h before it.`,
    ]);
  });

  it("a recent day is judged on the latest-AQI view too, relative to the day's end", async () => {
    const fresh = await validateViews(engine, { env: "dev", day: T, now: new Date(at(T, 6)) });
    expect(fresh.ok).toBe(true);
    expect(fresh.views.map((v) => [v.view, v.latest, v.note])).toEqual([
      ["view_latest_aqi", `${T} 01:00:00.000`, undefined],
      ["view_daily_average", `${T} 01:00:00.000`, undefined],
    ]);
    // Yesterday is recent but has no data: the daily view says so; latest AQI (today's reading) is fresh.
    const yesterday = await validateViews(engine, {
      env: "dev",
      day: addDays(T, -1),
      now: new Date(at(T, 6)),
    });
    expect(yesterday.views.map((v) => v.problem === undefined)).toEqual([true, false]);
  });

  it("without a day, the same lake is judged as of now (unchanged behaviour)", async () => {
    const report = await validateViews(engine, { env: "dev", now: new Date(at(T, 6)) });
    expect(report.ok).toBe(true);
    expect(report.day).toBeUndefined();
  });
});

describe("formatResult", () => {
  const result: QueryResult = {
    columns: [
      { name: "location_id", type: "INTEGER" },
      { name: "name", type: "VARCHAR" },
      { name: "pm25", type: "DOUBLE" },
    ],
    rows: [
      { location_id: 101, name: "Hoàn Kiếm, Hà Nội", pm25: 13.5 },
      { location_id: 7, name: 'say "hi"', pm25: null },
    ],
  };

  it("table: aligned, numbers right-aligned, NULL shown, row count", () => {
    expect(formatResult(result, "table")).toBe(
      [
        "| location_id | name              | pm25 |",
        "|-------------|-------------------|------|",
        "|         101 | Hoàn Kiếm, Hà Nội | 13.5 |",
        '|           7 | say "hi"          | NULL |',
        "(2 rows)",
        "",
      ].join("\n"),
    );
  });

  it("csv: RFC 4180 quoting, empty field for NULL", () => {
    expect(formatResult(result, "csv")).toBe(
      'location_id,name,pm25\r\n101,"Hoàn Kiếm, Hà Nội",13.5\r\n7,"say ""hi""",\r\n',
    );
  });

  it("json: an array of row objects that parses back", () => {
    expect(JSON.parse(formatResult(result, "json"))).toEqual(result.rows);
  });

  it("an empty result still shows its columns", () => {
    expect(formatResult({ columns: result.columns, rows: [] }, "csv")).toBe("location_id,name,pm25\r\n");
    expect(formatResult({ columns: result.columns, rows: [] }, "table")).toMatch(
      /\| location_id \| name \| pm25 \|\n.*\n\(0 rows\)\n$/,
    );
  });
});
