import type { ErrorCode } from "./error-codes.js";

/**
 * Errors a caller is expected to show to a person: one clear sentence, no stack trace needed.
 * `code` is stable so tools can branch on it; it is one of `ERROR_CODES` (./error-codes.ts).
 */
export class PipelineError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "PipelineError";
    this.code = code;
  }
}

export function isPipelineError(e: unknown): e is PipelineError {
  return e instanceof PipelineError;
}
