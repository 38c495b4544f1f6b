import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import {
  type FakeOpenAq,
  type FakeOpenAqStats,
  type FaultKind,
  STATS_PATH,
  startFakeOpenAq,
} from "@openaq-lakehouse/fake-openaq";
import { AS_OF, startTestServer } from "@openaq-lakehouse/test-support/openaq";
import { afterEach, describe, expect, it } from "vitest";

let server: FakeOpenAq | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function get(
  s: FakeOpenAq,
  path: string,
  key: string | null = s.apiKey,
  extra: Record<string, string> = {},
) {
  const res = await fetch(`${s.url}${path}`, {
    headers: { ...(key === null ? {} : { "X-API-Key": key }), ...extra },
  });
  const text = await res.text();
  return { res, text, json: () => JSON.parse(text) };
}

const DAY_WINDOW = "datetime_from=2026-03-20T00:00:00Z&datetime_to=2026-03-21T00:00:00Z&limit=1000";

describe("fake OpenAQ server: shapes", () => {
  it("serves the Vietnam locations in the real envelope and field order, filtered by country", async () => {
    server = await startTestServer();
    const r = await get(server, "/v3/locations?countries_id=56&limit=1000&page=1");
    expect(r.res.status).toBe(200);
    expect(
      r.text.startsWith('{"meta":{"name":"openaq-api","website":"/","page":1,"limit":1000,"found":'),
    ).toBe(true);
    const body = r.json();
    expect(body.meta.found).toBe(body.results.length);
    expect(body.results.length).toBeGreaterThanOrEqual(15);
    expect(body.results.every((l: { country: { id: number } }) => l.country.id === 56)).toBe(true);
    const ids = body.results.map((l: { id: number }) => l.id);
    expect(ids).toEqual([...ids].sort((a: number, b: number) => a - b));
    expect(Object.keys(body.results[0])).toEqual([
      "id",
      "name",
      "locality",
      "timezone",
      "country",
      "owner",
      "provider",
      "isMobile",
      "isMonitor",
      "instruments",
      "sensors",
      "coordinates",
      "licenses",
      "bounds",
      "distance",
      "datetimeFirst",
      "datetimeLast",
    ]);
    const localities = new Set(body.results.map((l: { locality: string | null }) => l.locality));
    expect(localities.has(null)).toBe(true);
    expect(localities.has("N/A")).toBe(true);
    const dormant = body.results.find((l: { id: number }) => l.id === 7440);
    expect(dormant.datetimeLast).toEqual({ utc: "2025-03-04T12:00:00Z", local: "2025-03-04T19:00:00+07:00" });
    const live = body.results.find((l: { id: number }) => l.id === 2161292);
    expect(live.datetimeLast.utc).toBe(AS_OF);
    // Non-ASCII is UTF-8, not escaped, as the real API writes it.
    expect(r.text).toContain('"name":"Số 46, phố Lưu Quang Vũ"');
    expect(r.text).toContain('"units":"µg/m³"');
    const all = (await get(server, "/v3/locations?limit=1000")).json();
    expect(all.results.some((l: { country: { code: string } }) => l.country.code === "KH")).toBe(true);
    expect((await get(server, "/v3/locations?iso=VN&limit=1000")).json().results.length).toBe(
      body.results.length,
    );
  });

  it("answers a day of raw measurements with periods ending in (from, to], floats as 909.0", async () => {
    server = await startTestServer();
    const r = await get(server, `/v3/sensors/7772032/measurements?${DAY_WINDOW}`);
    const body = r.json();
    expect(body.meta).toEqual({ name: "openaq-api", website: "/", page: 1, limit: 1000, found: 24 });
    expect(body.results[0].period.datetimeFrom).toEqual({
      utc: "2026-03-20T00:00:00Z",
      local: "2026-03-20T07:00:00+07:00",
    });
    expect(body.results[23].period.datetimeTo.utc).toBe("2026-03-21T00:00:00Z");
    expect(Object.keys(body.results[0])).toEqual([
      "value",
      "flagInfo",
      "parameter",
      "period",
      "coordinates",
      "summary",
      "coverage",
    ]);
    expect(body.results[0].parameter).toEqual({ id: 2, name: "pm25", units: "µg/m³", displayName: null });
    expect(body.results[0].coordinates).toBeNull();
    expect(body.results[0].summary).toBeNull();
    expect(r.text).toContain('"percentComplete":100.0');
    expect(r.text).toMatch(/"value":-?\d+\.\d+/);
  });

  it("is deterministic: the same request gives the same bytes, on another server instance too", async () => {
    server = await startTestServer();
    const a = await get(server, `/v3/sensors/13502150/measurements?${DAY_WINDOW}`);
    const b = await get(server, `/v3/sensors/13502150/measurements?${DAY_WINDOW}`);
    const other = await startTestServer();
    try {
      const c = await get(other, `/v3/sensors/13502150/measurements?${DAY_WINDOW}`);
      expect(b.text).toBe(a.text);
      expect(c.text).toBe(a.text);
    } finally {
      await other.close();
    }
  });

  it("reads a naive or date-only window in the station's local zone (+07:00): the pitfall", async () => {
    server = await startTestServer();
    const naive = (
      await get(
        server,
        "/v3/sensors/7772032/measurements?datetime_from=2026-03-20T00:00:00&datetime_to=2026-03-21T00:00:00",
      )
    ).json();
    expect(naive.results[0].period.datetimeFrom.utc).toBe("2026-03-19T17:00:00Z");
    const dates = (
      await get(server, "/v3/sensors/7772032/measurements?datetime_from=2026-03-20&datetime_to=2026-03-21")
    ).json();
    expect(dates.results[0].period.datetimeFrom.utc).toBe("2026-03-19T17:00:00Z");
    const offset = (
      await get(
        server,
        "/v3/sensors/7772032/measurements?datetime_from=2026-03-20T07:00:00%2B07:00&datetime_to=2026-03-20T09:00:00%2B07:00",
      )
    ).json();
    expect(
      offset.results.map((m: { period: { datetimeTo: { utc: string } } }) => m.period.datetimeTo.utc),
    ).toEqual(["2026-03-20T01:00:00Z", "2026-03-20T02:00:00Z"]);
  });

  it("has sub-hourly sensors, gaps, -999 sentinels and negative low-cost readings", async () => {
    server = await startTestServer();
    const fiveMin = (await get(server, `/v3/sensors/13502150/measurements?${DAY_WINDOW}`)).json();
    expect(fiveMin.results[0].period.interval).toBe("00:05:00");
    expect(fiveMin.results.length).toBeGreaterThan(240);
    expect(fiveMin.results.length).toBeLessThan(288);
    const gappy = (await get(server, `/v3/sensors/10334403/measurements?${DAY_WINDOW}`)).json();
    expect(gappy.results.length).toBeLessThan(24);
    const week = "datetime_from=2026-03-01T00:00:00Z&datetime_to=2026-03-25T00:00:00Z&limit=1000";
    const airnow = (await get(server, `/v3/sensors/21632/measurements?${week}`)).json();
    expect(airnow.results.some((m: { value: number }) => m.value === -999)).toBe(true);
    const lowCost = (await get(server, `/v3/sensors/11357396/measurements?${week}`)).json();
    expect(lowCost.results.some((m: { value: number }) => m.value < 0 && m.value !== -999)).toBe(true);
    const dormant = (await get(server, `/v3/sensors/21631/measurements?${DAY_WINDOW}`)).json();
    expect(dormant).toMatchObject({ meta: { found: 0 }, results: [] });
  });

  it("pages like the real API: found is '>limit' on a full page, never a total", async () => {
    server = await startTestServer({ extraLocations: { dormant: 1_100 } });
    const p1 = (await get(server, "/v3/locations?countries_id=56&limit=1000&page=1")).json();
    const p2 = (await get(server, "/v3/locations?countries_id=56&limit=1000&page=2")).json();
    expect(p1.meta.found).toBe(">1000");
    expect(p1.results).toHaveLength(1000);
    expect(p2.meta.found).toBe(p2.results.length);
    expect(p2.results.length).toBeGreaterThan(100);
    const small = (
      await get(
        server,
        `/v3/sensors/7772032/measurements?${DAY_WINDOW.replace("limit=1000", "limit=24")}&page=2`,
      )
    ).json();
    expect(small.meta).toMatchObject({ page: 2, limit: 24, found: 0 });
  });
});

