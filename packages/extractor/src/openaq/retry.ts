/**
 * What can go wrong with one attempt, whether it is worth another, and how long to wait first.
 */

export type AttemptFailure =
  | { kind: "http"; status: number; detail: string; headers: Record<string, string> }
  | { kind: "network"; code: string; message: string }
  | { kind: "timeout"; timeoutMs: number }
  | { kind: "invalid-json"; detail: string };

/** 408 (query timeout), 429 (rate limited) and server errors heal with time; 4xx others never do. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || (status >= 500 && status <= 599);
}

/** A host name that does not resolve will not start resolving in a few seconds (EAI_AGAIN might). */
export function isRetryable(f: AttemptFailure): boolean {
  if (f.kind === "http") return isRetryableStatus(f.status);
  return !(f.kind === "network" && f.code === "ENOTFOUND");
}

/** Connection-level codes meaning "there is nobody there", as opposed to a dropped conversation. */
const UNREACHABLE_CODES = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH"]);

export function isUnreachable(f: AttemptFailure): boolean {
  return f.kind === "network" && UNREACHABLE_CODES.has(f.code);
}

export function describeFailure(f: AttemptFailure): string {
  switch (f.kind) {
    case "http":
      return f.detail ? `HTTP ${f.status} (${f.detail})` : `HTTP ${f.status}`;
    case "network":
      return f.code === "ECONNRESET" || f.code === "UND_ERR_SOCKET"
        ? `the connection was reset (${f.code})`
        : `a network error (${f.code}${f.message ? `: ${f.message}` : ""})`;
    case "timeout":
      return `no complete answer within ${f.timeoutMs} ms`;
    case "invalid-json":
      return `a body that is not valid JSON (${f.detail})`;
  }
}

/** Finds the errno-style code of a fetch failure (undici nests it in `cause`). */
export function networkFailure(error: unknown): AttemptFailure {
  let e: unknown = error;
  let message = error instanceof Error ? error.message : String(error);
  for (let depth = 0; depth < 5 && e; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string") {
      message = (e as Error).message ?? message;
      return { kind: "network", code, message };
    }
    e = (e as { cause?: unknown }).cause;
  }
  return { kind: "network", code: "EUNKNOWN", message };
}

export interface BackoffPolicy {
  baseMs: number;
  maxMs: number;
}

/**
 * Bounded exponential backoff with jitter: attempt n (1-based) waits between half and all of
 * min(max, base·2^(n-1)), so concurrent clients spread out but nobody retries immediately.
 */
export function backoffMs(retry: number, policy: BackoffPolicy, random: () => number): number {
  const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, retry - 1));
  return Math.round(ceiling * (0.5 + 0.5 * random()));
}

/**
 * After a 429: the server sends no Retry-After, only `x-ratelimit-reset` (seconds until its
 * per-minute counter expires). Trust it when sane, never longer than one rate window, plus up to
 * 10% of the window as jitter.
 */
export function rateLimitedWaitMs(
  headers: Record<string, string>,
  windowMs: number,
  random: () => number,
): number {
  const reset = Number(headers["x-ratelimit-reset"]);
  const told = Number.isFinite(reset) && reset > 0 && reset <= 3600 ? reset * 1000 : windowMs;
  return Math.round(Math.min(told, windowMs) + random() * 0.1 * windowMs);
}
