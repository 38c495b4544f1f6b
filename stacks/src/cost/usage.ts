import { DEFAULT_LOOKBACK_DAYS, type Environment } from "@openaq-lakehouse/pipeline-core";

/**
 * What the deployment does in a month, for `pnpm cost`. Everything the resource graph cannot tell
 * (how much data, how many queries, how long a run takes) is here, each with where it comes from.
 */
export interface UsageAssumptions {
  name: string;
  /** Sensors reporting in the country. */
  sensors: number;
  /** Hourly measurements. */
  measurementsPerSensorPerDay: number;
  /** OpenAQ API requests of one day's extract. */
  apiRequestsPerDay: number;
  /** Days each daily run extracts (the day plus the lookback). */
  daysPerRun: number;
  /**
   * Raw bytes of one measurement (the API's JSON), and of one page's entry in the day's run manifest
   * (sha256, size, record count, URL, status, headers, fetch time; raw is write-once, no sidecars).
   */
  rawBytesPerMeasurement: number;
  rawManifestBytesPerPage: number;
  /** Processed Parquet bytes of one measurement row. */
  processedBytesPerRow: number;
  /** Objects written per extracted day besides raw bodies: processed, quarantine, state, leases. */
  otherPutsPerDay: number;
  /** Age of the lake the estimate is for (storage grows with it). */
  lakeAgeMonths: number;
  /** How long one DAG run (all five tasks) keeps the host busy. */
  dagRunMinutes: number;
  /** Athena queries per day per environment (dashboards, OWOX, validate). */
  queriesPerDay: Record<Environment, number>;
  /** Bytes one query scans (before Athena's 10 MB minimum) and S3 objects it reads. */
  bytesScannedPerQuery: number;
  objectsReadPerQuery: number;
  /** Compressed size of the extractor image in ECR, and of the layers each older version adds. */
  imageGb: number;
  olderImageLayersGb: number;
  failureAlertsPerMonth: number;
}

export const DAYS_PER_MONTH = 365 / 12;

/**
 * Vietnam, the seed's country. Sources: the extract-rate bench (about 200 sensors, 206 requests
 * for one day), the views bench (365 days × 200 sensors of processed Parquet = 11 MB, README's
 * benchmark table; `view_latest_aqi` reads 40 KB of it), an OpenAQ v3 measurement object as the
 * local OpenAQ server renders it (675 bytes of JSON, plus page envelope), the contract's lookback.
 */
export const VIETNAM: UsageAssumptions = {
  name: "Vietnam",
  sensors: 200,
  measurementsPerSensorPerDay: 24,
  apiRequestsPerDay: 206,
  daysPerRun: 1 + DEFAULT_LOOKBACK_DAYS,
  rawBytesPerMeasurement: 700,
  rawManifestBytesPerPage: 600,
  processedBytesPerRow: Math.round((11 * 1024 * 1024) / (365 * 200 * 24)),
  otherPutsPerDay: 12,
  lakeAgeMonths: 12,
  dagRunMinutes: 20,
  queriesPerDay: { dev: 10, prod: 50 },
  // A dashboard query reads up to a month of the daily view: well under the 10 MB minimum.
  bytesScannedPerQuery: 1024 * 1024,
  objectsReadPerQuery: 60,
  imageGb: 0.2,
  olderImageLayersGb: 0.05,
  failureAlertsPerMonth: 4,
};
