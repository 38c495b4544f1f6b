import {
  addDays,
  databaseName,
  type Environment,
  type IsoDay,
  isIsoDay,
  PipelineError,
  SERVING_VIEWS,
  type ServingView,
} from "@openaq-lakehouse/pipeline-core";
import { assertEngineDatabase, type QueryEngine } from "./engine.js";

export interface ViewCheck {
  view: string;
  /** Rows judged: the whole view, or with `day` the rows whose newest reading falls on that day. */
  rows: number;
  /** The newest `latest_datetime_utc` among those rows, `YYYY-MM-DD HH:MM:SS.sss` UTC. */
  latest: string | null;
  problem?: string;
  /** Why a check was not applied (e.g. a day older than view_latest_aqi's window). */
  note?: string;
}

export interface ValidationReport {
  ok: boolean;
  /** The UTC day judged, when validation was asked about one. */
  day?: IsoDay;
  views: ViewCheck[];
}

/** A run's data is fresh when its newest reading is at most this old (a daily run lands D at D+1). */
export const DEFAULT_MAX_AGE_HOURS = 48;

export interface ValidateOptions {
  env: Environment;
  /**
   * The UTC day the run processed (`--date`). Set: each view is judged for that day, relative to
   * the day's end, so a catch-up or backfill day validates on its own data whatever today is:
   * - view_daily_average must have rows whose newest reading falls on `day`;
   * - view_latest_aqi (a window ending today) is checked only when `day` is recent, i.e. its end
   *   is at most `maxAgeHours` before now; its newest reading must then be at most `maxAgeHours`
   *   older than the day's end. For an older day the check is skipped, with a note.
   * Unset: every view is judged as of `now` (the newest reading at most `maxAgeHours` old).
   */
  day?: IsoDay;
  maxAgeHours?: number;
  now?: Date;
}

const HOUR_MS = 3_600_000;

/** `YYYY-MM-DD HH:MM:SS.sss` (the engines' timestamp text, UTC) → epoch ms. */
function epochOf(timestamp: string): number {
  return Date.parse(`${timestamp.replace(" ", "T")}Z`);
}

async function countAndLatest(
  engine: QueryEngine,
  qualified: string,
  where = "",
): Promise<{ rows: number; latest: string | null }> {
  const r = await engine.query(
    `SELECT count(*) AS row_count, max(latest_datetime_utc) AS latest FROM ${qualified}${where ? ` WHERE ${where}` : ""}`,
  );
  const first = r.rows[0] ?? {};
  return {
    rows: Number(first.row_count ?? 0),
    latest: typeof first.latest === "string" ? first.latest : null,
  };
}

/** A timestamp literal both engines read (DuckDB and Athena/Trino). */
function dayStart(day: IsoDay): string {
  return `TIMESTAMP '${day} 00:00:00'`;
}

/**
 * Counts and freshness on each serving view. Empty or stale fails the report with a reason per
 * view; a view that cannot be read (missing, broken) fails it too, with the engine's message.
 */
export async function validateViews(engine: QueryEngine, opts: ValidateOptions): Promise<ValidationReport> {
  const database = databaseName(opts.env);
  assertEngineDatabase(engine, database);
  const maxAgeHours = opts.maxAgeHours ?? DEFAULT_MAX_AGE_HOURS;
  if (!(maxAgeHours > 0))
    throw new PipelineError("INVALID_OPTION", `maxAgeHours must be positive, got ${maxAgeHours}.`);
  if (opts.day !== undefined && !isIsoDay(opts.day))
    throw new PipelineError("INVALID_OPTION", `day must be a real day as YYYY-MM-DD, got ${opts.day}.`);
  const now = opts.now ?? new Date();
  const views: ViewCheck[] = [];
  for (const view of SERVING_VIEWS) {
    try {
      views.push(
        opts.day === undefined
          ? await checkNow(engine, database, view, maxAgeHours, now)
          : await checkDay(engine, database, view, opts.day, maxAgeHours, now),
      );
    } catch (e) {
      views.push({
        view,
        rows: 0,
        latest: null,
        problem: `${view} cannot be read: ${e instanceof Error ? e.message : String(e)}`,
      });
    }
  }
  return {
    ok: views.every((v) => v.problem === undefined),
    ...(opts.day !== undefined && { day: opts.day }),
    views,
  };
}

function emptyProblem(view: ServingView, qualified: string): string {
  return `${view} is empty: ${qualified} has no rows${view === "view_latest_aqi" ? " (no location has a valid reading in its recent window)" : ""}.`;
}

async function checkNow(
  engine: QueryEngine,
  database: string,
  view: ServingView,
  maxAgeHours: number,
  now: Date,
): Promise<ViewCheck> {
  const qualified = `${database}.${view}`;
  const { rows, latest } = await countAndLatest(engine, qualified);
  const check: ViewCheck = { view, rows, latest };
  if (rows === 0) {
    check.problem = emptyProblem(view, qualified);
  } else if (latest !== null) {
    const ageHours = (now.getTime() - epochOf(latest)) / HOUR_MS;
    if (ageHours > maxAgeHours) {
      check.problem = `stale: ${qualified}'s newest reading starts ${latest} UTC, ${ageHours.toFixed(1)} h before ${now.toISOString()} (max ${maxAgeHours} h).`;
    }
  }
  return check;
}

async function checkDay(
  engine: QueryEngine,
  database: string,
  view: ServingView,
  day: IsoDay,
  maxAgeHours: number,
  now: Date,
): Promise<ViewCheck> {
  const qualified = `${database}.${view}`;
  const next = addDays(day, 1);
  const dayEnd = Date.parse(`${next}T00:00:00Z`);
  if (view === "view_latest_aqi") {
    const { rows, latest } = await countAndLatest(engine, qualified);
    const check: ViewCheck = { view, rows, latest };
    if ((now.getTime() - dayEnd) / HOUR_MS > maxAgeHours) {
      check.note = `not judged for ${day}: ${view} shows a window ending today, and ${day} ended more than ${maxAgeHours} h ago.`;
      return check;
    }
    if (rows === 0) check.problem = emptyProblem(view, qualified);
    else if (latest !== null && (dayEnd - epochOf(latest)) / HOUR_MS > maxAgeHours) {
      check.problem = `stale for ${day}: ${qualified}'s newest reading starts ${latest} UTC, ${((dayEnd - epochOf(latest)) / HOUR_MS).toFixed(1)} h before the day's end (max ${maxAgeHours} h).`;
    }
    return check;
  }
  // Rows whose newest reading falls on the UTC day: they exist exactly when the day's data reached
  // the view (a local day straddles two UTC days, so the day's own readings are what count).
  const onDay = await countAndLatest(
    engine,
    qualified,
    `latest_datetime_utc >= ${dayStart(day)} AND latest_datetime_utc < ${dayStart(next)}`,
  );
  const check: ViewCheck = { view, rows: onDay.rows, latest: onDay.latest };
  if (onDay.rows === 0) {
    const before = await countAndLatest(engine, qualified, `latest_datetime_utc < ${dayStart(next)}`);
    check.problem =
      before.latest === null
        ? `${view} has no readings on ${day} (UTC): ${qualified} has nothing up to that day's end.`
        : `${view} has no readings on ${day} (UTC): ${qualified}'s newest reading before that day's end starts ${before.latest} UTC, ${((dayEnd - epochOf(before.latest)) / HOUR_MS).toFixed(1)} h before it.`;
  }
  return check;
}
