import { ENVIRONMENTS, type Environment } from "@openaq-lakehouse/pipeline-core";
import { describe, expect, it } from "vitest";
import {
  airflowHostPolicy,
  apiKeyParameterName,
  owoxReadOnlyPolicy,
  pipelinePolicy,
  pipelineRoleName,
  ssmParameterArn,
  tlsOnlyBucketPolicy,
} from "../src/index.js";
import { contractForbiddenRequests, contractRequests, writeRequests } from "./support/contract-requests.js";
import {
  assumedRole,
  evaluate,
  type IamRequest,
  managedPolicy,
  type Principal,
  SCOPE,
} from "./support/iam-evaluator.js";

/**
 * Least privilege by evaluation: each principal's rendered policies are run through an IAM policy
 * evaluator (AWS's evaluation logic) against the requests the contract says the pipeline makes.
 * The end-to-end recorder test (`stacks/test/recorded-run.test.ts`) does the same with the requests of a real run.
 */

const BUCKET = "openaq-lake-abc1234";
const BUCKET_POLICY = tlsOnlyBucketPolicy(`arn:aws:s3:::${BUCKET}`);

function pipelineRole(env: Environment, crawler = true): Principal {
  return {
    arn: assumedRole(pipelineRoleName(env)),
    policies: [{ name: "pipeline", policy: pipelinePolicy({ scope: SCOPE, env, bucket: BUCKET, crawler }) }],
  };
}

const HOST_POLICY = airflowHostPolicy({
  scope: SCOPE,
  bucket: BUCKET,
  repositoryArn: `arn:aws:ecr:${SCOPE.region}:${SCOPE.accountId}:repository/openaq-extractor`,
  alertsTopicArn: `arn:aws:sns:${SCOPE.region}:${SCOPE.accountId}:openaq-alerts`,
  pipelineRoleNames: ENVIRONMENTS.map(pipelineRoleName),
  readableParameterNames: ["/openaq-lakehouse/platform/airflow-admin-password"],
});
const HOST: Principal = {
  arn: assumedRole("airflow-host-role"),
  policies: [{ name: "host", policy: HOST_POLICY }],
};

function owox(env: Environment): Principal {
  return {
    arn: `arn:aws:iam::${SCOPE.accountId}:user/integrations/owox-integrator-${env}`,
    policies: [
      {
        name: "owox",
        policy: owoxReadOnlyPolicy({
          scope: SCOPE,
          env,
          dataBucket: BUCKET,
          resultsBucket: `owox-results-${env}-1`,
        }),
      },
    ],
  };
}

async function decisions(principal: Principal, requests: IamRequest[]) {
  return Promise.all(
    requests.map(async (r) => ({
      request: `${r.action} ${r.resource}${r.context ? ` ${JSON.stringify(r.context)}` : ""}`,
      decision: await evaluate(principal, r, r.action.startsWith("s3:") ? BUCKET_POLICY : undefined),
    })),
  );
}

function notAllowed(results: Awaited<ReturnType<typeof decisions>>) {
  return results.filter((r) => r.decision !== "Allowed").map((r) => r.request);
}
function allowed(results: Awaited<ReturnType<typeof decisions>>) {
  return results.filter((r) => r.decision === "Allowed").map((r) => r.request);
}

describe.each(ENVIRONMENTS)("pipeline role of %s", (env) => {
  const other = ENVIRONMENTS.find((e) => e !== env) as Environment;

  it("is allowed every request of the contract for its own environment", async () => {
    const requests = contractRequests(SCOPE, env, BUCKET);
    expect(requests.length).toBeGreaterThan(40);
    expect(notAllowed(await decisions(pipelineRole(env), requests))).toEqual([]);
  });

  it("is denied every request of the contract for the other environment", async () => {
    // The Glue catalog ARN is one per account: Glue authorizes a table call on catalog, database and
    // table together, so the other env's database and tables are what keep it out.
    const theirs = contractRequests(SCOPE, other, BUCKET).filter((r) => !r.resource.endsWith(":catalog"));
    expect(allowed(await decisions(pipelineRole(env), theirs))).toEqual([]);
  });

  it("is denied what the contract does not grant (deleting or aborting uploads in raw, deleting state)", async () => {
    const forbidden = contractForbiddenRequests(env, BUCKET);
    expect(forbidden.map((r) => r.action + r.resource)).toContain(
      `s3:DeleteObjectarn:aws:s3:::${BUCKET}/${env}/raw/measurements/year=2024/month=03/day=05/part-00000.parquet`,
    );
    expect(allowed(await decisions(pipelineRole(env), forbidden))).toEqual([]);
  });

  it("is denied listing the whole bucket, the other env, or outside its areas", async () => {
    const lists = [undefined, "", `${other}/`, `${other}/raw/`, "platform/airflow/", `${env}/`].map(
      (prefix) => ({
        action: "s3:ListBucket",
        resource: `arn:aws:s3:::${BUCKET}`,
        ...(prefix !== undefined && { context: { "s3:prefix": prefix } }),
      }),
    );
    expect(allowed(await decisions(pipelineRole(env), lists))).toEqual([]);
  });

  it("without a crawler, cannot start one", async () => {
    const start = {
      action: "glue:StartCrawler",
      resource: `arn:aws:glue:${SCOPE.region}:${SCOPE.accountId}:crawler/openaq-${env}-processed`,
    };
    expect(await evaluate(pipelineRole(env, false), start)).toBe("ImplicitlyDenied");
    expect(await evaluate(pipelineRole(env, true), start)).toBe("Allowed");
  });

  it("is denied every request over plain HTTP by the bucket policy", async () => {
    const r = contractRequests(SCOPE, env, BUCKET)[0] as IamRequest;
    expect(
      await evaluate(pipelineRole(env), { ...r, context: { "aws:SecureTransport": "false" } }, BUCKET_POLICY),
    ).toBe("ExplicitlyDenied");
  });
});

