import { PipelineError } from "./errors.js";

/**
 * Every name that ends up in an object key or in SQL goes through here. The rule is deliberately
 * narrow (lower-case ASCII letters, digits, underscore; starts with a letter; at most 64 chars):
 * it is valid as a Glue/Athena identifier without quoting and can never form `..`, `/` or a quote.
 */
const IDENTIFIER = /^[a-z][a-z0-9_]{0,63}$/;

export function isIdentifier(value: unknown): value is string {
  return typeof value === "string" && IDENTIFIER.test(value);
}

export function assertIdentifier(kind: string, value: unknown): string {
  if (!isIdentifier(value)) {
    throw new PipelineError(
      "INVALID_IDENTIFIER",
      `Invalid ${kind} ${JSON.stringify(value)}: use 1-64 lower-case letters, digits or '_', starting with a letter.`,
    );
  }
  return value;
}
