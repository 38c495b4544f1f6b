import { assertIsoDay, dayParts, type IsoDay, isIsoDay } from "./dates.js";
import { PipelineError } from "./errors.js";
import { isIdentifier } from "./identifiers.js";
import { datasetPrefix, type Environment, hivePartitionPath, type Layer, partFileName } from "./layout.js";
import type { DatasetSchema } from "./schema/types.js";

/**
 * Hive partitioning of a dataset: which `key=value` folders its files live under, and how each key's
 * values are checked and projected by Athena. A dataset names its keys in `partitionKeys`, in folder
 * order. Two kinds of key:
 *
 * - day keys, derived from a UTC day: `year` (`2024`), `month` (`03`), `day` (`01`), or `dt`
 *   (`2024-03-01`). A dataset uses `dt`, or `year` / `year, month` / `year, month, day`, or no day key.
 * - any other identifier, e.g. `region`: its values are given when writing, and its Athena
 *   projection comes from `partitionSpecs` (an enum of known values, an integer range, or `injected`,
 *   the default, where queries must name the value).
 *
 * Partition values are strings, as Hive and Glue hold them.
 */

/** The values of one partition, by key, e.g. `{ region: "north", year: "2024", month: "03", day: "01" }`. */
export type PartitionValues = Readonly<Record<string, string>>;

/** How a non-day partition key's values are checked on write and projected by Athena. */
export type PartitionKeySpec = (
  | { readonly kind: "enum"; readonly values: readonly string[] }
  | { readonly kind: "integer"; readonly min: number; readonly max: number; readonly digits?: number }
  | { readonly kind: "injected" }
) & { readonly description?: string };

export const DAY_PARTITION_KEYS = ["year", "month", "day", "dt"] as const;
export type DayPartitionKey = (typeof DAY_PARTITION_KEYS)[number];

export function isDayPartitionKey(key: string): key is DayPartitionKey {
  return (DAY_PARTITION_KEYS as readonly string[]).includes(key);
}

/** Partition values of non-day keys: safe in a key and in SQL, never `..`, `/`, `=` or a quote. */
const VALUE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

const DAY_VALUE: Record<DayPartitionKey, { re: RegExp; shape: string }> = {
  year: { re: /^\d{4}$/, shape: "a four-digit year" },
  month: { re: /^(0[1-9]|1[0-2])$/, shape: "a two-digit month 01-12" },
  day: { re: /^(0[1-9]|[12]\d|3[01])$/, shape: "a two-digit day 01-31" },
  dt: { re: /^\d{4}-\d{2}-\d{2}$/, shape: "a day as YYYY-MM-DD" },
};

function invalid(message: string): PipelineError {
  return new PipelineError("INVALID_PARTITIONING", message);
}

/** The spec of a non-day key (`injected` when the definition gives none). */
export function partitionKeySpec(dataset: DatasetSchema, key: string): PartitionKeySpec {
  return dataset.partitionSpecs?.[key] ?? { kind: "injected" };
}

/**
 * Checks a definition's partitioning; `defineDataset` calls this, so a dataset the lake cannot honour
 * is refused when it is defined, with one sentence saying why.
 */
