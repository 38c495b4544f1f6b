import { request } from "node:http";
import { networkInterfaces } from "node:os";
import { runCli } from "@openaq-lakehouse/extractor";
import { addDays, formatIsoDay } from "@openaq-lakehouse/pipeline-core";
import { type HeadlessChromium, launchChromium } from "@openaq-lakehouse/test-support/chromium";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type E2eWorld, startE2e } from "./e2e-support.js";

/**
 * `openaq-pipeline dashboard` after a backfill on the embedded default, driven in Debian's headless
 * Chromium: the map and trend show exactly the serving views' rows, the city filter and env switch
 * change what is read, and nothing is requested from outside 127.0.0.1. The expected rows come from
 * `openaq-pipeline query` on the same lake (dev: three days, prod: one, so the two differ).
 */

const KEY = "dashboard-e2e-key-0b9a7c4e2d1f";
const TODAY = formatIsoDay(Date.now());
type Row = Record<string, unknown>;

/** The US EPA colours of the AQI categories (EPA's Technical Assistance Document), and grey for none. */
const EPA_COLOURS: Record<string, string> = {
  Good: "#00e400",
  Moderate: "#ffff00",
  "Unhealthy for Sensitive Groups": "#ff7e00",
  Unhealthy: "#ff0000",
  "Very Unhealthy": "#8f3f97",
  Hazardous: "#7e0023",
};
const NO_INDEX = "#9e9e9e";
/** VN_AQI colours by band (Decision 1459/QĐ-TCMT): 0–50, 51–100, 101–150, 151–200, 201–300, above. */
const VN_AQI_COLOURS: Record<number, string> = {
  1: "#00e400",
  2: "#ffff00",
  3: "#ff7e00",
  4: "#ff0000",
  5: "#8f3f97",
  6: "#7e0023",
};

let e2e: E2eWorld;
let lake: string;
let chromium: HeadlessChromium;
let stopDashboard: AbortController;
let dashboardExit: Promise<number>;
let url: string;
const views: Record<"dev" | "prod", { latest: Row[]; daily: Row[] }> = {
  dev: { latest: [], daily: [] },
  prod: { latest: [], daily: [] },
};

async function query(sql: string, env: "dev" | "prod"): Promise<Row[]> {
  const r = await e2e.cli(["query", sql, "--env", env, "--lake", lake, "--format", "json"]);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as Row[];
}

beforeAll(async () => {
  e2e = await startE2e("dashboard-e2e", KEY);
  lake = e2e.dir;
  for (const [env, from] of [
    ["dev", addDays(TODAY, -3)],
    ["prod", addDays(TODAY, -1)],
  ] as const) {
    const r = await e2e.cli([
      "backfill",
      "--env",
      env,
      "--from",
      from,
      "--to",
      addDays(TODAY, -1),
      "--lake",
      lake,
    ]);
    expect(r.code, r.stderr).toBe(0);
    views[env].latest = await query(`SELECT * FROM openaq_${env}.view_latest_aqi ORDER BY location_id`, env);
    views[env].daily = await query(
      `SELECT * FROM openaq_${env}.view_daily_average ORDER BY location_id, day`,
      env,
    );
  }
  expect(views.dev.latest.length).toBeGreaterThan(3);
  expect(views.dev.daily.length).not.toBe(views.prod.daily.length);

  // The command itself, in this process, on any free port; stopped by the abort in afterAll.
  stopDashboard = new AbortController();
  let out = "";
  let err = "";
  dashboardExit = runCli(["dashboard", "--lake", lake, "--port", "0"], {
    stdout: { write: (t: string) => (out += t) },
    stderr: { write: (t: string) => (err += t) },
    env: {},
    signal: stopDashboard.signal,
  });
  for (let i = 0; i < 200 && !/http:\/\/127\.0\.0\.1:\d+\//.test(out); i++) {
    if (err) throw new Error(err);
    await new Promise((r) => setTimeout(r, 50));
  }
  url = /http:\/\/127\.0\.0\.1:\d+\//.exec(out)?.[0] as string;
  expect(url, `${out}${err}`).toBeDefined();
  chromium = await launchChromium();
}, 240_000);

afterAll(async () => {
  await chromium?.close();
  stopDashboard?.abort();
  expect(await dashboardExit).toBe(0);
  await e2e?.close();
});

/**
 * The rows, with each fractional number matched to 9 decimals: DuckDB's parallel aggregation may
 * sum in another order from one query to the next, which moves the last bit of an average.
 */
function approx(rows: Row[]): Row[] {
  return rows.map((r) =>
    Object.fromEntries(
      Object.entries(r).map(([k, v]) => [
        k,
        typeof v === "number" && !Number.isInteger(v) ? expect.closeTo(v, 9) : v,
      ]),
    ),
  );
}

async function getJson(path: string): Promise<{ status: number; body: { rows: Row[]; env: string } }> {
  const res = await fetch(new URL(path, url));
  return { status: res.status, body: (await res.json()) as { rows: Row[]; env: string } };
}

