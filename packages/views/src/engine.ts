import { PipelineError } from "@openaq-lakehouse/pipeline-core";

/**
 * The one interface both query engines implement: Athena on AWS, DuckDB in-process for the
 * embedded default. Results are plain JSON-able values so callers (the CLI, validation, tests)
 * never care which engine answered.
 */
export interface QueryColumn {
  name: string;
  /** The engine's own type name (DuckDB `TIMESTAMP`, Athena `timestamp`). */
  type: string;
}

/**
 * Values are numbers, strings, booleans or null (structs become objects, lists arrays on DuckDB).
 * Timestamps are UTC strings `YYYY-MM-DD HH:MM:SS.sss`, dates `YYYY-MM-DD`, from both engines.
 */
export interface QueryResult {
  columns: QueryColumn[];
  rows: Array<Record<string, unknown>>;
}

export interface QueryEngine {
  readonly kind: "duckdb" | "athena";
  /** The catalog database the engine is bound to (`openaq_{env}`), when it knows it. */
  readonly database?: string;
  /** Any statement the pipeline itself runs (deploying views, validation, summaries). */
  query(sql: string): Promise<QueryResult>;
  /**
   * A user's SQL (the `query` command, dashboards): exactly one read (SELECT, WITH, DESCRIBE, SHOW,
   * EXPLAIN, SUMMARIZE), unqualified names resolved in the env's database; anything else is refused
   * with a PipelineError before it runs.
   */
  readQuery(sql: string): Promise<QueryResult>;
  close(): Promise<void>;
}

/** The timestamp text both engines return: `2024-03-01 23:00:00.125` (UTC, millisecond precision). */
export function formatUtcTimestamp(epochMs: number): string {
  return new Date(epochMs).toISOString().replace("T", " ").replace("Z", "");
}

/**
 * Deploying or validating env X's views through an engine opened for env Y would fail with a
 * confusing "schema not found" (DuckDB) or write into the wrong catalog (Athena): refuse up front.
 */
export function assertEngineDatabase(engine: QueryEngine, database: string): void {
  if (engine.database !== undefined && engine.database !== database) {
    throw new PipelineError(
      "ENGINE_ENV_MISMATCH",
      `This ${engine.kind} engine serves ${engine.database}, not ${database}: open it for the same environment.`,
    );
  }
}
