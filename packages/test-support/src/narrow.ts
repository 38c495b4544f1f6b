/**
 * Narrowing a test's values, with a failure that says what was missing (instead of a non-null
 * assertion, which would fail later on an unrelated `undefined`).
 */
import { isPipelineError, type PipelineError } from "@openaq-lakehouse/pipeline-core";

/** The value, or a test failure naming what was missing. */
export function must<T>(value: T | null | undefined, what: string): T {
  if (value === null || value === undefined) throw new Error(`missing ${what}`);
  return value;
}

/** The PipelineError a promise rejects with; anything else, or no rejection, fails the test. */
export async function failure(p: Promise<unknown>): Promise<PipelineError> {
  try {
    await p;
  } catch (e) {
    if (isPipelineError(e)) return e;
    throw e;
  }
  throw new Error("expected a PipelineError, but the promise resolved");
}
