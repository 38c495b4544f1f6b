import { addDays, formatIsoDay } from "@openaq-lakehouse/pipeline-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type E2eWorld, expectedDay, startE2e } from "./e2e-support.js";
import {
  epaAqi,
  nowcast,
  qcvnLimits,
  ugm3,
  vnCategory,
  vnOverall,
  vnSubIndex,
  WHO_LIMITS,
} from "./indices-oracle.js";

/**
 * `backfill` then `run` on the embedded default (lake folder + DuckDB) over three recent days, then the serving
 * views' numbers against values computed here from the local OpenAQ server's own series (the oracle
 * of e2e-support) by an independent TypeScript implementation of the indices (indices-oracle.ts):
 * current NowCast, US EPA AQI and hourly VN_AQI per location; daily means, hours observed per
 * pollutant, the EPA daily AQI, the daily VN_AQI and the QCVN / WHO exceedances by local day.
 * Nothing here shares code with the views' SQL.
 */

const KEY = "views-e2e-key-5d1f0c2b7a9e4f3c";
const TODAY = formatIsoDay(Date.now());
const DAYS = [addDays(TODAY, -3), addDays(TODAY, -2), addDays(TODAY, -1)];
const HOUR = 3_600_000;
/** Asia/Bangkok and Asia/Ho_Chi_Minh: UTC+7 all year. */
const VIETNAM_OFFSET = 7 * HOUR;
const POLLUTANTS = ["pm25", "pm10", "no2", "o3", "co", "so2"];

let e2e: E2eWorld;
let lake: string;
let stdout = "";

