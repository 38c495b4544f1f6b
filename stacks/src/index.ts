import { assertEnvironment, ENVIRONMENTS, isEnvironment } from "@openaq-lakehouse/pipeline-core";
import * as pulumi from "@pulumi/pulumi";
import { ConfigError, ConfigReader, pulumiConfig } from "./config/config-reader.js";
import { readEnvironmentConfig } from "./config/environment-config.js";
import { readPlatformConfig } from "./config/platform-config.js";
import { environmentProgram } from "./environment/program.js";
import { platformProgram } from "./platform/program.js";

/** The stack that owns the shared platform; every other stack is an environment. */
export const PLATFORM_STACK = "platform";

/**
 * The Pulumi program of every stack of the project (Pulumi.yaml `main`). The stack name picks the
 * composition: `platform`, or an environment (`dev`, `prod`). Pulumi calls the default export and
 * publishes what it returns as the stack outputs.
 */
export default async function main(): Promise<Record<string, pulumi.Output<unknown>>> {
  const stack = pulumi.getStack();
  const cfg = new ConfigReader(pulumiConfig(), stack);
  const aws = new ConfigReader(pulumiConfig("aws"), stack);
  if (stack === PLATFORM_STACK) return { ...platformProgram(readPlatformConfig(cfg, aws)) };
  if (!isEnvironment(stack)) {
    throw new ConfigError(
      `Stack '${stack}' is neither '${PLATFORM_STACK}' nor an environment (${ENVIRONMENTS.join(", ")}).`,
      [],
    );
  }
  const env = assertEnvironment(stack);
  const defaultPlatformStack = `${pulumi.getOrganization()}/${pulumi.getProject()}/${PLATFORM_STACK}`;
  const config = readEnvironmentConfig(env, cfg, aws, { platformStack: defaultPlatformStack });
  return { ...(await environmentProgram(config)) };
}
