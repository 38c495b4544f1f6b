import { rm } from "node:fs/promises";
import { addDays } from "@openaq-lakehouse/pipeline-core";
import { at, place, reading, tempLake, utcToday, writeLake } from "@openaq-lakehouse/test-support/lake";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DuckDbEngine, deployViews, openDuckDbEngine } from "../src/index.js";

/**
 * view_latest_aqi must read only its window's partitions, whatever the history length: DuckDB's
 * profile counts the Parquet files each scan opened.
 */
const T = utcToday();
const WINDOW = 3;

async function lakeWithHistory(days: number): Promise<string> {
  const root = await tempLake(`prune-${days}`);
  const measurements = [];
  const snapshots: Record<string, ReturnType<typeof place>[]> = {};
  for (let i = 0; i < days; i++) {
    const day = addDays(T, -i);
    for (const loc of [1, 2]) {
      measurements.push(
        reading({
          location_id: loc,
          sensor_id: loc * 10,
          parameter: "pm25",
          value: 10 + i,
          datetime: at(day, 6),
        }),
      );
    }
    snapshots[day] = [
      place({ location_id: 1, name: "One", city: "Hà Nội" }),
      place({ location_id: 2, name: "Two", city: "Huế" }),
    ];
  }
  await writeLake(root, { measurements, snapshots });
  return root;
}

describe("partition pruning (DuckDB profile)", () => {
  const lakes: Record<number, { root: string; engine: DuckDbEngine }> = {};

  beforeAll(async () => {
    for (const days of [10, 40]) {
      const root = await lakeWithHistory(days);
      const engine = await openDuckDbEngine({ lakeRoot: root, env: "dev", profiling: true });
      await deployViews(engine, { env: "dev", windowDays: WINDOW });
      lakes[days] = { root, engine };
    }
  });
  afterAll(async () => {
    for (const { root, engine } of Object.values(lakes)) {
      await engine.close();
      await rm(root, { recursive: true, force: true });
    }
  });

  it("view_latest_aqi opens only the window's files, for 10 or 40 days of history", async () => {
    const reads = [];
    for (const days of [10, 40]) {
      const { result, profile } = await (lakes[days] as { engine: DuckDbEngine }).engine.profile(
        "SELECT * FROM openaq_dev.view_latest_aqi",
      );
      const latest = result.rows
        .map((r) => [r.location_id, r.pm25])
        .sort((a, b) => Number(a[0]) - Number(b[0]));
      expect(latest).toEqual([
        [1, 10], // today's reading (value 10 + 0 days back)
        [2, 10],
      ]);
      // one measurements scan and one locations scan, each limited to the window's partitions
      expect(profile.scans.map((s) => s.filesRead)).toEqual([WINDOW, WINDOW]);
      // …because the window predicate became a hive file filter (evaluated before any file is opened)
      for (const scan of profile.scans)
        expect(scan.fileFilters).toMatch(/concat\(year, '-', month, '-', day\) >= '\d{4}-\d{2}-\d{2}'/);
      reads.push(profile);
    }
    const [short, long] = reads as [(typeof reads)[0], (typeof reads)[0]];
    expect(long.filesRead).toBe(short.filesRead);
    // the window's files hold the same rows in both lakes, so the bytes read match closely
    expect(long.bytesRead).toBeGreaterThan(0);
    expect(Math.abs(long.bytesRead - short.bytesRead)).toBeLessThan(short.bytesRead * 0.05);
  });

  it("view_daily_average reads the whole history (it has no window)", async () => {
    const { profile } = await (lakes[40] as { engine: DuckDbEngine }).engine.profile(
      "SELECT * FROM openaq_dev.view_daily_average",
    );
    expect(profile.filesRead).toBe(40 + 40);
  });
});
