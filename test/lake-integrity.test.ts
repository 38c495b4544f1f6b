import { createHash } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { extractDay, OpenAqClient, type RawRunManifest, transformDay } from "@openaq-lakehouse/extractor";
import type { FakeOpenAq } from "@openaq-lakehouse/fake-openaq";
import {
  createS3Client,
  decodeParquet,
  LocalFolderStore,
  leaseDayPrefix,
  leaseKey,
  listKeys,
  type MeasurementRow,
  measurements,
  type ObjectStore,
  partitionPrefix,
  rawBodyName,
  rawRunManifestName,
  S3Store,
  writePartition,
} from "@openaq-lakehouse/pipeline-core";
import { failure } from "@openaq-lakehouse/test-support/narrow";
import { DAY, startTestServer, testClientOptions } from "@openaq-lakehouse/test-support/openaq";
import { startRadosgw } from "@openaq-lakehouse/test-support/radosgw";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

/**
 * The lake's integrity promises, on the local store and on a real S3 server that honours
 * conditional writes (Ceph radosgw): raw is write-once and replayable, transform trusts nothing it
 * cannot verify, a partition is replaced atomically, and one writer at a time holds a day.
 */

const ENV = "dev" as const;
const RAW_MEASUREMENTS = partitionPrefix({ env: ENV, layer: "raw", dataset: "measurements", day: DAY });
const PROCESSED = `${ENV}/processed/`;
const encoder = new TextEncoder();

interface StoreCase {
  name: string;
  open(): Promise<{ store: ObjectStore; close(): Promise<void> }>;
}

const CASES: StoreCase[] = [
  {
    name: "local",
    async open() {
      const dir = await mkdtemp(join(tmpdir(), "integrity-"));
      return { store: new LocalFolderStore(dir), close: () => rm(dir, { recursive: true, force: true }) };
    },
  },
  {
    name: "radosgw",
    async open() {
      const rgw = await startRadosgw();
      const client = createS3Client({
        endpoint: rgw.endpoint,
        region: rgw.region,
        forcePathStyle: true,
        credentials: rgw.credentials,
      });
      return {
        store: new S3Store({ bucket: rgw.bucket, client }),
        close: async () => {
          client.destroy();
          await rgw.stop();
        },
      };
    },
  },
];

async function snapshot(store: ObjectStore, prefix: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const key of await listKeys(store, prefix)) {
    out.set(key, Buffer.from((await store.get(key)) as Uint8Array).toString("base64"));
  }
  return out;
}

async function manifestOf(store: ObjectStore, runId: string): Promise<RawRunManifest> {
  const body = await store.get(RAW_MEASUREMENTS + rawRunManifestName(runId));
  return JSON.parse(new TextDecoder().decode(body)) as RawRunManifest;
}

/** Stores a body write-once and returns its manifest entry (what an extract of that answer would record). */
async function storeBody(store: ObjectStore, text: string, records: number) {
  const bytes = encoder.encode(text);
  const sha256 = createHash("sha256").update(bytes).digest("hex");
  await store.putIfAbsent(RAW_MEASUREMENTS + rawBodyName(sha256), bytes);
  return {
    body: rawBodyName(sha256),
    sha256,
    bytes: bytes.byteLength,
    records,
    url: "http://openaq.test/v3/sensors/1/measurements",
    status: 200,
    headers: {},
    fetchedAt: new Date().toISOString(),
  };
}

/** A new committed run: `manifest` with `edit` applied to its sensors, under a later run id. */
async function commitEditedRun(
  store: ObjectStore,
  manifest: RawRunManifest,
  runId: string,
  edit: (sensors: RawRunManifest["sensors"]) => Promise<RawRunManifest["sensors"]>,
): Promise<void> {
  const next = { ...manifest, runId, sensors: await edit(manifest.sensors) };
  await store.putIfAbsent(RAW_MEASUREMENTS + rawRunManifestName(runId), encoder.encode(JSON.stringify(next)));
}

