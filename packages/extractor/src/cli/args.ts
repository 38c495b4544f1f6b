import { homedir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import {
  addDays,
  assertEnvironment,
  assertRawRunId,
  DEFAULT_LAKE_DIR,
  DEFAULT_LOOKBACK_DAYS,
  daysBetween,
  type Environment,
  formatIsoDay,
  type IsoDay,
  PipelineError,
  parseIsoDay,
  parseLakeUri,
} from "@openaq-lakehouse/pipeline-core";
import { DEFAULT_MAX_QUARANTINE_RATE } from "../steps/transform-quarantine.js";

/** The dashboard's default port; defined here so --help needs no import of the dashboard. */
export const DEFAULT_DASHBOARD_PORT = 8787;

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
  "check",
  "dashboard",
] as const;
export type Command = (typeof COMMANDS)[number];
export const BACKFILL_SOURCES = ["api", "archive"] as const;
export type BackfillSource = (typeof BACKFILL_SOURCES)[number];
export const BACKFILL_ENGINES = ["local", "athena"] as const;
export type BackfillEngine = (typeof BACKFILL_ENGINES)[number];
export type LogFormat = "text" | "json";
export type QueryFormat = "table" | "csv" | "json";

export interface CliArgs {
  command: Command;
  env: Environment;
  /** The run day (every command but backfill); yesterday UTC unless --date. */
  day: IsoDay;
  /** backfill and check: every day from --from to --to, inclusive (check: else the run day). */
  days: IsoDay[];
  lake: string;
  json: boolean;
  logFormat: LogFormat;
  dryRun: boolean;
  maxQuarantineRate: number;
  force: boolean;
  /** check: re-transform the days with broken processed objects from raw. */
  repair: boolean;
  debug: boolean;
  /** run/backfill: print the latest AQI and recent daily averages after a successful run. */
  show: boolean;
  format: QueryFormat;
  sql?: string;
  /** dashboard only: the loopback port (0: any free port). */
  port?: number;
  /** run/extract/transform: also redo this many days before the run day (run: DEFAULT_LOOKBACK_DAYS). */
  lookback: number;
  /** transform: replay this extract run instead of the day's newest. */
  rawRunId?: string;
  /** transform/run/backfill: replace partitions even when they shrink materially. */
  allowShrink: boolean;
  /** backfill: where history comes from (`api`, or the OpenAQ archive). */
  source: BackfillSource;
  /** backfill --source archive: where the transform runs (`local`, or Athena). */
  engine: BackfillEngine;
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
  repair: { type: "boolean" },
  debug: { type: "boolean" },
  show: { type: "boolean" },
  port: { type: "string" },
  lookback: { type: "string" },
  "raw-run": { type: "string" },
  "allow-shrink": { type: "boolean" },
  source: { type: "string" },
  engine: { type: "string" },
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
  if (command === "check" && values.from === undefined && values.to === undefined) {
    days = [runDay];
  } else if (command === "backfill" || command === "check") {
    if (values.from === undefined || values.to === undefined) {
      throw new UsageError(`A ${command} needs --from YYYY-MM-DD and --to YYYY-MM-DD.`);
    }
    if (command === "check" && values.date !== undefined) {
      throw new UsageError("check takes either --date or --from/--to, not both.");
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
    throw new UsageError(
      `The options --from and --to belong to backfill and check; ${command} takes --date.`,
    );
  }
  if (values.repair && command !== "check") {
    throw new UsageError(`The option --repair belongs to check, not ${command}.`);
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
  const lake = expandHome(values.lake ?? (vars.LAKE_URI || DEFAULT_LAKE_DIR), vars);
  checkLake(lake);
  const port = dashboardPort(command, values.port);
  const { lookback, rawRunId, allowShrink } = integrityOptions(command, values);
  const { source, engine } = backfillOptions(command, values);

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
    repair: values.repair ?? false,
    debug: values.debug ?? false,
    show: values.show ?? false,
    format,
    ...(sql !== undefined && { sql }),
    ...(port !== undefined && { port }),
    lookback,
    ...(rawRunId !== undefined && { rawRunId }),
    allowShrink,
    source,
    engine,
  };
}

/** --source and --engine: backfill only; the Athena engine transforms archive files only. */
function backfillOptions(
  command: Command,
  values: { source?: string; engine?: string },
): { source: BackfillSource; engine: BackfillEngine } {
  for (const name of ["source", "engine"] as const) {
    if (values[name] !== undefined && command !== "backfill")
      throw new UsageError(`The option --${name} belongs to backfill; ${command} does not take it.`);
  }
  const source = (values.source ?? "api") as BackfillSource;
  if (!BACKFILL_SOURCES.includes(source))
    throw new UsageError(
      `Invalid --source ${JSON.stringify(values.source)}: expected ${BACKFILL_SOURCES.join(" or ")}.`,
    );
  const engine = (values.engine ?? "local") as BackfillEngine;
  if (!BACKFILL_ENGINES.includes(engine))
    throw new UsageError(
      `Invalid --engine ${JSON.stringify(values.engine)}: expected ${BACKFILL_ENGINES.join(" or ")}.`,
    );
  if (engine === "athena" && source !== "archive")
    throw new UsageError("--engine athena transforms the OpenAQ archive: use it with --source archive.");
  return { source, engine };
}

/** --lookback, --raw-run and --allow-shrink: which commands take them, and their values. */
function integrityOptions(
  command: Command,
  values: { lookback?: string; "raw-run"?: string; "allow-shrink"?: boolean },
): { lookback: number; rawRunId?: string; allowShrink: boolean } {
  let lookback = command === "run" ? DEFAULT_LOOKBACK_DAYS : 0;
  if (values.lookback !== undefined) {
    if (!LOOKBACK_COMMANDS.includes(command))
      throw new UsageError(
        `The option --lookback belongs to ${LOOKBACK_COMMANDS.join(", ")}; ${command} does not take it.`,
      );
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
    throw new UsageError(
      `The option --allow-shrink belongs to ${SHRINK_COMMANDS.join(", ")}; ${command} does not take it.`,
    );
  return { lookback, ...(rawRunId !== undefined && { rawRunId }), allowShrink };
}

/**
 * `~` and `~/…` mean the home folder, as a shell would have expanded them (a quoted `'~/x'`, an
 * `--lake=~/x` or a LAKE_URI reaches us unexpanded). `~user/…` is refused rather than guessed.
 */
function expandHome(lake: string, vars: NodeJS.ProcessEnv): string {
  if (!lake.startsWith("~")) return lake;
  const home = vars.HOME || homedir();
  if (lake === "~") return home;
  if (lake.startsWith("~/")) return join(home, lake.slice(2));
  throw new UsageError(
    `The lake ${JSON.stringify(lake)} starts with ~user, which is not expanded: give the full path.`,
  );
}

function dashboardPort(command: Command, value: string | undefined): number | undefined {
  if (command !== "dashboard") {
    if (value !== undefined) throw new UsageError(`The option --port belongs to dashboard, not ${command}.`);
    return undefined;
  }
  if (value === undefined) return DEFAULT_DASHBOARD_PORT;
  const port = /^\d{1,5}$/.test(value) ? Number(value) : Number.NaN;
  if (!(port >= 0 && port <= 65_535))
    throw new UsageError(`Invalid --port ${JSON.stringify(value)}: expected 0 to 65535 (0: any free port).`);
  return port;
}

function checkLake(lake: string): void {
  try {
    parseLakeUri(lake);
  } catch (e) {
    throw new UsageError((e as Error).message);
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
      // "argument missing" at the end of the line; "argument is ambiguous" when the next word is
      // another option (`--date --lake x`): both mean the option was given no value.
      return option && /argument missing|argument is ambiguous/.test(message)
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
  views       create or replace the serving views (locally: check they build; every process
              builds its own in-memory catalog)
  validate    fail (exit 1) when a serving view is empty or stale
  run         extract, transform, catalog, views, validate for one day
  backfill    extract, transform, catalog for each day of --from..--to (resumable), then views;
              --source archive reads history from the OpenAQ archive (--engine athena: transform on Athena)
  query       "<SQL>": one read-only statement on the env's catalog (DuckDB locally, Athena on AWS);
              unqualified names resolve in openaq_<env>
  check       verify the processed objects of --date or --from..--to; --repair re-transforms broken days
  dashboard   serve a map of the latest AQI and a trend of daily averages on 127.0.0.1

Options:
  --env dev|prod              environment (default: PIPELINE_ENV, else dev)
  --date YYYY-MM-DD           UTC day to process (default: yesterday, UTC)
  --from/--to YYYY-MM-DD      backfill/check range, inclusive
  --lake <folder|s3://bucket> the lake (default: LAKE_URI, else ./${DEFAULT_LAKE_DIR}); query, validate,
                              views and check need an existing lake
  --json                      print the run report as JSON
  --log-format text|json      progress on stderr as text (default) or JSON lines
  --dry-run                   validate the arguments and print the plan; touch nothing
  --max-quarantine-rate F     fail transform above this quarantined share (default ${DEFAULT_MAX_QUARANTINE_RATE})
  --force                     backfill: redo days already complete
  --repair                    check: re-transform days with broken processed objects from raw
  --lookback N                run/extract/transform: also redo the N days before --date, so late
                              data lands (run default ${DEFAULT_LOOKBACK_DAYS}, others 0)
  --raw-run <id>              transform: replay that extract run of the day (default: the newest)
  --allow-shrink              transform/run/backfill: replace a partition even if it loses more than
                              20% of its rows (a deliberate correction)
  --source api|archive        backfill: the API (default) or the OpenAQ S3 archive (OPENAQ_ARCHIVE_URI)
  --engine local|athena       backfill --source archive: transform here (default) or as SQL on Athena
  --format table|csv|json     query output (default table)
  --show                      run/backfill: then print the latest AQI and recent daily averages
  --port N                    dashboard: loopback port (default ${DEFAULT_DASHBOARD_PORT}; 0: any free port)
  --debug                     show stack traces of unexpected errors
  -h, --help                  this help

Environment: OPENAQ_API_KEY or OPENAQ_API_KEY_PARAMETER (an SSM SecureString name), OPENAQ_BASE_URL,
PIPELINE_ENV, LAKE_URI, AWS_REGION, ATHENA_WORKGROUP, CATALOG_MODE (projection|partitions|crawler),
GLUE_CRAWLER_NAME; tuning: OPENAQ_MAX_RETRIES, OPENAQ_RETRY_BASE_MS, OPENAQ_CONCURRENCY,
OPENAQ_REQUESTS_PER_MINUTE, OPENAQ_TIMEOUT_MS.
With no API key and a local lake, extract and run use the bundled OpenAQ fixtures served locally.
Exit codes: 0 ok, 1 the run failed, 2 bad arguments or configuration.
`;
