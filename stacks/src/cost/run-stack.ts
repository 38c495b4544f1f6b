/**
 * Runs one stack's Pulumi program under the mocks (no cloud, no credentials) and writes what it
 * registered, and its outputs, as JSON to the file named by the second argument. A child process
 * per stack: the Pulumi runtime holds one stack per process.
 *
 *   tsx stacks/src/cost/run-stack.ts <stack> <out.json> [platform-outputs.json]
 *
 * OPENAQ_COST_CONFIG (JSON, fully qualified keys) overrides the stack file, for what-if estimates.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { installMocks, readStackConfig, resolved, settle } from "@openaq-lakehouse/infra/mocks";
import { WORKSPACE_ROOT } from "../platform/program.js";

/** Deployment-specific keys a stack file leaves to `pulumi config set`: harmless stand-ins. */
export const STAND_INS: Record<string, string> = {
  "openaq-lakehouse:alertEmail": "cost-estimate@example.org",
  "openaq-lakehouse:airflowAdminPassword": "stand-in-password-for-the-estimate",
  "openaq-lakehouse:openaqApiKey": "stand-in-openaq-api-key-for-the-estimate",
};

async function main(): Promise<void> {
  const [stack, out, platformOutputs] = process.argv.slice(2);
  if (!stack || !out) throw new Error("usage: run-stack.ts <stack> <out.json> [platform-outputs.json]");
  const config = readStackConfig(resolve(WORKSPACE_ROOT, `Pulumi.${stack}.yaml`));
  const recorded = await installMocks({
    stack,
    config: { ...STAND_INS, ...config, ...(JSON.parse(process.env.OPENAQ_COST_CONFIG ?? "{}") as object) },
    stackOutputs: platformOutputs ? JSON.parse(readFileSync(platformOutputs, "utf8")) : {},
  });
  const { default: program } = await import("../index.js");
  const outputs = await program();
  await settle(outputs, recorded.resources);
  const values: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(outputs)) values[k] = await resolved(v);
  const resources = recorded.resources.map(({ type, name, inputs, id }) => ({ type, name, inputs, id }));
  writeFileSync(out, JSON.stringify({ stack, resources, outputs: values }));
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
