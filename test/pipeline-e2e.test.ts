import { cp, readdir } from "node:fs/promises";
import { join } from "node:path";
import { totalCount } from "@openaq-lakehouse/pipeline-core";
import type { CliResult } from "@openaq-lakehouse/test-support/cli";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type E2eWorld, expectedDay, keysOf, lakeSnapshot, parquetRows, startE2e } from "./e2e-support.js";

/**
 * The data path end to end on the local OpenAQ server (real HTTP, real shapes, injected faults):
 * extract + transform through the CLI, checked row by row against the server's own series.
 */

const KEY = "e2e-key-0b7c5a1e9f3d4c2b8a6e0f1d3c5b7a9e";
const DAY = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
const [Y, M, D] = DAY.split("-");
const PART = `year=${Y}/month=${M}/day=${D}`;

let e2e: E2eWorld;
let work: string;
let reference: string;
let referenceSnapshot: Map<string, string>;

async function extractAndTransform(lake: string, extraEnv: Record<string, string> = {}): Promise<void> {
  for (const step of ["extract", "transform"]) {
    const r = await e2e.cli([step, "--lake", lake, "--date", DAY], extraEnv);
    expect(r.code, `${step}: ${r.stderr}`).toBe(0);
  }
}

beforeAll(async () => {
  // Fast retries for the injected faults, and a short timeout for the slow answers.
  e2e = await startE2e("e2e", KEY, {
    OPENAQ_RETRY_BASE_MS: "1",
    OPENAQ_MAX_RETRIES: "10",
    OPENAQ_TIMEOUT_MS: "2000",
  });
  work = e2e.dir;
  reference = join(work, "reference");
  await extractAndTransform(reference);
  referenceSnapshot = await lakeSnapshot(reference);
}, 120_000);

afterAll(() => e2e?.close());

describe("extract + transform for one day", () => {
  it("gives exactly the expected rows", async () => {
    const expected = expectedDay(e2e.server, DAY);
    expect(expected.measurements.length).toBeGreaterThan(1000);
    const rows = await parquetRows(join(reference, `dev/processed/measurements/${PART}/part-00000.parquet`));
    expect(rows.length).toBe(expected.measurements.length);
    expect(rows).toEqual(expected.measurements);
    const locations = await parquetRows(
      join(reference, `dev/processed/locations/${PART}/part-00000.parquet`),
    );
    expect(locations.map((l) => l.location_id)).toEqual(expected.locations);
    expect(locations.every((l) => typeof l.city === "string" && l.city !== "" && l.city !== "N/A")).toBe(
      true,
    );
    // Negative readings are rows; sentinels are in quarantine with their reason, nothing else is.
    expect(rows.some((r) => (r.value as number) < 0)).toBe(true);
    const quarantine = keysOf(referenceSnapshot, "quarantine");
    if (expected.sentinels > 0) {
      expect(quarantine).toEqual([`dev/quarantine/measurements/${PART}/rejected.ndjson`]);
      const lines = Buffer.from(referenceSnapshot.get(quarantine[0] as string) as string, "base64")
        .toString("utf8")
        .trim()
        .split("\n");
      expect(lines.map((l) => JSON.parse(l).reason)).toEqual(
        Array(expected.sentinels).fill("SENTINEL_VALUE"),
      );
    } else {
      expect(quarantine).toEqual([]);
    }
  });

  it("a rerun gives byte-identical raw and processed objects", async () => {
    const again = join(work, "rerun");
    await cp(reference, again, { recursive: true });
    await extractAndTransform(again);
    const snapshot = await lakeSnapshot(again);
    expect(keysOf(snapshot, "raw").length).toBeGreaterThan(10);
    expect(keysOf(snapshot, "processed")).toEqual([
      `dev/processed/locations/${PART}/part-00000.parquet`,
      `dev/processed/measurements/${PART}/part-00000.parquet`,
    ]);
    expect(snapshot).toEqual(referenceSnapshot);
  });

  it("with faults injected at 20% of requests, the lake ends byte-identical to the fault-free run", async () => {
    const faulty = join(work, "faulty");
    e2e.server.resetStats();
    e2e.server.setFaults({
      rate: 0.2,
      seed: 7,
      slowMs: 3_000,
      kinds: ["429", "408", "500", "502", "503", "reset", "truncated", "malformed", "slow"],
    });
    try {
      await extractAndTransform(faulty);
    } finally {
      e2e.server.setFaults({});
    }
    const injected = totalCount(e2e.server.stats.faults);
    expect(injected / e2e.server.stats.requests).toBeGreaterThan(0.1);
    expect(await lakeSnapshot(faulty)).toEqual(referenceSnapshot);
  }, 120_000);

  it("when retries are exhausted: exit 1, names the sensor and why, and publishes nothing to processed", async () => {
    const broken = join(work, "broken");
    await cp(reference, broken, { recursive: true });
    // A sensor with readings on the day, so extract certainly asks for it.
    const sensorId = expectedDay(e2e.server, DAY).measurements[0]?.sensor_id as number;
    expect(sensorId).toBeGreaterThan(0);
    e2e.server.setFaults({ forced: [{ sensorId, kind: "500" }] });
    let r: CliResult;
    try {
      r = await e2e.cli(["run", "--lookback", "0", "--lake", broken, "--date", DAY], {
        OPENAQ_MAX_RETRIES: "2",
      });
    } finally {
      e2e.server.setFaults({});
    }
    expect(r.code).toBe(1);
    const sentence = r.stderr.trim().split("\n").at(-1) as string;
    expect(sentence).toContain(String(sensorId));
    expect(sentence).toMatch(/500|Internal Server Error/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(`${r.stdout}${r.stderr}`).not.toContain(KEY);
    // The failed extract committed no run: the day's only run manifest is the earlier good one.
    const runs = (await readdir(join(broken, `dev/raw/measurements/${PART}`))).filter((n) =>
      n.startsWith("run-"),
    );
    expect(runs).toHaveLength(1);
    const snapshot = await lakeSnapshot(broken);
    for (const key of keysOf(referenceSnapshot, "processed"))
      expect(snapshot.get(key)).toBe(referenceSnapshot.get(key));
    expect(keysOf(snapshot, "processed")).toEqual(keysOf(referenceSnapshot, "processed"));
    // Raw is write-once: the earlier good run is still there, and transform replays it unchanged.
    const t = await e2e.cli(["transform", "--lake", broken, "--date", DAY]);
    expect(t.code, t.stderr).toBe(0);
    const replayed = await lakeSnapshot(broken);
    for (const key of keysOf(referenceSnapshot, "processed"))
      expect(replayed.get(key)).toBe(referenceSnapshot.get(key));
  }, 120_000);

  it("and the next good run heals it", async () => {
    const broken = join(work, "broken");
    await extractAndTransform(broken);
    expect(await lakeSnapshot(broken)).toEqual(referenceSnapshot);
  }, 60_000);
});
