import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

export interface SecretParameterArgs {
  /** Full SSM name, e.g. `/openaq-lakehouse/dev/openaq-api-key`. */
  parameterName: string;
  description: string;
  /** The value, from secret stack config; it stays a Pulumi secret. */
  value: pulumi.Output<string>;
  tags?: Record<string, string>;
}

/** One secret as an SSM SecureString (encrypted with the account's `aws/ssm` key). */
export class SecretParameter extends pulumi.ComponentResource {
  public readonly parameterName: pulumi.Output<string>;
  public readonly parameterArn: pulumi.Output<string>;

  constructor(name: string, args: SecretParameterArgs, opts?: pulumi.ComponentResourceOptions) {
    super("openaq:secrets:SecretParameter", name, {}, opts);
    if (!/^\/[A-Za-z0-9_.\-/]+$/.test(args.parameterName))
      throw new Error(`Invalid SSM parameter name ${JSON.stringify(args.parameterName)}.`);
    const parameter = new aws.ssm.Parameter(
      `${name}-parameter`,
      {
        name: args.parameterName,
        type: aws.ssm.ParameterType.SecureString,
        description: args.description,
        value: pulumi.secret(args.value),
        tags: args.tags,
      },
      { parent: this, deleteBeforeReplace: true },
    );
    this.parameterName = parameter.name;
    this.parameterArn = parameter.arn;
    this.registerOutputs({ parameterName: this.parameterName, parameterArn: this.parameterArn });
  }
}
