import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import {
  airflowHostPolicy,
  bucketProtection,
  checkResources,
  checkSecretOutputs,
  crawlerPolicy,
  environmentIsolation,
  iamLeastPrivilege,
  imdsV2Required,
  noWorldOpenSecurityGroup,
  owoxReadOnly,
  owoxReadOnlyPolicy,
  pipelinePolicy,
  type RecordedResource,
  tlsOnlyBucketPolicy,
} from "../src/index.js";

/**
 * Each rule is shown to pass on what the project writes and to fail on a deliberately bad resource.
 * (The stacks' tests run every rule over every resource the real programs register.)
 */

const scope = { partition: "aws", region: "ap-southeast-1", accountId: "123456789012" };
const BUCKET = "openaq-lake-abc1234";

function bucketWith(parts: {
  pab?: Record<string, boolean>;
  sse?: boolean;
  policy?: unknown;
}): RecordedResource[] {
  const resources: RecordedResource[] = [{ type: "aws:s3/bucket:Bucket", name: "b", inputs: {}, id: BUCKET }];
  if (parts.pab)
    resources.push({
      type: "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
      name: "b-pab",
      inputs: { bucket: BUCKET, ...parts.pab },
    });
  if (parts.sse) {
    resources.push({
      type: "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
      name: "b-sse",
      inputs: { bucket: BUCKET, rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }] },
    });
  }
  if (parts.policy)
    resources.push({
      type: "aws:s3/bucketPolicy:BucketPolicy",
      name: "b-policy",
      inputs: { bucket: BUCKET, policy: JSON.stringify(parts.policy) },
    });
  return resources;
}

const ALL_BLOCKS = {
  blockPublicAcls: true,
  blockPublicPolicy: true,
  ignorePublicAcls: true,
  restrictPublicBuckets: true,
};
const TLS = tlsOnlyBucketPolicy(`arn:aws:s3:::${BUCKET}`);

function rolePolicy(
  doc: unknown,
  type = "aws:iam/rolePolicy:RolePolicy",
  extra: Record<string, unknown> = {},
): RecordedResource {
  return { type, name: "p", inputs: { policy: JSON.stringify(doc), ...extra } };
}

function allow(Action: string | string[], Resource: string | string[], Condition?: unknown) {
  return {
    Version: "2012-10-17",
    Statement: [{ Sid: "S", Effect: "Allow", Action, Resource, ...(Condition ? { Condition } : {}) }],
  };
}

describe("rule: bucket protection", () => {
  it("passes a bucket with all four blocks, encryption and the TLS-only policy", () => {
    expect(bucketProtection.check(bucketWith({ pab: ALL_BLOCKS, sse: true, policy: TLS }))).toEqual([]);
  });

  it("fails a bucket missing one public-access block", () => {
    const v = bucketProtection.check(
      bucketWith({ pab: { ...ALL_BLOCKS, restrictPublicBuckets: false }, sse: true, policy: TLS }),
    );
    expect(v.map((x) => x.message)).toEqual([
      "Bucket has no public-access block with all four settings true.",
    ]);
  });

  it("fails a bucket without default encryption", () => {
    expect(
      bucketProtection.check(bucketWith({ pab: ALL_BLOCKS, policy: TLS })).map((x) => x.message),
    ).toEqual(["Bucket has no default encryption."]);
  });

  it("fails a bucket without a TLS-only policy, or with one that allows instead of denies", () => {
    expect(bucketProtection.check(bucketWith({ pab: ALL_BLOCKS, sse: true })).map((x) => x.message)).toEqual([
      "Bucket has no policy denying aws:SecureTransport=false.",
    ]);
    const allowing = { ...TLS, Statement: TLS.Statement.map((s) => ({ ...s, Effect: "Allow" })) };
    expect(bucketProtection.check(bucketWith({ pab: ALL_BLOCKS, sse: true, policy: allowing }))).toHaveLength(
      1,
    );
  });

  it("does not count another bucket's protections", () => {
    const other = bucketWith({ pab: ALL_BLOCKS, sse: true, policy: TLS }).map((r) =>
      r.type === "aws:s3/bucket:Bucket" ? r : { ...r, inputs: { ...r.inputs, bucket: "other" } },
    );
    expect(bucketProtection.check(other)).toHaveLength(3);
  });
});

