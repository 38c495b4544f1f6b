import { PipelineError } from "@openaq-lakehouse/pipeline-core";
import { type AttemptFailure, describeFailure, isUnreachable } from "./retry.js";

/** The `detail` / `message` of an OpenAQ error body (three 422 shapes, WAF messages, plain text). */
export function errorDetail(body: Uint8Array): string {
  const text = new TextDecoder().decode(body).trim();
  let detail: string = text;
  try {
    const json: unknown = JSON.parse(text);
    if (typeof json === "string") detail = json;
    else if (json && typeof json === "object") {
      const d =
        (json as { detail?: unknown; message?: unknown }).detail ?? (json as { message?: unknown }).message;
      if (typeof d === "string") detail = d;
      else if (Array.isArray(d) && d.length > 0) {
        const first = d[0] as { loc?: unknown; msg?: unknown };
        const loc = Array.isArray(first.loc) ? first.loc.join(".") : "";
        detail = `${loc ? `${loc}: ` : ""}${String(first.msg ?? JSON.stringify(first))}`;
      }
    }
  } catch {
    // not JSON: keep the text
  }
  detail = detail.replace(/\s+/g, " ");
  return detail.length > 160 ? `${detail.slice(0, 157)}...` : detail;
}

/** Replaces every occurrence of the key (defence in depth: the key should never reach a message). */
export function redact(text: string, apiKey: string | undefined): string {
  return apiKey && apiKey.length >= 4 ? text.split(apiKey).join("***") : text;
}

/** The one-sentence error for an answer that retrying cannot fix. */
export function permanentHttpError(status: number, detail: string, what: string): PipelineError {
  switch (status) {
    case 401:
      return /must be provided/i.test(detail)
        ? new PipelineError(
            "API_KEY_MISSING",
            "The OpenAQ API requires an API key (401): set OPENAQ_API_KEY.",
          )
        : new PipelineError("API_KEY_REJECTED", "The API key was rejected by the OpenAQ API (401).");
    case 403:
      return new PipelineError(
        "API_FORBIDDEN",
        `The OpenAQ API refused access (403: ${detail || "Forbidden"}); the key or this address may be blocked.`,
      );
    case 404:
      return new PipelineError(
        "API_NOT_FOUND",
        `The OpenAQ API has no ${what} (404: ${detail || "Not Found"}).`,
      );
    case 410:
      return new PipelineError("API_GONE", `The OpenAQ API no longer serves ${what} (410: ${detail}).`);
    case 422:
      return new PipelineError(
        "API_REQUEST_REJECTED",
        `The OpenAQ API rejected the request for ${what} (422: ${detail}).`,
      );
    default:
      return new PipelineError(
        "API_HTTP_ERROR",
        `The OpenAQ API answered ${status} for ${what}${detail ? ` (${detail})` : ""}.`,
      );
  }
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;

/** The one-sentence error after the last retry (or a failure no retry can fix). */
export function exhaustedError(
  last: AttemptFailure,
  attempts: number,
  what: string,
  baseUrl: string,
): PipelineError {
  if (isUnreachable(last)) {
    return new PipelineError(
      "API_UNREACHABLE",
      `Cannot reach the OpenAQ API at ${baseUrl}: ${describeFailure(last)} (gave up on ${what} after ${plural(attempts, "attempt")}).`,
    );
  }
  return new PipelineError(
    "RETRIES_EXHAUSTED",
    `Gave up on ${what} after ${plural(attempts, "attempt")}; the last one got ${describeFailure(last)}.`,
  );
}
