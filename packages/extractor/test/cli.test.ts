import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type FakeOpenAq, startFakeOpenAq } from "@openaq-lakehouse/fake-openaq";
import { LocalFolderStore, stateKey } from "@openaq-lakehouse/pipeline-core";
import { baseEnv, CLI_ENTRY, spawnCli, TSX } from "@openaq-lakehouse/test-support/cli";
import { readTree } from "@openaq-lakehouse/test-support/lake";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { parseCli } from "../src/cli/args.js";
import { FIXTURES_NOTICE } from "../src/cli/cli.js";
import { cli, yesterdayOf } from "./cli-helpers.js";
import { hourlyRows, PM25, writeRawDay } from "./transform-fixtures.js";

const SECRET = "sk-test-7d1f0c2a9e4b4f60a3c1d5e8b2f7a9c0-RECOGNISABLE";
const NOW = new Date();
const YESTERDAY = yesterdayOf(NOW);

let dir: string;
let lake: string;
let server: FakeOpenAq;

beforeAll(async () => {
  server = await startFakeOpenAq({
    apiKeys: [SECRET],
    rateLimit: { perWindow: 100_000, perHour: 1_000_000 },
  });
});
afterAll(async () => {
  await server.close();
});
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "cli-"));
  lake = join(dir, "lake");
  server.setFaults({});
  server.resetStats();
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const FAST = { OPENAQ_MAX_RETRIES: "1", OPENAQ_RETRY_BASE_MS: "1", OPENAQ_REQUESTS_PER_MINUTE: "100000" };

function expectOneSentence(text: string): void {
  const lines = text.trimEnd().split("\n");
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^[A-Z].*[.)]$/);
  expect(text).not.toMatch(/\n\s+at /);
}

describe("argument parsing", () => {
  it("defaults: env from PIPELINE_ENV else dev, day yesterday UTC, lake from LAKE_URI else .lake", () => {
    const now = new Date("2024-03-06T01:00:00Z");
    expect(parseCli(["extract"], {}, now)).toMatchObject({
      env: "dev",
      day: "2024-03-05",
      lake: ".lake",
      logFormat: "text",
    });
    expect(parseCli(["run"], { PIPELINE_ENV: "prod", LAKE_URI: "s3://b-1" }, now)).toMatchObject({
      env: "prod",
      lake: "s3://b-1",
    });
    expect(parseCli(["backfill", "--from", "2024-02-28", "--to", "2024-03-01"], {}, now)).toMatchObject({
      days: ["2024-02-28", "2024-02-29", "2024-03-01"],
    });
    expect(parseCli(["transform", "--max-quarantine-rate", "0.05"], {}, now)).toMatchObject({
      maxQuarantineRate: 0.05,
    });
    expect(parseCli(["query", "SELECT 1", "--format", "csv"], {}, now)).toMatchObject({
      sql: "SELECT 1",
      format: "csv",
    });
  });

  it.each([
    [["extract", "--date", "2024-02-30"], 'Invalid --date "2024-02-30": expected a real day as YYYY-MM-DD.'],
    [["extract", "--date", "yesterday"], 'Invalid --date "yesterday": expected a real day as YYYY-MM-DD.'],
    [["extract", "--date", "2999-01-01"], /^The --date 2999-01-01 is in the future/],
    [["extract", "--env", "stage"], 'Unknown environment "stage": expected one of dev, prod.'],
    [["extractt"], /^Unknown command "extractt": expected one of extract, transform/],
    [[], /^No command given/],
    [["extract", "--verbose"], "Unknown option --verbose: see openaq-pipeline --help."],
    [["extract", "--date"], "The option --date needs a value."],
    [["backfill", "--from", "2024-03-01"], "A backfill needs --from YYYY-MM-DD and --to YYYY-MM-DD."],
    [
      ["backfill", "--from", "2024-03-02", "--to", "2024-03-01"],
      "The range ends (--to 2024-03-01) before it starts (--from 2024-03-02).",
    ],
    [
      ["extract", "--from", "2024-03-01"],
      "The options --from and --to belong to backfill and check; extract takes --date.",
    ],
    [["transform", "--max-quarantine-rate", "1.5"], /^Invalid --max-quarantine-rate "1.5"/],
    [["extract", "--log-format", "xml"], 'Unknown --log-format "xml": expected text or json.'],
    [["query"], /^The query command takes exactly one SQL statement/],
    [["extract", "--lake", "s3://A_B"], /^Invalid lake "s3:\/\/A_B"/],
    [["extract", "--lake", "gs://bucket"], /^Unsupported lake "gs:\/\/bucket"/],
  ])("%j is a usage error: exit 2, one sentence, nothing on stdout", async (argv, message) => {
    const r = await cli(argv, {});
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expectOneSentence(r.stderr);
    if (typeof message === "string") expect(r.stderr.trim()).toBe(message);
    else expect(r.stderr.trim()).toMatch(message);
  });

  it("rejects a bad PIPELINE_ENV and CATALOG_MODE from the environment with exit 2", async () => {
    const env = await cli(["extract"], { PIPELINE_ENV: "qa" });
    expect([env.code, env.stderr.trim()]).toEqual([
      2,
      'Unknown environment "qa": expected one of dev, prod.',
    ]);
    const mode = await cli(["catalog", "--lake", lake], { CATALOG_MODE: "glue" });
    expect([mode.code, mode.stderr.trim()]).toEqual([
      2,
      'Unknown CATALOG_MODE "glue": expected one of projection, partitions, crawler.',
    ]);
  });

  it("--help prints usage on stdout and exits 0", async () => {
    const r = await cli(["--help"], {});
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("openaq-pipeline <command> [options]");
    expect(r.stdout).toContain("--max-quarantine-rate");
    expect(r.stderr).toBe("");
    expect((await cli(["backfill", "-h"], {})).stdout).toContain("--from/--to");
  });
});

