import type { BatchCreatePartitionCommandOutput, GlueClient, StorageDescriptor } from "@aws-sdk/client-glue";
import {
  type AwsCall,
  awsError,
  awsErrorName,
  type CatalogMode,
  DATASETS,
  databaseName,
  type Environment,
  hivePartitionPath,
  type IsoDay,
  isS3Lake,
  PipelineError,
  parseCatalogModeValue,
  resolvePartition,
} from "@openaq-lakehouse/pipeline-core";
import { type Logger, silentLogger } from "../log.js";

/**
 * Make a day's new processed partitions queryable: the CLI's `catalog` command.
 *
 *  - local lake: nothing to do (DuckDB reads the folder tree directly).
 *  - `projection` (the default on AWS): the Glue tables use partition projection, so a new day is
 *    visible without any call; the step only checks that each table exists and projects.
 *  - `partitions`: registers the day's partition of each table with BatchCreatePartition (a
 *    partition that already exists is fine), its StorageDescriptor copied from the table with the
 *    partition's own location.
 *  - `crawler`: starts the environment's crawler (one already running is fine), waits until it is
 *    READY again and fails when its last crawl did not succeed.
 */

export { CATALOG_MODES, type CatalogMode } from "@openaq-lakehouse/pipeline-core";

export function parseCatalogMode(value: string | undefined): CatalogMode {
  return parseCatalogModeValue(value === "" ? undefined : value);
}

export interface CatalogOptions {
  /** The lake URI; anything but `s3://…` is a local lake. */
  lake: string;
  env: Environment;
  day: IsoDay;
  mode: CatalogMode;
  /** Used as is (tests pass a mocked one); otherwise built for `region`. */
  glue?: GlueClient;
  region?: string;
  /** Required in crawler mode (GLUE_CRAWLER_NAME). */
  crawlerName?: string;
  pollMs?: number;
  /** How long to wait for the crawler (default 30 minutes). */
  timeoutMs?: number;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
  log?: Logger;
}

export interface CatalogReport {
  mode: CatalogMode | "local";
  /** One line for the run report. */
  summary: string;
  tables: string[];
  partitionsCreated: number;
  partitionsExisting: number;
  crawlerStatus?: string;
}

const TABLE_DATASETS = Object.values(DATASETS);
const TABLES = TABLE_DATASETS.map((d) => d.name);

export async function catalogDay(opts: CatalogOptions): Promise<CatalogReport> {
  const log = opts.log ?? silentLogger;
  if (!isS3Lake(opts.lake)) {
    const summary = "local lake: nothing to register (DuckDB reads the partitions directly).";
    log.info(`catalog ${opts.day}: ${summary}`, { step: "catalog", day: opts.day, mode: "local" });
    return { mode: "local", summary, tables: [], partitionsCreated: 0, partitionsExisting: 0 };
  }
  const glue = opts.glue ?? (await newGlueClient(opts.region));
  const database = databaseName(opts.env);
  switch (opts.mode) {
    case "projection":
      return checkProjection(glue, database, opts, log);
    case "partitions":
      return addPartitions(glue, database, opts, log);
    case "crawler":
      return runCrawler(glue, database, opts, log);
  }
}

async function newGlueClient(region: string | undefined): Promise<GlueClient> {
  const { GlueClient } = await import("@aws-sdk/client-glue");
  return new GlueClient(region ? { region } : {});
}

/** A failed Glue call as one sentence; its kinds of failure that are not named here are GLUE_ERROR. */
function glueFailure(
  e: unknown,
  call: Omit<AwsCall, "service" | "codes"> & { codes?: AwsCall["codes"] },
): PipelineError {
  return awsError(e, { service: "Glue", codes: { other: "GLUE_ERROR" }, ...call });
}

async function getTable(glue: GlueClient, database: string, table: string) {
  const { GetTableCommand } = await import("@aws-sdk/client-glue");
  try {
    const res = await glue.send(new GetTableCommand({ DatabaseName: database, Name: table }));
    if (!res.Table) throw new Error("no table in the answer");
    return res.Table;
  } catch (e) {
    throw glueFailure(e, {
      operation: "GetTable",
      target: `${database}.${table}`,
      resource: `table ${database}.${table}`,
      codes: { other: "GLUE_ERROR", notFound: "GLUE_TABLE_MISSING" },
      sentences: {
        notFound: `The Glue table ${database}.${table} does not exist: deploy the environment's stack (pulumi up) first.`,
      },
    });
  }
}

async function checkProjection(
  glue: GlueClient,
  database: string,
  opts: CatalogOptions,
  log: Logger,
): Promise<CatalogReport> {
  for (const table of TABLES) {
    const t = await getTable(glue, database, table);
    if (t.Parameters?.["projection.enabled"] !== "true") {
      throw new PipelineError(
        "GLUE_NO_PROJECTION",
        `The Glue table ${database}.${table} has no partition projection, so new days stay invisible: set CATALOG_MODE=partitions or CATALOG_MODE=crawler.`,
      );
    }
  }
  const summary = `partition projection covers ${opts.day} in ${database} (${TABLES.join(", ")}); nothing to register.`;
  log.info(`catalog ${opts.day}: ${summary}`, { step: "catalog", day: opts.day, mode: "projection" });
  return { mode: "projection", summary, tables: TABLES, partitionsCreated: 0, partitionsExisting: 0 };
}

/** The table's descriptor, pointed at one partition's folder (`partitionPath`, relative to the table's location). */
function partitionDescriptor(table: StorageDescriptor, partitionPath: string): StorageDescriptor {
  if (!table.Location)
    throw new PipelineError("GLUE_TABLE_NO_LOCATION", "The Glue table has no storage location.");
  const base = table.Location.endsWith("/") ? table.Location : `${table.Location}/`;
  return { ...table, Location: base + partitionPath };
}

