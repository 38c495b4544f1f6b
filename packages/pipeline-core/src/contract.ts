import { PipelineError } from "./errors.js";
import {
  assertEnvironment,
  athenaResultsPrefix,
  ENVIRONMENTS,
  type Environment,
  isEnvironment,
  layerPrefix,
} from "./layout.js";
import { OPENAQ_ARCHIVE_BUCKET, OPENAQ_ARCHIVE_ROOT } from "./openaq-archive.js";

/**
 * The pipeline↔deployment contract: what the pipeline does that the deployment must allow and wire.
 * The CLI, the Airflow DAGs (`infra/`) and the stacks import these; nothing spells them a second time.
 */

/** The steps of one day, in order: one CLI command each, one Airflow task each. */
export const PIPELINE_STEPS = ["extract", "transform", "catalog", "views", "validate"] as const;
export type PipelineStep = (typeof PIPELINE_STEPS)[number];

/** How `catalog` makes new partitions queryable on AWS (a no-op on a local lake). */
export const CATALOG_MODES = ["projection", "partitions", "crawler"] as const;
export type CatalogMode = (typeof CATALOG_MODES)[number];

/** Days before the run's day that `run`/`extract`/`transform` redo by default: OpenAQ data arrives late. */
export const DEFAULT_LOOKBACK_DAYS = 2;

/** A day counts as complete only this long after it ended (OpenAQ's own archive delay). */
export const LATENESS_WINDOW_HOURS = 72;

/** Pipeline bookkeeping outside the data layers: run records (`{env}/_state/`). */
export function statePrefix(env: Environment): string {
  return `${assertEnvironment(env)}/_state/`;
}

/** Writer leases, one object per (dataset, day) holder (`{env}/_leases/`). */
export function leasePrefix(env: Environment): string {
  return `${assertEnvironment(env)}/_leases/`;
}

/** Intermediate output of engines that write outside our layout before it is published (`{env}/_staging/`). */
export function stagingPrefix(env: Environment): string {
  return `${assertEnvironment(env)}/_staging/`;
}

export function parseCatalogModeValue(value: string | undefined): CatalogMode {
  if (value === undefined) return "projection";
  if ((CATALOG_MODES as readonly string[]).includes(value)) return value as CatalogMode;
  throw new PipelineError(
    "INVALID_CATALOG_MODE",
    `Unknown CATALOG_MODE ${JSON.stringify(value)}: expected one of ${CATALOG_MODES.join(", ")}.`,
  );
}

// ---------------------------------------------------------------------------------------------
// The lake prefixes the pipeline touches, and what it does on each (IAM action names). The
// deployment grants exactly these on `{env}/…` of the data bucket; nothing else is granted.
// ---------------------------------------------------------------------------------------------

/** Object-level S3 actions (IAM names) the pipeline may need on a prefix. */
export const S3_OBJECT_ACTIONS = [
  "s3:GetObject",
  "s3:PutObject",
  "s3:DeleteObject",
  "s3:AbortMultipartUpload",
  "s3:ListMultipartUploadParts",
] as const;
export type S3ObjectAction = (typeof S3_OBJECT_ACTIONS)[number];

/** Every object action: what an area the pipeline writes, replaces and cleans up needs. */
const READ_WRITE_DELETE: readonly S3ObjectAction[] = S3_OBJECT_ACTIONS;

export const LAKE_AREAS = [
  "raw",
  "processed",
  "quarantine",
  "state",
  "leases",
  "staging",
  "athena-results",
] as const;
export type LakeArea = (typeof LAKE_AREAS)[number];

export interface LakeAreaContract {
  area: LakeArea;
  /** The key prefix of the area for one environment (ends in `/`). */
  prefix(env: Environment): string;
  /** Object actions under the prefix; every area is also listed (`s3:ListBucket` with `s3:prefix`). */
  objectActions: readonly S3ObjectAction[];
  /** One line for the documentation's principal table. */
  purpose: string;
}

/**
 * Every prefix the pipeline reads or writes. Raw is write-once: created with a conditional
 * PutObject (`If-None-Match: *`), read and listed, never deleted or overwritten by the pipeline
 * role, so a bug or a stolen session cannot destroy the only copy of what the API returned.
 */
