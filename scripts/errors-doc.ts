/**
 * Writes docs/errors.md from pipeline-core's ERROR_CODES, the one list of error codes:
 *
 *   pnpm docs:errors            (re)write the page
 *   pnpm docs:errors --check    exit 1 when the committed page differs from the list
 *
 * packages/pipeline-core/test/error-codes.test.ts fails while the committed page is stale.
 */
import { readFile, writeFile } from "node:fs/promises";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { ERROR_CODES, type ErrorCode, EXIT_FAILED, EXIT_USAGE } from "@openaq-lakehouse/pipeline-core";

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
export const ERRORS_DOC = join(REPO_ROOT, "docs/errors.md");

const cell = (text: string): string => text.replaceAll("|", "\\|");

/** The page: what the codes are for, the exit statuses, and one row per code in the list's order. */
export function renderErrorsDoc(): string {
  const rows = (Object.keys(ERROR_CODES) as ErrorCode[]).map((code) => {
    const { exit, meaning } = ERROR_CODES[code];
    return `| \`${code}\` | ${exit} | ${cell(meaning)} |`;
  });
  return `# Error codes

<!-- Generated from packages/pipeline-core/src/error-codes.ts by \`pnpm docs:errors\`: edit the list, not this page. -->

Every failure the lakehouse reports to a person is a \`PipelineError\`: one sentence, and a stable
\`code\` to branch on (codes are never renamed). The \`openaq-pipeline\` CLI prints the sentence on
stderr; with \`--log-format json\` the last stderr line is a JSON object carrying the \`code\`. Its
exit status comes from the code: 0 when the command succeeded, ${EXIT_FAILED} when the run failed, ${EXIT_USAGE} when how it
was called must change (a bad argument, option, lake path or configuration).

| code | exit | meaning |
|---|---|---|
${rows.join("\n")}
`;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const page = renderErrorsDoc();
  const shown = relative(process.cwd(), ERRORS_DOC);
  if (process.argv.includes("--check")) {
    const committed = await readFile(ERRORS_DOC, "utf8").catch(() => "");
    if (committed !== page) {
      process.stderr.write(`${shown} differs from the error code list: run pnpm docs:errors.\n`);
      process.exitCode = 1;
    }
  } else {
    await writeFile(ERRORS_DOC, page);
    process.stdout.write(`wrote ${shown}\n`);
  }
}