async function addPartitions(
  glue: GlueClient,
  database: string,
  opts: CatalogOptions,
  log: Logger,
): Promise<CatalogReport> {
  const { BatchCreatePartitionCommand } = await import("@aws-sdk/client-glue");
  let created = 0;
  let existing = 0;
  for (const dataset of TABLE_DATASETS) {
    const table = dataset.name;
    // The day's partition as the dataset lays it out: its keys' values in folder order.
    const partition = resolvePartition(dataset, { day: opts.day });
    const t = await getTable(glue, database, table);
    if (!t.StorageDescriptor)
      throw new PipelineError(
        "GLUE_TABLE_NO_LOCATION",
        `The Glue table ${database}.${table} has no storage descriptor.`,
      );
    let res: BatchCreatePartitionCommandOutput;
    try {
      res = await glue.send(
        new BatchCreatePartitionCommand({
          DatabaseName: database,
          TableName: table,
          PartitionInputList: [
            {
              Values: partition.map(([, value]) => value),
              StorageDescriptor: partitionDescriptor(t.StorageDescriptor, hivePartitionPath(partition)),
            },
          ],
        }),
      );
    } catch (e) {
      throw glueFailure(e, {
        operation: "BatchCreatePartition",
        target: `${database}.${table}`,
        resource: `table ${database}.${table}`,
      });
    }
    const errors = res.Errors ?? [];
    const real = errors.filter((err) => err.ErrorDetail?.ErrorCode !== "AlreadyExistsException");
    if (real.length > 0) {
      const d = real[0]?.ErrorDetail;
      throw new PipelineError(
        "GLUE_PARTITION_FAILED",
        `Glue could not add partition ${opts.day} to ${database}.${table}: ${d?.ErrorCode ?? "unknown error"}: ${(d?.ErrorMessage ?? "").replace(/\.$/, "")}.`,
      );
    }
    existing += errors.length;
    created += 1 - errors.length;
  }
  const summary = `registered ${opts.day} in ${database}: ${created} partitions added, ${existing} already there.`;
  log.info(`catalog ${opts.day}: ${summary}`, {
    step: "catalog",
    day: opts.day,
    mode: "partitions",
    created,
    existing,
  });
  return {
    mode: "partitions",
    summary,
    tables: TABLES,
    partitionsCreated: created,
    partitionsExisting: existing,
  };
}

async function runCrawler(
  glue: GlueClient,
  database: string,
  opts: CatalogOptions,
  log: Logger,
): Promise<CatalogReport> {
  const { GetCrawlerCommand, StartCrawlerCommand } = await import("@aws-sdk/client-glue");
  const name = opts.crawlerName;
  if (!name) {
    throw new PipelineError(
      "NO_CRAWLER_NAME",
      "CATALOG_MODE=crawler needs the crawler's name in GLUE_CRAWLER_NAME.",
    );
  }
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const now = opts.now ?? Date.now;
  const pollMs = opts.pollMs ?? 10_000;
  const deadline = now() + (opts.timeoutMs ?? 30 * 60_000);
  let alreadyRunning = false;
  try {
    await glue.send(new StartCrawlerCommand({ Name: name }));
  } catch (e) {
    if (awsErrorName(e) === "CrawlerRunningException") alreadyRunning = true;
    else {
      throw glueFailure(e, {
        operation: "StartCrawler",
        target: name,
        resource: `crawler ${name}`,
        codes: { other: "GLUE_ERROR", notFound: "GLUE_CRAWLER_MISSING" },
        sentences: {
          notFound: `The Glue crawler ${name} does not exist: check GLUE_CRAWLER_NAME or deploy it.`,
        },
      });
    }
  }
  log.info(
    `catalog ${opts.day}: ${alreadyRunning ? "crawler already running" : "crawler started"}: ${name}.`,
    {
      step: "catalog",
      crawler: name,
    },
  );
  // A crawler just started can still read READY (with the previous crawl's result) for a moment:
  // only a READY seen after it has been seen running counts as done.
  let seenRunning = false;
  for (;;) {
    let crawler: { State?: string; LastCrawl?: { Status?: string; ErrorMessage?: string } } | undefined;
    try {
      crawler = (await glue.send(new GetCrawlerCommand({ Name: name }))).Crawler;
    } catch (e) {
      throw glueFailure(e, { operation: "GetCrawler", target: name, resource: `crawler ${name}` });
    }
    const state = crawler?.State;
    if (state !== "READY") seenRunning = true;
    else if (seenRunning) {
      const status = crawler?.LastCrawl?.Status;
      if (status !== "SUCCEEDED") {
        const why = crawler?.LastCrawl?.ErrorMessage
          ? `: ${crawler.LastCrawl.ErrorMessage.replace(/\.$/, "")}`
          : "";
        throw new PipelineError(
          "GLUE_CRAWL_FAILED",
          `The Glue crawler ${name} finished with status ${status ?? "unknown"}${why}.`,
        );
      }
      const summary = `crawler ${name} finished: ${database} is up to date.`;
      log.info(`catalog ${opts.day}: ${summary}`, { step: "catalog", crawler: name });
      return {
        mode: "crawler",
        summary,
        tables: TABLES,
        partitionsCreated: 0,
        partitionsExisting: 0,
        crawlerStatus: status,
      };
    }
    if (now() >= deadline) {
      throw new PipelineError(
        "GLUE_CRAWL_TIMEOUT",
        `The Glue crawler ${name} was still ${state ?? "running"} when the wait ran out.`,
      );
    }
    await sleep(pollMs);
  }
}
