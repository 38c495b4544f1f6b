import {
  databaseName,
  type Environment,
  PipelineError,
  SERVING_VIEWS,
} from "@openaq-lakehouse/pipeline-core";
import { assertEngineDatabase, type QueryEngine } from "./engine.js";

export interface ViewCheck {
  view: string;
  rows: number;
  /** The newest `latest_datetime_utc` in the view, `YYYY-MM-DD HH:MM:SS.sss` UTC. */
  latest: string | null;
  problem?: string;
}

export interface ValidationReport {
  ok: boolean;
  views: ViewCheck[];
}

/** A run's data is fresh when its newest reading is at most this old (a daily run lands D at D+1). */
export const DEFAULT_MAX_AGE_HOURS = 48;

/**
 * Counts and freshness on each serving view. Empty or stale fails the report with a reason per
 * view; a view that cannot be read (missing, broken) fails it too, with the engine's message.
 */
export async function validateViews(
  engine: QueryEngine,
  opts: { env: Environment; maxAgeHours?: number; now?: Date },
): Promise<ValidationReport> {
  const database = databaseName(opts.env);
  assertEngineDatabase(engine, database);
  const maxAgeHours = opts.maxAgeHours ?? DEFAULT_MAX_AGE_HOURS;
  if (!(maxAgeHours > 0))
    throw new PipelineError("INVALID_OPTION", `maxAgeHours must be positive, got ${maxAgeHours}.`);
  const now = opts.now ?? new Date();
  const views: ViewCheck[] = [];
  for (const view of SERVING_VIEWS) {
    const qualified = `${database}.${view}`;
    let rows: number;
    let latest: string | null;
    try {
      const r = await engine.query(
        `SELECT count(*) AS row_count, max(latest_datetime_utc) AS latest FROM ${qualified}`,
      );
      const first = r.rows[0] ?? {};
      rows = Number(first.row_count ?? 0);
      latest = typeof first.latest === "string" ? first.latest : null;
    } catch (e) {
      views.push({
        view,
        rows: 0,
        latest: null,
        problem: `${view} cannot be read: ${e instanceof Error ? e.message : String(e)}`,
      });
      continue;
    }
    const check: ViewCheck = { view, rows, latest };
    if (rows === 0) {
      check.problem = `${view} is empty: ${qualified} has no rows${view === "view_latest_aqi" ? " (no location has a valid reading in its recent window)" : ""}.`;
    } else if (latest !== null) {
      const ageHours = (now.getTime() - Date.parse(`${latest.replace(" ", "T")}Z`)) / 3_600_000;
      if (ageHours > maxAgeHours) {
        check.problem = `stale: ${qualified}'s newest reading starts ${latest} UTC, ${ageHours.toFixed(1)} h before ${now.toISOString()} (max ${maxAgeHours} h).`;
      }
    }
    views.push(check);
  }
  return { ok: views.every((v) => v.problem === undefined), views };
}
