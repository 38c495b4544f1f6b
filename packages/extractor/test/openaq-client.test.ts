import { type FakeOpenAq, type FaultKind, startFakeOpenAq } from "@openaq-lakehouse/fake-openaq";
import { failure, must } from "@openaq-lakehouse/test-support/narrow";
import { AS_OF, startTestServer } from "@openaq-lakehouse/test-support/openaq";
import { freePort } from "@openaq-lakehouse/test-support/ports";
import { afterEach, describe, expect, it } from "vitest";
import { DEFAULT_OPENAQ_BASE_URL, OpenAqClient } from "../src/openaq/index.js";
import { captureLog, testClient } from "./support/fake.js";

const WINDOW = { from: "2026-03-20T00:00:00Z", to: "2026-03-21T00:00:00Z" };

let server: FakeOpenAq | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** A fetch that goes to the real server, then lets a test rewrite the request URL or the body. */
function rewritingFetch(rewrite: {
  url?: (u: string) => string;
  // biome-ignore lint/suspicious/noExplicitAny: tests reach into the body freely
  body?: (json: any) => unknown;
}): typeof fetch {
  return async (input, init) => {
    const url = rewrite.url ? rewrite.url(String(input)) : String(input);
    const res = await fetch(url, init);
    if (!rewrite.body) return res;
    const text = JSON.stringify(rewrite.body(await res.json()));
    return new Response(text, { status: res.status, headers: { "content-type": "application/json" } });
  };
}

