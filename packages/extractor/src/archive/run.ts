import { type IsoDay, isS3Lake, PipelineError } from "@openaq-lakehouse/pipeline-core";
import { type PipelineContext, runStep } from "../steps/run.js";
import { type ArchiveBackfillReport, type ArchiveEngine, archiveBackfill } from "./backfill.js";
import { openArchive } from "./source.js";

/**
 * `backfill --source archive` as the CLI runs it: the archive backfill over the days, the catalog
 * step for every day it ingested (a no-op locally and with partition projection), then the views,
 * with each day's outcome in the run report.
 */
export async function backfillFromArchive(
  ctx: PipelineContext,
  opts: {
    days: readonly IsoDay[];
    force: boolean;
    engine: ArchiveEngine;
    archiveUri: string;
    archiveEndpoint: string | undefined;
  },
): Promise<ArchiveBackfillReport | undefined> {
  const from = opts.days[0];
  const to = opts.days.at(-1);
  if (from === undefined || to === undefined) return undefined;
  let athena: { engine: Awaited<ReturnType<PipelineContext["engine"]>>; lakeUri: string } | undefined;
  if (opts.engine === "athena") {
    const engine = await ctx.engine();
    if (engine.kind !== "athena" || !isS3Lake(ctx.lake)) {
      throw new PipelineError(
        "ATHENA_REQUIRED",
        "--engine athena runs the transform on Athena: use an S3 lake (--lake s3://bucket) with ATHENA_WORKGROUP set.",
      );
    }
    athena = { engine, lakeUri: ctx.lake };
  }
  const archive = await openArchive(
    opts.archiveUri,
    opts.archiveEndpoint !== undefined ? { endpoint: opts.archiveEndpoint } : {},
  );
  let report: ArchiveBackfillReport;
  try {
    report = await archiveBackfill({
      store: ctx.store,
      env: ctx.env,
      from,
      to,
      archive,
      client: await ctx.client(),
      engine: opts.engine,
      ...(athena !== undefined && { athena }),
      force: opts.force,
      maxQuarantineRate: ctx.maxQuarantineRate,
      ...(ctx.allowShrink !== undefined && { allowShrink: ctx.allowShrink }),
      ...(ctx.lease !== undefined && { lease: ctx.lease }),
      ...(ctx.countryId !== undefined && { countryId: ctx.countryId }),
      ...(ctx.now !== undefined && { now: ctx.now }),
      log: ctx.log,
    });
  } finally {
    archive.close();
  }
  for (const d of report.days) {
    ctx.report.addDay(d.day);
    if (d.status !== "ingested") {
      ctx.report.report.skippedDays.push(d.day);
      continue;
    }
    const changes = [
      d.changed.length > 0 && `${d.changed.length} changed`,
      d.appeared.length > 0 && `${d.appeared.length} new`,
      d.disappeared.length > 0 && `${d.disappeared.length} gone`,
    ].filter(Boolean);
    ctx.report.step({
      step: "transform",
      day: d.day,
      ms: 0,
      status: "ok",
      summary: `archive: ${d.objects} files (${changes.join(", ") || "unchanged"}), ${d.rows} rows, ${d.quarantined} quarantined`,
    });
    ctx.report.rows("measurements", d.rows);
    await runStep(ctx, "catalog", d.day);
  }
  ctx.report.written(report.objects, report.bytes);
  await runStep(ctx, "views", to);
  return report;
}