describe("--dry-run", () => {
  it.each(["extract", "transform", "catalog", "views", "validate", "run"])(
    "%s: prints the plan, touches neither lake nor network",
    async (command) => {
      const r = await cli([command, "--env", "prod", "--date", "2024-03-05", "--lake", lake, "--dry-run"], {
        OPENAQ_BASE_URL: server.url,
        OPENAQ_API_KEY: SECRET,
      });
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(`Plan for openaq-pipeline ${command} (env prod, lake ${lake}):`);
      expect(r.stdout).toContain("Dry run: nothing was read or written.");
      expect(r.stderr).toBe("");
      expect(existsSync(lake)).toBe(false);
      expect(server.stats.requests).toBe(0);
      expect(r.stdout).not.toContain(SECRET);
    },
  );

  it("the Airflow argv validates without a key, for an S3 lake, with JSON output", async () => {
    const r = await cli(
      [
        "extract",
        "--env",
        "dev",
        "--date",
        "2024-03-05",
        "--lake",
        "s3://openaq-lake-bucket",
        "--log-format",
        "json",
        "--dry-run",
        "--json",
      ],
      { CATALOG_MODE: "partitions" },
    );
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({
      dryRun: true,
      command: "extract",
      env: "dev",
      lake: "s3://openaq-lake-bucket",
      days: ["2024-03-05"],
      api: "the public OpenAQ API (no API key set)",
    });
    const bf = await cli(
      ["backfill", "--from", "2024-03-01", "--to", "2024-03-03", "--lake", lake, "--dry-run"],
      {},
    );
    expect(bf.stdout).toContain("days: 2024-03-01..2024-03-03 (3 days)");
    expect(bf.stdout).toContain("api: the bundled OpenAQ fixtures, served locally (no OPENAQ_API_KEY set)");
    const q = await cli(["query", "SELECT 1", "--lake", "s3://openaq-lake-bucket", "--dry-run"], {});
    expect(q.stdout).toContain("engine: Athena, workgroup unset: ATHENA_WORKGROUP needed");
  });
});

