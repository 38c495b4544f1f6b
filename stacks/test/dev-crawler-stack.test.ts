import { checkResources } from "@openaq-lakehouse/infra";
import { MOCK, one, policyOf } from "@openaq-lakehouse/infra/mocks";
import { describe, expect, it } from "vitest";
import { runEnvironmentStack } from "./support/run-stack.js";

describe("dev stack with the optional crawler", () => {
  it("adds the crawler, lets dev's pipeline role start it, and still passes every rule", async () => {
    const { stack } = await runEnvironmentStack("dev", {
      "openaq-lakehouse:crawler": "true",
      "openaq-lakehouse:crawlerSchedule": "cron(15 3 * * ? *)",
    });
    const crawler = one(stack.resources, "aws:glue/crawler:Crawler").inputs;
    expect(crawler).toMatchObject({
      name: "openaq-dev-processed",
      databaseName: "openaq_dev",
      schemaChangePolicy: { updateBehavior: "LOG", deleteBehavior: "LOG" },
    });
    const pipeline = policyOf(one(stack.resources, "aws:iam/rolePolicy:RolePolicy", "pipeline-dev-policy"));
    expect(pipeline.Statement.find((s) => s.Sid === "OwnCrawler")).toMatchObject({
      Action: ["glue:StartCrawler", "glue:GetCrawler"],
      Resource: [`arn:aws:glue:${MOCK.region}:${MOCK.accountId}:crawler/openaq-dev-processed`],
    });
    expect(checkResources(stack.resources, { env: "dev" })).toEqual([]);
  });
});
