import { PipelineError } from "@openaq-lakehouse/pipeline-core";

const READS = new Set(["select", "with", "values", "table", "show", "describe"]);

/** Leading whitespace and comments (`-- …` lines, `/* … *\/` blocks) removed. */
function stripLeading(sql: string): string {
  let s = sql;
  for (;;) {
    const next = s
      .replace(/^\s+/, "")
      .replace(/^--[^\n]*(\n|$)/, "")
      .replace(/^\/\*[\s\S]*?\*\//, "");
    if (next === s) return s;
    s = next;
  }
}

const firstWord = (sql: string): string => /^[a-z]+/i.exec(stripLeading(sql))?.[0]?.toLowerCase() ?? "";

/**
 * Athena runs one statement per execution and has no parser in this process, so a user's SQL is
 * judged by its first keyword (Trino's grammar starts every read with one of READS): SELECT, WITH,
 * VALUES, TABLE, SHOW, DESCRIBE, or EXPLAIN of those. EXPLAIN ANALYZE executes the statement, so
 * it must be followed by a read. Anything unrecognised is refused (fail closed); the workgroup's
 * IAM policy is the second line.
 */
export function assertAthenaRead(sql: string): void {
  const word = firstWord(sql);
  if (READS.has(word)) return;
  if (word === "explain") {
    const rest = stripLeading(stripLeading(sql).slice("explain".length));
    if (/^analy[sz]e\b/i.test(rest)) {
      const inner = stripLeading(rest.replace(/^analy[sz]e(\s+verbose)?/i, ""));
      if (READS.has(firstWord(inner)) && firstWord(inner) !== "show" && firstWord(inner) !== "describe")
        return;
    } else return;
  }
  throw new PipelineError(
    "QUERY_NOT_READ_ONLY",
    `query runs reads only (SELECT, WITH, VALUES, TABLE, SHOW, DESCRIBE or EXPLAIN); ${word ? `a statement starting with ${word.toUpperCase()} is refused` : "this statement is refused"}. Deploying the serving views is the views command's job.`,
  );
}
