import type { ErrorCode } from "./error-codes.js";
import { PipelineError } from "./errors.js";

/**
 * AWS SDK errors (S3, Glue, SSM, Athena) as one-sentence `PipelineError`s, and as causes that are
 * safe to log. An SDK error carries the whole HTTP exchange in `$response` (the signed request's
 * headers: access key id, signature, session token), and an S3 error body is deserialized onto the
 * error itself (`AWSAccessKeyId`, `StringToSign`, `SignatureProvided`, `CanonicalRequest`): logging
 * it as a cause would print them. The cause kept here is a fresh Error with only a few named fields.
 */

/** The failures a person acts on differently. */
export const AWS_FAILURE_KINDS = [
  "noCredentials",
  "noRegion",
  "accessDenied",
  "notFound",
  "throttled",
  "unreachable",
  "other",
] as const;
export type AwsFailureKind = (typeof AWS_FAILURE_KINDS)[number];

/** The call that failed, and the codes and words its failures get. */
export interface AwsCall {
  /** The service as a person names it: "S3", "Glue", "SSM", "Athena". */
  service: string;
  /** The API operation: "GetObject", "GetTable". */
  operation: string;
  /** What it was called on, as the sentence names it: "s3://lake/dev/x.json", "openaq_dev.measurements". */
  target?: string;
  /** What access or existence is about, in words: `bucket "lake"`. */
  resource?: string;
  /** The sentence's start, when "<service> <operation> on <target> failed" would not tell a person what failed. */
  failed?: string;
  /**
   * The code of each kind of failure. A kind left out gets `other`'s code, except `noCredentials`
   * (AWS_NO_CREDENTIALS) and `noRegion` (AWS_REGION_MISSING), which mean the same whatever the service.
   */
  codes: { readonly other: ErrorCode } & { readonly [K in AwsFailureKind]?: ErrorCode };
  /** A whole sentence in place of the usual one for a kind: a not-found with its fix, say. */
  sentences?: { readonly [K in AwsFailureKind]?: string };
}

const DEFAULT_CODES: { readonly [K in AwsFailureKind]?: ErrorCode } = {
  noCredentials: "AWS_NO_CREDENTIALS",
  noRegion: "AWS_REGION_MISSING",
};

const ACCESS_DENIED = new Set([
  "AccessDenied",
  "AccessDeniedException",
  "AllAccessDisabled",
  "ExpiredToken",
  "ExpiredTokenException",
  "InvalidAccessKeyId",
  "InvalidClientTokenId",
  "InvalidSignatureException",
  "InvalidToken",
  "SignatureDoesNotMatch",
  "UnrecognizedClientException",
]);

/** Throttling error names across services (as the SDK's own retry strategy classifies them). */
const THROTTLED = new Set([
  "BandwidthLimitExceeded",
  "EC2ThrottledException",
  "LimitExceededException",
  "PriorRequestNotComplete",
  "ProvisionedThroughputExceededException",
  "RequestLimitExceeded",
  "RequestThrottled",
  "RequestThrottledException",
  "SlowDown",
  "ThrottledException",
  "Throttling",
  "ThrottlingException",
  "TooManyRequestsException",
]);

/** Socket errors that mean the endpoint was never talked to (or stopped answering). */
const UNREACHABLE_ERRNO = new Set([
  "EAI_AGAIN",
  "ECONNREFUSED",
  "ECONNRESET",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
  "EPIPE",
  "ETIMEDOUT",
]);

/** The SDK error's name (its service error code), or undefined for a plain Error. */
export function awsErrorName(e: unknown): string | undefined {
  const name = (e as { name?: unknown } | undefined)?.name;
  return typeof name === "string" && name !== "Error" ? name : undefined;
}

/** The HTTP status the service answered, when it answered. */
export function awsHttpStatus(e: unknown): number | undefined {
  const status = (e as { $metadata?: { httpStatusCode?: unknown } } | undefined)?.$metadata?.httpStatusCode;
  return typeof status === "number" ? status : undefined;
}

function errnoCode(e: unknown): string | undefined {
  const code = (e as { code?: unknown } | undefined)?.code;
  return typeof code === "string" ? code : undefined;
}

export function awsFailureKind(e: unknown): AwsFailureKind {
  const name = awsErrorName(e);
  const status = awsHttpStatus(e);
  if (name === "CredentialsProviderError") return "noCredentials";
  // The SDK's "Region is missing" is a plain Error thrown before any request is made.
  if (e instanceof Error && /\bregion is missing\b/i.test(e.message)) return "noRegion";
  if ((name !== undefined && ACCESS_DENIED.has(name)) || status === 403) return "accessDenied";
  if ((name !== undefined && /^NoSuch|NotFound(Exception)?$/.test(name)) || status === 404) return "notFound";
  if ((name !== undefined && THROTTLED.has(name)) || status === 429) return "throttled";
  const errno = errnoCode(e);
  if (name === "TimeoutError" || (errno !== undefined && UNREACHABLE_ERRNO.has(errno))) return "unreachable";
  return "other";
}

