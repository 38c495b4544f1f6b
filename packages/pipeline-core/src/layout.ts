import { leasePrefix, statePrefix } from "./contract.js";
import { assertIsoDay, dayParts, type IsoDay } from "./dates.js";
import { PipelineError } from "./errors.js";
import { assertIdentifier } from "./identifiers.js";

/**
 * The lake layout. Keys are relative to the lake root (a local folder or `s3://bucket`):
 *
 *   {env}/raw/{dataset}/year=YYYY/month=MM/day=DD/{name}.json
 *       sha256-{hex}.json               one API response body, named by the sha256 of its bytes
 *       run-{runId}.manifest.json       one extract run's manifest (its commit point)
 *   {env}/processed/{dataset}/year=YYYY/month=MM/day=DD/part-NNNNN.parquet
 *   {env}/quarantine/{dataset}/year=YYYY/month=MM/day=DD/{name}
 *   {env}/_leases/{dataset}/{day}/lease-{generation}.json
 *
 * This module is the only place that spells these keys.
 */

export const ENVIRONMENTS = ["dev", "prod"] as const;
export type Environment = (typeof ENVIRONMENTS)[number];

export const LAYERS = ["raw", "processed", "quarantine"] as const;
export type Layer = (typeof LAYERS)[number];

export const PARTITION_KEYS = ["year", "month", "day"] as const;

export function isEnvironment(value: unknown): value is Environment {
  return typeof value === "string" && (ENVIRONMENTS as readonly string[]).includes(value);
}

export function assertEnvironment(value: unknown): Environment {
  if (!isEnvironment(value)) {
    throw new PipelineError(
      "INVALID_ENVIRONMENT",
      `Unknown environment ${JSON.stringify(value)}: expected one of ${ENVIRONMENTS.join(", ")}.`,
    );
  }
  return value;
}

export function assertLayer(value: unknown): Layer {
  if (typeof value !== "string" || !(LAYERS as readonly string[]).includes(value)) {
    throw new PipelineError(
      "INVALID_LAYER",
      `Unknown layer ${JSON.stringify(value)}: expected one of ${LAYERS.join(", ")}.`,
    );
  }
  return value as Layer;
}

/** The Glue/Athena database of an environment: `openaq_dev`, `openaq_prod`. */
export function databaseName(env: Environment): string {
  return assertIdentifier("database name", `openaq_${assertEnvironment(env)}`);
}

/** Where Athena writes query results for an environment: outside every data prefix. */
export function athenaResultsPrefix(env: Environment): string {
  return `athena-results/${assertEnvironment(env)}/`;
}

/** Object file names: no separators, no `..`, nothing hidden. */
const FILE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/;

export function assertFileName(value: unknown): string {
  if (typeof value !== "string" || !FILE_NAME.test(value) || value.includes("..")) {
    throw new PipelineError(
      "INVALID_FILE_NAME",
      `Invalid object name ${JSON.stringify(value)}: use letters, digits, '.', '_' or '-', without '..' or '/'.`,
    );
  }
  return value;
}

export interface DatasetRef {
  env: Environment;
  layer: Layer;
  dataset: string;
}

export interface PartitionRef extends DatasetRef {
  day: IsoDay;
}

/** `{env}/{layer}/`: everything of one layer of one environment (lifecycle rules, grants, listings). */
export function layerPrefix(env: Environment, layer: Layer): string {
  return `${assertEnvironment(env)}/${assertLayer(layer)}/`;
}

/** `{env}/{layer}/{dataset}/` */
export function datasetPrefix(ref: DatasetRef): string {
  return `${layerPrefix(ref.env, ref.layer)}${assertIdentifier("dataset name", ref.dataset)}/`;
}

/** `region=north/year=2024/…/` (with a trailing `/`), or `""` for no partition keys: Hive's folder syntax. */
export function hivePartitionPath(entries: readonly (readonly [string, string])[]): string {
  return entries.map(([k, v]) => `${k}=${v}/`).join("");
}

