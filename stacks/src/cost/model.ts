import {
  AIRFLOW_BUNDLE_PREFIX,
  awakeMinutesPerDay,
  IDLE_CHECK_INTERVAL_MINUTES,
  parseSleepConf,
  parseWakeDescription,
  type RecordedResource,
  SLEEP_CONF_PATH,
  SYNC_INTERVAL_MINUTES,
} from "@openaq-lakehouse/infra";
import { addCount, type Environment } from "@openaq-lakehouse/pipeline-core";
import type { PriceTable } from "./prices.js";
import { DAYS_PER_MONTH, type UsageAssumptions } from "./usage.js";

/** One stack's registered resources (as the Pulumi mocks record them). */
export interface StackGraph {
  stack: string;
  resources: readonly RecordedResource[];
}

export interface CostLine {
  stack: string;
  service: string;
  monthlyUsd: number;
  /** What the number is made of and what it assumes. */
  assumes: string;
}

export interface CostReport {
  region: string;
  pricesRecorded: string;
  usage: string;
  lines: CostLine[];
  byStack: Record<string, number>;
  totalUsd: number;
}

const HOURS_PER_MONTH = 24 * DAYS_PER_MONTH;
const GB = 1024 ** 3;
const MB = 1024 ** 2;

function ofType(r: readonly RecordedResource[], type: string): RecordedResource[] {
  return r.filter((x) => x.type === type);
}

function money(n: number): string {
  return `$${n.toFixed(n < 0.1 && n > 0 ? 4 : 2)}`;
}

