import { type HeadlessChromium, launchChromium } from "@openaq-lakehouse/test-support/chromium";
import type { QueryEngine, QueryResult } from "@openaq-lakehouse/views";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Dashboard, startDashboard } from "../src/server.js";

/**
 * The index switch is data-driven: once view_latest_aqi carries `vn_aqi` and `vn_aqi_category`, the
 * page offers VN_AQI and colours markers by its bands. The views do not have those columns yet, so
 * this serves rows that do (from an engine that answers the dashboard's three queries) to the real
 * page in headless Chromium.
 */

const LATEST = [
  {
    location_id: 1,
    location_name: "A",
    city: "Hanoi",
    latitude: 21.03,
    longitude: 105.85,
    latest_datetime_utc: "2026-11-30 23:00:00.000",
    pm25: 20,
    pm10: null,
    no2: null,
    o3: null,
    co: null,
    so2: null,
    aqi: 68,
    aqi_category: "Moderate",
    vn_aqi: 45,
    vn_aqi_category: "Tốt",
  },
  {
    location_id: 2,
    location_name: "B",
    city: "Hue",
    latitude: 16.46,
    longitude: 107.59,
    latest_datetime_utc: "2026-11-30 23:00:00.000",
    pm25: 60,
    pm10: null,
    no2: null,
    o3: null,
    co: null,
    so2: null,
    aqi: 153,
    aqi_category: "Unhealthy",
    vn_aqi: 160,
    vn_aqi_category: "Xấu",
  },
  {
    location_id: 3,
    location_name: "C",
    city: "Hue",
    latitude: 16.4,
    longitude: 107.5,
    latest_datetime_utc: "2026-11-30 23:00:00.000",
    pm25: null,
    pm10: 30,
    no2: null,
    o3: null,
    co: null,
    so2: null,
    aqi: null,
    aqi_category: null,
    vn_aqi: 320,
    vn_aqi_category: "Nguy hại",
  },
];

function result(rows: Array<Record<string, unknown>>): QueryResult {
  return { columns: Object.keys(rows[0] ?? {}).map((name) => ({ name, type: "?" })), rows };
}

const engine = (): QueryEngine => ({
  kind: "duckdb",
  async readQuery(sql: string) {
    return this.query(sql);
  },
  async query(sql: string) {
    if (sql.includes("view_latest_aqi ")) return result(LATEST);
    if (sql.startsWith("SELECT city"))
      return result([
        { city: "Hanoi", locations: 1 },
        { city: "Hue", locations: 2 },
      ]);
    return { columns: [], rows: [] };
  },
  async close() {},
});

let dashboard: Dashboard;
let chromium: HeadlessChromium;

beforeAll(async () => {
  dashboard = await startDashboard({ env: "dev", openEngine: async () => engine() });
  chromium = await launchChromium();
}, 60_000);

afterAll(async () => {
  await chromium?.close();
  await dashboard?.close();
});

describe("the index switch", () => {
  it("offers VN_AQI when the view has it, colours by its bands, and shows it in the popup", async () => {
    const page = await chromium.context.newPage();
    const errors: string[] = [];
    page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
    await page.goto(dashboard.url);
    await page.waitForSelector('body[data-busy="false"]');
    const fills = () =>
      page.$$eval("#map circle.marker", (els) =>
        els.map((e) => [Number(e.getAttribute("data-location-id")), e.getAttribute("fill")]),
      );
    expect(await page.$$eval("#index option", (els) => els.map((e) => e.getAttribute("value")))).toEqual([
      "us_epa",
      "vn_aqi",
    ]);
    expect(await fills()).toEqual([
      [1, "#ffff00"],
      [2, "#ff0000"],
      [3, "#9e9e9e"],
    ]);
    await page.selectOption("#index", "vn_aqi");
    expect(await fills()).toEqual([
      [1, "#00e400"],
      [2, "#ff0000"],
      [3, "#7e0023"],
    ]);
    await page.focus('#map circle.marker[data-location-id="2"]');
    await page.keyboard.press("Enter");
    expect(await page.textContent("#popup")).toContain("VN_AQI: 160 (Xấu)");
    expect(errors).toEqual([]);
  });
});
