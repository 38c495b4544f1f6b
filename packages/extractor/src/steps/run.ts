import {
  addDays,
  type Environment,
  type IsoDay,
  LATENESS_WINDOW_HOURS,
  type ObjectStore,
  PipelineError,
  stateKey,
  sumCounts,
  totalCount,
  utcDayWindow,
} from "@openaq-lakehouse/pipeline-core";
import type { QueryEngine, ValidationReport } from "@openaq-lakehouse/views";
import type { Logger } from "../log.js";
import type { OpenAqClient } from "../openaq/client.js";
import { formatBytes, type ReportBuilder, type StepName } from "../report.js";
import { type CatalogMode, catalogDay } from "./catalog.js";
import { dayIsIntact } from "./check.js";
import { extractDay } from "./extract.js";
import { transformDay } from "./transform.js";
import { topReasons } from "./transform-quarantine.js";

/** Everything the steps need, opened lazily so a command pays only for what it uses. */
export interface PipelineContext {
  store: ObjectStore;
  lake: string;
  env: Environment;
  log: Logger;
  report: ReportBuilder;
  maxQuarantineRate: number;
  /** The API client (for the bundled fixtures, the local server starts on first use). */
  client(): Promise<OpenAqClient>;
  /** DuckDB over the lake folder, or Athena for an S3 lake. */
  engine(): Promise<QueryEngine>;
  catalog: { mode: CatalogMode; region?: string; crawlerName?: string };
  /** Overrides for tests (e.g. a mocked Glue client); passed to catalogDay. */
  catalogExtras?: Record<string, unknown>;
  countryId?: number;
  now?: () => number;
  /** transform: replace partitions even when they shrink materially (a deliberate correction). */
  allowShrink?: boolean;
  /** transform: replay this extract run of the day instead of the newest. */
  rawRunId?: string;
  /** transform: writer lease settings (tests shorten them). */
  lease?: { ttlMs?: number; waitMs?: number; pollMs?: number };
}

/**
 * The per-day record in `{env}/_state/runs/{day}.json`: which steps are done, for resumable backfills.
 * `provisional`: every step succeeded, but the day ended less than the lateness window ago, so late
 * data may still arrive; backfill redoes it. Only `complete` days are skipped.
 */
export interface RunRecord {
  version: 1;
  env: Environment;
  day: IsoDay;
  status: "running" | "complete" | "provisional" | "failed";
  /** Steps completed, in order. */
  done: StepName[];
  /** Rows transform wrote per dataset (what `check` holds the processed objects against). */
  rows?: Record<string, number>;
  error?: string;
}

const encoder = new TextEncoder();

export async function readRunRecord(
  store: ObjectStore,
  env: Environment,
  day: IsoDay,
): Promise<RunRecord | undefined> {
  const body = await store.get(stateKey(env, "runs", day));
  if (!body) return undefined;
  try {
    const r = JSON.parse(new TextDecoder().decode(body)) as RunRecord;
    return r && r.version === 1 && Array.isArray(r.done) ? r : undefined;
  } catch {
    return undefined; // an unreadable record is as good as none: the day is redone
  }
}

async function writeRunRecord(store: ObjectStore, record: RunRecord): Promise<void> {
  await store.put(
    stateKey(record.env, "runs", record.day),
    encoder.encode(`${JSON.stringify(record, null, 2)}\n`),
    {
      contentType: "application/json",
    },
  );
}

/** A day can be recorded complete only once it ended `LATENESS_WINDOW_HOURS` ago (OpenAQ data arrives late). */
export function canBeComplete(day: IsoDay, nowMs: number): boolean {
  return utcDayWindow(day).endMs + LATENESS_WINDOW_HOURS * 3_600_000 <= nowMs;
}

/** The `n` days before `day`, oldest first. */
export function lookbackDays(day: IsoDay, n: number): IsoDay[] {
  return Array.from({ length: n }, (_, i) => addDays(day, i - n));
}

