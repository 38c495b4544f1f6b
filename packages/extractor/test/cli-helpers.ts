import { type CliResult, captured } from "@openaq-lakehouse/test-support/cli";
import { type CliIo, runCli } from "../src/cli/cli.js";

/** Runs the CLI in this process with captured streams (fast; same code path as main.ts). */
export function cli(
  argv: string[],
  env: NodeJS.ProcessEnv = {},
  extra: Partial<CliIo> = {},
): Promise<CliResult> {
  return captured((io) => runCli(argv, { ...io, env, ...extra }));
}

/** Yesterday (UTC) of a clock: the CLI's default day. */
export function yesterdayOf(now: Date): string {
  return new Date(now.getTime() - 86_400_000).toISOString().slice(0, 10);
}
