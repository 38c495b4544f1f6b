import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { userDataPayload } from "../airflow/userdata.js";
import { airflowHostPolicy } from "../iam/access-policies.js";
import type { AwsScope } from "../iam/arns.js";
import { serviceTrustPolicy } from "../iam/policy-document.js";
import { AIRFLOW_BUNDLE_PREFIX } from "../names.js";

/** A recent Amazon Linux 2023 (x86_64), looked up at deploy time from AWS's public SSM parameter. */
export const AL2023_AMI_PARAMETER = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64";

/** Outbound ports the host needs: HTTPS (ECR, S3, SSM, OpenAQ, package repos) and HTTP (package mirrors). */
export const AIRFLOW_HOST_EGRESS_PORTS = [443, 80] as const;

export interface HostBundleFile {
  /** Path relative to the bundle root, e.g. `docker-compose.yaml` or `dags/openaq.py`. */
  path: string;
  content: pulumi.Input<string>;
}

export interface AirflowHostArgs {
  scope: pulumi.Input<AwsScope>;
  bucketName: pulumi.Input<string>;
  repositoryArn: pulumi.Input<string>;
  alertsTopicArn: pulumi.Input<string>;
  /** Names of the per-environment pipeline roles the host assumes for tasks (created by the env stacks). */
  pipelineRoleNames: string[];
  /** SSM parameters the host reads at boot (e.g. the Airflow admin password). */
  readableParameterNames: string[];
  vpcId: pulumi.Input<string>;
  subnetId: pulumi.Input<string>;
  instanceType: string;
  rootVolumeGiB: number;
  /** Cloud-init user data (swap, Docker, compose, start the bundle). Stored in clear text: no secrets. */
  userData: pulumi.Input<string>;
  /** Files uploaded under `platform/airflow/` of the bucket for the host to fetch. */
  bundleFiles: HostBundleFile[];
  /** Replace the instance when the user data changes. Default false: the bundle is re-read, the host kept. */
  replaceOnUserDataChange?: boolean;
  amiParameter?: string;
  tags?: Record<string, string>;
}

/** S3 key of a bundle file; refuses paths that could leave the bundle prefix. */
export function bundleObjectKey(path: string): string {
  if (
    !/^[A-Za-z0-9_][A-Za-z0-9_./-]*$/.test(path) ||
    path.split("/").some((seg) => seg === ".." || seg === "")
  ) {
    throw new Error(`Invalid Airflow bundle path ${JSON.stringify(path)}.`);
  }
  return `${AIRFLOW_BUNDLE_PREFIX}${path}`;
}

/**
 * The shared Airflow host: one EC2 instance (IMDSv2 only, hop limit 1 so no container reaches it, encrypted
 * gp3 root), no inbound rule at all (people reach it through SSM Session Manager), an instance
 * profile whose role holds only platform rights, and the Airflow bundle in S3.
 */
export class AirflowHost extends pulumi.ComponentResource {
  public readonly instanceId: pulumi.Output<string>;
  public readonly roleArn: pulumi.Output<string>;
  public readonly roleName: pulumi.Output<string>;
  public readonly securityGroupId: pulumi.Output<string>;
  /** `s3://bucket/platform/airflow/` */
  public readonly bundleS3Uri: pulumi.Output<string>;

  constructor(name: string, args: AirflowHostArgs, opts?: pulumi.ComponentResourceOptions) {
    super("openaq:orchestration:AirflowHost", name, {}, opts);
    const parent = { parent: this };

    const role = new aws.iam.Role(
      `${name}-role`,
      {
        assumeRolePolicy: serviceTrustPolicy("ec2.amazonaws.com"),
        description: "OpenAQ Airflow host (platform rights only).",
        tags: args.tags,
      },
      parent,
    );
    new aws.iam.RolePolicy(
      `${name}-policy`,
      {
        role: role.name,
        policy: pulumi
          .all([args.scope, args.bucketName, args.repositoryArn, args.alertsTopicArn])
          .apply(([scope, bucket, repositoryArn, alertsTopicArn]) =>
            JSON.stringify(
              airflowHostPolicy({
                scope,
                bucket,
                repositoryArn,
                alertsTopicArn,
                pipelineRoleNames: args.pipelineRoleNames,
                readableParameterNames: args.readableParameterNames,
              }),
            ),
          ),
      },
      parent,
    );
    const profile = new aws.iam.InstanceProfile(
      `${name}-profile`,
      { role: role.name, tags: args.tags },
      parent,
    );

    const securityGroup = new aws.ec2.SecurityGroup(
      `${name}-sg`,
      {
        vpcId: args.vpcId,
        description: "OpenAQ Airflow host: no inbound; outbound HTTPS/HTTP only.",
        ingress: [],
        egress: AIRFLOW_HOST_EGRESS_PORTS.map((port) => ({
          description: `outbound tcp/${port}`,
          protocol: "tcp",
          fromPort: port,
          toPort: port,
          cidrBlocks: ["0.0.0.0/0"],
        })),
        tags: args.tags,
      },
      parent,
    );

    const objects = args.bundleFiles.map(
      (file) =>
        new aws.s3.BucketObjectv2(
          `${name}-bundle-${file.path.replace(/[^A-Za-z0-9]+/g, "-")}`,
          {
            bucket: args.bucketName,
            key: bundleObjectKey(file.path),
            content: file.content,
            contentType: "text/plain; charset=utf-8",
          },
          parent,
        ),
    );

    const ami = aws.ssm.getParameterOutput({ name: args.amiParameter ?? AL2023_AMI_PARAMETER }, parent);
    const instance = new aws.ec2.Instance(
      `${name}-instance`,
      {
        ami: ami.value,
        instanceType: args.instanceType,
        iamInstanceProfile: profile.name,
        subnetId: args.subnetId,
        vpcSecurityGroupIds: [securityGroup.id],
        // Outbound only (the default VPC has no NAT); no inbound rule exists.
        associatePublicIpAddress: true,
        metadataOptions: {
          httpEndpoint: "enabled",
          httpTokens: "required",
          // Hop limit 1: a container behind Docker NAT cannot reach IMDS (the host role's credentials).
          httpPutResponseHopLimit: 1,
          instanceMetadataTags: "disabled",
        },
        rootBlockDevice: {
          volumeType: "gp3",
          volumeSize: args.rootVolumeGiB,
          encrypted: true,
          deleteOnTermination: true,
        },
        // The idle check powers the host off between runs: that must stop it, never terminate it.
        instanceInitiatedShutdownBehavior: "stop",
        // The script, gzip-compressed: cloud-init runs it after decompressing.
        userDataBase64: pulumi.output(args.userData).apply(userDataPayload),
        userDataReplaceOnChange: args.replaceOnUserDataChange ?? false,
        tags: { ...args.tags, Name: name },
      },
      // A newer AMI alone must not replace the host; replace it deliberately.
      { parent: this, ignoreChanges: ["ami"], dependsOn: objects },
    );

    this.instanceId = instance.id;
    this.roleArn = role.arn;
    this.roleName = role.name;
    this.securityGroupId = securityGroup.id;
    this.bundleS3Uri = pulumi.interpolate`s3://${args.bucketName}/${AIRFLOW_BUNDLE_PREFIX}`;
    this.registerOutputs({
      instanceId: this.instanceId,
      roleArn: this.roleArn,
      roleName: this.roleName,
      securityGroupId: this.securityGroupId,
      bundleS3Uri: this.bundleS3Uri,
    });
  }
}