function errorSentence(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * Runs one step for one day, timing it and adding its numbers to the report. Returns the rows the
 * step wrote per dataset, when it writes any (transform).
 */
export async function runStep(
  ctx: PipelineContext,
  step: StepName,
  day: IsoDay,
): Promise<Record<string, number> | undefined> {
  const now = ctx.now ?? Date.now;
  const started = now();
  const r = ctx.report;
  r.addDay(day);
  try {
    const out = await STEPS[step](ctx, day);
    const { summary, rows } = typeof out === "string" ? { summary: out, rows: undefined } : out;
    r.step({ step, day, ms: now() - started, status: "ok", summary });
    return rows;
  } catch (e) {
    r.step({ step, day, ms: now() - started, status: "failed", summary: errorSentence(e) });
    throw e;
  }
}

type StepFn = (
  ctx: PipelineContext,
  day: IsoDay,
) => Promise<string | { summary: string; rows: Record<string, number> }>;

const STEPS: Record<StepName, StepFn> = {
  async extract(ctx, day) {
    const client = await ctx.client();
    const before = { ...client.stats };
    try {
      const x = await extractDay({
        store: ctx.store,
        env: ctx.env,
        day,
        client,
        log: ctx.log,
        ...(ctx.countryId !== undefined && { countryId: ctx.countryId }),
      });
      ctx.report.written(x.objectsWritten, x.bytesWritten);
      return `${x.locations} locations, ${x.sensorsAsked} sensors asked (${x.sensorsSkipped} skipped), ${x.pages} pages, ${x.requests} requests (${x.retries} retries), ${x.objectsWritten} objects, ${formatBytes(x.bytesWritten)}`;
    } finally {
      // Requests count even when the step fails: a failed run still says how hard it tried.
      ctx.report.requests({
        requests: client.stats.requests - before.requests,
        retries: client.stats.retries - before.retries,
        rateLimited: client.stats.rateLimited - before.rateLimited,
      });
    }
  },
  async transform(ctx, day) {
    const t = await transformDay({
      store: ctx.store,
      env: ctx.env,
      day,
      maxQuarantineRate: ctx.maxQuarantineRate,
      log: ctx.log,
      ...(ctx.allowShrink !== undefined && { allowShrink: ctx.allowShrink }),
      ...(ctx.rawRunId !== undefined && { rawRunId: ctx.rawRunId }),
      ...(ctx.lease !== undefined && { lease: ctx.lease }),
    });
    ctx.report.rows("measurements", t.rows.measurements);
    ctx.report.rows("locations", t.rows.locations);
    ctx.report.quarantined(t.quarantined.measurements);
    ctx.report.quarantined(t.quarantined.locations);
    ctx.report.written(t.objectsWritten, t.bytesWritten);
    const all = sumCounts(t.quarantined.measurements, t.quarantined.locations);
    const q = totalCount(all);
    const changes = t.partitions
      .map((p) => `${p.dataset} ${p.before === undefined ? "new" : p.before} → ${p.after}`)
      .join(", ");
    return {
      summary: `raw run ${t.rawRunId}; rows ${changes}; ${t.rawPagesRead} raw pages; quarantined ${q}${q ? ` (${topReasons(all, 5)})` : ""}; ${t.objectsWritten} objects, ${formatBytes(t.bytesWritten)}`,
      rows: { ...t.rows },
    };
  },
  async catalog(ctx, day) {
    const c = await catalogDay({
      lake: ctx.lake,
      env: ctx.env,
      day,
      mode: ctx.catalog.mode,
      log: ctx.log,
      ...(ctx.catalog.region !== undefined && { region: ctx.catalog.region }),
      ...(ctx.catalog.crawlerName !== undefined && { crawlerName: ctx.catalog.crawlerName }),
      ...(ctx.catalogExtras ?? {}),
    });
    return c.summary;
  },
  async views(ctx) {
    const { deployViews } = await import("@openaq-lakehouse/views");
    const engine = await ctx.engine();
    const { views } = await deployViews(engine, { env: ctx.env });
    return `deployed ${views.join(", ")}`;
  },
  async validate(ctx, day) {
    const { validateViews } = await import("@openaq-lakehouse/views");
    const engine = await ctx.engine();
    // Judged for the run's day, not for today: catch-up and backfill days validate on their own data.
    const v: ValidationReport = await validateViews(engine, {
      env: ctx.env,
      day,
      now: new Date((ctx.now ?? Date.now)()),
    });
    ctx.report.report.validation = v;
    const counts = v.views
      .map((c) => `${c.view} ${c.rows} rows${c.latest ? ` (latest ${c.latest})` : ""}`)
      .join(", ");
    if (!v.ok) {
      const problems = v.views.flatMap((c) => (c.problem ? [c.problem] : []));
      throw new PipelineError(
        "VALIDATION_FAILED",
        `Validation failed: ${problems.join("; ").replace(/\.$/, "")}.`,
      );
    }
    return counts;
  },
};

export const DAY_STEPS: readonly StepName[] = ["extract", "transform", "catalog", "views", "validate"];
export const BACKFILL_DAY_STEPS: readonly StepName[] = ["extract", "transform", "catalog"];

/**
 * Runs `steps` for one day and keeps its run record up to date after every step, so a crash
 * leaves a record that says how far the day got. `resume` starts after the steps the record
 * already lists as done (raw and processed are immutable between steps, so that is safe).
 */
export async function runDay(
  ctx: PipelineContext,
  day: IsoDay,
  steps: readonly StepName[],
  opts: { resume?: boolean } = {},
): Promise<void> {
  const previous = opts.resume ? await readRunRecord(ctx.store, ctx.env, day) : undefined;
  const done: StepName[] =
    previous && previous.status !== "complete" ? previous.done.filter((s) => steps.includes(s)) : [];
  // Resume only a prefix of the plan: a record that says "transform done" without "extract" is not trusted.
  let resumeFrom = 0;
  while (resumeFrom < steps.length && done.includes(steps[resumeFrom] as StepName)) resumeFrom++;
  const record: RunRecord = {
    version: 1,
    env: ctx.env,
    day,
    status: "running",
    done: steps.slice(0, resumeFrom) as StepName[],
    // A resumed day keeps the row counts of the transform it does not redo.
    ...(previous?.rows !== undefined &&
      steps.slice(0, resumeFrom).includes("transform") && { rows: previous.rows }),
  };
  if (resumeFrom > 0)
    ctx.log.info(`${day}: resuming after ${record.done.join(", ")} (from the run record).`, { day });
  await writeRunRecord(ctx.store, record);
  for (const step of steps.slice(resumeFrom)) {
    try {
      const rows = await runStep(ctx, step, day);
      if (rows !== undefined) record.rows = rows;
    } catch (e) {
      await writeRunRecord(ctx.store, { ...record, status: "failed", error: errorSentence(e) });
      throw e;
    }
    record.done.push(step);
    await writeRunRecord(ctx.store, record);
  }
  const now = ctx.now ?? Date.now;
  const status = canBeComplete(day, now()) ? "complete" : "provisional";
  if (status === "provisional")
    ctx.log.info(
      `${day}: done, but recorded provisional: it ended less than ${LATENESS_WINDOW_HOURS} h ago, so late data may still arrive (backfill and --lookback redo it).`,
      { day },
    );
  await writeRunRecord(ctx.store, { ...record, status });
}

/**
 * `run` with a lookback: extract, transform and catalog each of the `lookback` days before `day`
 * (oldest first), so data OpenAQ received late lands, then every step of `day`. With write-once raw,
 * a day whose answer did not change stores nothing new and rewrites identical partitions.
 */
export async function runWithLookback(ctx: PipelineContext, day: IsoDay, lookback: number): Promise<void> {
  for (const d of lookbackDays(day, lookback)) await runDay(ctx, d, BACKFILL_DAY_STEPS);
  await runDay(ctx, day, DAY_STEPS);
}

/**
 * Extract, transform and catalog each day of the range, oldest first, skipping days whose record
 * says complete (unless `force`) and resuming a day a crash interrupted; then deploys the views
 * once. Validation is left to `validate`: the latest-readings view only covers recent days, so it
 * would call a backfill of past days stale by design. Stops at the first failing day.
 */
export async function backfill(
  ctx: PipelineContext,
  days: readonly IsoDay[],
  opts: { force?: boolean } = {},
): Promise<void> {
  for (const [i, day] of days.entries()) {
    const record = await readRunRecord(ctx.store, ctx.env, day);
    if (!opts.force && record?.status === "complete" && (await dayIsIntact(ctx.store, ctx.env, day))) {
      ctx.report.report.skippedDays.push(day);
      ctx.log.info(`backfill ${day}: already complete, skipped (use --force to redo).`, {
        day,
        skipped: true,
      });
      continue;
    }
    ctx.log.info(`backfill ${day} (${i + 1}/${days.length})`, { day, index: i + 1, total: days.length });
    await runDay(ctx, day, BACKFILL_DAY_STEPS, { resume: !opts.force });
  }
  const last = days.at(-1);
  if (last !== undefined) await runStep(ctx, "views", last);
}
