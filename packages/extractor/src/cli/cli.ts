import {
  ENVIRONMENTS,
  type Environment,
  type ErrorCode,
  type ExitCode,
  exitCodeOf,
  isPipelineError,
  LocalFolderStore,
  openStore,
  PipelineError,
  parseLakeUri,
} from "@openaq-lakehouse/pipeline-core";
import type { QueryEngine } from "@openaq-lakehouse/views";
import { backfillFromArchive } from "../archive/run.js";
import { OpenAqClient } from "../openaq/client.js";
import { ReportBuilder, renderReport } from "../report.js";
import { checkRange, renderCheckReport } from "../steps/check.js";
import { backfill, lookbackDays, type PipelineContext, runStep, runWithLookback } from "../steps/run.js";
import { type CliArgs, parseCli, USAGE } from "./args.js";
import {
  apiSource,
  missingKeyError,
  type RuntimeConfig,
  readApiKeyParameter,
  readRuntimeConfig,
} from "./config.js";
import { assertLocalLake, filesystemSentence, READ_ONLY_COMMANDS } from "./lake-path.js";
import { type CliLogger, createCliLogger, redactAll, type TextSink } from "./logger.js";
import { planFor, renderPlan } from "./plan.js";

export interface CliIo {
  stdout: TextSink;
  stderr: TextSink;
  env: NodeJS.ProcessEnv;
  now?: () => Date;
  /** Stops a long-running command (dashboard); without it, SIGINT/SIGTERM do. */
  signal?: AbortSignal;
}

/** The sentence printed for the bundled-fixtures mode (the README's offline main command). */
export const FIXTURES_NOTICE = "No OPENAQ_API_KEY set: using the bundled OpenAQ fixtures served locally.";

/** Rate limits of the in-process fixture server and of the client talking to it: no reason to wait on ourselves. */
const FIXTURES_REQUESTS_PER_MINUTE = 100_000;