describe("OpenAqClient against the local server", () => {
  it("returns each body byte-for-byte beside its validated envelope", async () => {
    server = await startTestServer();
    const client = testClient(server);
    const pages = await client.fetchLocations(56);
    expect(pages).toHaveLength(1);
    const page = must(pages[0], "the locations page");
    const direct = await fetch(`${server.url}/v3/locations?countries_id=56&limit=1000&page=1`, {
      headers: { "X-API-Key": server.apiKey },
    });
    expect(Buffer.from(page.body).equals(Buffer.from(await direct.arrayBuffer()))).toBe(true);
    expect(page.url).toBe(`${server.url}/v3/locations?countries_id=56&limit=1000&page=1`);
    expect(page.status).toBe(200);
    expect(page.headers["content-type"]).toBe("application/json");
    expect(page.data.results.every((l) => l.country.id === 56)).toBe(true);
    expect(client.stats).toEqual({ requests: 1, retries: 0, rateLimited: 0, failures: 0 });
  });

  it("sends the window with an explicit Z and refuses a naive one before sending", async () => {
    server = await startTestServer();
    const client = testClient(server);
    const pages = await client.fetchSensorMeasurements(7772032, WINDOW);
    expect(pages[0]?.data.results[0]?.period.datetimeFrom.utc).toBe("2026-03-20T00:00:00Z");
    expect(server.stats.log[0]?.path).toContain("datetime_from=2026-03-20T00%3A00%3A00Z");
    expect(server.stats.log[0]?.path).toContain("datetime_to=2026-03-21T00%3A00%3A00Z");
    const naive = await failure(
      client.fetchSensorMeasurements(7772032, { from: "2026-03-20T00:00:00", to: WINDOW.to }),
    );
    expect(naive.code).toBe("INVALID_WINDOW");
    expect(naive.message).toMatch(/explicit offset/);
    expect(server.stats.requests).toBe(1);
  });

  it("keeps paging while a page is full (found '>limit'), including an empty last page", async () => {
    server = await startTestServer();
    const all = must((await testClient(server).fetchSensorMeasurements(13502150, WINDOW))[0], "a page").data
      .results;
    const byHundred = await testClient(server, { pageLimit: 100 }).fetchSensorMeasurements(13502150, WINDOW);
    expect(byHundred.map((p) => p.data.meta.found)).toEqual([">100", ">100", all.length - 200]);
    expect(byHundred.flatMap((p) => p.data.results)).toEqual(all);
    const exact = await testClient(server, { pageLimit: 24 }).fetchSensorMeasurements(7772032, WINDOW);
    expect(exact.map((p) => p.data.results.length)).toEqual([24, 0]);
    expect(exact[1]?.data.meta.found).toBe(0);
  });

  it("follows locations over 1,000 rows (found '>1000')", async () => {
    server = await startTestServer({ extraLocations: { dormant: 1_100 } });
    const pages = await testClient(server).fetchLocations(56);
    expect(pages.map((p) => p.data.meta.found)).toEqual([">1000", pages[1]?.data.results.length]);
    const ids = pages.flatMap((p) => p.data.results.map((l) => l.id));
    expect(new Set(ids).size).toBe(ids.length);
  });

  it.each<FaultKind>(["429", "408", "500", "502", "503", "reset", "slow", "truncated", "malformed"])(
    "retries a %s and ends with the same bytes as a clean answer",
    async (kind) => {
      server = await startTestServer();
      const clean = must(
        (await testClient(server).fetchSensorMeasurements(7772024, WINDOW))[0],
        "a page",
      ).body;
      server.setFaults({ forced: [{ sensorId: 7772024, kind, times: 2 }], slowMs: 1_500 });
      const client = testClient(server, { timeoutMs: kind === "slow" ? 500 : 2_000 });
      const pages = await client.fetchSensorMeasurements(7772024, WINDOW);
      expect(Buffer.from(must(pages[0], "a page").body).equals(Buffer.from(clean))).toBe(true);
      expect(client.stats.retries).toBe(2);
      expect(client.stats.requests).toBe(3);
      expect(client.stats.rateLimited).toBe(kind === "429" ? 2 : 0);
    },
  );

  it("gives up after maxRetries, naming the sensor and the last status", async () => {
    server = await startTestServer({ faults: { forced: [{ sensorId: 7772048, kind: "500" }] } });
    const client = testClient(server, { maxRetries: 3 });
    const e = await failure(client.fetchSensorMeasurements(7772048, WINDOW));
    expect(e.code).toBe("RETRIES_EXHAUSTED");
    expect(e.message).toBe(
      "Gave up on sensor 7772048 (measurements page 1) after 4 attempts; the last one got HTTP 500 (Internal Server Error).",
    );
    expect(client.stats).toMatchObject({ requests: 4, retries: 3, failures: 1 });
  });

  it("names a reset connection and a timeout when they are the last straw", async () => {
    server = await startTestServer({
      faults: {
        forced: [
          { sensorId: 7772048, kind: "reset" },
          { sensorId: 7772022, kind: "slow" },
        ],
        slowMs: 500,
      },
    });
    const client = testClient(server, { maxRetries: 1, timeoutMs: 100 });
    expect((await failure(client.fetchSensorMeasurements(7772048, WINDOW))).message).toMatch(
      /^Gave up on sensor 7772048 .* the last one got the connection was reset|^Gave up on sensor 7772048 .*network error/,
    );
    expect((await failure(client.fetchSensorMeasurements(7772022, WINDOW))).message).toMatch(
      /^Gave up on sensor 7772022 \(measurements page 1\) after 2 attempts; the last one got no complete answer within 100 ms\.$/,
    );
  });

  it("does not retry a rejected key and never shows it", async () => {
    server = await startTestServer();
    const secret = "3f9c2a7be1d04c55aa6e9d8b7c6a5f4e3d2c1b0a99887766554433221100ffee";
    const log = captureLog();
    const client = testClient(server, { apiKey: secret, log });
    const e = await failure(client.fetchLocations(56));
    expect(e.code).toBe("API_KEY_REJECTED");
    expect(e.message).toBe("The API key was rejected by the OpenAQ API (401).");
    expect(client.stats).toMatchObject({ requests: 1, retries: 0, failures: 1 });
    expect(JSON.stringify({ e, stack: e.stack, log: log.lines })).not.toContain(secret);
    expect(server.stats.log.every((r) => !r.path.includes(secret))).toBe(true);
  });

  it("needs a key and says so without sending anything", async () => {
    server = await startTestServer();
    for (const apiKey of [undefined, "", "   "]) {
      const client = new OpenAqClient({ baseUrl: server.url, apiKey });
      const e = await failure(client.fetchLocations(56));
      expect(e.code).toBe("API_KEY_MISSING");
    }
    expect(server.stats.requests).toBe(0);
  });

  it("takes the key and the base URL as arguments (a trailing slash dropped)", async () => {
    server = await startTestServer();
    const client = new OpenAqClient({ baseUrl: `${server.url}/`, apiKey: server.apiKey, minuteMs: 200 });
    expect(client.baseUrl).toBe(server.url);
    expect((await client.fetchLocations()).length).toBe(1);
  });

  it("reads nothing from the process environment: the CLI passes what it found there", async () => {
    server = await startTestServer();
    const saved = { key: process.env.OPENAQ_API_KEY, url: process.env.OPENAQ_BASE_URL };
    process.env.OPENAQ_API_KEY = server.apiKey;
    process.env.OPENAQ_BASE_URL = `${server.url}/`;
    try {
      const client = new OpenAqClient({ minuteMs: 200 });
      expect(client.baseUrl).toBe(DEFAULT_OPENAQ_BASE_URL);
      const e = await failure(client.fetchLocations(56));
      expect(e.code).toBe("API_KEY_MISSING");
      expect(server.stats.requests).toBe(0);
    } finally {
      for (const [k, v] of [
        ["OPENAQ_API_KEY", saved.key],
        ["OPENAQ_BASE_URL", saved.url],
      ] as const) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  });

  it("does not retry 404 or 422, and says what was asked", async () => {
    server = await startTestServer();
    const client = testClient(server);
    const notFound = await failure(client.fetchSensor(1));
    expect(notFound.code).toBe("API_NOT_FOUND");
    expect(notFound.message).toBe("The OpenAQ API has no sensor 1 (404: Sensor not found).");
    const rejected = await failure(
      client.fetchSensorMeasurementsPage(7772032, { from: WINDOW.to, to: WINDOW.from }, 1),
    );
    expect(rejected.code).toBe("API_REQUEST_REJECTED");
    expect(rejected.message).toMatch(
      /^The OpenAQ API rejected the request for sensor 7772032 \(measurements page 1\) \(422: Date\/time from must be older/,
    );
    expect(client.stats).toMatchObject({ requests: 2, retries: 0, failures: 2 });
  });

  it("does not retry 403", async () => {
    let calls = 0;
    const client = new OpenAqClient({
      baseUrl: "http://127.0.0.1:9",
      apiKey: "k".repeat(64),
      fetchImpl: async () => {
        calls++;
        return new Response(
          '{"message": "Forbidden. violation of rate limit policy. Contact dev@openaq.org"}',
          { status: 403 },
        );
      },
    });
    const e = await failure(client.fetchLocations(56));
    expect(e.code).toBe("API_FORBIDDEN");
    expect(e.message).toMatch(
      /^The OpenAQ API refused access \(403: Forbidden\. violation of rate limit policy/,
    );
    expect(calls).toBe(1);
  });

  it.each([
    {
      when: "nothing listens",
      baseUrl: async () => `http://127.0.0.1:${await freePort()}`,
      maxRetries: 2,
      cause: "ECONNREFUSED",
    },
    {
      when: "its host name does not resolve",
      baseUrl: async () => "http://openaq-api.invalid",
      maxRetries: 1,
      cause: "(ENOTFOUND|EAI_AGAIN)",
    },
  ])("says the API cannot be reached when $when", async ({ baseUrl, maxRetries, cause }) => {
    const url = await baseUrl();
    const client = new OpenAqClient({ baseUrl: url, apiKey: "k".repeat(64), maxRetries, retryBaseMs: 1 });
    const e = await failure(client.fetchLocations(56));
    expect(e.code).toBe("API_UNREACHABLE");
    const at = url.replaceAll(".", "\\."); // the only regex metacharacter in these URLs
    expect(e.message).toMatch(
      new RegExp(`^Cannot reach the OpenAQ API at ${at}: a network error \\(${cause}`),
    );
  });

  it("reports schema drift with the path of the offending field", async () => {
    server = await startTestServer();
    const client = testClient(server, {
      fetchImpl: rewritingFetch({
        body: (json) => {
          json.results[3].period.datetimeFrom.utc = 1774000800;
          return json;
        },
      }),
    });
    const e = await failure(client.fetchSensorMeasurements(7772032, WINDOW));
    expect(e.code).toBe("SCHEMA_DRIFT");
    expect(e.message).toMatch(
      /^The OpenAQ API response for sensor 7772032 \(measurements page 1\) does not have the expected shape: results\[3\]\.period\.datetimeFrom\.utc .*got 1774000800\.$/,
    );
    expect(client.stats.retries).toBe(0);
    const renamed = testClient(server, {
      fetchImpl: rewritingFetch({
        body: (json) => {
          const parameter = json.results[6].sensors[1].parameter;
          parameter.unit = parameter.units;
          delete parameter.units;
          return json;
        },
      }),
    });
    expect((await failure(renamed.fetchLocations(56))).message).toContain(
      "results[6].sensors[1].parameter.units",
    );
  });

  it("refuses rows outside the window (a filter the API silently ignored)", async () => {
    server = await startTestServer();
    const client = testClient(server, {
      fetchImpl: rewritingFetch({
        url: (u) => u.replace("datetime_from=", "date_from=").replace("datetime_to=", "date_to="),
      }),
    });
    const e = await failure(client.fetchSensorMeasurements(7772032, WINDOW));
    expect(e.code).toBe("RESPONSE_OUT_OF_WINDOW");
    expect(e.message).toContain(
      "results[0].period.datetimeTo.utc = 2024-01-29T16:00:00Z, outside the requested",
    );
  });

  it("refuses locations of another country (an ignored country filter)", async () => {
    server = await startTestServer();
    const client = testClient(server, {
      fetchImpl: rewritingFetch({ url: (u) => u.replace("countries_id=", "country_id=") }),
    });
    const e = await failure(client.fetchLocations(56));
    expect(e.code).toBe("RESPONSE_FILTER_IGNORED");
  });

  it("holds back when the server says the window is used up by someone else sharing the key", async () => {
    server = await startFakeOpenAq({ asOf: AS_OF, rateLimit: { perWindow: 5, windowMs: 1000 } });
    const s = server;
    await new Promise((r) => setTimeout(r, 1000 - (Date.now() % 1000) + 5)); // start of a calendar window
    for (let i = 0; i < 4; i++)
      await fetch(`${s.url}/v3/sensors/7772032`, { headers: { "X-API-Key": s.apiKey } });
    const client = testClient(s, { minuteMs: 1000, requestsPerMinute: 5, concurrency: 1 });
    for (const id of [7772024, 7888636, 7772022]) await client.fetchSensorMeasurements(id, WINDOW);
    expect(s.stats.rateLimited).toBe(0);
    expect(client.stats).toMatchObject({ requests: 3, rateLimited: 0 });
    const arrivals = s.stats.log.slice(4).map((r) => r.at);
    expect((arrivals[1] ?? 0) - (arrivals[0] ?? 0)).toBeGreaterThan(0); // the 2nd waited for the next window
    expect(Math.floor((arrivals[1] ?? 0) / 1000)).toBeGreaterThan(Math.floor((arrivals[0] ?? 0) / 1000));
  });

  it("backs off on a real 429 and gets through; paced correctly it never sees one", async () => {
    server = await startFakeOpenAq({ asOf: AS_OF, rateLimit: { perWindow: 5, windowMs: 150 } });
    const sensors = [
      7772024, 7888636, 7772022, 7772048, 7772032, 7771973, 7771995, 7772100, 7772097, 7772055, 7772087,
      7772047,
    ];
    const greedy = testClient(server, { minuteMs: 150, requestsPerMinute: 50, concurrency: 6 });
    await Promise.all(sensors.map((id) => greedy.fetchSensorMeasurements(id, WINDOW)));
    expect(server.stats.rateLimited).toBeGreaterThan(0);
    expect(greedy.stats.rateLimited).toBe(server.stats.rateLimited);
    await new Promise((r) => setTimeout(r, 400)); // let the greedy client's windows expire
    server.resetStats();
    const paced = testClient(server, { minuteMs: 150, requestsPerMinute: 5, concurrency: 6 });
    await Promise.all(sensors.map((id) => paced.fetchSensorMeasurements(id, WINDOW)));
    expect(server.stats.rateLimited).toBe(0);
    expect(server.stats.requests).toBe(12);
  });
});