describe("fake OpenAQ server: errors the real API gives", () => {
  it("401 for a missing key (WAF) and for an unknown key (API)", async () => {
    server = await startTestServer();
    const missing = await get(server, "/v3/locations", null);
    expect(missing.res.status).toBe(401);
    expect(missing.json()).toEqual({
      message: "Unauthorized. A valid API key must be provided in the X-API-Key header.",
    });
    const bad = await get(server, "/v3/locations", "not-a-key");
    expect(bad.res.status).toBe(401);
    expect(bad.text).toBe('{"detail":"Invalid credentials"}');
  });

  it("422 for bad parameters in the API's shapes, 404 for an unknown sensor, 200 empty for its measurements", async () => {
    server = await startTestServer();
    const big = await get(server, "/v3/sensors/7772032/measurements?limit=1001");
    expect(big.res.status).toBe(422);
    expect(big.json().detail[0]).toMatchObject({
      type: "less_than_equal",
      loc: ["query", "limit"],
      ctx: { le: 1000 },
    });
    const order = await get(
      server,
      "/v3/sensors/7772032/measurements?datetime_from=2026-03-21T00:00:00Z&datetime_to=2026-03-20T00:00:00Z",
    );
    expect(order.res.status).toBe(422);
    expect(order.json()).toMatch(/^Date\/time from must be older than the date\/time to/);
    expect((await get(server, "/v3/locations?countries_id=56&iso=VN")).res.status).toBe(422);
    const unknown = await get(server, "/v3/sensors/1");
    expect(unknown.res.status).toBe(404);
    expect(unknown.json()).toEqual({ detail: "Sensor not found" });
    const none = await get(server, `/v3/sensors/1/measurements?${DAY_WINDOW}`);
    expect(none.res.status).toBe(200);
    expect(none.json().results).toEqual([]);
    expect((await get(server, "/v2/measurements")).res.status).toBe(410);
  });

  it("ignores unknown parameters: a misspelt filter returns history from the start", async () => {
    server = await startTestServer();
    const r = (
      await get(server, "/v3/sensors/7772032/measurements?date_from=2026-03-20&date_to=2026-03-21&limit=5")
    ).json();
    expect(r.meta.found).toBe(">5");
    expect(r.results[0].period.datetimeFrom.utc).toBe("2024-01-29T15:00:00Z");
  });

  it("rate-limits per key per calendar window with the real headers and a 429 without Retry-After", async () => {
    let now = 60_000 * 16_666_667 + 20_000; // 20 s into a calendar minute
    server = await startFakeOpenAq({ asOf: AS_OF, rateLimit: { perWindow: 3 }, now: () => now });
    const seen = [];
    for (let i = 0; i < 4; i++) seen.push(await get(server, "/v3/sensors/7772032"));
    expect(seen.slice(0, 3).map((r) => r.res.status)).toEqual([200, 200, 200]);
    expect(seen[2]?.res.headers.get("x-ratelimit-used")).toBe("3");
    expect(seen[2]?.res.headers.get("x-ratelimit-remaining")).toBe("0");
    expect(seen[2]?.res.headers.get("x-ratelimit-limit")).toBe("3");
    expect(seen[2]?.res.headers.get("x-ratelimit-reset")).toBe("60");
    const limited = seen[3];
    expect(limited?.res.status).toBe(429);
    expect(limited?.text).toBe('{"detail":"Too many requests"}');
    expect(limited?.res.headers.get("retry-after")).toBeNull();
    expect(server.stats.rateLimited).toBe(1);
    now += 40_000; // the next calendar minute
    expect((await get(server, "/v3/sensors/7772032")).res.status).toBe(200);
    expect(server.stats.maxUsedInWindow).toBe(3);
  });
});