/**
 * The `openaq-pipeline` CLI: parse, plan (--dry-run), run, report. Returns the exit code:
 * 0 ok, 1 the run failed, 2 bad arguments or configuration. Every failure is one sentence on
 * stderr (a stack trace only with --debug); the API key is redacted from everything printed.
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const secrets: string[] = [];
  const say = (sink: TextSink, text: string) => sink.write(redactAll(text, secrets));
  if (io.env.OPENAQ_API_KEY?.trim()) secrets.push(io.env.OPENAQ_API_KEY.trim());
  let args: CliArgs;
  let config: RuntimeConfig;
  try {
    const parsed = parseCli(argv, io.env, io.now?.() ?? new Date());
    if (parsed.help) {
      say(io.stdout, USAGE);
      return 0;
    }
    args = parsed;
    config = readRuntimeConfig(io.env);
  } catch (e) {
    // The arguments did not parse, but a --log-format json among them still decides the rendering.
    if (asksForJsonLogs(argv)) {
      createCliLogger({ format: "json", sink: io.stderr, secrets: () => secrets }).error(sentence(e), {
        code: errorCode(e),
      });
    } else say(io.stderr, `${sentence(e)}\n`);
    return exitCode(e);
  }

  if (args.dryRun) {
    const plan = planFor(args, config);
    say(io.stdout, args.json ? `${JSON.stringify({ dryRun: true, ...plan }, null, 2)}\n` : renderPlan(plan));
    return 0;
  }

  const log = createCliLogger({ format: args.logFormat, sink: io.stderr, secrets: () => secrets });
  const resources = new Resources();
  const report = new ReportBuilder(args.command, args.env, args.lake);
  try {
    const location = parseLakeUri(args.lake);
    if (location.kind === "local") {
      const readOnly = READ_ONLY_COMMANDS.has(args.command) || (args.command === "check" && !args.repair);
      await assertLocalLake(location.path, { mustExist: readOnly });
    }
    if (args.command === "query") {
      await runQuery(args, config, resources, io, secrets);
      return 0;
    }
    if (args.command === "dashboard") {
      // A local lake that does not exist was refused above (dashboard is a read-only command).
      const store = await openStore(args.lake, config.region ? { region: config.region } : {});
      const { lakeDataVersion, serveDashboard } = await import("@openaq-lakehouse/dashboard");
      const local = store instanceof LocalFolderStore ? store : undefined;
      await serveDashboard({
        env: args.env,
        // Both local environments share the lake's catalog; on AWS the workgroup belongs to --env.
        environments: local ? ENVIRONMENTS : [args.env],
        ...(local && { dataVersion: (env: Environment) => lakeDataVersion(local.root, env) }),
        port: args.port ?? 0,
        openEngine: (env) => openEngine(env, config, store),
        print: (line) => say(io.stdout, `${line}\n`),
        ...(io.signal !== undefined && { signal: io.signal }),
      });
      return 0;
    }
    const store = await openStore(args.lake, config.region ? { region: config.region } : {});
    const ctx: PipelineContext = {
      store,
      lake: args.lake,
      env: args.env,
      log,
      report,
      maxQuarantineRate: args.maxQuarantineRate,
      allowShrink: args.allowShrink,
      ...(args.rawRunId !== undefined && { rawRunId: args.rawRunId }),
      now: () => (io.now?.() ?? new Date()).getTime(),
      client: () => resources.client(args, config, log, secrets),
      engine: () => resources.engine(args, config, store),
      catalog: {
        mode: config.catalogMode,
        ...(config.region !== undefined && { region: config.region }),
        ...(config.crawlerName !== undefined && { crawlerName: config.crawlerName }),
      },
    };
    switch (args.command) {
      case "run":
        await runWithLookback(ctx, args.day, args.lookback);
        break;
      case "backfill":
        if (args.source === "archive") {
          await backfillFromArchive(ctx, {
            days: args.days,
            force: args.force,
            engine: args.engine,
            archiveUri: config.archiveUri,
            archiveEndpoint: config.archiveEndpoint,
          });
        } else {
          await backfill(ctx, args.days, { force: args.force });
        }
        break;
      case "check": {
        const checked = await checkRange(ctx, args.days, { repair: args.repair });
        log.flush();
        say(io.stdout, args.json ? `${JSON.stringify(checked, null, 2)}\n` : renderCheckReport(checked));
        if (checked.ok) return 0;
        const broken = checked.days.filter((d) => d.problems.length > 0).map((d) => d.day);
        const first = broken[0] as string;
        const { healCommand } = await import("@openaq-lakehouse/views");
        throw new PipelineError(
          "CHECK_FAILED",
          args.repair
            ? `Repair left ${broken.length} day(s) with problems (${broken.join(", ")}): see the report above.`
            : `${broken.length} day(s) have broken processed objects (${broken.join(", ")}); heal them with: ${healCommand(args.lake, args.env, first, broken.at(-1) as string)}`,
        );
      }
      default:
        // extract/transform --lookback N: the N days before, oldest first, then the day itself.
        for (const d of lookbackDays(args.day, args.lookback)) await runStep(ctx, args.command, d);
        await runStep(ctx, args.command, args.day);
    }
    log.flush();
    printReport(io, args, report, secrets);
    if (args.show && (args.command === "run" || args.command === "backfill")) {
      await printSummary(args, await ctx.engine(), io, secrets);
    }
    return 0;
  } catch (e) {
    log.flush();
    report.fail(sentence(e));
    if (report.report.steps.length > 0) printReport(io, args, report, secrets);
    // With --log-format json every stderr line is JSON (Airflow's log parsers), the failure included.
    if (args.logFormat === "json") log.error(sentence(e), { code: errorCode(e) });
    else say(io.stderr, `${sentence(e)}\n`);
    if (args.debug && e instanceof Error && e.stack) say(io.stderr, `${e.stack}\n`);
    return exitCode(e);
  } finally {
    await resources.close();
  }
}

function printReport(io: CliIo, args: CliArgs, report: ReportBuilder, secrets: readonly string[]): void {
  const r = report.finish();
  io.stdout.write(redactAll(args.json ? `${JSON.stringify(r, null, 2)}\n` : renderReport(r), secrets));
}

/** The latest AQI and recent daily averages, as tables, after the run report. */
async function printSummary(
  args: CliArgs,
  engine: QueryEngine,
  io: CliIo,
  secrets: readonly string[],
): Promise<void> {
  const { formatResult, summaryQueries } = await import("@openaq-lakehouse/views");
  for (const q of summaryQueries(args.env)) {
    const result = await engine.query(q.sql);
    io.stdout.write(
      redactAll(`\n${q.title}\n${formatResult(result, args.json ? "json" : "table")}`, secrets),
    );
  }
}

/** The code a failure is logged with: a PipelineError's own, UNEXPECTED for anything else. */
function errorCode(e: unknown): ErrorCode {
  return isPipelineError(e) ? e.code : "UNEXPECTED";
}

/**
 * The exit status of a failure, from the code's entry in `ERROR_CODES`: 2 for "fix how you called
 * it" (bad arguments, an unusable lake path, missing configuration), 1 for "the run failed".
 */
function exitCode(e: unknown): ExitCode {
  return exitCodeOf(errorCode(e));
}

function asksForJsonLogs(argv: readonly string[]): boolean {
  return argv.some((a, i) => a === "--log-format=json" || (a === "--log-format" && argv[i + 1] === "json"));
}

