import { chown, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FAKE_OPENAQ_API_KEY, type FakeOpenAq, startFakeOpenAq } from "@openaq-lakehouse/fake-openaq";
import { localDagSpecs, type RenderedDagSpec } from "@openaq-lakehouse/infra/airflow";
import { addDays, formatIsoDay, type IsoDay } from "@openaq-lakehouse/pipeline-core";
import { CLI_ENTRY, REPO_ROOT, spawnCli, TSX } from "@openaq-lakehouse/test-support/cli";
import {
  type DockerEngine,
  dockerUnavailableReason,
  ensureTestNodeImage,
  startDocker,
  TEST_NODE_VERSION,
} from "@openaq-lakehouse/test-support/docker";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { lakeSnapshot } from "./e2e-support.js";

/**
 * The extractor image, for real: a private Docker engine (test-support/docker.ts) builds
 * packages/extractor/Dockerfile unchanged but for its base-image argument (a local Node 24 base: no
 * registry is reachable), and each task of the rendered local-mode DAG runs as the container
 * DockerOperator would start (command, environment, mounts, user, memory limit, network), against
 * the local OpenAQ server on 127.0.0.1, writing a bind-mounted lake. The same steps run by the CLI
 * from source must write the same bytes.
 *
 * Without root or Docker (a laptop) the file is skipped with the reason; in CI it must run.
 */

const IMAGE_TAG = "openaq-pipeline:test";
/** The image's user (`USER node` in the Dockerfile): the lake folder on the host must be its. */
const CONTAINER_UID = 1000;

const unavailable = dockerUnavailableReason();
if (unavailable && process.env.CI) throw new Error(`The container tests must run in CI: ${unavailable}.`);

/**
 * `docker run` for one task, translated from what the factory hands DockerOperator (see
 * infra/airflow/dags/openaq_factory.py): the spec's command with `{{ ds }}` rendered, its
 * environment plus the forwarded private variables, its mounts, network mode and memory limit, the
 * image's own user, json-file log rotation, removed when done. The image is the one just built (the
 * spec names it by registry digest, and this engine has no registry).
 */
function dockerRunArgs(
  spec: RenderedDagSpec,
  taskId: string,
  ds: IsoDay,
  scheduler: NodeJS.ProcessEnv,
): string[] {
  const task = spec.tasks.find((t) => t.id === taskId);
  if (!task) throw new Error(`${spec.dagId} has no task ${taskId}`);
  const env = { ...spec.environment };
  for (const name of spec.forwardEnvironment) {
    const value = scheduler[name];
    if (value) env[name] = value;
  }
  const mounts = [spec.lakeMount, spec.awsConfigMount].flatMap((m) =>
    m
      ? [
          "--mount",
          `type=bind,source=${m.source},target=${m.target}${m === spec.awsConfigMount ? ",readonly" : ""}`,
        ]
      : [],
  );
  return [
    "run",
    "--rm",
    `--network=${spec.networkMode}`,
    `--memory=${spec.memLimit}`,
    "--log-driver=json-file",
    "--log-opt=max-size=10m",
    "--log-opt=max-file=3",
    ...Object.entries(env).flatMap(([k, v]) => ["--env", `${k}=${v}`]),
    ...mounts,
    IMAGE_TAG,
    ...task.command.map((part) => part.replaceAll("{{ ds }}", ds)),
  ];
}

/** Every stderr line is one JSON object (Airflow's log parsers read them). */
function expectJsonLines(stderr: string): Array<Record<string, unknown>> {
  const lines = stderr.split("\n").filter((l) => l !== "");
  return lines.map((line) => {
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      throw new Error(`stderr line is not JSON: ${line}`);
    }
    expect(parsed, line).toBeTypeOf("object");
    return parsed as Record<string, unknown>;
  });
}

const TODAY = formatIsoDay(Date.now());
const DAY = addDays(TODAY, -30);
const MISSING_DAY = addDays(TODAY, -29);

