import { mkdir, mkdtemp, readFile, realpath, rm, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { baseEnv, REPO_ROOT, spawnCli, yesterdayOf } from "./cli-helpers.js";

/**
 * The image cannot be built here, so this runs what it would run: the bundle the build stage
 * makes, with the runtime stage's two installed packages beside it, started with exactly the
 * Dockerfile's ENTRYPOINT argv (its /app path mapped to a temp folder), as a child process.
 */

const DOCKERFILE = join(REPO_ROOT, "packages/extractor/Dockerfile");
let work: string;
let app: string;
let entrypoint: string[];

/** ENTRYPOINT of the last stage, exec form. */
function parseEntrypoint(dockerfile: string): string[] {
  const lines = dockerfile.split("\n").filter((l) => /^ENTRYPOINT\s/.test(l));
  const last = lines.at(-1);
  if (!last) throw new Error("The Dockerfile has no ENTRYPOINT.");
  return JSON.parse(last.replace(/^ENTRYPOINT\s+/, "")) as string[];
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "container-"));
  app = join(work, "app");
  const built = await spawnCli(
    "node",
    [join(REPO_ROOT, "packages/extractor/scripts/bundle.mjs"), "--outdir", app],
    baseEnv(),
  );
  expect(built.code, built.stderr).toBe(0);
  // The runtime stage installs exactly the generated package.json's dependencies into /app/node_modules.
  const runtime = JSON.parse(await readFile(join(app, "package.json"), "utf8")) as {
    dependencies: Record<string, string>;
  };
  const owners: Record<string, string> = {
    "@duckdb/node-api": "packages/extractor",
    "parquet-wasm": "packages/pipeline-core",
  };
  for (const [name, version] of Object.entries(runtime.dependencies)) {
    const installed = await realpath(join(REPO_ROOT, owners[name] as string, "node_modules", name));
    const pkg = JSON.parse(await readFile(join(installed, "package.json"), "utf8")) as { version: string };
    expect(pkg.version).toBe(version);
    await mkdir(dirname(join(app, "node_modules", name)), { recursive: true });
    await symlink(installed, join(app, "node_modules", name));
  }
  entrypoint = parseEntrypoint(await readFile(DOCKERFILE, "utf8")).map((part) =>
    part.replace(/^\/app\//, `${app}/`),
  );
}, 120_000);

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe("Dockerfile", () => {
  it("is multi-stage on node:20-bookworm-slim, installs production deps only, and runs as a non-root user", async () => {
    const text = await readFile(DOCKERFILE, "utf8");
    expect(text).toMatch(/^ARG NODE_IMAGE=node:20-bookworm-slim$/m);
    const stages = [...text.matchAll(/^FROM \$\{NODE_IMAGE\} AS (\w+)$/gm)].map((m) => m[1]);
    expect(stages).toEqual(["build", "runtime"]);
    const runtime = text.slice(text.indexOf("AS runtime"));
    expect(runtime).toMatch(/npm install --omit=dev/);
    expect(runtime).toMatch(/^USER node$/m);
    expect(runtime.indexOf("USER node")).toBeLessThan(runtime.indexOf("ENTRYPOINT"));
    expect(parseEntrypoint(text)).toEqual(["node", "/app/openaq-pipeline.mjs"]);
  });

  it("builds with the pnpm the workspace pins, so its frozen install reads the same lockfile", async () => {
    const text = await readFile(DOCKERFILE, "utf8");
    const pin = (
      JSON.parse(await readFile(join(REPO_ROOT, "package.json"), "utf8")) as { packageManager: string }
    ).packageManager;
    expect(`pnpm@${/^ARG PNPM_VERSION=(\S+)$/m.exec(text)?.[1]}`).toBe(pin);
  });

  it(".dockerignore lets in exactly the sources the build stage copies", async () => {
    const text = await readFile(DOCKERFILE, "utf8");
    const ignore = (await readFile(join(REPO_ROOT, ".dockerignore"), "utf8"))
      .split("\n")
      .filter((l) => l && !l.startsWith("#"));
    expect(ignore[0]).toBe("**");
    const allowed = ignore.filter((l) => l.startsWith("!")).map((l) => l.slice(1).replace(/\/\*\*$/, ""));
    const sources = text
      .split("\n")
      .filter((l) => /^COPY (?!--from)/.test(l))
      .flatMap((l) =>
        l
          .replace(/^COPY\s+/, "")
          .split(/\s+/)
          .slice(0, -1),
      );
    for (const source of sources) expect(allowed, source).toContain(source.replace(/\/$/, ""));
    expect(ignore).toContain("**/node_modules");
    expect(ignore).toContain("**/.lake");
  });
});

describe("the image's entrypoint, run as a child process", () => {
  it("--help: exit 0, usage on stdout", async () => {
    const r = await spawnCli(entrypoint[0] as string, [...entrypoint.slice(1), "--help"], baseEnv(), work);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("openaq-pipeline <command> [options]");
    expect(r.stderr).toBe("");
  });

  it("the Airflow argv with --dry-run: exit 0, the plan, nothing touched", async () => {
    const argv = [
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
    ];
    const r = await spawnCli(
      entrypoint[0] as string,
      [...entrypoint.slice(1), ...argv],
      baseEnv({ CATALOG_MODE: "projection" }),
      work,
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("Plan for openaq-pipeline extract (env dev, lake s3://openaq-lake-bucket):");
    expect(r.stdout).toContain("Dry run: nothing was read or written.");
  });

  it("a usage error: exit 2 and one sentence", async () => {
    const r = await spawnCli(
      entrypoint[0] as string,
      [...entrypoint.slice(1), "transform", "--date", "2024-02-30"],
      baseEnv(),
      work,
    );
    expect([r.code, r.stdout, r.stderr]).toEqual([
      2,
      "",
      'Invalid --date "2024-02-30": expected a real day as YYYY-MM-DD.\n',
    ]);
  });

  it("a real offline run through the bundle: native DuckDB and parquet-wasm load from node_modules", async () => {
    const lake = join(work, "lake");
    const r = await spawnCli(
      entrypoint[0] as string,
      [...entrypoint.slice(1), "run", "--lookback", "0", "--lake", lake, "--json"],
      baseEnv(),
      work,
    );
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report).toMatchObject({ ok: true, command: "run", days: [yesterdayOf(new Date())] });
    expect(report.rows.measurements).toBeGreaterThan(0);
    expect(report.steps.map((s: { step: string }) => s.step)).toEqual([
      "extract",
      "transform",
      "catalog",
      "views",
      "validate",
    ]);
  }, 60_000);
});
