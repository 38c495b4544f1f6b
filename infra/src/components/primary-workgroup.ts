import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { OWOX_WORKGROUP } from "../names.js";

export interface PrimaryWorkgroupArgs {
  /** The most one query in `primary` may scan (Athena cancels it beyond that), bytes. */
  bytesScannedCutoffPerQuery: number;
  tags?: Record<string, string>;
}

/**
 * The account's `primary` Athena workgroup, brought under the platform stack. OWOX sends no
 * workgroup, so every OWOX query (dev's and prod's) runs there; the stack gives it a per-query scan
 * cutoff. It does not override client-side settings: OWOX passes its own result location (its
 * results bucket) and reads its results back from there. `primary` exists in every account and
 * cannot be deleted: the stack adopts it (`import`) and leaves it in place when destroyed.
 */
export class PrimaryWorkgroup extends pulumi.ComponentResource {
  public readonly name: pulumi.Output<string>;

  constructor(name: string, args: PrimaryWorkgroupArgs, opts?: pulumi.ComponentResourceOptions) {
    super("openaq:athena:PrimaryWorkgroup", name, {}, opts);
    const workgroup = new aws.athena.Workgroup(
      name,
      {
        name: OWOX_WORKGROUP,
        description:
          "Athena's default workgroup; OWOX Data Marts queries run here (scan cutoff set by openaq-lakehouse).",
        configuration: {
          bytesScannedCutoffPerQuery: args.bytesScannedCutoffPerQuery,
          enforceWorkgroupConfiguration: false,
          publishCloudwatchMetricsEnabled: true,
        },
        tags: args.tags,
      },
      { parent: this, import: OWOX_WORKGROUP, retainOnDelete: true },
    );
    this.name = workgroup.name;
    this.registerOutputs({ name: this.name });
  }
}
