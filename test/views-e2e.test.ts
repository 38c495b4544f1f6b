import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { addDays, formatIsoDay } from "@openaq-lakehouse/pipeline-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../packages/extractor/src/cli/cli.js";
import { type FakeOpenAq, startFakeOpenAq } from "@openaq-lakehouse/fake-openaq";
import { expectedDay } from "./e2e-support.js";

/**
 * `backfill` then `run` on the embedded default (lake folder + DuckDB) over three recent days, then the serving
 * views' numbers against values computed here, in plain TypeScript, from the local OpenAQ server's
 * own series (the oracle of e2e-support): latest PM2.5 and AQI per location, daily averages by local
 * day with hours observed and completeness. Nothing here shares code with the views' SQL.
 */

const KEY = "views-e2e-key-5d1f0c2b7a9e4f3c";
const TODAY = formatIsoDay(Date.now());
const DAYS = [addDays(TODAY, -3), addDays(TODAY, -2), addDays(TODAY, -1)];
const HOUR = 3_600_000;
/** Asia/Bangkok and Asia/Ho_Chi_Minh: UTC+7 all year. */
const VIETNAM_OFFSET = 7 * HOUR;

let server: FakeOpenAq;
let lake: string;
let stdout = "";

async function cli(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const code = await runCli(argv, {
    stdout: { write: (t: string) => (out += t) },
    stderr: { write: (t: string) => (err += t) },
    env: { OPENAQ_BASE_URL: server.url, OPENAQ_API_KEY: KEY, OPENAQ_REQUESTS_PER_MINUTE: "100000" },
  });
  return { code, out, err };
}

async function query(sql: string): Promise<Array<Record<string, unknown>>> {
  const r = await cli(["query", sql, "--lake", lake, "--format", "json"]);
  expect(r.code, r.err).toBe(0);
  return JSON.parse(r.out) as Array<Record<string, unknown>>;
}