describe.skipIf(unavailable !== null)(`the extractor image (${unavailable ?? "Docker available"})`, () => {
  let engine: DockerEngine;
  let server: FakeOpenAq;
  let work: string;
  let containerLake: string;
  let sourceLake: string;
  let spec: RenderedDagSpec;
  let scheduler: NodeJS.ProcessEnv;
  const docker = (args: string[], timeoutMs = 300_000) => engine.docker(args, { timeoutMs });

  beforeAll(async () => {
    engine = await startDocker();
    const base = await ensureTestNodeImage(engine);
    const built = await docker(
      [
        "build",
        "--network=host",
        "--file=packages/extractor/Dockerfile",
        `--build-arg=NODE_IMAGE=${base}`,
        `--tag=${IMAGE_TAG}`,
        REPO_ROOT,
      ],
      900_000,
    );
    if (built.code !== 0)
      throw new Error(`docker build failed:\n${built.stdout.slice(-4000)}\n${built.stderr}`);
    // Images of earlier builds, now untagged, only take space; this build's layers stay as the cache.
    await docker(["image", "prune", "--force"]);
    server = await startFakeOpenAq({ rateLimit: { perWindow: 100_000, perHour: 6_000_000 } });
    work = await mkdtemp(join(tmpdir(), "openaq-container-"));
    containerLake = join(work, "container-lake");
    sourceLake = join(work, "source-lake");
    const { mkdir } = await import("node:fs/promises");
    await mkdir(containerLake);
    await chown(containerLake, CONTAINER_UID, CONTAINER_UID);
    const specs = localDagSpecs({
      extractorImage: `localhost:5000/openaq-pipeline@sha256:${"0".repeat(64)}`,
      lakeHostPath: containerLake,
      startDate: addDays(TODAY, -31),
    });
    const dev = specs.find((s) => s.env === "dev");
    if (!dev) throw new Error("no dev DAG");
    spec = dev;
    // The scheduler's environment in local mode: what `docker compose up` was started with.
    // A local server has no 60-requests-a-minute limit, so the client need not pace itself.
    scheduler = {
      OPENAQ_API_KEY: server.apiKey,
      OPENAQ_BASE_URL: server.url,
      OPENAQ_REQUESTS_PER_MINUTE: "100000",
      OPENAQ_CONCURRENCY: "4",
    };
  }, 1_200_000);

  afterAll(async () => {
    await server?.close();
    await engine?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it("is on the current Node LTS, runs as the non-root node user, and prints its usage", async () => {
    const inspect = await docker([
      "image",
      "inspect",
      "--format",
      "{{.Config.User}} {{json .Config.Entrypoint}}",
      IMAGE_TAG,
    ]);
    expect(inspect.stdout.trim()).toBe('node ["node","/app/openaq-pipeline.mjs"]');
    const version = await docker([
      "run",
      "--rm",
      "--network=none",
      "--entrypoint=node",
      IMAGE_TAG,
      "--version",
    ]);
    expect(version.stdout.trim()).toBe(`v${TEST_NODE_VERSION}`);
    const help = await docker(["run", "--rm", "--network=none", IMAGE_TAG]);
    expect([help.code, help.stderr]).toEqual([0, ""]);
    expect(help.stdout).toContain("openaq-pipeline <command> [options]");
  });

  it("holds no test-only code: no local OpenAQ server, no tests, no fixtures", async () => {
    const listing = await docker([
      "run",
      "--rm",
      "--network=none",
      "--entrypoint=find",
      IMAGE_TAG,
      "/app",
      "-not",
      "-path",
      "*/node_modules/.pnpm/*/node_modules/*/node_modules/*",
    ]);
    expect(listing.code, listing.stderr).toBe(0);
    const paths = listing.stdout.split("\n").filter(Boolean);
    expect(paths).toContain("/app/openaq-pipeline.mjs");
    expect(paths.filter((p) => /fake-openaq|test-support|\/tests?\/|\.test\.|fixtures/i.test(p))).toEqual([]);
    // Top-level packages: exactly the runtime manifest's two.
    const runtime = JSON.parse(
      await readFile(join(REPO_ROOT, "packages/extractor/runtime/package.json"), "utf8"),
    );
    const top = paths
      .filter((p) => /^\/app\/node_modules\/(@[^/]+\/[^/]+|[^@./][^/]*)$/.test(p))
      .map((p) => p.replace("/app/node_modules/", ""));
    expect(top.sort()).toEqual(Object.keys(runtime.dependencies).sort());
    // The bundle has none of the local server's code: its built-in key (a string literal that
    // minification keeps) is absent, and so is its fixture parameter table.
    const bundle = await docker([
      "run",
      "--rm",
      "--network=none",
      "--entrypoint=cat",
      IMAGE_TAG,
      "/app/openaq-pipeline.mjs",
    ]);
    expect(bundle.stdout.length).toBeGreaterThan(100_000);
    expect(bundle.stdout).not.toContain(FAKE_OPENAQ_API_KEY);
    expect(bundle.stdout).not.toContain("O₃ mass");
  });

  it("says clearly that the bundled fixtures mode is not in the image", async () => {
    const r = await docker([
      "run",
      "--rm",
      "--network=none",
      IMAGE_TAG,
      "extract",
      "--env",
      "dev",
      "--date",
      DAY,
      "--lake",
      "/data/lake",
      "--log-format",
      "json",
    ]);
    expect(r.code).toBe(1);
    const lines = expectJsonLines(r.stderr);
    expect(lines.at(-1)).toMatchObject({
      level: "error",
      code: "FIXTURES_NOT_IN_IMAGE",
      message: expect.stringMatching(/^The bundled OpenAQ fixtures are not in this image/),
    });
  });

  it("says clearly that the dashboard, a laptop command, is not in the image", async () => {
    const r = await docker(["run", "--rm", "--network=none", IMAGE_TAG, "dashboard", "--lake", "/data"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^The dashboard is not in this image/m);
  });

  it(`runs the local DAG's five tasks for ${DAY} (30 days back) in containers: every stderr line JSON, validate green, bytes equal to the CLI from source`, async () => {
    for (const task of spec.tasks) {
      const r = await docker(dockerRunArgs(spec, task.id, DAY, scheduler));
      expect(r.code, `${task.id}: ${r.stderr.slice(-2000)}`).toBe(0);
      expectJsonLines(r.stderr);
    }
    // The same five steps from source, with the same environment.
    for (const task of spec.tasks) {
      const argv = task.command.map((p) => p.replaceAll("{{ ds }}", DAY).replace(/^\/lake$/, sourceLake));
      const r = await spawnCli(TSX, [CLI_ENTRY, ...argv], {
        PATH: process.env.PATH,
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
        // Workspace packages from their TypeScript source (their `development` export condition).
        NODE_OPTIONS: "--conditions=development",
        ...spec.environment,
        LAKE_URI: sourceLake,
        ...scheduler,
      });
      expect(r.code, `${task.id} from source: ${r.stderr.slice(-2000)}`).toBe(0);
    }
    const fromImage = await lakeSnapshot(containerLake);
    const fromSource = await lakeSnapshot(sourceLake);
    expect([...fromImage.keys()].some((k) => k.startsWith("dev/processed/"))).toBe(true);
    expect([...fromImage.keys()].sort()).toEqual([...fromSource.keys()].sort());
    for (const [key, bytes] of fromImage) expect(bytes, key).toBe(fromSource.get(key));
  }, 600_000);

  it(`and validate for ${MISSING_DAY}, a day whose data never came, fails naming the view`, async () => {
    for (const taskId of ["views", "validate"]) {
      const r = await docker(dockerRunArgs(spec, taskId, MISSING_DAY, scheduler));
      const lines = expectJsonLines(r.stderr);
      if (taskId === "views") {
        expect(r.code, r.stderr).toBe(0);
        continue;
      }
      expect(r.code).toBe(1);
      expect(lines.at(-1)).toMatchObject({
        level: "error",
        code: "VALIDATION_FAILED",
        message: expect.stringContaining(`view_daily_average has no readings on ${MISSING_DAY} (UTC)`),
      });
    }
  }, 120_000);
});
