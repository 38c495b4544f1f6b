/**
 * Which response headers are kept beside a raw body. Secrets and cookies never are; neither are
 * headers that change on every request (date, rate-limit counters, CDN request ids) or that
 * describe the wire rather than the stored bytes (length, compression), so a rerun writes the
 * same sidecar except for its `fetchedAt`.
 */
const DROPPED = new Set([
  "authorization",
  "cookie",
  "set-cookie",
  "x-api-key",
  "date",
  "age",
  "expires",
  "last-modified",
  "etag",
  "content-length",
  "content-encoding",
  "transfer-encoding",
  "connection",
  "keep-alive",
  "via",
  "x-cache",
]);

const DROPPED_PREFIXES = ["x-ratelimit-", "x-amz", "x-amzn-", "cf-", "x-request-id", "x-correlation-id"];

export function sidecarHeaders(headers: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of Object.keys(headers).sort()) {
    const lower = name.toLowerCase();
    if (DROPPED.has(lower) || DROPPED_PREFIXES.some((p) => lower.startsWith(p))) continue;
    out[lower] = headers[name] as string;
  }
  return out;
}
