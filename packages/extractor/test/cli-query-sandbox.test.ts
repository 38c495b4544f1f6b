import { existsSync } from "node:fs";
import { chmod, cp, mkdtemp, readdir, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { addDays, formatIsoDay } from "@openaq-lakehouse/pipeline-core";
import { baseEnv, CLI_ENTRY, spawnCli, TSX } from "@openaq-lakehouse/test-support/cli";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cli } from "./cli-helpers.js";

/**
 * `query` under hostile input: exactly one read, nothing written anywhere, the lake's files the
 * only files it can see; and the catalog many can read at once (in memory per process).
 */
const TODAY = formatIsoDay(Date.now());
const FROM = addDays(TODAY, -3);
const TO = addDays(TODAY, -1);

let dir: string;
let lake: string;

/** Every path under `root` with its size and mtime: "nothing on disk changed". */
async function snapshot(root: string): Promise<string[]> {
  const out: string[] = [];
  for (const p of (await readdir(root, { recursive: true })).sort()) {
    const s = await stat(join(root, p));
    out.push(`${p} ${s.size} ${s.mtimeMs}`);
  }
  return out;
}

const query = (sql: string, ...extra: string[]) => cli(["query", "--lake", lake, ...extra, sql]);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "cli-sandbox-"));
  lake = join(dir, "lake");
  const r = await cli(["backfill", "--from", FROM, "--to", TO, "--lake", lake]);
  expect(r.code, r.stderr).toBe(0);
}, 120_000);
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("query is one read-only statement", () => {
  it("resolves unqualified names in the --env database", async () => {
    const r = await query("SELECT count(*) AS n FROM view_daily_average");
    expect(r.code, r.stderr).toBe(0);
    expect(Number(/\|\s+(\d+) \|/.exec(r.stdout)?.[1])).toBeGreaterThan(0);
    const prod = await query("SELECT count(*) AS n FROM view_daily_average", "--env", "prod");
    expect(prod).toMatchObject({ code: 0, stdout: expect.stringContaining("| 0 |") });
  });

  it("accepts the reads: WITH, DESCRIBE, SHOW, SUMMARIZE, EXPLAIN, EXPLAIN ANALYZE of a SELECT", async () => {
    for (const sql of [
      "WITH x AS (SELECT 1 AS a) SELECT a FROM x",
      "DESCRIBE measurements",
      "SHOW TABLES",
      "SUMMARIZE locations",
      "EXPLAIN SELECT * FROM measurements",
      "EXPLAIN ANALYZE SELECT count(*) FROM measurements",
    ]) {
      const r = await query(sql);
      expect(r.code, `${sql}: ${r.stderr}`).toBe(0);
    }
  });

  const outside = () => join(dir, "outside");
  const cases: Array<{ name: string; sql: () => string; says: RegExp }> = [
    {
      name: "COPY … TO a file outside the lake",
      sql: () => `COPY (SELECT * FROM openaq_dev.measurements) TO '${outside()}.parquet'`,
      says: /reads only .*(a copy statement|this COPY statement is not a read), refused/,
    },
    {
      name: "COPY … TO a file inside the lake",
      sql: () => `COPY (SELECT 1) TO '${join(lake, "dev", "x.csv")}'`,
      says: /a copy statement, refused/,
    },
    {
      name: "EXPLAIN ANALYZE COPY (it would run the COPY)",
      sql: () => `EXPLAIN ANALYZE COPY (SELECT 1) TO '${join(lake, "dev", "y.csv")}'`,
      says: /an EXPLAIN of a copy statement, refused/,
    },
    { name: "ATTACH", sql: () => `ATTACH '${outside()}.duckdb' AS o`, says: /an attach statement, refused/ },
    {
      name: "EXPORT DATABASE",
      sql: () => `EXPORT DATABASE '${outside()}'`,
      says: /(an export statement|this EXPORT statement is not a read), refused/,
    },
    { name: "INSTALL", sql: () => "INSTALL httpfs", says: /a load statement, refused/ },
    { name: "LOAD", sql: () => "LOAD httpfs", says: /a load statement, refused/ },
    { name: "SET", sql: () => "SET enable_external_access = true", says: /a set statement, refused/ },
    { name: "RESET", sql: () => "RESET allowed_directories", says: /a set statement, refused/ },
    {
      name: "CREATE MACRO",
      sql: () => "CREATE OR REPLACE MACRO round(x, n) AS -1",
      says: /a create statement, refused\. Deploying the serving views is the views command's job\./,
    },
    {
      name: "DROP VIEW",
      sql: () => "DROP VIEW openaq_dev.view_latest_aqi",
      says: /a drop statement, refused/,
    },
    {
      name: "two statements",
      sql: () => `SELECT 1; COPY (SELECT 1) TO '${outside()}.csv'`,
      says: /holds 2 statements: query runs exactly one/,
    },
  ];
  for (const c of cases) {
    it(`refuses ${c.name}: exit 2, one sentence, nothing written`, async () => {
      const before = await snapshot(dir);
      const r = await query(c.sql());
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(c.says);
      expect(r.stderr.trim().split("\n")).toHaveLength(1);
      expect(r.stdout).toBe("");
      expect(await snapshot(dir)).toEqual(before);
    });
  }

  it("cannot read files outside the lake (read_csv of /etc/passwd)", async () => {
    const r = await query("SELECT * FROM read_csv('/etc/passwd')");
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("/etc/passwd is outside");
    expect(r.stdout).toBe("");
  });

  it("dev and prod are independent: --env prod cannot read dev's files", async () => {
    const devFiles = join(lake, "dev", "processed", "measurements", "*", "*", "*", "*.parquet");
    const dev = await query(`SELECT count(*) AS n FROM read_parquet('${devFiles}')`);
    expect(dev.code, dev.stderr).toBe(0);
    const prod = await query(`SELECT count(*) AS n FROM read_parquet('${devFiles}')`, "--env", "prod");
    expect(prod.code).toBe(1);
    expect(prod.stderr).toContain(`is outside ${join(lake, "prod")}/, the only files a query may read.`);
  });

  it("a refused statement changes nothing for the next process: views and round() as before", async () => {
    await query("CREATE OR REPLACE MACRO round(x, n) AS -1");
    await query("DROP VIEW openaq_dev.view_latest_aqi");
    const r = await query("SELECT round(2.345, 1) AS r, (SELECT count(*) FROM view_latest_aqi) > 0 AS ok");
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/\|\s+2\.3 \| true\s+\|/);
    expect(existsSync(join(lake, "catalog.duckdb"))).toBe(false);
  });
});

