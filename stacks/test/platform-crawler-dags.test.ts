import { ofType } from "@openaq-lakehouse/infra/mocks";
import { describe, expect, it } from "vitest";
import { parseDags } from "../src/config/platform-config.js";
import { runPlatformStack } from "./support/run-stack.js";

describe("platform stack with dev's catalog task on the crawler", () => {
  it("renders dev's DAG with CATALOG_MODE=crawler and dev's crawler name, prod's with projection", async () => {
    const { stack } = await runPlatformStack({
      "openaq-lakehouse:dags": JSON.stringify({
        dev: { startDate: "2026-11-01", schedule: "0 2 * * *", catalogMode: "crawler" },
        prod: { startDate: "2026-11-01", schedule: "30 2 * * *" },
      }),
    });
    const objects = ofType(stack.resources, "aws:s3/bucketObjectv2:BucketObjectv2");
    const spec = (env: string) => {
      const file = objects.find((o) => String(o.inputs.key).endsWith(`openaq_ingestion_${env}.json`));
      return JSON.parse(String(file?.inputs.content)) as { environment: Record<string, string> };
    };
    // The DAG's environment is every one of its containers' environment.
    expect(spec("dev").environment).toMatchObject({
      CATALOG_MODE: "crawler",
      GLUE_CRAWLER_NAME: "openaq-dev-processed",
    });
    expect(spec("prod").environment.CATALOG_MODE).toBe("projection");
    expect(spec("prod").environment.GLUE_CRAWLER_NAME).toBeUndefined();
  });

  it("refuses an unknown catalog mode in the platform config", () => {
    expect(
      parseDags({ dev: { startDate: "2026-11-01", catalogMode: "glue" }, prod: { startDate: "2026-11-01" } })
        .problems,
    ).toEqual(['dev.catalogMode must be one of projection, partitions, crawler, got "glue"']);
  });
});
