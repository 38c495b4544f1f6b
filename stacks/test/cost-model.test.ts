import {
  AIRFLOW_BUNDLE_PREFIX,
  DEFAULT_SLEEP,
  type RecordedResource,
  SLEEP_CONF_PATH,
  sleepConf,
  wakeDescription,
  wakesFor,
} from "@openaq-lakehouse/infra";
import { describe, expect, it } from "vitest";
import { configOverrides, costReport } from "../src/cost/main.js";
import { type CostLine, estimate, formatReport, hostHoursPerMonth } from "../src/cost/model.js";
import { AP_SOUTHEAST_1, priceTable } from "../src/cost/prices.js";
import { DAYS_PER_MONTH, VIETNAM } from "../src/cost/usage.js";

const MONTH_HOURS = 24 * DAYS_PER_MONTH;

function platformGraph(opts: { sleeping: boolean; volume?: number; type?: string }): RecordedResource[] {
  const wakes = wakesFor(["0 2 * * *", "30 2 * * *"], DEFAULT_SLEEP);
  return [
    {
      type: "aws:ec2/instance:Instance",
      name: "airflow-instance",
      inputs: {
        instanceType: opts.type ?? "t3.small",
        associatePublicIpAddress: true,
        rootBlockDevice: { volumeSize: opts.volume ?? 10, volumeType: "gp3" },
      },
    },
    {
      type: "aws:s3/bucketObjectv2:BucketObjectv2",
      name: "bundle-sleep",
      inputs: {
        key: `${AIRFLOW_BUNDLE_PREFIX}${SLEEP_CONF_PATH}`,
        content: sleepConf(opts.sleeping, DEFAULT_SLEEP),
      },
    },
    ...(opts.sleeping
      ? wakes.map((w) => ({
          type: "aws:scheduler/schedule:Schedule",
          name: `wake-${w.atMinute}`,
          inputs: { description: wakeDescription(w) },
        }))
      : []),
    { type: "aws:ecr/repository:Repository", name: "repo", id: "repo-1", inputs: {} },
    {
      type: "aws:ecr/lifecyclePolicy:LifecyclePolicy",
      name: "keep",
      inputs: { repository: "repo-1", policy: { rules: [{ selection: { countNumber: 10 } }] } },
    },
    { type: "aws:sns/topic:Topic", name: "alerts", inputs: {} },
    { type: "aws:ssm/parameter:Parameter", name: "pw", inputs: { type: "SecureString" } },
  ];
}

const prodGraph: RecordedResource[] = [
  { type: "aws:athena/workgroup:Workgroup", name: "wg", inputs: { name: "openaq-prod" } },
  { type: "aws:glue/catalogDatabase:CatalogDatabase", name: "db", inputs: {} },
];

function line(lines: CostLine[], stack: string, service: string): CostLine {
  const found = lines.filter((l) => l.stack === stack && l.service === service);
  if (found.length !== 1) throw new Error(`expected one ${stack}/${service} line, got ${found.length}`);
  return found[0] as CostLine;
}

const envOf = (s: string) => (s === "prod" || s === "dev" ? s : undefined);

