import { describe, expect, it } from "vitest";
import { owoxDataMarts, owoxStorageTitle } from "../src/environment/owox-output.js";
import {
  LOOKER_LINKING_API_BASE,
  lookerLinkingUrl,
  OWOX_LOOKER_CONNECTOR_ID,
} from "../src/owox/looker-link.js";
import { owoxSyncHarness } from "./support/owox-sync.js";

/**
 * The Looker Studio Linking API URL the OWOX sync prints for each environment: a report created from
 * the template, each data source bound through OWOX's community connector to that environment's
 * OWOX report. Google's side (that Looker Studio accepts the URL and the connector's `reportId`
 * param) cannot be exercised here; the URL's parameters are.
 */

const REPORT_IDS = { view_latest_aqi: "rep-latest-1", view_daily_average: "rep-daily-2" };
const NAMES = {
  view_latest_aqi: "OpenAQ Latest AQI (dev)",
  view_daily_average: "OpenAQ Daily average (dev)",
};

describe("lookerLinkingUrl", () => {
  it("binds each template data source to the environment's OWOX report through the OWOX connector", () => {
    const url = new URL(
      lookerLinkingUrl({
        env: "dev",
        templateReportId: "tmpl_0A-9",
        owoxReportIds: REPORT_IDS,
        dataSourceNames: NAMES,
      }),
    );
    expect(`${url.origin}${url.pathname}`).toBe(LOOKER_LINKING_API_BASE);
    expect(Object.fromEntries(url.searchParams)).toEqual({
      "c.reportId": "tmpl_0A-9",
      "r.reportName": "OpenAQ air quality (dev)",
      "ds.latest.connector": "community",
      "ds.latest.connectorId": OWOX_LOOKER_CONNECTOR_ID,
      "ds.latest.reportId": "rep-latest-1",
      "ds.latest.datasourceName": "OpenAQ Latest AQI (dev)",
      "ds.daily.connector": "community",
      "ds.daily.connectorId": OWOX_LOOKER_CONNECTOR_ID,
      "ds.daily.reportId": "rep-daily-2",
      "ds.daily.datasourceName": "OpenAQ Daily average (dev)",
    });
    // Each parameter once; names and spaces encoded as a URL must carry them.
    expect(url.search.split("&")).toHaveLength(10);
    expect(url.search).toContain("r.reportName=OpenAQ+air+quality+%28dev%29");
  });

  it("leaves out c.reportId without a template, and refuses what is not a report id", () => {
    const url = new URL(lookerLinkingUrl({ env: "prod", owoxReportIds: REPORT_IDS, dataSourceNames: NAMES }));
    expect(url.searchParams.has("c.reportId")).toBe(false);
    expect(url.searchParams.get("r.reportName")).toBe("OpenAQ air quality (prod)");
    expect(() =>
      lookerLinkingUrl({
        env: "dev",
        templateReportId: "x&ds.latest.connector=bigQuery",
        owoxReportIds: REPORT_IDS,
        dataSourceNames: NAMES,
      }),
    ).toThrow(/not an id/);
    expect(() =>
      lookerLinkingUrl({
        env: "dev",
        owoxReportIds: { ...REPORT_IDS, view_daily_average: "" },
        dataSourceNames: NAMES,
      }),
    ).toThrow(/view_daily_average/);
  });
});

describe("owox:sync prints the Linking API URL of Dev and of Prod", () => {
  const { server, writeOutput, run, apiKey } = owoxSyncHarness("looker-link");

  function sync(env: "dev" | "prod", args: string[] = []) {
    const file = writeOutput({
      owox: {
        environment: env,
        storage: {
          type: "AWS_ATHENA",
          title: owoxStorageTitle(env),
          config: { region: "ap-southeast-1", outputBucket: `owox-${env}-results` },
          credentials: {
            accessKeyId: `AKIA${env.toUpperCase()}0000000001`,
            secretAccessKey: `${env}/secret`,
          },
        },
        dataMarts: owoxDataMarts(env),
      },
    });
    return run(["--from", file, ...args], { OWOX_API_KEY: apiKey(), LOOKER_TEMPLATE_REPORT_ID: "tmplEnv" });
  }

  function linkOf(stdout: string, env: string): URL {
    const line = stdout
      .split("\n")
      .find((l) => l.startsWith(`Looker Studio report for ${env} (Linking API): `));
    expect(line, stdout).toBeDefined();
    return new URL((line as string).split(": ").slice(1).join(": "));
  }

  it("creates one Looker Studio destination and one OWOX report per data mart, and links them", async () => {
    const dev = await sync("dev", ["--looker-template", "tmplFlag"]);
    expect(dev.code).toBe(0);
    const prod = await sync("prod");
    expect(prod.code).toBe(0);
    for (const [env, stdout, template] of [
      ["dev", dev.stdout, "tmplFlag"],
      ["prod", prod.stdout, "tmplEnv"],
    ] as const) {
      const url = linkOf(stdout, env);
      expect(url.searchParams.get("c.reportId")).toBe(template);
      const destination = [...server.destinations.values()].find(
        (d) => d.title === `OpenAQ Looker Studio (${env})`,
      );
      expect(destination?.sharedForUse).toBe(true);
      for (const [alias, view] of [
        ["latest", "view_latest_aqi"],
        ["daily", "view_daily_average"],
      ] as const) {
        const mart = [...server.dataMarts.values()].find(
          (m) => m.definition?.fullyQualifiedName === `openaq_${env}.${view}`,
        );
        const report = [...server.reports.values()].find((r) => r.dataMartId === mart?.id);
        expect(report).toMatchObject({
          dataDestinationId: destination?.id,
          destinationConfig: { type: "looker-studio-config", cacheLifetime: 3600 },
        });
        expect(url.searchParams.get(`ds.${alias}.reportId`)).toBe(report?.id);
        expect(url.searchParams.get(`ds.${alias}.connectorId`)).toBe(OWOX_LOOKER_CONNECTOR_ID);
      }
    }
    expect(server.reports.size).toBe(4);
    // Dev and Prod reports differ: the same template, another environment's data.
    expect(linkOf(dev.stdout, "dev").searchParams.get("ds.latest.reportId")).not.toBe(
      linkOf(prod.stdout, "prod").searchParams.get("ds.latest.reportId"),
    );
  });

  it("finds the destination and reports again instead of creating duplicates", async () => {
    const again = await sync("dev", ["--looker-template", "tmplFlag"]);
    expect(again.code).toBe(0);
    expect(server.destinations.size).toBe(2);
    expect(server.reports.size).toBe(4);
    expect(linkOf(again.stdout, "dev").searchParams.get("c.reportId")).toBe("tmplFlag");
  });
});
