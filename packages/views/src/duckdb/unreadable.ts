import { relative, sep } from "node:path";
import {
  type Environment,
  type IsoDay,
  layerPrefix,
  PipelineError,
  parseLakeKey,
} from "@openaq-lakehouse/pipeline-core";

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
  if (object === undefined) return undefined;
  // The object's lake key (relative to the lake folder, with `/`), read back by the layout.
  const key = relative(lakeRoot, object).split(sep).join("/");
  if (!key.startsWith(layerPrefix(env, "processed"))) return undefined;
  const day = lakeKeyDay(key);
  const reason = (e instanceof Error ? e.message : String(e)).split("\n")[0]?.replace(/^[\w ]+Error: /, "");
  const heal = day ? `; heal its day with: ${healCommand(lakeRoot, env, day)}` : "";
  return new PipelineError(
    "OBJECT_UNREADABLE",
    `The processed object ${object} cannot be read (${reason?.replace(/\.$/, "")})${heal}`,
    { cause: e },
  );
}

/** The day of a key the layout built, or undefined for any other key (a stray object in the folder). */
function lakeKeyDay(key: string): IsoDay | undefined {
  try {
    return parseLakeKey(key).day;
  } catch {
    return undefined;
  }
}