function num(n: number, digits = 0): string {
  return n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

/** How many hours a month the Airflow host runs: from its wake schedules and idle check, or always. */
export function hostHoursPerMonth(
  resources: readonly RecordedResource[],
  usage: UsageAssumptions,
): { hours: number; why: string } {
  const schedules = ofType(resources, "aws:scheduler/schedule:Schedule");
  const conf = ofType(resources, "aws:s3/bucketObjectv2:BucketObjectv2").find(
    (o) => o.inputs.key === `${AIRFLOW_BUNDLE_PREFIX}${SLEEP_CONF_PATH}`,
  );
  const sleep = conf ? parseSleepConf(String(conf.inputs.content)) : undefined;
  if (schedules.length === 0 || !sleep?.enabled) {
    return { hours: HOURS_PER_MONTH, why: "always on (no wake schedule / sleeping off)" };
  }
  const wakes = schedules.map((s) => parseWakeDescription(String(s.inputs.description)));
  const minutes = awakeMinutesPerDay(wakes, sleep.idleMinutes, usage.dagRunMinutes);
  const fires = wakes.flatMap((w) => w.fires).length;
  return {
    hours: (minutes / 60) * DAYS_PER_MONTH,
    why: `sleeping: ${wakes.length} daily wake(s) for ${fires} DAG run(s) of ${usage.dagRunMinutes} min, idle window ${sleep.idleMinutes} min, checks every ${IDLE_CHECK_INTERVAL_MINUTES} min → ${num(minutes)} min/day`,
  };
}

function platformLines(g: StackGraph, p: PriceTable, u: UsageAssumptions): CostLine[] {
  const lines: CostLine[] = [];
  const add = (service: string, monthlyUsd: number, assumes: string) =>
    lines.push({ stack: g.stack, service, monthlyUsd, assumes });

  for (const instance of ofType(g.resources, "aws:ec2/instance:Instance")) {
    const type = String(instance.inputs.instanceType);
    const rate = p.ec2PerHour[type];
    if (rate === undefined)
      throw new Error(`No ${p.region} price for instance type ${type} in the price table.`);
    const { hours, why } = hostHoursPerMonth(g.resources, u);
    add("EC2", hours * rate, `${type} × ${num(hours, 1)} h/month at $${rate}/h; ${why}`);
    const root = instance.inputs.rootBlockDevice as { volumeSize?: number; volumeType?: string } | undefined;
    const gib = Number(root?.volumeSize ?? 8);
    add(
      "EBS",
      gib * p.ebsGp3PerGbMonth,
      `${gib} GiB ${root?.volumeType ?? "gp3"} root volume, billed whether running or stopped, at $${p.ebsGp3PerGbMonth}/GB-month`,
    );
    if (instance.inputs.associatePublicIpAddress) {
      add(
        "Public IPv4",
        hours * p.publicIpv4PerHour,
        `1 address while running (${num(hours, 1)} h) at $${p.publicIpv4PerHour}/h; released while stopped`,
      );
    }
    // The sync timer lists the bundle prefix every few minutes while the host is up.
    const lists = (hours * 60) / SYNC_INTERVAL_MINUTES;
    add(
      "S3 requests",
      (lists * 2 * p.s3PutCopyPostListPer1000) / 1000,
      `bundle sync: ${num(lists)} runs/month × 2 LIST requests`,
    );
  }

  const schedules = ofType(g.resources, "aws:scheduler/schedule:Schedule");
  if (schedules.length > 0) {
    const n = schedules.length * DAYS_PER_MONTH;
    const billable = Math.max(0, n - p.schedulerFreeInvocationsPerMonth);
    add(
      "EventBridge Scheduler",
      (billable * p.schedulerPerMillion) / 1e6,
      `${num(n)} invocations/month (${schedules.length} schedule(s) daily); ${num(p.schedulerFreeInvocationsPerMonth)} free`,
    );
  }

  for (const repo of ofType(g.resources, "aws:ecr/repository:Repository")) {
    const policy = ofType(g.resources, "aws:ecr/lifecyclePolicy:LifecyclePolicy").find(
      (l) => l.inputs.repository === repo.id,
    );
    const raw = policy?.inputs.policy;
    const rules = (typeof raw === "string" ? JSON.parse(raw) : (raw ?? {})) as {
      rules?: Array<{ selection?: { countNumber?: number } }>;
    };
    const keep = rules.rules?.map((r) => r.selection?.countNumber ?? 0).find((c) => c > 0) ?? 1;
    const gb = u.imageGb + (keep - 1) * u.olderImageLayersGb;
    add(
      "ECR",
      gb * p.ecrPerGbMonth,
      `${keep} images kept: ${u.imageGb} GB + ${keep - 1} × ${u.olderImageLayersGb} GB of changed layers = ${num(gb, 2)} GB at $${p.ecrPerGbMonth}/GB-month`,
    );
  }

  const topics = ofType(g.resources, "aws:sns/topic:Topic").length;
  if (topics > 0) {
    const billable = Math.max(0, u.failureAlertsPerMonth - p.snsFreeEmailsPerMonth);
    add(
      "SNS",
      (billable * p.snsEmailPer100k) / 100_000,
      `${u.failureAlertsPerMonth} failed-run e-mails/month; ${num(p.snsFreeEmailsPerMonth)} e-mails free`,
    );
  }
  paramLines(g, p, add);
  return lines;
}

function paramLines(g: StackGraph, p: PriceTable, add: (s: string, usd: number, a: string) => void): void {
  const params = ofType(g.resources, "aws:ssm/parameter:Parameter").filter(
    (r) => (r.inputs.tier ?? "Standard") === "Standard",
  );
  if (params.length > 0)
    add(
      "SSM Parameter Store",
      params.length * p.ssmStandardParameterPerMonth,
      `${params.length} standard parameter(s), standard throughput: free`,
    );
}

function environmentLines(g: StackGraph, env: Environment, p: PriceTable, u: UsageAssumptions): CostLine[] {
  const lines: CostLine[] = [];
  const add = (service: string, monthlyUsd: number, assumes: string) =>
    lines.push({ stack: g.stack, service, monthlyUsd, assumes });
  const rowsPerDay = u.sensors * u.measurementsPerSensorPerDay;
  const rawPerRun =
    u.daysPerRun * (rowsPerDay * u.rawBytesPerMeasurement + u.apiRequestsPerDay * u.rawManifestBytesPerPage);
  const days = u.lakeAgeMonths * DAYS_PER_MONTH;
  const rawGb = (rawPerRun * days) / GB;
  const processedGb = (rowsPerDay * u.processedBytesPerRow * days) / GB;
  // Raw pages are far below 128 KB: S3 lifecycle does not move objects that small to Infrequent Access.
  add(
    "S3 storage",
    (rawGb + processedGb) * p.s3StandardPerGbMonth,
    `${env}/ after ${u.lakeAgeMonths} months: raw ${num(rawGb, 2)} GB (${num(rowsPerDay)} rows/day × ${u.rawBytesPerMeasurement} B JSON + a run manifest of ${u.apiRequestsPerDay} pages, ${u.daysPerRun} days per run, every run kept: an upper bound, since an unchanged answer is stored once) + processed ${num(processedGb * 1024, 1)} MB (${u.processedBytesPerRow} B/row Parquet); Standard at $${p.s3StandardPerGbMonth}/GB-month`,
  );
  const q = u.queriesPerDay[env];
  // Per day and run: one body per request (write-once: at most), one run manifest, the other objects.
  const putsPerDay = u.daysPerRun * (u.apiRequestsPerDay + 1 + u.otherPutsPerDay) + 2 * q;
  const getsPerDay = u.daysPerRun * (u.apiRequestsPerDay + 1) + q * u.objectsReadPerQuery;
  add(
    "S3 requests",
    ((putsPerDay * p.s3PutCopyPostListPer1000 + getsPerDay * p.s3GetPer1000) / 1000) * DAYS_PER_MONTH,
    `per day: ${num(putsPerDay)} PUT/LIST (${u.daysPerRun} days × (${u.apiRequestsPerDay} bodies + 1 run manifest + ${u.otherPutsPerDay} processed/state/lease objects) + 2 result objects per query), ${num(getsPerDay)} GET (transform reads each body and the manifest, ${u.objectsReadPerQuery} objects per query)`,
  );
  for (const wg of ofType(g.resources, "aws:athena/workgroup:Workgroup")) {
    const billed = Math.max(u.bytesScannedPerQuery, p.athenaMinimumBytesPerQuery);
    const tb = (q * DAYS_PER_MONTH * billed) / 1024 ** 4;
    add(
      "Athena",
      tb * p.athenaPerTbScanned,
      `${String(wg.inputs.name ?? wg.id)}: ${q} queries/day × ${num(u.bytesScannedPerQuery / MB, 1)} MB scanned, billed at the ${num(p.athenaMinimumBytesPerQuery / MB)} MB minimum, $${p.athenaPerTbScanned}/TB`,
    );
  }
  const catalog =
    ofType(g.resources, "aws:glue/catalogDatabase:CatalogDatabase").length +
    ofType(g.resources, "aws:glue/catalogTable:CatalogTable").length;
  if (catalog > 0)
    add(
      "Glue Data Catalog",
      0,
      `${catalog} objects (partition projection: no partitions stored); ${num(p.glueFreeObjects)} objects and 1M requests/month free`,
    );
  paramLines(g, p, add);
  return lines;
}

/** Prices every stack's graph. `environmentOf` names the environment of an environment stack. */
export function estimate(
  stacks: readonly StackGraph[],
  prices: PriceTable,
  usage: UsageAssumptions,
  environmentOf: (stack: string) => Environment | undefined,
): CostReport {
  const lines = stacks.flatMap((g) => {
    const env = environmentOf(g.stack);
    return env ? environmentLines(g, env, prices, usage) : platformLines(g, prices, usage);
  });
  const byStack: Record<string, number> = {};
  for (const l of lines) addCount(byStack, l.stack, l.monthlyUsd);
  return {
    region: prices.region,
    pricesRecorded: prices.recorded,
    usage: usage.name,
    lines,
    byStack,
    totalUsd: lines.reduce((a, l) => a + l.monthlyUsd, 0),
  };
}

/** The report as a Markdown table (README) or plain text. */
export function formatReport(r: CostReport): string {
  const rows = r.lines.map((l) => `| ${l.stack} | ${l.service} | ${money(l.monthlyUsd)} | ${l.assumes} |`);
  const totals = Object.entries(r.byStack).map(([s, usd]) => `| **${s}** | total | **${money(usd)}** | |`);
  return [
    `Estimated monthly cost, ${r.usage}, ${r.region} (prices recorded ${r.pricesRecorded}):`,
    "",
    "| stack | service | USD/month | assumes |",
    "|---|---|---|---|",
    ...rows,
    ...totals,
    `| **all** | total | **${money(r.totalUsd)}** | |`,
  ].join("\n");
}
