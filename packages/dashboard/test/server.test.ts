import type { Environment } from "@openaq-lakehouse/pipeline-core";
import type { QueryEngine, QueryResult } from "@openaq-lakehouse/views";
import { afterEach, describe, expect, it } from "vitest";
import { citiesSql, dailySql, latestSql } from "../src/api.js";
import { EngineSwitcher } from "../src/engines.js";
import { INDICES } from "../src/indices.js";
import { countryOutline } from "../src/outline.js";
import { type Dashboard, startDashboard } from "../src/server.js";

/** An engine that records what it was asked and when it was closed. */
class RecordingEngine implements QueryEngine {
  readonly kind = "duckdb" as const;
  readonly queries: string[] = [];
  closed = false;
  constructor(
    readonly env: Environment,
    private readonly log: string[],
    private readonly fail?: string,
  ) {
    log.push(`open ${env}`);
  }
  get database() {
    return `openaq_${this.env}`;
  }
  async query(sql: string): Promise<QueryResult> {
    if (this.closed) throw new Error("query on a closed engine");
    if (this.fail) throw new Error(this.fail);
    this.queries.push(sql);
    return { columns: [{ name: "env", type: "VARCHAR" }], rows: [{ env: this.env }] };
  }
  readQuery(sql: string): Promise<QueryResult> {
    return this.query(sql);
  }
  async close() {
    this.closed = true;
    this.log.push(`close ${this.env}`);
  }
}

describe("endpoint SQL", () => {
  const q = (s: string) => new URLSearchParams(s);
  it("reads the views of the request's environment, filtered as asked, with literals escaped", () => {
    expect(latestSql("prod", q("city=Hanoi"))).toBe(
      "SELECT * FROM openaq_prod.view_latest_aqi WHERE city = 'Hanoi' ORDER BY location_id",
    );
    expect(latestSql("dev", q("city=Ta'i"))).toContain("city = 'Ta''i'");
    expect(dailySql("dev", q("location=7,3,7&from=2026-01-01&to=2026-12-31"))).toBe(
      "SELECT * FROM openaq_dev.view_daily_average WHERE location_id IN (7, 3) AND day >= DATE '2026-01-01' AND day <= DATE '2026-12-31' ORDER BY location_id, day",
    );
    expect(citiesSql("dev", q(""))).toContain("FROM openaq_dev.view_daily_average");
  });
  it("refuses unknown, repeated and malformed parameters", () => {
    expect(() => latestSql("dev", q("sql=1"))).toThrow(/Unknown parameter "sql"/);
    expect(() => latestSql("dev", q("city=a&city=b"))).toThrow(/more than once/);
    expect(() => latestSql("dev", q("city="))).toThrow(/empty/);
    expect(() => dailySql("dev", q("location=1 OR 1=1"))).toThrow(/location ids/);
    expect(() => dailySql("dev", q("location=0"))).toThrow(/location ids/);
    expect(() => dailySql("dev", q("from=2026-02-30"))).toThrow(/YYYY-MM-DD/);
    expect(() => dailySql("dev", q("from=2026-03-02&to=2026-03-01"))).toThrow(/before it starts/);
  });
});

describe("EngineSwitcher", () => {
  it("holds one engine at a time, switches env by closing the other, and closes when idle", async () => {
    const log: string[] = [];
    const engines = new EngineSwitcher(async (env) => new RecordingEngine(env, log), 50);
    expect((await engines.query("dev", "a")).rows).toEqual([{ env: "dev" }]);
    expect((await engines.query("dev", "b")).rows).toEqual([{ env: "dev" }]);
    expect((await engines.query("prod", "c")).rows).toEqual([{ env: "prod" }]);
    expect(log).toEqual(["open dev", "close dev", "open prod"]);
    await new Promise((r) => setTimeout(r, 150));
    expect(log.at(-1)).toBe("close prod");
    await engines.query("prod", "d");
    expect(log.at(-1)).toBe("open prod");
    await engines.close();
    expect(log.at(-1)).toBe("close prod");
    await expect(engines.query("dev", "e")).rejects.toThrow(/shutting down/);
  });
});

describe("the dashboard server", () => {
  let dashboard: Dashboard | undefined;
  afterEach(async () => {
    await dashboard?.close();
    dashboard = undefined;
  });

  it("serves on 127.0.0.1, answers GET only, and says what to run when the views are missing", async () => {
    const log: string[] = [];
    dashboard = await startDashboard({
      env: "dev",
      openEngine: async (env) =>
        new RecordingEngine(
          env,
          log,
          env === "prod" ? "Catalog Error: Table with name view_latest_aqi does not exist!" : undefined,
        ),
    });
    expect(dashboard.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const page = await fetch(dashboard.url);
    expect(page.status).toBe(200);
    expect(page.headers.get("content-security-policy")).toContain("default-src 'none'");
    expect(await page.text()).toContain('<script type="module" src="/app.js">');
    expect((await fetch(new URL("/app.js", dashboard.url))).status).toBe(200);
    const latest = await fetch(new URL("/api/latest?env=dev", dashboard.url));
    expect(await latest.json()).toEqual({
      env: "dev",
      columns: [{ name: "env", type: "VARCHAR" }],
      rows: [{ env: "dev" }],
    });
    const missing = await fetch(new URL("/api/latest?env=prod", dashboard.url));
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: string }).error).toBe(
      "openaq_prod has no serving views yet: run `openaq-pipeline views --env prod` (or a backfill) on this lake.",
    );
    for (const method of ["POST", "PUT", "DELETE"]) {
      const res = await fetch(new URL("/api/latest", dashboard.url), { method });
      expect(res.status).toBe(405);
      expect(res.headers.get("allow")).toBe("GET, HEAD");
    }
    expect((await fetch(new URL("/api/nothing", dashboard.url))).status).toBe(404);
    const meta = (await (await fetch(new URL("/api/meta", dashboard.url))).json()) as { indices: unknown };
    expect(meta.indices).toEqual(JSON.parse(JSON.stringify(INDICES)));
  });

  it("offers only the environments it was given", async () => {
    dashboard = await startDashboard({
      env: "prod",
      environments: ["prod"],
      openEngine: async (env) => new RecordingEngine(env, []),
    });
    const res = await fetch(new URL("/api/latest?env=dev", dashboard.url));
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toMatch(/reads prod only/);
  });
});

describe("country outline", () => {
  it("is Vietnam's polygons from world-atlas, within Vietnam's bounding box", async () => {
    const outline = await countryOutline();
    expect(outline.properties.name).toBe("Vietnam");
    const coords = (
      outline.geometry.type === "Polygon" ? [outline.geometry.coordinates] : outline.geometry.coordinates
    ).flat(2);
    const lons = coords.map((c) => c[0] as number);
    const lats = coords.map((c) => c[1] as number);
    expect(Math.min(...lons)).toBeGreaterThan(102);
    expect(Math.max(...lons)).toBeLessThan(110);
    expect(Math.min(...lats)).toBeGreaterThan(8);
    expect(Math.max(...lats)).toBeLessThan(24);
    await expect(countryOutline("Atlantis")).rejects.toThrow(/no country outline named "Atlantis"/);
  });
});