/**
 * One `PipelineError` for a failed AWS call: `<what failed>: <why>.`, its code from `call.codes`,
 * its cause the SDK error without the request (see `scrubAwsError`). A PipelineError is returned as is.
 */
export function awsError(e: unknown, call: AwsCall): PipelineError {
  if (e instanceof PipelineError) return e;
  const kind = awsFailureKind(e);
  const code = call.codes[kind] ?? DEFAULT_CODES[kind] ?? call.codes.other;
  const failed =
    call.failed ?? `${call.service} ${call.operation}${call.target ? ` on ${call.target}` : ""} failed`;
  const message = call.sentences?.[kind] ?? `${failed}: ${reason(kind, e, call)}.`;
  return new PipelineError(code, message, { cause: scrubAwsError(e) });
}

/** A failed S3 call on `bucket`: the sentence names the bucket when access, existence or the endpoint failed. */
export function s3Error(
  e: unknown,
  call: { bucket: string; operation: string; target: string; codes: AwsCall["codes"] },
): PipelineError {
  const { bucket, ...rest } = call;
  return awsError(e, { service: "S3", resource: `bucket "${bucket}"`, ...rest });
}

function reason(kind: AwsFailureKind, e: unknown, call: AwsCall): string {
  const name = awsErrorName(e);
  const status = awsHttpStatus(e);
  const resource = call.resource;
  switch (kind) {
    case "noCredentials":
      return "no AWS credentials were found (use an instance role, or set AWS_PROFILE or AWS_ACCESS_KEY_ID)";
    case "noRegion":
      return "no AWS region is set (set AWS_REGION)";
    case "accessDenied":
      return `access denied (${name ?? "HTTP 403"}); check the credentials and the IAM policy${resource ? ` for ${resource}` : ""}`;
    case "notFound":
      return `${resource ?? "it"} does not exist`;
    case "throttled":
      return `${call.service} kept throttling the requests (${name ?? "HTTP 429"}) through every retry; try again later`;
    case "unreachable":
      return `the ${call.service} endpoint${resource ? ` for ${resource}` : ""} could not be reached (${errnoCode(e) ?? name})`;
    case "other": {
      const detail = redactSigned(oneLine(e instanceof Error ? e.message : String(e))).replace(/\.$/, "");
      const http = status === undefined ? "" : `HTTP ${status}`;
      const label = name ? `${name}${http ? ` (${http})` : ""}` : http;
      return `${label ? `${label}: ` : ""}${detail || "no details"}`;
    }
  }
}

/** `$metadata` fields that identify a request without carrying anything secret. */
const METADATA_KEPT = [
  "httpStatusCode",
  "requestId",
  "extendedRequestId",
  "cfId",
  "attempts",
  "totalRetryDelay",
] as const;

/**
 * An SDK error as a cause that can be logged: a new Error with the name, the message and stack
 * (signed URLs and credentials in them redacted), `$fault`, the socket error code, and
 * `$metadata`'s status, request ids and attempts. Nothing else survives: no `$response`, no
 * request, no headers, no fields of the error body.
 */
export function scrubAwsError(e: unknown): Error {
  if (!(e instanceof Error)) return new Error(redactSigned(String(e)));
  const safe = new Error(redactSigned(e.message));
  safe.name = e.name;
  if (e.stack !== undefined) safe.stack = redactSigned(e.stack);
  const { $fault, $metadata } = e as { $fault?: unknown; $metadata?: Record<string, unknown> };
  const metadata =
    $metadata && typeof $metadata === "object"
      ? Object.fromEntries(
          METADATA_KEPT.filter((k) => $metadata[k] !== undefined).map((k) => [k, $metadata[k]]),
        )
      : undefined;
  const errno = errnoCode(e);
  return Object.assign(safe, {
    ...($fault !== undefined && { $fault }),
    ...(metadata !== undefined && { $metadata: metadata }),
    ...(errno !== undefined && { code: errno }),
  });
}

/**
 * Text with what a signed request leaks taken out: presigned query strings, SigV4 Authorization
 * values, session tokens and access key ids.
 */
export function redactSigned(text: string): string {
  return (
    text
      // A presigned URL: its whole query string goes, as it holds the credential scope and signature
      // (up to trailing punctuation that ends the sentence around it).
      .replace(
        /(https?:\/\/[^\s?#"'<>]*)\?[^\s#"'<>]*X-Amz-[^\s#"'<>]*?(?=[.,;)]*(?:[\s#"'<>]|$))/gi,
        "$1?[redacted]",
      )
      .replace(/(X-Amz-(?:Signature|Credential|Security-Token))=[^&\s"'<>]+/gi, "$1=[redacted]")
      .replace(/AWS4-HMAC-SHA256\s+[^"'\n]*/g, "AWS4-HMAC-SHA256 [redacted]")
      .replace(/(authorization|x-amz-security-token)(["']?\s*[:=]\s*["']?)[^"'\n,}]+/gi, "$1$2[redacted]")
      .replace(/\b(?:AKIA|ASIA)[A-Z0-9]{16}\b/g, "[access key id]")
  );
}

function oneLine(s: string): string {
  return s.replace(/\s+/g, " ").trim();
}
