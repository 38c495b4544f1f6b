import {
  awsError,
  type ContainerConfig,
  isPipelineError,
  isS3Lake,
  PipelineError,
  parseContainerEnv,
} from "@openaq-lakehouse/pipeline-core";
import { UsageError } from "./args.js";

/**
 * What the CLI reads from the environment besides its flags: the container contract of
 * pipeline-core (`CONTAINER_ENV_VARS`, parsed by `parseContainerEnv`), shared with the DAGs.
 */
export type RuntimeConfig = ContainerConfig;

/** The container environment, parsed by the contract's one parser; a bad value is a usage error (exit 2). */
export function readRuntimeConfig(vars: NodeJS.ProcessEnv): RuntimeConfig {
  try {
    return parseContainerEnv(vars);
  } catch (e) {
    if (isPipelineError(e)) throw new UsageError(e.message);
    throw e;
  }
}

/** Where extract gets its data: decided once per run (see `apiSource`). */
export type ApiSource =
  | { kind: "live"; baseUrl: string | undefined; key: "env" | "ssm" | "none" }
  | { kind: "fixtures" };

/**
 * The offline/online choice (the README's main job): a key (or its SSM parameter) means the real
 * API, or OPENAQ_BASE_URL when set; no key and no base URL on a local lake means the bundled
 * fixtures served in-process; no key on an S3 lake is a configuration error. A base URL without a
 * key is passed through (the server then answers 401 with its own clear message).
 */
export function apiSource(config: RuntimeConfig, lake: string): ApiSource {
  const key = config.apiKey ? "env" : config.apiKeyParameter ? "ssm" : "none";
  if (key !== "none" || config.baseUrl !== undefined) return { kind: "live", baseUrl: config.baseUrl, key };
  if (!isS3Lake(lake)) return { kind: "fixtures" };
  return { kind: "live", baseUrl: undefined, key: "none" };
}

export function missingKeyError(): PipelineError {
  return new PipelineError(
    "API_KEY_MISSING",
    "No OpenAQ API key: set OPENAQ_API_KEY, or OPENAQ_API_KEY_PARAMETER to the name of the SSM parameter that holds it.",
  );
}

/** Reads the key from SSM (SecureString, decrypted with the instance role's permission). */
export async function readApiKeyParameter(name: string, region: string | undefined): Promise<string> {
  const { GetParameterCommand, SSMClient } = await import("@aws-sdk/client-ssm");
  const ssm = new SSMClient(region ? { region } : {});
  try {
    const res = await ssm.send(new GetParameterCommand({ Name: name, WithDecryption: true }));
    const value = res.Parameter?.Value;
    if (!value)
      throw new PipelineError("API_KEY_PARAMETER_EMPTY", `The SSM parameter ${name} holds no value.`);
    return value;
  } catch (e) {
    throw awsError(e, {
      service: "SSM",
      operation: "GetParameter",
      failed: `Cannot read the OpenAQ API key from SSM parameter ${name}`,
      codes: { other: "API_KEY_PARAMETER_UNREADABLE", noCredentials: "API_KEY_PARAMETER_UNREADABLE" },
      sentences: {
        noRegion: `OPENAQ_API_KEY_PARAMETER is set but no AWS region is: set AWS_REGION to the region of the SSM parameter ${name}.`,
      },
    });
  } finally {
    ssm.destroy();
  }
}
