import { athenaResultsPrefix, type Environment } from "@openaq-lakehouse/pipeline-core";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { workgroupName } from "../names.js";

/** Athena rejects cutoffs below 10 MB. */
export const MIN_BYTES_SCANNED_CUTOFF = 10_485_760;
export const ATHENA_ENGINE_V3 = "Athena engine version 3";

export interface AthenaWorkgroupArgs {
  env: Environment;
  /** Bucket holding the results under `athena-results/{env}/`. */
  resultsBucketName: pulumi.Input<string>;
  /** Queries scanning more than this many bytes are cancelled. */
  bytesScannedCutoffPerQuery: number;
  tags?: Record<string, string>;
}

/**
 * The environment's workgroup `openaq-{env}`: settings enforced on every client, engine v3,
 * SSE-S3 results under the env's results prefix, and a per-query bytes-scanned cutoff.
 */
export class AthenaWorkgroup extends pulumi.ComponentResource {
  public readonly workgroupName: pulumi.Output<string>;
  public readonly workgroupArn: pulumi.Output<string>;
  public readonly outputLocation: pulumi.Output<string>;

  constructor(name: string, args: AthenaWorkgroupArgs, opts?: pulumi.ComponentResourceOptions) {
    super("openaq:analytics:AthenaWorkgroup", name, {}, opts);
    if (
      !Number.isInteger(args.bytesScannedCutoffPerQuery) ||
      args.bytesScannedCutoffPerQuery < MIN_BYTES_SCANNED_CUTOFF
    ) {
      throw new Error(
        `bytesScannedCutoffPerQuery must be an integer of at least ${MIN_BYTES_SCANNED_CUTOFF}, got ${args.bytesScannedCutoffPerQuery}.`,
      );
    }
    const outputLocation = pulumi.interpolate`s3://${args.resultsBucketName}/${athenaResultsPrefix(args.env)}`;
    const workgroup = new aws.athena.Workgroup(
      `${name}-workgroup`,
      {
        name: workgroupName(args.env),
        description: `OpenAQ lakehouse queries, environment ${args.env}.`,
        state: "ENABLED",
        // A workgroup holds only saved queries; deleting it never deletes data.
        forceDestroy: true,
        configuration: {
          enforceWorkgroupConfiguration: true,
          publishCloudwatchMetricsEnabled: true,
          bytesScannedCutoffPerQuery: args.bytesScannedCutoffPerQuery,
          engineVersion: { selectedEngineVersion: ATHENA_ENGINE_V3 },
          resultConfiguration: {
            outputLocation,
            encryptionConfiguration: { encryptionOption: "SSE_S3" },
            aclConfiguration: { s3AclOption: "BUCKET_OWNER_FULL_CONTROL" },
          },
        },
        tags: args.tags,
      },
      { parent: this },
    );
    this.workgroupName = workgroup.name;
    this.workgroupArn = workgroup.arn;
    this.outputLocation = outputLocation;
    this.registerOutputs({
      workgroupName: this.workgroupName,
      workgroupArn: this.workgroupArn,
      outputLocation,
    });
  }
}