export const LAKE_CONTRACT: readonly LakeAreaContract[] = [
  {
    area: "raw",
    prefix: (env) => layerPrefix(env, "raw"),
    objectActions: ["s3:GetObject", "s3:PutObject"],
    purpose: "API responses as returned, write-once (create, read, list; never delete)",
  },
  {
    area: "processed",
    prefix: (env) => layerPrefix(env, "processed"),
    objectActions: READ_WRITE_DELETE,
    purpose: "Parquet partitions, replaced a day at a time",
  },
  {
    area: "quarantine",
    prefix: (env) => layerPrefix(env, "quarantine"),
    objectActions: READ_WRITE_DELETE,
    purpose: "rejected records with their reasons, replaced a day at a time",
  },
  {
    area: "state",
    prefix: statePrefix,
    objectActions: ["s3:GetObject", "s3:PutObject"],
    purpose: "run records (`run`, `backfill`)",
  },
  {
    area: "leases",
    prefix: leasePrefix,
    objectActions: ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
    purpose: "writer leases, one per (dataset, day) holder",
  },
  {
    area: "staging",
    prefix: stagingPrefix,
    objectActions: READ_WRITE_DELETE,
    purpose: "engine output before it is published (archive backfill)",
  },
  {
    area: "athena-results",
    prefix: athenaResultsPrefix,
    objectActions: READ_WRITE_DELETE,
    purpose: "Athena query results of the environment's workgroup",
  },
];

/** A read of another bucket than the lake's. */
export interface ExternalReadContract {
  source: string;
  bucket: string;
  /** Key prefix the reads stay under (also the only prefix listed). */
  prefix: string;
  objectActions: readonly string[];
  purpose: string;
}

/**
 * Reads outside the lake. The OpenAQ archive is public: the local engine of `backfill --source
 * archive` reads it unsigned and needs no grant, but Athena (`--engine athena`) reads it with the
 * pipeline role's credentials, so that role must be allowed to read and list it.
 */
export const EXTERNAL_READS: readonly ExternalReadContract[] = [
  {
    source: "openaq-archive",
    bucket: OPENAQ_ARCHIVE_BUCKET,
    prefix: OPENAQ_ARCHIVE_ROOT,
    objectActions: ["s3:GetObject"],
    purpose: "the OpenAQ archive's gzip CSVs, read by Athena for backfill --engine athena",
  },
];

export function lakeAreaContract(area: LakeArea): LakeAreaContract {
  const found = LAKE_CONTRACT.find((a) => a.area === area);
  if (!found) throw new PipelineError("UNKNOWN_LAKE_AREA", `Unknown lake area ${JSON.stringify(area)}.`);
  return found;
}

/** The area a bucket key belongs to for `env`, or undefined when the key is outside every area of `env`. */
export function lakeAreaOfKey(env: Environment, key: string): LakeAreaContract | undefined {
  return LAKE_CONTRACT.find((a) => key.startsWith(a.prefix(env)));
}

// ---------------------------------------------------------------------------------------------
// The AWS calls besides S3 that the pipeline makes (or that Athena makes on its behalf), with the
// kind of resource each one is checked against. The deployment turns each kind into ARNs.
// ---------------------------------------------------------------------------------------------

/** What an action is checked on: the env's Glue catalog/database/tables/views, workgroup, crawler, API key. */
export type ServiceResourceKind =
  | "glue-catalog"
  | "glue-database"
  | "glue-tables"
  | "glue-views"
  | "glue-archive-table"
  | "athena-workgroup"
  | "glue-crawler"
  | "api-key-parameter";

export interface ServiceCallContract {
  /** IAM action, e.g. `glue:GetTable`. */
  action: string;
  on: readonly ServiceResourceKind[];
  /** The steps that make the call (directly, or through Athena for the Glue actions of DDL). */
  steps: readonly (PipelineStep | "backfill")[];
  /** Only when this catalog mode is configured. */
  catalogMode?: CatalogMode;
  why: string;
}

const GLUE_TABLE_SCOPE: readonly ServiceResourceKind[] = ["glue-catalog", "glue-database", "glue-tables"];
const GLUE_VIEW_SCOPE: readonly ServiceResourceKind[] = ["glue-catalog", "glue-database", "glue-views"];
const GLUE_ALL: readonly ServiceResourceKind[] = [
  "glue-catalog",
  "glue-database",
  "glue-tables",
  "glue-views",
];
const QUERY_STEPS = ["views", "validate", "backfill"] as const;

