import { createHash } from "node:crypto";
import type { FakeOpenAq } from "@openaq-lakehouse/fake-openaq";
import {
  listKeys,
  type ObjectStore,
  parseRawRunManifestName,
  rawKey,
  totalCount,
} from "@openaq-lakehouse/pipeline-core";
import { failure } from "@openaq-lakehouse/test-support/narrow";
import { DAY, startTestServer } from "@openaq-lakehouse/test-support/openaq";
import { afterEach, describe, expect, it } from "vitest";
import type { RawRunManifest } from "../src/raw/names.js";
import { extractDay } from "../src/steps/extract.js";
import { captureLog, tempLake, testClient } from "./support/fake.js";

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

async function setup(opts: Parameters<typeof startTestServer>[0] = {}) {
  const server = await startTestServer(opts);
  const lake = await tempLake();
  cleanups.push(lake.cleanup, () => server.close());
  return { server, store: lake.store };
}

const decoder = new TextDecoder();
const measurementsPrefix = rawKey({ env: "dev", dataset: "measurements", day: DAY }, "x.json").replace(
  /x\.json$/,
  "",
);

/** The day's run manifests, oldest first. */
async function manifestKeys(store: ObjectStore): Promise<string[]> {
  return (await listKeys(store, measurementsPrefix)).filter(
    (k) => parseRawRunManifestName(k.slice(measurementsPrefix.length)) !== undefined,
  );
}

async function latestManifest(store: ObjectStore): Promise<RawRunManifest> {
  const key = (await manifestKeys(store)).at(-1);
  if (!key) throw new Error("no run manifest");
  return readJson<RawRunManifest>(store, key);
}

async function readJson<T>(store: ObjectStore, key: string): Promise<T> {
  const bytes = await store.get(key);
  if (!bytes) throw new Error(`missing ${key}`);
  return JSON.parse(decoder.decode(bytes)) as T;
}

/** Every raw object of the day: key → bytes. */
async function snapshot(store: ObjectStore): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  for (const key of await listKeys(store, "dev/raw/"))
    out.set(key, Buffer.from((await store.get(key)) as Uint8Array));
  return out;
}

const bodiesOnly = (snap: Map<string, Buffer>) =>
  new Map([...snap].filter(([k]) => !k.endsWith(".manifest.json")).map(([k, v]) => [k, v.toString("hex")]));

function client(server: FakeOpenAq, opts: Parameters<typeof testClient>[1] = {}) {
  return testClient(server, opts);
}