/**
 * The Hive path of `keys` with each value a `${key}` placeholder (`year=${year}/month=${month}/`):
 * Athena's `storage.location.template` for partition projection.
 */
export function hivePartitionTemplate(keys: readonly string[]): string {
  return hivePartitionPath(keys.map((k) => [k, `\${${k}}`]));
}

/** The values of the built-in day partition keys (`PARTITION_KEYS`), in folder order: `[["year", "2024"], …]`. */
export function dayPartitionEntries(day: IsoDay): [string, string][] {
  const p = dayParts(assertIsoDay(day));
  return PARTITION_KEYS.map((k) => [k, p[k]]);
}

/** `year=YYYY/month=MM/day=DD/`: a day's folders below a dataset prefix (or a Glue table location). */
export function dayPartitionPath(day: IsoDay): string {
  return hivePartitionPath(dayPartitionEntries(day));
}

/** `{env}/{layer}/{dataset}/year=YYYY/month=MM/day=DD/` */
export function partitionPrefix(ref: PartitionRef): string {
  return datasetPrefix(ref) + dayPartitionPath(ref.day);
}

/** What raw holds: API response bodies (`json`) and OpenAQ archive files (`csv.gz`), byte for byte. */
export const RAW_EXTENSIONS = ["json", "csv.gz"] as const;
export type RawExtension = (typeof RAW_EXTENSIONS)[number];

/** A raw object: the exact bytes of one API response or archive file, under a name ending in a raw extension. */
export function rawKey(ref: Omit<PartitionRef, "layer">, name: string): string {
  const file = assertFileName(name);
  if (!RAW_EXTENSIONS.some((ext) => file.endsWith(`.${ext}`))) {
    throw new PipelineError(
      "INVALID_FILE_NAME",
      `Raw object names end in ${RAW_EXTENSIONS.map((e) => `.${e}`).join(" or ")}, got ${JSON.stringify(name)}.`,
    );
  }
  return partitionPrefix({ ...ref, layer: "raw" }) + file;
}

/**
 * The write-once raw layer: a body is named by the sha256 of its exact bytes, so an identical API
 * answer is stored once and a stored name can never hold other bytes.
 */
export function rawBodyName(sha256: string, extension: RawExtension = "json"): string {
  if (!/^[0-9a-f]{64}$/.test(sha256)) {
    throw new PipelineError(
      "INVALID_SHA256",
      `A sha256 is 64 lowercase hex digits, got ${JSON.stringify(sha256)}.`,
    );
  }
  return `sha256-${sha256}.${extension}`;
}

/** A raw run id: `YYYYMMDDTHHMMSSmmmZ-{random}`, so ids sort in the order the runs started. */
const RUN_ID = /^\d{8}T\d{9}Z-[0-9a-f]{6,16}$/;

export function assertRawRunId(value: unknown): string {
  if (typeof value !== "string" || !RUN_ID.test(value)) {
    throw new PipelineError(
      "INVALID_RUN_ID",
      `Invalid raw run id ${JSON.stringify(value)}: expected the form 20240115T031500123Z-1a2b3c (see the run-*.manifest.json names in raw).`,
    );
  }
  return value;
}

/** A new run id for a run started at `nowMs`. */
export function newRawRunId(nowMs: number, random: string): string {
  const iso = new Date(nowMs).toISOString(); // 2024-01-15T03:15:00.123Z
  return assertRawRunId(`${iso.replace(/[-:.]/g, "").replace(/Z$/, "")}Z-${random}`);
}

/** The manifest of one extract run; written last, with a conditional create: its existence commits the run. */
export function rawRunManifestName(runId: string): string {
  return `run-${assertRawRunId(runId)}.manifest.json`;
}

