import { parseArgs } from "node:util";
import {
  addDays,
  assertEnvironment,
  DEFAULT_LAKE_DIR,
  assertRawRunId,
  DEFAULT_LOOKBACK_DAYS,
  daysBetween,
  type Environment,
  formatIsoDay,
  type IsoDay,
  PipelineError,
  parseIsoDay,
} from "@openaq-lakehouse/pipeline-core";
import { DEFAULT_MAX_QUARANTINE_RATE } from "../steps/transform-quarantine.js";

/** A mistake in how the CLI was called: exit code 2. */
export class UsageError extends PipelineError {
  constructor(message: string) {
    super("USAGE", message);
  }
}

export const COMMANDS = [
  "extract",
  "transform",
  "catalog",
  "views",
  "validate",
  "run",
  "backfill",
  "query",
] as const;
export type Command = (typeof COMMANDS)[number];
export type LogFormat = "text" | "json";
export type QueryFormat = "table" | "csv" | "json";

export interface CliArgs {
  command: Command;
  env: Environment;
  /** The run day (every command but backfill); yesterday UTC unless --date. */
  day: IsoDay;
  /** backfill only: every day from --from to --to, inclusive. */
  days: IsoDay[];
  lake: string;
  json: boolean;
  logFormat: LogFormat;
  dryRun: boolean;
  maxQuarantineRate: number;
  force: boolean;
  debug: boolean;
  /** run/backfill: print the latest AQI and recent daily averages after a successful run. */
  show: boolean;
  format: QueryFormat;
  sql?: string;
  /** run/extract/transform: also redo this many days before the run day (run: DEFAULT_LOOKBACK_DAYS). */
  lookback: number;
  /** transform: replay this extract run instead of the day's newest. */
  rawRunId?: string;
  /** transform/run/backfill: replace partitions even when they shrink materially. */
  allowShrink: boolean;
}

export type ParsedCli = { help: true; command?: Command } | ({ help: false } & CliArgs);