export function assertPartitioning(dataset: DatasetSchema): void {
  const keys = dataset.partitionKeys;
  const where = `Dataset ${dataset.name}`;
  for (const key of keys) {
    if (!isIdentifier(key)) {
      throw invalid(
        `${where}: partition key ${JSON.stringify(key)} is not supported; use 1-64 lower-case letters, digits or '_', starting with a letter (Glue lower-cases names, and keys appear in object keys and SQL).`,
      );
    }
  }
  if (new Set(keys).size !== keys.length) throw invalid(`${where} names a partition key twice.`);
  const has = (k: DayPartitionKey) => keys.includes(k);
  if (has("dt") && (has("year") || has("month") || has("day"))) {
    throw invalid(`${where} is partitioned by dt or by year/month/day, not both.`);
  }
  const ymd = keys.filter((k) => k === "year" || k === "month" || k === "day");
  const expected = ["year", "month", "day"].slice(0, ymd.length);
  if (ymd.join() !== expected.join()) {
    throw invalid(
      `${where}: day keys go in the order year, month, day, and month needs year (got ${ymd.join(", ")}).`,
    );
  }
  for (const [key, spec] of Object.entries(dataset.partitionSpecs ?? {})) {
    if (spec === undefined) continue;
    if (!keys.includes(key)) {
      throw invalid(`${where} gives a spec for ${key}, which is not one of its partition keys.`);
    }
    if (isDayPartitionKey(key)) {
      throw invalid(`${where}: partition key ${key} is derived from the UTC day and takes no spec.`);
    }
    if (spec.kind === "enum") {
      if (spec.values.length === 0 || new Set(spec.values).size !== spec.values.length) {
        throw invalid(`${where}: the enum of partition key ${key} needs one or more distinct values.`);
      }
      for (const v of spec.values) assertValueShape(dataset, key, v);
    } else if (spec.kind === "integer") {
      const digitsOk =
        spec.digits === undefined || (Number.isInteger(spec.digits) && spec.digits >= 1 && spec.digits <= 18);
      if (
        !Number.isSafeInteger(spec.min) ||
        !Number.isSafeInteger(spec.max) ||
        spec.min > spec.max ||
        !digitsOk
      ) {
        throw invalid(
          `${where}: partition key ${key} needs whole numbers min <= max (and digits from 1 to 18 if given).`,
        );
      }
    } else if (spec.kind !== "injected") {
      throw invalid(
        `${where}: partition key ${key} has an unknown kind ${JSON.stringify((spec as { kind: unknown }).kind)} (use enum, integer or injected).`,
      );
    }
  }
}

function assertValueShape(dataset: DatasetSchema, key: string, value: unknown): string {
  const ok =
    typeof value === "string" &&
    (isDayPartitionKey(key) ? DAY_VALUE[key].re.test(value) : VALUE.test(value) && !value.includes(".."));
  if (!ok) {
    const shape = isDayPartitionKey(key)
      ? DAY_VALUE[key].shape
      : "1-128 letters, digits, '.', '_' or '-', starting with a letter or digit";
    throw new PipelineError(
      "INVALID_PARTITION_VALUE",
      `Invalid value ${JSON.stringify(value)} for partition key ${key} of dataset ${dataset.name}: expected ${shape}.`,
    );
  }
  return value as string;
}

/** Checks one value against its key's rules (shape, enum membership, integer range and padding). */
export function assertPartitionValue(dataset: DatasetSchema, key: string, value: unknown): string {
  const v = assertValueShape(dataset, key, value);
  if (key === "dt" && !isIsoDay(v)) {
    throw new PipelineError(
      "INVALID_PARTITION_VALUE",
      `Invalid value ${JSON.stringify(v)} for partition key dt of dataset ${dataset.name}: not a real day.`,
    );
  }
  if (isDayPartitionKey(key)) return v;
  const spec = partitionKeySpec(dataset, key);
  if (spec.kind === "enum" && !spec.values.includes(v)) {
    throw new PipelineError(
      "INVALID_PARTITION_VALUE",
      `Invalid value ${JSON.stringify(v)} for partition key ${key} of dataset ${dataset.name}: expected one of ${spec.values.join(", ")}.`,
    );
  }
  if (spec.kind === "integer") {
    const n = Number(v);
    const canonical = /^-?\d+$/.test(v) ? String(Math.abs(n)).padStart(spec.digits ?? 1, "0") : "";
    if (
      !Number.isSafeInteger(n) ||
      n < spec.min ||
      n > spec.max ||
      v !== (n < 0 ? `-${canonical}` : canonical)
    ) {
      throw new PipelineError(
        "INVALID_PARTITION_VALUE",
        `Invalid value ${JSON.stringify(v)} for partition key ${key} of dataset ${dataset.name}: expected an integer from ${spec.min} to ${spec.max}${spec.digits ? ` written with ${spec.digits} digits` : ""}.`,
      );
    }
  }
  return v;
}

/** Whether a UTC day pins a partition of this dataset completely (it has `dt` or `year, month, day`). */
export function isDayPartitioned(dataset: DatasetSchema): boolean {
  const k = dataset.partitionKeys;
  return k.includes("dt") || (k.includes("year") && k.includes("month") && k.includes("day"));
}

/** Which partition a write or a read names: a UTC `day` for the day keys, `partition` for the others. */
export interface PartitionSelector {
  day?: IsoDay | undefined;
  partition?: PartitionValues | undefined;
}