describe("rule: IAM least privilege", () => {
  it("passes the project's own policies", () => {
    for (const doc of [
      pipelinePolicy({ scope, env: "dev", bucket: BUCKET, crawler: true }),
      owoxReadOnlyPolicy({ scope, env: "prod", dataBucket: BUCKET, resultsBucket: "owox-results" }),
      crawlerPolicy({ scope, env: "dev", bucket: BUCKET }),
      airflowHostPolicy({
        scope,
        bucket: BUCKET,
        repositoryArn: "arn:aws:ecr:ap-southeast-1:123456789012:repository/x",
        alertsTopicArn: "arn:aws:sns:ap-southeast-1:123456789012:t",
        pipelineRoleNames: ["openaq-pipeline-dev"],
        readableParameterNames: ["/a/b"],
      }),
    ]) {
      expect(iamLeastPrivilege.check(rolePolicy(doc))).toEqual([]);
    }
  });

  it('fails "Action": "*" and service wildcards', () => {
    expect(iamLeastPrivilege.check(rolePolicy(allow("*", `arn:aws:s3:::${BUCKET}/dev/*`)))).toEqual([
      "Statement S allows a wildcard action.",
    ]);
    expect(iamLeastPrivilege.check(rolePolicy(allow(["s3:*"], `arn:aws:s3:::${BUCKET}/dev/*`)))).toHaveLength(
      1,
    );
  });

  it('fails "Resource": "*" and whole-bucket/whole-catalog wildcards where narrower ARNs exist', () => {
    expect(iamLeastPrivilege.check(rolePolicy(allow("s3:GetObject", "*")))).toEqual([
      "Statement S grants s3:GetObject on wildcard resource *.",
    ]);
    expect(
      iamLeastPrivilege.check(rolePolicy(allow("s3:GetObject", `arn:aws:s3:::${BUCKET}/*`))),
    ).toHaveLength(1);
    expect(
      iamLeastPrivilege.check(
        rolePolicy(allow("glue:GetTable", "arn:aws:glue:ap-southeast-1:123456789012:table/*")),
      ),
    ).toHaveLength(1);
    expect(
      iamLeastPrivilege.check(
        rolePolicy(
          allow("athena:StartQueryExecution", "arn:aws:athena:ap-southeast-1:123456789012:workgroup/*"),
        ),
      ),
    ).toHaveLength(1);
  });

  it('allows "*" only for actions without resource-level permissions', () => {
    expect(iamLeastPrivilege.check(rolePolicy(allow("ecr:GetAuthorizationToken", "*")))).toEqual([]);
  });

  it("checks user policies, managed policies and role inline policies too", () => {
    expect(
      iamLeastPrivilege.check(rolePolicy(allow("*", "*"), "aws:iam/userPolicy:UserPolicy")),
    ).toHaveLength(2);
    expect(iamLeastPrivilege.check(rolePolicy(allow("*", "*"), "aws:iam/policy:Policy"))).toHaveLength(2);
    const inline: RecordedResource = {
      type: "aws:iam/role:Role",
      name: "r",
      inputs: { inlinePolicies: [{ name: "x", policy: JSON.stringify(allow("*", "*")) }] },
    };
    expect(iamLeastPrivilege.check(inline)).toHaveLength(2);
  });

  it("fails NotAction in an Allow", () => {
    const doc = {
      Version: "2012-10-17",
      Statement: [
        { Sid: "N", Effect: "Allow", NotAction: "iam:*", Resource: `arn:aws:s3:::${BUCKET}/dev/*` },
      ],
    };
    expect(iamLeastPrivilege.check(rolePolicy(doc))).toEqual([
      "Statement N uses NotAction/NotResource in an Allow.",
    ]);
  });
});

describe("rule: IMDSv2", () => {
  const instance = (metadataOptions?: unknown): RecordedResource => ({
    type: "aws:ec2/instance:Instance",
    name: "i",
    inputs: metadataOptions ? { metadataOptions } : {},
  });
  it("passes an instance requiring tokens", () => {
    expect(imdsV2Required.check(instance({ httpTokens: "required", httpPutResponseHopLimit: 1 }))).toEqual(
      [],
    );
  });
  it("fails an instance with optional tokens or no metadata options", () => {
    expect(
      imdsV2Required.check(instance({ httpTokens: "optional", httpPutResponseHopLimit: 1 })),
    ).toHaveLength(1);
    expect(imdsV2Required.check(instance())).toHaveLength(2);
    expect(
      imdsV2Required.check({ type: "aws:ec2/launchTemplate:LaunchTemplate", name: "lt", inputs: {} }),
    ).toHaveLength(2);
  });
  it("fails a hop limit above 1 (containers behind Docker NAT would reach the role's credentials)", () => {
    for (const hops of [2, 64]) {
      expect(
        imdsV2Required.check(instance({ httpTokens: "required", httpPutResponseHopLimit: hops })),
      ).toEqual([
        `metadataOptions.httpPutResponseHopLimit is ${hops}, expected 1 (no container reaches IMDS).`,
      ]);
    }
  });
});

