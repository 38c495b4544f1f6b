import type { Environment } from "@openaq-lakehouse/pipeline-core";
import { pipelineRoleName } from "../names.js";
import { type AwsScope, iamRoleArn } from "./arns.js";

/** The AWS profile name a task of `env` runs under: the same as its role's name. */
export function pipelineProfileName(env: Environment): string {
  return pipelineRoleName(env);
}

/**
 * An AWS shared config file with one profile per environment. Each profile assumes that env's
 * pipeline role from the instance's own credentials (IMDSv2), so a container started with
 * `AWS_CONFIG_FILE=<this file>` and `AWS_PROFILE=openaq-pipeline-dev` holds dev's rights only.
 * The AWS SDK for JavaScript v3 reads `role_arn` + `credential_source = Ec2InstanceMetadata`.
 */
export function pipelineAwsConfig(scope: AwsScope, environments: readonly Environment[]): string {
  return environments
    .map((env) =>
      [
        `[profile ${pipelineProfileName(env)}]`,
        `role_arn = ${iamRoleArn(scope, pipelineRoleName(env))}`,
        "credential_source = Ec2InstanceMetadata",
        `role_session_name = ${pipelineProfileName(env)}`,
        `region = ${scope.region}`,
        "",
      ].join("\n"),
    )
    .join("\n");
}