describe("the Airflow host role", () => {
  const keys = ENVIRONMENTS.map((env) => ssmParameterArn(SCOPE, apiKeyParameterName(env)));

  it("is denied every data request of both environments", async () => {
    for (const env of ENVIRONMENTS) {
      expect(allowed(await decisions(HOST, contractRequests(SCOPE, env, BUCKET)))).toEqual([]);
    }
  });

  it("cannot read either API key, not even with AmazonSSMManagedInstanceCore attached", async () => {
    const core = managedPolicy("arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore");
    const withCore: Principal = {
      ...HOST,
      policies: [...HOST.policies, { name: "core", policy: core.document }],
    };
    const bareCore: Principal = { arn: HOST.arn, policies: [{ name: "core", policy: core.document }] };
    for (const resource of keys) {
      for (const action of ["ssm:GetParameter", "ssm:GetParameters"]) {
        expect(await evaluate(HOST, { action, resource })).not.toBe("Allowed");
        expect(await evaluate(withCore, { action, resource })).toBe("ExplicitlyDenied");
        // What the managed policy alone would do (why it is no longer attached).
        expect(await evaluate(bareCore, { action, resource })).toBe("Allowed");
      }
    }
  });

  it("keeps what it needs: Session Manager, its bundle, its admin password, assuming the pipeline roles", async () => {
    const needs: IamRequest[] = [
      { action: "ssmmessages:OpenDataChannel", resource: "*" },
      {
        action: "ssm:UpdateInstanceInformation",
        resource: `arn:aws:ec2:${SCOPE.region}:${SCOPE.accountId}:instance/i-0123456789abcdef0`,
      },
      { action: "s3:GetObject", resource: `arn:aws:s3:::${BUCKET}/platform/airflow/docker-compose.yaml` },
      {
        action: "ssm:GetParameter",
        resource: ssmParameterArn(SCOPE, "/openaq-lakehouse/platform/airflow-admin-password"),
      },
      ...ENVIRONMENTS.map((env) => ({
        action: "sts:AssumeRole",
        resource: `arn:aws:iam::${SCOPE.accountId}:role/${pipelineRoleName(env)}`,
      })),
    ];
    expect(notAllowed(await decisions(HOST, needs))).toEqual([]);
  });
});

describe.each(ENVIRONMENTS)("the OWOX user of %s", (env) => {
  it("is denied every write to the lake and the catalog of both environments", async () => {
    for (const e of ENVIRONMENTS) {
      expect(allowed(await decisions(owox(env), writeRequests(SCOPE, e, BUCKET)))).toEqual([]);
    }
  });

  it("reads its own processed data and cannot read raw, state or the other environment", async () => {
    const other = ENVIRONMENTS.find((e) => e !== env) as Environment;
    const key = (p: string) => ({
      action: "s3:GetObject",
      resource: `arn:aws:s3:::${BUCKET}/${p}measurements/x.parquet`,
    });
    expect(await evaluate(owox(env), key(`${env}/processed/`), BUCKET_POLICY)).toBe("Allowed");
    for (const p of [`${env}/raw/`, `${env}/_state/`, `${other}/processed/`]) {
      expect(await evaluate(owox(env), key(p), BUCKET_POLICY)).not.toBe("Allowed");
    }
  });
});
