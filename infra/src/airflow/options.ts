import {
  CATALOG_MODES,
  type CatalogMode,
  ENVIRONMENTS,
  type Environment,
  isEnvironment,
  isIsoDay,
} from "@openaq-lakehouse/pipeline-core";

/**
 * Option types for the Airflow host assets and their validation. Everything here is pure: the
 * functions that take these options return strings and never touch Pulumi, the disk or the network,
 * so the infrastructure program can call them inside `pulumi.all(...).apply(...)` and tests can call
 * them directly.
 */

/** Settings of one environment's DAG on the shared Airflow host. */
export interface AirflowEnvironmentSettings {
  /** `dev` or `prod`; the DAG id becomes `openaq_ingestion_{env}`. */
  env: Environment;
  /**
   * Name of the SSM SecureString that holds the OpenAQ API key, e.g. `/openaq-lakehouse/dev/openaq-api-key`.
   * Only the name reaches Airflow: the extractor container reads the value itself with the instance role.
   */
  apiKeyParameterName: string;
  /** Athena workgroup of this environment (the container gets it as `ATHENA_WORKGROUP`). */
  athenaWorkgroup: string;
  /**
   * First logical date (UTC, `YYYY-MM-DD`) of the DAG. With catchup on, unpausing the DAG runs every
   * day from here to yesterday, one run at a time.
   */
  startDate: string;
  /**
   * Cron schedule in UTC. Defaults: dev `0 2 * * *`, prod `30 2 * * *` (staggered so the two
   * environments do not compete for the one extractor slot, and late in the night so the API has the
   * previous day's last hours). A run with logical date D always processes UTC day D.
   */
  schedule?: string;
  /**
   * Profile, in the bundle's AWS config file (`awsConfigPath`), that the extractor containers of
   * this environment run under, e.g. `openaq-pipeline-dev` (a profile that assumes the environment's
   * pipeline role from the instance credentials). Unset: the containers use the instance role itself.
   */
  awsProfile?: string;
  /**
   * How the DAG's `catalog` task makes the day's partitions queryable (default `projection`). With
   * the environment's crawler option enabled, `crawler`, and `glueCrawlerName` names the crawler
   * the task starts.
   */
  catalogMode?: CatalogMode;
  /** The environment's Glue crawler; required with `catalogMode: "crawler"`, forbidden otherwise. */
  glueCrawlerName?: string;
}

/** Options of the bundle uploaded to `s3://{bucket}/platform/airflow/` (see `airflowBundleFiles`). */
export interface AirflowBundleOptions {
  /** AWS region of the stack, e.g. `ap-southeast-1`. */
  region: string;
  /** The shared data bucket name (bare name, no `s3://`); the lake of both environments is `s3://{bucketName}`. */
  bucketName: string;
  /**
   * The extractor image pinned by digest: `{registry}/{repository}@sha256:{64 hex}`. Tags are rejected:
   * a floating tag would let the two environments (or two days of a backfill) run different code.
   */
  extractorImage: string;
  /** ARN of the SNS topic that receives failed-task alerts (published by the DAG's failure callback). */
  alertTopicArn: string;
  /** One entry per environment; exactly `dev` and `prod`, each once. */
  environments: readonly AirflowEnvironmentSettings[];
  /**
   * Memory limit of each extractor container in MiB (default 512). It is part of the host's memory
   * budget, which is checked when the bundle is rendered.
   */
  extractorMemoryMiB?: number;
  /**
   * Bundle-relative path of an AWS shared config file uploaded with the bundle (e.g. `aws/config`),
   * mounted read-only into every extractor container as `AWS_CONFIG_FILE`. Required when an
   * environment sets `awsProfile`, forbidden otherwise.
   */
  awsConfigPath?: string;
}

/**
 * Options of the EC2 user data (see `renderUserData`). A superset of the bundle options so the
 * infrastructure program can pass one object to both functions. The user data itself only embeds
 * what does not change from one release to the next (region, bundle location, registry, admin
 * password parameter, swap size): the image digest and the per-environment settings reach the host
 * through the bundle, so a new image never changes the user data (which would replace the instance
 * and lose the Airflow history).
 */
export interface AirflowHostOptions extends AirflowBundleOptions {
  /** S3 URI of the uploaded bundle, ending in `/`, e.g. `s3://my-bucket/platform/airflow/`. */
  bundleUri: string;
  /** The registry host of the extractor image, e.g. `123456789012.dkr.ecr.ap-southeast-1.amazonaws.com`. */
  registryUrl: string;
  /**
   * Name of the SSM SecureString that holds the Airflow admin password. The host reads it with the
   * instance role at boot; there is no default password anywhere.
   */
  adminPasswordParameterName: string;
  /** Size of the swap file in MiB (default 2048, the seed's 2 GB). */
  swapSizeMiB?: number;
}