describe("cost model on fixed inputs", () => {
  const report = estimate(
    [
      { stack: "platform", resources: platformGraph({ sleeping: true }) },
      { stack: "prod", resources: prodGraph },
    ],
    AP_SOUTHEAST_1,
    VIETNAM,
    envOf,
  );

  it("prices the sleeping host by the hours its wakes and idle window keep it up", () => {
    // 01:55 wake → dev 02:00–02:20 → prod 02:30–02:50 → 15 min idle → +2.5 min: 73 min a day.
    const hours = (73 / 60) * DAYS_PER_MONTH;
    expect(line(report.lines, "platform", "EC2").monthlyUsd).toBeCloseTo(hours * 0.0264, 6);
    expect(line(report.lines, "platform", "EC2").assumes).toContain("73 min/day");
    expect(line(report.lines, "platform", "Public IPv4").monthlyUsd).toBeCloseTo(hours * 0.005, 6);
    // The volume is billed all month, running or not.
    expect(line(report.lines, "platform", "EBS").monthlyUsd).toBeCloseTo(10 * 0.096, 6);
  });

  it("prices an always-on host for every hour of the month", () => {
    const always = hostHoursPerMonth(platformGraph({ sleeping: false }), VIETNAM);
    expect(always.hours).toBeCloseTo(MONTH_HOURS, 6);
    expect(always.why).toMatch(/always on/);
    const r = estimate(
      [{ stack: "platform", resources: platformGraph({ sleeping: false, volume: 30 }) }],
      AP_SOUTHEAST_1,
      VIETNAM,
      envOf,
    );
    // The seed's host: t3.small all month + its address + 30 GiB.
    expect(r.totalUsd).toBeGreaterThan(MONTH_HOURS * (0.0264 + 0.005) + 30 * 0.096);
  });

  it("prices Athena at the 10 MB minimum per query and S3 from rows and requests per day", () => {
    const athena = line(report.lines, "prod", "Athena");
    expect(athena.monthlyUsd).toBeCloseTo((50 * DAYS_PER_MONTH * 10 * 1024 ** 2 * 5) / 1024 ** 4, 9);
    expect(athena.assumes).toContain("50 queries/day");
    const days = 12 * DAYS_PER_MONTH;
    const rawBytes = 3 * (4800 * 700 + 206 * 600) * days;
    const processedBytes = 4800 * VIETNAM.processedBytesPerRow * days;
    expect(line(report.lines, "prod", "S3 storage").monthlyUsd).toBeCloseTo(
      ((rawBytes + processedBytes) / 1024 ** 3) * 0.025,
      9,
    );
    // Write-once raw: per day and run one body per request and one run manifest (no sidecars).
    const puts = 3 * (206 + 1 + 12) + 2 * 50;
    const gets = 3 * (206 + 1) + 50 * 60;
    expect(line(report.lines, "prod", "S3 requests").monthlyUsd).toBeCloseTo(
      ((puts * 0.005 + gets * 0.0004) / 1000) * DAYS_PER_MONTH,
      9,
    );
  });

  it("counts free tiers as free, and sums per stack and in total", () => {
    expect(line(report.lines, "platform", "EventBridge Scheduler").monthlyUsd).toBe(0);
    expect(line(report.lines, "platform", "SNS").monthlyUsd).toBe(0);
    expect(line(report.lines, "platform", "ECR").monthlyUsd).toBeCloseTo((0.2 + 9 * 0.05) * 0.1, 9);
    const sum = (s: string) =>
      report.lines.filter((l) => l.stack === s).reduce((a, l) => a + l.monthlyUsd, 0);
    expect(report.byStack).toEqual({ platform: sum("platform"), prod: sum("prod") });
    expect(report.totalUsd).toBeCloseTo(sum("platform") + sum("prod"), 9);
    const md = formatReport(report);
    expect(md).toContain("| platform | EBS | $0.96 |");
    expect(md).toMatch(/\| \*\*all\*\* \| total \| \*\*\$\d+\.\d\d\*\* \|/);
  });

  it("refuses what it cannot price instead of guessing", () => {
    expect(() =>
      estimate(
        [{ stack: "platform", resources: platformGraph({ sleeping: true, type: "m7i.large" }) }],
        AP_SOUTHEAST_1,
        VIETNAM,
        envOf,
      ),
    ).toThrow(/No ap-southeast-1 price for instance type m7i.large/);
    expect(() => priceTable("eu-west-1")).toThrow(/No price table for region eu-west-1/);
  });
});

describe("pnpm cost --config", () => {
  it("turns key=value pairs into fully qualified config, and rejects anything else", () => {
    expect(configOverrides(["airflowSleep=false", "aws:region=ap-southeast-1", "x=a=b"])).toEqual({
      "openaq-lakehouse:airflowSleep": "false",
      "aws:region": "ap-southeast-1",
      "openaq-lakehouse:x": "a=b",
    });
    expect(() => configOverrides(["airflowSleep"])).toThrow(/--config expects key=value/);
  });
});

describe("pnpm cost on the real stacks", () => {
  it("prices platform, dev and prod as their programs register them: under $3 a month for Vietnam", {
    timeout: 180_000,
  }, () => {
    const r = costReport();
    expect(Object.keys(r.byStack)).toEqual(["platform", "dev", "prod"]);
    expect(r.region).toBe("ap-southeast-1");
    expect(line(r.lines, "platform", "EC2").assumes).toMatch(/sleeping: 2 daily wake\(s\)/);
    expect(line(r.lines, "dev", "Athena").assumes).toContain("openaq-dev");
    expect(r.totalUsd).toBeGreaterThan(1);
    expect(r.totalUsd).toBeLessThan(3);
  });
});
