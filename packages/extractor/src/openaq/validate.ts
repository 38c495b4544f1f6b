import { PipelineError } from "@openaq-lakehouse/pipeline-core";
import type { z } from "zod";

/** A body that is not JSON at all (truncated, corrupted): a transport fault, worth retrying. */
export class InvalidJsonError extends Error {
  constructor(readonly detail: string) {
    super(`the response was not valid JSON (${detail})`);
    this.name = "InvalidJsonError";
  }
}

/** `["results", 3, "period", "datetimeFrom", "utc"]` → `results[3].period.datetimeFrom.utc` */
export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = "";
  for (const part of path) {
    if (typeof part === "number") out += `[${part}]`;
    else out += out === "" ? String(part) : `.${String(part)}`;
  }
  return out === "" ? "(the body)" : out;
}

function describeValue(root: unknown, path: ReadonlyArray<PropertyKey>): string {
  let v: unknown = root;
  for (const p of path) {
    if (v === null || typeof v !== "object") return "missing";
    v = (v as Record<PropertyKey, unknown>)[p as string];
  }
  if (v === undefined) return "missing";
  const text = JSON.stringify(v);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

export function parseJson(body: Uint8Array): unknown {
  const text = new TextDecoder("utf-8", { fatal: false }).decode(body);
  try {
    return JSON.parse(text);
  } catch (e) {
    const reason = e instanceof Error ? e.message : String(e);
    throw new InvalidJsonError(`${body.byteLength} bytes; ${reason}`);
  }
}

/**
 * Validates a parsed body; schema drift is a `PipelineError` (code SCHEMA_DRIFT) naming the first
 * offending field path, what was expected and what came, e.g.
 * "…: results[3].period.datetimeFrom.utc expected string, got 1706540400 (and 2 more problems)."
 */
export function validateResponse<T>(schema: z.ZodType<T>, json: unknown, what: string): T {
  const result = schema.safeParse(json);
  if (result.success) return result.data;
  const issues = result.error.issues;
  const first = issues[0];
  const path = first ? formatPath(first.path) : "(the body)";
  const got = first ? describeValue(json, first.path) : "";
  const more =
    issues.length > 1 ? ` (and ${issues.length - 1} more problem${issues.length > 2 ? "s" : ""})` : "";
  throw new PipelineError(
    "SCHEMA_DRIFT",
    `The OpenAQ API response for ${what} does not have the expected shape: ${path} ${first?.message ?? "is invalid"}, got ${got}${more}.`,
  );
}
