import { mkdir, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { type DuckDBConnection, DuckDBInstance, type DuckDBMaterializedResult } from "@duckdb/node-api";
import {
  DATASETS,
  type DatasetSchema,
  databaseName,
  type Environment,
  LOCAL_CATALOG_FILE,
  PipelineError,
} from "@openaq-lakehouse/pipeline-core";
import type { QueryEngine, QueryResult } from "../engine.js";
import { COMPAT_MACROS, COMPAT_SETTINGS } from "./compat.js";
import { datasetRelationSql, hasParquet, processedDir } from "./datasets.js";
import { type ScanProfile, scanProfileFromJson } from "./profile.js";
import { toPlainValue } from "./values.js";

export interface DuckDbEngineOptions {
  /** The lake folder (the embedded default). */
  lakeRoot: string;
  env: Environment;
  /**
   * Keep the catalog in `<lakeRoot>/catalog.duckdb` (default), so serving views created by one
   * process are there for the next. `false`: an in-memory catalog that lives as long as the engine.
   */
  persistent?: boolean;
}

export interface ProfiledQuery {
  result: QueryResult;
  profile: ScanProfile;
}

/** The DuckDB engine, with a DuckDB-only extra: `profile()` reports the files and bytes a query read. */
export interface DuckDbEngine extends QueryEngine {
  readonly kind: "duckdb";
  readonly database: string;
  readonly catalogPath: string | undefined;
  profile(sql: string): Promise<ProfiledQuery>;
}

export async function openDuckDbEngine(opts: DuckDbEngineOptions): Promise<DuckDbEngine> {
  const database = databaseName(opts.env);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(opts.lakeRoot) && !opts.lakeRoot.startsWith("file://")) {
    throw new PipelineError(
      "INVALID_LAKE",
      `DuckDB reads a local lake folder, not ${JSON.stringify(opts.lakeRoot)}; query an S3 lake through Athena.`,
    );
  }
  const lakeRoot = resolve(opts.lakeRoot.replace(/^file:\/\//, ""));
  const persistent = opts.persistent ?? true;
  let catalogPath: string | undefined;
  if (persistent) {
    await mkdir(lakeRoot, { recursive: true });
    catalogPath = join(lakeRoot, LOCAL_CATALOG_FILE);
  }
  let instance: DuckDBInstance;
  try {
    instance = await DuckDBInstance.create(catalogPath ?? ":memory:");
  } catch (e) {
    const message = errorMessage(e);
    if (/lock/i.test(message)) {
      throw new PipelineError(
        "CATALOG_LOCKED",
        `The local catalog ${catalogPath} is in use by another process; wait for it to finish and retry.`,
        { cause: e },
      );
    }
    throw new PipelineError(
      "CATALOG_OPEN_FAILED",
      `Cannot open the local catalog ${catalogPath ?? "(in memory)"}: ${message}`,
      {
        cause: e,
      },
    );
  }
  const connection = await instance.connect();
  const engine = new DuckDbQueryEngine(instance, connection, lakeRoot, opts.env, database, catalogPath);
  try {
    await engine.init();
  } catch (e) {
    await engine.close();
    throw e;
  }
  return engine;
}

class DuckDbQueryEngine implements DuckDbEngine {
  readonly kind = "duckdb" as const;
  /** Datasets currently exposed as empty relations: re-checked before each query. */
  private readonly emptyDatasets = new Set<DatasetSchema>();
  private closed = false;

  constructor(
    private readonly instance: DuckDBInstance,
    private readonly connection: DuckDBConnection,
    private readonly lakeRoot: string,
    private readonly env: Environment,
    readonly database: string,
    readonly catalogPath: string | undefined,
  ) {}

  async init(): Promise<void> {
    for (const s of COMPAT_SETTINGS) await this.connection.run(s);
    for (const m of COMPAT_MACROS) await this.connection.run(m);
    await this.connection.run(`CREATE SCHEMA IF NOT EXISTS ${this.database}`);
    for (const dataset of Object.values(DATASETS)) await this.exposeDataset(dataset);
  }

  /** (Re)creates `openaq_{env}.<dataset>` over the lake folder; the path is current for this lake. */
  private async exposeDataset(dataset: DatasetSchema): Promise<void> {
    const dir = processedDir(this.lakeRoot, this.env, dataset);
    const present = await hasParquet(dir);
    await this.connection.run(
      `CREATE OR REPLACE VIEW ${this.database}.${dataset.name} AS ${datasetRelationSql(dataset, present ? dir : undefined)}`,
    );
    if (present) this.emptyDatasets.delete(dataset);
    else this.emptyDatasets.add(dataset);
  }

  /** A dataset that had no files when the engine opened may have some now (same process wrote them). */
  private async refreshEmptyDatasets(): Promise<void> {
    for (const dataset of [...this.emptyDatasets]) {
      if (await hasParquet(processedDir(this.lakeRoot, this.env, dataset))) await this.exposeDataset(dataset);
    }
  }

  async query(sql: string): Promise<QueryResult> {
    this.assertOpen();
    await this.refreshEmptyDatasets();
    let reader: DuckDBMaterializedResult;
    try {
      reader = await this.connection.run(sql);
    } catch (e) {
      throw new PipelineError("QUERY_FAILED", `DuckDB query failed: ${errorMessage(e)}`, { cause: e });
    }
    return toQueryResult(reader);
  }

  async profile(sql: string): Promise<ProfiledQuery> {
    this.assertOpen();
    await this.refreshEmptyDatasets();
    const dir = await mkdtemp(join(tmpdir(), "duck-profile-"));
    const file = join(dir, "profile.json");
    try {
      await this.connection.run("PRAGMA enable_profiling = 'json'");
      await this.connection.run(`SET profiling_output = '${file.replaceAll("'", "''")}'`);
      // detailed mode fills total_bytes_read for Parquet scans; without the external file cache every
      // byte the query needs is read from disk, so the count is what a cold engine (or Athena) reads
      await this.connection.run("SET profiling_mode = 'detailed'");
      await this.connection.run("SET enable_external_file_cache = false");
      let reader: DuckDBMaterializedResult;
      try {
        reader = await this.connection.run(sql);
      } catch (e) {
        throw new PipelineError("QUERY_FAILED", `DuckDB query failed: ${errorMessage(e)}`, { cause: e });
      } finally {
        await this.connection.run("PRAGMA disable_profiling");
        await this.connection.run("RESET enable_external_file_cache");
      }
      const result = await toQueryResult(reader);
      const profile = scanProfileFromJson(JSON.parse(await readFile(file, "utf8")));
      return { result, profile };
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.connection.closeSync();
    this.instance.closeSync();
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
