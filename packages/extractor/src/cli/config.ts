import { PipelineError } from "@openaq-lakehouse/pipeline-core";
import { type CatalogMode, parseCatalogMode } from "../steps/catalog.js";
import { UsageError } from "./args.js";

/**
 * What the CLI reads from the environment besides its flags (the container contract, shared with
 * the Airflow DAGs): where the API is and how to get its key, and the AWS settings of the env.
 */
export interface RuntimeConfig {
  /** OPENAQ_API_KEY, when given directly. Never printed. */
  apiKey: string | undefined;
  /** OPENAQ_API_KEY_PARAMETER: an SSM SecureString holding the key (read with the instance role). */
  apiKeyParameter: string | undefined;
  /** OPENAQ_BASE_URL: an override of the public API (tests point it at a local server). */
  baseUrl: string | undefined;
  region: string | undefined;
  athenaWorkgroup: string | undefined;
  catalogMode: CatalogMode;
  crawlerName: string | undefined;
  client: {
    maxRetries?: number;
    retryBaseMs?: number;
    concurrency?: number;
    requestsPerMinute?: number;
    timeoutMs?: number;
  };
}

function nonEmpty(v: string | undefined): string | undefined {
  return v !== undefined && v.trim() !== "" ? v.trim() : undefined;
}

function wholeNumber(vars: NodeJS.ProcessEnv, name: string, min: number): number | undefined {
  const raw = nonEmpty(vars[name]);
  if (raw === undefined) return undefined;
  if (!/^\d+$/.test(raw) || Number(raw) < min) {
    throw new UsageError(`Invalid ${name} ${JSON.stringify(raw)}: expected a whole number >= ${min}.`);
  }
  return Number(raw);
}

export function readRuntimeConfig(vars: NodeJS.ProcessEnv): RuntimeConfig {
  let catalogMode: CatalogMode;
  try {
    catalogMode = parseCatalogMode(nonEmpty(vars.CATALOG_MODE));
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const baseUrl = nonEmpty(vars.OPENAQ_BASE_URL);
  if (baseUrl !== undefined && !/^https?:\/\/\S+$/.test(baseUrl)) {
    throw new UsageError(`Invalid OPENAQ_BASE_URL ${JSON.stringify(baseUrl)}: expected an http(s) URL.`);
  }
  const client: RuntimeConfig["client"] = {};
  const maxRetries = wholeNumber(vars, "OPENAQ_MAX_RETRIES", 0);
  const retryBaseMs = wholeNumber(vars, "OPENAQ_RETRY_BASE_MS", 0);
  const concurrency = wholeNumber(vars, "OPENAQ_CONCURRENCY", 1);
  const requestsPerMinute = wholeNumber(vars, "OPENAQ_REQUESTS_PER_MINUTE", 1);
  const timeoutMs = wholeNumber(vars, "OPENAQ_TIMEOUT_MS", 1);
  if (maxRetries !== undefined) client.maxRetries = maxRetries;
  if (retryBaseMs !== undefined) client.retryBaseMs = retryBaseMs;
  if (concurrency !== undefined) client.concurrency = concurrency;
  if (requestsPerMinute !== undefined) client.requestsPerMinute = requestsPerMinute;
  if (timeoutMs !== undefined) client.timeoutMs = timeoutMs;
  return {
    apiKey: nonEmpty(vars.OPENAQ_API_KEY),
    apiKeyParameter: nonEmpty(vars.OPENAQ_API_KEY_PARAMETER),
    baseUrl,
    region: nonEmpty(vars.AWS_REGION) ?? nonEmpty(vars.AWS_DEFAULT_REGION),
    athenaWorkgroup: nonEmpty(vars.ATHENA_WORKGROUP),
    catalogMode,
    crawlerName: nonEmpty(vars.GLUE_CRAWLER_NAME),
    client,
  };
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
  if (!lake.startsWith("s3://")) return { kind: "fixtures" };
  return { kind: "live", baseUrl: undefined, key: "none" };
}

export function missingKeyError(): PipelineError {
  return new PipelineError(
    "API_KEY_MISSING",
    "No OpenAQ API key: set OPENAQ_API_KEY, or OPENAQ_API_KEY_PARAMETER to the name of the SSM parameter that holds it.",
  );
}

const oneLine = (s: string): string => s.replace(/\s+/g, " ").trim();

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
    if (e instanceof PipelineError) throw e;
    const kind = (e as { name?: string }).name ?? "Error";
    // The SDK's "Region is missing" is a plain Error: without a region there is no SSM to ask.
    if (region === undefined && /region is missing/i.test((e as Error).message ?? "")) {
      throw new PipelineError(
        "AWS_REGION_MISSING",
        `OPENAQ_API_KEY_PARAMETER is set but no AWS region is: set AWS_REGION to the region of the SSM parameter ${name}.`,
        { cause: e },
      );
    }
    const why =
      kind === "ParameterNotFound"
        ? "it does not exist"
        : kind === "CredentialsProviderError"
          ? "no AWS credentials were found"
          : kind === "AccessDeniedException"
            ? "access was denied"
            : `${kind}: ${oneLine((e as Error).message ?? "").replace(/\.$/, "") || "no details"}`;
    throw new PipelineError(
      "API_KEY_PARAMETER_UNREADABLE",
      `Cannot read the OpenAQ API key from SSM parameter ${name}: ${why}.`,
      {
        cause: e,
      },
    );
  } finally {
    ssm.destroy();
  }
}
