import {
  AthenaClient,
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  StartQueryExecutionCommand,
} from "@aws-sdk/client-athena";
import { GetTableCommand, GlueClient } from "@aws-sdk/client-glue";
import { S3Client } from "@aws-sdk/client-s3";
import { GetParameterCommand, SSMClient } from "@aws-sdk/client-ssm";
import { runCli } from "@openaq-lakehouse/extractor";
import { type FakeOpenAq, startFakeOpenAq } from "@openaq-lakehouse/fake-openaq";
import {
  addDays,
  athenaResultsPrefix,
  DATASETS,
  ENVIRONMENTS,
  type Environment,
  formatIsoDay,
  LAKE_CONTRACT,
} from "@openaq-lakehouse/pipeline-core";
import { S3RVER_CREDENTIALS, type S3rverHandle, startS3rver } from "@openaq-lakehouse/test-support/s3rver";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import {
  apiKeyParameterName,
  pipelinePolicy,
  pipelineRoleName,
  tlsOnlyBucketPolicy,
  workgroupName,
} from "../src/index.js";
import { iamRequestsOf, type RecordedCall } from "./support/aws-recorder.js";
import { assumedRole, evaluate, type IamRequest, type Principal, SCOPE } from "./support/iam-evaluator.js";

/**
 * The least-privilege proof from a real run: `openaq-pipeline run` (the CLI, in process) against the
 * S3 test server and the local OpenAQ server, with Glue, Athena and SSM played by SDK test doubles.
 * Every request it makes is recorded and evaluated, with an IAM policy evaluator, against the
 * rendered policies of its own environment's role (all allowed) and of the other's (all denied).
 * The list of requests is whatever the run does: a new call the policies do not grant fails here.
 */

let s3: S3rverHandle;
let api: FakeOpenAq;
const glue = mockClient(GlueClient);
const athena = mockClient(AthenaClient);
const ssm = mockClient(SSMClient);

beforeAll(async () => {
  [s3, api] = await Promise.all([
    startS3rver(),
    startFakeOpenAq({ rateLimit: { perWindow: 10_000, windowMs: 200, perHour: 1_000_000 } }),
  ]);
}, 60_000);
afterAll(async () => {
  await Promise.all([s3?.close(), api?.close()]);
  glue.restore();
  athena.restore();
  ssm.restore();
});
afterEach(() => {
  vi.unstubAllEnvs();
  vi.restoreAllMocks();
});

function glueTable(env: Environment, name: string) {
  return {
    Table: {
      Name: name,
      DatabaseName: `openaq_${env}`,
      Parameters: { "projection.enabled": "true", EXTERNAL: "TRUE" },
      PartitionKeys: ["year", "month", "day"].map((Name) => ({ Name, Type: "string" })),
      StorageDescriptor: { Location: `s3://${s3.bucket}/${env}/processed/${name}/`, Columns: [] },
    },
  };
}

/** Runs the whole day on AWS as the DAG's container would, and returns every AWS call it made. */
async function recordRun(
  env: Environment,
): Promise<{ calls: RecordedCall[]; statements: Map<string, string>; code: number; stderr: string }> {
  glue.reset();
  athena.reset();
  ssm.reset();
  const statements = new Map<string, string>();
  glue.on(GetTableCommand).callsFake((input: { Name: string }) => glueTable(env, input.Name));
  ssm.on(GetParameterCommand).resolves({ Parameter: { Value: api.apiKey } });
  athena.on(StartQueryExecutionCommand).callsFake((input: { QueryString: string }) => {
    const id = `q-${statements.size + 1}`;
    statements.set(id, input.QueryString);
    return { QueryExecutionId: id };
  });
  athena.on(GetQueryExecutionCommand).callsFake((input: { QueryExecutionId: string }) => ({
    QueryExecution: { QueryExecutionId: input.QueryExecutionId, Status: { State: "SUCCEEDED" } },
  }));
  const fresh = new Date(Date.now() - 3_600_000).toISOString().replace("T", " ").replace("Z", "");
  athena.on(GetQueryResultsCommand).resolves({
    ResultSet: {
      ResultSetMetadata: {
        ColumnInfo: [
          { Name: "row_count", Label: "row_count", Type: "bigint" },
          { Name: "latest", Label: "latest", Type: "varchar" },
        ],
      },
      Rows: [
        { Data: [{ VarCharValue: "row_count" }, { VarCharValue: "latest" }] },
        { Data: [{ VarCharValue: "5" }, { VarCharValue: fresh }] },
      ],
    },
  });

  // The S3 client is the real one; the spy records each command on its way to the test server.
  const send = vi.spyOn(S3Client.prototype, "send");
  vi.stubEnv("AWS_ENDPOINT_URL_S3", s3.endpoint);
  vi.stubEnv("AWS_ACCESS_KEY_ID", S3RVER_CREDENTIALS.accessKeyId);
  vi.stubEnv("AWS_SECRET_ACCESS_KEY", S3RVER_CREDENTIALS.secretAccessKey);
  vi.stubEnv("AWS_REGION", "us-east-1");

  const out: string[] = [];
  const err: string[] = [];
  const day = addDays(formatIsoDay(Date.now()), -1);
  const code = await runCli(
    ["run", "--env", env, "--date", day, "--lake", `s3://${s3.bucket}`, "--log-format", "json"],
    {
      env: {
        AWS_REGION: "us-east-1",
        ATHENA_WORKGROUP: workgroupName(env),
        OPENAQ_API_KEY_PARAMETER: apiKeyParameterName(env),
        OPENAQ_BASE_URL: api.url,
        OPENAQ_RETRY_BASE_MS: "2",
        OPENAQ_REQUESTS_PER_MINUTE: "100000",
      },
      stdout: { write: (t: string) => void out.push(t) },
      stderr: { write: (t: string) => void err.push(t) },
    } as Parameters<typeof runCli>[1],
  );

  const calls: RecordedCall[] = [
    ...send.mock.calls.map(([command]) => ({
      service: "s3" as const,
      command: command.constructor.name,
      input: command.input as Record<string, unknown>,
    })),
    ...glue.calls().map((c) => ({
      service: "glue" as const,
      command: c.args[0].constructor.name,
      input: c.args[0].input as Record<string, unknown>,
    })),
    ...athena.calls().map((c) => ({
      service: "athena" as const,
      command: c.args[0].constructor.name,
      input: c.args[0].input as Record<string, unknown>,
    })),
    ...ssm.calls().map((c) => ({
      service: "ssm" as const,
      command: c.args[0].constructor.name,
      input: c.args[0].input as Record<string, unknown>,
    })),
  ];
  return { calls, statements, code, stderr: err.join("") };
}