describe("rule: no security group open to the world", () => {
  const sg = (ingress: unknown[]): RecordedResource => ({
    type: "aws:ec2/securityGroup:SecurityGroup",
    name: "sg",
    inputs: { ingress, egress: [{ cidrBlocks: ["0.0.0.0/0"], fromPort: 443, toPort: 443, protocol: "tcp" }] },
  });
  it("passes a group with no inbound rule (outbound HTTPS is fine)", () => {
    expect(noWorldOpenSecurityGroup.check(sg([]))).toEqual([]);
    expect(
      noWorldOpenSecurityGroup.check(
        sg([{ protocol: "tcp", fromPort: 8080, toPort: 8080, cidrBlocks: ["10.0.0.0/16"] }]),
      ),
    ).toEqual([]);
  });
  it("fails inbound from 0.0.0.0/0 or ::/0 on any port, inline or as separate rules", () => {
    expect(
      noWorldOpenSecurityGroup.check(
        sg([{ protocol: "tcp", fromPort: 22, toPort: 22, cidrBlocks: ["0.0.0.0/0"] }]),
      ),
    ).toEqual(["Ingress tcp 22-22 is open to 0.0.0.0/0, a public range."]);
    expect(
      noWorldOpenSecurityGroup.check(
        sg([{ protocol: "tcp", fromPort: 8080, toPort: 8080, ipv6CidrBlocks: ["::/0"] }]),
      ),
    ).toHaveLength(1);
    expect(
      noWorldOpenSecurityGroup.check({
        type: "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
        name: "r",
        inputs: { cidrIpv4: "0.0.0.0/0", fromPort: 8080 },
      }),
    ).toHaveLength(1);
    expect(
      noWorldOpenSecurityGroup.check({
        type: "aws:ec2/securityGroupRule:SecurityGroupRule",
        name: "r",
        inputs: { type: "ingress", cidrBlocks: ["0.0.0.0/0"] },
      }),
    ).toHaveLength(1);
  });
});

describe("rule: OWOX is read-only on data", () => {
  const owox = (doc: unknown): RecordedResource =>
    rolePolicy(doc, "aws:iam/userPolicy:UserPolicy", { user: "owox-integrator-dev" });
  it("passes the OWOX policy the project writes", () => {
    expect(
      owoxReadOnly.check(
        owox(owoxReadOnlyPolicy({ scope, env: "dev", dataBucket: BUCKET, resultsBucket: "owox-results" })),
      ),
    ).toEqual([]);
  });
  it("fails an OWOX policy that can write a data prefix or the catalog", () => {
    expect(
      owoxReadOnly.check(owox(allow("s3:PutObject", `arn:aws:s3:::${BUCKET}/dev/processed/measurements/*`))),
    ).toHaveLength(1);
    expect(owoxReadOnly.check(owox(allow("s3:Delete*", `arn:aws:s3:::${BUCKET}/dev/raw/*`)))).toHaveLength(1);
    expect(
      owoxReadOnly.check(
        owox(
          allow("glue:UpdateTable", "arn:aws:glue:ap-southeast-1:123456789012:table/openaq_dev/measurements"),
        ),
      ),
    ).toHaveLength(1);
  });
  it("fails a managed policy attached to the OWOX user", () => {
    const attachment: RecordedResource = {
      type: "aws:iam/userPolicyAttachment:UserPolicyAttachment",
      name: "a",
      inputs: { user: "owox-integrator-prod", policyArn: "arn:aws:iam::aws:policy/AmazonS3FullAccess" },
    };
    expect(owoxReadOnly.check(attachment)).toHaveLength(1);
  });
  it("ignores identities that are not OWOX's", () => {
    expect(
      owoxReadOnly.check(
        rolePolicy(
          allow("s3:PutObject", `arn:aws:s3:::${BUCKET}/dev/raw/*`),
          "aws:iam/userPolicy:UserPolicy",
          { user: "someone" },
        ),
      ),
    ).toEqual([]);
  });
});

