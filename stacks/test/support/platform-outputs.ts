import { MOCK } from "@openaq-lakehouse/infra/mocks";

/** What the platform stack's outputs look like to an environment stack's StackReference. */
export const PLATFORM_OUTPUTS = {
  region: MOCK.region,
  accountId: MOCK.accountId,
  bucketName: "openaq-lake-5e1f2a3",
  bucketArn: "arn:aws:s3:::openaq-lake-5e1f2a3",
  registryUrl: `${MOCK.accountId}.dkr.ecr.${MOCK.region}.amazonaws.com/extractor-repository-1a2b3c4`,
  repositoryArn: `arn:aws:ecr:${MOCK.region}:${MOCK.accountId}:repository/extractor-repository-1a2b3c4`,
  extractorImage: `${MOCK.accountId}.dkr.ecr.${MOCK.region}.amazonaws.com/extractor-repository-1a2b3c4@sha256:${"ab".repeat(32)}`,
  hostInstanceId: "i-0abcdef1234567890",
  hostRoleArn: `arn:aws:iam::${MOCK.accountId}:role/airflow-role-9f8e7d6`,
  alertsTopicArn: `arn:aws:sns:${MOCK.region}:${MOCK.accountId}:failed-runs-topic-1234567`,
  airflowBundleUri: "s3://openaq-lake-5e1f2a3/platform/airflow/",
} as const;
