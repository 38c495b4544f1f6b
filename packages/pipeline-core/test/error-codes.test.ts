import { readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { ERRORS_DOC, renderErrorsDoc } from "../../../scripts/errors-doc.js";
import { ERROR_CODES, type ErrorCode, EXIT_USAGE, exitCodeOf, isErrorCode } from "../src/error-codes.js";
import { PipelineError } from "../src/errors.js";

const README = join(dirname(fileURLToPath(import.meta.url)), "../README.md");

describe("the error code list", () => {
  it("is closed: an unknown code does not compile", () => {
    // @ts-expect-error NO_SUCH_CODE is not in ERROR_CODES, so this line must not type-check.
    const e = new PipelineError("NO_SUCH_CODE", "A code nobody defined.");
    expect(isErrorCode(e.code)).toBe(false);
    expect(isErrorCode("S3_ACCESS_DENIED")).toBe(true);
    expect(isErrorCode("toString")).toBe(false);
  });

  it("holds UPPER_SNAKE_CASE codes, each with a one-line sentence and exit status 1 or 2", () => {
    for (const [code, { exit, meaning }] of Object.entries(ERROR_CODES)) {
      expect(code).toMatch(/^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*$/);
      expect([1, 2], code).toContain(exit);
      expect(meaning, code).toMatch(/^[^\n]+\.$/);
    }
  });

  it("gives exit 2 exactly to the errors of how the CLI was called, 1 to every other", () => {
    const usage = (Object.keys(ERROR_CODES) as ErrorCode[]).filter((c) => exitCodeOf(c) === EXIT_USAGE);
    expect(usage).toEqual([
      "API_KEY_MISSING",
      "ATHENA_REQUIRED",
      "AWS_REGION_MISSING",
      "INVALID_ARCHIVE",
      "INVALID_LAKE",
      "LAKE_UNUSABLE",
      "NO_ATHENA_WORKGROUP",
      "QUERY_NOT_READ_ONLY",
      "USAGE",
    ]);
  });

  it("is in alphabetical order, as docs/errors.md lists it", () => {
    const codes = Object.keys(ERROR_CODES);
    expect(codes).toEqual([...codes].sort());
  });

  it("is what the committed docs/errors.md says (pnpm docs:errors rewrites it)", async () => {
    expect(await readFile(ERRORS_DOC, "utf8")).toBe(renderErrorsDoc());
  });

  it("has every code the package README's error table names", async () => {
    const readme = await readFile(README, "utf8");
    const section = readme.slice(readme.indexOf("## Errors"), readme.indexOf("## Guarantees"));
    // The table's rows only: the prose around it names types such as `ERROR_CODES`, not codes.
    const rows = section.split("\n").filter((line) => line.startsWith("| `"));
    const named = rows.flatMap((row) => [...row.matchAll(/`([A-Z][A-Z0-9_]+)`/g)].map((m) => m[1] as string));
    expect(named.length).toBeGreaterThan(10);
    expect(named.filter((c) => !isErrorCode(c))).toEqual([]);
  });
});
