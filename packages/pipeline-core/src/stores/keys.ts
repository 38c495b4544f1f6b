import { PipelineError } from "../errors.js";

/**
 * Object keys are relative, `/`-separated paths: no leading `/`, no empty, `.` or `..` segments,
 * no backslashes or control characters. Both stores enforce this, so a key can never escape the root.
 */
export function assertObjectKey(key: unknown): string {
  const ok =
    typeof key === "string" &&
    key.length > 0 &&
    // S3's limit: 1,024 bytes of UTF-8.
    Buffer.byteLength(key, "utf8") <= 1024 &&
    !key.startsWith("/") &&
    !key.includes("\\") &&
    // biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point
    !/[\u0000-\u001f\u007f]/.test(key) &&
    key.split("/").every((s) => s !== "" && s !== "." && s !== "..");
  if (!ok)
    throw new PipelineError(
      "INVALID_KEY",
      `Invalid object key ${JSON.stringify(key)}: keys are relative paths without '..' or empty segments.`,
    );
  return key as string;
}

/**
 * A listing prefix or a store's root prefix: `""` (everything), or the start of a key. It follows the
 * key rules, except that it may end with `/` or stop partway through a segment (`year=2024/mon`).
 * Returns the prefix unchanged.
 */
export function assertKeyPrefix(prefix: unknown): string {
  const segments = typeof prefix === "string" ? prefix.split("/") : [];
  const ok =
    typeof prefix === "string" &&
    (prefix === "" ||
      (Buffer.byteLength(prefix, "utf8") <= 1024 &&
        !prefix.startsWith("/") &&
        !prefix.includes("\\") &&
        // biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point
        !/[\u0000-\u001f\u007f]/.test(prefix) &&
        // Every segment is a real name; only the last one may be empty (a trailing `/`).
        segments.every((s, i) => s !== "." && s !== ".." && (s !== "" || i === segments.length - 1))));
  if (!ok) {
    throw new PipelineError(
      "INVALID_KEY",
      `Invalid key prefix ${JSON.stringify(prefix)}: prefixes are relative paths without '..' or empty segments.`,
    );
  }
  return prefix as string;
}
