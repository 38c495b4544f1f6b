/**
 * The extractor as a library: the OpenAQ client, each pipeline step, and the CLI entry. The
 * `openaq-pipeline` command itself is `src/cli/main.ts` (run from the workspace root with
 * `pnpm pipeline …`, or the bundle in the container image).
 */

export {
  type ArchiveBackfillOptions,
  type ArchiveBackfillReport,
  type ArchiveDayReport,
  archiveBackfill,
} from "./archive/backfill.js";
export { type ArchiveSource, DEFAULT_ARCHIVE_URI, openArchive } from "./archive/source.js";
export { type CliIo, runCli } from "./cli/cli.js";
export type { LogFields, Logger } from "./log.js";
export * from "./openaq/index.js";
export type { RawPageRef, RawRunManifest } from "./raw/names.js";
export type { RunReport, StepName } from "./report.js";
export {
  CATALOG_MODES,
  type CatalogMode,
  type CatalogOptions,
  type CatalogReport,
  catalogDay,
} from "./steps/catalog.js";
export { type ExtractOptions, type ExtractReport, extractDay } from "./steps/extract.js";
export { backfill, DAY_STEPS, type PipelineContext, readRunRecord, runDay, runStep } from "./steps/run.js";
export { type TransformOptions, type TransformReport, transformDay } from "./steps/transform.js";
