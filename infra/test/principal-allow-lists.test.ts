import { ENVIRONMENTS, type Environment } from "@openaq-lakehouse/pipeline-core";
import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import {
  airflowHostPolicy,
  checkResources,
  checkSecretOutputs,
  isPrivateCidr,
  owoxReadOnlyPolicy,
  owoxUserName,
  pipelinePolicy,
  pipelineRoleName,
  type RecordedResource,
  roleTrustPolicy,
  serviceTrustPolicy,
  tlsOnlyBucketPolicy,
} from "../src/index.js";

/**
 * The allow-list rules over a whole resource graph: the graph the components render passes, and each
 * bypass found in review (every one of which the earlier blocklist rules let through) fails.
 */

const scope = { partition: "aws", region: "ap-southeast-1", accountId: "123456789012" };
const BUCKET = "openaq-lake-abc1234";
const HOST_ROLE = "airflow-host-role-1a2b3c4";
const HOST_ROLE_ARN = `arn:aws:iam::${scope.accountId}:role/${HOST_ROLE}`;

function role(name: string, trust: string): RecordedResource {
  return {
    type: "aws:iam/role:Role",
    name: `${name}-r`,
    id: name,
    inputs: { name, assumeRolePolicy: trust },
  };
}
function rolePolicy(roleName: string, doc: unknown, name = `${roleName}-p`): RecordedResource {
  return {
    type: "aws:iam/rolePolicy:RolePolicy",
    name,
    inputs: { role: roleName, policy: JSON.stringify(doc) },
  };
}

/** A bucket the stack owns, with the protections the bucket rule requires. */
function ownBucket(bucket: string): RecordedResource[] {
  return [
    { type: "aws:s3/bucket:Bucket", name: bucket, id: bucket, inputs: {} },
    {
      type: "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
      name: `${bucket}-pab`,
      inputs: {
        bucket,
        blockPublicAcls: true,
        blockPublicPolicy: true,
        ignorePublicAcls: true,
        restrictPublicBuckets: true,
      },
    },
    {
      type: "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
      name: `${bucket}-sse`,
      inputs: { bucket, rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }] },
    },
    {
      type: "aws:s3/bucketPolicy:BucketPolicy",
      name: `${bucket}-policy`,
      inputs: { bucket, policy: JSON.stringify(tlsOnlyBucketPolicy(`arn:aws:s3:::${bucket}`)) },
    },
  ];
}

function environmentGraph(env: Environment): RecordedResource[] {
  const user = owoxUserName(env);
  return [
    ...ownBucket(`owox-results-${env}`),
    role(pipelineRoleName(env), roleTrustPolicy(HOST_ROLE_ARN)),
    rolePolicy(pipelineRoleName(env), pipelinePolicy({ scope, env, bucket: BUCKET, crawler: true })),
    { type: "aws:iam/user:User", name: "owox-u", id: user, inputs: { name: user, path: "/integrations/" } },
    {
      type: "aws:iam/userPolicy:UserPolicy",
      name: "owox-p",
      inputs: {
        user,
        policy: JSON.stringify(
          owoxReadOnlyPolicy({ scope, env, dataBucket: BUCKET, resultsBucket: `owox-results-${env}` }),
        ),
      },
    },
  ];
}

function platformGraph(): RecordedResource[] {
  return [
    {
      type: "aws:iam/role:Role",
      name: "host-r",
      id: HOST_ROLE,
      inputs: { assumeRolePolicy: serviceTrustPolicy("ec2.amazonaws.com") },
    },
    rolePolicy(
      HOST_ROLE,
      airflowHostPolicy({
        scope,
        bucket: BUCKET,
        repositoryArn: `arn:aws:ecr:${scope.region}:${scope.accountId}:repository/openaq-extractor`,
        alertsTopicArn: `arn:aws:sns:${scope.region}:${scope.accountId}:alerts`,
        pipelineRoleNames: ENVIRONMENTS.map(pipelineRoleName),
        readableParameterNames: ["/openaq-lakehouse/platform/airflow-admin-password"],
      }),
    ),
    {
      type: "aws:ec2/instance:Instance",
      name: "host",
      inputs: { metadataOptions: { httpTokens: "required", httpPutResponseHopLimit: 1 } },
    },
    { type: "aws:ec2/securityGroup:SecurityGroup", name: "sg", inputs: { ingress: [], egress: [] } },
  ];
}

function allow(Action: string[], Resource: string[], Condition?: unknown) {
  return {
    Version: "2012-10-17",
    Statement: [{ Sid: "Bypass", Effect: "Allow", Action, Resource, ...(Condition ? { Condition } : {}) }],
  };
}
const arn = (service: string, tail: string) =>
  `arn:aws:${service}:${scope.region}:${scope.accountId}:${tail}`;

function rulesHit(resources: RecordedResource[], env?: Environment): string[] {
  return [...new Set(checkResources(resources, env ? { env } : {}).map((v) => v.rule))];
}

describe("the rendered graphs pass", () => {
  it.each(ENVIRONMENTS)("environment %s", (env) => {
    expect(checkResources(environmentGraph(env), { env })).toEqual([]);
  });
  it("platform", () => {
    expect(checkResources(platformGraph())).toEqual([]);
  });
});

