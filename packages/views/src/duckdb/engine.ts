import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve, sep } from "node:path";
import { type DuckDBConnection, DuckDBInstance, type DuckDBMaterializedResult } from "@duckdb/node-api";
import {
  DATASETS,
  type DatasetSchema,
  databaseName,
  type Environment,
  isS3Lake,
  PipelineError,
  parseLakeUri,
} from "@openaq-lakehouse/pipeline-core";
import type { QueryEngine, QueryResult } from "../engine.js";
import { renderViews } from "../views/render.js";
import { COMPAT_MACROS, COMPAT_SETTINGS } from "./compat.js";
import { datasetRelationSql, escapeGlob, hasParquet, listParquet, processedDir, quote } from "./datasets.js";
import { type ScanProfile, scanProfileFromJson } from "./profile.js";
import { prepareReadOnly } from "./read-only.js";
import { objectNamedIn, unreadableObjectError } from "./unreadable.js";
import { toPlainValue } from "./values.js";

export interface DuckDbEngineOptions {
  /** The lake folder (the embedded default). */
  lakeRoot: string;
  env: Environment;
  /**
   * Create the serving views at open (default true), so `query` can read them in any process.
   * `false` leaves only the datasets (tests of what happens before `views` ran).
   */
  serveViews?: boolean;
  /** The view window, as `views --window-days` would render it. */
  windowDays?: number;
  /**
   * Benches and tests: leave the configuration unlocked so `profile()` can switch profiling on.
   * Never for user SQL.
   */
  profiling?: boolean;
  /**
   * @deprecated The catalog is always built in memory when the engine opens (a few ms; see the
   * README's "Local catalog"). Accepted so callers that passed `false` still compile.
   */
  persistent?: false;
}

export interface ProfiledQuery {
  result: QueryResult;
  profile: ScanProfile;
}

/** The DuckDB engine, with a DuckDB-only extra: `profile()` reports the files and bytes a query read. */
export interface DuckDbEngine extends QueryEngine {
  readonly kind: "duckdb";
  readonly database: string;
  /** Always undefined: the catalog lives in memory, one per engine (kept for callers that print it). */
  readonly catalogPath: undefined;
  profile(sql: string): Promise<ProfiledQuery>;
}

/**
 * Opens DuckDB over a lake folder. There is no catalog file: each engine builds `openaq_{env}` in
 * memory (datasets over the lake's Parquet, the Trino compatibility macros, the serving views),
 * which costs about as much as opening a catalog file read-only (`pnpm bench catalog`) and means
 * readers never lock each other or a writer out, dev and prod are independent, a read-only user
 * can query, and nothing a session does outlives it.
 *
 * Then the engine is sandboxed before any caller SQL runs: no extension install or autoload, file
 * access only under `<lake>/<env>/` (DuckDB's `allowed_directories` with external access off), and
 * the configuration locked (unless `profiling`).
 */
export async function openDuckDbEngine(opts: DuckDbEngineOptions): Promise<DuckDbEngine> {
  const database = databaseName(opts.env);
  // The one lake-URI rule (pipeline-core): a folder (file:// accepted) or s3://, never another scheme.
  const location = isS3Lake(opts.lakeRoot) ? undefined : parseLakeUri(opts.lakeRoot);
  if (location?.kind !== "local") {
    throw new PipelineError(
      "INVALID_LAKE",
      `DuckDB reads a local lake folder, not ${JSON.stringify(opts.lakeRoot)}; query an S3 lake through Athena.`,
    );
  }
  const lakeRoot = resolve(location.path);
  let instance: DuckDBInstance;
  try {
    instance = await DuckDBInstance.create(":memory:", {
      autoinstall_known_extensions: "false",
      autoload_known_extensions: "false",
    });
  } catch (e) {
    throw new PipelineError("ENGINE_OPEN_FAILED", `Cannot start DuckDB: ${errorMessage(e)}`, { cause: e });
  }
  const connection = await instance.connect();
  const engine = new DuckDbQueryEngine(instance, connection, lakeRoot, opts.env, database);
  try {
    await engine.init(opts);
  } catch (e) {
    await engine.close();
    throw e;
  }
  return engine;
}

/** How a dataset is exposed: no objects yet, the folder as a glob, or an explicit object list. */
type Exposure = { kind: "empty" } | { kind: "glob" } | { kind: "list"; files: string[] };

/** Bind attempts that move an unreadable object out of DuckDB's first place in the list. */
const MAX_REBINDS = 8;

