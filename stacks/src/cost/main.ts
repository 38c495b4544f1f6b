/**
 * `pnpm cost`: the monthly estimate of the whole deployment, per stack and in total. Each stack's
 * program runs under the Pulumi mocks (as in the stack tests); the resources it registers are
 * priced with the region's price table (prices.ts) and the usage assumptions (usage.ts).
 *
 *   pnpm cost [--json] [--stacks platform,dev,prod] [--config key=value ...]
 *
 * `--config` overrides a stack-file key for a what-if, e.g. `--config airflowSleep=false`.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { ENVIRONMENTS, type Environment, isEnvironment } from "@openaq-lakehouse/pipeline-core";
import { PLATFORM_STACK } from "../index.js";
import { WORKSPACE_ROOT } from "../platform/program.js";
import { type CostReport, estimate, formatReport, type StackGraph } from "./model.js";
import { priceTable } from "./prices.js";
import { VIETNAM } from "./usage.js";

interface StackRun extends StackGraph {
  outputs: Record<string, unknown>;
}

const RUNNER = fileURLToPath(new URL("./run-stack.ts", import.meta.url));

function runStack(
  dir: string,
  stack: string,
  overrides: Record<string, string>,
  platformOutputs?: string,
): StackRun {
  const out = join(dir, `${stack}.json`);
  const args = ["--import", "tsx", RUNNER, stack, out, ...(platformOutputs ? [platformOutputs] : [])];
  const r = spawnSync(process.execPath, args, {
    cwd: WORKSPACE_ROOT,
    encoding: "utf8",
    env: { ...process.env, OPENAQ_COST_CONFIG: JSON.stringify(overrides) },
  });
  if (r.status !== 0) throw new Error(`Running stack ${stack} under the mocks failed:\n${r.stderr}`);
  return JSON.parse(readFileSync(out, "utf8")) as StackRun;
}

/** Runs the platform stack, then each environment stack against the platform's outputs. */
export function runStacks(
  stacks: readonly string[],
  overrides: Record<string, string> = {},
): { graphs: StackGraph[]; region: string } {
  const dir = mkdtempSync(join(tmpdir(), "openaq-cost-"));
  try {
    const platform = runStack(dir, PLATFORM_STACK, overrides);
    const platformOutputs = join(dir, "platform-outputs.json");
    writeFileSync(platformOutputs, JSON.stringify(platform.outputs));
    const graphs = stacks.map((s) =>
      s === PLATFORM_STACK ? platform : runStack(dir, s, overrides, platformOutputs),
    );
    return { graphs, region: String(platform.outputs.region) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `key=value` pairs as fully qualified config (a bare key is the project's). */
export function configOverrides(pairs: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf("=");
    if (eq <= 0) throw new Error(`--config expects key=value, got ${JSON.stringify(pair)}.`);
    const key = pair.slice(0, eq);
    out[key.includes(":") ? key : `openaq-lakehouse:${key}`] = pair.slice(eq + 1);
  }
  return out;
}

export function costReport(
  stacks: readonly string[] = [PLATFORM_STACK, ...ENVIRONMENTS],
  overrides: Record<string, string> = {},
): CostReport {
  for (const s of stacks) {
    if (s !== PLATFORM_STACK && !isEnvironment(s))
      throw new Error(`Unknown stack ${s}: expected ${[PLATFORM_STACK, ...ENVIRONMENTS].join(", ")}.`);
  }
  const { graphs, region } = runStacks(stacks, overrides);
  return estimate(graphs, priceTable(region), VIETNAM, (s) =>
    isEnvironment(s) ? (s as Environment) : undefined,
  );
}

function main(): void {
  const { values } = parseArgs({
    options: {
      json: { type: "boolean", default: false },
      stacks: { type: "string" },
      config: { type: "string", multiple: true, default: [] },
    },
  });
  const stacks = values.stacks ? values.stacks.split(",").map((s) => s.trim()) : undefined;
  const report = costReport(stacks, configOverrides(values.config ?? []));
  process.stdout.write(values.json ? `${JSON.stringify(report, null, 2)}\n` : `${formatReport(report)}\n`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  try {
    main();
  } catch (e) {
    process.stderr.write(`pnpm cost: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  }
}