describe("run failures: one sentence, exit 1, no stack trace, no key", () => {
  it("missing key for an S3 lake fails before any request", async () => {
    const r = await cli(["extract", "--lake", "s3://openaq-lake-bucket", "--date", "2024-03-05"], {});
    expect(r.code).toBe(2); // configuration, not a failed run
    expect(r.stderr.trim().split("\n").at(-1)).toBe(
      "No OpenAQ API key: set OPENAQ_API_KEY, or OPENAQ_API_KEY_PARAMETER to the name of the SSM parameter that holds it.",
    );
  });

  it("a server that wants a key says so when none is given", async () => {
    const r = await cli(["extract", "--lake", lake, "--date", YESTERDAY], {
      OPENAQ_BASE_URL: server.url,
      ...FAST,
    });
    expect(r.code).toBe(2); // a missing key is configuration
    // The client's own sentence for a 401 without a key.
    expect(r.stderr.trim().split("\n").at(-1)).toMatch(/API key.*: set OPENAQ_API_KEY\.$/);
  });

  it("takes the key only from the environment it is given, never from the process's own", async () => {
    const saved = process.env.OPENAQ_API_KEY;
    process.env.OPENAQ_API_KEY = server.apiKey;
    try {
      const r = await cli(["extract", "--lake", lake, "--date", YESTERDAY], {
        OPENAQ_BASE_URL: server.url,
        ...FAST,
      });
      expect(r.code).toBe(2);
      expect(r.stderr.trim().split("\n").at(-1)).toMatch(/API key.*: set OPENAQ_API_KEY\.$/);
    } finally {
      if (saved === undefined) delete process.env.OPENAQ_API_KEY;
      else process.env.OPENAQ_API_KEY = saved;
    }
  });

  it("an unreachable API is named, with the key nowhere in the output", async () => {
    const port = await closedPort();
    const r = await cli(["extract", "--lake", lake, "--date", YESTERDAY, "--log-format", "json"], {
      OPENAQ_BASE_URL: `http://127.0.0.1:${port}`,
      OPENAQ_API_KEY: SECRET,
      ...FAST,
    });
    expect(r.code).toBe(1);
    // In JSON log mode the failure is a JSON line too, with the sentence as its message.
    const last = JSON.parse(r.stderr.trim().split("\n").at(-1) as string);
    expect(last).toMatchObject({ level: "error", code: "API_UNREACHABLE" });
    expect(last.message).toMatch(
      new RegExp(`^Cannot reach the OpenAQ API at http://127\\.0\\.0\\.1:${port}`),
    );
    for (const line of r.stderr.trim().split("\n")) expect(() => JSON.parse(line)).not.toThrow();
    expect(`${r.stdout}${r.stderr}`).not.toContain(SECRET);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    // The run report on stdout says what was attempted.
    expect(r.stdout).toContain("FAILED");
  });

  it("transform without a complete extract refuses", async () => {
    const r = await cli(["transform", "--lake", lake, "--date", "2024-03-05"], {});
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split("\n").at(-1)).toBe(
      "No complete extract for 2024-03-05 in dev: run extract first.",
    );
  });

  it("a quarantine rate above --max-quarantine-rate fails with the rate and reasons", async () => {
    const rows = hourlyRows(1, PM25, "2024-03-05").map((r, h) => (h < 6 ? { ...r, value: -999 } : r));
    await writeRawDay(new LocalFolderStore(lake), "dev", "2024-03-05", {
      locations: [
        { id: 10, name: "X", locality: "Hanoi", lat: 21, lon: 105.8, sensors: [{ id: 1, parameter: PM25 }] },
      ],
      sensorPages: new Map([[1, [rows]]]),
    });
    const r = await cli(
      ["transform", "--lake", lake, "--date", "2024-03-05", "--max-quarantine-rate", "0.1"],
      {},
    );
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split("\n").at(-1)).toMatch(
      /^Quarantined 24\.0% of the records for 2024-03-05 \(6 of 25\), above the limit of 10\.0% \(top reasons: SENTINEL_VALUE 6\); processed was not replaced/,
    );
  });

  it("a failing query is one sentence; the stack trace appears only with --debug", async () => {
    await mkdir(lake, { recursive: true });
    const r = await cli(["query", "SELEC nonsense", "--lake", lake], {});
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expectOneSentence(r.stderr);
    expect(r.stderr).toMatch(/syntax error/i);
    const debug = await cli(["query", "SELEC nonsense", "--lake", lake, "--debug"], {});
    expect(debug.code).toBe(1);
    expect(debug.stderr).toMatch(/\n\s+at /);
  });
});

