import { rm } from "node:fs/promises";
import { addDays, type MeasurementRow } from "@openaq-lakehouse/pipeline-core";
import { at, place, reading, tempLake, utcToday, writeLake } from "@openaq-lakehouse/test-support/lake";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type DuckDbEngine,
  deployViews,
  openDuckDbEngine,
  type QueryResult,
  viewColumns,
} from "../src/index.js";

/**
 * The serving views on DuckDB over a hand-built lake. Window fixtures are dated relative to today
 * (UTC) because the view's window is relative to current_date; every expected number below is
 * computed by hand from the fixture (formulas in the comments).
 */
const T = utcToday();
const D = addDays(T, -20); // a past day for the daily view

const ppmToUgm3 = (ppm: number, molarMass: number) => (ppm * molarMass * 1000) / 24.45;

/** One reading: location, sensor, parameter, value, time, and its unit when not µg/m³. */
function r(
  location_id: number,
  sensor_id: number,
  parameter: string,
  value: number,
  datetime: number,
  unit?: string,
): MeasurementRow {
  return reading({
    location_id,
    sensor_id,
    parameter,
    value,
    datetime,
    ...(unit === undefined ? {} : { unit }),
  });
}

function fixture() {
  const m = [
    // L101: two PM2.5 sensors, a negative sentinel after the latest valid reading, ppm NO2
    r(101, 1001, "pm25", 20, at(addDays(T, -1), 22)),
    r(101, 1001, "pm25", 12, at(T, 1)),
    r(101, 1004, "pm25", 14, at(T, 1)),
    r(101, 1001, "pm25", -999, at(T, 2)),
    r(101, 1002, "pm10", 55, at(addDays(T, -1), 23)),
    r(101, 1002, "pm10", 40, at(T, 2)),
    r(101, 1003, "no2", 0.02, at(T, 1), "ppm"),
    // L102: oldest day of the 3-day window; PM in ppm and SO2 in ppb must not count
    r(102, 2001, "pm25", 40, at(addDays(T, -2), 5)),
    r(102, 2002, "co", 1, at(addDays(T, -2), 5), "ppm"),
    r(102, 2003, "o3", 80, at(addDays(T, -2), 5)),
    r(102, 2004, "pm25", 0.5, at(addDays(T, -1), 3), "ppm"),
    r(102, 2005, "so2", 5, at(addDays(T, -1), 4), "ppb"),
    // L103: just outside the window; L104: only negative readings; L105: no locations snapshot
    r(103, 3001, "pm25", 30, at(addDays(T, -3), 23)),
    r(104, 4001, "pm25", -5, at(T, 3)),
    r(104, 4002, "no2", -1, at(T, 3)),
    r(105, 5001, "pm25", 9.1, at(T, 0)),
    // ---- day D (local, Asia/Ho_Chi_Minh = UTC+7): [D-1 17:00Z, D 17:00Z) ----
    // L101 local hour 00 = UTC D-1 17:xx: two sub-hourly readings → hourly mean 15
    r(101, 1001, "pm25", 10, at(addDays(D, -1), 17, 0)),
    r(101, 1001, "pm25", 20, at(addDays(D, -1), 17, 30)),
    // local hour 05: negative, the hour does not count
    r(101, 1001, "pm25", -1, at(addDays(D, -1), 22)),
    // local hours 07..18 (UTC D 00..11): 12 hours of 30
    ...Array.from({ length: 12 }, (_, h) => r(101, 1001, "pm25", 30, at(D, h))),
    // NO2 in ppm and in µg/m³ in the same hour; PM10 in ppm (left out)
    r(101, 1003, "no2", 0.05, at(D, 0), "ppm"),
    r(101, 1006, "no2", 50, at(D, 0)),
    r(101, 1007, "pm10", 3, at(D, 1), "ppm"),
    // UTC D 17:00 is local D+1 00:00
    r(101, 1001, "pm25", 100, at(D, 17)),
    // L102: 11 hours (local 08..18) → incomplete
    ...Array.from({ length: 11 }, (_, h) => r(102, 2001, "pm25", 50, at(D, h + 1))),
    // L106: exactly 12 hours (50%) → complete
    ...Array.from({ length: 12 }, (_, h) => r(106, 6001, "pm25", 5, at(D, h))),
  ];
  const current = [
    place({
      location_id: 101,
      name: "Hoàn Kiếm",
      city: "Hà Nội",
      coordinates: { lat: 21.0245, lon: 105.8412 },
    }),
    place({
      location_id: 102,
      name: "Quận 1",
      city: "Hồ Chí Minh",
      coordinates: { lat: 10.7769, lon: 106.7009 },
    }),
    place({ location_id: 103, name: "Old station", city: "Huế" }),
    place({ location_id: 104, name: "Broken", city: "Đà Nẵng" }),
    place({ location_id: 106, name: "Half day", city: "Hải Phòng" }),
  ];
  return {
    measurements: m,
    snapshots: {
      [T]: current,
      [addDays(T, -1)]: [place({ location_id: 101, name: "Yesterday's name", city: "Hà Nội" })],
      [D]: [place({ location_id: 101, name: "Old name", city: "Hà Nội" })],
    },
  };
}

const byId = (r: QueryResult) => new Map(r.rows.map((row) => [row.location_id as number, row]));

