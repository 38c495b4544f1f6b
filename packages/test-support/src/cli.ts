/**
 * Running the pipeline's CLI (or any command) from a test: in this process with its output kept, or
 * as a child process the way a shell, Airflow or Docker starts it, with a minimal environment.
 */
import { spawn } from "node:child_process";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The workspace root (this file is packages/test-support/src/cli.ts). */
export const REPO_ROOT = resolve(fileURLToPath(new URL("../../..", import.meta.url)));
/** The CLI's entry point, run from source with TSX. */
export const CLI_ENTRY = join(REPO_ROOT, "packages/extractor/src/cli/main.ts");
export const TSX = join(REPO_ROOT, "node_modules/.bin/tsx");

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** What a command in this process writes its output to. */
type Sink = { write(text: string): unknown };

/**
 * Runs a command in this process with sinks for its stdout and stderr, and returns its exit code with
 * what it wrote: `captured((io) => runCli(argv, { ...io, env }))`.
 */
export async function captured(
  run: (io: { stdout: Sink; stderr: Sink }) => Promise<number>,
): Promise<CliResult> {
  let stdout = "";
  let stderr = "";
  const code = await run({
    stdout: { write: (t: string) => (stdout += t) },
    stderr: { write: (t: string) => (stderr += t) },
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