function role(env: Environment): Principal {
  return {
    arn: assumedRole(pipelineRoleName(env)),
    policies: [
      { name: "pipeline", policy: pipelinePolicy({ scope: SCOPE, env, bucket: s3.bucket, crawler: false }) },
    ],
  };
}

async function judge(principal: Principal, requests: IamRequest[]) {
  const bucketPolicy = tlsOnlyBucketPolicy(`arn:aws:s3:::${s3.bucket}`);
  const out: Array<{ request: string; decision: string }> = [];
  for (const r of requests) {
    const decision = await evaluate(principal, r, r.action.startsWith("s3:") ? bucketPolicy : undefined);
    out.push({
      request: `${r.action} ${r.resource}${r.context ? ` ${JSON.stringify(r.context)}` : ""}`,
      decision,
    });
  }
  return out;
}

describe.each(ENVIRONMENTS)("a recorded end-to-end run of %s", (env) => {
  const other = ENVIRONMENTS.find((e) => e !== env) as Environment;
  let requests: IamRequest[];
  let calls: RecordedCall[];

  beforeAll(async () => {
    const run = await recordRun(env);
    expect(run.stderr).not.toContain(api.apiKey);
    expect(run.code, run.stderr.slice(-2000)).toBe(0);
    calls = run.calls;
    requests = iamRequestsOf(run.calls, {
      env,
      bucket: s3.bucket,
      statements: run.statements,
      resultsKey: (id) => `${athenaResultsPrefix(env)}${id}.csv`,
    });
  }, 120_000);

  it("touched every data layer, its run record and each AWS service", () => {
    const keys = calls
      .filter((c) => c.service === "s3")
      .map((c) => String(c.input.Key ?? c.input.Prefix ?? ""));
    for (const area of ["raw", "processed", "state"] as const) {
      const prefix = LAKE_CONTRACT.find((a) => a.area === area)?.prefix(env) as string;
      expect(
        keys.some((k) => k.startsWith(prefix)),
        `${area} (${prefix})`,
      ).toBe(true);
    }
    expect(new Set(calls.map((c) => c.service))).toEqual(new Set(["s3", "glue", "athena", "ssm"]));
    expect(calls.filter((c) => c.service === "glue").map((c) => c.input.Name)).toEqual(
      expect.arrayContaining(Object.values(DATASETS).map((d) => d.name)),
    );
  });

  const isRawDelete = (r: IamRequest) =>
    r.action === "s3:DeleteObject" && r.resource.startsWith(`arn:aws:s3:::${s3.bucket}/${env}/raw/`);

  it("every recorded request is allowed for its own environment's role", async () => {
    const denied = (await judge(role(env), requests)).filter((r) => r.decision !== "Allowed");
    expect(denied).toEqual([]);
  });

  // Raw is write-once in the contract: the role may not delete it, and the pipeline never tries.
  it("the run never deletes raw (write-once raw)", () => {
    expect(requests.filter(isRawDelete).map((r) => r.resource)).toEqual([]);
  });

  it("every recorded request is denied for the other environment's role", async () => {
    // The Glue catalog ARN is one per account; Glue authorizes it together with database and table.
    const scoped = requests.filter((r) => !r.resource.endsWith(":catalog"));
    const allowed = (await judge(role(other), scoped)).filter((r) => r.decision === "Allowed");
    expect(allowed).toEqual([]);
  });
});
