import {
  databaseName,
  type Environment,
  PipelineError,
  SERVING_VIEWS,
  type ServingView,
} from "@openaq-lakehouse/pipeline-core";
import { dailyAverageSql } from "./daily-average.js";
import { latestAqiSql } from "./latest-aqi.js";

/** UTC days in view_latest_aqi's window, today included: a few, so its cost does not grow with history. */
export const DEFAULT_WINDOW_DAYS = 3;
export const MAX_WINDOW_DAYS = 366;

export interface RenderedView {
  name: ServingView;
  /** Fully qualified, e.g. `openaq_prod.view_latest_aqi`. */
  qualifiedName: string;
  sql: string;
}

export function assertWindowDays(value: unknown): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1 || value > MAX_WINDOW_DAYS) {
    throw new PipelineError(
      "INVALID_WINDOW",
      `Invalid window ${JSON.stringify(value)}: expected a whole number of days from 1 to ${MAX_WINDOW_DAYS}.`,
    );
  }
  return value;
}

/**
 * The serving views of an environment as `CREATE OR REPLACE VIEW` statements in Athena (Trino) SQL,
 * the same text DuckDB runs locally. Only validated identifiers and integers are interpolated.
 */
export function renderViews(opts: { env: Environment; windowDays?: number }): RenderedView[] {
  const database = databaseName(opts.env);
  const windowDays = assertWindowDays(opts.windowDays ?? DEFAULT_WINDOW_DAYS);
  const sql: Record<ServingView, string> = {
    view_latest_aqi: latestAqiSql({ database, windowDays }),
    view_daily_average: dailyAverageSql({ database }),
  };
  return SERVING_VIEWS.map((name) => ({ name, qualifiedName: `${database}.${name}`, sql: sql[name] }));
}