const OPTIONS = {
  env: { type: "string" },
  date: { type: "string" },
  from: { type: "string" },
  to: { type: "string" },
  lake: { type: "string" },
  json: { type: "boolean" },
  "log-format": { type: "string" },
  "dry-run": { type: "boolean" },
  "max-quarantine-rate": { type: "string" },
  format: { type: "string" },
  force: { type: "boolean" },
  debug: { type: "boolean" },
  show: { type: "boolean" },
  lookback: { type: "string" },
  "raw-run": { type: "string" },
  "allow-shrink": { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const;

/** Longest --lookback: a month (longer is a backfill). */
export const MAX_LOOKBACK_DAYS = 31;
const LOOKBACK_COMMANDS: readonly Command[] = ["run", "extract", "transform"];
const SHRINK_COMMANDS: readonly Command[] = ["transform", "run", "backfill"];

/** Longest backfill in one call: a year. Longer ranges are a typo more often than a plan. */
export const MAX_BACKFILL_DAYS = 366;

function day(value: string, flag: string): IsoDay {
  try {
    parseIsoDay(value);
  } catch {
    throw new UsageError(`Invalid ${flag} ${JSON.stringify(value)}: expected a real day as YYYY-MM-DD.`);
  }
  return value;
}

function notInFuture(d: IsoDay, flag: string, today: IsoDay): IsoDay {
  if (d > today)
    throw new UsageError(
      `The ${flag} ${d} is in the future: the latest day with data is today, ${today} (UTC).`,
    );
  return d;
}

/**
 * Parses the argument vector (without `node` and the script). `vars` are the environment variables
 * (PIPELINE_ENV, LAKE_URI); `now` fixes "yesterday". Every problem is a UsageError sentence.
 */
export function parseCli(
  argv: readonly string[],
  vars: NodeJS.ProcessEnv,
  now: Date = new Date(),
): ParsedCli {
  let parsed: ReturnType<
    typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true; strict: true; args: string[] }>
  >;
  try {
    parsed = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true });
  } catch (e) {
    throw new UsageError(describeParseError(e));
  }
  const { values, positionals } = parsed;
  const [commandName, ...rest] = positionals;
  if (commandName === undefined) {
    if (values.help) return { help: true };
    throw new UsageError(`No command given: expected one of ${COMMANDS.join(", ")} (see --help).`);
  }
  if (!(COMMANDS as readonly string[]).includes(commandName)) {
    throw new UsageError(
      `Unknown command ${JSON.stringify(commandName)}: expected one of ${COMMANDS.join(", ")}.`,
    );
  }
  const command = commandName as Command;
  if (values.help) return { help: true, command };

  let sql: string | undefined;
  if (command === "query") {
    if (rest.length !== 1 || !rest[0]?.trim()) {
      throw new UsageError(
        'The query command takes exactly one SQL statement in quotes, e.g. query "SELECT * FROM openaq_dev.view_latest_aqi".',
      );
    }
    sql = rest[0];
  } else if (rest.length > 0) {
    throw new UsageError(`Unexpected argument ${JSON.stringify(rest[0])} for ${command}.`);
  }

  let env: Environment;
  const envValue = values.env ?? (vars.PIPELINE_ENV || "dev");
  try {
    env = assertEnvironment(envValue);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }

  const today = formatIsoDay(now.getTime());
  const runDay = notInFuture(
    values.date === undefined ? addDays(today, -1) : day(values.date, "--date"),
    "--date",
    today,
  );

  let days: IsoDay[] = [];
  if (command === "backfill") {
    if (values.from === undefined || values.to === undefined) {
      throw new UsageError("A backfill needs --from YYYY-MM-DD and --to YYYY-MM-DD.");
    }
    const from = notInFuture(day(values.from, "--from"), "--from", today);
    const to = notInFuture(day(values.to, "--to"), "--to", today);
    if (to < from) throw new UsageError(`The range ends (--to ${to}) before it starts (--from ${from}).`);
    days = daysBetween(from, to);
    if (days.length > MAX_BACKFILL_DAYS) {
      throw new UsageError(
        `The range ${from}..${to} spans ${days.length} days; backfill at most ${MAX_BACKFILL_DAYS} days per call.`,
      );
    }
  } else if (values.from !== undefined || values.to !== undefined) {
    throw new UsageError(`The options --from and --to belong to backfill; ${command} takes --date.`);
  }

  const logFormat = values["log-format"] ?? "text";
  if (logFormat !== "text" && logFormat !== "json") {
    throw new UsageError(`Unknown --log-format ${JSON.stringify(logFormat)}: expected text or json.`);
  }
  const format = values.format ?? "table";
  if (format !== "table" && format !== "csv" && format !== "json") {
    throw new UsageError(`Unknown --format ${JSON.stringify(format)}: expected table, csv or json.`);
  }
  let maxQuarantineRate = DEFAULT_MAX_QUARANTINE_RATE;
  if (values["max-quarantine-rate"] !== undefined) {
    const raw = values["max-quarantine-rate"];
    maxQuarantineRate = /^\s*(0(\.\d+)?|1(\.0+)?|\.\d+)\s*$/.test(raw) ? Number(raw) : Number.NaN;
    if (Number.isNaN(maxQuarantineRate)) {
      throw new UsageError(
        `Invalid --max-quarantine-rate ${JSON.stringify(raw)}: expected a fraction from 0 to 1, e.g. 0.2.`,
      );
    }
  }
  const lake = values.lake ?? (vars.LAKE_URI || DEFAULT_LAKE_DIR);
  checkLake(lake);
  const { lookback, rawRunId, allowShrink } = integrityOptions(command, values);

  return {
    help: false,
    command,
    env,
    day: runDay,
    days,
    lake,
    json: values.json ?? false,
    logFormat,
    dryRun: values["dry-run"] ?? false,
    maxQuarantineRate,
    force: values.force ?? false,
    debug: values.debug ?? false,
    show: values.show ?? false,
    format,
    ...(sql !== undefined && { sql }),
    lookback,
    ...(rawRunId !== undefined && { rawRunId }),
    allowShrink,
  };
}