/** US EPA AQI for PM2.5, 2024 breakpoints, from the concentration truncated to 0.1 µg/m³. */
function aqi(pm25: number): number {
  const c = Math.floor(pm25 * 10 + 1e-9) / 10;
  const bands: Array<[number, number, number, number]> = [
    [0, 9.0, 0, 50],
    [9.1, 35.4, 51, 100],
    [35.5, 55.4, 101, 150],
    [55.5, 125.4, 151, 200],
    [125.5, 225.4, 201, 300],
    [225.5, 325.4, 301, 500],
  ];
  if (c > 325.4) return 500;
  const [cl, ch, il, ih] = bands.find(([lo, hi]) => c >= lo && c <= hi) as [number, number, number, number];
  return Math.round(((ih - il) / (ch - cl)) * (c - cl) + il);
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

interface Pm25 {
  location: number;
  at: number;
  value: number;
}

let pm25: Pm25[] = [];

beforeAll(async () => {
  server = await startFakeOpenAq({
    apiKeys: [KEY],
    rateLimit: { perWindow: 100_000, windowMs: 1_000, perHour: 10_000_000 },
  });
  lake = await mkdtemp(join(tmpdir(), "views-e2e-"));
  // Older days by backfill (validate would call them stale), then the usual daily run for yesterday.
  const back = await cli([
    "backfill",
    "--from",
    DAYS[0] as string,
    "--to",
    DAYS[1] as string,
    "--lake",
    lake,
  ]);
  expect(back.code, back.err).toBe(0);
  const run = await cli(["run", "--date", DAYS[2] as string, "--lake", lake, "--show"]);
  expect(run.code, run.err).toBe(0);
  stdout = run.out;
  // Valid PM2.5 in µg/m³ (negatives never count; -999 sentinels are not rows at all).
  pm25 = DAYS.flatMap((d) => expectedDay(server, d).measurements)
    .filter((m) => m.parameter === "pm25" && m.unit === "µg/m³" && (m.value as number) >= 0)
    .map((m) => ({ location: m.location_id as number, at: m.datetime as number, value: m.value as number }));
  expect(pm25.length).toBeGreaterThan(100);
}, 180_000);

afterAll(async () => {
  await server.close();
  await rm(lake, { recursive: true, force: true });
});

describe("run over several days on the embedded default, then the serving views", () => {
  it("view_latest_aqi: each location's latest PM2.5 (mean over sensors at that instant) and its AQI", async () => {
    const windowStart = Date.parse(`${addDays(TODAY, -2)}T00:00:00Z`); // a 3-day window ending today
    const expected = new Map<number, { at: number; pm25: number; aqi: number }>();
    for (const loc of new Set(pm25.map((p) => p.location))) {
      const mine = pm25.filter((p) => p.location === loc && p.at >= windowStart);
      if (mine.length === 0) continue;
      const at = Math.max(...mine.map((p) => p.at));
      const value = mean(mine.filter((p) => p.at === at).map((p) => p.value));
      expected.set(loc, { at, pm25: value, aqi: aqi(value) });
    }
    const rows = await query(
      "SELECT location_id, pm25, pm25_datetime_utc, aqi FROM openaq_dev.view_latest_aqi WHERE pm25 IS NOT NULL ORDER BY location_id",
    );
    expect(rows.map((r) => r.location_id)).toEqual([...expected.keys()].sort((a, b) => a - b));
    for (const r of rows) {
      const e = expected.get(r.location_id as number);
      expect(r.pm25 as number).toBeCloseTo(e?.pm25 as number, 9);
      expect(r.aqi).toBe(e?.aqi);
      expect(Date.parse(`${String(r.pm25_datetime_utc).replace(" ", "T")}Z`)).toBe(e?.at);
    }
  });

  it("view_daily_average: hourly means first, then the day's mean, hours observed and completeness by local day", async () => {
    const hourly = new Map<string, number[]>();
    for (const p of pm25) {
      const local = p.at + VIETNAM_OFFSET;
      const key = `${p.location}|${formatIsoDay(local)}|${new Date(local).getUTCHours()}`;
      hourly.set(key, [...(hourly.get(key) ?? []), p.value]);
    }
    const daily = new Map<string, number[]>();
    for (const [key, values] of hourly) {
      const [loc, day] = key.split("|");
      const dayKey = `${loc}|${day}`;
      daily.set(dayKey, [...(daily.get(dayKey) ?? []), mean(values)]);
    }
    const rows = await query(
      "SELECT location_id, CAST(day AS VARCHAR) AS day, avg_pm25, hours_observed, is_complete, aqi FROM openaq_dev.view_daily_average WHERE avg_pm25 IS NOT NULL ORDER BY location_id, day",
    );
    expect(rows.map((r) => `${r.location_id}|${r.day}`).sort()).toEqual([...daily.keys()].sort());
    let complete = 0;
    let incomplete = 0;
    for (const r of rows) {
      const hours = daily.get(`${r.location_id}|${r.day}`) as number[];
      expect(r.avg_pm25 as number).toBeCloseTo(mean(hours), 9);
      expect(Number(r.hours_observed)).toBe(hours.length);
      expect(r.is_complete).toBe(hours.length >= 12);
      expect(r.aqi).toBe(aqi(mean(hours)));
      if (r.is_complete) complete++;
      else incomplete++;
    }
    // The first local day starts at 07:00 (the first UTC day's midnight): both kinds are exercised.
    expect(complete).toBeGreaterThan(0);
    expect(incomplete).toBeGreaterThan(0);
  });

  it("--show ends the run with the latest AQI per location and recent daily averages", () => {
    expect(stdout).toMatch(/Latest AQI per location \(openaq_dev\.view_latest_aqi\)\n\| location_id/);
    expect(stdout).toMatch(/Daily averages, last 3 local days \(openaq_dev\.view_daily_average\)\n\| day/);
    expect(stdout).toContain(addDays(TODAY, -1));
  });
});
