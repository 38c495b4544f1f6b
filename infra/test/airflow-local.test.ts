import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { must } from "@openaq-lakehouse/test-support/narrow";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { airflowBundleFiles } from "../src/airflow/index.js";
import { writeLocalBundle } from "../src/airflow/local.js";
import { parseLocalModeArgs } from "../src/airflow/local-command.js";
import { hostOptions, inspectDags, REPO_ROOT, tempDir } from "./airflow-fixtures.js";

const IMAGE_ID = `localhost:5000/openaq-pipeline@sha256:${"9c".repeat(32)}`;

describe("local mode", () => {
  const base = tempDir("local");
  const outDir = join(base, "airflow");
  const lake = join(base, "my lake");
  const first = writeLocalBundle({
    extractorImage: IMAGE_ID,
    lakeHostPath: lake,
    startDate: "2026-11-10",
    outDir,
    dockerGid: 999,
  });

  it("writes the host's bundle (same compose file and factory), DAGs on the local lake, and an env file", () => {
    const host = airflowBundleFiles(hostOptions());
    for (const f of ["docker-compose.yml", "dags/openaq_factory.py", "dags/.airflowignore"]) {
      expect(readFileSync(join(outDir, f), "utf8"), f).toBe(
        must(
          host.find((h) => h.path === f),
          f,
        ).content,
      );
    }
    expect(statSync(lake).isDirectory()).toBe(true);
    const env = readFileSync(join(outDir, ".env"), "utf8");
    expect(env).toContain(`OPENAQ_AIRFLOW_SECRETS_DIR=${JSON.stringify(join(outDir, "secrets"))}`);
    expect(env).toContain("DOCKER_GID=999\n");
    // Every variable the compose file requires (${VAR:?…}) is defined by the env file.
    const required = [
      ...readFileSync(join(outDir, "docker-compose.yml"), "utf8").matchAll(/\$\{([A-Z_]+):\?/g),
    ].map((m) => must(m[1], "variable name"));
    for (const v of new Set(required)) expect(env, v).toMatch(new RegExp(`^${v}=`, "m"));
    const dags = inspectDags(join(outDir, "dags"));
    for (const t of dags.dags.flatMap((d) => d.tasks)) {
      expect(t.image).toBe(IMAGE_ID);
      expect(t.mounts[0]).toMatchObject({ Source: lake, Target: "/lake" });
    }
  });

  it("generates the secrets once, 0444 in a 0700 folder, and keeps them on a re-render", () => {
    expect(first.generatedSecrets.sort()).toEqual([
      "admin_password",
      "fernet_key",
      "postgres_password",
      "webserver_secret_key",
    ]);
    expect(statSync(first.secretsDir).mode & 0o777).toBe(0o700);
    const before = Object.fromEntries(
      readdirSync(first.secretsDir).map((f) => [f, readFileSync(join(first.secretsDir, f), "utf8")]),
    );
    for (const f of Object.keys(before))
      expect(statSync(join(first.secretsDir, f)).mode & 0o777, f).toBe(0o444);
    expect(Buffer.from(must(before.fernet_key, "fernet_key"), "base64")).toHaveLength(32);
    expect(before.fernet_key).toMatch(/^[A-Za-z0-9_-]{43}=$/);
    const again = writeLocalBundle({
      extractorImage: IMAGE_ID,
      lakeHostPath: lake,
      startDate: "2026-11-10",
      outDir,
      dockerGid: 999,
    });
    expect(again.generatedSecrets).toEqual([]);
    const after = Object.fromEntries(
      readdirSync(first.secretsDir).map((f) => [f, readFileSync(join(first.secretsDir, f), "utf8")]),
    );
    expect(after).toEqual(before);
    // A fresh folder gets different secrets: nothing is a fixed default.
    const other = writeLocalBundle({
      extractorImage: IMAGE_ID,
      lakeHostPath: lake,
      startDate: "2026-11-10",
      outDir: join(base, "other"),
    });
    expect(readFileSync(other.adminPasswordFile, "utf8")).not.toBe(before.admin_password);
  });

  it("pnpm airflow:local --real-api renders from the command line (no server) and refuses a tag", () => {
    const tsx = join(REPO_ROOT, "node_modules/.bin/tsx");
    const script = join(REPO_ROOT, "infra/scripts/airflow-local.ts");
    const out = join(base, "cli");
    const ok = spawnSync(
      tsx,
      [script, "--real-api", "--image", IMAGE_ID, "--out", out, "--lake", join(base, "cli-lake")],
      { encoding: "utf8", cwd: base },
    );
    expect(ok.status, ok.stderr).toBe(0);
    expect(ok.stdout).toContain("docker compose up -d");
    expect(
      parse(readFileSync(join(out, "docker-compose.yml"), "utf8")).services["airflow-scheduler"],
    ).toBeDefined();
    const bad = spawnSync(
      tsx,
      [script, "--real-api", "--image", "openaq-pipeline:latest", "--out", join(base, "cli2")],
      { encoding: "utf8", cwd: base },
    );
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/not pinned by digest/);
  });

  it("reads its options with defaults, and names what is wrong with them", () => {
    expect(parseLocalModeArgs(["--image", IMAGE_ID], "2026-11-20")).toEqual({
      bundle: {
        extractorImage: IMAGE_ID,
        lakeHostPath: resolve(".lake"),
        startDate: "2026-11-17",
        outDir: ".airflow-local",
        webPort: 8080,
      },
      apiPort: 8090,
      realApi: false,
    });
    expect(parseLocalModeArgs(["--image", IMAGE_ID, "--api-port", "0", "--real-api"])).toMatchObject({
      apiPort: 0,
      realApi: true,
    });
    expect(parseLocalModeArgs([])).toEqual({ error: expect.stringMatching(/^--image is required/) });
    expect(parseLocalModeArgs(["--image", IMAGE_ID, "--port", "80"])).toEqual({
      error: "--port must be a number between 1024 and 65535.",
    });
    expect(parseLocalModeArgs(["--image", IMAGE_ID, "--api-port", "x"])).toEqual({
      error: "--api-port must be 0 (any free port) or a number between 1024 and 65535.",
    });
    expect(parseLocalModeArgs(["--image", IMAGE_ID, "--bogus"])).toEqual({
      error: expect.stringMatching(/bogus/),
    });
  });
});
