import {
  AccessDeniedException,
  BatchCreatePartitionCommand,
  CrawlerRunningException,
  EntityNotFoundException,
  GetCrawlerCommand,
  GetTableCommand,
  type GetTableCommandOutput,
  GlueClient,
  StartCrawlerCommand,
} from "@aws-sdk/client-glue";
import { leakedSecrets, withSignedRequest } from "@openaq-lakehouse/test-support/aws-errors";
import { mockClient } from "aws-sdk-client-mock";
import { allCustomMatcher } from "aws-sdk-client-mock-vitest";
import "aws-sdk-client-mock-vitest/extend";
import { beforeEach, describe, expect, it } from "vitest";
import { catalogDay, parseCatalogMode } from "../src/steps/catalog.js";

expect.extend(allCustomMatcher);

const glueMock = mockClient(GlueClient);
const glue = new GlueClient({ region: "ap-southeast-1" });
const noSleep = async () => {};

function table(
  name: string,
  projection = true,
): GetTableCommandOutput & { Table: { StorageDescriptor: object } } {
  const parameters: Record<string, string> = projection
    ? { "projection.enabled": "true", EXTERNAL: "TRUE" }
    : { EXTERNAL: "TRUE" };
  return {
    $metadata: {},
    Table: {
      Name: name,
      DatabaseName: "openaq_dev",
      Parameters: parameters,
      PartitionKeys: [
        { Name: "year", Type: "string" },
        { Name: "month", Type: "string" },
        { Name: "day", Type: "string" },
      ],
      StorageDescriptor: {
        Location: `s3://lake-bucket/dev/processed/${name}/`,
        InputFormat: "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
        OutputFormat: "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
        Columns: [{ Name: "location_id", Type: "int" }],
        SerdeInfo: { SerializationLibrary: "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe" },
      },
    },
  };
}

beforeEach(() => glueMock.reset());

const base = {
  lake: "s3://lake-bucket",
  env: "dev" as const,
  day: "2024-03-05",
  glue,
  sleep: noSleep,
  pollMs: 0,
};

