import { inspect } from "node:util";
import {
  leakedSecrets,
  PRESIGNED_URL,
  SIGNED_REQUEST,
  withSignedRequest,
} from "@openaq-lakehouse/test-support/aws-errors";
import { describe, expect, it } from "vitest";
import { type AwsCall, awsError, awsFailureKind, redactSigned, scrubAwsError } from "../src/aws-errors.js";
import { PipelineError } from "../src/errors.js";

/** An SDK service error as the SDK names it, with the signed request it answered. */
const sdkError = (name: string, message: string, status: number) =>
  withSignedRequest(Object.assign(new Error(message), { name }), status);

/** An error of the socket under the SDK (no answer, so no `$metadata`). */
const socketError = (code: string) =>
  Object.assign(new Error(`connect ${code} 127.0.0.1:9`), { code, errno: -111, syscall: "connect" });

const call: AwsCall = {
  service: "S3",
  operation: "GetObject",
  target: "s3://lake/dev/raw/page.json",
  resource: 'bucket "lake"',
  codes: {
    other: "S3_ERROR",
    notFound: "S3_NO_SUCH_BUCKET",
    accessDenied: "S3_ACCESS_DENIED",
    unreachable: "S3_UNREACHABLE",
  },
};
const failed = "S3 GetObject on s3://lake/dev/raw/page.json failed";

describe("awsError: one sentence per kind of failure", () => {
  const cases: Array<[string, unknown, string, string]> = [
    [
      "no credentials",
      Object.assign(new Error("Could not load credentials from any providers"), {
        name: "CredentialsProviderError",
      }),
      "AWS_NO_CREDENTIALS",
      `${failed}: no AWS credentials were found (use an instance role, or set AWS_PROFILE or AWS_ACCESS_KEY_ID).`,
    ],
    [
      "no region",
      new Error("Region is missing"),
      "AWS_REGION_MISSING",
      `${failed}: no AWS region is set (set AWS_REGION).`,
    ],
    [
      "access denied",
      sdkError("SignatureDoesNotMatch", "The request signature we calculated does not match.", 403),
      "S3_ACCESS_DENIED",
      `${failed}: access denied (SignatureDoesNotMatch); check the credentials and the IAM policy for bucket "lake".`,
    ],
    [
      "a bare 403",
      Object.assign(new Error("UnknownError"), { $metadata: { httpStatusCode: 403 } }),
      "S3_ACCESS_DENIED",
      `${failed}: access denied (HTTP 403); check the credentials and the IAM policy for bucket "lake".`,
    ],
    [
      "not found",
      sdkError("NoSuchBucket", "The specified bucket does not exist", 404),
      "S3_NO_SUCH_BUCKET",
      `${failed}: bucket "lake" does not exist.`,
    ],
    [
      "throttled",
      sdkError("SlowDown", "Please reduce your request rate.", 503),
      "S3_ERROR",
      `${failed}: S3 kept throttling the requests (SlowDown) through every retry; try again later.`,
    ],
    [
      "unreachable",
      socketError("ECONNREFUSED"),
      "S3_UNREACHABLE",
      `${failed}: the S3 endpoint for bucket "lake" could not be reached (ECONNREFUSED).`,
    ],
    [
      "anything else, its presigned URL redacted",
      sdkError(
        "InternalError",
        `We encountered an internal error for ${PRESIGNED_URL}.\nPlease try again.`,
        500,
      ),
      "S3_ERROR",
      `${failed}: InternalError (HTTP 500): We encountered an internal error for https://lake.s3.eu-west-1.amazonaws.com/dev/raw/page.json?[redacted]. Please try again.`,
    ],
  ];

  it.each(cases)("%s", (_, error, code, message) => {
    const e = awsError(error, call);
    expect(e).toBeInstanceOf(PipelineError);
    expect(e).toMatchObject({ code, message });
    expect(leakedSecrets(e)).toEqual([]);
  });

  it("keeps the request's identity in the cause, and nothing of the request itself", () => {
    const e = awsError(sdkError("AccessDenied", "Access Denied", 403), call);
    expect(e.cause).toBeInstanceOf(Error);
    expect(e.cause).toEqual(
      Object.assign(new Error("Access Denied"), {
        name: "AccessDenied",
        $fault: "client",
        $metadata: {
          httpStatusCode: 403,
          requestId: "4442587FB7D0A2F9",
          extendedRequestId: "sQ3xFA9Yd8ZuG1bWyYgB6qc7mxTqhzR4EXAMPLE=",
          attempts: 3,
          totalRetryDelay: 412,
        },
      }),
    );
    expect(Object.keys(e.cause as object).sort()).toEqual(["$fault", "$metadata", "name"]);
    const shown = inspect(e, { depth: Number.POSITIVE_INFINITY });
    expect(shown).toContain("4442587FB7D0A2F9");
    for (const gone of ["$response", "authorization", "X-Amz-", "StringToSign", "SignatureProvided"])
      expect(shown).not.toContain(gone);
  });

  it("the error as the SDK gave it does leak: the fixture is not harmless", () => {
    const raw = sdkError("AccessDenied", "Access Denied", 403);
    expect(leakedSecrets(raw).sort()).toEqual(Object.values(SIGNED_REQUEST).sort());
    expect(leakedSecrets(new PipelineError("S3_ERROR", "x", { cause: raw })).length).toBe(3);
  });

  it("the socket error code survives in the cause", () => {
    expect(scrubAwsError(socketError("ENOTFOUND"))).toMatchObject({ code: "ENOTFOUND", name: "Error" });
  });

  it("codes: kinds a call does not name take `other`'s code; credentials and region have their own", () => {
    const athena: AwsCall = {
      service: "Athena",
      operation: "StartQueryExecution",
      codes: { other: "ATHENA_ERROR" },
    };
    expect(awsError(sdkError("AccessDeniedException", "no", 400), athena)).toMatchObject({
      code: "ATHENA_ERROR",
      message:
        "Athena StartQueryExecution failed: access denied (AccessDeniedException); check the credentials and the IAM policy.",
    });
    expect(awsError(new Error("Region is missing"), athena).code).toBe("AWS_REGION_MISSING");
    const creds = Object.assign(new Error("none"), { name: "CredentialsProviderError" });
    expect(awsError(creds, athena).code).toBe("AWS_NO_CREDENTIALS");
    expect(
      awsError(creds, { ...athena, codes: { other: "ATHENA_ERROR", noCredentials: "S3_NO_CREDENTIALS" } })
        .code,
    ).toBe("S3_NO_CREDENTIALS");
  });

  it("a call's own sentence for a kind replaces the usual one; its head replaces `<service> <operation> failed`", () => {
    const ssm: AwsCall = {
      service: "SSM",
      operation: "GetParameter",
      failed: "Cannot read the key from SSM parameter /k",
      codes: { other: "API_KEY_PARAMETER_UNREADABLE" },
      sentences: { notFound: "There is no /k: create it first." },
    };
    expect(awsError(sdkError("ParameterNotFound", "", 400), ssm).message).toBe(
      "There is no /k: create it first.",
    );
    expect(awsError(sdkError("InternalServerError", "", 500), ssm).message).toBe(
      "Cannot read the key from SSM parameter /k: InternalServerError (HTTP 500): no details.",
    );
  });

  it("a PipelineError thrown inside the call passes through unchanged", () => {
    const inner = new PipelineError("API_KEY_PARAMETER_EMPTY", "The SSM parameter /k holds no value.");
    expect(awsError(inner, call)).toBe(inner);
  });

  it("classifies by name across services, then by status", () => {
    const kinds = (
      [
        ["ExpiredTokenException", 400],
        ["UnrecognizedClientException", 400],
        ["EntityNotFoundException", 400],
        ["ResourceNotFoundException", 400],
        ["NotFound", 404],
        ["ThrottlingException", 400],
        ["TooManyRequestsException", 400],
        ["Whatever", 429],
        ["Whatever", 404],
        ["TimeoutError", undefined],
        ["InvalidRequestException", 400],
      ] as const
    ).map(([name, status]) =>
      awsFailureKind(Object.assign(new Error("x"), { name, $metadata: { httpStatusCode: status } })),
    );
    expect(kinds).toEqual([
      "accessDenied",
      "accessDenied",
      "notFound",
      "notFound",
      "notFound",
      "throttled",
      "throttled",
      "throttled",
      "notFound",
      "unreachable",
      "other",
    ]);
  });
});

