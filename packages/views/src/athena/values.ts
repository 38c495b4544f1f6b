/**
 * Athena returns every value as text (`VarCharValue`, absent for NULL). These turn it into the
 * same plain values the DuckDB engine returns, by the column's Athena type.
 */
const INTEGER_TYPES = new Set(["tinyint", "smallint", "integer", "int", "bigint"]);
const FLOAT_TYPES = new Set(["double", "float", "real"]);

export function fromAthenaText(text: string | undefined, athenaType: string): unknown {
  if (text === undefined) return null;
  const type = athenaType.toLowerCase().replace(/\(.*$/, "");
  if (INTEGER_TYPES.has(type)) {
    const n = Number(text);
    return Number.isSafeInteger(n) ? n : text;
  }
  if (FLOAT_TYPES.has(type) || type === "decimal") {
    if (text === "NaN") return Number.NaN;
    if (text === "Infinity") return Number.POSITIVE_INFINITY;
    if (text === "-Infinity") return Number.NEGATIVE_INFINITY;
    return Number(text);
  }
  if (type === "boolean") return text === "true";
  if (type === "timestamp") return normalizeTimestamp(text);
  return text;
}

/** `2024-03-01 23:00:00` / `…00.1` / `…00.125000` → `2024-03-01 23:00:00.125` (3 decimals, like DuckDB's side). */
export function normalizeTimestamp(text: string): string {
  const m = /^(\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2})(?:\.(\d+))?$/.exec(text);
  if (!m) return text;
  const frac = (m[2] ?? "").padEnd(3, "0").slice(0, 3);
  return `${(m[1] as string).replace("T", " ")}.${frac}`;
}
