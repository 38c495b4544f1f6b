import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";

/**
 * `pnpm airflow:local`: one command renders the bundle and starts the local OpenAQ server the
 * containers reach (on the host network, at 127.0.0.1); the bundle's `.env` carries its URL and key.
 */

const REPO_ROOT = resolve(fileURLToPath(new URL("..", import.meta.url)));
const TSX = join(REPO_ROOT, "node_modules/.bin/tsx");
const SCRIPT = join(REPO_ROOT, "infra/scripts/airflow-local.ts");
const IMAGE = `localhost:5000/openaq-pipeline@sha256:${"ab".repeat(32)}`;

/** The `.env` Compose reads: KEY=value lines, values JSON-quoted or bare. */
function parseEnv(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const m = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line);
    if (m?.[1] && m[2] !== undefined) out[m[1]] = m[2].startsWith('"') ? JSON.parse(m[2]) : m[2];
  }
  return out;
}

describe("pnpm airflow:local", () => {
  let work: string | undefined;
  let child: ChildProcess | undefined;
  afterAll(async () => {
    if (child?.pid && child.exitCode === null) child.kill("SIGKILL");
    if (work) await rm(work, { recursive: true, force: true });
  });

  it("renders the bundle, serves the local API on 127.0.0.1 with the key in .env, and stops on SIGTERM", async () => {
    work = await mkdtemp(join(tmpdir(), "airflow-local-"));
    const out = join(work, ".airflow-local");
    const proc = spawn(
      TSX,
      [
        SCRIPT,
        "--image",
        IMAGE,
        "--out",
        out,
        "--lake",
        join(work, "lake"),
        "--api-port",
        "0",
        "--port",
        "18080",
      ],
      { cwd: REPO_ROOT, stdio: ["ignore", "pipe", "pipe"] },
    );
    child = proc;
    let stdout = "";
    let stderr = "";
    proc.stdout?.on("data", (d) => (stdout += d));
    proc.stderr?.on("data", (d) => (stderr += d));
    const exited = new Promise<number | null>((done) => proc.on("close", (code) => done(code)));
    const deadline = Date.now() + 30_000;
    while (!stdout.includes("Ctrl-C") && Date.now() < deadline && proc.exitCode === null)
      await new Promise((r) => setTimeout(r, 100));
    expect(stdout, stderr).toContain("Keep this command running");

    const env = parseEnv(await readFile(join(out, ".env"), "utf8"));
    expect(env.OPENAQ_BASE_URL).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(env.AIRFLOW_WEB_PORT).toBe("18080");
    const spec = JSON.parse(await readFile(join(out, "dags/openaq_ingestion_dev.json"), "utf8"));
    expect(spec.networkMode).toBe("host");
    expect(spec.forwardEnvironment).toEqual(
      expect.arrayContaining(["OPENAQ_API_KEY", "OPENAQ_BASE_URL", "OPENAQ_REQUESTS_PER_MINUTE"]),
    );
    // The server answers with the key from .env, and refuses without it.
    const url = `${env.OPENAQ_BASE_URL}/v3/locations?countries_id=56&limit=1`;
    const ok = await fetch(url, { headers: { "X-API-Key": env.OPENAQ_API_KEY ?? "" } });
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as { results: unknown[] }).results.length).toBe(1);
    expect((await fetch(url)).status).toBe(401);

    proc.kill("SIGTERM");
    expect(await exited).toBe(0);
    expect(stdout).toContain("Local OpenAQ server stopped.");
    await expect(fetch(url)).rejects.toThrow();
  }, 60_000);

  it("the rendered folder is ignored by lint (Biome) and by git", () => {
    const git = spawnSync("git", ["check-ignore", "-q", ".airflow-local/docker-compose.yml"], {
      cwd: REPO_ROOT,
    });
    expect(git.status).toBe(0);
    const biome = JSON.parse(readFileSync(join(REPO_ROOT, "biome.json"), "utf8"));
    expect(biome.files.includes).toContain("!**/.airflow-local");
  });
});