describe("a catalog many can read", () => {
  it("query + query + views at the same time all succeed", async () => {
    const env = baseEnv();
    const sql = "SELECT count(*) AS n FROM view_daily_average, range(200)";
    const runs = await Promise.all([
      spawnCli(TSX, [CLI_ENTRY, "query", "--lake", lake, sql], env),
      spawnCli(TSX, [CLI_ENTRY, "query", "--lake", lake, sql], env),
      spawnCli(TSX, [CLI_ENTRY, "views", "--lake", lake, "--date", TO], env),
    ]);
    for (const r of runs) expect(r.code, r.stderr).toBe(0);
    expect(runs[2]?.stdout).toContain("deployed openaq_dev.view_latest_aqi");
  }, 60_000);

  it("a read-only user can query a read-only lake, and cannot run a writing command on it", async () => {
    if (process.getuid?.() !== 0) {
      // Not root: the lake can be made read-only for this very user.
      const ro = join(dir, "ro-self");
      await cp(lake, ro, { recursive: true });
      await chmodTree(ro, false);
      try {
        const r = await cli(["query", "--lake", ro, "SELECT count(*) AS n FROM view_daily_average"]);
        expect(r.code, r.stderr).toBe(0);
      } finally {
        await chmodTree(ro, true);
      }
      return;
    }
    // root bypasses file permissions through its DAC capabilities: run the CLI without them, so the
    // permission bits bind it as they bind any user. (Not as another uid: that one would also need to
    // reach the checkout, which may sit in a private folder.)
    const ro = join(dir, "ro");
    await cp(lake, ro, { recursive: true });
    await chmodTree(ro, false);
    const withoutOverride = (args: string[]) =>
      spawnCli(
        "setpriv",
        ["--bounding-set=-dac_override,-dac_read_search,-fowner", TSX, CLI_ENTRY, ...args],
        baseEnv(),
      );
    try {
      const before = await snapshot(ro);
      const r = await withoutOverride([
        "query",
        "--lake",
        ro,
        "SELECT count(*) AS n FROM view_daily_average",
      ]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/\| n +\|/);
      const t = await withoutOverride(["transform", "--lake", ro, "--date", TO]);
      expect(t.code).toBe(2);
      expect(t.stderr).toContain(`The lake ${ro} is not writable: permission denied.`);
      expect(await snapshot(ro)).toEqual(before);
    } finally {
      await chmodTree(ro, true);
    }
  }, 60_000);
});

async function chmodTree(root: string, writable: boolean): Promise<void> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  for (const e of entries) {
    const p = join(e.parentPath, e.name);
    await chmod(p, e.isDirectory() ? (writable ? 0o755 : 0o555) : writable ? 0o644 : 0o444);
  }
  await chmod(root, writable ? 0o755 : 0o555);
}