describe("fake OpenAQ server: faults on demand", () => {
  const path = `/v3/sensors/7772032/measurements?${DAY_WINDOW}`;

  it("injects each kind of fault", async () => {
    server = await startTestServer();
    const s = server;
    const inject = (kind: FaultKind) =>
      s.setFaults({ forced: [{ sensorId: 7772032, kind, times: 1 }], slowMs: 150 });
    inject("429");
    let r = await get(s, path);
    expect(r.res.status).toBe(429);
    expect(r.text).toBe('{"detail":"Too many requests"}');
    inject("408");
    r = await get(s, path);
    expect(r.res.status).toBe(408);
    expect(r.json().detail).toMatch(/^Connection timed out/);
    inject("500");
    expect((await get(s, path)).text).toBe("Internal Server Error");
    inject("502");
    expect((await get(s, path)).res.status).toBe(502);
    inject("503");
    expect((await get(s, path)).res.status).toBe(503);
    inject("reset");
    await expect(get(s, path)).rejects.toThrow();
    for (const kind of ["truncated", "malformed"] as const) {
      inject(kind);
      r = await get(s, path);
      expect(r.res.status).toBe(200);
      expect(() => r.json()).toThrow(SyntaxError);
    }
    inject("slow");
    const t0 = Date.now();
    r = await get(s, path);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(140);
    expect(r.json().results).toHaveLength(24);
    // `times: 1` means the next request is healthy again.
    expect((await get(s, path)).json().results).toHaveLength(24);
    expect(s.stats.faults).toMatchObject({
      "429": 1,
      "408": 1,
      "500": 1,
      reset: 1,
      slow: 1,
      truncated: 1,
      malformed: 1,
    });
  });

  it("draws random faults reproducibly from the seed, at about the rate asked", async () => {
    const faultedPaths = async () => {
      const s = await startTestServer({ faults: { rate: 0.2, seed: 7, kinds: ["500", "408"] } });
      try {
        const out: string[] = [];
        for (let i = 0; i < 100; i++) {
          const r = await get(s, `/v3/sensors/${7772000 + i}`);
          if (r.res.status >= 500 || r.res.status === 408) out.push(`${i}:${r.res.status}`);
        }
        return out;
      } finally {
        await s.close();
      }
    };
    const a = await faultedPaths();
    const b = await faultedPaths();
    expect(b).toEqual(a);
    expect(a.length).toBeGreaterThan(8);
    expect(a.length).toBeLessThan(35);
  });
});