describe("serving views on DuckDB", () => {
  let root: string;
  let engine: DuckDbEngine;

  beforeAll(async () => {
    root = await tempLake("views");
    await writeLake(root, fixture());
    engine = await openDuckDbEngine({ lakeRoot: root, env: "dev" });
    await deployViews(engine, { env: "dev" });
  });
  afterAll(async () => {
    await engine?.close();
    await rm(root, { recursive: true, force: true });
  });

  it("view_latest_aqi: one row per location with a valid reading in the window", async () => {
    const rows = byId(await engine.query("SELECT * FROM openaq_dev.view_latest_aqi"));
    const ids = [...rows.keys()].sort();
    expect(ids).toEqual([101, 102, 105]); // 103 is outside the window, 104 has only negatives
  });

  it("view_latest_aqi: latest values, sensors averaged, negatives and foreign units excluded", async () => {
    const rows = byId(await engine.query("SELECT * FROM openaq_dev.view_latest_aqi"));
    // (the current indices, from hourly NowCasts, are tested in vn-aqi-views.test.ts)
    expect(rows.get(101)).toMatchObject({
      location_id: 101,
      location_name: "Hoàn Kiếm", // today's snapshot, not yesterday's
      city: "Hà Nội",
      latitude: 21.0245,
      longitude: 105.8412,
      latest_datetime_utc: `${T} 02:00:00.000`, // PM10 at 02:00; the -999 PM2.5 at 02:00 does not count
      pm25: 13, // (12 + 14) / 2 at 01:00
      pm25_datetime_utc: `${T} 01:00:00.000`,
      pm10: 40,
      no2: expect.closeTo(ppmToUgm3(0.02, 46.0055), 9), // 37.6323…
      o3: null,
      co: null,
      so2: null,
    });
    expect(rows.get(102)).toMatchObject({
      location_name: "Quận 1",
      latest_datetime_utc: `${addDays(T, -2)} 05:00:00.000`, // the later ppm PM2.5 and ppb SO2 are left out
      pm25: 40,
      co: expect.closeTo(1145.6074, 3), // 1 ppm × 28.0101 × 1000 / 24.45
      o3: 80,
      so2: null,
    });
    expect(rows.get(105)).toMatchObject({
      location_name: null,
      city: null,
      pm25: 9.1,
    });
  });

  it("the window is set at render time", async () => {
    const e = await openDuckDbEngine({ lakeRoot: root, env: "dev" });
    try {
      await deployViews(e, { env: "dev", windowDays: 1 });
      const ids = [...byId(await e.query("SELECT location_id FROM openaq_dev.view_latest_aqi")).keys()];
      expect(ids.sort()).toEqual([101, 105]); // 102's readings are two days old
      await deployViews(e, { env: "dev", windowDays: 4 });
      const wider = [...byId(await e.query("SELECT location_id FROM openaq_dev.view_latest_aqi")).keys()];
      expect(wider.sort()).toEqual([101, 102, 103, 105]);
    } finally {
      await e.close();
    }
  });

  it("view_daily_average: local days, hourly means first, completeness and daily AQI", async () => {
    const r = await engine.query(
      `SELECT * FROM openaq_dev.view_daily_average WHERE day BETWEEN DATE '${addDays(D, -1)}' AND DATE '${addDays(D, 1)}' ORDER BY location_id, day`,
    );
    expect(r.rows).toEqual([
      expect.objectContaining({
        location_id: 101,
        location_name: "Hoàn Kiếm", // the newest snapshot, not the one of day D
        city: "Hà Nội",
        timezone: "Asia/Ho_Chi_Minh",
        day: D, // the 17:00Z readings of D-1 belong to local day D
        avg_pm25: expect.closeTo(375 / 13, 9), // hours: 00 → (10 + 20) / 2 = 15, 07..18 → 30; (15 + 12 × 30) / 13
        avg_pm10: null, // only a ppm PM10 reading
        avg_no2: expect.closeTo((ppmToUgm3(0.05, 46.0055) + 50) / 2, 9),
        avg_o3: null,
        avg_co: null,
        avg_so2: null,
        hours_observed: 13, // the negative reading's hour does not count
        hours_observed_pm25: 13,
        hours_observed_no2: 1,
        hours_observed_pm10: 0,
        is_complete: true,
        // EPA's daily AQI needs 18 hours of PM2.5: 13 is complete by the 50% rule, not for the AQI
        aqi: null,
        aqi_category: null,
        aqi_is_complete: false,
        latest_datetime_utc: `${D} 11:00:00.000`,
      }),
      expect.objectContaining({
        location_id: 101,
        day: addDays(D, 1), // 17:00Z on D is local midnight of D+1
        avg_pm25: 100,
        hours_observed: 1,
        is_complete: false,
        aqi: null,
        latest_datetime_utc: `${D} 17:00:00.000`,
      }),
      expect.objectContaining({
        location_id: 102,
        day: D,
        avg_pm25: 50,
        hours_observed: 11,
        is_complete: false,
        aqi: null,
      }),
      expect.objectContaining({
        location_id: 106,
        day: D,
        avg_pm25: 5,
        hours_observed: 12,
        is_complete: true,
        aqi_is_complete: false,
      }),
    ]);
  });

  it("view_daily_average: a location without a snapshot is aggregated by UTC day and says so", async () => {
    const r = await engine.query(
      "SELECT location_id, location_name, timezone, day, avg_pm25 FROM openaq_dev.view_daily_average WHERE location_id = 105",
    );
    expect(r.rows).toEqual([
      { location_id: 105, location_name: null, timezone: "UTC", day: T, avg_pm25: 9.1 },
    ]);
  });

  it("each deployed view has exactly the declared columns and types", async () => {
    for (const view of ["view_latest_aqi", "view_daily_average"] as const) {
      const d = await engine.query(`DESCRIBE openaq_dev.${view}`);
      expect(d.rows.map((r) => ({ name: r.column_name, type: r.column_type }))).toEqual(
        viewColumns(view, "duckdb").map((c) => ({ name: c.name, type: c.type })),
      );
    }
  });
});