/**
 * The values of one partition, in key order, from a `day` and/or explicit `partition` values. Every
 * key needs a value, no unknown key may be given, and a day must agree with explicit day keys.
 */
export function resolvePartition(dataset: DatasetSchema, selector: PartitionSelector): [string, string][] {
  const given: Record<string, string> = { ...(selector.partition ?? {}) };
  const keys = dataset.partitionKeys;
  for (const k of Object.keys(given)) {
    if (!keys.includes(k)) {
      throw new PipelineError(
        "INVALID_PARTITION_VALUE",
        `Dataset ${dataset.name} has no partition key ${k} (its keys: ${keys.join(", ") || "none"}).`,
      );
    }
  }
  if (selector.day !== undefined) {
    assertIsoDay(selector.day);
    if (!isDayPartitioned(dataset)) {
      throw new PipelineError(
        "INVALID_PARTITION_VALUE",
        `Dataset ${dataset.name} is not partitioned by day (keys: ${keys.join(", ") || "none"}): give its partition values as \`partition\` instead of \`day\`.`,
      );
    }
    const parts = dayParts(selector.day);
    const derived: Record<DayPartitionKey, string> = { ...parts, dt: selector.day };
    for (const k of keys) {
      if (!isDayPartitionKey(k)) continue;
      if (given[k] !== undefined && given[k] !== derived[k]) {
        throw new PipelineError(
          "INVALID_PARTITION_VALUE",
          `Partition value ${k}=${given[k]} contradicts day ${selector.day} for dataset ${dataset.name}.`,
        );
      }
      given[k] = derived[k];
    }
  }
  return keys.map((k) => {
    if (given[k] === undefined) {
      throw new PipelineError(
        "INVALID_PARTITION_VALUE",
        `Missing the value of partition key ${k} for dataset ${dataset.name} (its keys: ${keys.join(", ")}).`,
      );
    }
    return [k, assertPartitionValue(dataset, k, given[k])];
  });
}

/**
 * The partition values of an object key relative to the dataset's prefix
 * (`region=north/year=2024/month=03/day=01/part-00000.parquet`), or `undefined` when the key is not laid
 * out as the dataset's partitioning says (other depth, other keys, or an invalid value).
 */
export function parsePartitionPath(
  dataset: DatasetSchema,
  relativeKey: string,
): { values: PartitionValues; file: string } | undefined {
  const segments = relativeKey.split("/");
  const keys = dataset.partitionKeys;
  if (segments.length !== keys.length + 1) return undefined;
  const values: Record<string, string> = {};
  for (const [i, key] of keys.entries()) {
    const seg = segments[i] as string;
    if (!seg.startsWith(`${key}=`)) return undefined;
    const value = seg.slice(key.length + 1);
    try {
      values[key] = assertPartitionValue(dataset, key, value);
    } catch {
      return undefined;
    }
  }
  return { values, file: segments[keys.length] as string };
}

/** The UTC day of a partition of a day-partitioned dataset. */
export function partitionDay(values: PartitionValues): IsoDay | undefined {
  if (values.dt !== undefined) return values.dt;
  if (values.year === undefined || values.month === undefined || values.day === undefined) return undefined;
  const day = `${values.year}-${values.month}-${values.day}`;
  return isIsoDay(day) ? day : undefined;
}

/** One partition of a dataset definition in one layer of one environment. */
export interface DatasetPartitionRef extends PartitionSelector {
  env: Environment;
  layer: Layer;
  dataset: DatasetSchema;
}

/**
 * `{env}/{layer}/{dataset}/{key}={value}/…/`: the prefix of one partition, laid out as the dataset's
 * partitioning says. For the built-in datasets and a `day` it equals `partitionPrefix`.
 */
export function datasetPartitionPrefix(ref: DatasetPartitionRef): string {
  const base = datasetPrefix({ env: ref.env, layer: ref.layer, dataset: ref.dataset.name });
  return base + hivePartitionPath(resolvePartition(ref.dataset, ref));
}

/** The key of part `index` of a processed partition of a dataset definition. */
export function datasetPartKey(ref: Omit<DatasetPartitionRef, "layer">, index: number): string {
  return datasetPartitionPrefix({ ...ref, layer: "processed" }) + partFileName(index);
}
