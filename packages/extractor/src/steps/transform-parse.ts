/**
 * Strict, cached parsers for the scalar strings of OpenAQ rows (timestamps, Postgres intervals).
 * A day of raw data repeats the same few hundred timestamp strings across thousands of sensors, so
 * each distinct string is parsed once and looked up afterwards; the caches are bounded so a
 * pathological input cannot grow them without limit.
 */

const INSTANT = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,3})\d*)?(Z|[+-]\d{2}:\d{2})$/;
const CACHE_LIMIT = 50_000;

const instantCache = new Map<string, number>();

/**
 * Epoch milliseconds of an ISO-8601 instant with an explicit offset (`Z` or `±HH:MM`), or NaN.
 * Stricter than `Date.parse`: no date-only or zone-less strings (the API would have meant local
 * time), and no impossible dates such as 2024-02-30 (Date.UTC would silently roll them over).
 */
export function parseInstant(value: unknown): number {
  if (typeof value !== "string") return Number.NaN;
  const hit = instantCache.get(value);
  if (hit !== undefined) return hit;
  const ms = parseInstantUncached(value);
  if (instantCache.size >= CACHE_LIMIT) instantCache.clear();
  instantCache.set(value, ms);
  return ms;
}

function parseInstantUncached(value: string): number {
  const m = INSTANT.exec(value);
  if (!m) return Number.NaN;
  const [y, mo, d, h, mi, s] = [m[1], m[2], m[3], m[4], m[5], m[6]].map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  if (mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || s > 59) return Number.NaN;
  const ms = m[7] ? Number(m[7].padEnd(3, "0")) : 0;
  const local = Date.UTC(y, mo - 1, d, h, mi, s, ms);
  // Rolled-over dates (Feb 30 → Mar 1) come back with a different day of month.
  if (new Date(local).getUTCDate() !== d) return Number.NaN;
  const zone = m[8] as string;
  if (zone === "Z") return local;
  const sign = zone[0] === "-" ? -1 : 1;
  const offH = Number(zone.slice(1, 3));
  const offM = Number(zone.slice(4, 6));
  if (offH > 18 || offM > 59) return Number.NaN;
  return local - sign * (offH * 60 + offM) * 60_000;
}

const INTERVAL = /^(?:(\d+) days? ?)?(\d+):(\d{2}):(\d{2})$/;
const intervalCache = new Map<string, number | null>();

/** Seconds of a Postgres interval string as OpenAQ prints it ("01:00:00", "1 day 02:00:00"), or null. */
export function parseIntervalSeconds(value: unknown): number | null {
  if (typeof value !== "string") return null;
  const hit = intervalCache.get(value);
  if (hit !== undefined) return hit;
  const m = INTERVAL.exec(value);
  let seconds: number | null = null;
  if (m) {
    const total = Number(m[1] ?? 0) * 86_400 + Number(m[2]) * 3600 + Number(m[3]) * 60 + Number(m[4]);
    seconds = Number(m[3]) < 60 && Number(m[4]) < 60 && total <= 2_147_483_647 ? total : null;
  }
  if (intervalCache.size >= CACHE_LIMIT) intervalCache.clear();
  intervalCache.set(value, seconds);
  return seconds;
}
