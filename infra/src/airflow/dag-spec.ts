import {
  DEFAULT_LOOKBACK_DAYS,
  type Environment,
  PIPELINE_STEPS,
  type PipelineStep,
} from "@openaq-lakehouse/pipeline-core";
import { DAG_SPEC_FORMAT } from "./python.js";

/**
 * THE definition of the ingestion DAG. Both `openaq_ingestion_dev` and `openaq_ingestion_prod` are
 * rendered from `TASK_CHAIN` and `renderDagSpec`, and nothing else, so the two cannot drift: they
 * differ only in the environment-specific values (env name, schedule, start date, parameter names).
 */

export { PIPELINE_STEPS, type PipelineStep };

export interface RetryPolicy {
  retries: number;
  /** First delay between tries. */
  delaySeconds: number;
  /** Doubles the delay at each try (Airflow's `retry_exponential_backoff`), up to `maxDelaySeconds`. */
  exponentialBackoff: boolean;
  maxDelaySeconds: number;
}

export interface TaskDefinition {
  /** Task id in Airflow; equals the CLI command it runs. */
  id: PipelineStep;
  retry: RetryPolicy;
  /** Airflow's `execution_timeout`: a hung container is killed and the try fails. */
  timeoutMinutes: number;
  doc: string;
}

const ONE_QUICK_RETRY: RetryPolicy = {
  retries: 1,
  delaySeconds: 120,
  exponentialBackoff: false,
  maxDelaySeconds: 120,
};

/**
 * The chain extract → transform → catalog → views → validate. Only extract talks to the OpenAQ API
 * (rate limits, 5xx), so only extract retries with backoff; the later steps work on the lake and
 * the catalog, where one quick retry covers a transient AWS error and more would only delay the alert.
 * validate never retries: an empty or stale view is a finding, not a glitch.
 */
export const TASK_CHAIN: readonly TaskDefinition[] = [
  {
    id: "extract",
    retry: { retries: 4, delaySeconds: 300, exponentialBackoff: true, maxDelaySeconds: 3600 },
    timeoutMinutes: 90,
    doc: "OpenAQ API v3 → raw JSON for the logical date (the UTC day).",
  },
  {
    id: "transform",
    retry: ONE_QUICK_RETRY,
    timeoutMinutes: 45,
    doc: "raw → processed Snappy Parquet (+ quarantine); replaces the day's partition.",
  },
  {
    id: "catalog",
    retry: ONE_QUICK_RETRY,
    timeoutMinutes: 15,
    doc: "Makes the day's partitions queryable in the Glue catalog.",
  },
  {
    id: "views",
    retry: ONE_QUICK_RETRY,
    timeoutMinutes: 15,
    doc: "Creates or replaces the serving views in Athena.",
  },
  {
    id: "validate",
    retry: { retries: 0, delaySeconds: 0, exponentialBackoff: false, maxDelaySeconds: 0 },
    timeoutMinutes: 15,
    doc: "Fails when a serving view is empty or stale.",
  },
];

/** Airflow's template for the logical date (`YYYY-MM-DD`), i.e. the UTC day the run processes. */
export const LOGICAL_DATE_TEMPLATE = "{{ ds }}";
/** One slot: at most one extractor container on the host at any time, across both DAGs. */
export const EXTRACTOR_POOL = "openaq_extractor";
export { DAG_SPEC_FORMAT };
/** Where the local-mode lake folder appears inside the extractor container. */
export const LOCAL_LAKE_MOUNT = "/lake";

export function dagId(env: Environment): string {
  return `openaq_ingestion_${env}`;
}

/**
 * Extra CLI arguments per step, appended to every DAG's command of that step (both environments,
 * AWS and local). The place for step flags that are part of the pipeline's contract, e.g. the
 * lookback of extract/transform: `{ extract: ["--lookback", String(DEFAULT_LOOKBACK_DAYS)], … }`.
 */
export const STEP_EXTRA_ARGS: Readonly<Partial<Record<PipelineStep, readonly string[]>>> = {
  // OpenAQ data arrives late: each run redoes the days before its own too (write-once raw means an
  // unchanged answer adds nothing).
  extract: ["--lookback", String(DEFAULT_LOOKBACK_DAYS)],
  transform: ["--lookback", String(DEFAULT_LOOKBACK_DAYS)],
};

