/**
 * ARN builders. Every resource an IAM statement names is spelled here, from resolved strings, so
 * the policy documents stay pure functions that tests can read without the Pulumi engine.
 */

/** The account, region and partition a stack deploys into. */
export interface AwsScope {
  partition: string;
  region: string;
  accountId: string;
}

export function s3BucketArn(scope: Pick<AwsScope, "partition">, bucket: string): string {
  return `arn:${scope.partition}:s3:::${bucket}`;
}

/** Objects under `prefix` (a prefix ending in `/` or a bare key start); `*` is appended. */
export function s3ObjectsArn(scope: Pick<AwsScope, "partition">, bucket: string, prefix: string): string {
  return `arn:${scope.partition}:s3:::${bucket}/${prefix}*`;
}

export function glueCatalogArn(s: AwsScope): string {
  return `arn:${s.partition}:glue:${s.region}:${s.accountId}:catalog`;
}

export function glueDatabaseArn(s: AwsScope, database: string): string {
  return `arn:${s.partition}:glue:${s.region}:${s.accountId}:database/${database}`;
}

export function glueTableArn(s: AwsScope, database: string, table: string): string {
  return `arn:${s.partition}:glue:${s.region}:${s.accountId}:table/${database}/${table}`;
}

export function glueCrawlerArn(s: AwsScope, crawler: string): string {
  return `arn:${s.partition}:glue:${s.region}:${s.accountId}:crawler/${crawler}`;
}

export function athenaWorkgroupArn(s: AwsScope, workgroup: string): string {
  return `arn:${s.partition}:athena:${s.region}:${s.accountId}:workgroup/${workgroup}`;
}

export function ssmParameterArn(s: AwsScope, name: string): string {
  const path = name.startsWith("/") ? name.slice(1) : name;
  return `arn:${s.partition}:ssm:${s.region}:${s.accountId}:parameter/${path}`;
}

export function iamRoleArn(s: Pick<AwsScope, "partition" | "accountId">, roleName: string): string {
  return `arn:${s.partition}:iam::${s.accountId}:role/${roleName}`;
}

export function logGroupArn(s: AwsScope, namePrefix: string): string {
  return `arn:${s.partition}:logs:${s.region}:${s.accountId}:log-group:${namePrefix}*`;
}

export function ec2InstanceArn(s: AwsScope, instanceId: string): string {
  return `arn:${s.partition}:ec2:${s.region}:${s.accountId}:instance/${instanceId}`;
}