class DuckDbQueryEngine implements DuckDbEngine {
  readonly kind = "duckdb" as const;
  readonly catalogPath = undefined;
  private readonly exposure = new Map<DatasetSchema, Exposure>();
  private closed = false;
  private profileDir: string | undefined;

  constructor(
    private readonly instance: DuckDBInstance,
    private readonly connection: DuckDBConnection,
    private readonly lakeRoot: string,
    private readonly env: Environment,
    readonly database: string,
  ) {}

  async init(opts: DuckDbEngineOptions): Promise<void> {
    for (const s of COMPAT_SETTINGS) await this.connection.run(s);
    for (const m of COMPAT_MACROS) await this.connection.run(m);
    await this.connection.run(`CREATE SCHEMA ${this.database}`);
    for (const dataset of Object.values(DATASETS)) await this.exposeDataset(dataset);
    if (opts.serveViews ?? true) {
      const windowDays = opts.windowDays;
      for (const view of renderViews({ env: this.env, ...(windowDays !== undefined && { windowDays }) })) {
        await this.connection.run(view.sql);
      }
    }
    // Unqualified names resolve in the env's database first (then main, where the macros live).
    await this.connection.run(`SET search_path = ${quote(`${this.database},main`)}`);
    const envDir = `${join(this.lakeRoot, this.env)}${sep}`;
    // DuckDB checks a glob pattern's text against the allowed prefixes, so a lake whose name has
    // pattern characters (read through an escaped glob, see escapeGlob) is allowed in both spellings.
    const allowed = escapeGlob(envDir) === envDir ? [envDir] : [envDir, escapeGlob(envDir)];
    if (opts.profiling) {
      // DuckDB writes each profile to a file: a private folder it may write, removed on close.
      this.profileDir = await mkdtemp(join(tmpdir(), "duck-profile-"));
      allowed.push(`${this.profileDir}${sep}`);
    }
    await this.connection.run(`SET allowed_directories = [${allowed.map(quote).join(", ")}]`);
    await this.connection.run("SET enable_external_access = false");
    if (!opts.profiling) await this.connection.run("SET lock_configuration = true");
  }

  /** (Re)creates `openaq_{env}.<dataset>` over the lake folder. */
  private async exposeDataset(dataset: DatasetSchema): Promise<void> {
    const dir = processedDir(this.lakeRoot, this.env, dataset);
    if (!(await hasParquet(dir))) {
      await this.createDatasetView(dataset, undefined);
      this.exposure.set(dataset, { kind: "empty" });
      return;
    }
    try {
      await this.createDatasetView(dataset, dir);
      this.exposure.set(dataset, { kind: "glob" });
    } catch (e) {
      // DuckDB takes the columns from the first object it finds: when that one is unreadable, bind
      // on a readable one. The unreadable object stays in the list, so a query that reaches its
      // partition still fails naming it, and one that prunes it away still works.
      if (objectNamedIn(e) === undefined) throw e;
      await this.exposeList(dataset, await listParquet(dir), e);
    }
  }

  private async exposeList(dataset: DatasetSchema, files: string[], first: unknown): Promise<void> {
    const unreadable: string[] = [];
    let error = first;
    for (let attempt = 0; attempt < MAX_REBINDS; attempt++) {
      const bad = objectNamedIn(error);
      if (bad === undefined || !files.includes(bad) || unreadable.includes(bad)) break;
      unreadable.push(bad);
      const ordered = [...files.filter((f) => !unreadable.includes(f)), ...unreadable];
      try {
        await this.createDatasetView(dataset, ordered);
        this.exposure.set(dataset, { kind: "list", files });
        return;
      } catch (e) {
        error = e;
      }
    }
    // Nothing readable to bind on: the dataset keeps its columns and every read of it fails,
    // naming the object, while the other datasets stay usable.
    const message = unreadableObjectError(error, this.lakeRoot, this.env)?.message ?? errorMessage(error);
    const failing = datasetRelationSql(dataset, undefined).replace(
      / WHERE false$/,
      ` FROM range(1) WHERE error(${quote(message)}) IS NULL`,
    );
    await this.connection.run(`CREATE OR REPLACE VIEW ${this.database}.${dataset.name} AS ${failing}`);
    this.exposure.set(dataset, { kind: "list", files });
  }

