/**
 * A compact JSON writer that prints floats the way the real API's serialiser (orjson) does:
 * `909.0`, `100.0`, not `909`. Mark a number as a float with `float(n)`; plain numbers print as
 * JavaScript prints them. Non-ASCII text is written as UTF-8, unescaped, as orjson does.
 *
 * It rides on the native JSON.stringify: a float serialises to a marked string, and one pass
 * unwraps the marks (U+E000, a private-use character that no fixture text contains).
 */
const MARK = "\uE000";
const MARKED = /"\uE000([^"\uE000]*)\uE000"/g;

function formatFloat(v: number): string {
  if (!Number.isFinite(v)) throw new Error(`Cannot serialise ${v} as JSON.`);
  return Number.isInteger(v) && Math.abs(v) < 1e16 ? v.toFixed(1) : String(v);
}

export class JsonFloat {
  constructor(readonly value: number) {}
  toJSON(): string {
    return `${MARK}${formatFloat(this.value)}${MARK}`;
  }
}

export const float = (value: number): JsonFloat => new JsonFloat(value);

export function toJson(value: unknown): string {
  return JSON.stringify(value).replace(MARKED, "$1");
}
