/**
 * The platform stack's outputs, by name: what the environment stacks read through a
 * StackReference. One list, so producer and consumer cannot disagree on a name.
 */
export const PLATFORM_OUTPUT_NAMES = [
  "region",
  "accountId",
  "bucketName",
  "bucketArn",
  "registryUrl",
  "repositoryArn",
  "extractorImage",
  "hostInstanceId",
  "hostRoleArn",
  "alertsTopicArn",
  "airflowBundleUri",
] as const;

export type PlatformOutputName = (typeof PLATFORM_OUTPUT_NAMES)[number];
