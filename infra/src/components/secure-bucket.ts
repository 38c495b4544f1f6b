import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { tlsOnlyBucketPolicy } from "../iam/access-policies.js";
import type { LifecycleRule } from "./bucket-lifecycle.js";

export interface SecureBucketArgs {
  /** Versioning keeps overwritten/deleted objects recoverable (use it where the bucket holds data). */
  versioning: boolean;
  lifecycleRules: LifecycleRule[];
  /** Allow `pulumi destroy` to delete a non-empty bucket. Default false. */
  forceDestroy?: boolean;
  tags?: Record<string, string>;
}

/**
 * A private S3 bucket: all four public-access blocks, bucket-owner ownership (ACLs disabled),
 * SSE-S3 default encryption with bucket keys, a TLS-only bucket policy, optional versioning and
 * the given lifecycle rules.
 */
export class SecureBucket extends pulumi.ComponentResource {
  public readonly bucketName: pulumi.Output<string>;
  public readonly bucketArn: pulumi.Output<string>;
  /** The bucket's region (v7 `bucketRegion`). */
  public readonly region: pulumi.Output<string>;

  constructor(name: string, args: SecureBucketArgs, opts?: pulumi.ComponentResourceOptions) {
    super("openaq:storage:SecureBucket", name, {}, opts);
    const parent = { parent: this };

    const bucket = new aws.s3.Bucket(
      name,
      { forceDestroy: args.forceDestroy ?? false, tags: args.tags },
      parent,
    );

    const publicAccessBlock = new aws.s3.BucketPublicAccessBlock(
      `${name}-public-access-block`,
      {
        bucket: bucket.id,
        blockPublicAcls: true,
        blockPublicPolicy: true,
        ignorePublicAcls: true,
        restrictPublicBuckets: true,
      },
      parent,
    );
    new aws.s3.BucketOwnershipControls(
      `${name}-ownership`,
      { bucket: bucket.id, rule: { objectOwnership: "BucketOwnerEnforced" } },
      parent,
    );
    new aws.s3.BucketServerSideEncryptionConfiguration(
      `${name}-encryption`,
      {
        bucket: bucket.id,
        rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" }, bucketKeyEnabled: true }],
      },
      parent,
    );
    const dependsOn: pulumi.Resource[] = [];
    if (args.versioning) {
      dependsOn.push(
        new aws.s3.BucketVersioning(
          `${name}-versioning`,
          { bucket: bucket.id, versioningConfiguration: { status: "Enabled" } },
          parent,
        ),
      );
    }
    new aws.s3.BucketLifecycleConfiguration(
      `${name}-lifecycle`,
      { bucket: bucket.id, rules: args.lifecycleRules },
      { parent: this, dependsOn },
    );
    // The policy and the public-access block race on a fresh bucket (OperationAborted): order them.
    new aws.s3.BucketPolicy(
      `${name}-tls-only`,
      { bucket: bucket.id, policy: bucket.arn.apply((arn) => JSON.stringify(tlsOnlyBucketPolicy(arn))) },
      { parent: this, dependsOn: [publicAccessBlock] },
    );

    this.bucketName = bucket.bucket;
    this.bucketArn = bucket.arn;
    this.region = bucket.bucketRegion;
    this.registerOutputs({ bucketName: this.bucketName, bucketArn: this.bucketArn, region: this.region });
  }
}
