/**
 * THE price table of `pnpm cost`: on-demand list prices in USD for one region, dated, with where
 * each number comes from. Update the whole table (and `recorded`) when prices change.
 */
export interface PriceTable {
  region: string;
  /** When the prices below were recorded. */
  recorded: string;
  sources: string[];
  /** Linux on-demand, per instance-hour (per-second billing, 60 s minimum). */
  ec2PerHour: Record<string, number>;
  ebsGp3PerGbMonth: number;
  /** In-use public IPv4 address (auto-assigned ones are released while the instance is stopped). */
  publicIpv4PerHour: number;
  s3StandardPerGbMonth: number;
  s3PutCopyPostListPer1000: number;
  s3GetPer1000: number;
  athenaPerTbScanned: number;
  athenaMinimumBytesPerQuery: number;
  ecrPerGbMonth: number;
  /** SNS e-mail deliveries beyond the monthly free 1,000. */
  snsEmailPer100k: number;
  snsFreeEmailsPerMonth: number;
  /** EventBridge Scheduler invocations beyond the monthly free 14 million. */
  schedulerPerMillion: number;
  schedulerFreeInvocationsPerMonth: number;
  /** Standard parameters, standard throughput. */
  ssmStandardParameterPerMonth: number;
  /** Glue Data Catalog: first million objects stored and million requests a month are free. */
  glueFreeObjects: number;
}

export const AP_SOUTHEAST_1: PriceTable = {
  region: "ap-southeast-1",
  recorded: "2026-12-01",
  sources: [
    "EC2 t3.small/t3.medium, EBS gp3, public IPv4, S3 Standard storage and requests, ECR storage: line items of a published AWS invoice for Asia Pacific (Singapore), billing period May 2025 (e.g. '$0.0264 per On Demand Linux t3.small Instance Hour', '$0.096 per GB-month of General Purpose (gp3) provisioned storage - Asia Pacific (Singapore)', '$0.004 per 10,000 GET and all other requests')",
    "t3.micro, t4g: https://aws.amazon.com/ec2/pricing/on-demand/ (Asia Pacific (Singapore))",
    "Athena $5.00 per TB scanned, 10 MB minimum per query: https://aws.amazon.com/athena/pricing/",
    "SNS, EventBridge Scheduler, SSM Parameter Store, Glue Data Catalog free tiers: https://aws.amazon.com/sns/pricing/, https://aws.amazon.com/eventbridge/pricing/, https://aws.amazon.com/systems-manager/pricing/, https://aws.amazon.com/glue/pricing/",
  ],
  ec2PerHour: {
    "t3.micro": 0.0132,
    "t3.small": 0.0264,
    "t3.medium": 0.0528,
    "t4g.micro": 0.0106,
    "t4g.small": 0.0212,
  },
  ebsGp3PerGbMonth: 0.096,
  publicIpv4PerHour: 0.005,
  s3StandardPerGbMonth: 0.025,
  s3PutCopyPostListPer1000: 0.005,
  s3GetPer1000: 0.0004,
  athenaPerTbScanned: 5,
  athenaMinimumBytesPerQuery: 10 * 1024 * 1024,
  ecrPerGbMonth: 0.1,
  snsEmailPer100k: 2,
  snsFreeEmailsPerMonth: 1000,
  schedulerPerMillion: 1,
  schedulerFreeInvocationsPerMonth: 14_000_000,
  ssmStandardParameterPerMonth: 0,
  glueFreeObjects: 1_000_000,
};

export const PRICE_TABLES: Record<string, PriceTable> = { [AP_SOUTHEAST_1.region]: AP_SOUTHEAST_1 };

export function priceTable(region: string): PriceTable {
  const table = PRICE_TABLES[region];
  if (!table)
    throw new Error(
      `No price table for region ${region} (have: ${Object.keys(PRICE_TABLES).join(", ")}); add one to stacks/src/cost/prices.ts.`,
    );
  return table;
}