describe("extractDay", () => {
  it("stores the locations snapshot and every sensor that can have data, skipping (and counting) the rest", async () => {
    const { server, store } = await setup();
    const log = captureLog();
    const report = await extractDay({ store, env: "dev", day: DAY, client: client(server), log });

    expect(report.locations).toBe(20); // the 21 fixture stations minus the Cambodian one
    expect(report.sensorsAsked).toBe(61);
    expect(report.sensorsSkipped).toBe(20);
    expect(report.skippedByReason).toEqual({ "never-reported": 2, "last-before-day": 18 });
    expect(report.requests).toBe(1 + 61);
    expect(report.retries).toBe(0);
    // One body per page (content-addressed: identical empty answers are stored once) plus the manifest.
    expect(report.objectsWritten).toBe(new Set((await snapshot(store)).keys()).size);
    expect(report.pagesUnchanged).toBe(62 + 1 - report.objectsWritten);
    expect(log.lines.some((l) => l.includes("asking 61 sensors, skipping 20"))).toBe(true);
    expect(log.progressCalls.at(-1)).toEqual(["extract", 61, 61]);

    const manifest = await latestManifest(store);
    expect(manifest).toMatchObject({ version: 2, day: DAY, countryId: 56, runId: report.runId });
    expect(manifest.locationsPages).toHaveLength(1);
    expect(manifest.sensors).toHaveLength(61);
    const sensor = manifest.sensors.find((s) => s.sensorId === 7772032);
    expect(sensor).toMatchObject({ sensorId: 7772032, locationId: 2161292, parameterId: 2 });
    expect(sensor?.pages).toHaveLength(1);
    expect(sensor?.pages[0]?.body).toMatch(/^sha256-[0-9a-f]{64}\.json$/);
    expect(manifest.skippedSensors).toContainEqual({
      sensorId: 21631,
      locationId: 7440,
      reason: "last-before-day",
    });
    expect(manifest.skippedSensors).toContainEqual({
      sensorId: 37,
      locationId: 18,
      reason: "never-reported",
    });
    expect(report.rawKeys).toContain(report.manifestKey);
    expect(await manifestKeys(store)).toEqual([report.manifestKey]);
  });

  it("stores each body byte-for-byte under its sha256, the manifest recording request and response without the key", async () => {
    const { server, store } = await setup();
    await extractDay({ store, env: "dev", day: DAY, client: client(server) });
    const page = (await latestManifest(store)).sensors.find((s) => s.sensorId === 7772032)?.pages[0];
    if (!page) throw new Error("no page");
    const body = (await store.get(measurementsPrefix + page.body)) as Uint8Array;
    const url = `${server.url}/v3/sensors/7772032/measurements?datetime_from=2026-03-20T00%3A00%3A00Z&datetime_to=2026-03-21T00%3A00%3A00Z&limit=1000&page=1`;
    const direct = await fetch(url, { headers: { "X-API-Key": server.apiKey } });
    expect(Buffer.from(body).equals(Buffer.from(await direct.arrayBuffer()))).toBe(true);
    const sha256 = createHash("sha256").update(body).digest("hex");
    expect(page).toEqual({
      body: `sha256-${sha256}.json`,
      sha256,
      bytes: body.byteLength,
      records: JSON.parse(Buffer.from(body).toString()).results.length,
      url,
      status: 200,
      headers: {
        "cache-control": "public, max-age=900",
        "content-type": "application/json",
        vary: "Accept-Encoding",
      },
      fetchedAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/),
    });
    const everything = [...(await snapshot(store)).values()].map((b) => b.toString("utf8")).join("\n");
    expect(everything).not.toContain(server.apiKey);
  });

  it("is write-once: a rerun overwrites and deletes nothing, stores no unchanged body again, and adds one manifest", async () => {
    const { server, store } = await setup();
    const first = await extractDay({ store, env: "dev", day: DAY, client: client(server) });
    const before = await snapshot(store);
    const puts: string[] = [];
    const deletes: string[] = [];
    const watched: ObjectStore = Object.assign(Object.create(store) as ObjectStore, {
      put: async (key: string, body: Uint8Array) => {
        puts.push(key);
        return store.put(key, body);
      },
      deleteMany: async (keys: readonly string[]) => {
        deletes.push(...keys);
        return store.deleteMany(keys);
      },
    });
    const second = await extractDay({ store: watched, env: "dev", day: DAY, client: client(server) });
    expect(puts).toEqual([]);
    expect(deletes).toEqual([]);
    expect(second.objectsWritten).toBe(1); // the manifest
    expect(second.pagesUnchanged).toBe(62);
    const after = await snapshot(store);
    for (const [key, bytes] of before) expect(after.get(key)?.equals(bytes), key).toBe(true);
    expect(await manifestKeys(store)).toEqual([first.manifestKey, second.manifestKey]);
  });

  it("with faults at 20% of requests ends byte-identical (bodies) to a fault-free run", async () => {
    const clean = await setup();
    await extractDay({ store: clean.store, env: "dev", day: DAY, client: client(clean.server) });
    const faulty = await setup({
      faults: { rate: 0.2, seed: 20, slowMs: 1_500 },
      rateLimit: { perWindow: 10_000, windowMs: 100, perHour: 1_000_000 },
    });
    const faultyClient = client(faulty.server, { timeoutMs: 700, maxRetries: 8, minuteMs: 100 });
    const report = await extractDay({ store: faulty.store, env: "dev", day: DAY, client: faultyClient });
    const injected = totalCount(faulty.server.stats.faults);
    expect(injected).toBeGreaterThan(5);
    expect(Object.keys(faulty.server.stats.faults).length).toBeGreaterThanOrEqual(5);
    // Every injected fault costs a retry (a loaded machine may add a timeout of its own).
    expect(report.retries).toBeGreaterThanOrEqual(injected);
    expect(bodiesOnly(await snapshot(faulty.store))).toEqual(bodiesOnly(await snapshot(clean.store)));
  });

  it("fails when a sensor's retries run out, naming the sensor and why, and leaves no manifest", async () => {
    const { server, store } = await setup({ faults: { forced: [{ sensorId: 7772048, kind: "503" }] } });
    const e = await failure(
      extractDay({ store, env: "dev", day: DAY, client: client(server, { maxRetries: 2 }) }),
    );
    expect(e.code).toBe("RETRIES_EXHAUSTED");
    expect(e.message).toBe(
      "Gave up on sensor 7772048 (measurements page 1) after 3 attempts; the last one got HTTP 503 (Service Unavailable).",
    );
    expect(await manifestKeys(store)).toEqual([]);
  });

  it("is healed by the next run after a crash midway (store failing after some writes)", async () => {
    const clean = await setup();
    await extractDay({ store: clean.store, env: "dev", day: DAY, client: client(clean.server) });
    const { server, store } = await setup();
    let puts = 0;
    const crashing: ObjectStore = Object.assign(Object.create(store) as ObjectStore, {
      putIfAbsent: async (key: string, body: Uint8Array) => {
        if (++puts > 20) throw new Error("disk full");
        return store.putIfAbsent(key, body);
      },
    });
    const e = await failure(extractDay({ store: crashing, env: "dev", day: DAY, client: client(server) }));
    expect(e.code).toBe("EXTRACT_FAILED");
    expect(e.message).toMatch(/^Extract failed at sensor \d+: disk full$/);
    expect(await manifestKeys(store)).toEqual([]);
    await extractDay({ store, env: "dev", day: DAY, client: client(server) });
    expect(bodiesOnly(await snapshot(store))).toEqual(bodiesOnly(await snapshot(clean.store)));
  });

  it("refuses a day that has not started yet, before asking the API anything", async () => {
    const { server, store } = await setup();
    const e = await failure(extractDay({ store, env: "dev", day: "2999-01-01", client: client(server) }));
    expect(e.code).toBe("DAY_IN_FUTURE");
    expect(server.stats.requests).toBe(0);
  });

  it("fails with one sentence on a rejected key and writes nothing", async () => {
    const { server, store } = await setup();
    const e = await failure(
      extractDay({ store, env: "dev", day: DAY, client: client(server, { apiKey: "wrong-key-123456" }) }),
    );
    expect(e.message).toBe("The API key was rejected by the OpenAQ API (401).");
    expect(await listKeys(store, "dev/")).toEqual([]);
  });

  it("stores every locations page when the country has more than 1,000", async () => {
    const { server, store } = await setup({ extraLocations: { dormant: 1_050 } });
    const report = await extractDay({ store, env: "dev", day: DAY, client: client(server) });
    expect(report.locations).toBe(1_070);
    expect(report.sensorsAsked).toBe(61);
    const manifest = await latestManifest(store);
    expect(manifest.locationsPages.map((p) => p.records)).toEqual([1000, 70]);
  });

  it("never exceeds the server's rate limit while keeping it busy", async () => {
    const { server, store } = await setup({
      rateLimit: { perWindow: 15, windowMs: 150, perHour: 1_000_000 },
    });
    const c = client(server, { requestsPerMinute: 15, minuteMs: 150, concurrency: 6 });
    const report = await extractDay({ store, env: "dev", day: DAY, client: c });
    expect(server.stats.rateLimited).toBe(0);
    expect(report.rateLimited).toBe(0);
    expect(server.stats.maxUsedInWindow).toBeLessThanOrEqual(15);
    expect(server.stats.requests).toBe(62);
  });
});
