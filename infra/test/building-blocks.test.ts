import { describe, expect, it } from "vitest";
import {
  apiKeyParameterName,
  bundleObjectKey,
  dataLakeLifecycleRules,
  iamGlobMatches,
  keepLastImagesPolicy,
  owoxResultsLifecycleRules,
  owoxUserName,
  pinnedImageRef,
  pipelineAwsConfig,
  pipelinePolicy,
  pipelineRoleName,
  workgroupName,
} from "../src/index.js";

const scope = { partition: "aws", region: "ap-southeast-1", accountId: "123456789012" };

describe("names", () => {
  it("spells each environment's interface names", () => {
    expect([
      workgroupName("dev"),
      pipelineRoleName("prod"),
      owoxUserName("dev"),
      apiKeyParameterName("prod"),
    ]).toEqual([
      "openaq-dev",
      "openaq-pipeline-prod",
      "owox-integrator-dev",
      "/openaq-lakehouse/prod/openaq-api-key",
    ]);
  });
  it("refuses an unknown environment", () => {
    expect(() => workgroupName("staging" as "dev")).toThrow(/Unknown environment "staging"/);
  });
});

describe("lifecycle rules", () => {
  it("never expire processed data and never filter on a prefix of another env", () => {
    const rules = dataLakeLifecycleRules({
      rawToInfrequentAccessDays: 45,
      quarantineExpirationDays: 60,
      athenaResultsExpirationDays: 3,
      noncurrentVersionExpirationDays: 14,
    });
    expect(rules.filter((r) => r.expiration).map((r) => r.filter.prefix)).toEqual([
      "dev/quarantine/",
      "athena-results/dev/",
      "prod/quarantine/",
      "athena-results/prod/",
    ]);
    expect(rules.find((r) => r.id === "dev-raw-to-infrequent-access")?.transitions).toEqual([
      { days: 45, storageClass: "STANDARD_IA" },
    ]);
    expect(new Set(rules.map((r) => r.id)).size).toBe(rules.length);
  });
  it("expire every OWOX result prefix", () => {
    expect(
      owoxResultsLifecycleRules(2)
        .filter((r) => r.expiration)
        .map((r) => [r.id, r.filter.prefix]),
    ).toEqual([
      ["expire-owox-data-marts", "owox-data-marts/"],
      ["expire-athena-check-access", "athena-check-access/"],
      ["expire-athena-dry-run", "athena-dry-run/"],
      ["expire-athena-schema-fetch", "athena-schema-fetch"],
    ]);
  });
});

describe("images", () => {
  it("pins a repository to a digest and refuses tags", () => {
    const digest = `sha256:${"a".repeat(64)}`;
    expect(pinnedImageRef("123.dkr.ecr.x.amazonaws.com/r", digest)).toBe(
      `123.dkr.ecr.x.amazonaws.com/r@${digest}`,
    );
    expect(() => pinnedImageRef("123.dkr.ecr.x.amazonaws.com/r", "latest")).toThrow(/Not an image digest/);
  });
  it("keeps the last N images", () => {
    expect((keepLastImagesPolicy(5).rules as Array<{ selection: unknown }>)[0]?.selection).toEqual({
      tagStatus: "any",
      countType: "imageCountMoreThan",
      countNumber: 5,
    });
    expect(() => keepLastImagesPolicy(0)).toThrow();
  });
});

describe("Airflow bundle keys", () => {
  it("stay under platform/airflow/", () => {
    expect(bundleObjectKey("dags/openaq_ingestion_dev.py")).toBe(
      "platform/airflow/dags/openaq_ingestion_dev.py",
    );
    for (const bad of ["../dev/raw/x", "/etc/passwd", "dags//x", "a/../../b"])
      expect(() => bundleObjectKey(bad)).toThrow();
  });
});

describe("pipeline AWS profiles", () => {
  it("read the session the host mints for the environment (containers never reach IMDS)", () => {
    expect(pipelineAwsConfig(scope, ["dev"])).toBe(
      [
        "[profile openaq-pipeline-dev]",
        "credential_process = cat /etc/openaq/aws/credentials.json",
        "region = ap-southeast-1",
        "",
      ].join("\n"),
    );
  });
});

describe("pipeline policy", () => {
  it("lists only its env's lake areas, its results prefix included", () => {
    const list = pipelinePolicy({ scope, env: "prod", bucket: "b", crawler: false }).Statement.find(
      (s) => s.Sid === "ListOwnLakeAreas",
    );
    expect(list?.Condition).toEqual({
      StringLike: {
        "s3:prefix": [
          "prod/raw/*",
          "prod/processed/*",
          "prod/quarantine/*",
          "prod/_state/*",
          "prod/_leases/*",
          "prod/_staging/*",
          "athena-results/prod/*",
        ],
      },
    });
    expect(iamGlobMatches("prod/*", "dev/raw/x")).toBe(false);
  });
  it("grants the crawler only when it exists", () => {
    expect(
      pipelinePolicy({ scope, env: "dev", bucket: "b", crawler: false }).Statement.some(
        (s) => s.Sid === "OwnCrawler",
      ),
    ).toBe(false);
  });
});