/** The lake of the local mode: a folder on the laptop, bind-mounted into each extractor container. */
export interface LocalBundleOptions {
  /**
   * The extractor image pinned by digest, as on the host: `registry/repo@sha256:…`. Locally that is
   * an image pushed to a registry on loopback (`localhost:5000/openaq-pipeline@sha256:…`, see
   * docs/airflow.md). A bare image id (`sha256:…`) is refused: DockerOperator looks images up by
   * reference and would try to pull an id, which fails.
   */
  extractorImage: string;
  /** Absolute path of the lake folder on the machine that runs Docker. */
  lakeHostPath: string;
  /** First logical date of both local DAGs (`YYYY-MM-DD`); keep it recent, catchup runs every day since. */
  startDate: string;
  extractorMemoryMiB?: number;
}

export class AirflowConfigError extends Error {
  override readonly name = "AirflowConfigError";
}

function fail(message: string): never {
  throw new AirflowConfigError(message);
}

const REGION = /^[a-z]{2}(-gov)?-[a-z]+-\d$/;
// S3 bucket naming rules (lower case, digits, dots, hyphens; 3-63 chars; starts and ends alnum).
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const SNS_ARN = /^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$/;
const SSM_NAME = /^\/[A-Za-z0-9_.\-/]{1,1010}$/;
const WORKGROUP = /^[A-Za-z0-9._-]{1,128}$/;
// A registry host with an optional port, then a lower-case repository path, then a sha256 digest.
const DIGEST_REF =
  /^([a-z0-9.-]+(?::\d+)?)\/([a-z0-9]+(?:[._-][a-z0-9]+)*(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*)@sha256:[a-f0-9]{64}$/;
const REGISTRY = /^[a-z0-9.-]+(?::\d+)?$/;
// Five-field cron with the characters cron allows, or one of Airflow's presets.
const CRON = /^(@daily|@hourly|@weekly|@monthly|([0-9*,/-]+\s+){4}[0-9*,/A-Za-z-]+)$/;
const SAFE_PATH = /^\/[A-Za-z0-9._\-/ ]*$/;

export function assertDigestImage(image: unknown): string {
  if (typeof image !== "string") fail("The extractor image must be a string.");
  if (DIGEST_REF.test(image)) return image;
  fail(
    `The extractor image ${JSON.stringify(image)} is not pinned by digest: use registry/repository@sha256:<64 hex>.`,
  );
}

export const DEFAULT_SCHEDULES: Record<Environment, string> = { dev: "0 2 * * *", prod: "30 2 * * *" };

function checkEnvironments(list: readonly AirflowEnvironmentSettings[]): void {
  if (!Array.isArray(list)) fail("environments must be an array.");
  const seen = list.map((e) => e.env);
  const sorted = [...seen].sort();
  if (sorted.length !== ENVIRONMENTS.length || sorted.some((e, i) => e !== [...ENVIRONMENTS].sort()[i])) {
    fail(
      `environments must list ${ENVIRONMENTS.join(" and ")} exactly once each (got ${JSON.stringify(seen)}).`,
    );
  }
  for (const e of list) {
    if (!isEnvironment(e.env)) fail(`Unknown environment ${JSON.stringify(e.env)}.`);
    if (!SSM_NAME.test(e.apiKeyParameterName))
      fail(`${e.env}: apiKeyParameterName must be an SSM parameter name starting with '/'.`);
    // The parameter of one environment must not be readable by the other's DAG: the environments
    // share the host and the bucket, and nothing else.
    if (!e.apiKeyParameterName.split("/").includes(e.env)) {
      fail(
        `${e.env}: apiKeyParameterName ${e.apiKeyParameterName} must contain the path segment '${e.env}'.`,
      );
    }
    if (!WORKGROUP.test(e.athenaWorkgroup)) fail(`${e.env}: athenaWorkgroup is not a valid workgroup name.`);
    if (!isIsoDay(e.startDate)) fail(`${e.env}: startDate must be a real day as YYYY-MM-DD.`);
    if (e.schedule !== undefined && !CRON.test(e.schedule.trim()))
      fail(`${e.env}: schedule ${JSON.stringify(e.schedule)} is not a cron expression.`);
    if (e.catalogMode !== undefined && !(CATALOG_MODES as readonly string[]).includes(e.catalogMode))
      fail(`${e.env}: catalogMode must be one of ${CATALOG_MODES.join(", ")}.`);
    if ((e.catalogMode === "crawler") !== (e.glueCrawlerName !== undefined))
      fail(`${e.env}: glueCrawlerName goes with catalogMode "crawler" (and only with it).`);
    if (e.glueCrawlerName !== undefined && !/^[A-Za-z0-9_.-]{1,255}$/.test(e.glueCrawlerName))
      fail(`${e.env}: glueCrawlerName is not a crawler name.`);
  }
  for (const e of list) {
    if (e.awsProfile !== undefined && !/^[A-Za-z0-9_.-]{1,64}$/.test(e.awsProfile))
      fail(`${e.env}: awsProfile is not a profile name.`);
  }
  const profiles = list.map((e) => e.awsProfile).filter((p) => p !== undefined);
  if (profiles.length !== 0 && profiles.length !== list.length)
    fail("Set awsProfile for every environment or for none.");
  if (new Set(profiles).size !== profiles.length) fail("Each environment needs its own awsProfile.");
  const params = new Set(list.map((e) => e.apiKeyParameterName));
  if (params.size !== list.length) fail("Each environment needs its own API key parameter.");
  const workgroups = new Set(list.map((e) => e.athenaWorkgroup));
  if (workgroups.size !== list.length) fail("Each environment needs its own Athena workgroup.");
}

function checkMemory(mib: number | undefined): void {
  if (mib !== undefined && (!Number.isInteger(mib) || mib < 128 || mib > 4096)) {
    fail("extractorMemoryMiB must be an integer between 128 and 4096.");
  }
}

export function validateBundleOptions(o: AirflowBundleOptions): void {
  if (!REGION.test(o.region)) fail(`region ${JSON.stringify(o.region)} is not an AWS region name.`);
  if (!BUCKET.test(o.bucketName) || o.bucketName.includes(".."))
    fail(`bucketName ${JSON.stringify(o.bucketName)} is not a bucket name.`);
  assertDigestImage(o.extractorImage);
  if (!SNS_ARN.test(o.alertTopicArn))
    fail(`alertTopicArn ${JSON.stringify(o.alertTopicArn)} is not an SNS topic ARN.`);
  if (o.alertTopicArn.split(":")[3] !== o.region) fail("alertTopicArn must be in the stack's region.");
  checkEnvironments(o.environments);
  checkMemory(o.extractorMemoryMiB);
  const withProfiles = o.environments.some((e) => e.awsProfile !== undefined);
  if (withProfiles !== (o.awsConfigPath !== undefined))
    fail("awsConfigPath and the environments' awsProfile go together.");
  if (o.awsConfigPath !== undefined) {
    const segments = o.awsConfigPath.split("/");
    if (
      !/^[A-Za-z0-9_][A-Za-z0-9_./-]*$/.test(o.awsConfigPath) ||
      segments.some((x) => x === "" || x === "..")
    ) {
      fail(`awsConfigPath ${JSON.stringify(o.awsConfigPath)} must be a relative path inside the bundle.`);
    }
  }
}

export function validateHostOptions(o: AirflowHostOptions): void {
  validateBundleOptions(o);
  const m = /^s3:\/\/([^/]+)\/((?:[A-Za-z0-9._-]+\/)+)$/.exec(o.bundleUri);
  if (!m)
    fail(`bundleUri ${JSON.stringify(o.bundleUri)} must look like s3://bucket/prefix/ (ending in '/').`);
  if (m[1] !== o.bucketName) fail("bundleUri must be in the data bucket.");
  if (!REGISTRY.test(o.registryUrl))
    fail(`registryUrl ${JSON.stringify(o.registryUrl)} must be a registry host (no scheme, no path).`);
  if (!o.extractorImage.startsWith(`${o.registryUrl}/`)) fail("extractorImage must live in registryUrl.");
  if (!SSM_NAME.test(o.adminPasswordParameterName))
    fail("adminPasswordParameterName must be an SSM parameter name starting with '/'.");
  if (
    o.swapSizeMiB !== undefined &&
    (!Number.isInteger(o.swapSizeMiB) || o.swapSizeMiB < 512 || o.swapSizeMiB > 16384)
  ) {
    fail("swapSizeMiB must be an integer between 512 and 16384.");
  }
}

export function validateLocalOptions(o: LocalBundleOptions): void {
  assertDigestImage(o.extractorImage);
  if (!SAFE_PATH.test(o.lakeHostPath))
    fail("lakeHostPath must be an absolute path of letters, digits, '.', '_', '-', '/' or spaces.");
  if (!isIsoDay(o.startDate)) fail("startDate must be a real day as YYYY-MM-DD.");
  checkMemory(o.extractorMemoryMiB);
}
