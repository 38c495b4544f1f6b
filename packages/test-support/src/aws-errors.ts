import { inspect } from "node:util";

/**
 * What an AWS SDK error can carry about the signed request that failed, for tests that check none of
 * it reaches an error a person or a log sees. The values are made up (the key id is the AWS
 * documentation's example); each is distinctive, so finding one anywhere is a leak.
 */
export const SIGNED_REQUEST = {
  accessKeyId: "AKIAIOSFODNN7EXAMPLE",
  sessionToken: "IQoJb3JpZ2luX2VjEXAMPLESESSIONTOKENf0r7e575",
  signature: "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7",
} as const;

const { accessKeyId, sessionToken, signature } = SIGNED_REQUEST;
const scope = `${accessKeyId}/20240305/eu-west-1/s3/aws4_request`;

/** A presigned GetObject URL for the values above. */
export const PRESIGNED_URL =
  "https://lake.s3.eu-west-1.amazonaws.com/dev/raw/page.json?X-Amz-Algorithm=AWS4-HMAC-SHA256" +
  `&X-Amz-Credential=${encodeURIComponent(scope)}&X-Amz-Date=20240305T031500Z&X-Amz-Expires=900` +
  `&X-Amz-Security-Token=${sessionToken}&X-Amz-Signature=${signature}&X-Amz-SignedHeaders=host`;

/**
 * `error` as the SDK hands it over after a signed request failed: `$metadata`, `$fault`, the raw
 * `$response` (here with the request it answered: SigV4 Authorization header, session token,
 * presigned URL) and, as S3 deserializes them from a SignatureDoesNotMatch body, the key id, the
 * string to sign and the signature on the error itself.
 */
export function withSignedRequest<E extends Error>(error: E, httpStatusCode = 403): E {
  return Object.assign(error, {
    $fault: httpStatusCode >= 500 ? "server" : "client",
    $metadata: {
      httpStatusCode,
      requestId: "4442587FB7D0A2F9",
      extendedRequestId: "sQ3xFA9Yd8ZuG1bWyYgB6qc7mxTqhzR4EXAMPLE=",
      attempts: 3,
      totalRetryDelay: 412,
    },
    $response: {
      statusCode: httpStatusCode,
      headers: { "x-amz-request-id": "4442587FB7D0A2F9", location: PRESIGNED_URL },
      body: `<Error><Code>${error.name}</Code><AWSAccessKeyId>${accessKeyId}</AWSAccessKeyId></Error>`,
      request: {
        method: "GET",
        hostname: "lake.s3.eu-west-1.amazonaws.com",
        path: "/dev/raw/page.json",
        headers: {
          authorization: `AWS4-HMAC-SHA256 Credential=${scope}, SignedHeaders=host;x-amz-date, Signature=${signature}`,
          "x-amz-security-token": sessionToken,
          "x-amz-date": "20240305T031500Z",
        },
        url: PRESIGNED_URL,
      },
    },
    AWSAccessKeyId: accessKeyId,
    SignatureProvided: signature,
    StringToSign: `AWS4-HMAC-SHA256\n20240305T031500Z\n${scope}\n${signature}`,
  });
}

/**
 * The values of `SIGNED_REQUEST` found in `value` as it would be logged: JSON (of the value and of
 * its cause, which JSON.stringify leaves out), `util.inspect` to any depth (causes included), the
 * message and the stack. Empty when nothing leaked.
 */
export function leakedSecrets(value: unknown): string[] {
  const cause = value instanceof Error ? value.cause : undefined;
  const texts = [
    JSON.stringify(value) ?? "",
    JSON.stringify(cause) ?? "",
    inspect(value, { depth: Number.POSITIVE_INFINITY, showHidden: true }),
    value instanceof Error ? `${value.message}\n${value.stack ?? ""}` : String(value),
  ].join("\n");
  return Object.values(SIGNED_REQUEST).filter((secret) => texts.includes(secret));
}
