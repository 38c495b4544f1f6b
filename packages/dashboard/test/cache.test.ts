import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { QueryEngine } from "@openaq-lakehouse/views";
import { afterAll, describe, expect, it } from "vitest";
import { byCodePoint, citiesOf, lakeDataVersion } from "../src/cache.js";
import { startDashboard } from "../src/server.js";

describe("lakeDataVersion", () => {
  const roots: string[] = [];
  afterAll(async () => {
    for (const r of roots) await rm(r, { recursive: true, force: true });
  });

  it("changes when the environment's processed data changes, and only then", async () => {
    const root = await mkdtemp(join(tmpdir(), "dashboard-version-"));
    roots.push(root);
    const empty = await lakeDataVersion(root, "dev");
    const day = join(root, "dev/processed/measurements/year=2026/month=11/day=30");
    await mkdir(day, { recursive: true });
    await writeFile(join(day, "part-00000.parquet"), "a");
    const one = await lakeDataVersion(root, "dev");
    expect(one).not.toBe(empty);
    expect(await lakeDataVersion(root, "dev")).toBe(one);
    await mkdir(join(root, "prod/processed/measurements"), { recursive: true });
    await writeFile(join(root, "prod/processed/measurements/x.parquet"), "b");
    await writeFile(join(root, "dev/raw.json"), "not processed");
    expect(await lakeDataVersion(root, "dev")).toBe(one);
    await writeFile(join(day, "part-00000.parquet"), "bb");
    expect(await lakeDataVersion(root, "dev")).not.toBe(one);
  });
});

describe("citiesOf", () => {
  it("counts distinct locations per city across both views, in code-point order, without null cities", () => {
    const latest = [
      { location_id: 1, city: "Hue" },
      { location_id: 2, city: "Hanoi" },
      { location_id: 3, city: null },
    ];
    const daily = [
      { location_id: 1, city: "Hue" },
      { location_id: 4, city: "Hue" },
      { location_id: 5, city: "Đà Lạt" },
    ];
    expect(citiesOf(latest, daily)).toEqual([
      { city: "Hanoi", locations: 1 },
      { city: "Hue", locations: 2 },
      { city: "Đà Lạt", locations: 1 },
    ]);
    expect(byCodePoint("a", "ab")).toBeLessThan(0);
    expect(byCodePoint("\u{1F600}", "\uFFFD")).toBeGreaterThan(0);
  });
});

describe("the dashboard with a data version", () => {
  it("reads each view once per version, answers filters from those rows, and reads again on a new version", async () => {
    let version = "v1";
    let rows = [
      { location_id: 1, city: "Hanoi", day: "2026-11-29" },
      { location_id: 1, city: "Hanoi", day: "2026-11-30" },
      { location_id: 2, city: "Hue", day: "2026-11-30" },
    ];
    const queries: string[] = [];
    const engine: QueryEngine = {
      kind: "duckdb",
      async query(sql) {
        queries.push(sql);
        return { columns: [{ name: "city", type: "VARCHAR" }], rows };
      },
      async readQuery(sql) {
        return this.query(sql);
      },
      async close() {},
    };
    const dashboard = await startDashboard({
      env: "dev",
      openEngine: async () => engine,
      dataVersion: async () => version,
    });
    try {
      const get = async (path: string) =>
        ((await (await fetch(new URL(path, dashboard.url))).json()) as { rows: unknown[] }).rows;
      expect(await get("/api/daily?city=Hanoi&from=2026-11-30")).toEqual([rows[1]]);
      expect(await get("/api/daily?location=2,1&to=2026-11-29")).toEqual([rows[0]]);
      expect(await get("/api/latest?city=Hue")).toEqual([rows[2]]);
      expect(await get("/api/cities")).toEqual([
        { city: "Hanoi", locations: 1 },
        { city: "Hue", locations: 1 },
      ]);
      expect(queries).toEqual([
        "SELECT * FROM openaq_dev.view_latest_aqi ORDER BY location_id",
        "SELECT * FROM openaq_dev.view_daily_average ORDER BY location_id, day",
      ]);
      version = "v2";
      rows = [{ location_id: 3, city: "Hue", day: "2026-12-01" }];
      expect(await get("/api/latest")).toEqual(rows);
      expect(queries).toHaveLength(4);
      const bad = await fetch(new URL("/api/daily?from=nope", dashboard.url));
      expect(bad.status).toBe(400);
    } finally {
      await dashboard.close();
    }
  });
});
