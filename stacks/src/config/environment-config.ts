import { MIN_BYTES_SCANNED_CUTOFF } from "@openaq-lakehouse/infra";
import type { Environment } from "@openaq-lakehouse/pipeline-core";
import type * as pulumi from "@pulumi/pulumi";
import { ConfigReader, PATTERNS } from "./config-reader.js";

/** An environment stack's settings (Pulumi.dev.yaml, Pulumi.prod.yaml). */
export interface EnvironmentConfig {
  env: Environment;
  region: string;
  /** Fully qualified name of the platform stack, `org/project/platform`. */
  platformStack: string;
  openaqApiKey: pulumi.Output<string>;
  athenaBytesScannedCutoff: number;
  projectionFirstYear: number;
  crawler: boolean;
  crawlerSchedule?: string;
  owoxResultsExpirationDays: number;
}

export function readEnvironmentConfig(
  env: Environment,
  cfg: ConfigReader,
  aws: ConfigReader,
  defaults: { platformStack: string },
): EnvironmentConfig {
  const config: EnvironmentConfig = {
    env,
    region: aws.string("region", {
      pattern: PATTERNS.region,
      expected: "an AWS region such as ap-southeast-1",
    }),
    platformStack: cfg.string("platformStack", {
      default: defaults.platformStack,
      pattern: PATTERNS.stackRef,
      expected: "a stack name org/project/stack",
    }),
    openaqApiKey: cfg.secret("openaqApiKey", {
      minLength: 8,
      hint: `pulumi config set --secret openaqApiKey <key> --stack ${env}`,
    }),
    athenaBytesScannedCutoff: cfg.integer("athenaBytesScannedCutoff", {
      default: 1_073_741_824,
      min: MIN_BYTES_SCANNED_CUTOFF,
      max: 1_000_000_000_000_000,
    }),
    projectionFirstYear: cfg.integer("projectionFirstYear", { default: 2016, min: 2000, max: 2099 }),
    crawler: cfg.boolean("crawler", { default: false }),
    crawlerSchedule: cfg.optionalString("crawlerSchedule", {
      pattern: /^cron\(.+\)$/,
      expected: "a Glue schedule such as cron(15 3 * * ? *)",
    }),
    owoxResultsExpirationDays: cfg.integer("owoxResultsExpirationDays", { default: 1, min: 1, max: 365 }),
  };
  ConfigReader.finish(aws, cfg);
  return config;
}
