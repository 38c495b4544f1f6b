import {
  addCount,
  addCounts,
  type Counts,
  type Environment,
  type IsoDay,
  totalCount,
} from "@openaq-lakehouse/pipeline-core";

/**
 * The run report the CLI prints on stdout (README.md, "The CLI"): requests made, retries, rows per
 * dataset, rows quarantined by reason, objects and bytes written, and time per step. Steps add to it
 * as they finish, so a failed run still reports what it did before failing.
 */

export const STEP_NAMES = ["extract", "transform", "catalog", "views", "validate"] as const;
export type StepName = (typeof STEP_NAMES)[number];

export interface StepRecord {
  step: StepName;
  day?: IsoDay;
  ms: number;
  status: "ok" | "failed" | "skipped";
  /** One line for humans. */
  summary: string;
}

export interface RunReport {
  command: string;
  env: Environment;
  lake: string;
  days: IsoDay[];
  ok: boolean;
  error?: string;
  requests: number;
  retries: number;
  rateLimited: number;
  rows: Counts;
  quarantined: Counts;
  objectsWritten: number;
  bytesWritten: number;
  /** Days a backfill skipped because their run record says complete. */
  skippedDays: IsoDay[];
  steps: StepRecord[];
  /** Total time per step name, ms. */
  timeByStep: Counts<StepName>;
  totalMs: number;
  validation?: unknown;
}

export class ReportBuilder {
  readonly report: RunReport;
  private readonly started: number;

  constructor(command: string, env: Environment, lake: string, now: () => number = Date.now) {
    this.started = now();
    this.now = now;
    this.report = {
      command,
      env,
      lake,
      days: [],
      ok: true,
      requests: 0,
      retries: 0,
      rateLimited: 0,
      rows: {},
      quarantined: {},
      objectsWritten: 0,
      bytesWritten: 0,
      skippedDays: [],
      steps: [],
      timeByStep: {},
      totalMs: 0,
    };
  }
  private readonly now: () => number;

  addDay(day: IsoDay): void {
    if (!this.report.days.includes(day)) this.report.days.push(day);
  }

  step(record: StepRecord): void {
    this.report.steps.push(record);
    addCount(this.report.timeByStep, record.step, record.ms);
  }

  requests(n: { requests: number; retries: number; rateLimited: number }): void {
    this.report.requests += n.requests;
    this.report.retries += n.retries;
    this.report.rateLimited += n.rateLimited;
  }

  rows(dataset: string, n: number): void {
    addCount(this.report.rows, dataset, n);
  }

  quarantined(byReason: Counts): void {
    addCounts(this.report.quarantined, byReason);
  }

  written(objects: number, bytes: number): void {
    this.report.objectsWritten += objects;
    this.report.bytesWritten += bytes;
  }

  fail(message: string): void {
    this.report.ok = false;
    this.report.error = message;
  }

  finish(): RunReport {
    this.report.totalMs = this.now() - this.started;
    return this.report;
  }
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)}s`;
}

/** The human summary: one line per step, then the totals. */
export function renderReport(r: RunReport): string {
  const days =
    r.days.length === 0
      ? ""
      : r.days.length === 1
        ? ` ${r.days[0]}`
        : ` ${r.days[0]}..${r.days.at(-1)} (${r.days.length} days)`;
  const lines = [`openaq-pipeline ${r.command} ${r.env}${days}: ${r.ok ? "ok" : "FAILED"} (lake ${r.lake})`];
  for (const s of r.steps) {
    lines.push(
      `  ${s.step.padEnd(9)} ${s.day ?? "".padEnd(10)} ${seconds(s.ms).padStart(6)}  ${s.status === "ok" ? "" : `${s.status}: `}${s.summary}`,
    );
  }
  if (r.skippedDays.length > 0)
    lines.push(`  skipped ${r.skippedDays.length} day(s) already complete: ${r.skippedDays.join(", ")}`);
  const rows =
    Object.entries(r.rows)
      .map(([d, n]) => `${d} ${n}`)
      .join(", ") || "none";
  const quarantined = totalCount(r.quarantined);
  const reasons = Object.entries(r.quarantined)
    .map(([k, n]) => `${k} ${n}`)
    .join(", ");
  lines.push(
    `  requests ${r.requests} (retries ${r.retries}, rate-limited ${r.rateLimited}); rows ${rows}; quarantined ${quarantined}${reasons ? ` (${reasons})` : ""}`,
  );
  const times = Object.entries(r.timeByStep)
    .map(([k, ms]) => `${k} ${seconds(ms)}`)
    .join(", ");
  lines.push(
    `  wrote ${r.objectsWritten} objects, ${formatBytes(r.bytesWritten)}; time ${seconds(r.totalMs)}${times ? ` (${times})` : ""}`,
  );
  if (r.error) lines.push(`  error: ${r.error}`);
  return `${lines.join("\n")}\n`;
}