describe.each(CASES)("lake integrity on the $name store", ({ open }) => {
  let store: ObjectStore;
  let close: () => Promise<void>;
  let server: FakeOpenAq;
  let late: FakeOpenAq;
  let firstRun: string;

  beforeAll(async () => {
    ({ store, close } = await open());
    server = await startTestServer();
    // The same API at noon of the day: half the hours have arrived.
    late = await startTestServer({ asOf: `${DAY}T12:00:00Z` });
  }, 120_000);

  afterAll(async () => {
    await server?.close();
    await late?.close();
    await close?.();
  });

  /** Extracts DAY into the store from `api`, as the pipeline would. */
  const extractFrom = (api: FakeOpenAq) =>
    extractDay({ store, env: ENV, day: DAY, client: new OpenAqClient(testClientOptions(api)) });

  it("keeps the first answer byte for byte when a re-extract gets a different one, and replays it with a raw run id", async () => {
    const early = await extractFrom(late);
    firstRun = early.runId;
    const firstRaw = await snapshot(store, `${ENV}/raw/`);
    const earlyRows = (await transformDay({ store, env: ENV, day: DAY })).rows.measurements;
    const earlyProcessed = await snapshot(store, PROCESSED);

    // Lookback: the day is fetched again once the late hours have arrived.
    const full = await extractFrom(server);
    const raw = await snapshot(store, `${ENV}/raw/`);
    for (const [key, body] of firstRaw) expect(raw.get(key), key).toBe(body);
    const fullRows = (await transformDay({ store, env: ENV, day: DAY })).rows.measurements;
    expect(fullRows).toBeGreaterThan(earlyRows);

    // An unchanged answer stores nothing but its manifest, and rewrites identical partitions.
    const fullProcessed = await snapshot(store, PROCESSED);
    const again = await extractFrom(server);
    expect(again.objectsWritten).toBe(1);
    await transformDay({ store, env: ENV, day: DAY });
    expect(await snapshot(store, PROCESSED)).toEqual(fullProcessed);

    // Replaying the first run (a deliberate correction back to it) gives its processed again.
    const replay = await transformDay({
      store,
      env: ENV,
      day: DAY,
      rawRunId: early.runId,
      allowShrink: true,
    });
    expect(replay.rawRunId).toBe(early.runId);
    expect(await snapshot(store, PROCESSED)).toEqual(earlyProcessed);
    await transformDay({ store, env: ENV, day: DAY, rawRunId: full.runId, allowShrink: true });
    expect(await snapshot(store, PROCESSED)).toEqual(fullProcessed);
  }, 120_000);

  it("fails transform on a changed or truncated raw body, naming it, and leaves processed as it was", async () => {
    await transformDay({ store, env: ENV, day: DAY });
    const before = await snapshot(store, PROCESSED);
    const latest = (await listKeys(store, RAW_MEASUREMENTS))
      .filter((k) => k.includes("/run-"))
      .sort()
      .at(-1);
    const manifest = JSON.parse(
      new TextDecoder().decode(await store.get(latest as string)),
    ) as RawRunManifest;
    const page = manifest.sensors.find((s) => s.pages[0] && s.pages[0].records > 0)?.pages[0];
    const key = RAW_MEASUREMENTS + (page?.body as string);
    const original = (await store.get(key)) as Uint8Array;
    try {
      await store.put(key, original.subarray(0, original.byteLength - 10)); // truncated
      let e = await failure(transformDay({ store, env: ENV, day: DAY }));
      expect(e.code).toBe("RAW_CHECKSUM_MISMATCH");
      expect(e.message).toContain(key);
      const changed = Buffer.from(original);
      const at = changed.indexOf("value") + 8;
      changed[at] = (changed[at] as number) ^ 1;
      await store.put(key, changed);
      e = await failure(transformDay({ store, env: ENV, day: DAY }));
      expect(e.message).toMatch(/does not match the sha256/);
      expect(await snapshot(store, PROCESSED)).toEqual(before);
    } finally {
      await store.put(key, original);
    }
  }, 60_000);

  it("refuses a day whose answer lost half its pages (shrink guard), and counts a malformed page as all its records", async () => {
    const base = await manifestOf(store, firstRun);
    const latestId = (await listKeys(store, RAW_MEASUREMENTS))
      .map((k) => /run-(.+)\.manifest\.json$/.exec(k)?.[1])
      .filter(Boolean)
      .sort()
      .at(-1) as string;
    const latest = await manifestOf(store, latestId);
    await transformDay({ store, env: ENV, day: DAY, rawRunId: latestId, allowShrink: true });
    const before = await snapshot(store, PROCESSED);
    const emptyPage = await storeBody(store, '{"meta":{"name":"openaq-api","found":0},"results":[]}', 0);
    // 30 of the 61 sensors (the 30 with the most readings) answered 200 with no results.
    const records = (s: RawRunManifest["sensors"][number]) => s.pages.reduce((n, p) => n + p.records, 0);
    const hit = new Set(
      [...latest.sensors]
        .sort((x, y) => records(y) - records(x))
        .slice(0, 30)
        .map((s) => s.sensorId),
    );
    expect(latest.sensors).toHaveLength(61);
    await commitEditedRun(store, latest, "29990101T000000000Z-aaaaaa", async (sensors) =>
      sensors.map((s) => (hit.has(s.sensorId) ? { ...s, pages: s.pages.map(() => emptyPage) } : s)),
    );
    const e = await failure(transformDay({ store, env: ENV, day: DAY }));
    expect(e.code).toBe("PARTITION_SHRINK");
    expect(e.message).toMatch(
      /^Refusing to replace measurements .*: it would shrink from \d+ to \d+ rows \(\d+(\.\d)?% fewer/,
    );
    expect(await snapshot(store, PROCESSED)).toEqual(before);

    // Pages that do not parse: one quarantine record each, but the rate counts every record they held.
    await commitEditedRun(store, latest, "29990101T000000001Z-bbbbbb", async (sensors) => {
      const out: RawRunManifest["sensors"] = [];
      for (const [i, s] of sensors.entries()) {
        if (!hit.has(s.sensorId)) out.push(s);
        else
          out.push({
            ...s,
            pages: await Promise.all(s.pages.map((p) => storeBody(store, `{"results": [${i}`, p.records))),
          });
      }
      return out;
    });
    const m = await failure(transformDay({ store, env: ENV, day: DAY }));
    expect(m.code).toBe("QUARANTINE_RATE_EXCEEDED");
    expect(m.message).toMatch(/MALFORMED_PAGE/);
    const [, quarantined, total] = /\((\d+) of (\d+)\)/.exec(m.message) as unknown as [
      string,
      string,
      string,
    ];
    expect(Number(quarantined)).toBeGreaterThan(Number(total) / 3);
    expect(await snapshot(store, PROCESSED)).toEqual(before);
    expect(base.runId).toBe(firstRun);
  }, 60_000);

  it("never shows a reader a mixed or empty partition while a 3-row-group partition is replaced", async () => {
    const day = "2024-06-01";
    const start = Date.parse(`${day}T00:00:00Z`);
    const rows = (n: number, v: number): MeasurementRow[] =>
      Array.from({ length: n }, (_, i) => ({
        location_id: 1,
        sensor_id: 1 + Math.floor(i / 24),
        parameter_id: 2,
        parameter: "pm25",
        value: v,
        unit: "µg/m³",
        datetime: start + (i % 24) * 3_600_000,
        datetime_to: start + ((i % 24) + 1) * 3_600_000,
        period_label: "raw",
        period_seconds: 3600,
        coverage_percent: 100,
        has_flags: false,
        coordinates: null,
      }));
    const versions = [rows(140_000, 1), rows(150_000, 2)];
    const prefix = partitionPrefix({ env: ENV, layer: "processed", dataset: "measurements", day });
    await writePartition({
      store,
      env: ENV,
      dataset: measurements,
      day,
      rows: versions[0] as MeasurementRow[],
    });
    let writing = true;
    const seen = new Set<string>();
    const reader = (async () => {
      while (writing) {
        const keys = await listKeys(store, prefix);
        let total = 0;
        const values = new Set<number>();
        for (const key of keys) {
          const body = await store.get(key);
          if (!body) continue;
          const table = decodeParquet(body);
          total += table.numRows;
          const col = table.getChild("value");
          values.add(col?.get(0) as number);
          values.add(col?.get(table.numRows - 1) as number);
        }
        seen.add(`${total}:${[...values].sort().join(",")}`);
      }
    })();
    for (let i = 1; i <= 4; i++) {
      await writePartition({
        store,
        env: ENV,
        dataset: measurements,
        day,
        rows: versions[i % 2] as MeasurementRow[],
      });
    }
    writing = false;
    await reader;
    expect(seen.size).toBeGreaterThan(0);
    for (const s of seen) expect(["140000:1", "150000:2"]).toContain(s);
  }, 120_000);

  it("lets exactly one of two writers of a day finish; the other fails naming the holder", async () => {
    const runs = (await listKeys(store, RAW_MEASUREMENTS))
      .map((k) => /run-(.+)\.manifest\.json$/.exec(k)?.[1])
      .filter((x): x is string => Boolean(x) && !x?.startsWith("2999"))
      .sort();
    const [a, b] = [runs[0] as string, runs.at(-1) as string];
    // Writer A reads slowly, so it holds the day's leases while B arrives.
    const slow: ObjectStore = Object.assign(Object.create(store) as ObjectStore, {
      get: async (key: string) => {
        await new Promise((r) => setTimeout(r, 20));
        return store.get(key);
      },
    });
    const lease = { waitMs: 300, pollMs: 50 };
    const first = transformDay({
      store: slow,
      env: ENV,
      day: DAY,
      rawRunId: a,
      allowShrink: true,
      lease: { ...lease, holder: "writer A" },
    });
    await new Promise((r) => setTimeout(r, 150));
    const second = await failure(
      transformDay({
        store,
        env: ENV,
        day: DAY,
        rawRunId: b,
        allowShrink: true,
        lease: { ...lease, holder: "writer B" },
      }),
    );
    await first;
    expect(second.code).toBe("LEASE_HELD");
    expect(second.message).toMatch(
      /^Another writer holds the lease on locations \S+ in dev: writer A, for \d+ s/,
    );
    const result = await snapshot(store, `${PROCESSED}measurements/`);
    // Exactly A's result: what a lone transform of run A writes.
    await transformDay({ store, env: ENV, day: DAY, rawRunId: a, allowShrink: true });
    expect(await snapshot(store, `${PROCESSED}measurements/`)).toEqual(result);
    expect(await listKeys(store, `${ENV}/_leases/`)).toEqual([]);
  }, 120_000);

  it("takes over the lease of a writer that crashed holding it, once it has expired", async () => {
    const abandoned = {
      version: 1,
      holder: "transform on a host that died",
      dataset: "locations",
      day: DAY,
      since: Date.now(),
      renewedAt: Date.now(),
      ttlMs: 1_500,
    };
    await store.putIfAbsent(leaseKey(ENV, "locations", DAY, 7), encoder.encode(JSON.stringify(abandoned)));
    const opts = {
      store,
      env: ENV,
      day: DAY,
      rawRunId: firstRun,
      allowShrink: true,
      lease: { waitMs: 200, pollMs: 50 },
    };
    const e = await failure(transformDay(opts));
    expect(e.message).toMatch(/transform on a host that died, for \d+ s .*after \d+ s if it has crashed/);
    await new Promise((r) => setTimeout(r, 1_600));
    await transformDay(opts);
    expect(await listKeys(store, leaseDayPrefix(ENV, "locations", DAY))).toEqual([]);
  }, 60_000);

  it("gives a conditional create to exactly one of many racing writers", async () => {
    const key = `${ENV}/_leases/race/${DAY}/lease-0000000001.json`;
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) => store.putIfAbsent(key, encoder.encode(`writer ${i}`))),
    );
    expect(results.filter(Boolean)).toHaveLength(1);
    const winner = results.indexOf(true);
    expect(new TextDecoder().decode(await store.get(key))).toBe(`writer ${winner}`);
    await store.deleteMany([key]);
  });
});
