import { readFileSync } from "node:fs";
import { parse } from "yaml";

/**
 * A stack file (`Pulumi.<stack>.yaml`) as the flat config map Pulumi hands a program: object values
 * JSON-encoded, `secure:` values left out (they can only be decrypted by the stack's secrets
 * provider; tests pass the secrets they need explicitly).
 */
export function readStackConfig(path: string): Record<string, string> {
  const doc = parse(readFileSync(path, "utf8")) as { config?: Record<string, unknown> } | null;
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(doc?.config ?? {})) {
    if (value && typeof value === "object" && "secure" in (value as object)) continue;
    out[key] = typeof value === "string" ? value : JSON.stringify(value);
  }
  return out;
}
