import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { baseEnv, CLI_ENTRY, spawnCli, TSX } from "@openaq-lakehouse/test-support/cli";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sentence } from "../src/cli/cli.js";
import { cli } from "./cli-helpers.js";

/** Every error one sentence, with exit 2 for how the CLI was called and 1 for a run that failed. */
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "cli-errors-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const oneSentence = (stderr: string) => {
  expect(stderr.trim().split("\n")).toHaveLength(1);
  expect(stderr).not.toContain("Unexpected error");
};

describe("the lake path", () => {
  it("a lake that is a file: exit 2, naming the path", async () => {
    const file = join(dir, "a-file");
    await writeFile(file, "x");
    for (const command of ["transform", "query"]) {
      const r = await cli([command, "--lake", file, ...(command === "query" ? ["SELECT 1"] : [])]);
      expect(r.code).toBe(2);
      expect(r.stderr).toBe(`The lake ${file} is a file, not a folder.\n`);
    }
    const under = await cli(["transform", "--lake", join(file, "lake")]);
    expect(under).toMatchObject({
      code: 2,
      stderr: `The lake ${join(file, "lake")} cannot be used: a part of the path is a file, not a folder.\n`,
    });
  });

  it("read-only commands need an existing lake and never create one", async () => {
    const missing = join(dir, "typo-lake");
    for (const argv of [["query", "SELECT 1"], ["validate"], ["views"], ["check"]]) {
      const r = await cli([argv[0] as string, "--lake", missing, ...argv.slice(1)]);
      expect(r.code, argv.join(" ")).toBe(2);
      expect(r.stderr).toContain(`The lake ${missing} cannot be used: it does not exist`);
      oneSentence(r.stderr);
    }
    expect(existsSync(missing)).toBe(false);
  });

  it("~ and ~/… are the home folder; ~user is refused", async () => {
    const home = join(dir, "home");
    await mkdir(home);
    const plan = await cli(["query", "--dry-run", "--lake", "~/lk", "SELECT 1"], { HOME: home });
    expect(plan.stdout).toContain(`lake ${join(home, "lk")}`);
    const r = await cli(["query", "--lake", "~/lk", "SELECT 1"], { HOME: home });
    expect(r.stderr).toContain(`The lake ${join(home, "lk")} cannot be used`);
    expect(existsSync(join(process.cwd(), "~"))).toBe(false);
    const user = await cli(["query", "--lake", "~root/lk", "SELECT 1"]);
    expect(user).toMatchObject({ code: 2, stderr: expect.stringContaining("starts with ~user") });
  });

  it("odd characters (lake[1]?q) work end to end: run, query, and table output escapes |", async () => {
    const odd = join(dir, "lake[1]?q");
    const run = await cli(["run", "--lake", odd]);
    expect(run.code, run.stderr).toBe(0);
    const r = await cli([
      "query",
      "--lake",
      odd,
      `SELECT count(*) > 0 AS ok, 'a|b' AS "x|y" FROM view_latest_aqi`,
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe("| ok   | x\\|y |\n|------|------|\n| true | a\\|b |\n(1 row)\n");
  }, 60_000);
});

describe("arguments and configuration", () => {
  it("--date with no value says so, at the end or before another option", async () => {
    for (const argv of [
      ["run", "--date"],
      ["run", "--date", "--lake", dir],
    ]) {
      const r = await cli(argv);
      expect(r).toEqual({ code: 2, stdout: "", stderr: "The option --date needs a value.\n" });
    }
  });

  it("check takes --date or --from/--to, and --repair belongs to check alone", async () => {
    const both = await cli(["check", "--date", "2024-03-01", "--from", "2024-03-01", "--to", "2024-03-02"]);
    expect(both).toEqual({
      code: 2,
      stdout: "",
      stderr: "check takes either --date or --from/--to, not both.\n",
    });
    const half = await cli(["check", "--from", "2024-03-01"]);
    expect(half.stderr).toBe("A check needs --from YYYY-MM-DD and --to YYYY-MM-DD.\n");
    const repair = await cli(["run", "--repair"]);
    expect(repair).toEqual({
      code: 2,
      stdout: "",
      stderr: "The option --repair belongs to check, not run.\n",
    });
    const plan = await cli([
      "check",
      "--repair",
      "--dry-run",
      "--from",
      "2024-03-01",
      "--to",
      "2024-03-03",
      "--lake",
      dir,
    ]);
    expect(plan.stdout).toContain("days: 2024-03-01..2024-03-03 (3 days)");
    expect(plan.stdout).toContain("re-transform days with broken objects from raw");
  });

  it("usage errors are JSON lines when --log-format json is asked for", async () => {
    const r = await cli(["run", "--log-format", "json", "--date", "yesterday"]);
    expect(r.code).toBe(2);
    const line = JSON.parse(r.stderr.trim());
    expect(line).toMatchObject({
      level: "error",
      code: "USAGE",
      message: expect.stringContaining('Invalid --date "yesterday"'),
    });
  });

  it("a missing API key on an S3 lake, and a missing ATHENA_WORKGROUP, are configuration: exit 2", async () => {
    const key = await cli(["extract", "--lake", "s3://some-bucket"], { AWS_REGION: "eu-west-1" });
    expect(key.code).toBe(2);
    expect(key.stderr).toContain("No OpenAQ API key: set OPENAQ_API_KEY");
    const wg = await cli(["query", "--lake", "s3://some-bucket", "SELECT 1"], { AWS_REGION: "eu-west-1" });
    expect(wg).toMatchObject({ code: 2, stderr: expect.stringContaining("ATHENA_WORKGROUP is not set") });
  });

  it("OPENAQ_API_KEY_PARAMETER without a region: exit 2 and a sentence that says to set AWS_REGION", async () => {
    const home = await mkdtemp(join(dir, "noaws-"));
    const r = await spawnCli(
      TSX,
      [CLI_ENTRY, "extract", "--lake", join(dir, "ssm-lake")],
      baseEnv({ HOME: home, OPENAQ_API_KEY_PARAMETER: "/openaq/dev/api-key" }),
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      "OPENAQ_API_KEY_PARAMETER is set but no AWS region is: set AWS_REGION to the region of the SSM parameter /openaq/dev/api-key.",
    );
    expect(await readdir(home)).toEqual([]);
  }, 30_000);

  it("a filesystem error met mid-run names the path and the problem", () => {
    const e = Object.assign(new Error("EACCES: permission denied, open '/lake/dev/x'"), {
      code: "EACCES",
      syscall: "open",
      path: "/lake/dev/x",
    });
    expect(sentence(e)).toBe("Cannot use /lake/dev/x (open): permission denied.");
    const notDir = Object.assign(new Error("ENOTDIR"), {
      code: "ENOTDIR",
      syscall: "mkdir",
      path: "/f/lake",
    });
    expect(sentence(notDir)).toBe("Cannot use /f/lake (mkdir): a part of the path is a file, not a folder.");
  });
});