export const SERVICE_CONTRACT: readonly ServiceCallContract[] = [
  {
    action: "ssm:GetParameter",
    on: ["api-key-parameter"],
    steps: ["extract", "backfill"],
    why: "the env's OpenAQ API key (OPENAQ_API_KEY_PARAMETER)",
  },
  {
    action: "glue:GetTable",
    on: GLUE_ALL,
    steps: ["catalog", ...QUERY_STEPS],
    why: "catalog checks each table; Athena reads tables and views for every query",
  },
  {
    action: "glue:GetTable",
    on: ["glue-catalog", "glue-database", "glue-archive-table"],
    steps: ["backfill"],
    why: "Athena reads the OpenAQ archive's table (backfill --source archive --engine athena)",
  },
  {
    action: "glue:GetDatabase",
    on: ["glue-catalog", "glue-database"],
    steps: QUERY_STEPS,
    why: "Athena resolves the query's database",
  },
  {
    action: "glue:GetPartitions",
    on: GLUE_TABLE_SCOPE,
    steps: QUERY_STEPS,
    why: "Athena lists partitions of tables without projection",
  },
  {
    action: "glue:BatchCreatePartition",
    on: GLUE_TABLE_SCOPE,
    steps: ["catalog", "backfill"],
    catalogMode: "partitions",
    why: "registers the day's partitions",
  },
  {
    action: "glue:CreateTable",
    on: GLUE_VIEW_SCOPE,
    steps: ["views", "backfill"],
    why: "CREATE OR REPLACE VIEW creates the view's Glue table",
  },
  {
    action: "glue:UpdateTable",
    on: GLUE_VIEW_SCOPE,
    steps: ["views", "backfill"],
    why: "CREATE OR REPLACE VIEW replaces the view's Glue table",
  },
  {
    action: "glue:StartCrawler",
    on: ["glue-crawler"],
    steps: ["catalog", "backfill"],
    catalogMode: "crawler",
    why: "starts the env's crawler",
  },
  {
    action: "glue:GetCrawler",
    on: ["glue-crawler"],
    steps: ["catalog", "backfill"],
    catalogMode: "crawler",
    why: "waits for the crawler",
  },
  ...(
    [
      "athena:StartQueryExecution",
      "athena:GetQueryExecution",
      "athena:GetQueryResults",
      "athena:StopQueryExecution",
      "athena:GetWorkGroup",
    ] as const
  ).map(
    (action): ServiceCallContract => ({
      action,
      on: ["athena-workgroup"],
      steps: QUERY_STEPS,
      why: "queries run in the env's workgroup (ATHENA_WORKGROUP)",
    }),
  ),
];

// ---------------------------------------------------------------------------------------------
// The container's environment: the variables the CLI reads and the DAGs set, and their one parser.
// ---------------------------------------------------------------------------------------------

export const CONTAINER_ENV_VARS = {
  PIPELINE_ENV: "environment, dev or prod (the --env default)",
  LAKE_URI: "the lake: a folder path or s3://bucket (the --lake default)",
  OPENAQ_API_KEY: "the OpenAQ API key itself (local runs; never logged)",
  OPENAQ_API_KEY_PARAMETER: "name of the SSM SecureString holding the key (AWS)",
  OPENAQ_BASE_URL: "an https:// (or loopback http://) override of the OpenAQ API",
  AWS_REGION: "the AWS region (AWS_DEFAULT_REGION is accepted too)",
  ATHENA_WORKGROUP: "the environment's Athena workgroup (views, validate, query on S3)",
  CATALOG_MODE: `how catalog registers partitions: ${CATALOG_MODES.join(", ")} (default projection)`,
  GLUE_CRAWLER_NAME: "the environment's crawler (CATALOG_MODE=crawler)",
  OPENAQ_MAX_RETRIES: "API retries per request (whole number >= 0)",
  OPENAQ_RETRY_BASE_MS: "first retry delay in ms (whole number >= 0)",
  OPENAQ_CONCURRENCY: "parallel API requests (whole number >= 1)",
  OPENAQ_REQUESTS_PER_MINUTE: "API request budget per minute (whole number >= 1)",
  OPENAQ_TIMEOUT_MS: "per-request timeout in ms (whole number >= 1)",
  OPENAQ_ARCHIVE_URI: `the OpenAQ archive for backfill --source archive: s3://bucket or a folder (default s3://${OPENAQ_ARCHIVE_BUCKET}, read without credentials)`,
  OPENAQ_ARCHIVE_ENDPOINT: "an S3-compatible endpoint for OPENAQ_ARCHIVE_URI (default AWS)",
} as const;
export type ContainerEnvVar = keyof typeof CONTAINER_ENV_VARS;

