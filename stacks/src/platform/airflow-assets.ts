import {
  type AirflowBundleOptions,
  type AirflowHostOptions,
  type AwsScope,
  airflowBundleFiles,
  type HostBundleFile,
  pipelineAwsConfig,
  renderUserData,
  type SleepSettings,
  sleepBundleFiles,
} from "@openaq-lakehouse/infra";
import { ENVIRONMENTS } from "@openaq-lakehouse/pipeline-core";
import type * as pulumi from "@pulumi/pulumi";

/** The file (under the bundle prefix) holding one AWS profile per environment's pipeline role. */
export const PIPELINE_AWS_CONFIG_PATH = "aws/config";

/**
 * The Airflow bundle as S3 objects. Object names must be known before deployment, contents may
 * depend on outputs (the image digest, the topic ARN): the paths come from rendering the bundle
 * with placeholders, and each object's content from rendering it with the real values, which must
 * yield the same paths.
 */
export function bundleFilesFor(
  options: pulumi.Output<AirflowBundleOptions>,
  placeholder: AirflowBundleOptions,
  scope: pulumi.Output<AwsScope>,
  sleep: { enabled: boolean; settings: SleepSettings },
): HostBundleFile[] {
  const paths = airflowBundleFiles(placeholder).map((f) => f.path);
  const rendered = options.apply((o) => {
    const files = airflowBundleFiles(o);
    const got = files.map((f) => f.path).sort();
    if (JSON.stringify(got) !== JSON.stringify([...paths].sort())) {
      throw new Error(
        `The Airflow bundle's file list depends on its options (${got.join(", ")}); it must not.`,
      );
    }
    return new Map(files.map((f) => [f.path, f.content]));
  });
  return [
    ...paths.map((path) => ({ path, content: rendered.apply((m) => m.get(path) ?? "") })),
    { path: PIPELINE_AWS_CONFIG_PATH, content: scope.apply((s) => pipelineAwsConfig(s, ENVIRONMENTS)) },
    // The host's idle check and its settings (the sync job brings changes within 5 minutes).
    ...sleepBundleFiles(sleep.enabled, sleep.settings),
  ];
}

export function userDataFor(options: pulumi.Output<AirflowHostOptions>): pulumi.Output<string> {
  return options.apply(renderUserData);
}
