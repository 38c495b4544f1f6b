/**
 * Airflow host assets of openaq-lakehouse (pure functions, no Pulumi imports):
 *
 * - `renderUserData(opts)`: the EC2 user data (bash) of the shared Airflow host.
 * - `airflowBundleFiles(opts)`: the files to upload under `platform/airflow/` of the bucket.
 *
 * See docs/airflow.md for how the pieces fit together.
 */

export {
  type AirflowBundleFile,
  airflowBundleFiles,
  awsDagSpecs,
  localBundleFiles,
  localDagSpecs,
} from "./bundle.js";
export { AIRFLOW_IMAGE, POSTGRES_IMAGE } from "./compose.js";
export {
  dagId,
  EXTRACTOR_POOL,
  LOCAL_LAKE_MOUNT,
  PIPELINE_STEPS,
  type PipelineStep,
  type RenderedDagSpec,
  STEP_EXTRA_ARGS,
  TASK_CHAIN,
} from "./dag-spec.js";
export { HOST_BUNDLE_DIR, IMAGE_FILE } from "./host-script.js";
export {
  DEFAULT_EXTRACTOR_MEMORY_MIB,
  HOST_MEMORY_MIB,
  type MemoryBudget,
  memoryBudget,
  OS_RESERVE_MIB,
  SERVICE_MEMORY_MIB,
} from "./memory.js";
export type {
  AirflowBundleOptions,
  AirflowEnvironmentSettings,
  AirflowHostOptions,
  LocalBundleOptions,
} from "./options.js";
export { AirflowConfigError, assertDigestImage, DEFAULT_SCHEDULES } from "./options.js";
export { DAG_SPEC_FORMAT, FACTORY_PATH } from "./python.js";
export {
  COMPOSE_VERSION,
  DEFAULT_SWAP_MIB,
  renderUserData,
  SYNC_INTERVAL_MINUTES,
  userDataPayload,
} from "./userdata.js";
