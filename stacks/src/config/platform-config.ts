import { DEFAULT_SLEEP } from "@openaq-lakehouse/infra";
import {
  CATALOG_MODES,
  type CatalogMode,
  ENVIRONMENTS,
  type Environment,
  isIsoDay,
} from "@openaq-lakehouse/pipeline-core";
import type * as pulumi from "@pulumi/pulumi";
import { ConfigReader, PATTERNS } from "./config-reader.js";

export interface DagSettings {
  startDate: string;
  schedule?: string;
  /**
   * How that environment's `catalog` task registers new days: `projection` (default), `partitions`,
   * or `crawler`, which starts the environment's Glue crawler (set `crawler: true` in that
   * environment's stack too, which creates it).
   */
  catalogMode?: CatalogMode;
}

/** The platform stack's settings (Pulumi.platform.yaml). */
export interface PlatformConfig {
  region: string;
  alertEmail: string;
  airflowInstanceType: string;
  airflowRootVolumeGiB: number;
  airflowSubnetId?: string;
  /** The host sleeps between DAG runs: started on a schedule, stopped by its idle check. */
  airflowSleep: boolean;
  airflowIdleMinutes: number;
  airflowWakeLeadMinutes: number;
  airflowAdminPassword: pulumi.Output<string>;
  dags: Record<Environment, DagSettings>;
  ecrKeepImages: number;
  rawToInfrequentAccessDays: number;
  quarantineExpirationDays: number;
  athenaResultsExpirationDays: number;
  noncurrentVersionExpirationDays: number;
  protectData: boolean;
  /** Scan cutoff of the account's `primary` workgroup, where OWOX's queries run (bytes). */
  owoxBytesScannedCutoff: number;
}

const CRON = /^(@daily|@hourly|@weekly|@monthly|([0-9*,/-]+\s+){4}[0-9*,/A-Za-z-]+)$/;

export function parseDags(value: unknown): { value?: Record<Environment, DagSettings>; problems: string[] } {
  const problems: string[] = [];
  if (!value || typeof value !== "object" || Array.isArray(value))
    return { problems: ["must be a map with one entry per environment (dev, prod)"] };
  const map = value as Record<string, unknown>;
  const unknown = Object.keys(map).filter((k) => !(ENVIRONMENTS as readonly string[]).includes(k));
  if (unknown.length > 0)
    problems.push(`unknown environment(s) ${unknown.join(", ")}; expected ${ENVIRONMENTS.join(", ")}`);
  const out = {} as Record<Environment, DagSettings>;
  for (const env of ENVIRONMENTS) {
    const entry = map[env] as Record<string, unknown> | undefined;
    if (!entry || typeof entry !== "object") {
      problems.push(`${env} is required (with startDate: YYYY-MM-DD)`);
      continue;
    }
    const startDate = entry.startDate;
    if (typeof startDate !== "string" || !isIsoDay(startDate))
      problems.push(`${env}.startDate must be a real day as YYYY-MM-DD, got ${JSON.stringify(startDate)}`);
    const schedule = entry.schedule;
    if (schedule !== undefined && (typeof schedule !== "string" || !CRON.test(schedule.trim()))) {
      problems.push(`${env}.schedule must be a cron expression, got ${JSON.stringify(schedule)}`);
    }
    const catalogMode = entry.catalogMode;
    if (catalogMode !== undefined && !(CATALOG_MODES as readonly unknown[]).includes(catalogMode)) {
      problems.push(
        `${env}.catalogMode must be one of ${CATALOG_MODES.join(", ")}, got ${JSON.stringify(catalogMode)}`,
      );
    }
    out[env] = {
      startDate: String(startDate),
      ...(typeof schedule === "string" ? { schedule } : {}),
      ...(typeof catalogMode === "string" ? { catalogMode: catalogMode as CatalogMode } : {}),
    };
  }
  return problems.length > 0 ? { problems } : { value: out, problems };
}

export function readPlatformConfig(cfg: ConfigReader, aws: ConfigReader): PlatformConfig {
  const config: PlatformConfig = {
    region: aws.string("region", {
      pattern: PATTERNS.region,
      expected: "an AWS region such as ap-southeast-1",
    }),
    alertEmail: cfg.string("alertEmail", {
      pattern: PATTERNS.email,
      expected: "an e-mail address",
      hint: "where failed-run alerts go",
    }),
    airflowInstanceType: cfg.string("airflowInstanceType", {
      default: "t3.small",
      pattern: PATTERNS.instanceType,
      expected: "an EC2 instance type such as t3.small",
    }),
    // 10 GiB: the disk budget in docs/cost.md (OS, swap, images, Postgres, logs) plus headroom; 8 is
    // the AMI's own size. Raising it later resizes the volume in place.
    airflowRootVolumeGiB: cfg.integer("airflowRootVolumeGiB", { default: 10, min: 8, max: 500 }),
    airflowSubnetId: cfg.optionalString("airflowSubnetId", {
      pattern: PATTERNS.subnetId,
      expected: "a subnet id (subnet-…)",
    }),
    airflowSleep: cfg.boolean("airflowSleep", { default: true }),
    airflowIdleMinutes: cfg.integer("airflowIdleMinutes", {
      default: DEFAULT_SLEEP.idleMinutes,
      min: 5,
      max: 720,
    }),
    airflowWakeLeadMinutes: cfg.integer("airflowWakeLeadMinutes", {
      default: DEFAULT_SLEEP.wakeLeadMinutes,
      min: 3,
      max: 120,
    }),
    airflowAdminPassword: cfg.secret("airflowAdminPassword", {
      minLength: 12,
      hint: "pulumi config set --secret airflowAdminPassword <password> --stack platform",
    }),
    dags: cfg.object("dags", parseDags),
    ecrKeepImages: cfg.integer("ecrKeepImages", { default: 10, min: 1, max: 1000 }),
    rawToInfrequentAccessDays: cfg.integer("rawToInfrequentAccessDays", { default: 30, min: 30, max: 3650 }),
    quarantineExpirationDays: cfg.integer("quarantineExpirationDays", { default: 90, min: 1, max: 3650 }),
    athenaResultsExpirationDays: cfg.integer("athenaResultsExpirationDays", { default: 7, min: 1, max: 365 }),
    noncurrentVersionExpirationDays: cfg.integer("noncurrentVersionExpirationDays", {
      default: 30,
      min: 1,
      max: 3650,
    }),
    protectData: cfg.boolean("protectData", { default: true }),
    // Athena's minimum cutoff is 10 MB; 1 GiB is plenty for dashboards over one country's views.
    owoxBytesScannedCutoff: cfg.integer("owoxBytesScannedCutoff", {
      default: 1_073_741_824,
      min: 10_000_000,
      max: 1_000_000_000_000,
    }),
  };
  ConfigReader.finish(aws, cfg);
  return config;
}
