import { afterEach, describe, expect, it } from "vitest";
import { owoxDataMarts, owoxStorageTitle } from "../src/environment/owox-output.js";
import { encodeOwoxApiKey } from "../src/owox/api-key.js";
import { owoxSyncHarness } from "./support/owox-sync.js";

/** The OWOX sync against a local server that speaks (and validates) OWOX's REST API. */

const { server, writeOutput, run } = owoxSyncHarness("owox-sync");

/** What `pulumi stack output --json --show-secrets --stack dev` prints for the dev stack. */
function devStackOutput(
  credentials = { accessKeyId: "AKIADEVKEY0000000001", secretAccessKey: "dev/secret+key/1" },
) {
  return {
    environment: "dev",
    bucket: "openaq-lake-5e1f2a3",
    database: "openaq_dev",
    workgroup: "openaq-dev",
    owox: {
      environment: "dev",
      storage: {
        type: "AWS_ATHENA",
        title: owoxStorageTitle("dev"),
        config: { region: "ap-southeast-1", outputBucket: "owox-dev-results-3d84ba9" },
        credentials,
      },
      dataMarts: owoxDataMarts("dev"),
    },
  };
}

afterEach(() => {
  server.requests.length = 0;
});

describe("owox:sync", () => {
  it("creates the Athena storage and one published VIEW data mart per serving view", async () => {
    const { code, stdout, stderr } = await run(["--from", writeOutput(devStackOutput()), "--json"]);
    expect(stderr).toBe("");
    expect(code).toBe(0);
    const report = JSON.parse(stdout);
    expect(report.storage.action).toBe("created");
    expect(report.storage.accessValid).toBe(true);
    expect(report.dataMarts.map((m: { action: string }) => m.action)).toEqual(["created", "created"]);

    const storages = [...server.storages.values()];
    expect(storages).toHaveLength(1);
    expect(storages[0]).toMatchObject({
      type: "AWS_ATHENA",
      title: "OpenAQ Athena (dev)",
      config: { region: "ap-southeast-1", outputBucket: "owox-dev-results-3d84ba9" },
      credentials: { accessKeyId: "AKIADEVKEY0000000001", secretAccessKey: "dev/secret+key/1" },
      sharedForUse: true,
      sharedForMaintenance: true,
    });
    const marts = [...server.dataMarts.values()];
    expect(marts.map((m) => [m.title, m.definitionType, m.definition, m.status, m.storageId])).toEqual([
      [
        "OpenAQ Latest AQI (dev)",
        "VIEW",
        { fullyQualifiedName: "openaq_dev.view_latest_aqi" },
        "PUBLISHED",
        storages[0]?.id,
      ],
      [
        "OpenAQ Daily average (dev)",
        "VIEW",
        { fullyQualifiedName: "openaq_dev.view_daily_average" },
        "PUBLISHED",
        storages[0]?.id,
      ],
    ]);
    // The storage is created with only its type, then configured with exactly OWOX's update DTO.
    const storageWrites = server.requests.filter(
      (r) => r.path.startsWith("/api/data-storages") && r.method !== "GET",
    );
    expect(storageWrites[0]).toEqual({
      method: "POST",
      path: "/api/data-storages",
      body: { type: "AWS_ATHENA" },
    });
    expect(storageWrites[1]?.body).toEqual({
      title: "OpenAQ Athena (dev)",
      config: { region: "ap-southeast-1", outputBucket: "owox-dev-results-3d84ba9" },
      credentials: { accessKeyId: "AKIADEVKEY0000000001", secretAccessKey: "dev/secret+key/1" },
    });
    // The secret goes to OWOX but never to the report.
    expect(stdout).not.toContain("dev/secret+key/1");
  });

  it("changes nothing when run again with the same outputs", async () => {
    const before = server.snapshot();
    const { code, stdout } = await run(["--from", writeOutput(devStackOutput())]);
    expect(code).toBe(0);
    expect(server.mutations()).toEqual([]);
    expect(server.snapshot()).toEqual(before);
    expect(stdout).toContain(`storage "OpenAQ Athena (dev)"`);
    // storage, two data marts, the Looker Studio destination and its two reports
    expect(stdout.match(/: unchanged/g)).toHaveLength(6);
  });

  it("updates only the storage when the access key was rotated", async () => {
    const rotated = { accessKeyId: "AKIADEVKEY0000000002", secretAccessKey: "dev/secret+key/2" };
    const { code, stdout } = await run(["--from", writeOutput(devStackOutput(rotated)), "--json"]);
    expect(code).toBe(0);
    const report = JSON.parse(stdout);
    expect(report.storage.action).toBe("updated");
    expect(report.dataMarts.map((m: { action: string }) => m.action)).toEqual(["unchanged", "unchanged"]);
    expect(server.mutations().map((r) => `${r.method} ${r.path.replace(/[0-9a-f-]{36}/, ":id")}`)).toEqual([
      "PUT /api/data-storages/:id",
    ]);
    expect([...server.storages.values()][0]?.credentials).toEqual(rotated);
  });

  it("repairs a data mart whose definition was changed in OWOX", async () => {
    const mart = [...server.dataMarts.values()].find((m) => m.title === "OpenAQ Daily average (dev)");
    if (!mart) throw new Error("the first sync created no daily-average data mart");
    mart.definition = { fullyQualifiedName: "openaq_prod.view_daily_average" };
    const rotated = { accessKeyId: "AKIADEVKEY0000000002", secretAccessKey: "dev/secret+key/2" };
    const { code, stdout } = await run(["--from", writeOutput(devStackOutput(rotated)), "--json"]);
    expect(code).toBe(0);
    expect(JSON.parse(stdout).dataMarts.map((m: { action: string }) => m.action)).toEqual([
      "unchanged",
      "updated",
    ]);
    expect(mart.definition).toEqual({ fullyQualifiedName: "openaq_dev.view_daily_average" });
    expect(server.mutations()).toEqual([
      {
        method: "PUT",
        path: `/api/data-marts/${mart.id}/definition`,
        body: { definitionType: "VIEW", definition: { fullyQualifiedName: "openaq_dev.view_daily_average" } },
      },
    ]);
  });

  it("follows the data-mart list's pages to find existing marts (no duplicates)", async () => {
    server.pageSize = 1;
    const rotated = { accessKeyId: "AKIADEVKEY0000000002", secretAccessKey: "dev/secret+key/2" };
    const { code } = await run(["--from", writeOutput(devStackOutput(rotated))]);
    server.pageSize = 2;
    expect(code).toBe(0);
    expect(server.dataMarts.size).toBe(2);
    expect(server.mutations()).toEqual([]);
  });

  it("asks for --show-secrets when the outputs hide the secret", async () => {
    const hidden = { ...devStackOutput(), owox: "[secret]" };
    const { code, stderr } = await run(["--from", writeOutput(hidden)]);
    expect(code).toBe(1);
    expect(stderr).toBe(
      "owox:sync: Output `owox` is hidden: read the outputs with `pulumi stack output --json --show-secrets`.\n",
    );
    expect(server.requests).toEqual([]);
  });

  it("refuses a data mart name OWOX would reject, before calling OWOX", async () => {
    const bad = devStackOutput();
    const [first, ...rest] = bad.owox.dataMarts;
    if (!first) throw new Error("no data mart in the outputs");
    bad.owox.dataMarts = [{ ...first, definition: { fullyQualifiedName: "openaq_dev view" } }, ...rest];
    const { code, stderr } = await run(["--from", writeOutput(bad)]);
    expect(code).toBe(1);
    expect(stderr).toContain("is not database.view");
    expect(server.requests).toEqual([]);
  });

  it("fails with one clear sentence on a missing or refused API key, without printing it", async () => {
    const file = writeOutput(devStackOutput());
    expect((await run(["--from", file], {})).stderr).toBe(
      "owox:sync: Set OWOX_API_KEY to an OWOX API key (Project settings → My API Keys).\n",
    );
    const wrong = encodeOwoxApiKey({
      apiOrigin: server.origin,
      apiKeyId: server.apiKeyId,
      apiKeySecret: "not-the-secret",
    });
    const { code, stderr } = await run(["--from", file], { OWOX_API_KEY: wrong });
    expect(code).toBe(1);
    expect(stderr).toBe("owox:sync: OWOX refused the API key (401 on POST /api/auth/api-keys/exchange).\n");
    expect(stderr).not.toContain("not-the-secret");
  });

  it("refuses to guess when OWOX holds two storages with the environment's title", async () => {
    const existing = [...server.storages.values()][0];
    if (!existing) throw new Error("the first sync created no storage");
    server.storages.set("dup", { ...existing, id: "dup" });
    try {
      const { code, stderr } = await run(["--from", writeOutput(devStackOutput())]);
      expect(code).toBe(1);
      expect(stderr).toContain('OWOX has 2 storages titled "OpenAQ Athena (dev)"');
    } finally {
      server.storages.delete("dup");
    }
  });

  it("checks that --stack and the outputs name the same environment", async () => {
    const { code, stderr } = await run(["--from", writeOutput(devStackOutput()), "--stack", "prod"]);
    expect(code).toBe(1);
    expect(stderr).toBe("owox:sync: Stack prod holds the outputs of environment dev.\n");
  });
});
