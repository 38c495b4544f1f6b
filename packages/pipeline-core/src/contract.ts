import { PipelineError } from "./errors.js";
import { assertEnvironment, type Environment } from "./layout.js";

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
