import { resolve } from "node:path";
import { gunzipSync } from "node:zlib";
import {
  AIRFLOW_BUNDLE_PREFIX,
  AL2023_AMI_PARAMETER,
  checkResources,
  checkSecretOutputs,
  pipelineRoleName,
} from "@openaq-lakehouse/infra";
import {
  inputsOf,
  MOCK,
  type MockedStack,
  mockDigest,
  ofType,
  one,
  policyOf,
  resolved,
} from "@openaq-lakehouse/infra/mocks";
import { ENVIRONMENTS } from "@openaq-lakehouse/pipeline-core";
import { must } from "@openaq-lakehouse/test-support/narrow";
import type * as aws from "@pulumi/aws";
import { beforeAll, describe, expect, it } from "vitest";
import { cloudResourceUrns, ROOT, runPlatformStack } from "./support/run-stack.js";

let stack: MockedStack;
let outputs: Record<string, unknown>;

beforeAll(async () => {
  ({ stack, outputs } = await runPlatformStack());
});

describe("platform stack", () => {
  it("adopts the account's primary workgroup, where OWOX queries run, and gives it a scan cutoff", () => {
    const primary = one(stack.resources, "aws:athena/workgroup:Workgroup", "athena-primary");
    expect(primary.importId).toBe("primary");
    expect(primary.inputs).toMatchObject({
      name: "primary",
      configuration: {
        bytesScannedCutoffPerQuery: 1_073_741_824,
        // OWOX passes its own result location: the workgroup must not override client settings.
        enforceWorkgroupConfiguration: false,
      },
    });
  });

  it("has the data bucket with versioning and lifecycle rules for raw, quarantine and results", () => {
    const buckets = ofType(stack.resources, "aws:s3/bucket:Bucket");
    expect(buckets.map((b) => b.name)).toEqual(["openaq-lake"]);
    const lake = must(buckets[0], "the data bucket");
    expect(one(stack.resources, "aws:s3/bucketVersioning:BucketVersioning").inputs).toMatchObject({
      bucket: lake.id,
      versioningConfiguration: { status: "Enabled" },
    });
    const rules = must(
      inputsOf<aws.s3.BucketLifecycleConfigurationArgs>(
        one(stack.resources, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"),
      ).rules,
      "the data bucket's lifecycle rules",
    );
    expect(rules.find((r) => r.id === "abort-incomplete-uploads")).toMatchObject({
      filter: {},
      abortIncompleteMultipartUpload: { daysAfterInitiation: 7 },
    });
    for (const env of ENVIRONMENTS) {
      expect(rules.find((r) => r.filter?.prefix === `${env}/raw/`)?.transitions).toEqual([
        { days: 30, storageClass: "STANDARD_IA" },
      ]);
      expect(rules.find((r) => r.filter?.prefix === `${env}/quarantine/`)?.expiration).toEqual({ days: 90 });
      expect(rules.find((r) => r.filter?.prefix === `athena-results/${env}/`)?.expiration).toEqual({
        days: 7,
      });
      // Processed data never expires.
      expect(rules.some((r) => String(r.filter?.prefix ?? "").startsWith(`${env}/processed`))).toBe(false);
    }
  });

  it("blocks public access, enforces bucket-owner ownership, encrypts and denies plain HTTP", () => {
    const lake = one(stack.resources, "aws:s3/bucket:Bucket");
    expect(
      one(stack.resources, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock").inputs,
    ).toMatchObject({
      bucket: lake.id,
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    });
    expect(
      one(stack.resources, "aws:s3/bucketOwnershipControls:BucketOwnershipControls").inputs.rule,
    ).toEqual({ objectOwnership: "BucketOwnerEnforced" });
    const sse = one(
      stack.resources,
      "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    );
    expect(sse.inputs.rules).toEqual([
      { applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" }, bucketKeyEnabled: true },
    ]);
    const tls = must(
      policyOf(one(stack.resources, "aws:s3/bucketPolicy:BucketPolicy")).Statement[0],
      "a statement in the bucket policy",
    );
    expect(tls).toMatchObject({
      Effect: "Deny",
      Principal: "*",
      Condition: { Bool: { "aws:SecureTransport": "false" } },
    });
    expect(tls.Resource).toEqual([`arn:aws:s3:::${lake.id}`, `arn:aws:s3:::${lake.id}/*`]);
  });

  it("has an ECR repository scanning on push and keeping the last 10 images", () => {
    expect(one(stack.resources, "aws:ecr/repository:Repository").inputs.imageScanningConfiguration).toEqual({
      scanOnPush: true,
    });
    const policy = one(stack.resources, "aws:ecr/lifecyclePolicy:LifecyclePolicy").inputs.policy;
    const doc = typeof policy === "string" ? JSON.parse(policy) : policy;
    expect(doc.rules).toEqual([
      expect.objectContaining({
        selection: { tagStatus: "any", countType: "imageCountMoreThan", countNumber: 10 },
        action: { type: "expire" },
      }),
    ]);
  });

  it("builds the extractor Dockerfile from the workspace root and pushes it", () => {
    const image = one(stack.resources, "docker-build:index:Image").inputs;
    expect(image.context).toEqual({ location: ROOT });
    expect(image.dockerfile).toEqual({ location: resolve(ROOT, "packages/extractor/Dockerfile") });
    expect(image.push).toBe(true);
    expect(image.platforms).toEqual(["linux/amd64"]);
    expect((image.registries as Array<Record<string, unknown>>)[0]).toMatchObject({
      address: `${MOCK.accountId}.dkr.ecr.${MOCK.region}.amazonaws.com`,
      username: "AWS",
    });
  });

  it("hands the Airflow bundle the image pinned by digest, never a tag", async () => {
    const digest = mockDigest("extractor-image");
    const ref = await resolved(outputs.extractorImage as string);
    expect(ref).toMatch(
      new RegExp(`^${MOCK.accountId}\\.dkr\\.ecr\\.${MOCK.region}\\.amazonaws\\.com/[^:@]+@${digest}$`),
    );
    const objects = ofType(stack.resources, "aws:s3/bucketObjectv2:BucketObjectv2");
    expect(objects.length).toBeGreaterThan(2);
    for (const o of objects) expect(String(o.inputs.key)).toMatch(new RegExp(`^${AIRFLOW_BUNDLE_PREFIX}`));
    const contents = objects.map((o) => String(o.inputs.content)).join("\n");
    expect(contents).toContain(ref);
    expect(contents).not.toMatch(/dkr\.ecr\.[^\s"']+:latest/);
  });

  it("runs each environment's DAG as that environment's pipeline role, never the host's", () => {
    const objects = ofType(stack.resources, "aws:s3/bucketObjectv2:BucketObjectv2");
    const content = (name: string) =>
      String(objects.find((o) => String(o.inputs.key).endsWith(name))?.inputs.content ?? "");
    const config = content("aws/config");
    for (const env of ["dev", "prod"] as const) {
      const dag = content(`openaq_ingestion_${env}.json`);
      expect(config).toContain(`[profile openaq-pipeline-${env}]`);
      expect(dag).toContain(`openaq-pipeline-${env}`);
      expect(dag).toContain("AWS_CONFIG_FILE");
      expect(dag).not.toContain(`openaq-pipeline-${env === "dev" ? "prod" : "dev"}`);
    }
  });

  it("runs Airflow on a t3.small with IMDSv2 (hop limit 1: no container reaches it), an encrypted root and the current AL2023 AMI", () => {
    const instance = one(stack.resources, "aws:ec2/instance:Instance").inputs;
    expect(instance.instanceType).toBe("t3.small");
    expect(instance.ami).toBe(MOCK.amiId);
    expect(instance.metadataOptions).toMatchObject({
      httpEndpoint: "enabled",
      httpTokens: "required",
      httpPutResponseHopLimit: 1,
    });
    expect(instance.rootBlockDevice).toMatchObject({ encrypted: true, volumeSize: 10, volumeType: "gp3" });
    expect(instance.subnetId).toBe([...MOCK.defaultSubnetIds].sort()[0]);
    expect(AL2023_AMI_PARAMETER).toMatch(/al2023/);
    const userData = gunzipSync(Buffer.from(String(instance.userDataBase64), "base64")).toString();
    expect(userData).toMatch(/swap/i);
    expect(userData).toMatch(/docker/i);
  });

  it("opens nothing inbound and reaches the host through SSM", () => {
    const sg = one(stack.resources, "aws:ec2/securityGroup:SecurityGroup").inputs;
    expect(sg.ingress).toEqual([]);
    expect((sg.egress as Array<Record<string, unknown>>).map((e) => e.fromPort).sort()).toEqual([443, 80]);
    expect(sg.vpcId).toBe(MOCK.defaultVpcId);
    // Session Manager through the host's own policy: AmazonSSMManagedInstanceCore would grant ssm:GetParameter on *.
    expect(
      stack.resources.filter((r) => r.type === "aws:iam/rolePolicyAttachment:RolePolicyAttachment"),
    ).toEqual([]);
    const doc = policyOf(one(stack.resources, "aws:iam/rolePolicy:RolePolicy", "airflow-policy"));
    expect(doc.Statement.find((s) => s.Sid === "SessionManagerAgent")?.Action).toContain(
      "ssmmessages:OpenDataChannel",
    );
    expect(doc.Statement.find((s) => s.Sid === "DenyApiKeys")).toMatchObject({ Effect: "Deny" });
  });

  it("gives the host role platform rights only: pull, bundle, alerts, and assuming each env's pipeline role", () => {
    const lake = one(stack.resources, "aws:s3/bucket:Bucket");
    const doc = policyOf(one(stack.resources, "aws:iam/rolePolicy:RolePolicy", "airflow-policy"));
    const bySid = Object.fromEntries(doc.Statement.map((s) => [s.Sid, s]));
    expect(bySid.AssumePipelineRoles?.Resource).toEqual(
      ENVIRONMENTS.map((e) => `arn:aws:iam::${MOCK.accountId}:role/${pipelineRoleName(e)}`),
    );
    expect(bySid.ReadAirflowBundle?.Resource).toEqual([`arn:aws:s3:::${lake.id}/${AIRFLOW_BUNDLE_PREFIX}*`]);
    expect(bySid.PullExtractorImage?.Resource).toEqual([
      expect.stringMatching(/^arn:aws:ecr:.*:repository\//),
    ]);
    // No data rights on the host itself.
    const actions = doc.Statement.flatMap((s) => s.Action as string[]);
    expect(actions.filter((a) => /^(glue|athena):|^s3:(Put|Delete)/.test(a))).toEqual([]);
  });

  it("has the failed-run topic with the configured e-mail subscription", () => {
    expect(one(stack.resources, "aws:sns/topic:Topic").inputs.kmsMasterKeyId).toBe("alias/aws/sns");
    expect(one(stack.resources, "aws:sns/topicSubscription:TopicSubscription").inputs).toMatchObject({
      protocol: "email",
      endpoint: "alerts@example.org",
    });
  });

  it("stores the Airflow admin password as a SecureString", () => {
    expect(one(stack.resources, "aws:ssm/parameter:Parameter").inputs).toMatchObject({
      type: "SecureString",
      name: "/openaq-lakehouse/platform/airflow-admin-password",
    });
  });

  it("exports what the environment stacks read", async () => {
    const values = Object.fromEntries(
      await Promise.all(Object.entries(outputs).map(async ([k, v]) => [k, await resolved(v as string)])),
    );
    expect(Object.keys(values).sort()).toEqual(
      [
        "accountId",
        "airflowBundleUri",
        "alertsTopicArn",
        "bucketArn",
        "bucketName",
        "extractorImage",
        "hostInstanceId",
        "hostRoleArn",
        "region",
        "registryUrl",
        "repositoryArn",
      ].sort(),
    );
    expect(values.region).toBe(MOCK.region);
    expect(values.accountId).toBe(MOCK.accountId);
    expect(values.hostInstanceId).toMatch(/^i-0/);
    expect(values.hostRoleArn).toMatch(/^arn:aws:iam::123456789012:role\//);
    expect(values.airflowBundleUri).toBe(`s3://${values.bucketName}/${AIRFLOW_BUNDLE_PREFIX}`);
  });

  it("registers every AWS resource inside one of the project's components", () => {
    const cloud = cloudResourceUrns(/^(aws|docker-build):/);
    expect(cloud.all.length).toBe(stack.resources.filter((r) => /^(aws|docker-build):/.test(r.type)).length);
    expect(cloud.outsideComponents).toEqual([]);
  });

  it("passes every policy rule and marks every secret output secret", async () => {
    expect(checkResources(stack.resources)).toEqual([]);
    expect(await checkSecretOutputs(outputs)).toEqual([]);
  });
});

describe("platform stack secrets", () => {
  it("sends the registry password and the admin password to the engine as secrets", () => {
    expect(one(stack.resources, "docker-build:index:Image").secretInputs).toContain("registries");
    expect(one(stack.resources, "aws:ssm/parameter:Parameter").secretInputs).toContain("value");
  });
});
