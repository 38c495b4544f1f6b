import {
  type DuckDBConnection,
  type DuckDBExtractedStatements,
  type DuckDBPreparedStatement,
  StatementType,
} from "@duckdb/node-api";
import { PipelineError } from "@openaq-lakehouse/pipeline-core";

/** What `query` accepts, in the words its refusal uses. */
export const READ_STATEMENTS = "SELECT, WITH, DESCRIBE, SHOW, EXPLAIN or SUMMARIZE";

/** DuckDB's own name for a statement type, lower-cased for a sentence ("a copy statement"). */
function typeName(type: StatementType): string {
  return (StatementType[type] ?? "unknown")
    .toLowerCase()
    .replace(/_statement$/, "")
    .replaceAll("_", " ");
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
export async function prepareReadOnly(
  connection: DuckDBConnection,
  sql: string,
): Promise<DuckDBPreparedStatement> {
  const extracted = await parse(connection, sql);
  if (extracted.count !== 1) {
    throw refused(
      extracted.count === 0
        ? "The query is empty: pass one SQL statement."
        : `The query holds ${extracted.count} statements: query runs exactly one (${READ_STATEMENTS}).`,
    );
  }
  const prepared = await prepareOrRefuse(connection, extracted, sql);
  const type = prepared.statementType;
  if (type === StatementType.SELECT) return prepared;
  if (type === StatementType.EXPLAIN) {
    const inner = /^\s*explain\s+(?:analy[sz]e\s+)?([\s\S]*)$/i.exec(sql)?.[1];
    if (inner !== undefined && inner.trim() !== "") {
      const explained = await parse(connection, inner).catch(() => undefined);
      if (explained?.count === 1) {
        const innerType = (await prepareOrRefuse(connection, explained, inner)).statementType;
        if (innerType === StatementType.SELECT) return prepared;
        throw refusedType(
          innerType,
          /^[aeiou]/.test(typeName(innerType)) ? "an EXPLAIN of an " : "an EXPLAIN of a ",
        );
      }
    }
    throw refused(
      `query runs reads only (${READ_STATEMENTS}); this EXPLAIN does not plainly explain a read.`,
    );
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

/**
 * Prepares (binds) the one statement. When binding fails (a COPY to a path the sandbox forbids
 * fails here, before its type is known), the parser alone says whether it is a SELECT: if not, it
 * is refused as a write; if so, the binder's error goes up as it is (the engine words it).
 */
async function prepareOrRefuse(
  connection: DuckDBConnection,
  extracted: DuckDBExtractedStatements,
  sql: string,
): Promise<DuckDBPreparedStatement> {
  try {
    return await extracted.prepare(0);
  } catch (e) {
    if (!(await parsesAsSelect(connection, sql))) throw refusedUnbound(sql);
    throw e;
  }
}

/** DuckDB's parser (no binding, no files touched) serializes SELECT statements only. */
async function parsesAsSelect(connection: DuckDBConnection, sql: string): Promise<boolean> {
  const reader = await connection.run("SELECT json_serialize_sql($1::VARCHAR) AS j", [sql]);
  const json = String((await reader.getRows())[0]?.[0] ?? "");
  try {
    return (JSON.parse(json) as { error?: boolean }).error !== true;
  } catch {
    return false;
  }
}

function refusedUnbound(sql: string): PipelineError {
  const word = /^[\s(]*([a-z]+)/i.exec(sql.replace(/^\s*(--[^\n]*\n|\/\*[\s\S]*?\*\/)*/g, ""))?.[1];
  return refused(
    `query runs reads only (${READ_STATEMENTS}); this${word ? ` ${word.toUpperCase()}` : ""} statement is not a read, refused.`,
  );
}

function refusedType(type: StatementType, prefix: string): PipelineError {
  const hint =
    type === StatementType.CREATE || type === StatementType.DROP || type === StatementType.ALTER
      ? " Deploying the serving views is the views command's job."
      : "";
  const name = typeName(type);
  const article = prefix || (/^[aeiou]/.test(name) ? "an " : "a ");
  return refused(
    `query runs reads only (${READ_STATEMENTS}); this is ${article}${name} statement, refused.${hint}`,
  );
}

function refused(message: string): PipelineError {
  return new PipelineError("QUERY_NOT_READ_ONLY", message);
}

function firstLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split("\n")[0] ?? "";
}
