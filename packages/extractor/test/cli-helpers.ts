import { spawn } from "node:child_process";
import { readdir, readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { type CliIo, runCli } from "../src/cli/cli.js";

export const REPO_ROOT = resolve(fileURLToPath(new URL("../../..", import.meta.url)));
export const CLI_ENTRY = join(REPO_ROOT, "packages/extractor/src/cli/main.ts");
export const TSX = join(REPO_ROOT, "node_modules/.bin/tsx");

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI in this process with captured streams (fast; same code path as main.ts). */
export async function cli(
  argv: string[],
  env: NodeJS.ProcessEnv = {},
  extra: Partial<CliIo> = {},
): Promise<CliResult> {
  let stdout = "";
  let stderr = "";
  const code = await runCli(argv, {
    stdout: { write: (t: string) => (stdout += t) },
    stderr: { write: (t: string) => (stderr += t) },
    env,
    ...extra,
  });
  return { code, stdout, stderr };
}

/** Runs an argument vector as a child process, the way a shell, Airflow or Docker would. */
export function spawnCli(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  cwd = REPO_ROOT,
): Promise<CliResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => resolvePromise({ code: code ?? -1, stdout, stderr }));
  });
}

/** A minimal environment for child processes: PATH and HOME only, plus what the test adds. */
export function baseEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
    // Workspace packages run from their TypeScript source (their `development` export condition).
    NODE_OPTIONS: "--conditions=development",
    ...extra,
  };
}

/** Every file under `dir` with its bytes (for "the key is nowhere in the lake"). */
export async function readTree(dir: string): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  async function walk(d: string): Promise<void> {
    let entries: import("node:fs").Dirent[];
    try {
      entries = await readdir(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else out.set(p, await readFile(p));
    }
  }
  await walk(dir);
  return out;
}

/** Yesterday (UTC) of a clock: the CLI's default day. */
export function yesterdayOf(now: Date): string {
  return new Date(now.getTime() - 86_400_000).toISOString().slice(0, 10);
}
