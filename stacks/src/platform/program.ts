import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import {
  AIRFLOW_ADMIN_PASSWORD_PARAMETER,
  AIRFLOW_BUNDLE_PREFIX,
  type AirflowBundleOptions,
  AirflowHost,
  type AirflowHostOptions,
  apiKeyParameterName,
  awsDagSpecs,
  crawlerName,
  dataLakeLifecycleRules,
  ExtractorImage,
  FailedRunAlerts,
  HostWakeSchedule,
  ImageRegistry,
  PrimaryWorkgroup,
  pipelineProfileName,
  pipelineRoleName,
  SecretParameter,
  SecureBucket,
  type SleepSettings,
  wakesFor,
  workgroupName,
} from "@openaq-lakehouse/infra";
import { ENVIRONMENTS } from "@openaq-lakehouse/pipeline-core";
import * as pulumi from "@pulumi/pulumi";
import { lookupAwsScope, stackTags } from "../aws-scope.js";
import type { PlatformConfig } from "../config/platform-config.js";
import { bundleFilesFor, PIPELINE_AWS_CONFIG_PATH, userDataFor } from "./airflow-assets.js";
import { hostNetwork } from "./network.js";
import type { PlatformOutputName } from "./outputs.js";

/** The workspace root: the extractor image's build context. */
export const WORKSPACE_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
export const EXTRACTOR_DOCKERFILE = "packages/extractor/Dockerfile";

/**
 * The shared platform: the data bucket, the extractor registry and image, failed-run alerts and
 * the Airflow host. Environment stacks only read it; nothing they do can change it.
 */
export function platformProgram(config: PlatformConfig): Record<PlatformOutputName, pulumi.Output<string>> {
  const tags = stackTags("platform");
  const scope = lookupAwsScope();

  const lake = new SecureBucket(
    "openaq-lake",
    {
      versioning: true,
      lifecycleRules: dataLakeLifecycleRules({
        rawToInfrequentAccessDays: config.rawToInfrequentAccessDays,
        quarantineExpirationDays: config.quarantineExpirationDays,
        athenaResultsExpirationDays: config.athenaResultsExpirationDays,
        noncurrentVersionExpirationDays: config.noncurrentVersionExpirationDays,
      }),
      forceDestroy: !config.protectData,
      tags,
    },
    { protect: config.protectData },
  );

  const registry = new ImageRegistry("extractor", { keepImages: config.ecrKeepImages, tags });
  const image = new ExtractorImage("extractor", {
    repositoryUrl: registry.repositoryUrl,
    registryId: registry.registryId,
    contextDir: WORKSPACE_ROOT,
    dockerfile: resolve(WORKSPACE_ROOT, EXTRACTOR_DOCKERFILE),
  });

  const alerts = new FailedRunAlerts("failed-runs", { email: config.alertEmail, tags });
  // OWOX sends no workgroup: its queries (both environments') run in `primary`, which gets a cutoff.
  new PrimaryWorkgroup("athena-primary", { bytesScannedCutoffPerQuery: config.owoxBytesScannedCutoff, tags });

  const adminPassword = new SecretParameter("airflow-admin-password", {
    parameterName: AIRFLOW_ADMIN_PASSWORD_PARAMETER,
    description: "Airflow web UI admin password (reach the UI through an SSM port forward).",
    value: config.airflowAdminPassword,
    tags,
  });

  const environments = ENVIRONMENTS.map((env) => ({
    env,
    apiKeyParameterName: apiKeyParameterName(env),
    athenaWorkgroup: workgroupName(env),
    // Each env's containers run as that env's pipeline role (a profile in the bundled AWS config),
    // never as the host's role, which holds no data rights.
    awsProfile: pipelineProfileName(env),
    ...config.dags[env],
    // With the crawler option the DAG's catalog task starts the environment's own crawler.
    ...(config.dags[env].catalogMode === "crawler" && { glueCrawlerName: crawlerName(env) }),
  }));
  const bundleOptions: pulumi.Output<AirflowBundleOptions> = pulumi
    .all([lake.bucketName, image.imageRef, alerts.topicArn])
    .apply(([bucketName, extractorImage, alertTopicArn]) => ({
      region: config.region,
      bucketName,
      extractorImage,
      alertTopicArn,
      environments,
      awsConfigPath: PIPELINE_AWS_CONFIG_PATH,
    }));
  const placeholderAccount = "000000000000";
  const placeholder: AirflowBundleOptions = {
    region: config.region,
    bucketName: "placeholder-bucket",
    extractorImage: `${placeholderAccount}.dkr.ecr.${config.region}.amazonaws.com/placeholder@sha256:${"0".repeat(64)}`,
    alertTopicArn: `arn:aws:sns:${config.region}:${placeholderAccount}:placeholder`,
    environments,
    awsConfigPath: PIPELINE_AWS_CONFIG_PATH,
  };
  const registryHost = registry.repositoryUrl.apply((url) => url.split("/")[0] ?? url);
  const hostOptions: pulumi.Output<AirflowHostOptions> = pulumi
    .all([bundleOptions, registryHost, adminPassword.parameterName])
    .apply(([o, registryUrl, adminPasswordParameterName]) => ({
      ...o,
      bundleUri: `s3://${o.bucketName}/${AIRFLOW_BUNDLE_PREFIX}`,
      registryUrl,
      adminPasswordParameterName,
    }));

  const sleep: SleepSettings = {
    idleMinutes: config.airflowIdleMinutes,
    wakeLeadMinutes: config.airflowWakeLeadMinutes,
  };
  const network = hostNetwork(config.airflowSubnetId);
  const host = new AirflowHost("airflow", {
    scope,
    bucketName: lake.bucketName,
    repositoryArn: registry.repositoryArn,
    alertsTopicArn: alerts.topicArn,
    pipelineRoleNames: ENVIRONMENTS.map(pipelineRoleName),
    readableParameterNames: [AIRFLOW_ADMIN_PASSWORD_PARAMETER],
    vpcId: network.vpcId,
    subnetId: network.subnetId,
    instanceType: config.airflowInstanceType,
    rootVolumeGiB: config.airflowRootVolumeGiB,
    userData: userDataFor(hostOptions),
    bundleFiles: bundleFilesFor(bundleOptions, placeholder, scope, {
      enabled: config.airflowSleep,
      settings: sleep,
    }),
    tags,
  });

  if (config.airflowSleep) {
    // Wake times come from the DAGs' own schedules (the rendered specs), so the two cannot drift.
    new HostWakeSchedule("airflow-wake", {
      scope,
      instanceId: host.instanceId,
      wakes: wakesFor(
        awsDagSpecs(placeholder).map((spec) => spec.schedule),
        sleep,
      ),
      tags,
    });
  }

  return {
    region: pulumi.output(config.region),
    accountId: scope.accountId,
    bucketName: lake.bucketName,
    bucketArn: lake.bucketArn,
    registryUrl: registry.repositoryUrl,
    repositoryArn: registry.repositoryArn,
    extractorImage: image.imageRef,
    hostInstanceId: host.instanceId,
    hostRoleArn: host.roleArn,
    alertsTopicArn: alerts.topicArn,
    airflowBundleUri: host.bundleS3Uri,
  };
}
