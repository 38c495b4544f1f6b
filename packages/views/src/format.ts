import type { QueryResult } from "./engine.js";

export type ResultFormat = "table" | "csv" | "json";

/**
 * Renders a result for `query`: an aligned text table (for a TTY), RFC 4180 CSV, or a JSON array
 * of row objects. NULL is an empty CSV field, `NULL` in the table and `null` in JSON.
 */
export function formatResult(result: QueryResult, format: ResultFormat): string {
  switch (format) {
    case "json":
      return `${JSON.stringify(result.rows, null, 2)}\n`;
    case "csv":
      return formatCsv(result);
    case "table":
      return formatTable(result);
    default:
      throw new Error(`Unknown format ${JSON.stringify(format)}: expected table, csv or json.`);
  }
}

function text(value: unknown): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

function formatCsv(result: QueryResult): string {
  const names = result.columns.map((c) => c.name);
  const lines = [names.map(csvField).join(",")];
  for (const row of result.rows) lines.push(names.map((n) => csvField(text(row[n]))).join(","));
  return `${lines.join("\r\n")}\r\n`;
}

/**
 * A value inside the `|`-separated table: a `|` in the text would read as a column border and a
 * newline as a new row, so they become `\|` and `\n` (and a backslash `\\`, so the escapes stay
 * unambiguous).
 */
function tableCell(s: string): string {
  return s.replaceAll("\\", "\\\\").replaceAll("|", "\\|").replace(/\r?\n/g, "\\n");
}

function formatTable(result: QueryResult): string {
  const names = result.columns.map((c) => c.name);
  const headers = names.map(tableCell);
  const cells = result.rows.map((row) =>
    names.map((n) => {
      const v = row[n];
      return {
        s: v === null || v === undefined ? "NULL" : tableCell(text(v)),
        right: typeof v === "number",
      };
    }),
  );
  const widths = names.map((_, i) =>
    Math.max((headers[i] as string).length, ...cells.map((r) => (r[i] as { s: string }).s.length)),
  );
  const line = (parts: string[]) => `| ${parts.join(" | ")} |`;
  const out = [
    line(headers.map((n, i) => n.padEnd(widths[i] as number))),
    `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`,
    ...cells.map((r) =>
      line(r.map((c, i) => (c.right ? c.s.padStart(widths[i] as number) : c.s.padEnd(widths[i] as number)))),
    ),
  ];
  const count = result.rows.length;
  out.push(`(${count} row${count === 1 ? "" : "s"})`);
  return `${out.join("\n")}\n`;
}