describe("each bypass fails the allow-lists", () => {
  const dev = pipelineRoleName("dev");
  const cases: Array<[string, RecordedResource[]]> = [
    [
      "glue:DeleteTable on table/*/*",
      [rolePolicy(dev, allow(["glue:DeleteTable"], [arn("glue", "table/*/*")]), "x")],
    ],
    [
      "ssm:GetParameter on parameter*",
      [rolePolicy(dev, allow(["ssm:GetParameter"], [arn("ssm", "parameter*")]), "x")],
    ],
    ["s3:Delete*", [rolePolicy(dev, allow(["s3:Delete*"], [`arn:aws:s3:::${BUCKET}/dev/raw/*`]), "x")]],
    [
      "iam:*Policy*",
      [rolePolicy(dev, allow(["iam:*Policy*"], [`arn:aws:iam::${scope.accountId}:role/${dev}`]), "x")],
    ],
    [
      "an AdministratorAccess attachment",
      [
        {
          type: "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
          name: "x",
          inputs: { role: dev, policyArn: "arn:aws:iam::aws:policy/AdministratorAccess" },
        },
      ],
    ],
    [
      "s3:PutObject on prod/processed/locations/* from dev",
      [rolePolicy(dev, allow(["s3:PutObject"], [`arn:aws:s3:::${BUCKET}/prod/processed/locations/*`]), "x")],
    ],
    [
      "glue:UpdateTable on a prod view from dev",
      [rolePolicy(dev, allow(["glue:UpdateTable"], [arn("glue", "table/openaq_prod/view_latest_aqi")]), "x")],
    ],
    [
      "s3:DeleteObject on dev's own raw (write-once)",
      [rolePolicy(dev, allow(["s3:DeleteObject"], [`arn:aws:s3:::${BUCKET}/dev/raw/*`]), "x")],
    ],
    [
      "ListBucket with StringNotLike",
      [
        rolePolicy(
          dev,
          allow(["s3:ListBucket"], [`arn:aws:s3:::${BUCKET}`], {
            StringNotLike: { "s3:prefix": ["prod/*"] },
          }),
          "x",
        ),
      ],
    ],
    [
      "OWOX granted s3:PutLifecycleConfiguration",
      [
        {
          type: "aws:iam/userPolicy:UserPolicy",
          name: "x",
          inputs: {
            user: owoxUserName("dev"),
            policy: JSON.stringify(allow(["s3:PutLifecycleConfiguration"], [`arn:aws:s3:::${BUCKET}`])),
          },
        },
      ],
    ],
    ["a role no allow-list covers", [role("openaq-helper", serviceTrustPolicy("lambda.amazonaws.com"))]],
  ];

  it.each(cases)("%s", (_what, extra) => {
    expect(rulesHit([...environmentGraph("dev"), ...extra], "dev")).toContain("principal-allow-lists");
  });

  it("a prod role trusting the account root", () => {
    const graph = environmentGraph("prod").map((r) =>
      r.type === "aws:iam/role:Role"
        ? {
            ...r,
            inputs: {
              ...r.inputs,
              assumeRolePolicy: roleTrustPolicy(`arn:aws:iam::${scope.accountId}:root`),
            },
          }
        : r,
    );
    expect(checkResources(graph, { env: "prod" }).map((v) => v.message)).toContain(
      `Trust statement 0 lets AWS arn:aws:iam::${scope.accountId}:root assume role ${pipelineRoleName("prod")}.`,
    );
  });

  it("ingress split into 0.0.0.0/1 + 128.0.0.0/1", () => {
    const graph = platformGraph().map((r) =>
      r.type === "aws:ec2/securityGroup:SecurityGroup"
        ? {
            ...r,
            inputs: {
              ingress: [
                { protocol: "tcp", fromPort: 8080, toPort: 8080, cidrBlocks: ["0.0.0.0/1", "128.0.0.0/1"] },
              ],
            },
          }
        : r,
    );
    expect(checkResources(graph).filter((v) => v.rule === "no-world-open-ingress")).toHaveLength(2);
    expect(isPrivateCidr("10.1.0.0/16")).toBe(true);
    expect(isPrivateCidr("172.32.0.0/16")).toBe(false);
    expect(isPrivateCidr("10.0.0.0/7")).toBe(false);
  });

  it("IMDS hop limit 64", () => {
    const graph = platformGraph().map((r) =>
      r.type === "aws:ec2/instance:Instance"
        ? { ...r, inputs: { metadataOptions: { httpTokens: "required", httpPutResponseHopLimit: 64 } } }
        : r,
    );
    expect(rulesHit(graph)).toEqual(["ec2-imdsv2-required"]);
  });

  it("the host role with AmazonSSMManagedInstanceCore attached", () => {
    const graph = [
      ...platformGraph(),
      {
        type: "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
        name: "core",
        inputs: { role: HOST_ROLE, policyArn: "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore" },
      },
    ];
    expect(checkResources(graph).map((v) => v.message)).toContain(
      "Managed policy arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore is attached to the Airflow host role.",
    );
  });

  it("a secret output named pwd", async () => {
    const v = await checkSecretOutputs({
      airflow: pulumi.output({ pwd: "hunter2" }),
      credentials: pulumi.output({ id: "x" }),
    });
    expect(v.map((x) => x.message)).toEqual(["Output airflow.pwd looks secret but is not marked secret."]);
  });
});