/** --lookback, --raw-run and --allow-shrink: which commands take them, and their values. */
function integrityOptions(
  command: Command,
  values: { lookback?: string; "raw-run"?: string; "allow-shrink"?: boolean },
): { lookback: number; rawRunId?: string; allowShrink: boolean } {
  let lookback = command === "run" ? DEFAULT_LOOKBACK_DAYS : 0;
  if (values.lookback !== undefined) {
    if (!LOOKBACK_COMMANDS.includes(command))
      throw new UsageError(`The option --lookback belongs to ${LOOKBACK_COMMANDS.join(", ")}; ${command} does not take it.`);
    const raw = values.lookback;
    lookback = /^\d{1,3}$/.test(raw) ? Number(raw) : Number.NaN;
    if (!(lookback >= 0 && lookback <= MAX_LOOKBACK_DAYS)) {
      throw new UsageError(
        `Invalid --lookback ${JSON.stringify(raw)}: expected a whole number of days from 0 to ${MAX_LOOKBACK_DAYS}.`,
      );
    }
  }
  const rawRunId = values["raw-run"];
  if (rawRunId !== undefined) {
    if (command !== "transform")
      throw new UsageError(`The option --raw-run belongs to transform; ${command} does not take it.`);
    if (lookback > 0)
      throw new UsageError("--raw-run names one day's extract run: it cannot be combined with --lookback.");
    try {
      assertRawRunId(rawRunId);
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
  }
  const allowShrink = values["allow-shrink"] ?? false;
  if (allowShrink && !SHRINK_COMMANDS.includes(command))
    throw new UsageError(`The option --allow-shrink belongs to ${SHRINK_COMMANDS.join(", ")}; ${command} does not take it.`);
  return { lookback, ...(rawRunId !== undefined && { rawRunId }), allowShrink };
}

function checkLake(lake: string): void {
  if (lake.trim() === "")
    throw new UsageError("The lake is empty: pass --lake <folder> or --lake s3://bucket.");
  if (lake.startsWith("s3://")) {
    if (!/^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](\/.*)?$/.test(lake)) {
      throw new UsageError(
        `Invalid lake ${JSON.stringify(lake)}: expected s3://bucket or s3://bucket/prefix.`,
      );
    }
  } else if (/^[a-z][a-z0-9+.-]*:\/\//i.test(lake) && !lake.startsWith("file://")) {
    throw new UsageError(`Unsupported lake ${JSON.stringify(lake)}: use a folder path or s3://bucket.`);
  }
}

function describeParseError(e: unknown): string {
  const code = (e as { code?: string }).code;
  const message = e instanceof Error ? e.message : String(e);
  const option = /'(-[^']*)'/.exec(message)?.[1];
  switch (code) {
    case "ERR_PARSE_ARGS_UNKNOWN_OPTION":
      return `Unknown option ${option ?? message}: see openaq-pipeline --help.`;
    case "ERR_PARSE_ARGS_INVALID_OPTION_VALUE":
      return option && /argument missing/.test(message)
        ? `The option ${option.split(" ")[0]} needs a value.`
        : `Invalid option value: ${message.split("\n")[0]}`;
    default:
      return `Invalid arguments: ${message.split("\n")[0]}`;
  }
}

export const USAGE = `openaq-pipeline <command> [options]

Commands:
  extract     API -> raw (exact JSON, one object per response page)
  transform   raw -> processed Parquet (+ quarantine with reason codes)
  catalog     make new partitions queryable (no-op locally; CATALOG_MODE on AWS)
  views       create or replace the serving views
  validate    fail (exit 1) when a serving view is empty or stale
  run         extract, transform, catalog, views, validate for one day
  backfill    extract, transform, catalog for each day of --from..--to (resumable), then views
  query       "<SQL>": run SQL against the env's catalog (DuckDB locally, Athena on AWS)

Options:
  --env dev|prod              environment (default: PIPELINE_ENV, else dev)
  --date YYYY-MM-DD           UTC day to process (default: yesterday, UTC)
  --from/--to YYYY-MM-DD      backfill range, inclusive
  --lake <folder|s3://bucket> the lake (default: LAKE_URI, else ./${DEFAULT_LAKE_DIR})
  --json                      print the run report as JSON
  --log-format text|json      progress on stderr as text (default) or JSON lines
  --dry-run                   validate the arguments and print the plan; touch nothing
  --max-quarantine-rate F     fail transform above this quarantined share (default ${DEFAULT_MAX_QUARANTINE_RATE})
  --force                     backfill: redo days already complete
  --lookback N                run/extract/transform: also redo the N days before --date, so late
                              data lands (run default ${DEFAULT_LOOKBACK_DAYS}, others 0)
  --raw-run <id>              transform: replay that extract run of the day (default: the newest)
  --allow-shrink              transform/run/backfill: replace a partition even if it loses more than
                              20% of its rows (a deliberate correction)
  --format table|csv|json     query output (default table)
  --show                      run/backfill: then print the latest AQI and recent daily averages
  --debug                     show stack traces of unexpected errors
  -h, --help                  this help

Environment: OPENAQ_API_KEY or OPENAQ_API_KEY_PARAMETER (an SSM SecureString name), OPENAQ_BASE_URL,
PIPELINE_ENV, LAKE_URI, AWS_REGION, ATHENA_WORKGROUP, CATALOG_MODE (projection|partitions|crawler),
GLUE_CRAWLER_NAME; tuning: OPENAQ_MAX_RETRIES, OPENAQ_RETRY_BASE_MS, OPENAQ_CONCURRENCY,
OPENAQ_REQUESTS_PER_MINUTE, OPENAQ_TIMEOUT_MS.
With no API key and a local lake, extract and run use the bundled OpenAQ fixtures served locally.
Exit codes: 0 ok, 1 the run failed, 2 bad arguments or configuration.
`;