describe("catalogDay", () => {
  it("does nothing for a local lake and never calls AWS", async () => {
    const r = await catalogDay({ ...base, lake: "/tmp/lake", mode: "partitions" });
    expect(r.mode).toBe("local");
    expect(glueMock.calls()).toHaveLength(0);
  });

  it("projection: checks both tables exist and project", async () => {
    glueMock.on(GetTableCommand, { Name: "measurements" }).resolves(table("measurements"));
    glueMock.on(GetTableCommand, { Name: "locations" }).resolves(table("locations"));
    const r = await catalogDay({ ...base, mode: "projection" });
    expect(r.mode).toBe("projection");
    expect(glueMock).toHaveReceivedCommandWith(GetTableCommand, {
      DatabaseName: "openaq_dev",
      Name: "measurements",
    });
    expect(glueMock).toHaveReceivedCommandWith(GetTableCommand, {
      DatabaseName: "openaq_dev",
      Name: "locations",
    });
    expect(glueMock).not.toHaveReceivedCommand(BatchCreatePartitionCommand);
  });

  it("projection: a missing table fails with a sentence", async () => {
    glueMock
      .on(GetTableCommand)
      .rejects(new EntityNotFoundException({ message: "Table measurements not found.", $metadata: {} }));
    await expect(catalogDay({ ...base, mode: "projection" })).rejects.toThrow(
      "The Glue table openaq_dev.measurements does not exist: deploy the environment's stack (pulumi up) first.",
    );
  });

  it("an access-denied answer is one sentence, and nothing of the signed request reaches the error", async () => {
    glueMock.on(GetTableCommand).rejects(
      withSignedRequest(
        new AccessDeniedException({
          message:
            "User: arn:aws:sts::123456789012:assumed-role/pipeline/i-0 is not authorized to perform: glue:GetTable",
          $metadata: {},
        }),
        400,
      ),
    );
    const error = await catalogDay({ ...base, mode: "projection" }).catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: "GLUE_ERROR",
      message:
        "Glue GetTable on openaq_dev.measurements failed: access denied (AccessDeniedException); check the credentials and the IAM policy for table openaq_dev.measurements.",
    });
    expect(leakedSecrets(error)).toEqual([]);
  });

  it("projection: a table without projection is refused with the fix", async () => {
    glueMock.on(GetTableCommand).resolves(table("measurements", false));
    await expect(catalogDay({ ...base, mode: "projection" })).rejects.toThrow(
      /no partition projection.*CATALOG_MODE=partitions/,
    );
  });

  it("partitions: adds the day to both tables with the table's descriptor and the partition's location", async () => {
    glueMock.on(GetTableCommand, { Name: "measurements" }).resolves(table("measurements"));
    glueMock.on(GetTableCommand, { Name: "locations" }).resolves(table("locations"));
    glueMock.on(BatchCreatePartitionCommand, { TableName: "measurements" }).resolves({});
    glueMock.on(BatchCreatePartitionCommand, { TableName: "locations" }).resolves({
      Errors: [
        {
          PartitionValues: ["2024", "03", "05"],
          ErrorDetail: { ErrorCode: "AlreadyExistsException", ErrorMessage: "exists" },
        },
      ],
    });
    const r = await catalogDay({ ...base, mode: "partitions" });
    expect(r).toMatchObject({ mode: "partitions", partitionsCreated: 1, partitionsExisting: 1 });
    const input = glueMock.commandCalls(BatchCreatePartitionCommand)[0]?.args[0].input;
    expect(input).toEqual({
      DatabaseName: "openaq_dev",
      TableName: "measurements",
      PartitionInputList: [
        {
          Values: ["2024", "03", "05"],
          StorageDescriptor: {
            ...table("measurements").Table.StorageDescriptor,
            Location: "s3://lake-bucket/dev/processed/measurements/year=2024/month=03/day=05/",
          },
        },
      ],
    });
  });

  it("partitions: any other per-partition error fails the step", async () => {
    glueMock.on(GetTableCommand).resolves(table("measurements"));
    glueMock.on(BatchCreatePartitionCommand).resolves({
      Errors: [
        {
          PartitionValues: ["2024", "03", "05"],
          ErrorDetail: { ErrorCode: "AccessDeniedException", ErrorMessage: "not allowed." },
        },
      ],
    });
    await expect(catalogDay({ ...base, mode: "partitions" })).rejects.toThrow(
      "Glue could not add partition 2024-03-05 to openaq_dev.measurements: AccessDeniedException: not allowed.",
    );
  });

  it("crawler: starts, waits until READY after running, and succeeds", async () => {
    glueMock.on(StartCrawlerCommand).resolves({});
    glueMock
      .on(GetCrawlerCommand)
      .resolvesOnce({ Crawler: { Name: "c", State: "READY", LastCrawl: { Status: "FAILED" } } })
      .resolvesOnce({ Crawler: { Name: "c", State: "RUNNING" } })
      .resolvesOnce({ Crawler: { Name: "c", State: "STOPPING" } })
      .resolves({ Crawler: { Name: "c", State: "READY", LastCrawl: { Status: "SUCCEEDED" } } });
    const r = await catalogDay({ ...base, mode: "crawler", crawlerName: "openaq-dev-crawler" });
    expect(r).toMatchObject({ mode: "crawler", crawlerStatus: "SUCCEEDED" });
    expect(glueMock).toHaveReceivedCommandWith(StartCrawlerCommand, { Name: "openaq-dev-crawler" });
    expect(glueMock).toHaveReceivedCommandTimes(GetCrawlerCommand, 4);
  });

  it("crawler: one already running is tolerated; a failed crawl fails the step with its message", async () => {
    glueMock
      .on(StartCrawlerCommand)
      .rejects(new CrawlerRunningException({ message: "already running", $metadata: {} }));
    glueMock
      .on(GetCrawlerCommand)
      .resolvesOnce({ Crawler: { Name: "c", State: "RUNNING" } })
      .resolves({
        Crawler: {
          Name: "c",
          State: "READY",
          LastCrawl: { Status: "FAILED", ErrorMessage: "Insufficient Lake Formation permission." },
        },
      });
    await expect(catalogDay({ ...base, mode: "crawler", crawlerName: "c" })).rejects.toThrow(
      "The Glue crawler c finished with status FAILED: Insufficient Lake Formation permission.",
    );
  });

  it("crawler: needs a name, and gives up at the deadline", async () => {
    await expect(catalogDay({ ...base, mode: "crawler" })).rejects.toThrow(/GLUE_CRAWLER_NAME/);
    glueMock.on(StartCrawlerCommand).resolves({});
    glueMock.on(GetCrawlerCommand).resolves({ Crawler: { Name: "c", State: "RUNNING" } });
    let t = 0;
    await expect(
      catalogDay({ ...base, mode: "crawler", crawlerName: "c", timeoutMs: 100, now: () => (t += 30) }),
    ).rejects.toThrow("The Glue crawler c was still RUNNING when the wait ran out.");
  });

  it("parses CATALOG_MODE", () => {
    expect(parseCatalogMode(undefined)).toBe("projection");
    expect(parseCatalogMode("crawler")).toBe("crawler");
    expect(() => parseCatalogMode("glue")).toThrow(
      'Unknown CATALOG_MODE "glue": expected one of projection, partitions, crawler.',
    );
  });
});