describe("fake OpenAQ server: command line", () => {
  it("starts on 127.0.0.1, prints its URL and key, and serves until stopped", async () => {
    const main = createRequire(import.meta.url).resolve("@openaq-lakehouse/fake-openaq/main");
    const child = spawn(
      process.execPath,
      ["--import", "tsx", main, "--per-minute=2", "--window-ms=600000", "--as-of=2026-03-25T06:00:00Z"],
      {
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    try {
      let out = "";
      const printed = await new Promise<{ url: string; key: string }>((resolve, reject) => {
        child.once("exit", (code) => reject(new Error(`exited with ${code}`)));
        child.stdout.on("data", (c: Buffer) => {
          out += c.toString();
          const url = /OPENAQ_BASE_URL=(http:\/\/127\.0\.0\.1:\d+)\n/.exec(out)?.[1];
          const key = /OPENAQ_API_KEY=(\S+)\n/.exec(out)?.[1];
          if (url && key) resolve({ url, key });
        });
      });
      const statuses = [];
      for (let i = 0; i < 3; i++) {
        statuses.push(
          (
            await fetch(`${printed.url}/v3/locations?countries_id=56`, {
              headers: { "X-API-Key": printed.key },
            })
          ).status,
        );
      }
      expect(statuses).toEqual([200, 200, 429]);
      const stats = (await (await fetch(`${printed.url}${STATS_PATH}`)).json()) as FakeOpenAqStats;
      expect(stats).toMatchObject({ requests: 3, rateLimited: 1 });
    } finally {
      child.removeAllListeners("exit");
      child.kill("SIGTERM");
    }
  });
});
