import type { FakeOpenAq } from "@openaq-lakehouse/fake-openaq";
import { DAY, startTestServer } from "@openaq-lakehouse/test-support/openaq";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseCli } from "../src/cli/args.js";
import { readRunRecord } from "../src/steps/run.js";
import { cli } from "./cli-helpers.js";
import { tempLake } from "./support/fake.js";

/**
 * Days are complete only when they can be: a day is recorded complete once it ended more than the
 * lateness window (72 h) ago; until then backfill redoes it, and --lookback re-fetches recent days.
 */

let server: FakeOpenAq;
let late: FakeOpenAq;
let lake: Awaited<ReturnType<typeof tempLake>>;

const env = (s: FakeOpenAq) => ({
  OPENAQ_BASE_URL: s.url,
  OPENAQ_API_KEY: s.apiKey,
  OPENAQ_RETRY_BASE_MS: "1",
  OPENAQ_REQUESTS_PER_MINUTE: "100000",
});
const at = (iso: string) => ({ now: () => new Date(iso) });

beforeAll(async () => {
  server = await startTestServer();
  late = await startTestServer({ asOf: `${DAY}T12:00:00Z` });
  lake = await tempLake();
});

afterAll(async () => {
  await server.close();
  await late.close();
  await lake.cleanup();
});

describe("days complete only when they can be", () => {
  it("backfill never records today or a recent day complete, and redoes them until they are", async () => {
    const args = ["backfill", "--from", "2026-03-19", "--to", "2026-03-21", "--lake", lake.dir, "--json"];
    // 2026-03-21 06:00 UTC: the 21st is today, the 20th ended 6 h ago, the 19th 30 h ago.
    let r = await cli(args, env(server), at("2026-03-21T06:00:00Z"));
    expect(r.code, r.stderr).toBe(0);
    for (const day of ["2026-03-19", "2026-03-20", "2026-03-21"])
      expect((await readRunRecord(lake.store, "dev", day))?.status).toBe("provisional");
    r = await cli(args, env(server), at("2026-03-21T07:00:00Z"));
    expect(JSON.parse(r.stdout).skippedDays).toEqual([]);
    // Once every day ended more than 72 h ago, they are complete and the next backfill skips them.
    r = await cli(args, env(server), at("2026-03-25T06:00:00Z"));
    expect(r.code, r.stderr).toBe(0);
    for (const day of ["2026-03-19", "2026-03-20", "2026-03-21"])
      expect((await readRunRecord(lake.store, "dev", day))?.status).toBe("complete");
    r = await cli(args, env(server), at("2026-03-25T07:00:00Z"));
    expect(JSON.parse(r.stdout).skippedDays).toEqual(["2026-03-19", "2026-03-20", "2026-03-21"]);
  }, 120_000);

  it("--lookback re-fetches a day whose late hours have arrived since, and changes nothing when the answer is unchanged", async () => {
    const own = await tempLake();
    try {
      const base = ["--lake", own.dir, "--json"];
      // Extracted at noon of DAY: half of its hours.
      let r = await cli(["extract", "--date", DAY, ...base], env(late));
      expect(r.code, r.stderr).toBe(0);
      r = await cli(["transform", "--date", DAY, ...base], env(late));
      const early = JSON.parse(r.stdout).rows.measurements as number;
      // The next day's run looks back one day: DAY is fetched again, now with every hour.
      r = await cli(["extract", "--date", "2026-03-21", "--lookback", "1", ...base], env(server));
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout).days).toEqual([DAY, "2026-03-21"]);
      r = await cli(["transform", "--date", "2026-03-21", "--lookback", "1", ...base], env(server));
      expect(r.code, r.stderr).toBe(0);
      const steps = JSON.parse(r.stdout).steps as Array<{ day: string; summary: string }>;
      const full = Number(/measurements \d+ → (\d+)/.exec(steps[0]?.summary ?? "")?.[1]);
      expect(steps[0]?.summary).toContain(`measurements ${early} → ${full}`);
      expect(full).toBeGreaterThan(early);
      // Unchanged answers: only a manifest per day is added.
      r = await cli(["extract", "--date", "2026-03-21", "--lookback", "1", ...base], env(server));
      expect(JSON.parse(r.stdout).objectsWritten).toBe(2);
    } finally {
      await own.cleanup();
    }
  }, 120_000);

  it("takes --lookback on run, extract and transform only, and --raw-run on transform only", () => {
    const now = new Date("2026-03-25T06:00:00Z");
    const run = parseCli(["run"], {}, now);
    expect(!run.help && run.lookback).toBe(2);
    const extract = parseCli(["extract", "--lookback", "3"], {}, now);
    expect(!extract.help && extract.lookback).toBe(3);
    expect(() => parseCli(["catalog", "--lookback", "1"], {}, now)).toThrow(
      /--lookback belongs to run, extract, transform/,
    );
    expect(() => parseCli(["run", "--lookback", "x"], {}, now)).toThrow(/Invalid --lookback "x"/);
    expect(() => parseCli(["run", "--raw-run", "20260320T000000000Z-abcdef"], {}, now)).toThrow(
      /--raw-run belongs to transform/,
    );
    expect(() => parseCli(["transform", "--raw-run", "latest"], {}, now)).toThrow(
      /Invalid raw run id "latest"/,
    );
    expect(() => parseCli(["views", "--allow-shrink"], {}, now)).toThrow(
      /--allow-shrink belongs to transform, run, backfill/,
    );
  });
});