async function query(sql: string): Promise<Array<Record<string, unknown>>> {
  const r = await e2e.cli(["query", sql, "--lake", lake, "--format", "json"]);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as Array<Record<string, unknown>>;
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

interface Valid {
  location: number;
  parameter: string;
  at: number;
  value: number;
}

/** Valid main-pollutant readings in µg/m³ (negatives and flagged readings never count; -999 are not rows). */
let valid: Valid[] = [];
let flagged = 0;

/** Hourly means by (location, parameter) → hour key → mean, `hourOf` choosing the hour. */
function hourlyMeans(rows: Valid[], hourOf: (at: number) => number): Map<string, Map<number, number>> {
  const sums = new Map<string, Map<number, number[]>>();
  for (const r of rows) {
    const key = `${r.location}|${r.parameter}`;
    const byHour = sums.get(key) ?? new Map<number, number[]>();
    const h = hourOf(r.at);
    byHour.set(h, [...(byHour.get(h) ?? []), r.value]);
    sums.set(key, byHour);
  }
  return new Map([...sums].map(([k, byHour]) => [k, new Map([...byHour].map(([h, xs]) => [h, mean(xs)]))]));
}

beforeAll(async () => {
  e2e = await startE2e("views-e2e", KEY);
  lake = e2e.dir;
  // Older days by backfill (validate would call them stale), then the usual daily run for yesterday.
  const back = await e2e.cli([
    "backfill",
    "--from",
    DAYS[0] as string,
    "--to",
    DAYS[1] as string,
    "--lake",
    lake,
  ]);
  expect(back.code, back.stderr).toBe(0);
  const run = await e2e.cli(["run", "--date", DAYS[2] as string, "--lake", lake, "--show"]);
  expect(run.code, run.stderr).toBe(0);
  stdout = run.stdout;
  const all = DAYS.flatMap((d) => expectedDay(e2e.server, d).measurements);
  flagged = all.filter((m) => m.has_flags === true).length;
  valid = all.flatMap((m) => {
    const value = ugm3(m as { parameter: string; unit: string; value: number; has_flags: boolean });
    return value === null || !POLLUTANTS.includes(m.parameter as string)
      ? []
      : [
          {
            location: m.location_id as number,
            parameter: m.parameter as string,
            at: m.datetime as number,
            value,
          },
        ];
  });
  expect(valid.filter((v) => v.parameter === "pm25").length).toBeGreaterThan(100);
  expect(flagged).toBeGreaterThan(0); // the server flags about 1% of readings: they must not count
}, 180_000);

afterAll(() => e2e?.close());

describe("run over several days on the embedded default, then the serving views", () => {
  it("view_latest_aqi: NowCast, US EPA AQI and hourly VN_AQI of each location's latest complete hour", async () => {
    const windowStart = Date.parse(`${addDays(TODAY, -2)}T00:00:00Z`); // a 3-day window ending today
    const recent = valid.filter((v) => v.at >= windowStart);
    const hourly = hourlyMeans(recent, (at) => Math.floor(at / HOUR) * HOUR);
    const expected = new Map<number, Record<string, unknown>>();
    for (const loc of new Set(recent.map((v) => v.location))) {
      const mine = recent.filter((v) => v.location === loc);
      const h = Math.max(...mine.map((v) => Math.floor(v.at / HOUR) * HOUR));
      const series = (p: string) => hourly.get(`${loc}|${p}`) ?? new Map<number, number>();
      const pm25Nowcast = nowcast(series("pm25"), h);
      const pm10Nowcast = nowcast(series("pm10"), h);
      const sub = {
        pm25: vnSubIndex("pm25", pm25Nowcast),
        pm10: vnSubIndex("pm10", pm10Nowcast),
        o3: vnSubIndex("o3_1h", series("o3").get(h)),
        co: vnSubIndex("co", series("co").get(h)),
        so2: vnSubIndex("so2", series("so2").get(h)),
        no2: vnSubIndex("no2", series("no2").get(h)),
      };
      const pm25 = mine.filter((v) => v.parameter === "pm25");
      const latestPm25 = pm25.length ? Math.max(...pm25.map((v) => v.at)) : null;
      const vn = vnOverall(sub);
      expected.set(loc, {
        aqi_hour_utc: h,
        pm25: latestPm25 === null ? null : mean(pm25.filter((v) => v.at === latestPm25).map((v) => v.value)),
        pm25_nowcast: pm25Nowcast,
        aqi: epaAqi(pm25Nowcast),
        ...Object.fromEntries(Object.entries(sub).map(([p, x]) => [`vn_aqi_${p}`, x])),
        vn_aqi: vn,
        vn_aqi_category: vnCategory(vn),
      });
    }
    const rows = await query("SELECT * FROM openaq_dev.view_latest_aqi ORDER BY location_id");
    expect(rows.map((r) => r.location_id)).toEqual([...expected.keys()].sort((a, b) => a - b));
    let withIndex = 0;
    for (const r of rows) {
      const e = expected.get(r.location_id as number) as Record<string, unknown>;
      expect(Date.parse(`${String(r.aqi_hour_utc).replace(" ", "T")}Z`)).toBe(e.aqi_hour_utc);
      for (const c of ["pm25", "pm25_nowcast"]) {
        if (e[c] === null) expect(r[c], c).toBeNull();
        else expect(r[c] as number, c).toBeCloseTo(e[c] as number, 9);
      }
      for (const c of ["aqi", "vn_aqi", "vn_aqi_category", ...POLLUTANTS.map((p) => `vn_aqi_${p}`)])
        expect([r.location_id, c, r[c]]).toEqual([r.location_id, c, e[c]]);
      if (r.vn_aqi !== null) withIndex++;
    }
    expect(withIndex).toBeGreaterThan(3);
  });

  it("view_daily_average: means, hours observed, daily EPA AQI and VN_AQI, exceedances by local day", async () => {
    const localHour = (at: number) => Math.floor((at + VIETNAM_OFFSET) / HOUR); // local hour number
    const dayOf = (idx: number) => formatIsoDay(idx * HOUR);
    const hourly = hourlyMeans(valid, localHour);
    const expected = new Map<string, Record<string, unknown>>();
    const keys = new Set(valid.map((v) => `${v.location}|${dayOf(localHour(v.at))}`));
    for (const key of keys) {
      const [locText, day] = key.split("|") as [string, string];
      const loc = Number(locText);
      const m: Record<string, number | null> = {};
      const hours: Record<string, number> = {};
      for (const p of POLLUTANTS) {
        const series = hourly.get(`${loc}|${p}`) ?? new Map<number, number>();
        const today = [...series].filter(([idx]) => dayOf(idx) === day);
        hours[p] = today.length;
        m[`avg_${p}`] = today.length ? mean(today.map(([, c]) => c)) : null;
        m[`${p}/24h`] = today.length >= 18 ? mean(today.map(([, c]) => c)) : null;
        m[`${p}/1h`] = today.length ? Math.max(...today.map(([, c]) => c)) : null;
        // trailing 8-hour means ending in the day's hours, from at least 6 of the 8 hours
        const eights = today.flatMap(([idx]) => {
          const window = Array.from({ length: 8 }, (_, k) => series.get(idx - k)).filter(
            (c) => c !== undefined,
          );
          return window.length >= 6 ? [mean(window as number[])] : [];
        });
        m[`${p}/8h`] = eights.length ? Math.max(...eights) : null;
      }
      const sub = {
        pm25: vnSubIndex("pm25", m["pm25/24h"]),
        pm10: vnSubIndex("pm10", m["pm10/24h"]),
        o3: [vnSubIndex("o3_1h", m["o3/1h"]), vnSubIndex("o3_8h", m["o3/8h"])].reduce<number | null>(
          (a, b) => (a === null ? b : b === null ? a : Math.max(a, b)),
          null,
        ),
        co: vnSubIndex("co", m["co/1h"]),
        so2: vnSubIndex("so2", m["so2/1h"]),
        no2: vnSubIndex("no2", m["no2/1h"]),
      };
      const exceeded = (limits: Record<string, number>) =>
        Object.entries(limits)
          .filter(([code, limit]) => (m[code] ?? Number.NEGATIVE_INFINITY) > limit)
          .map(([code]) => code)
          .join(",");
      const vn = vnOverall(sub);
      expected.set(key, {
        ...Object.fromEntries(POLLUTANTS.map((p) => [`hours_observed_${p}`, hours[p]])),
        avg_pm25: m.avg_pm25,
        max_8h_o3: m["o3/8h"],
        aqi: epaAqi(m["pm25/24h"] ?? null),
        ...Object.fromEntries(Object.entries(sub).map(([p, x]) => [`vn_aqi_${p}`, x])),
        vn_aqi: vn,
        vn_aqi_category: vnCategory(vn),
        qcvn_exceeded: exceeded(qcvnLimits(day)),
        who_exceeded: exceeded(WHO_LIMITS),
      });
    }
    const rows = await query(
      "SELECT *, CAST(day AS VARCHAR) AS d FROM openaq_dev.view_daily_average ORDER BY location_id, day",
    );
    expect(rows.map((r) => `${r.location_id}|${r.d}`).sort()).toEqual([...expected.keys()].sort());
    let withAqi = 0;
    let withoutAqi = 0;
    for (const r of rows) {
      const e = expected.get(`${r.location_id}|${r.d}`) as Record<string, unknown>;
      for (const c of ["avg_pm25", "max_8h_o3"]) {
        if (e[c] === null) expect(r[c], c).toBeNull();
        else expect(r[c] as number, c).toBeCloseTo(e[c] as number, 9);
      }
      for (const c of Object.keys(e).filter((k) => k !== "avg_pm25" && k !== "max_8h_o3"))
        expect([r.location_id, r.d, c, c.startsWith("hours") ? Number(r[c]) : r[c]]).toEqual([
          r.location_id,
          r.d,
          c,
          e[c],
        ]);
      expect(r.is_complete).toBe((e.hours_observed_pm25 as number) >= 12);
      if (r.aqi === null) withoutAqi++;
      else withAqi++;
    }
    // The first local day starts at 07:00 (the first UTC day's midnight): both kinds are exercised.
    expect(withAqi).toBeGreaterThan(0);
    expect(withoutAqi).toBeGreaterThan(0);
  });

  it("--show ends the run with the latest AQI per location and recent daily averages", () => {
    expect(stdout).toMatch(/Latest AQI per location \(openaq_dev\.view_latest_aqi\)\n\| location_id/);
    expect(stdout).toMatch(/Daily averages, last 3 local days \(openaq_dev\.view_daily_average\)\n\| day/);
    expect(stdout).toContain(addDays(TODAY, -1));
  });
});
