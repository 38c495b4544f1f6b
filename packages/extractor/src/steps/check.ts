import {
  assertTableMatches,
  DATASETS,
  type DatasetSchema,
  decodeParquet,
  type Environment,
  type IsoDay,
  listKeys,
  type ObjectStore,
  partitionPrefix,
} from "@openaq-lakehouse/pipeline-core";
import type { PipelineContext } from "./run.js";
import { readRunRecord, runStep } from "./run.js";

/** One processed object that cannot be served, and why. */
export interface ObjectProblem {
  key: string;
  dataset: string;
  problem: string;
}

export interface DayCheck {
  day: IsoDay;
  /** Processed objects inspected. */
  objects: number;
  /** Rows found per dataset (readable objects only). */
  rows: Record<string, number>;
  problems: ObjectProblem[];
  /** Set by `--repair`: the day was re-transformed from raw and checked again. */
  repaired?: boolean;
}

export interface CheckReport {
  env: Environment;
  days: DayCheck[];
  ok: boolean;
}

/** Parquet objects begin and end with these four bytes. */
const MAGIC = "PAR1";

/**
 * Why an object is not a readable Parquet file of the dataset's schema, or its row count. `quick`
 * stops after the framing (magic bytes at both ends, a footer that fits): what backfill asks
 * for every complete day, without decoding a year of objects.
 */
function inspect(
  dataset: DatasetSchema,
  body: Uint8Array,
  quick = false,
): { rows: number } | { problem: string } {
  const text = new TextDecoder("latin1");
  if (body.length < 12) return { problem: `${body.length} bytes, too small to be Parquet` };
  if (text.decode(body.subarray(0, 4)) !== MAGIC || text.decode(body.subarray(body.length - 4)) !== MAGIC)
    return { problem: "not a Parquet file (no PAR1 magic at both ends)" };
  const footer = new DataView(body.buffer, body.byteOffset + body.length - 8, 4).getUint32(0, true);
  if (footer === 0 || footer > body.length - 12)
    return { problem: `a footer of ${footer} bytes does not fit` };
  if (quick) return { rows: 0 };
  let table: ReturnType<typeof decodeParquet>;
  try {
    table = decodeParquet(body);
  } catch (e) {
    return { problem: `unreadable Parquet (${firstLine(e)})` };
  }
  try {
    assertTableMatches(dataset, table);
  } catch (e) {
    return { problem: `unexpected schema (${firstLine(e)})` };
  }
  return { rows: table.numRows };
}

/**
 * Verifies every processed object of one day: each must be readable Parquet with the dataset's
 * schema, and when the day's run record carries the row counts transform wrote (`rows`), the
 * objects must hold exactly that many. A day whose record says transform is done but that has no
 * objects of a dataset is reported too (transform always writes at least one part).
 */
export async function checkDay(
  store: ObjectStore,
  env: Environment,
  day: IsoDay,
  opts: { quick?: boolean } = {},
): Promise<DayCheck> {
  const record = await readRunRecord(store, env, day);
  const expectedRows = (record as { rows?: Record<string, unknown> } | undefined)?.rows;
  const transformed = record?.done.includes("transform") ?? false;
  const out: DayCheck = { day, objects: 0, rows: {}, problems: [] };
  for (const dataset of Object.values(DATASETS)) {
    const prefix = partitionPrefix({ env, layer: "processed", dataset: dataset.name, day });
    const keys = (await listKeys(store, prefix)).filter((k) => k.endsWith(".parquet"));
    let rows = 0;
    let readable = true;
    for (const key of keys) {
      out.objects++;
      const body = await store.get(key);
      const verdict =
        body === undefined ? { problem: "vanished while being checked" } : inspect(dataset, body, opts.quick);
      if ("problem" in verdict) {
        readable = false;
        out.problems.push({ key, dataset: dataset.name, problem: verdict.problem });
      } else rows += verdict.rows;
    }
    out.rows[dataset.name] = rows;
    if (keys.length === 0 && transformed) {
      out.problems.push({
        key: prefix,
        dataset: dataset.name,
        problem: "no processed objects although the run record says transform is done",
      });
    }
    const expected = expectedRows?.[dataset.name];
    if (!opts.quick && readable && keys.length > 0 && typeof expected === "number" && expected !== rows) {
      out.problems.push({
        key: prefix,
        dataset: dataset.name,
        problem: `${rows} rows, the run record says transform wrote ${expected}`,
      });
    }
  }
  return out;
}

/**
 * The one question backfill asks before skipping a day its record calls complete: are all of the
 * day's processed objects there and framed as Parquet (the quick check: `check` also decodes them)?
 * A day with a broken object is redone, never skipped.
 */
export async function dayIsIntact(store: ObjectStore, env: Environment, day: IsoDay): Promise<boolean> {
  return (await checkDay(store, env, day, { quick: true })).problems.length === 0;
}

/**
 * `check`: every day of the range; with `repair`, each day with a problem is re-transformed from
 * its raw objects (the existing transform step, which replaces the day's processed partitions)
 * and checked again. Days with no raw manifest cannot be repaired: that failure is the step's.
 */
export async function checkRange(
  ctx: PipelineContext,
  days: readonly IsoDay[],
  opts: { repair?: boolean } = {},
): Promise<CheckReport> {
  const report: CheckReport = { env: ctx.env, days: [], ok: true };
  for (const day of days) {
    let result = await checkDay(ctx.store, ctx.env, day);
    for (const p of result.problems) {
      ctx.log.warn(`${day}: ${p.key}: ${p.problem}`, { day, key: p.key, problem: p.problem });
    }
    if (result.problems.length > 0 && opts.repair) {
      ctx.log.info(`${day}: re-transforming from raw`, { day, repair: true });
      await runStep(ctx, "transform", day);
      result = { ...(await checkDay(ctx.store, ctx.env, day)), repaired: true };
    }
    if (result.problems.length > 0) report.ok = false;
    report.days.push(result);
  }
  return report;
}

/** The check report as text: one line per day, one per problem. */
export function renderCheckReport(r: CheckReport): string {
  const lines = [`check ${r.env}: ${r.days.length} day(s)`];
  for (const d of r.days) {
    const rows = Object.entries(d.rows)
      .map(([k, n]) => `${k} ${n} rows`)
      .join(", ");
    const state = d.problems.length > 0 ? `${d.problems.length} problem(s)` : d.repaired ? "repaired" : "ok";
    lines.push(`  ${d.day}  ${state}  ${d.objects} objects; ${rows}`);
    for (const p of d.problems) lines.push(`    ${p.key}: ${p.problem}`);
  }
  return `${lines.join("\n")}\n`;
}

function firstLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split("\n")[0]?.replace(/\.$/, "") ?? "";
}