  private async createDatasetView(
    dataset: DatasetSchema,
    source: string | string[] | undefined,
  ): Promise<void> {
    await this.connection.run(
      `CREATE OR REPLACE VIEW ${this.database}.${dataset.name} AS ${datasetRelationSql(dataset, source)}`,
    );
  }

  /**
   * Objects written since the engine opened (the same process ran transform): a dataset that had
   * none is re-exposed once it has some; one read through a list is re-listed.
   */
  private async refresh(): Promise<void> {
    for (const [dataset, exposure] of this.exposure) {
      const dir = processedDir(this.lakeRoot, this.env, dataset);
      if (exposure.kind === "empty" && (await hasParquet(dir))) await this.exposeDataset(dataset);
      else if (exposure.kind === "list") {
        const files = await listParquet(dir);
        if (files.join("\n") !== exposure.files.join("\n")) await this.exposeDataset(dataset);
      }
    }
  }

  /** Any SQL, for the pipeline's own statements (deploying views, validation, summaries). */
  async query(sql: string): Promise<QueryResult> {
    this.assertOpen();
    await this.refresh();
    let reader: DuckDBMaterializedResult;
    try {
      reader = await this.connection.run(sql);
    } catch (e) {
      throw this.queryError(e);
    }
    return toQueryResult(reader);
  }

  /** A caller's SQL: exactly one read, decided by DuckDB's parser (see `prepareReadOnly`). */
  async readQuery(sql: string): Promise<QueryResult> {
    this.assertOpen();
    await this.refresh();
    let reader: DuckDBMaterializedResult;
    try {
      reader = await (await prepareReadOnly(this.connection, sql)).run();
    } catch (e) {
      throw this.queryError(e);
    }
    return toQueryResult(reader);
  }

  async profile(sql: string): Promise<ProfiledQuery> {
    this.assertOpen();
    if (this.profileDir === undefined) {
      throw new PipelineError(
        "PROFILING_DISABLED",
        "This DuckDB engine's configuration is locked: open it with { profiling: true } to profile queries.",
      );
    }
    await this.refresh();
    const file = join(this.profileDir, "profile.json");
    try {
      await this.connection.run("PRAGMA enable_profiling = 'json'");
      await this.connection.run(`SET profiling_output = ${quote(file)}`);
      // detailed mode fills total_bytes_read for Parquet scans; without the external file cache every
      // byte the query needs is read from disk, so the count is what a cold engine (or Athena) reads
      await this.connection.run("SET profiling_mode = 'detailed'");
      await this.connection.run("SET enable_external_file_cache = false");
      let reader: DuckDBMaterializedResult;
      try {
        reader = await this.connection.run(sql);
      } catch (e) {
        throw this.queryError(e);
      } finally {
        await this.connection.run("PRAGMA disable_profiling");
        await this.connection.run("RESET enable_external_file_cache");
      }
      const result = await toQueryResult(reader);
      const profile = scanProfileFromJson(JSON.parse(await readFile(file, "utf8")));
      return { result, profile };
    } finally {
      await rm(file, { force: true });
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.connection.closeSync();
    this.instance.closeSync();
    if (this.profileDir !== undefined) await rm(this.profileDir, { recursive: true, force: true });
  }

  private queryError(e: unknown): PipelineError {
    if (e instanceof PipelineError) return e;
    const outside = /Cannot access file "([^"]*)" - file system operations are disabled/.exec(
      errorMessage(e),
    );
    if (outside) {
      return new PipelineError(
        "QUERY_FAILED",
        `DuckDB query failed: ${outside[1]} is outside ${join(this.lakeRoot, this.env)}${sep}, the only files a query may read.`,
        { cause: e },
      );
    }
    return (
      unreadableObjectError(e, this.lakeRoot, this.env) ??
      new PipelineError("QUERY_FAILED", `DuckDB query failed: ${errorMessage(e)}`, { cause: e })
    );
  }

  private assertOpen(): void {
    if (this.closed) throw new PipelineError("ENGINE_CLOSED", "The DuckDB engine is closed.");
  }
}

async function toQueryResult(reader: DuckDBMaterializedResult): Promise<QueryResult> {
  const names = reader.columnNames();
  const types = reader.columnTypes();
  const columns = names.map((name, i) => ({ name, type: String(types[i]) }));
  const rows = (await reader.getRows()).map((row) => {
    const out: Record<string, unknown> = {};
    names.forEach((name, i) => {
      out[name] = toPlainValue(row[i] ?? null);
    });
    return out;
  });
  return { columns, rows };
}

function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
