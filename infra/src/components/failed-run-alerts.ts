import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

export interface FailedRunAlertsArgs {
  /** Address that receives failed-run alerts (must confirm the SNS subscription once). */
  email: string;
  tags?: Record<string, string>;
}

/** The SNS topic Airflow publishes failed runs to, encrypted with the AWS-managed SNS key, and its e-mail subscription. */
export class FailedRunAlerts extends pulumi.ComponentResource {
  public readonly topicArn: pulumi.Output<string>;

  constructor(name: string, args: FailedRunAlertsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("openaq:alerting:FailedRunAlerts", name, {}, opts);
    const topic = new aws.sns.Topic(
      `${name}-topic`,
      { kmsMasterKeyId: "alias/aws/sns", tags: args.tags },
      { parent: this },
    );
    new aws.sns.TopicSubscription(
      `${name}-email`,
      { topic: topic.arn, protocol: "email", endpoint: args.email },
      { parent: this },
    );
    this.topicArn = topic.arn;
    this.registerOutputs({ topicArn: this.topicArn });
  }
}
