import { CronExpressionParser } from "cron-parser";

/**
 * When the sleeping Airflow host must be up, derived from the DAG schedules (the one definition of
 * when runs happen): the host is started `leadMinutes` before each group of DAG fire times, and
 * stops itself once nothing is running or due within `idleMinutes` (see idle_check.py).
 */

export interface SleepSettings {
  /** The host stops when no DAG run is active or due within this many minutes, and none ended sooner. */
  idleMinutes: number;
  /** The host is started this many minutes before a DAG fire time (boot + Compose up take ~3–5). */
  wakeLeadMinutes: number;
}

/**
 * 15 minutes idle covers the 10-minute gap between dev's run (02:00, about 20 min) and prod's
 * (02:30); a 5-minute lead covers a start from stopped (about 1 min) and Compose coming up (2-3 min);
 * a later start only delays the runs, which Airflow then catches up.
 */
export const DEFAULT_SLEEP: SleepSettings = { idleMinutes: 15, wakeLeadMinutes: 5 };
/** How often the host's idle timer asks Airflow (systemd timer period). */
export const IDLE_CHECK_INTERVAL_MINUTES = 5;
/** One EventBridge schedule per wake; more than this means the host would hardly ever sleep. */
export const MAX_WAKES_PER_DAY = 24;

const DAY_MINUTES = 24 * 60;

export interface Wake {
  /** UTC minute of the day at which the host is started. */
  atMinute: number;
  /** The UTC minutes of the day of the DAG fire times this wake covers (ascending, may pass midnight). */
  fires: number[];
}

/** The UTC minutes of the day at which a cron schedule (Airflow's 5-field syntax or preset) can fire. */
export function fireMinutesOfDay(schedule: string): number[] {
  let fields: ReturnType<typeof CronExpressionParser.parse>["fields"];
  try {
    fields = CronExpressionParser.parse(schedule.trim(), { tz: "UTC" }).fields;
  } catch (e) {
    throw new Error(`Cannot read DAG schedule ${JSON.stringify(schedule)}: ${(e as Error).message}`);
  }
  const out: number[] = [];
  for (const h of fields.hour.values)
    for (const m of fields.minute.values) out.push(Number(h) * 60 + Number(m));
  return [...new Set(out)].sort((a, b) => a - b);
}

/**
 * The daily wakes covering every fire time of the given schedules. Fire times closer than the
 * idle window share one wake (the host stays up while a run is due within the window); groups
 * wrap around midnight. Each wake fires every day: on days a schedule skips, the host finds
 * nothing due and stops after the idle window.
 */
export function wakesFor(schedules: readonly string[], settings: SleepSettings): Wake[] {
  checkSettings(settings);
  const fires = [...new Set(schedules.flatMap(fireMinutesOfDay))].sort((a, b) => a - b);
  if (fires.length === 0) return [];
  const groups: number[][] = [];
  for (const f of fires) {
    const last = groups.at(-1);
    const prev = last?.at(-1);
    if (last && prev !== undefined && f - prev <= settings.idleMinutes) last.push(f);
    else groups.push([f]);
  }
  // Join the last group onto the first when they are close across midnight.
  if (groups.length > 1) {
    const first = groups[0] as number[];
    const last = groups.at(-1) as number[];
    if ((first[0] as number) + DAY_MINUTES - (last.at(-1) as number) <= settings.idleMinutes) {
      groups.pop();
      groups[0] = [...last, ...first.map((m) => m + DAY_MINUTES)];
    }
  }
  if (groups.length > MAX_WAKES_PER_DAY) {
    throw new Error(
      `The DAG schedules fire in ${groups.length} separate groups a day (over ${MAX_WAKES_PER_DAY}): the host would hardly sleep. ` +
        "Raise airflowIdleMinutes or set airflowSleep: false.",
    );
  }
  return groups
    .map((g) => ({
      atMinute: mod((g[0] as number) - settings.wakeLeadMinutes, DAY_MINUTES),
      fires: g.map((m) => mod(m, DAY_MINUTES)),
    }))
    .sort((a, b) => a.atMinute - b.atMinute);
}

