import {
  databaseName,
  type Environment,
  SERVING_VIEWS,
  type ServingView,
} from "@openaq-lakehouse/pipeline-core";
import * as pulumi from "@pulumi/pulumi";

/** Exactly what OWOX Data Marts' AWS_ATHENA storage takes (docs/owox.md). */
export interface OwoxStorageSpec {
  type: "AWS_ATHENA";
  title: string;
  config: { region: string; outputBucket: string };
  credentials: { accessKeyId: string; secretAccessKey: string };
}

/** A VIEW data mart over one serving view, by fully qualified name. */
export interface OwoxDataMartSpec {
  title: string;
  definitionType: "VIEW";
  definition: { fullyQualifiedName: string };
}

/** The stack output `owox`: everything the OWOX sync command needs for one environment. */
export interface OwoxEnvironmentSpec {
  environment: Environment;
  storage: OwoxStorageSpec;
  dataMarts: OwoxDataMartSpec[];
}

export const SERVING_VIEW_TITLES: Record<ServingView, string> = {
  view_latest_aqi: "Latest AQI",
  view_daily_average: "Daily average",
};

export function owoxStorageTitle(env: Environment): string {
  return `OpenAQ Athena (${env})`;
}

/** The data marts of an environment; same titles in dev and prod apart from the env suffix. */
export function owoxDataMarts(env: Environment): OwoxDataMartSpec[] {
  return SERVING_VIEWS.map((view) => ({
    title: `OpenAQ ${SERVING_VIEW_TITLES[view]} (${env})`,
    definitionType: "VIEW",
    definition: { fullyQualifiedName: `${databaseName(env)}.${view}` },
  }));
}

export interface OwoxOutputInputs {
  env: Environment;
  region: pulumi.Input<string>;
  outputBucket: pulumi.Input<string>;
  accessKeyId: pulumi.Input<string>;
  secretAccessKey: pulumi.Output<string>;
}

/** The `owox` output; it is a secret as a whole because it carries the secret access key. */
export function owoxOutput(i: OwoxOutputInputs): pulumi.Output<OwoxEnvironmentSpec> {
  return pulumi
    .all([i.region, i.outputBucket, i.accessKeyId, pulumi.secret(i.secretAccessKey)])
    .apply(([region, outputBucket, accessKeyId, secretAccessKey]) => ({
      environment: i.env,
      storage: {
        type: "AWS_ATHENA" as const,
        title: owoxStorageTitle(i.env),
        config: { region, outputBucket },
        credentials: { accessKeyId, secretAccessKey },
      },
      dataMarts: owoxDataMarts(i.env),
    }));
}
