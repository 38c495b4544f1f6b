import { resolve } from "node:path";
import { installMocks, type MockedStack, readStackConfig, settle } from "@openaq-lakehouse/infra/mocks";
import type { Environment } from "@openaq-lakehouse/pipeline-core";
import { PLATFORM_OUTPUTS } from "./platform-outputs.js";

export const ROOT = resolve(import.meta.dirname, "../../..");
export const TEST_API_KEY = "test-openaq-api-key-0123456789";

/** Runs the program of environment stack `env` from its real stack file, against mocks. */
export async function runEnvironmentStack(
  env: Environment,
  extraConfig: Record<string, string> = {},
): Promise<{ stack: MockedStack; outputs: Record<string, unknown> }> {
  const stack = await installMocks({
    stack: env,
    config: {
      ...readStackConfig(resolve(ROOT, `Pulumi.${env}.yaml`)),
      "openaq-lakehouse:openaqApiKey": TEST_API_KEY,
      ...extraConfig,
    },
    stackOutputs: PLATFORM_OUTPUTS,
  });
  const { default: main } = await import("../../src/index.js");
  const outputs = await main();
  await settle(outputs, stack.resources);
  return { stack, outputs };
}
