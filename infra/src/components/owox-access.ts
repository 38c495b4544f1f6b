import type { Environment } from "@openaq-lakehouse/pipeline-core";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { owoxReadOnlyPolicy } from "../iam/access-policies.js";
import type { AwsScope } from "../iam/arns.js";
import { owoxUserName } from "../names.js";
import { owoxResultsLifecycleRules } from "./bucket-lifecycle.js";
import { SecureBucket } from "./secure-bucket.js";

export interface OwoxAccessArgs {
  env: Environment;
  scope: pulumi.Input<AwsScope>;
  dataBucketName: pulumi.Input<string>;
  /** Days after which result objects OWOX left behind expire. */
  resultsExpirationDays: number;
  forceDestroyResults?: boolean;
  tags?: Record<string, string>;
}

/**
 * What OWOX Data Marts needs to read one environment: a results bucket of its own (OWOX takes a
 * bare bucket name and writes under fixed prefixes, so a per-env bucket is the only way to keep
 * envs apart), an IAM user `owox-integrator-{env}` with programmatic access only and a read-only
 * least-privilege policy, and its access key (the secret is a Pulumi secret).
 */
export class OwoxAccess extends pulumi.ComponentResource {
  public readonly userName: pulumi.Output<string>;
  public readonly resultsBucketName: pulumi.Output<string>;
  public readonly accessKeyId: pulumi.Output<string>;
  public readonly secretAccessKey: pulumi.Output<string>;

  constructor(name: string, args: OwoxAccessArgs, opts?: pulumi.ComponentResourceOptions) {
    super("openaq:iam:OwoxAccess", name, {}, opts);
    const parent = { parent: this };

    const results = new SecureBucket(
      `${name}-results`,
      {
        versioning: false,
        lifecycleRules: owoxResultsLifecycleRules(args.resultsExpirationDays),
        forceDestroy: args.forceDestroyResults ?? true,
        tags: args.tags,
      },
      parent,
    );

    // No login profile: programmatic access only.
    const user = new aws.iam.User(
      `${name}-user`,
      { name: owoxUserName(args.env), path: "/integrations/", forceDestroy: true, tags: args.tags },
      { parent: this, deleteBeforeReplace: true },
    );
    new aws.iam.UserPolicy(
      `${name}-policy`,
      {
        user: user.name,
        policy: pulumi
          .all([args.scope, args.dataBucketName, results.bucketName])
          .apply(([scope, dataBucket, resultsBucket]) =>
            JSON.stringify(owoxReadOnlyPolicy({ scope, env: args.env, dataBucket, resultsBucket })),
          ),
      },
      parent,
    );
    const key = new aws.iam.AccessKey(`${name}-key`, { user: user.name }, parent);

    this.userName = user.name;
    this.resultsBucketName = results.bucketName;
    this.accessKeyId = key.id;
    this.secretAccessKey = pulumi.secret(key.secret);
    this.registerOutputs({
      userName: this.userName,
      resultsBucketName: this.resultsBucketName,
      accessKeyId: this.accessKeyId,
      secretAccessKey: this.secretAccessKey,
    });
  }
}