/** The run id of a manifest name, or `undefined` for any other name. */
export function parseRawRunManifestName(name: string): string | undefined {
  const m = /^run-(.+)\.manifest\.json$/.exec(name);
  return m && RUN_ID.test(m[1] as string) ? m[1] : undefined;
}

/** The folder of the writer leases of one (env, dataset, day): `{env}/_leases/{dataset}/{day}/`. */
export function leaseDayPrefix(env: Environment, dataset: string, day: IsoDay): string {
  return `${leasePrefix(env)}${assertIdentifier("dataset name", dataset)}/${assertIsoDay(day)}/`;
}

/** One generation of a lease: created once (never overwritten), deleted by its holder on release. */
export function leaseKey(env: Environment, dataset: string, day: IsoDay, generation: number): string {
  if (!Number.isSafeInteger(generation) || generation < 1 || generation > 9_999_999_999) {
    throw new PipelineError("INVALID_LEASE", `Lease generations run from 1, got ${generation}.`);
  }
  return `${leaseDayPrefix(env, dataset, day)}lease-${String(generation).padStart(10, "0")}.json`;
}

/** The generation of a lease key's name, or `undefined`. */
export function parseLeaseGeneration(key: string): number | undefined {
  const m = /\/lease-(\d{10})\.json$/.exec(key);
  return m ? Number(m[1]) : undefined;
}

/** The deterministic name of part `index` of a processed partition: `part-00000.parquet`. */
export function partFileName(index: number): string {
  if (!Number.isInteger(index) || index < 0 || index > 99_999) {
    throw new PipelineError("INVALID_PART", `Part index must be an integer from 0 to 99999, got ${index}.`);
  }
  return `part-${String(index).padStart(5, "0")}.parquet`;
}

export function processedKey(ref: Omit<PartitionRef, "layer">, index: number): string {
  return partitionPrefix({ ...ref, layer: "processed" }) + partFileName(index);
}

export function quarantineKey(ref: Omit<PartitionRef, "layer">, name: string): string {
  return partitionPrefix({ ...ref, layer: "quarantine" }) + assertFileName(name);
}

export interface ParsedLakeKey extends PartitionRef {
  file: string;
}

const KEY = /^([^/]+)\/([^/]+)\/([^/]+)\/year=(\d{4})\/month=(\d{2})\/day=(\d{2})\/([^/]+)$/;

/** Parses a key built by this module back into its parts; anything else is a clear error. */
export function parseLakeKey(key: string): ParsedLakeKey {
  const m = KEY.exec(key);
  if (!m) {
    throw new PipelineError(
      "INVALID_LAKE_KEY",
      `Not a lake key: ${JSON.stringify(key)} (expected {env}/{layer}/{dataset}/year=YYYY/month=MM/day=DD/{file}).`,
    );
  }
  const [, env, layer, dataset, y, mo, d, file] = m as unknown as string[];
  const parsed: ParsedLakeKey = {
    env: assertEnvironment(env),
    layer: assertLayer(layer),
    dataset: assertIdentifier("dataset name", dataset),
    day: assertIsoDay(`${y}-${mo}-${d}`),
    file: assertFileName(file),
  };
  return parsed;
}

/** The serving views every environment exposes, same names and columns in dev and prod. */
export const SERVING_VIEWS = ["view_latest_aqi", "view_daily_average"] as const;
export type ServingView = (typeof SERVING_VIEWS)[number];

/**
 * Pipeline bookkeeping lives beside the data layers, never inside them: `{env}/_state/{kind}/{day}.json`.
 * Readers of raw/processed never see it, and Athena tables never point at it.
 */
export function stateKey(env: Environment, kind: string, day: IsoDay): string {
  return `${statePrefix(env)}${assertIdentifier("state kind", kind)}/${assertIsoDay(day)}.json`;
}

/** The local catalog of the embedded default (DuckDB): a file at the lake root, outside every env prefix. */
export const LOCAL_CATALOG_FILE = "catalog.duckdb";
