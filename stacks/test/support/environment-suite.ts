import {
  checkResources,
  checkSecretOutputs,
  OWOX_RESULT_PREFIXES,
  owoxUserName,
  PARQUET_SERDE,
  pipelineRoleName,
  workgroupName,
} from "@openaq-lakehouse/infra";
import {
  inputsOf,
  MOCK,
  type MockedStack,
  ofType,
  one,
  policyOf,
  resolved,
} from "@openaq-lakehouse/infra/mocks";
import {
  DATASETS,
  databaseName,
  ENVIRONMENTS,
  type Environment,
  glueColumns,
  gluePartitionKeys,
  LAKE_CONTRACT,
  OPENAQ_ARCHIVE_COLUMNS,
  OPENAQ_ARCHIVE_TABLE,
  SERVING_VIEWS,
} from "@openaq-lakehouse/pipeline-core";
import { must } from "@openaq-lakehouse/test-support/narrow";
import type * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";
import { PLATFORM_OUTPUTS } from "./platform-outputs.js";
import { cloudResourceUrns, runEnvironmentStack, TEST_API_KEY } from "./run-stack.js";

type Statement = {
  Sid: string;
  Action: string[];
  Resource: string[];
  Condition?: Record<string, Record<string, string[]>>;
};

/** The assertions every environment stack must pass; `expected` holds what differs between envs. */
export function environmentStackSuite(env: Environment, expected: { bytesScannedCutoff: number }): void {
  const other = must(
    ENVIRONMENTS.find((e) => e !== env),
    `an environment other than ${env}`,
  );
  const db = databaseName(env);
  const bucket = PLATFORM_OUTPUTS.bucketName;
  let stack: MockedStack;
  let outputs: Record<string, unknown>;

  beforeAll(async () => {
    ({ stack, outputs } = await runEnvironmentStack(env));
  });

  /** The name of the stack's one bucket, OWOX's results bucket. */
  const resultsBucket = () =>
    must(one(stack.resources, "aws:s3/bucket:Bucket").id, "the results bucket's name");

  const statements = (type: string, name?: string): Record<string, Statement> =>
    Object.fromEntries(
      (policyOf(one(stack.resources, type, name)).Statement as Statement[]).map((s) => [s.Sid, s]),
    );

  describe(`${env} stack: catalog`, () => {
    it(`creates Glue database ${db}`, () => {
      expect(one(stack.resources, "aws:glue/catalogDatabase:CatalogDatabase").inputs.name).toBe(db);
    });

    it("has the OpenAQ archive as a projected CSV table, read in place from the public bucket", () => {
      const t = inputsOf<aws.glue.CatalogTableArgs>(
        one(stack.resources, "aws:glue/catalogTable:CatalogTable", `catalog-${env}-${OPENAQ_ARCHIVE_TABLE}`),
      );
      expect(t.databaseName).toBe(db);
      expect(t.storageDescriptor?.location).toBe("s3://openaq-data-archive/records/csv.gz/");
      expect(t.storageDescriptor?.serDeInfo?.serializationLibrary).toBe(
        "org.apache.hadoop.hive.serde2.OpenCSVSerde",
      );
      expect(t.storageDescriptor?.columns?.map((c) => c.name)).toEqual([...OPENAQ_ARCHIVE_COLUMNS]);
      expect(t.partitionKeys?.map((k) => k.name)).toEqual(["locationid", "year", "month"]);
      expect(t.parameters).toMatchObject({
        "projection.enabled": "true",
        "projection.locationid.type": "injected",
        "skip.header.line.count": "1",
        // Athena's own placeholders, not this file's template
        "storage.location.template": `s3://openaq-data-archive/records/csv.gz/locationid=\${locationid}/year=\${year}/month=\${month}/`,
      });
    });

    it("creates one Parquet table per pipeline-core dataset with its columns and partition keys", () => {
      const all = ofType(stack.resources, "aws:glue/catalogTable:CatalogTable");
      expect(all.map((t) => t.inputs.name).sort()).toEqual(
        [...Object.keys(DATASETS), OPENAQ_ARCHIVE_TABLE].sort(),
      );
      const tables = all.filter((t) => t.inputs.name !== OPENAQ_ARCHIVE_TABLE);
      for (const dataset of Object.values(DATASETS)) {
        const t = inputsOf<aws.glue.CatalogTableArgs>(
          must(
            tables.find((x) => x.inputs.name === dataset.name),
            `Glue table ${dataset.name}`,
          ),
        );
        expect(t.databaseName).toBe(db);
        expect(t.tableType).toBe("EXTERNAL_TABLE");
        expect(t.storageDescriptor?.columns).toEqual(glueColumns(dataset));
        expect(t.partitionKeys).toEqual(gluePartitionKeys(dataset));
        expect(t.partitionKeys?.map((k) => k.name)).toEqual(["year", "month", "day"]);
        expect(t.storageDescriptor?.serDeInfo?.serializationLibrary).toBe(PARQUET_SERDE);
        expect(t.storageDescriptor?.location).toBe(`s3://${bucket}/${env}/processed/${dataset.name}/`);
        expect(t.parameters).toMatchObject({
          EXTERNAL: "TRUE",
          "projection.enabled": "true",
          "projection.year.range": "2016,2099",
          "projection.month.digits": "2",
          "storage.location.template": `s3://${bucket}/${env}/processed/${dataset.name}/year=\${year}/month=\${month}/day=\${day}/`,
        });
      }
    });

    it("creates no crawler unless configured", () => {
      expect(ofType(stack.resources, "aws:glue/crawler:Crawler")).toEqual([]);
    });
  });

  describe(`${env} stack: Athena`, () => {
    it(`has workgroup ${workgroupName(env)} with enforced settings, engine v3, encrypted results and a cutoff`, () => {
      const wg = inputsOf<aws.athena.WorkgroupArgs>(one(stack.resources, "aws:athena/workgroup:Workgroup"));
      expect(wg.name).toBe(workgroupName(env));
      expect(wg.configuration).toMatchObject({
        enforceWorkgroupConfiguration: true,
        bytesScannedCutoffPerQuery: expected.bytesScannedCutoff,
        engineVersion: { selectedEngineVersion: "Athena engine version 3" },
        resultConfiguration: {
          outputLocation: `s3://${bucket}/athena-results/${env}/`,
          encryptionConfiguration: { encryptionOption: "SSE_S3" },
        },
      });
    });
  });

  describe(`${env} stack: pipeline identity`, () => {
    it("is a role only the Airflow host's role can assume, with the host's source identity", () => {
      const role = one(stack.resources, "aws:iam/role:Role").inputs;
      expect(role.name).toBe(pipelineRoleName(env));
      expect(JSON.parse(String(role.assumeRolePolicy)).Statement).toEqual([
        expect.objectContaining({
          Effect: "Allow",
          Principal: { AWS: PLATFORM_OUTPUTS.hostRoleArn },
          Action: ["sts:AssumeRole", "sts:SetSourceIdentity"],
          Condition: { StringEquals: { "sts:SourceIdentity": "openaq-airflow-host" } },
        }),
      ]);
    });

    it("holds the contract's grants on its env's lake areas and reads its own API key", () => {
      const s = statements("aws:iam/rolePolicy:RolePolicy");
      for (const area of LAKE_CONTRACT) {
        const sid = Object.keys(s).find((k) =>
          s[k]?.Resource.includes(`arn:aws:s3:::${bucket}/${area.prefix(env)}*`),
        );
        expect(sid, area.area).toBeDefined();
        expect(s[sid as string]?.Action).toEqual([...area.objectActions]);
      }
      expect(s.LakeRaw?.Action).not.toContain("s3:DeleteObject");
      expect(s.OwnApiKey?.Resource).toEqual([
        `arn:aws:ssm:${MOCK.region}:${MOCK.accountId}:parameter/openaq-lakehouse/${env}/openaq-api-key`,
      ]);
      expect(s.OwnWorkgroup?.Resource).toEqual([
        `arn:aws:athena:${MOCK.region}:${MOCK.accountId}:workgroup/${workgroupName(env)}`,
      ]);
      expect(s.OwnTables?.Resource).toContain(
        `arn:aws:glue:${MOCK.region}:${MOCK.accountId}:table/${db}/measurements`,
      );
      expect(s.OwnViews?.Resource.filter((r) => r.includes(":table/"))).toEqual(
        SERVING_VIEWS.map((v) => `arn:aws:glue:${MOCK.region}:${MOCK.accountId}:table/${db}/${v}`),
      );
      expect(JSON.stringify(s)).not.toContain(`/${other}/`);
      expect(JSON.stringify(s)).not.toContain(databaseName(other));
    });
  });

  describe(`${env} stack: OpenAQ API key`, () => {
    it("is an SSM SecureString from secret config", () => {
      const p = one(stack.resources, "aws:ssm/parameter:Parameter");
      expect(p.inputs).toMatchObject({
        name: `/openaq-lakehouse/${env}/openaq-api-key`,
        type: "SecureString",
        value: TEST_API_KEY,
      });
      expect(p.secretInputs).toContain("value");
    });
  });

  describe(`${env} stack: OWOX access`, () => {
    it(`is IAM user ${owoxUserName(env)} with programmatic access only`, () => {
      expect(one(stack.resources, "aws:iam/user:User").inputs.name).toBe(owoxUserName(env));
      expect(ofType(stack.resources, "aws:iam/userLoginProfile:UserLoginProfile")).toEqual([]);
      expect(one(stack.resources, "aws:iam/accessKey:AccessKey").inputs.user).toBe(owoxUserName(env));
    });

    it("queries in the primary workgroup, reads its env's views, tables and processed prefix, writes only OWOX's result prefixes", () => {
      const s = statements("aws:iam/userPolicy:UserPolicy");
      const statement = (sid: string) => must(s[sid], `statement ${sid} of the OWOX user's policy`);
      const results = resultsBucket();
      expect(statement("AthenaPrimaryWorkgroup").Resource).toEqual([
        `arn:aws:athena:${MOCK.region}:${MOCK.accountId}:workgroup/primary`,
      ]);
      const glue = statement("GlueReadOwnDatabase");
      for (const table of [...Object.keys(DATASETS), ...SERVING_VIEWS]) {
        expect(glue.Resource).toContain(`arn:aws:glue:${MOCK.region}:${MOCK.accountId}:table/${db}/${table}`);
      }
      expect(glue.Action.every((a) => /^glue:(Get|BatchGet)/.test(a))).toBe(true);
      const processed = statement("ReadOwnProcessedData");
      expect(processed.Action).toEqual(["s3:GetObject"]);
      expect(processed.Resource).toEqual(
        Object.keys(DATASETS).map((d) => `arn:aws:s3:::${bucket}/${env}/processed/${d}/*`),
      );
      const resultObjects = statement("OwoxResultObjects");
      expect(resultObjects.Resource).toEqual(
        OWOX_RESULT_PREFIXES.map((p) => `arn:aws:s3:::${results}/${p}*`),
      );
      expect(resultObjects.Action).toEqual(
        expect.arrayContaining(["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]),
      );
    });

    it("has a private results bucket of its own, whose leftovers expire", () => {
      const rules = must(
        inputsOf<aws.s3.BucketLifecycleConfigurationArgs>(
          one(stack.resources, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"),
        ).rules,
        "the results bucket's lifecycle rules",
      );
      for (const prefix of OWOX_RESULT_PREFIXES)
        expect(rules.find((r) => r.filter?.prefix === prefix)?.expiration).toEqual({ days: 1 });
    });
  });

  describe(`${env} stack: outputs`, () => {
    it("exports the usual outputs", async () => {
      expect(await resolved(outputs.environment as string)).toBe(env);
      expect(await resolved(outputs.bucket as string)).toBe(bucket);
      expect(await resolved(outputs.database as string)).toBe(db);
      expect(await resolved(outputs.workgroup as string)).toBe(workgroupName(env));
      expect(await resolved(outputs.registryUrl as string)).toBe(PLATFORM_OUTPUTS.registryUrl);
      expect(await resolved(outputs.extractorImage as string)).toBe(PLATFORM_OUTPUTS.extractorImage);
      expect(await resolved(outputs.hostId as string)).toBe(PLATFORM_OUTPUTS.hostInstanceId);
      expect(await resolved(outputs.pipelineRoleArn as string)).toBe(
        `arn:aws:iam::${MOCK.accountId}:role/${pipelineRoleName(env)}`,
      );
    });

    it("exports one secret `owox` output with exactly what OWOX's Athena storage and data marts take", async () => {
      const owox = outputs.owox as pulumi.Output<unknown>;
      expect(await pulumi.isSecret(owox)).toBe(true);
      const results = resultsBucket();
      expect(await resolved(owox)).toEqual({
        environment: env,
        storage: {
          type: "AWS_ATHENA",
          title: `OpenAQ Athena (${env})`,
          config: { region: MOCK.region, outputBucket: results },
          credentials: { accessKeyId: MOCK.accessKeyId, secretAccessKey: MOCK.secretAccessKey },
        },
        dataMarts: [
          {
            title: `OpenAQ Latest AQI (${env})`,
            definitionType: "VIEW",
            definition: { fullyQualifiedName: `${db}.view_latest_aqi` },
          },
          {
            title: `OpenAQ Daily average (${env})`,
            definitionType: "VIEW",
            definition: { fullyQualifiedName: `${db}.view_daily_average` },
          },
        ],
      });
      expect(results).not.toMatch(/^s3:|\//);
    });
  });

  describe(`${env} stack: guardrails`, () => {
    it("passes every policy rule, including isolation from the other environment", async () => {
      expect(checkResources(stack.resources, { env })).toEqual([]);
      expect(await checkSecretOutputs(outputs)).toEqual([]);
    });

    it("registers every AWS resource inside one of the project's components", () => {
      const cloud = cloudResourceUrns(/^aws:/);
      expect(cloud.all.length).toBeGreaterThan(10);
      expect(cloud.outsideComponents).toEqual([]);
    });

    it("registers no resource of the platform (bucket, registry, host, topic)", () => {
      const types = new Set(stack.resources.map((r) => r.type));
      for (const t of [
        "aws:ec2/instance:Instance",
        "aws:ecr/repository:Repository",
        "aws:sns/topic:Topic",
        "docker-build:index:Image",
      ]) {
        expect(types.has(t)).toBe(false);
      }
      // Its one bucket is OWOX's results bucket, not the data bucket.
      expect(ofType(stack.resources, "aws:s3/bucket:Bucket").map((b) => b.name)).toEqual([
        `owox-${env}-results`,
      ]);
    });
  });
}