/** What the pipeline reads from its environment besides its flags. */
export interface ContainerConfig {
  env: Environment | undefined;
  lake: string | undefined;
  /** OPENAQ_API_KEY, when given directly. Never printed. */
  apiKey: string | undefined;
  apiKeyParameter: string | undefined;
  baseUrl: string | undefined;
  region: string | undefined;
  athenaWorkgroup: string | undefined;
  catalogMode: CatalogMode;
  crawlerName: string | undefined;
  /** Where `backfill --source archive` reads the OpenAQ archive. */
  archiveUri: string;
  archiveEndpoint: string | undefined;
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

function invalidEnv(name: ContainerEnvVar, raw: string, expected: string): PipelineError {
  return new PipelineError(
    "INVALID_ENVIRONMENT_VARIABLE",
    `Invalid ${name} ${JSON.stringify(raw)}: ${expected}.`,
  );
}

function wholeNumber(
  vars: Readonly<Record<string, string | undefined>>,
  name: ContainerEnvVar,
  min: number,
): number | undefined {
  const raw = nonEmpty(vars[name]);
  if (raw === undefined) return undefined;
  if (!/^\d+$/.test(raw) || Number(raw) < min)
    throw invalidEnv(name, raw, `expected a whole number >= ${min}`);
  return Number(raw);
}

/** Loopback hosts, where a plain-http OpenAQ server (tests, the offline demo) sends nothing over a network. */
function isLoopback(hostname: string): boolean {
  return hostname === "localhost" || hostname === "[::1]" || /^127(\.\d{1,3}){3}$/.test(hostname);
}

/** An API base URL the key may be sent to: https, or http on loopback only. */
export function parseApiBaseUrl(value: string, name = "OPENAQ_BASE_URL"): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new PipelineError(
      "INVALID_ENVIRONMENT_VARIABLE",
      `Invalid ${name} ${JSON.stringify(value)}: expected an https URL.`,
    );
  }
  if (url.protocol === "https:" || (url.protocol === "http:" && isLoopback(url.hostname))) return value;
  throw new PipelineError(
    "INVALID_ENVIRONMENT_VARIABLE",
    `Invalid ${name} ${JSON.stringify(value)}: expected an https URL (plain http only on localhost), so the API key never travels in clear text.`,
  );
}

/**
 * The one parser of the container's environment (CLI, DAGs, tests). Empty values count as unset;
 * a malformed value is a `PipelineError` naming the variable.
 */
export function parseContainerEnv(vars: Readonly<Record<string, string | undefined>>): ContainerConfig {
  const catalogMode = parseCatalogModeValue(nonEmpty(vars.CATALOG_MODE));
  const envValue = nonEmpty(vars.PIPELINE_ENV);
  if (envValue !== undefined && !isEnvironment(envValue)) {
    throw invalidEnv("PIPELINE_ENV", envValue, `expected one of ${ENVIRONMENTS.join(", ")}`);
  }
  const lake = nonEmpty(vars.LAKE_URI);
  if (lake !== undefined) parseLakeUri(lake);
  const baseUrlRaw = nonEmpty(vars.OPENAQ_BASE_URL);
  const baseUrl = baseUrlRaw === undefined ? undefined : parseApiBaseUrl(baseUrlRaw);
  const client: ContainerConfig["client"] = {};
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
    env: envValue as Environment | undefined,
    lake,
    apiKey: nonEmpty(vars.OPENAQ_API_KEY),
    apiKeyParameter: nonEmpty(vars.OPENAQ_API_KEY_PARAMETER),
    baseUrl,
    region: nonEmpty(vars.AWS_REGION) ?? nonEmpty(vars.AWS_DEFAULT_REGION),
    athenaWorkgroup: nonEmpty(vars.ATHENA_WORKGROUP),
    catalogMode,
    crawlerName: nonEmpty(vars.GLUE_CRAWLER_NAME),
    archiveUri: nonEmpty(vars.OPENAQ_ARCHIVE_URI) ?? `s3://${OPENAQ_ARCHIVE_BUCKET}`,
    archiveEndpoint: nonEmpty(vars.OPENAQ_ARCHIVE_ENDPOINT),
    client,
  };
}

