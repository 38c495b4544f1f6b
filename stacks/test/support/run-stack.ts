import { resolve } from "node:path";
import {
  installMocks,
  type MockedStack,
  readStackConfig,
  registeredUrns,
  settle,
  typeChain,
} from "@openaq-lakehouse/infra/mocks";
import type { Environment } from "@openaq-lakehouse/pipeline-core";
import { PLATFORM_OUTPUTS } from "./platform-outputs.js";

/**
 * Each stack's Pulumi program run from its real stack file against the mocks, with test values for
 * the keys a stack file leaves to `pulumi config set`.
 */

export const ROOT = resolve(import.meta.dirname, "../../..");
export const TEST_API_KEY = "test-openaq-api-key-0123456789";

/** Runs the program of environment stack `env`, its StackReference seeing PLATFORM_OUTPUTS. */
export function runEnvironmentStack(
  env: Environment,
  extraConfig: Record<string, string> = {},
): Promise<{ stack: MockedStack; outputs: Record<string, unknown> }> {
  return runStack(env, { "openaq-lakehouse:openaqApiKey": TEST_API_KEY, ...extraConfig }, PLATFORM_OUTPUTS);
}

/** Runs the platform stack's program. */
export function runPlatformStack(
  extraConfig: Record<string, string> = {},
): Promise<{ stack: MockedStack; outputs: Record<string, unknown> }> {
  return runStack("platform", {
    "openaq-lakehouse:alertEmail": "alerts@example.org",
    "openaq-lakehouse:airflowAdminPassword": "correct horse battery",
    ...extraConfig,
  });
}

async function runStack(
  name: string,
  config: Record<string, string>,
  stackOutputs?: Record<string, unknown>,
): Promise<{ stack: MockedStack; outputs: Record<string, unknown> }> {
  const stack = await installMocks({
    stack: name,
    config: { ...readStackConfig(resolve(ROOT, `Pulumi.${name}.yaml`)), ...config },
    ...(stackOutputs ? { stackOutputs } : {}),
  });
  const { default: main } = await import("../../src/index.js");
  const outputs = await main();
  await settle(outputs, stack.resources);
  return { stack, outputs };
}

/**
 * The URNs of the cloud resources the run registered (their type matching `cloud`), and those of
 * them registered outside every one of the project's components (`openaq:` types).
 */
export function cloudResourceUrns(cloud: RegExp): { all: string[]; outsideComponents: string[] } {
  const all = registeredUrns().filter((u) => cloud.test(typeChain(u).at(-1) ?? ""));
  return { all, outsideComponents: all.filter((u) => !typeChain(u).some((t) => t.startsWith("openaq:"))) };
}