describe("redactSigned", () => {
  it("takes out presigned queries, SigV4 Authorization values, session tokens and key ids", () => {
    const text = [
      `GET ${PRESIGNED_URL} HTTP/1.1`,
      `authorization: 'AWS4-HMAC-SHA256 Credential=${SIGNED_REQUEST.accessKeyId}/x, Signature=${SIGNED_REQUEST.signature}'`,
      `"x-amz-security-token": "${SIGNED_REQUEST.sessionToken}"`,
      `key ${SIGNED_REQUEST.accessKeyId} in a sentence`,
      `X-Amz-Signature=${SIGNED_REQUEST.signature}`,
    ].join("\n");
    const redacted = redactSigned(text);
    for (const secret of Object.values(SIGNED_REQUEST)) expect(redacted).not.toContain(secret);
    expect(redacted.split("\n")).toEqual([
      "GET https://lake.s3.eu-west-1.amazonaws.com/dev/raw/page.json?[redacted] HTTP/1.1",
      "authorization: '[redacted]'",
      '"x-amz-security-token": "[redacted]"',
      "key [access key id] in a sentence",
      "X-Amz-Signature=[redacted]",
    ]);
  });

  it("leaves ordinary text alone", () => {
    const text = "The specified bucket does not exist (s3://lake/dev/raw/page.json?versionId=3).";
    expect(redactSigned(text)).toBe(text);
  });
});
