import { addCount, type Counts, PipelineError, type QuarantineRecord } from "@openaq-lakehouse/pipeline-core";

/**
 * Why a raw record did not reach processed. Every rejected record lands in quarantine with one of
 * these codes; nothing is dropped silently. When several apply, the first in this list wins
 * (a row whose timestamp cannot be read cannot be said to be outside the day, and so on).
 */
export const QUARANTINE_REASONS = [
  /** A raw body that is not valid JSON or not the `{meta, results: []}` envelope: the whole page. */
  "MALFORMED_PAGE",
  /** A result that is not an object, or a location without the fields its row needs. */
  "MALFORMED_ROW",
  /** A measurement of a sensor that the day's locations snapshot does not list. */
  "UNKNOWN_SENSOR",
  /** An archive row whose location differs from its file's location or from its sensor's location. */
  "LOCATION_MISMATCH",
  /** `period.datetimeFrom.utc` (or a present `datetimeTo.utc`) is missing or not an instant with an offset. */
  "UNPARSEABLE_TIMESTAMP",
  /** The period does not start on the run day D (the day rule, `utcDayWindow`). */
  "OUTSIDE_DAY",
  /** The row's `parameter.id` differs from the sensor's parameter in the locations snapshot. */
  "PARAMETER_MISMATCH",
  /** `value` is null, a string, or otherwise not a finite number. */
  "NON_NUMERIC_VALUE",
  /** `value` is a known "no data" sentinel such as -999. */
  "SENTINEL_VALUE",
  /** A second row for the same (sensor, period start), or a second row for the same location id. */
  "DUPLICATE",
] as const;
export type QuarantineReason = (typeof QUARANTINE_REASONS)[number];

/**
 * Values data loggers write for "no reading". They are negative, so they would otherwise pass as the
 * genuine small negative readings that low-cost sensors report (those stay in processed; the views
 * filter them). Only exact matches count: -998.7 is a (strange) reading, not a sentinel.
 */
export const SENTINEL_VALUES: ReadonlySet<number> = new Set([-999, -999.9, -9999, -99999, -999999]);

export function isSentinel(value: number): boolean {
  return SENTINEL_VALUES.has(value);
}

/** Quarantined records of one dataset for one run, in the order they were found. */
export class QuarantineLog {
  readonly records: QuarantineRecord[] = [];
  readonly byReason: Counts<QuarantineReason> = {};

  add(reason: QuarantineReason, record: unknown, source: string, detail?: string): void {
    this.records.push({ reason, record, source, ...(detail !== undefined && { detail }) });
    addCount(this.byReason, reason);
  }

  get size(): number {
    return this.records.length;
  }
}

/** The default for `--max-quarantine-rate`: a run that rejects more than a fifth of its input fails. */
export const DEFAULT_MAX_QUARANTINE_RATE = 0.2;

/** quarantined / (accepted + quarantined); 0 when there was no input at all. */
export function quarantineRate(accepted: number, quarantined: number): number {
  const total = accepted + quarantined;
  return total === 0 ? 0 : quarantined / total;
}

export function formatPercent(rate: number): string {
  return `${(rate * 100).toFixed(1)}%`;
}

/** "SENTINEL_VALUE 120, OUTSIDE_DAY 30, DUPLICATE 2": the largest counts first, ties by name. */
export function topReasons(counts: Counts, limit = 3): string {
  return Object.entries(counts)
    .map(([reason, n]): [string, number] => [reason, n ?? 0])
    .filter(([, n]) => n > 0)
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .slice(0, limit)
    .map(([reason, n]) => `${reason} ${n}`)
    .join(", ");
}

/** Throws the run's failure sentence when the rate exceeds the limit. */
export function assertQuarantineRate(options: {
  day: string;
  accepted: number;
  quarantined: number;
  byReason: Counts;
  maxRate: number;
  quarantineWhere: string;
}): void {
  const rate = quarantineRate(options.accepted, options.quarantined);
  if (rate <= options.maxRate) return;
  throw new PipelineError(
    "QUARANTINE_RATE_EXCEEDED",
    `Quarantined ${formatPercent(rate)} of the records for ${options.day} (${options.quarantined} of ${options.accepted + options.quarantined}), above the limit of ${formatPercent(options.maxRate)} (top reasons: ${topReasons(options.byReason)}); processed was not replaced, see ${options.quarantineWhere}.`,
  );
}
