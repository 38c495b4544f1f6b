import { awsContainerEnvironment, ENVIRONMENTS, lakeUri } from "@openaq-lakehouse/pipeline-core";
import { CONTAINER_AWS_DIR, hostCredentialsDir } from "../iam/pipeline-profiles.js";
import { LOCAL_FORWARDED_VARIABLES, renderCompose } from "./compose.js";
import { dagId, LOCAL_LAKE_MOUNT, type RenderedDagSpec, renderDagSpec } from "./dag-spec.js";
import { IMAGE_FILE } from "./host-script.js";
import { DEFAULT_EXTRACTOR_MEMORY_MIB, memoryBudget } from "./memory.js";
import {
  type AirflowBundleOptions,
  AirflowConfigError,
  DEFAULT_SCHEDULES,
  type LocalBundleOptions,
  validateBundleOptions,
  validateLocalOptions,
} from "./options.js";
import { FACTORY_MODULE, FACTORY_SOURCE, renderDagFile, renderSpecFile, specFileName } from "./python.js";

export interface AirflowBundleFile {
  /** Path relative to the bundle root (`platform/airflow/` in the bucket). */
  path: string;
  content: string;
}

function filesFor(specs: RenderedDagSpec[], image: string): AirflowBundleFile[] {
  return [
    { path: "docker-compose.yml", content: renderCompose() },
    { path: `dags/${FACTORY_MODULE}.py`, content: FACTORY_SOURCE },
    // The factory is a module, not a DAG file: keep the scheduler's parser away from it.
    { path: "dags/.airflowignore", content: `${FACTORY_MODULE}\\.py\n` },
    ...specs.flatMap((s) => [
      { path: `dags/${s.dagId}.py`, content: renderDagFile(s) },
      { path: `dags/${specFileName(s.dagId)}`, content: renderSpecFile(s) },
    ]),
    { path: IMAGE_FILE, content: `${image}\n` },
  ];
}

/** The per-environment specs of the AWS bundle (exported for tests and for the docs' numbers). */
export function awsDagSpecs(opts: AirflowBundleOptions): RenderedDagSpec[] {
  validateBundleOptions(opts);
  const memoryMiB = opts.extractorMemoryMiB ?? DEFAULT_EXTRACTOR_MEMORY_MIB;
  memoryBudget(memoryMiB);
  const lake = lakeUri(opts.bucketName);
  return ENVIRONMENTS.map((env) => {
    const e = opts.environments.find((x) => x.env === env);
    if (!e) throw new AirflowConfigError(`environments has no entry for ${env}.`); // unreachable after validation
    return renderDagSpec({
      env,
      schedule: e.schedule ?? DEFAULT_SCHEDULES[env],
      startDate: e.startDate,
      image: opts.extractorImage,
      memoryMiB,
      lake,
      region: opts.region,
      alertTopicArn: opts.alertTopicArn,
      // Built and checked by the contract's container-environment parser (pipeline-core).
      environment: awsContainerEnvironment({
        env,
        bucket: opts.bucketName,
        region: opts.region,
        athenaWorkgroup: e.athenaWorkgroup,
        apiKeyParameter: e.apiKeyParameterName,
        // How `catalog` registers the day's partitions: with the crawler option, the DAG starts
        // the environment's crawler.
        catalogMode: e.catalogMode ?? "projection",
        ...(e.glueCrawlerName !== undefined && { crawlerName: e.glueCrawlerName }),
      }),
      forwardEnvironment: [],
      lakeMount: null,
      ...(opts.awsConfigPath !== undefined && e.awsProfile !== undefined
        ? {
            awsConfigMount: {
              // That environment's folder only: its config and the session the host mints for it.
              source: hostCredentialsDir(env),
              target: CONTAINER_AWS_DIR,
            },
            awsProfile: e.awsProfile,
          }
        : {}),
    });
  });
}

/**
 * The files Pulumi uploads under `platform/airflow/` of the bucket; the host's sync job mirrors
 * that prefix into `/opt/openaq-airflow/bundle`. Throws `AirflowConfigError` on invalid options
 * (e.g. an image not pinned by digest) and when the memory budget does not fit the host.
 */
export function airflowBundleFiles(opts: AirflowBundleOptions): AirflowBundleFile[] {
  return filesFor(awsDagSpecs(opts), opts.extractorImage);
}

export function localDagSpecs(opts: LocalBundleOptions): RenderedDagSpec[] {
  validateLocalOptions(opts);
  const memoryMiB = opts.extractorMemoryMiB ?? DEFAULT_EXTRACTOR_MEMORY_MIB;
  memoryBudget(memoryMiB);
  return ENVIRONMENTS.map((env) =>
    renderDagSpec({
      env,
      schedule: DEFAULT_SCHEDULES[env],
      startDate: opts.startDate,
      image: opts.extractorImage,
      memoryMiB,
      lake: LOCAL_LAKE_MOUNT,
      region: null,
      alertTopicArn: null,
      environment: { PIPELINE_ENV: env, LAKE_URI: LOCAL_LAKE_MOUNT },
      // The laptop has no SSM parameter: the key comes from the shell that started Compose.
      forwardEnvironment: [...LOCAL_FORWARDED_VARIABLES],
      lakeMount: { source: opts.lakeHostPath, target: LOCAL_LAKE_MOUNT },
      // The host's network: a local OpenAQ server on the laptop's 127.0.0.1 is reachable.
      networkMode: "host",
    }),
  );
}

/** The same bundle for a laptop: same compose file and factory, DAGs pointed at a local lake folder. */
export function localBundleFiles(opts: LocalBundleOptions): AirflowBundleFile[] {
  return filesFor(localDagSpecs(opts), opts.extractorImage);
}

export { dagId };