/** The EventBridge Scheduler expression of a daily wake (evaluated in UTC). */
export function wakeCron(wake: Wake): string {
  return `cron(${wake.atMinute % 60} ${Math.floor(wake.atMinute / 60)} * * ? *)`;
}

function hhmm(minute: number): string {
  return `${String(Math.floor(minute / 60)).padStart(2, "0")}:${String(minute % 60).padStart(2, "0")}`;
}

/** The description of a wake's schedule; `parseWakeDescription` reads it back (the cost report does). */
export function wakeDescription(wake: Wake): string {
  return `Start the Airflow host at ${hhmm(wake.atMinute)} UTC for DAG runs at ${wake.fires.map(hhmm).join(", ")} UTC.`;
}

export function parseWakeDescription(text: string): Wake {
  const m = /at (\d\d):(\d\d) UTC for DAG runs at ([0-9:, ]+) UTC\.$/.exec(text);
  if (!m) throw new Error(`Not a wake schedule description: ${JSON.stringify(text)}`);
  const minute = (t: string) => {
    const [h, mm] = t.trim().split(":").map(Number);
    return (h as number) * 60 + (mm as number);
  };
  return { atMinute: Number(m[1]) * 60 + Number(m[2]), fires: (m[3] as string).split(",").map(minute) };
}

/** `HHMM` of a wake, for resource names. */
export function wakeLabel(wake: Wake): string {
  return hhmm(wake.atMinute).replace(":", "");
}

export function checkSettings(s: SleepSettings): void {
  if (!Number.isInteger(s.idleMinutes) || s.idleMinutes < 5 || s.idleMinutes > 720)
    throw new Error(`idleMinutes must be an integer from 5 to 720, got ${s.idleMinutes}.`);
  if (!Number.isInteger(s.wakeLeadMinutes) || s.wakeLeadMinutes < 3 || s.wakeLeadMinutes > 120)
    throw new Error(`wakeLeadMinutes must be an integer from 3 to 120, got ${s.wakeLeadMinutes}.`);
  // A fresh host stays up for the idle window from boot, and from idleMinutes before a fire time:
  // with a longer lead it could stop again before the run it was started for.
  if (s.wakeLeadMinutes > s.idleMinutes)
    throw new Error(
      `wakeLeadMinutes (${s.wakeLeadMinutes}) must not exceed idleMinutes (${s.idleMinutes}): the host would stop before the run.`,
    );
}

/**
 * Minutes the host is up per day under these wakes, given how long one DAG run takes: from each
 * wake to its first fire time, and for each run from its start to its end plus the idle window
 * and, on average, half a check interval until the timer notices. Runs go one at a time (one pool
 * slot), so a run that outlasts the gap to the next fire time delays that one. Overlaps count once.
 */
export function awakeMinutesPerDay(wakes: readonly Wake[], idleMinutes: number, runMinutes: number): number {
  // Three days in a row; the middle one is counted, so windows crossing midnight are complete.
  const up = new Uint8Array(3 * DAY_MINUTES);
  const mark = (from: number, to: number) => {
    for (let m = Math.max(0, Math.floor(from)); m < Math.min(Math.ceil(to), up.length); m++) up[m] = 1;
  };
  const fires: number[] = [];
  for (let day = 0; day < 3; day++) {
    for (const w of wakes) {
      const at = w.atMinute + day * DAY_MINUTES;
      // Fire times of this wake, unwrapped to lie after it.
      const own = w.fires.map((f) => {
        let t = f + day * DAY_MINUTES;
        while (t < at) t += DAY_MINUTES;
        return t;
      });
      mark(at, Math.min(...own));
      fires.push(...own);
    }
  }
  let free = 0;
  for (const f of fires.sort((a, b) => a - b)) {
    const start = Math.max(f, free);
    free = start + runMinutes;
    mark(start, free + idleMinutes + IDLE_CHECK_INTERVAL_MINUTES / 2);
  }
  let total = 0;
  for (let m = DAY_MINUTES; m < 2 * DAY_MINUTES; m++) total += up[m] as number;
  return total;
}

function mod(n: number, m: number): number {
  return ((n % m) + m) % m;
}
