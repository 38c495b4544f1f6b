import type { Environment } from "@openaq-lakehouse/pipeline-core";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { pipelinePolicy } from "../iam/access-policies.js";
import type { AwsScope } from "../iam/arns.js";
import { PIPELINE_SOURCE_IDENTITY } from "../iam/pipeline-profiles.js";
import { roleTrustPolicy } from "../iam/policy-document.js";
import { pipelineRoleName } from "../names.js";

export interface PipelineAccessArgs {
  env: Environment;
  scope: pulumi.Input<AwsScope>;
  bucketName: pulumi.Input<string>;
  /** The Airflow host's role: the only principal that may assume this one. */
  hostRoleArn: pulumi.Input<string>;
  /** Whether the env's crawler exists (grants starting it). */
  crawler: boolean;
  tags?: Record<string, string>;
}

/**
 * The identity an environment's pipeline tasks run as: role `openaq-pipeline-{env}`, assumable only
 * by the Airflow host's role, holding only that environment's rights. The shared host itself
 * holds none of them, so a dev task cannot reach prod data by IAM.
 */
export class PipelineAccess extends pulumi.ComponentResource {
  public readonly roleArn: pulumi.Output<string>;
  public readonly roleName: pulumi.Output<string>;

  constructor(name: string, args: PipelineAccessArgs, opts?: pulumi.ComponentResourceOptions) {
    super("openaq:iam:PipelineAccess", name, {}, opts);
    const parent = { parent: this };
    const role = new aws.iam.Role(
      `${name}-role`,
      {
        name: pipelineRoleName(args.env),
        description: `OpenAQ pipeline tasks, environment ${args.env}.`,
        assumeRolePolicy: pulumi
          .output(args.hostRoleArn)
          .apply((arn) => roleTrustPolicy(arn, PIPELINE_SOURCE_IDENTITY)),
        maxSessionDuration: 3600,
        tags: args.tags,
      },
      // The name is fixed (the host's policy names it), so a replacement must delete first.
      { parent: this, deleteBeforeReplace: true },
    );
    new aws.iam.RolePolicy(
      `${name}-policy`,
      {
        role: role.name,
        policy: pulumi
          .all([args.scope, args.bucketName])
          .apply(([scope, bucket]) =>
            JSON.stringify(pipelinePolicy({ scope, env: args.env, bucket, crawler: args.crawler })),
          ),
      },
      parent,
    );
    this.roleArn = role.arn;
    this.roleName = role.name;
    this.registerOutputs({ roleArn: this.roleArn, roleName: this.roleName });
  }
}
