import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import {
  type Column,
  DATASETS,
  glueColumns,
  gluePartitionKeys,
  partitionProjectionParameters,
} from "@openaq-lakehouse/pipeline-core";
import { must } from "@openaq-lakehouse/test-support/narrow";
import type * as aws from "@pulumi/aws";
import { beforeAll, describe, expect, it } from "vitest";
import {
  inputsOf,
  installMocks,
  MOCK,
  type MockedStack,
  ofType,
  one,
  policyOf,
  settle,
} from "../src/mocks/index.js";

/** The Glue tables come from the pipeline-core schemas: one definition, no copy. */

const ROOT = resolve(import.meta.dirname, "../..");
const BUCKET = "lake-bucket-1234567";
let stack: MockedStack;

beforeAll(async () => {
  stack = await installMocks({ stack: "dev" });
  const { EnvironmentCatalog } = await import("../src/index.js");
  const catalog = new EnvironmentCatalog("catalog-dev", {
    env: "dev",
    bucketName: BUCKET,
    scope: { partition: "aws", region: MOCK.region, accountId: MOCK.accountId },
    projectionFirstYear: 2020,
    crawler: true,
    crawlerSchedule: "cron(15 3 * * ? *)",
  });
  await settle(
    { db: catalog.databaseName, tables: catalog.tableNames, crawler: catalog.crawlerName },
    stack.resources,
  );
});

describe("EnvironmentCatalog", () => {
  it("has exactly the pipeline-core schema's columns, in order, with Hive types", () => {
    for (const dataset of Object.values(DATASETS)) {
      const table = ofType(stack.resources, "aws:glue/catalogTable:CatalogTable").find(
        (t) => t.inputs.name === dataset.name,
      );
      const sd = table?.inputs.storageDescriptor as { columns: unknown };
      expect(sd.columns).toEqual(glueColumns(dataset));
      expect((sd.columns as Array<{ name: string }>).map((c) => c.name)).toEqual(
        dataset.columns.map((c: Column) => c.name),
      );
      expect(table?.inputs.partitionKeys).toEqual(gluePartitionKeys(dataset));
    }
  });

  it("uses pipeline-core's partition projection over the processed prefix", () => {
    const table = one(stack.resources, "aws:glue/catalogTable:CatalogTable", "catalog-dev-measurements");
    const location = `s3://${BUCKET}/dev/processed/measurements/`;
    expect(table.inputs.parameters).toEqual({
      EXTERNAL: "TRUE",
      ...partitionProjectionParameters(location, 2020),
    });
    expect((table.inputs.parameters as Record<string, string>)["storage.location.template"]).toBe(
      `${location}year=\${year}/month=\${month}/day=\${day}/`,
    );
  });

  it("makes the optional crawler unable to change table definitions (so projection settings stay)", () => {
    const crawler = inputsOf<aws.glue.CrawlerArgs>(one(stack.resources, "aws:glue/crawler:Crawler"));
    expect(crawler.name).toBe("openaq-dev-processed");
    expect(crawler.schemaChangePolicy).toEqual({ updateBehavior: "LOG", deleteBehavior: "LOG" });
    const configuration = JSON.parse(must(crawler.configuration, "the crawler's configuration")) as {
      CrawlerOutput: { Partitions: { AddOrUpdateBehavior: string } };
    };
    expect(configuration.CrawlerOutput.Partitions.AddOrUpdateBehavior).toBe("InheritFromTable");
    expect(crawler.catalogTargets).toEqual([{ databaseName: "openaq_dev", tables: Object.keys(DATASETS) }]);
    expect(crawler.schedule).toBe("cron(15 3 * * ? *)");
  });

  it("gives the crawler read access to the env's processed prefix only and no table writes", () => {
    const doc = policyOf(one(stack.resources, "aws:iam/rolePolicy:RolePolicy"));
    const actions = doc.Statement.flatMap((s) => s.Action as string[]);
    expect(actions).not.toContain("glue:UpdateTable");
    expect(actions).not.toContain("glue:CreateTable");
    const read = must(
      doc.Statement.find((s) => s.Sid === "ReadProcessed"),
      "statement ReadProcessed of the crawler's policy",
    );
    expect(read.Resource).toEqual(
      Object.keys(DATASETS).map((d) => `arn:aws:s3:::${BUCKET}/dev/processed/${d}/*`),
    );
  });
});

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) return entry === "node_modules" ? [] : sources(path);
    return path.endsWith(".ts") ? [path] : [];
  });
}

describe("one definition of the columns", () => {
  it("no infra or stacks source spells a dataset column name", () => {
    const distinctive = Object.values(DATASETS)
      .flatMap((d) => d.columns.map((c: Column) => c.name))
      .filter((name) => name.includes("_"));
    expect(distinctive.length).toBeGreaterThan(5);
    const files = [...sources(join(ROOT, "infra/src")), ...sources(join(ROOT, "stacks/src"))];
    const offenders = files.flatMap((file) => {
      const text = readFileSync(file, "utf8");
      return distinctive
        .filter((name) => new RegExp(`["'\`]${name}["'\`]`).test(text))
        .map((name) => `${file}: ${name}`);
    });
    expect(offenders).toEqual([]);
  });
});
