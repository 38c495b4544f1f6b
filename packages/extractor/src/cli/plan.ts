import { databaseName, isS3Lake } from "@openaq-lakehouse/pipeline-core";
import { lookbackDays } from "../steps/run.js";
import type { CliArgs } from "./args.js";
import { type ApiSource, apiSource, type RuntimeConfig } from "./config.js";

/** What a command would do, printed by --dry-run (and used to describe a run before it starts). */
export interface Plan {
  command: string;
  env: string;
  lake: string;
  days: string[];
  steps: string[];
  api?: string;
  catalog?: string;
  engine?: string;
  maxQuarantineRate?: number;
  sql?: string;
}

const USES_API = new Set(["extract", "run", "backfill"]);
const USES_ENGINE = new Set(["views", "validate", "run", "backfill", "query"]);
const USES_CATALOG = new Set(["catalog", "run", "backfill"]);

export function describeApi(source: ApiSource): string {
  if (source.kind === "fixtures")
    return "the bundled OpenAQ fixtures, served locally (no OPENAQ_API_KEY set)";
  const where = source.baseUrl ?? "the public OpenAQ API";
  const key =
    source.key === "env"
      ? "key from OPENAQ_API_KEY"
      : source.key === "ssm"
        ? "key from the SSM parameter in OPENAQ_API_KEY_PARAMETER"
        : "no API key set";
  return `${where} (${key})`;
}

export function planFor(args: CliArgs, config: RuntimeConfig): Plan {
  const steps =
    args.command === "run"
      ? ["extract", "transform", "catalog", "views", "validate"]
      : args.command === "backfill" && args.source === "archive"
        ? [
            `list the OpenAQ archive (${config.archiveUri}) once per location and month; per day whose files changed, appeared or disappeared (all with --force): store them in raw, transform (${args.engine === "athena" ? "as SQL on Athena" : "here"}), catalog`,
            "views",
          ]
        : args.command === "backfill"
          ? [
              "extract, transform, catalog per day (days already complete are skipped unless --force)",
              "views",
            ]
          : args.command === "check"
            ? [
                args.repair
                  ? "check each day; re-transform days with broken objects from raw"
                  : "check each day (read only)",
              ]
            : [args.command];
  const s3 = isS3Lake(args.lake);
  const plan: Plan = {
    command: args.command,
    env: args.env,
    lake: args.lake,
    days:
      args.command === "backfill" || args.command === "check"
        ? args.days
        : args.command === "query" || args.command === "views"
          ? []
          : [...lookbackDays(args.day, args.lookback), args.day],
    steps,
  };
  if (USES_API.has(args.command)) plan.api = describeApi(apiSource(config, args.lake));
  if (USES_CATALOG.has(args.command)) {
    plan.catalog = s3
      ? `Glue database ${databaseName(args.env)}, CATALOG_MODE=${config.catalogMode}${config.catalogMode === "crawler" ? ` (crawler ${config.crawlerName ?? "unset: GLUE_CRAWLER_NAME needed"})` : ""}`
      : "local lake: nothing to register";
  }
  if (USES_ENGINE.has(args.command)) {
    plan.engine = s3
      ? `Athena, workgroup ${config.athenaWorkgroup ?? "unset: ATHENA_WORKGROUP needed"}`
      : "DuckDB over the lake folder";
  }
  if (args.command === "transform" || args.command === "run" || args.command === "backfill") {
    plan.maxQuarantineRate = args.maxQuarantineRate;
  }
  if (args.sql !== undefined) plan.sql = args.sql;
  return plan;
}

export function renderPlan(plan: Plan): string {
  const lines = [`Plan for openaq-pipeline ${plan.command} (env ${plan.env}, lake ${plan.lake}):`];
  if (plan.days.length === 1) lines.push(`  day: ${plan.days[0]}`);
  else if (plan.days.length > 1)
    lines.push(`  days: ${plan.days[0]}..${plan.days.at(-1)} (${plan.days.length} days)`);
  lines.push(`  steps: ${plan.steps.join(" -> ")}`);
  if (plan.api) lines.push(`  api: ${plan.api}`);
  if (plan.catalog) lines.push(`  catalog: ${plan.catalog}`);
  if (plan.engine) lines.push(`  engine: ${plan.engine}`);
  if (plan.maxQuarantineRate !== undefined) lines.push(`  max quarantine rate: ${plan.maxQuarantineRate}`);
  if (plan.sql) lines.push(`  sql: ${plan.sql}`);
  lines.push("Dry run: nothing was read or written.");
  return `${lines.join("\n")}\n`;
}
