import { assertEnvironment, type Environment } from "@openaq-lakehouse/pipeline-core";

/**
 * Physical names that other parts of the system refer to by name (DAGs, IAM policies, OWOX, people).
 * Everything else is auto-named by Pulumi. One place, so that a policy and the resource it names
 * can never drift apart.
 */

/** Athena workgroup of an environment: `openaq-dev`, `openaq-prod`. */
export function workgroupName(env: Environment): string {
  return `openaq-${assertEnvironment(env)}`;
}

/** The IAM role the pipeline containers of an environment run as (assumed from the Airflow host). */
export function pipelineRoleName(env: Environment): string {
  return `openaq-pipeline-${assertEnvironment(env)}`;
}

/** The IAM user OWOX Data Marts signs its Athena calls with. */
export function owoxUserName(env: Environment): string {
  return `owox-integrator-${assertEnvironment(env)}`;
}

/** The SSM SecureString holding the OpenAQ API key of an environment. */
export function apiKeyParameterName(env: Environment): string {
  return `/openaq-lakehouse/${assertEnvironment(env)}/openaq-api-key`;
}

/** The optional Glue crawler over an environment's processed prefix. */
export function crawlerName(env: Environment): string {
  return `openaq-${assertEnvironment(env)}-processed`;
}

/** The SSM folder of the platform's own parameters: the host may read these, never an env's API key. */
export const PLATFORM_PARAMETER_PREFIX = "/openaq-lakehouse/platform/";

/** The SSM SecureString holding the Airflow web UI admin password (platform-wide: one host). */
export const AIRFLOW_ADMIN_PASSWORD_PARAMETER = `${PLATFORM_PARAMETER_PREFIX}airflow-admin-password`;

/** Where the Airflow bundle (compose file, DAGs, bootstrap) lives in the data bucket: outside every data prefix. */
export const AIRFLOW_BUNDLE_PREFIX = "platform/airflow/";

/** OWOX sends no workgroup, so its queries always run in the account's `primary` workgroup. */
export const OWOX_WORKGROUP = "primary";

/**
 * The key prefixes OWOX Data Marts writes its Athena results under, then deletes (docs/owox.md).
 * `athena-schema-fetch` has no slash: OWOX writes both `athena-schema-fetch/…` and `athena-schema-fetch-comments/…`.
 */
export const OWOX_RESULT_PREFIXES = [
  "owox-data-marts/",
  "athena-check-access/",
  "athena-dry-run/",
  "athena-schema-fetch",
] as const;