/**
 * One line, ending in a full stop: PipelineErrors as they are, filesystem errors naming the path
 * and the problem, anything else named as unexpected.
 */
export function sentence(e: unknown): string {
  if (isPipelineError(e)) {
    const text = oneLine(e.message);
    return /[.!?)]$/.test(text) ? text : `${text}.`;
  }
  const fs = filesystemSentence(e);
  if (fs !== undefined) return fs;
  const message = e instanceof Error ? e.message : String(e);
  return `Unexpected error: ${oneLine(message).replace(/\.$/, "")} (run with --debug for details).`;
}

function oneLine(s: string): string {
  return s.replace(/\s*\n\s*/g, " ").trim();
}

async function runQuery(
  args: CliArgs,
  config: RuntimeConfig,
  resources: Resources,
  io: CliIo,
  secrets: string[],
): Promise<void> {
  const { formatResult } = await import("@openaq-lakehouse/views");
  const store = await openStore(args.lake, config.region ? { region: config.region } : {});
  const engine = await resources.engine(args, config, store);
  let result: Awaited<ReturnType<QueryEngine["query"]>>;
  try {
    result = await engine.readQuery(args.sql as string);
  } catch (e) {
    if (isPipelineError(e)) throw e;
    throw new PipelineError(
      "QUERY_FAILED",
      `The query failed: ${oneLine(e instanceof Error ? e.message : String(e)).replace(/\.$/, "")}.`,
    );
  }
  io.stdout.write(redactAll(formatResult(result, args.json ? "json" : args.format), secrets));
}

/** The env's query engine: DuckDB over a lake folder, Athena (the env's workgroup) over S3. */
async function openEngine(env: Environment, config: RuntimeConfig, store: unknown): Promise<QueryEngine> {
  const views = await import("@openaq-lakehouse/views");
  if (store instanceof LocalFolderStore) return views.openDuckDbEngine({ lakeRoot: store.root, env });
  if (!config.athenaWorkgroup) {
    throw new PipelineError(
      "NO_ATHENA_WORKGROUP",
      "ATHENA_WORKGROUP is not set: views, validate and query on an S3 lake need the environment's Athena workgroup.",
    );
  }
  return views.openAthenaEngine({
    env,
    workgroup: config.athenaWorkgroup,
    ...(config.region !== undefined && { region: config.region }),
  });
}

/** The things a command may open (API client, local fixture server, query engine), closed once at the end. */
class Resources {
  private clientPromise: Promise<OpenAqClient> | undefined;
  private enginePromise: Promise<QueryEngine> | undefined;
  private closeFixtures: (() => Promise<void>) | undefined;

  client(args: CliArgs, config: RuntimeConfig, log: CliLogger, secrets: string[]): Promise<OpenAqClient> {
    this.clientPromise ??= this.openClient(args, config, log, secrets);
    return this.clientPromise;
  }

  private async openClient(
    args: CliArgs,
    config: RuntimeConfig,
    log: CliLogger,
    secrets: string[],
  ): Promise<OpenAqClient> {
    const source = apiSource(config, args.lake);
    if (source.kind === "fixtures") {
      log.info(FIXTURES_NOTICE, { api: "fixtures" });
      const { startFakeOpenAq } = await import("@openaq-lakehouse/fake-openaq");
      const server = await startFakeOpenAq({
        rateLimit: { perWindow: FIXTURES_REQUESTS_PER_MINUTE, perHour: FIXTURES_REQUESTS_PER_MINUTE * 60 },
      });
      this.closeFixtures = () => server.close();
      return new OpenAqClient({
        baseUrl: server.url,
        apiKey: server.apiKey,
        requestsPerMinute: FIXTURES_REQUESTS_PER_MINUTE,
        requestsPerHour: FIXTURES_REQUESTS_PER_MINUTE * 60,
        log,
        ...config.client,
      });
    }
    let apiKey = config.apiKey;
    if (apiKey === undefined && config.apiKeyParameter !== undefined) {
      apiKey = await readApiKeyParameter(config.apiKeyParameter, config.region);
      secrets.push(apiKey);
    }
    if (apiKey === undefined && config.baseUrl === undefined) throw missingKeyError();
    return new OpenAqClient({
      baseUrl: config.baseUrl,
      apiKey,
      log,
      ...config.client,
    });
  }

  engine(args: CliArgs, config: RuntimeConfig, store: unknown): Promise<QueryEngine> {
    this.enginePromise ??= openEngine(args.env, config, store);
    return this.enginePromise;
  }

  async close(): Promise<void> {
    const engine = this.enginePromise;
    this.enginePromise = undefined;
    if (engine) await engine.then((e) => e.close()).catch(() => {});
    await this.closeFixtures?.().catch(() => {});
  }
}
