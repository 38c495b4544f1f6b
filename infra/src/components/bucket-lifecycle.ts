import {
  athenaResultsPrefix,
  ENVIRONMENTS,
  type Environment,
  layerPrefix,
} from "@openaq-lakehouse/pipeline-core";
import { OWOX_RESULT_PREFIXES } from "../names.js";

/** One S3 lifecycle rule, in the shape `aws.s3.BucketLifecycleConfiguration` takes. */
export interface LifecycleRule {
  id: string;
  status: "Enabled";
  filter: { prefix?: string };
  abortIncompleteMultipartUpload?: { daysAfterInitiation: number };
  transitions?: Array<{ days: number; storageClass: "STANDARD_IA" }>;
  expiration?: { days: number };
  noncurrentVersionExpiration?: { noncurrentDays: number };
}

export interface DataLakeLifecycle {
  environments?: readonly Environment[];
  /** Days after which raw objects move to STANDARD_IA (S3 requires at least 30). */
  rawToInfrequentAccessDays: number;
  quarantineExpirationDays: number;
  athenaResultsExpirationDays: number;
  /** Versioning protects data against overwrite/delete; old versions are kept this long. */
  noncurrentVersionExpirationDays: number;
  abortIncompleteUploadDays?: number;
}

/**
 * The data bucket's rules: abort stale multipart uploads everywhere; raw (immutable, replayable)
 * goes to infrequent access; quarantine and Athena results expire; overwritten versions expire.
 * Processed data never expires.
 */
export function dataLakeLifecycleRules(c: DataLakeLifecycle): LifecycleRule[] {
  const envs = c.environments ?? ENVIRONMENTS;
  return [
    {
      id: "abort-incomplete-uploads",
      status: "Enabled",
      filter: {},
      abortIncompleteMultipartUpload: { daysAfterInitiation: c.abortIncompleteUploadDays ?? 7 },
    },
    {
      id: "expire-noncurrent-versions",
      status: "Enabled",
      filter: {},
      noncurrentVersionExpiration: { noncurrentDays: c.noncurrentVersionExpirationDays },
    },
    ...envs.flatMap((env): LifecycleRule[] => [
      {
        id: `${env}-raw-to-infrequent-access`,
        status: "Enabled",
        filter: { prefix: layerPrefix(env, "raw") },
        transitions: [{ days: c.rawToInfrequentAccessDays, storageClass: "STANDARD_IA" }],
      },
      {
        id: `${env}-quarantine-expiry`,
        status: "Enabled",
        filter: { prefix: layerPrefix(env, "quarantine") },
        expiration: { days: c.quarantineExpirationDays },
      },
      {
        id: `${env}-athena-results-expiry`,
        status: "Enabled",
        filter: { prefix: athenaResultsPrefix(env) },
        expiration: { days: c.athenaResultsExpirationDays },
      },
    ]),
  ];
}

/** OWOX deletes its own results; anything it leaves behind (a crash, a cancelled query) expires. */
export function owoxResultsLifecycleRules(expirationDays: number): LifecycleRule[] {
  return [
    {
      id: "abort-incomplete-uploads",
      status: "Enabled",
      filter: {},
      abortIncompleteMultipartUpload: { daysAfterInitiation: 1 },
    },
    ...OWOX_RESULT_PREFIXES.map(
      (prefix): LifecycleRule => ({
        id: `expire-${prefix.replace(/[^a-z0-9]+/g, "-").replace(/-$/, "")}`,
        status: "Enabled",
        filter: { prefix },
        expiration: { days: expirationDays },
      }),
    ),
  ];
}
