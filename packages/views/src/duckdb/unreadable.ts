import { sep } from "node:path";
import { type Environment, PipelineError } from "@openaq-lakehouse/pipeline-core";

/** The Parquet object a DuckDB error names (`File '…/part-00000.parquet' too small…`), if any. */
export function objectNamedIn(e: unknown): string | undefined {
  const message = e instanceof Error ? e.message : String(e);
  return /'([^'\n]+\.parquet)'/.exec(message)?.[1] ?? /"([^"\n]+\.parquet)"/.exec(message)?.[1];
}

/** `'…'` for a shell when the word has anything a shell would read specially. */
export function shellWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

/** The command that re-transforms the days `check` finds broken: one definition for every message. */
export function healCommand(lake: string, env: Environment, from: string, to = from): string {
  return `openaq-pipeline check --repair --env ${env} --lake ${shellWord(lake)} --from ${from} --to ${to}`;
}

/**
 * A query that reached an unreadable processed object fails with a sentence naming the object and
 * the command that heals its day; any other error is returned unchanged (undefined).
 */
export function unreadableObjectError(
  e: unknown,
  lakeRoot: string,
  env: Environment,
): PipelineError | undefined {
  const object = objectNamedIn(e);
  const processed = `${lakeRoot}${sep}${env}${sep}processed${sep}`;
  if (object === undefined || !object.startsWith(processed)) return undefined;
  const part = /year=(\d{4})[/\\]month=(\d{2})[/\\]day=(\d{2})[/\\]/.exec(object);
  const reason = (e instanceof Error ? e.message : String(e)).split("\n")[0]?.replace(/^[\w ]+Error: /, "");
  const heal = part
    ? `; heal its day with: ${healCommand(lakeRoot, env, `${part[1]}-${part[2]}-${part[3]}`)}`
    : "";
  return new PipelineError(
    "OBJECT_UNREADABLE",
    `The processed object ${object} cannot be read (${reason?.replace(/\.$/, "")})${heal}`,
    { cause: e },
  );
}
