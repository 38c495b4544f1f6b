import { readFileSync } from "node:fs";
import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { addDays, formatIsoDay, type IsoDay } from "@openaq-lakehouse/pipeline-core";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { cli } from "./cli-helpers.js";

/**
 * A corrupt processed object: contained (queries that do not reach its partition work), named
 * (queries that do fail with the object and the healing command), found by `check`, healed by
 * `check --repair`, and never skipped by backfill as complete.
 */
const TODAY = formatIsoDay(Date.now());
const OLD = addDays(TODAY, -5); // outside view_latest_aqi's 3-day window
const RECENT = addDays(TODAY, -1); // inside it

let dir: string;
let pristine: string;
let lake: string;

const part = (day: IsoDay, dataset = "measurements") => {
  const [y, m, d] = day.split("-");
  return join(lake, "dev", "processed", dataset, `year=${y}`, `month=${m}`, `day=${d}`, "part-00000.parquet");
};
const query = (sql: string) => cli(["query", "--lake", lake, sql]);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "cli-check-"));
  pristine = join(dir, "pristine");
  const r = await cli(["backfill", "--from", OLD, "--to", RECENT, "--lake", pristine]);
  expect(r.code, r.stderr).toBe(0);
}, 120_000);
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});
let n = 0;
beforeEach(async () => {
  lake = join(dir, `lake${n++}`);
  await cp(pristine, lake, { recursive: true });
});

describe("a corrupt processed object", () => {
  it("outside the window: view_latest_aqi still works; reading its day names the object and the healing command", async () => {
    const good = await query("SELECT count(*) AS n FROM view_latest_aqi");
    await writeFile(part(OLD), "garbage\n");
    const latest = await query("SELECT count(*) AS n FROM view_latest_aqi");
    expect(latest.code, latest.stderr).toBe(0);
    expect(latest.stdout).toBe(good.stdout);
    const [y, m, d] = OLD.split("-");
    const hit = await query(
      `SELECT count(*) FROM measurements WHERE year='${y}' AND month='${m}' AND day='${d}'`,
    );
    expect(hit.code).toBe(1);
    expect(hit.stderr).toContain(`The processed object ${part(OLD)} cannot be read`);
    expect(hit.stderr).toContain(
      `heal its day with: openaq-pipeline check --repair --env dev --lake ${lake} --from ${OLD} --to ${OLD}`,
    );
    // views deploys (nothing to read); validate reads view_daily_average, whose history has the
    // object: it fails, but naming the object and the cure rather than with a bare DuckDB error.
    const views = await cli(["views", "--lake", lake]);
    expect(views.code, views.stderr).toBe(0);
    const validate = await cli(["validate", "--lake", lake]);
    expect(validate.code).toBe(1);
    expect(validate.stderr).toMatch(
      /view_daily_average cannot be read: The processed object .* heal its day with/,
    );
    expect(validate.stderr).not.toMatch(/view_latest_aqi cannot be read/);
  });

  it("inside the window: view_latest_aqi fails naming it; check finds it; check --repair heals it", async () => {
    // Exact columns only: DuckDB sums floats (the NowCast) in parallel, so their last digit may vary.
    const LATEST =
      "SELECT location_id, latest_datetime_utc, pm25, aqi, vn_aqi FROM view_latest_aqi ORDER BY location_id";
    const before = await query(LATEST);
    await writeFile(part(RECENT), "garbage\n");
    const broken = await query("SELECT * FROM view_latest_aqi");
    expect(broken.code).toBe(1);
    expect(broken.stderr).toContain(part(RECENT));
    expect(broken.stderr).toContain("check --repair");

    const check = await cli(["check", "--lake", lake, "--from", OLD, "--to", RECENT]);
    expect(check.code).toBe(1);
    expect(check.stdout).toContain(
      `${part(RECENT).slice(lake.length + 1)}: 8 bytes, too small to be Parquet`,
    );
    expect(check.stdout).toMatch(new RegExp(`${OLD}\\s+ok`));
    expect(check.stderr).toContain(`1 day(s) have broken processed objects (${RECENT})`);
    expect(await readFile(part(RECENT), "utf8")).toBe("garbage\n"); // check alone writes nothing

    const repair = await cli(["check", "--repair", "--lake", lake, "--from", OLD, "--to", RECENT]);
    expect(repair.code, repair.stderr).toBe(0);
    expect(repair.stdout).toMatch(new RegExp(`${RECENT}\\s+repaired`));
    expect(readFileSync(part(RECENT))).toEqual(readFileSync(join(pristine, part(RECENT).slice(lake.length))));
    const after = await query(LATEST);
    expect(after).toEqual(before);
  });

  it("the first object DuckDB would bind on: other days stay readable", async () => {
    await writeFile(part(OLD), "garbage\n"); // the oldest day sorts first
    const r = await query(`SELECT count(*) AS n FROM measurements WHERE day = '${RECENT.slice(8)}'`);
    expect(r.code, r.stderr).toBe(0);
    const all = await query("SELECT count(*) FROM measurements");
    expect(all.code).toBe(1);
    expect(all.stderr).toContain(part(OLD));
  });

  it("a healthy lake checks clean against the row counts backfill recorded in each day's run record", async () => {
    const record = JSON.parse(await readFile(join(lake, "dev", "_state", "runs", `${RECENT}.json`), "utf8"));
    expect(record.rows.measurements).toBeGreaterThan(100);
    const check = await cli(["check", "--json", "--lake", lake, "--from", OLD, "--to", RECENT]);
    expect(check.code, check.stderr).toBe(0);
    const day = JSON.parse(check.stdout).days.find((d: { day: string }) => d.day === RECENT);
    expect(day.rows).toEqual(record.rows);
  });

  it("a wrong schema and a row count that disagrees with the run record are found too", async () => {
    await cp(part(RECENT, "locations"), part(OLD)); // a Parquet file, but of the other dataset
    const recordPath = join(lake, "dev", "_state", "runs", `${RECENT}.json`);
    const record = JSON.parse(await readFile(recordPath, "utf8"));
    await writeFile(recordPath, JSON.stringify({ ...record, rows: { measurements: 1, locations: 20 } }));
    const check = await cli(["check", "--json", "--lake", lake, "--from", OLD, "--to", RECENT]);
    expect(check.code).toBe(1);
    const report = JSON.parse(check.stdout);
    const problems = report.days.flatMap((x: { problems: Array<{ problem: string }> }) => x.problems);
    expect(problems.map((p: { problem: string }) => p.problem)).toEqual([
      expect.stringMatching(/^unexpected schema/),
      expect.stringMatching(/rows, the run record says transform wrote 1$/),
    ]);
  });

  it("backfill does not skip a complete day with a corrupt object: it redoes it", async () => {
    await writeFile(part(OLD), "garbage\n");
    const r = await cli(["backfill", "--json", "--lake", lake, "--from", OLD, "--to", addDays(OLD, 1)]);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.skippedDays).toEqual([addDays(OLD, 1)]);
    expect(readFileSync(part(OLD))).toEqual(readFileSync(join(pristine, part(OLD).slice(lake.length))));
  }, 60_000);
});