function raw(method: string, path: string, host = "127.0.0.1"): Promise<number> {
  const { port } = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request({ host, port, path, method }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on("error", reject);
    req.end();
  });
}

describe("JSON endpoints", () => {
  it("return exactly the serving views' rows, per environment", async () => {
    for (const env of ["dev", "prod"] as const) {
      const latest = await getJson(`/api/latest?env=${env}`);
      expect(latest.status).toBe(200);
      expect(latest.body.rows).toEqual(approx(views[env].latest));
      const daily = await getJson(`/api/daily?env=${env}`);
      expect(daily.body.rows).toEqual(approx(views[env].daily));
    }
    const [first] = views.dev.latest;
    const city = first?.city as string;
    const latest = await getJson(`/api/latest?city=${encodeURIComponent(city)}`);
    expect(latest.body.rows).toEqual(approx(views.dev.latest.filter((r) => r.city === city)));
    const id = first?.location_id as number;
    const day = views.dev.daily.find((r) => r.location_id === id)?.day as string;
    const daily = await getJson(`/api/daily?location=${id}&from=${day}&to=${day}`);
    expect(daily.body.rows).toEqual(
      approx(views.dev.daily.filter((r) => r.location_id === id && r.day === day)),
    );
    const cities = await getJson("/api/cities");
    const expected = [
      ...new Set([...views.dev.latest, ...views.dev.daily].map((r) => r.city as string)),
    ].sort();
    expect(cities.body.rows.map((r) => r.city)).toEqual(expected);
    for (const c of cities.body.rows) {
      const ids = new Set(
        [...views.dev.latest, ...views.dev.daily].filter((r) => r.city === c.city).map((r) => r.location_id),
      );
      expect(c.locations).toBe(ids.size);
    }
  });

  it("refuse bad parameters with a sentence, and anything but GET with 405", async () => {
    for (const path of [
      "/api/daily?from=2024-02-30",
      "/api/daily?location=1;DROP",
      "/api/latest?env=staging",
      "/api/latest?colour=red",
    ]) {
      const res = await fetch(new URL(path, url));
      expect(res.status, path).toBe(400);
      expect(((await res.json()) as { error: string }).error).toMatch(/\.$/);
    }
    for (const method of ["POST", "PUT", "DELETE", "PATCH"])
      expect(await raw(method, "/api/latest"), method).toBe(405);
    expect(await raw("GET", "/api/latest")).toBe(200);
  });

  it("listen on loopback only", async () => {
    const external = Object.values(networkInterfaces())
      .flat()
      .find((i) => i && i.family === "IPv4" && !i.internal);
    expect(new URL(url).hostname).toBe("127.0.0.1");
    if (external) await expect(raw("GET", "/api/latest", external.address)).rejects.toThrow(/ECONNREFUSED/);
  });
});

