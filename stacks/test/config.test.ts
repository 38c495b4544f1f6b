import { resolve } from "node:path";
import { installMocks, readStackConfig } from "@openaq-lakehouse/infra/mocks";
import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { ConfigError, ConfigReader, type ConfigSource } from "../src/config/config-reader.js";
import { parseDags } from "../src/config/platform-config.js";
import { PLATFORM_OUTPUTS } from "./support/platform-outputs.js";
import { ROOT } from "./support/run-stack.js";

/** A wrong or missing value stops the program before any resource, with a message naming the key. */

const platformFile = () => readStackConfig(resolve(ROOT, "Pulumi.platform.yaml"));
const devFile = () => readStackConfig(resolve(ROOT, "Pulumi.dev.yaml"));

async function run(stack: string, config: Record<string, string>): Promise<unknown> {
  const { resources } = await installMocks({ stack, config, stackOutputs: PLATFORM_OUTPUTS });
  const { default: main } = await import("../src/index.js");
  try {
    await main();
  } catch (e) {
    // Nothing but the read of the platform stack happens before a config error.
    expect(resources.filter((r) => r.type !== "pulumi:pulumi:StackReference")).toEqual([]);
    return e;
  }
  throw new Error("expected the program to fail");
}

describe("platform stack config", () => {
  it("names every missing required key, with how to set it", async () => {
    const e = (await run("platform", platformFile())) as ConfigError;
    expect(e).toBeInstanceOf(ConfigError);
    expect(pulumi.RunError.isInstance(e)).toBe(true); // Pulumi prints it without a stack trace
    expect(e.problems).toEqual([
      "openaq-lakehouse:alertEmail is required (where failed-run alerts go).",
      "openaq-lakehouse:airflowAdminPassword is required (pulumi config set --secret airflowAdminPassword <password> --stack platform).",
    ]);
    expect(e.message).toContain("Invalid configuration for stack 'platform'");
  });

  it("names each wrong value and what it must be, without echoing secrets", async () => {
    const e = (await run("platform", {
      ...platformFile(),
      "aws:region": "singapore",
      "openaq-lakehouse:alertEmail": "not-an-address",
      "openaq-lakehouse:airflowAdminPassword": "short",
      "openaq-lakehouse:airflowRootVolumeGiB": "5",
      "openaq-lakehouse:airflowIdleMinutes": "1",
      "openaq-lakehouse:airflowInstanceType": "t3 small",
      "openaq-lakehouse:rawToInfrequentAccessDays": "10",
      "openaq-lakehouse:protectData": "yes",
      "openaq-lakehouse:dags": JSON.stringify({
        dev: { startDate: "2026-13-01" },
        prod: { startDate: "2026-11-01", schedule: "daily" },
      }),
    })) as ConfigError;
    expect(e.problems).toEqual([
      'aws:region must be an AWS region such as ap-southeast-1, got "singapore".',
      'openaq-lakehouse:alertEmail must be an e-mail address, got "not-an-address".',
      'openaq-lakehouse:airflowInstanceType must be an EC2 instance type such as t3.small, got "t3 small".',
      'openaq-lakehouse:airflowRootVolumeGiB must be an integer from 8 to 500, got "5".',
      'openaq-lakehouse:airflowIdleMinutes must be an integer from 5 to 720, got "1".',
      "openaq-lakehouse:airflowAdminPassword must be at least 12 characters long.",
      'openaq-lakehouse:dags: dev.startDate must be a real day as YYYY-MM-DD, got "2026-13-01"',
      'openaq-lakehouse:dags: prod.schedule must be a cron expression, got "daily"',
      'openaq-lakehouse:rawToInfrequentAccessDays must be an integer from 30 to 3650, got "10".',
      'openaq-lakehouse:protectData must be true or false, got "yes".',
    ]);
    expect(e.message).not.toContain("short");
  });

  it("accepts the real stack file plus the two deployment-specific keys", () => {
    const cfg = new ConfigReader(
      source("openaq-lakehouse", { ...stripNamespace(platformFile(), "openaq-lakehouse") }),
      "platform",
    );
    expect(
      parseDags(JSON.parse(String(stripNamespace(platformFile(), "openaq-lakehouse").dags))).problems,
    ).toEqual([]);
    expect(cfg.integer("airflowRootVolumeGiB", { min: 8, max: 500 })).toBe(10);
    expect(cfg.boolean("airflowSleep")).toBe(true);
    expect(cfg.integer("airflowIdleMinutes", { min: 5, max: 720 })).toBe(15);
    expect(cfg.integer("airflowWakeLeadMinutes", { min: 3, max: 120 })).toBe(5);
    expect(() => cfg.done()).not.toThrow();
  });
});

describe("environment stack config", () => {
  it("names the missing OpenAQ API key and how to set it", async () => {
    const e = (await run("dev", devFile())) as ConfigError;
    expect(e.problems).toEqual([
      "openaq-lakehouse:openaqApiKey is required (pulumi config set --secret openaqApiKey <key> --stack dev).",
    ]);
  });

  it("names a bytes-scanned cutoff below Athena's minimum and an invalid platform stack name", async () => {
    const e = (await run("dev", {
      ...devFile(),
      "openaq-lakehouse:openaqApiKey": "k".repeat(32),
      "openaq-lakehouse:athenaBytesScannedCutoff": "1000",
      "openaq-lakehouse:platformStack": "platform",
    })) as ConfigError;
    expect(e.problems).toEqual([
      'openaq-lakehouse:platformStack must be a stack name org/project/stack, got "platform".',
      'openaq-lakehouse:athenaBytesScannedCutoff must be an integer from 10485760 to 1000000000000000, got "1000".',
    ]);
  });

  it("requires aws:region", async () => {
    const config: Record<string, string> = { ...devFile(), "openaq-lakehouse:openaqApiKey": "k".repeat(32) };
    delete config["aws:region"];
    const e = (await run("prod", config)) as ConfigError;
    expect(e.problems).toEqual(["aws:region is required."]);
  });

  it("refuses a stack that is neither the platform nor an environment", async () => {
    const e = (await run("staging", devFile())) as ConfigError;
    expect(e.message).toBe("Stack 'staging' is neither 'platform' nor an environment (dev, prod).");
  });
});

function stripNamespace(config: Record<string, string>, ns: string): Record<string, string> {
  return Object.fromEntries(
    Object.entries(config)
      .filter(([k]) => k.startsWith(`${ns}:`))
      .map(([k, v]) => [k.slice(ns.length + 1), v]),
  );
}

function source(name: string, values: Record<string, string>): ConfigSource {
  return {
    name,
    get: (k) => values[k],
    getSecret: (k) => (values[k] === undefined ? undefined : pulumi.secret(values[k] as string)),
  };
}

describe("environment stack against the platform", () => {
  it("fails before declaring any resource when its aws:region differs from the platform's", async () => {
    const { resources } = await installMocks({
      stack: "dev",
      config: { ...devFile(), "aws:region": "eu-west-1", "openaq-lakehouse:openaqApiKey": "k".repeat(32) },
      stackOutputs: PLATFORM_OUTPUTS,
    });
    const { default: main } = await import("../src/index.js");
    await expect(main()).rejects.toThrow(
      "aws:region is eu-west-1 but the platform stack openaq/openaq-lakehouse/platform is in ap-southeast-1; use the same region.",
    );
    expect(resources.map((r) => r.type)).toEqual(["pulumi:pulumi:StackReference"]);
  });
});
