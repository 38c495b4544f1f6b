import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  AccessDeniedException,
  GetParameterCommand,
  ParameterNotFound,
  SSMClient,
} from "@aws-sdk/client-ssm";
import { mockClient } from "aws-sdk-client-mock";
import { allCustomMatcher } from "aws-sdk-client-mock-vitest";
import "aws-sdk-client-mock-vitest/extend";
import { type FakeOpenAq, startFakeOpenAq } from "@openaq-lakehouse/fake-openaq";
import { leakedSecrets, withSignedRequest } from "@openaq-lakehouse/test-support/aws-errors";
import { readTree } from "@openaq-lakehouse/test-support/lake";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { readApiKeyParameter } from "../src/cli/config.js";
import { cli, yesterdayOf } from "./cli-helpers.js";

expect.extend(allCustomMatcher);

/** The container reads its key from SSM (OPENAQ_API_KEY_PARAMETER) with the instance role. */
const ssm = mockClient(SSMClient);
const KEY = "ssm-held-key-19c0e4a7b35d4f0e9a2c6b8d1f3e5a70";
let server: FakeOpenAq;
let dir: string;

beforeAll(async () => {
  server = await startFakeOpenAq({ apiKeys: [KEY], rateLimit: { perWindow: 100_000, perHour: 1_000_000 } });
  dir = await mkdtemp(join(tmpdir(), "cli-ssm-"));
});
afterAll(async () => {
  await server.close();
  await rm(dir, { recursive: true, force: true });
});
beforeEach(() => ssm.reset());

describe("OPENAQ_API_KEY_PARAMETER", () => {
  it("reads the SecureString with decryption, uses it, and never prints or stores it", async () => {
    ssm
      .on(GetParameterCommand)
      .resolves({ Parameter: { Name: "/openaq/dev/api-key", Type: "SecureString", Value: KEY } });
    const lake = join(dir, "lake");
    const r = await cli(["extract", "--lake", lake, "--date", yesterdayOf(new Date()), "--json"], {
      OPENAQ_API_KEY_PARAMETER: "/openaq/dev/api-key",
      OPENAQ_BASE_URL: server.url,
      AWS_REGION: "ap-southeast-1",
      OPENAQ_REQUESTS_PER_MINUTE: "100000",
    });
    expect(r.code, r.stderr).toBe(0);
    expect(ssm).toHaveReceivedCommandWith(GetParameterCommand, {
      Name: "/openaq/dev/api-key",
      WithDecryption: true,
    });
    expect(ssm).toHaveReceivedCommandTimes(GetParameterCommand, 1);
    expect(`${r.stdout}${r.stderr}`).not.toContain(KEY);
    for (const [path, bytes] of await readTree(lake))
      expect(bytes.includes(Buffer.from(KEY)), path).toBe(false);
  });

  it("a missing parameter is one clear sentence", async () => {
    ssm.on(GetParameterCommand).rejects(new ParameterNotFound({ message: "not found", $metadata: {} }));
    const r = await cli(["extract", "--lake", "s3://openaq-lake-bucket", "--date", "2024-03-05"], {
      OPENAQ_API_KEY_PARAMETER: "/openaq/dev/api-key",
      AWS_REGION: "ap-southeast-1",
    });
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split("\n").at(-1)).toBe(
      "Cannot read the OpenAQ API key from SSM parameter /openaq/dev/api-key: it does not exist.",
    );
  });

  it("access denied is one sentence, and nothing of the signed request reaches the error", async () => {
    const DENIED =
      "User: arn:aws:sts::123456789012:assumed-role/pipeline/i-0 is not authorized to perform: ssm:GetParameter";
    ssm
      .on(GetParameterCommand)
      .rejects(
        withSignedRequest(
          new AccessDeniedException({ message: DENIED, Message: DENIED, $metadata: {} }),
          400,
        ),
      );
    const error = await readApiKeyParameter("/openaq/dev/api-key", "ap-southeast-1").catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: "API_KEY_PARAMETER_UNREADABLE",
      message:
        "Cannot read the OpenAQ API key from SSM parameter /openaq/dev/api-key: access denied (AccessDeniedException); check the credentials and the IAM policy.",
    });
    expect(leakedSecrets(error)).toEqual([]);
  });
});