describe("reports and logs", () => {
  it("extract + transform against a server: JSON report and JSON log lines, and the key is nowhere", async () => {
    const env = { OPENAQ_BASE_URL: server.url, OPENAQ_API_KEY: SECRET, ...FAST };
    const x = await cli(
      ["extract", "--lake", lake, "--date", YESTERDAY, "--json", "--log-format", "json"],
      env,
    );
    expect(
      x.stderr
        .split("\n")
        .filter(Boolean)
        .map((l) => JSON.parse(l).level),
    ).not.toContain("error");
    expect(x.code).toBe(0);
    const xr = JSON.parse(x.stdout);
    expect(xr).toMatchObject({ command: "extract", ok: true, days: [YESTERDAY] });
    expect(xr.requests).toBe(server.stats.requests);
    expect(xr.objectsWritten).toBeGreaterThan(0);
    expect(xr.timeByStep.extract).toBeGreaterThanOrEqual(0);

    const t = await cli(
      ["transform", "--lake", lake, "--date", YESTERDAY, "--json", "--log-format", "json"],
      env,
    );
    expect(t.code).toBe(0);
    const tr = JSON.parse(t.stdout);
    expect(tr.rows.measurements).toBeGreaterThan(0);
    expect(tr.rows.locations).toBeGreaterThan(0);
    expect(tr.steps).toHaveLength(1);
    for (const line of t.stderr.split("\n").filter(Boolean)) expect(JSON.parse(line)).toHaveProperty("time");
    expect(t.stderr).toContain('"event":"progress"');

    const all = [x.stdout, x.stderr, t.stdout, t.stderr].join("\n");
    expect(all).not.toContain(SECRET);
    for (const [path, bytes] of await readTree(lake)) {
      expect(bytes.includes(Buffer.from(SECRET)), path).toBe(false);
    }
  });

  it("human report on stdout, plain log lines on stderr", async () => {
    const r = await cli(["extract", "--lake", lake, "--date", YESTERDAY], {
      OPENAQ_BASE_URL: server.url,
      OPENAQ_API_KEY: SECRET,
      ...FAST,
    });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^openaq-pipeline extract dev ${YESTERDAY}: ok`));
    expect(r.stdout).toMatch(/requests \d+ \(retries \d+, rate-limited \d+\)/);
    expect(r.stdout).toMatch(/wrote \d+ objects/);
    for (const line of r.stderr.split("\n").filter(Boolean))
      expect(line).toMatch(/^\d{4}-\d{2}-\d{2}T\S+Z (INFO|WARN|ERROR) /);
  });

  it("without a key on a local lake, uses the bundled fixtures and says so in one line", async () => {
    const r = await cli(["extract", "--lake", lake, "--date", YESTERDAY], {});
    expect(r.code).toBe(0);
    expect(r.stderr.split("\n").filter((l) => l.includes(FIXTURES_NOTICE))).toHaveLength(1);
  });
});

describe("catalog, views, validate, query on the local lake", () => {
  it("catalog is a no-op with a line saying so; validate fails on an empty lake; query prints csv and json", async () => {
    const c = await cli(["catalog", "--lake", lake, "--date", "2024-03-05"], {});
    expect(c.code).toBe(0);
    expect(c.stdout).toContain("local lake: nothing to register");
    await mkdir(lake, { recursive: true }); // an empty lake (validate never creates one)
    const v = await cli(["validate", "--lake", lake], {});
    expect(v.code).toBe(1);
    expectOneSentence(v.stderr);
    expect(v.stderr).toMatch(/^Validation failed: /);
    const csv = await cli(["query", "SELECT 1 AS x, 'a,b' AS y", "--lake", lake, "--format", "csv"], {});
    expect([csv.code, csv.stdout]).toEqual([0, 'x,y\r\n1,"a,b"\r\n']);
    const json = await cli(["query", "SELECT 2 AS x", "--lake", lake, "--json"], {});
    expect(JSON.parse(json.stdout)).toEqual([{ x: 2 }]);
  });
});

describe("backfill", () => {
  it("runs each day, skips complete days, resumes a crashed day and redoes with --force", async () => {
    const [FROM_DAY, TO_DAY] = ["2024-03-04", "2024-03-05"] as const;
    const days = [FROM_DAY, TO_DAY];
    const first = await cli(["backfill", "--from", FROM_DAY, "--to", TO_DAY, "--lake", lake, "--json"], {});
    expect(first.code, first.stderr).toBe(0);
    const r1 = JSON.parse(first.stdout);
    expect(r1.steps.map((s: { step: string; day: string }) => `${s.step} ${s.day}`)).toEqual([
      "extract 2024-03-04",
      "transform 2024-03-04",
      "catalog 2024-03-04",
      "extract 2024-03-05",
      "transform 2024-03-05",
      "catalog 2024-03-05",
      "views 2024-03-05",
    ]);
    const store = new LocalFolderStore(lake);
    const record = JSON.parse(
      new TextDecoder().decode(await store.get(stateKey("dev", "runs", "2024-03-04"))),
    );
    expect(record).toMatchObject({ status: "complete", done: ["extract", "transform", "catalog"] });

    const again = JSON.parse(
      (await cli(["backfill", "--from", FROM_DAY, "--to", TO_DAY, "--lake", lake, "--json"], {})).stdout,
    );
    expect(again.skippedDays).toEqual(days);
    expect(again.steps.map((s: { step: string }) => s.step)).toEqual(["views"]);

    // A crash after extract of 03-05: the record says running with extract done.
    await store.put(
      stateKey("dev", "runs", "2024-03-05"),
      new TextEncoder().encode(
        JSON.stringify({ version: 1, env: "dev", day: "2024-03-05", status: "running", done: ["extract"] }),
      ),
    );
    const resumed = JSON.parse(
      (await cli(["backfill", "--from", FROM_DAY, "--to", TO_DAY, "--lake", lake, "--json"], {})).stdout,
    );
    expect(resumed.skippedDays).toEqual(["2024-03-04"]);
    expect(resumed.steps.map((s: { step: string; day: string }) => `${s.step} ${s.day}`)).toEqual([
      "transform 2024-03-05",
      "catalog 2024-03-05",
      "views 2024-03-05",
    ]);

    const forced = JSON.parse(
      (await cli(["backfill", "--from", FROM_DAY, "--to", TO_DAY, "--lake", lake, "--json", "--force"], {}))
        .stdout,
    );
    expect(forced.skippedDays).toEqual([]);
    expect(forced.steps).toHaveLength(7);
  });
});

describe("as a child process", () => {
  it("bad date and unknown env: exit 2, one sentence, no stack trace", async () => {
    const bad = await spawnCli(TSX, [CLI_ENTRY, "extract", "--date", "2024-13-01"], baseEnv());
    expect(bad.code).toBe(2);
    expect(bad.stdout).toBe("");
    expect(bad.stderr).toBe('Invalid --date "2024-13-01": expected a real day as YYYY-MM-DD.\n');
    const env = await spawnCli(TSX, [CLI_ENTRY, "run", "--env", "staging"], baseEnv());
    expect([env.code, env.stderr]).toEqual([
      2,
      'Unknown environment "staging": expected one of dev, prod.\n',
    ]);
  });

  it("unreachable API: exit 1, the last stderr line says why, no key, no stack", async () => {
    const port = await closedPort();
    const r = await spawnCli(
      TSX,
      [CLI_ENTRY, "extract", "--lake", lake, "--date", YESTERDAY],
      baseEnv({ OPENAQ_BASE_URL: `http://127.0.0.1:${port}`, OPENAQ_API_KEY: SECRET, ...FAST }),
    );
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split("\n").at(-1)).toMatch(/^Cannot reach the OpenAQ API at /);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(`${r.stdout}${r.stderr}`).not.toContain(SECRET);
  });
});

async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}
