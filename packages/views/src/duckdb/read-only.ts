import {
  type DuckDBConnection,
  type DuckDBPreparedStatement,
  StatementType,
} from "@duckdb/node-api";
import { PipelineError } from "@openaq-lakehouse/pipeline-core";

/** What `query` accepts, in the words its refusal uses. */
export const READ_STATEMENTS = "SELECT, WITH, DESCRIBE, SHOW, EXPLAIN or SUMMARIZE";

/** DuckDB's own name for a statement type, lower-cased for a sentence ("a copy statement"). */
function typeName(type: StatementType): string {
  return (StatementType[type] ?? "unknown").toLowerCase().replace(/_statement$/, "").replaceAll("_", " ");
}

/**
 * Prepares user SQL after DuckDB's own parser has said it is exactly one read: DuckDB parses
 * DESCRIBE, SHOW, SUMMARIZE, FROM-first and VALUES as SELECT statements, so the statement type is
 * the test (no keyword matching of our own). EXPLAIN ANALYZE runs what it explains, so an EXPLAIN
 * is accepted only when the statement after its keywords is itself a read; when those keywords
 * cannot be peeled off (comments in between, options), the statement is refused: fail closed.
 *
 * Preparing is not always free of effects (preparing EXPORT DATABASE creates its folder), so the
 * connection must already be sandboxed (external access off) when this runs.
 */
export async function prepareReadOnly(connection: DuckDBConnection, sql: string): Promise<DuckDBPreparedStatement> {
  const extracted = await parse(connection, sql);
  if (extracted.count !== 1) {
    throw refused(
      extracted.count === 0
        ? "The query is empty: pass one SQL statement."
        : `The query holds ${extracted.count} statements: query runs exactly one (${READ_STATEMENTS}).`,
    );
  }
  const prepared = await prepare(() => extracted.prepare(0));
  const type = prepared.statementType;
  if (type === StatementType.SELECT) return prepared;
  if (type === StatementType.EXPLAIN) {
    const inner = /^\s*explain\s+(?:analy[sz]e\s+)?([\s\S]*)$/i.exec(sql)?.[1];
    if (inner !== undefined && inner.trim() !== "") {
      const explained = await parse(connection, inner).catch(() => undefined);
      if (explained?.count === 1) {
        const innerType = (await prepare(() => explained.prepare(0))).statementType;
        if (innerType === StatementType.SELECT) return prepared;
        throw refusedType(innerType, "an EXPLAIN of ");
      }
    }
    throw refused(`query runs reads only (${READ_STATEMENTS}); this EXPLAIN does not plainly explain a read.`);
  }
  throw refusedType(type, "");
}

async function parse(connection: DuckDBConnection, sql: string) {
  try {
    return await connection.extractStatements(sql);
  } catch (e) {
    throw new PipelineError("QUERY_FAILED", `DuckDB cannot parse the query: ${firstLine(e)}`, { cause: e });
  }
}

async function prepare(f: () => Promise<DuckDBPreparedStatement>): Promise<DuckDBPreparedStatement> {
  try {
    return await f();
  } catch (e) {
    throw new PipelineError("QUERY_FAILED", `DuckDB query failed: ${firstLine(e)}`, { cause: e });
  }
}

function refusedType(type: StatementType, prefix: string): PipelineError {
  const hint =
    type === StatementType.CREATE || type === StatementType.DROP || type === StatementType.ALTER
      ? " Deploying the serving views is the views command's job."
      : "";
  return refused(
    `query runs reads only (${READ_STATEMENTS}); this is ${prefix}a ${typeName(type)} statement, refused.${hint}`,
  );
}

function refused(message: string): PipelineError {
  return new PipelineError("QUERY_NOT_READ_ONLY", message);
}

function firstLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split("\n")[0] ?? "";
}
