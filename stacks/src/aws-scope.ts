import type { AwsScope } from "@openaq-lakehouse/infra";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

/** The partition, region and account the stack deploys into (three invokes, no resources). */
export function lookupAwsScope(): pulumi.Output<AwsScope> {
  return pulumi
    .all([aws.getPartitionOutput(), aws.getRegionOutput(), aws.getCallerIdentityOutput()])
    .apply(([partition, region, identity]) => ({
      partition: partition.partition,
      region: region.region,
      accountId: identity.accountId,
    }));
}

export function stackTags(env: string): Record<string, string> {
  return { project: "openaq-lakehouse", stack: pulumi.getStack(), environment: env, "managed-by": "pulumi" };
}