/** The argument vector of one step (the image's entrypoint is `openaq-pipeline`). */
export function stepCommand(
  step: PipelineStep,
  env: Environment,
  lake: string,
  extraArgs: readonly string[] = STEP_EXTRA_ARGS[step] ?? [],
): string[] {
  return [
    step,
    "--env",
    env,
    "--date",
    LOGICAL_DATE_TEMPLATE,
    "--lake",
    lake,
    "--log-format",
    "json",
    ...extraArgs,
  ];
}

/** The JSON spec of one DAG (`dags/<dag id>.json`), which `openaq_factory.build_dag` turns into a DAG. */
export interface RenderedDagSpec {
  format: string;
  dagId: string;
  env: Environment;
  schedule: string;
  startDate: string;
  catchup: boolean;
  image: string;
  pool: string;
  memLimit: string;
  /** Docker network of the containers: `bridge` on the host, `host` locally (to reach a local API). */
  networkMode: "bridge" | "host";
  /** Region used by the failure callback's SNS client; null in local mode. */
  region: string | null;
  /** SNS topic of failure alerts; null in local mode (alerts are only logged). */
  alertTopicArn: string | null;
  /** Non-secret environment of the container. */
  environment: Record<string, string>;
  /**
   * Names of scheduler environment variables to forward into the container via Airflow's
   * `private_environment` (not rendered in the UI, not stored in the database). Local mode only:
   * on AWS the key is read from SSM by the container, so this is empty.
   */
  forwardEnvironment: string[];
  /** Local mode: the lake folder on the Docker host, bind-mounted at `/lake`. */
  lakeMount: { source: string; target: string } | null;
  /** The environment's AWS folder (config + minted session) mounted read-only; `AWS_CONFIG_FILE`/`AWS_PROFILE` in `environment`. */
  awsConfigMount: { source: string; target: string } | null;
  tasks: Array<{
    id: PipelineStep;
    upstream: PipelineStep[];
    command: string[];
    retries: number;
    retryDelaySeconds: number;
    retryExponentialBackoff: boolean;
    maxRetryDelaySeconds: number;
    timeoutMinutes: number;
    doc: string;
  }>;
}

export interface DagSpecInput {
  env: Environment;
  schedule: string;
  startDate: string;
  image: string;
  memoryMiB: number;
  lake: string;
  region: string | null;
  alertTopicArn: string | null;
  environment: Record<string, string>;
  forwardEnvironment: string[];
  lakeMount: { source: string; target: string } | null;
  awsConfigMount?: { source: string; target: string };
  awsProfile?: string;
  networkMode?: "bridge" | "host";
  /** Per-step extra arguments; default `STEP_EXTRA_ARGS`. */
  extraArgs?: Partial<Record<PipelineStep, readonly string[]>>;
}

export function renderDagSpec(input: DagSpecInput): RenderedDagSpec {
  return {
    format: DAG_SPEC_FORMAT,
    dagId: dagId(input.env),
    env: input.env,
    schedule: input.schedule,
    startDate: input.startDate,
    catchup: true,
    image: input.image,
    pool: EXTRACTOR_POOL,
    memLimit: `${input.memoryMiB}m`,
    networkMode: input.networkMode ?? "bridge",
    region: input.region,
    alertTopicArn: input.alertTopicArn,
    environment: {
      ...input.environment,
      ...(input.awsConfigMount && input.awsProfile
        ? { AWS_CONFIG_FILE: `${input.awsConfigMount.target}/config`, AWS_PROFILE: input.awsProfile }
        : {}),
    },
    forwardEnvironment: [...input.forwardEnvironment],
    lakeMount: input.lakeMount,
    awsConfigMount: input.awsConfigMount ?? null,
    tasks: TASK_CHAIN.map((t, i) => ({
      id: t.id,
      upstream: TASK_CHAIN.slice(Math.max(0, i - 1), i).map((prev) => prev.id),
      command: stepCommand(t.id, input.env, input.lake, (input.extraArgs ?? STEP_EXTRA_ARGS)[t.id] ?? []),
      retries: t.retry.retries,
      retryDelaySeconds: t.retry.delaySeconds,
      retryExponentialBackoff: t.retry.exponentialBackoff,
      maxRetryDelaySeconds: t.retry.maxDelaySeconds,
      timeoutMinutes: t.timeoutMinutes,
      doc: t.doc,
    })),
  };
}
