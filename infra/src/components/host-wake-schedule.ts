import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { type AwsScope, ec2InstanceArn } from "../iam/arns.js";
import { type PolicyDocument, policyDocument } from "../iam/policy-document.js";
import { type Wake, wakeCron, wakeDescription, wakeLabel } from "../sleep/wake-times.js";

/** EventBridge Scheduler's universal target for the EC2 StartInstances API call. */
export function startInstancesTarget(partition: string): string {
  return `arn:${partition}:scheduler:::aws-sdk:ec2:startInstances`;
}

/** The scheduler role's only right: start this one instance. */
export function wakePolicy(s: AwsScope, instanceId: string): PolicyDocument {
  return policyDocument({
    Sid: "StartAirflowHost",
    Effect: "Allow",
    Action: ["ec2:StartInstances"],
    Resource: [ec2InstanceArn(s, instanceId)],
  });
}

/** Trust for EventBridge Scheduler, limited to schedules of this account (confused-deputy guard). */
export function schedulerTrustPolicy(accountId: string): string {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "TrustScheduler",
        Effect: "Allow",
        Principal: { Service: "scheduler.amazonaws.com" },
        Action: "sts:AssumeRole",
        Condition: { StringEquals: { "aws:SourceAccount": accountId } },
      },
    ],
  });
}

export interface HostWakeScheduleArgs {
  scope: pulumi.Input<AwsScope>;
  instanceId: pulumi.Input<string>;
  /** The daily wakes (from `wakesFor`, i.e. from the DAG schedules). */
  wakes: readonly Wake[];
  tags?: Record<string, string>;
}

/**
 * Starts the sleeping Airflow host before the DAGs run: one EventBridge Scheduler schedule per
 * daily wake (UTC), in their own group, calling ec2:StartInstances through a role that may start
 * this instance and nothing else. Starting a running instance is a no-op, so an overlap is harmless.
 */
export class HostWakeSchedule extends pulumi.ComponentResource {
  public readonly roleArn: pulumi.Output<string>;
  public readonly groupName: pulumi.Output<string>;
  /** The schedule expressions, in wake order. */
  public readonly expressions: string[];

  constructor(name: string, args: HostWakeScheduleArgs, opts?: pulumi.ComponentResourceOptions) {
    super("openaq:orchestration:HostWakeSchedule", name, {}, opts);
    const parent = { parent: this };
    const scope = pulumi.output(args.scope);

    const role = new aws.iam.Role(
      `${name}-role`,
      {
        assumeRolePolicy: scope.apply((s) => schedulerTrustPolicy(s.accountId)),
        description: "EventBridge Scheduler: starts the OpenAQ Airflow host before DAG runs.",
        tags: args.tags,
      },
      parent,
    );
    const policy = new aws.iam.RolePolicy(
      `${name}-policy`,
      {
        role: role.name,
        policy: pulumi.all([scope, args.instanceId]).apply(([s, id]) => JSON.stringify(wakePolicy(s, id))),
      },
      parent,
    );
    const group = new aws.scheduler.ScheduleGroup(`${name}-group`, { tags: args.tags }, parent);

    this.expressions = args.wakes.map(wakeCron);
    for (const wake of args.wakes) {
      new aws.scheduler.Schedule(
        `${name}-${wakeLabel(wake)}`,
        {
          groupName: group.name,
          description: wakeDescription(wake),
          scheduleExpression: wakeCron(wake),
          scheduleExpressionTimezone: "UTC",
          flexibleTimeWindow: { mode: "OFF" },
          state: "ENABLED",
          target: {
            arn: scope.apply((s) => startInstancesTarget(s.partition)),
            roleArn: role.arn,
            input: pulumi.output(args.instanceId).apply((id) => JSON.stringify({ InstanceIds: [id] })),
            // A start still helps within the hour (the DAGs catch up); later, the next wake will do.
            retryPolicy: { maximumEventAgeInSeconds: 3600, maximumRetryAttempts: 10 },
          },
        },
        { parent: this, dependsOn: [policy] },
      );
    }

    this.roleArn = role.arn;
    this.groupName = group.name;
    this.registerOutputs({ roleArn: this.roleArn, groupName: this.groupName });
  }
}