/** What the deployment sets in an environment's pipeline container on AWS. */
export interface AwsContainerSettings {
  env: Environment;
  bucket: string;
  region: string;
  athenaWorkgroup: string;
  apiKeyParameter: string;
  catalogMode?: CatalogMode;
  crawlerName?: string;
}

/** The container environment of an AWS task, built from typed settings and checked by the one parser. */
export function awsContainerEnvironment(s: AwsContainerSettings): Record<string, string> {
  const vars: Partial<Record<ContainerEnvVar, string>> = {
    PIPELINE_ENV: s.env,
    LAKE_URI: lakeUri(s.bucket),
    AWS_REGION: s.region,
    ATHENA_WORKGROUP: s.athenaWorkgroup,
    OPENAQ_API_KEY_PARAMETER: s.apiKeyParameter,
    ...(s.catalogMode !== undefined && { CATALOG_MODE: s.catalogMode }),
    ...(s.crawlerName !== undefined && { GLUE_CRAWLER_NAME: s.crawlerName }),
  };
  parseContainerEnv(vars);
  return vars as Record<string, string>;
}

// ---------------------------------------------------------------------------------------------
// Lake URIs: one answer to "is this S3?" and one bucket-name rule.
// ---------------------------------------------------------------------------------------------

/** S3 bucket names (general purpose): 3-63 of lowercase letters, digits, `.` and `-`, starting and ending alphanumeric, not an IP address. */
export function isValidBucketName(name: string): boolean {
  return (
    /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(name) &&
    !/\.\.|\.-|-\./.test(name) &&
    !/^\d{1,3}(\.\d{1,3}){3}$/.test(name) &&
    !name.startsWith("xn--") &&
    !name.endsWith("-s3alias")
  );
}

export type LakeLocation = { kind: "s3"; bucket: string; uri: string } | { kind: "local"; path: string };

/** Whether a lake URI names S3 (the one test every caller uses). */
export function isS3Lake(uri: string): boolean {
  return uri.startsWith("s3://");
}

/** `s3://bucket` of a bucket name (checked). */
export function lakeUri(bucket: string): string {
  const uri = `s3://${bucket}`;
  parseLakeUri(uri);
  return uri;
}

/**
 * The lake at `uri`: `s3://bucket` (a trailing `/` allowed) or a local folder (`file://` accepted).
 * A key prefix after the bucket is refused: the deployment (IAM grants, Glue table locations,
 * Athena results) addresses `{env}/…` at the bucket root, so a prefixed lake would be denied on AWS.
 */
export function parseLakeUri(uri: string): LakeLocation {
  if (uri.trim() === "")
    throw new PipelineError("INVALID_LAKE", "The lake is empty: give a folder path or s3://bucket.");
  if (isS3Lake(uri)) {
    const m = /^s3:\/\/([^/]*)(\/.*)?$/.exec(uri);
    const bucket = m?.[1] ?? "";
    const rest = (m?.[2] ?? "").replace(/^\/+$/, "");
    if (!isValidBucketName(bucket)) {
      throw new PipelineError(
        "INVALID_LAKE",
        `Invalid lake ${JSON.stringify(uri)}: ${JSON.stringify(bucket)} is not an S3 bucket name (3-63 lowercase letters, digits, '.' or '-').`,
      );
    }
    if (rest !== "") {
      throw new PipelineError(
        "INVALID_LAKE",
        `Unsupported lake ${JSON.stringify(uri)}: the lake is a whole bucket (s3://${bucket}); a key prefix is not supported, because the deployment's grants and table locations start at the bucket root.`,
      );
    }
    return { kind: "s3", bucket, uri: `s3://${bucket}` };
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(uri) && !uri.startsWith("file://")) {
    throw new PipelineError(
      "INVALID_LAKE",
      `Unsupported lake ${JSON.stringify(uri)}: use a folder path or s3://bucket.`,
    );
  }
  return { kind: "local", path: uri.replace(/^file:\/\//, "") };
}