describe("rule: environment isolation", () => {
  const dev = environmentIsolation("dev");
  it("passes dev's own policies", () => {
    expect(
      dev.check(rolePolicy(pipelinePolicy({ scope, env: "dev", bucket: BUCKET, crawler: true }))),
    ).toEqual([]);
    expect(dev.check(rolePolicy(crawlerPolicy({ scope, env: "dev", bucket: BUCKET })))).toEqual([]);
  });
  it("fails a dev identity that reaches prod's prefix", () => {
    expect(
      dev.check(rolePolicy(allow("s3:GetObject", `arn:aws:s3:::${BUCKET}/prod/processed/measurements/*`))),
    ).toHaveLength(1);
    // A wildcard reaching prod counts too.
    expect(dev.check(rolePolicy(allow("s3:GetObject", `arn:aws:s3:::${BUCKET}/*/processed/*`)))).toHaveLength(
      1,
    );
    expect(dev.check(rolePolicy(allow("s3:ListBucket", `arn:aws:s3:::${BUCKET}`)))).toHaveLength(1);
    expect(
      dev.check(
        rolePolicy(
          allow("s3:ListBucket", `arn:aws:s3:::${BUCKET}`, { StringLike: { "s3:prefix": ["prod/*"] } }),
        ),
      ),
    ).toHaveLength(1);
  });
  it("fails a dev identity that reaches prod's database, workgroup or API key", () => {
    expect(
      dev.check(
        rolePolicy(
          allow("glue:GetTable", "arn:aws:glue:ap-southeast-1:123456789012:table/openaq_prod/measurements"),
        ),
      ),
    ).toHaveLength(1);
    expect(
      dev.check(
        rolePolicy(allow("glue:GetDatabase", "arn:aws:glue:ap-southeast-1:123456789012:database/openaq_*")),
      ),
    ).toHaveLength(1);
    expect(
      dev.check(
        rolePolicy(
          allow(
            "athena:StartQueryExecution",
            "arn:aws:athena:ap-southeast-1:123456789012:workgroup/openaq-prod",
          ),
        ),
      ),
    ).toHaveLength(1);
    expect(
      dev.check(
        rolePolicy(
          allow(
            "ssm:GetParameter",
            "arn:aws:ssm:ap-southeast-1:123456789012:parameter/openaq-lakehouse/prod/openaq-api-key",
          ),
        ),
      ),
    ).toHaveLength(1);
  });
  it("does not flag a policy of prod when checking prod", () => {
    expect(
      environmentIsolation("prod").check(
        rolePolicy(pipelinePolicy({ scope, env: "prod", bucket: BUCKET, crawler: false })),
      ),
    ).toEqual([]);
    expect(
      environmentIsolation("prod").check(
        rolePolicy(pipelinePolicy({ scope, env: "dev", bucket: BUCKET, crawler: false })),
      ),
    ).not.toEqual([]);
  });
});

describe("checkResources", () => {
  it("reports violations by rule and resource", () => {
    const v = checkResources([
      {
        type: "aws:ec2/instance:Instance",
        name: "host",
        inputs: { metadataOptions: { httpPutResponseHopLimit: 1 } },
      },
    ]);
    expect(v).toEqual([
      {
        rule: "ec2-imdsv2-required",
        resource: "aws:ec2/instance:Instance::host",
        message: expect.stringContaining("IMDSv2"),
      },
    ]);
  });
});

describe("rule: secret outputs", () => {
  it("passes secret values marked secret, and plain values without secret names", async () => {
    expect(
      await checkSecretOutputs({
        bucket: pulumi.output("b"),
        owox: pulumi.output({ credentials: { accessKeyId: "AKIA", secretAccessKey: pulumi.secret("s") } }),
        apiKeyParameter: pulumi.output("/openaq-lakehouse/dev/openaq-api-key"),
      }),
    ).toEqual([]);
  });
  it("fails a secret-named output that is not a secret, at any depth", async () => {
    const v = await checkSecretOutputs({
      owox: pulumi.output({ credentials: { accessKeyId: "AKIA", secretAccessKey: "plain" } }),
      adminPassword: pulumi.output("hunter2"),
    });
    expect(v.map((x) => x.message)).toEqual([
      "Output owox.credentials.secretAccessKey looks secret but is not marked secret.",
      "Output adminPassword looks secret but is not marked secret.",
    ]);
  });
});
