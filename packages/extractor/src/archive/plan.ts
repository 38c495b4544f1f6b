import {
  addDays,
  formatIsoDay,
  type IsoDay,
  LATENESS_WINDOW_HOURS,
  utcDayWindow,
} from "@openaq-lakehouse/pipeline-core";

/**
 * Which archive files hold the periods of one UTC day.
 *
 * An archive file covers one LOCAL day L of its location: every period whose END is in
 * (L 00:00, L+1 00:00] local time. A UTC day D holds the periods that START in [D 00:00Z, D+1 00:00Z)
 * (the day rule), whose ends lie in (D 00:00Z, D+1 00:00Z + interval). So D needs the files of the
 * local days from that of (D 00:00Z + ε) to that of (D+1 00:00Z + interval), in the location's zone:
 * for Vietnam (UTC+7), the files of D and D+1.
 */

/** The longest period the archive is read for (raw measurements: 1 hour at most in practice). */
export const MAX_PERIOD_MS = 3_600_000;

const offsetFormatters = new Map<string, Intl.DateTimeFormat>();

/** The zone's UTC offset in minutes at an instant (DST-aware), or undefined for an unknown zone. */
export function zoneOffsetMinutes(timeZone: string, atMs: number): number | undefined {
  let f = offsetFormatters.get(timeZone);
  if (!f) {
    try {
      f = new Intl.DateTimeFormat("en-US", { timeZone, timeZoneName: "longOffset" });
    } catch {
      return undefined;
    }
    offsetFormatters.set(timeZone, f);
  }
  const name = f.formatToParts(atMs).find((p) => p.type === "timeZoneName")?.value ?? "";
  if (name === "GMT") return 0;
  const m = /^GMT([+-])(\d{2}):(\d{2})$/.exec(name);
  if (!m) return undefined;
  return (m[1] === "-" ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3]));
}

/** The local calendar day of the file that holds a period ending at `endMs` (ends at local midnight belong to the day before). */
function fileDayOfEnd(endMs: number, offsetMinutes: number): IsoDay {
  return formatIsoDay(endMs + offsetMinutes * 60_000 - 1);
}

/**
 * The local days whose files may hold periods starting on UTC day `day`, for a location in
 * `timeZone`. An unknown zone reads the three days around D, which covers every offset on Earth.
 */
export function localDaysForUtcDay(day: IsoDay, timeZone: string): IsoDay[] {
  const { startMs, endMs } = utcDayWindow(day);
  const firstEnd = startMs + 1;
  const lastEnd = endMs + MAX_PERIOD_MS - 1;
  const offFirst = zoneOffsetMinutes(timeZone, firstEnd);
  const offLast = zoneOffsetMinutes(timeZone, lastEnd);
  if (offFirst === undefined || offLast === undefined) return [addDays(day, -1), day, addDays(day, 1)];
  const from = fileDayOfEnd(firstEnd, offFirst);
  const to = fileDayOfEnd(lastEnd, offLast);
  const out: IsoDay[] = [];
  for (let d = from; d <= to; d = addDays(d, 1)) out.push(d);
  return out;
}

/** An unknown zone is read as the last on Earth to reach midnight (UTC-12), so its day is never called early. */
const LATEST_OFFSET_MINUTES = -12 * 60;

/**
 * The instant from which the archive can hold every file UTC day `day` needs for locations in
 * `timeZones`. OpenAQ writes a local day's file `LATENESS_WINDOW_HOURS` after that LOCAL day ends,
 * and a UTC day needs its zones' last local day (for Vietnam, UTC+7: day D+1, which ends at
 * D+1 17:00Z), so the UTC day's own end is not enough: the latest local end decides.
 */
export function archiveReadyAtMs(day: IsoDay, timeZones: Iterable<string>): number {
  let latestEnd = utcDayWindow(day).endMs;
  for (const zone of new Set(timeZones)) {
    const last = localDaysForUtcDay(day, zone).at(-1) ?? day;
    // Local midnight after `last`, first written as if it were UTC, then moved by the zone's offset there.
    const midnight = utcDayWindow(last).endMs;
    const offset = zoneOffsetMinutes(zone, midnight) ?? LATEST_OFFSET_MINUTES;
    latestEnd = Math.max(latestEnd, midnight - offset * 60_000);
  }
  return latestEnd + LATENESS_WINDOW_HOURS * 3_600_000;
}

/** The `YYYY-MM` months of the local days needed for UTC days `from`…`to` (what to list per location). */
export function monthsForRange(from: IsoDay, to: IsoDay, timeZone: string): string[] {
  const months = new Set<string>();
  for (let d = from; d <= to; d = addDays(d, 1)) {
    for (const local of localDaysForUtcDay(d, timeZone)) months.add(local.slice(0, 7));
  }
  return [...months].sort();
}