describe("the page in headless Chromium", () => {
  let page: Page;
  const consoleErrors: string[] = [];
  const outside: string[] = [];

  async function settled(): Promise<void> {
    await page.waitForSelector('body[data-busy="false"]', { timeout: 30_000 });
  }

  async function markers(): Promise<Array<{ id: number; fill: string }>> {
    return page.$$eval("#map circle.marker", (els) =>
      els.map((e) => ({
        id: Number(e.getAttribute("data-location-id")),
        fill: e.getAttribute("fill") ?? "",
      })),
    );
  }

  async function points(): Promise<Array<{ id: number; day: string; complete: boolean }>> {
    return page.$$eval("#trend circle.point", (els) =>
      els.map((e) => ({
        id: Number(e.getAttribute("data-location-id")),
        day: e.getAttribute("data-day") ?? "",
        complete: e.classList.contains("complete"),
      })),
    );
  }

  const expectedPoints = (rows: Row[]) =>
    rows
      .filter((r) => r.avg_pm25 !== null)
      .map((r) => ({ id: r.location_id, day: r.day, complete: r.is_complete }))
      .sort((a, b) => Number(a.id) - Number(b.id) || String(a.day).localeCompare(String(b.day)));
  const sorted = (ps: Array<{ id: number; day: string; complete: boolean }>) =>
    [...ps].sort((a, b) => a.id - b.id || a.day.localeCompare(b.day));

  beforeAll(async () => {
    page = await chromium.context.newPage();
    page.on("console", (m) => {
      if (m.type() === "error") consoleErrors.push(m.text());
    });
    page.on("pageerror", (e) => consoleErrors.push(e.message));
    await chromium.context.route("**/*", (route) => {
      const target = new URL(route.request().url());
      if (target.hostname === "127.0.0.1") return route.continue();
      outside.push(target.href);
      return route.abort();
    });
    await page.goto(url);
    await settled();
  });

  it("shows one marker per row of view_latest_aqi, in its category's colour", async () => {
    const shown = await markers();
    expect(shown.map((m) => m.id).sort((a, b) => a - b)).toEqual(views.dev.latest.map((r) => r.location_id));
    for (const m of shown) {
      const row = views.dev.latest.find((r) => r.location_id === m.id) as Row;
      expect(m.fill, String(row.aqi_category)).toBe(
        row.aqi_category ? EPA_COLOURS[row.aqi_category as string] : NO_INDEX,
      );
    }
    expect(await page.$$eval("#map path.land", (els) => els.length)).toBe(1);
  });

  it("offers VN_AQI exactly when view_latest_aqi has its columns, and recolours the markers by its bands", async () => {
    const options = () => page.$$eval("#index option", (els) => els.map((e) => e.getAttribute("value")));
    if (!views.dev.latest.some((r) => "vn_aqi" in r)) {
      expect(await options()).toEqual(["us_epa"]);
      expect(await page.isDisabled("#index")).toBe(true);
      return;
    }
    expect(await options()).toEqual(["us_epa", "vn_aqi"]);
    await page.selectOption("#index", "vn_aqi");
    const band = (v: number) =>
      VN_AQI_COLOURS[[50, 100, 150, 200, 300].findIndex((upper) => v <= upper) + 1 || 6];
    for (const m of await markers()) {
      const row = views.dev.latest.find((r) => r.location_id === m.id) as Row;
      expect(m.fill).toBe(row.vn_aqi === null ? NO_INDEX : band(row.vn_aqi as number));
    }
    const row = views.dev.latest.find((r) => r.vn_aqi !== null) as Row;
    await page.focus(`#map circle.marker[data-location-id="${row.location_id}"]`);
    await page.keyboard.press("Enter");
    expect(await page.textContent("#popup")).toContain(`VN_AQI: ${row.vn_aqi} (${row.vn_aqi_category})`);
    await page.selectOption("#index", "us_epa");
  });

  it("opens a popup with the location's name, city, time, pollutants and index", async () => {
    const row = views.dev.latest.find((r) => r.aqi !== null) as Row;
    // By keyboard: nearby stations' markers overlap at this zoom, so a pointer may hit a neighbour.
    await page.focus(`#map circle.marker[data-location-id="${row.location_id}"]`);
    await page.keyboard.press("Enter");
    const text = await page.textContent("#popup");
    expect(text).toContain(String(row.location_name));
    expect(text).toContain(String(row.city));
    expect(text).toContain(String(row.latest_datetime_utc));
    expect(text).toContain(`US EPA AQI: ${row.aqi} (${row.aqi_category})`);
    expect(text).toContain(`${Number(row.pm25).toFixed(1)} µg/m³`);
  });

  it("draws one trend point per row of view_daily_average for the chosen location, incomplete days apart", async () => {
    const id = views.dev.latest[0]?.location_id as number;
    await page.selectOption("#locations", String(id));
    await settled();
    const expected = expectedPoints(views.dev.daily.filter((r) => r.location_id === id));
    expect(expected.length).toBeGreaterThan(1);
    expect(sorted(await points())).toEqual(expected);
    // The PM2.5 limits are drawn as lines (QCVN and WHO).
    expect(
      await page.$$eval("#trend line.limit", (els) => els.map((e) => e.getAttribute("data-source"))),
    ).toEqual(["QCVN 05:2023", "WHO 2021"]);
  });

  it("narrows both the map and the trend with the city filter", async () => {
    await page.click("#clear-locations");
    await settled();
    expect(sorted(await points())).toEqual(expectedPoints(views.dev.daily));
    const city = views.dev.latest.find((r) => views.dev.latest.some((o) => o.city !== r.city))
      ?.city as string;
    await page.selectOption("#city", city);
    await settled();
    const inCity = views.dev.latest.filter((r) => r.city === city);
    expect(inCity.length).toBeLessThan(views.dev.latest.length);
    expect((await markers()).map((m) => m.id).sort((a, b) => a - b)).toEqual(
      inCity.map((r) => r.location_id),
    );
    expect(sorted(await points())).toEqual(expectedPoints(views.dev.daily.filter((r) => r.city === city)));
    await page.selectOption("#city", "");
    await settled();
  });

  it("reads the other database when the environment is switched", async () => {
    await page.selectOption("#env", "prod");
    await settled();
    expect((await markers()).map((m) => m.id).sort((a, b) => a - b)).toEqual(
      views.prod.latest.map((r) => r.location_id),
    );
    expect(sorted(await points())).toEqual(expectedPoints(views.prod.daily));
    if (process.env.DASHBOARD_SCREENSHOT) {
      await page.selectOption("#env", "dev");
      await settled();
      await page.focus(`#map circle.marker[data-location-id="${views.dev.latest[0]?.location_id}"]`);
      await page.keyboard.press("Enter");
      await page.screenshot({ path: process.env.DASHBOARD_SCREENSHOT });
    }
  });

  it("logged no console error and requested nothing outside 127.0.0.1", () => {
    expect(consoleErrors).toEqual([]);
    expect(outside).toEqual([]);
  });
});
