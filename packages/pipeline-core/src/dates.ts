import { PipelineError } from "./errors.js";

/** A UTC calendar day, always written `YYYY-MM-DD`. */
export type IsoDay = string;

const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;
const DAY_MS = 86_400_000;

/** Parses `YYYY-MM-DD` strictly (rejects 2024-02-30); returns the epoch ms of its UTC midnight. */
export function parseIsoDay(value: string): number {
  const m = DAY.exec(value);
  const ms = m ? Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) : Number.NaN;
  if (!m || Number.isNaN(ms) || formatIsoDay(ms) !== value) {
    throw new PipelineError(
      "INVALID_DATE",
      `Invalid date ${JSON.stringify(value)}: expected a real day as YYYY-MM-DD.`,
    );
  }
  return ms;
}

export function isIsoDay(value: unknown): value is IsoDay {
  if (typeof value !== "string") return false;
  try {
    parseIsoDay(value);
    return true;
  } catch {
    return false;
  }
}

/** `value` itself when it is a real day as `YYYY-MM-DD`; an INVALID_DATE error otherwise. */
export function assertIsoDay(value: unknown): IsoDay {
  if (!isIsoDay(value))
    throw new PipelineError("INVALID_DATE", `Invalid date ${JSON.stringify(value)}: expected YYYY-MM-DD.`);
  return value;
}

/** The UTC day of an epoch-ms instant. */
export function formatIsoDay(epochMs: number): IsoDay {
  return new Date(epochMs).toISOString().slice(0, 10);
}

export function addDays(day: IsoDay, n: number): IsoDay {
  return formatIsoDay(parseIsoDay(day) + n * DAY_MS);
}

/** Inclusive list of days from `from` to `to`. */
export function daysBetween(from: IsoDay, to: IsoDay): IsoDay[] {
  const a = parseIsoDay(from);
  const b = parseIsoDay(to);
  if (b < a)
    throw new PipelineError("INVALID_DATE_RANGE", `The range ends (${to}) before it starts (${from}).`);
  const out: IsoDay[] = [];
  for (let t = a; t <= b; t += DAY_MS) out.push(formatIsoDay(t));
  return out;
}

/**
 * The day rule: a run for UTC day D covers [D 00:00Z, D+1 00:00Z). The API keeps periods
 * whose end lies in (from, to], which are exactly the periods that start on D.
 */
export function utcDayWindow(day: IsoDay): { from: string; to: string; startMs: number; endMs: number } {
  const startMs = parseIsoDay(day);
  const endMs = startMs + DAY_MS;
  return { from: `${day}T00:00:00Z`, to: `${formatIsoDay(endMs)}T00:00:00Z`, startMs, endMs };
}

/** The partition values of a day, zero-padded as they appear in keys. */
export function dayParts(day: IsoDay): { year: string; month: string; day: string } {
  parseIsoDay(day);
  return { year: day.slice(0, 4), month: day.slice(5, 7), day: day.slice(8, 10) };
}
