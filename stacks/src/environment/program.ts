import {
  AthenaWorkgroup,
  apiKeyParameterName,
  EnvironmentCatalog,
  OwoxAccess,
  PipelineAccess,
  SecretParameter,
} from "@openaq-lakehouse/infra";
import * as pulumi from "@pulumi/pulumi";
import { lookupAwsScope, stackTags } from "../aws-scope.js";
import { ConfigError } from "../config/config-reader.js";
import type { EnvironmentConfig } from "../config/environment-config.js";
import { type OwoxEnvironmentSpec, owoxOutput } from "./owox-output.js";
import { readPlatform } from "./platform-reference.js";

export interface EnvironmentOutputs {
  environment: pulumi.Output<string>;
  bucket: pulumi.Output<string>;
  database: pulumi.Output<string>;
  workgroup: pulumi.Output<string>;
  registryUrl: pulumi.Output<string>;
  extractorImage: pulumi.Output<string>;
  hostId: pulumi.Output<string>;
  pipelineRoleArn: pulumi.Output<string>;
  apiKeyParameter: pulumi.Output<string>;
  owoxResultsBucket: pulumi.Output<string>;
  owoxUser: pulumi.Output<string>;
  owox: pulumi.Output<OwoxEnvironmentSpec>;
}

/**
 * One environment (dev or prod): its catalog, workgroup, pipeline identity, API key and OWOX access.
 * It reads the platform (bucket, host role) and owns nothing the other environment uses.
 */
export async function environmentProgram(config: EnvironmentConfig): Promise<EnvironmentOutputs> {
  const { env } = config;
  const { region, outputs: platform } = await readPlatform(config.platformStack);
  if (region !== config.region) {
    const problem = `aws:region is ${config.region} but the platform stack ${config.platformStack} is in ${region}; use the same region.`;
    throw new ConfigError(problem, [problem]);
  }
  const tags = stackTags(env);
  const scope = lookupAwsScope();

  const catalog = new EnvironmentCatalog(`catalog-${env}`, {
    env,
    bucketName: platform.bucketName,
    scope,
    projectionFirstYear: config.projectionFirstYear,
    crawler: config.crawler,
    crawlerSchedule: config.crawlerSchedule,
    tags,
  });

  const workgroup = new AthenaWorkgroup(`athena-${env}`, {
    env,
    resultsBucketName: platform.bucketName,
    bytesScannedCutoffPerQuery: config.athenaBytesScannedCutoff,
    tags,
  });

  const pipeline = new PipelineAccess(`pipeline-${env}`, {
    env,
    scope,
    bucketName: platform.bucketName,
    hostRoleArn: platform.hostRoleArn,
    crawler: config.crawler,
    tags,
  });

  const apiKey = new SecretParameter(`openaq-api-key-${env}`, {
    parameterName: apiKeyParameterName(env),
    description: `OpenAQ API v3 key, environment ${env}.`,
    value: config.openaqApiKey,
    tags,
  });

  const owox = new OwoxAccess(`owox-${env}`, {
    env,
    scope,
    dataBucketName: platform.bucketName,
    resultsExpirationDays: config.owoxResultsExpirationDays,
    tags,
  });

  return {
    environment: pulumi.output(env),
    bucket: platform.bucketName,
    database: catalog.databaseName,
    workgroup: workgroup.workgroupName,
    registryUrl: platform.registryUrl,
    extractorImage: platform.extractorImage,
    hostId: platform.hostInstanceId,
    pipelineRoleArn: pipeline.roleArn,
    apiKeyParameter: apiKey.parameterName,
    owoxResultsBucket: owox.resultsBucketName,
    owoxUser: owox.userName,
    owox: owoxOutput({
      env,
      region,
      outputBucket: owox.resultsBucketName,
      accessKeyId: owox.accessKeyId,
      secretAccessKey: owox.secretAccessKey,
    }),
  };
}
