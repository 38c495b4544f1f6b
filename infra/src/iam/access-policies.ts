import {
  athenaResultsPrefix,
  DATASETS,
  databaseName,
  datasetPrefix,
  type Environment,
  LAYERS,
  type Layer,
  SERVING_VIEWS,
} from "@openaq-lakehouse/pipeline-core";
import {
  AIRFLOW_BUNDLE_PREFIX,
  apiKeyParameterName,
  crawlerName,
  OWOX_RESULT_PREFIXES,
  OWOX_WORKGROUP,
  workgroupName,
} from "../names.js";
import {
  type AwsScope,
  athenaWorkgroupArn,
  glueCatalogArn,
  glueCrawlerArn,
  glueDatabaseArn,
  glueTableArn,
  iamRoleArn,
  logGroupArn,
  s3BucketArn,
  s3ObjectsArn,
  ssmParameterArn,
} from "./arns.js";
import { type PolicyDocument, type PolicyStatement, policyDocument } from "./policy-document.js";

/**
 * The least-privilege policies of the system, as pure functions of resolved names. Every prefix,
 * database and table comes from pipeline-core, so a policy cannot name a path the pipeline does not use.
 */

const DATASET_NAMES = Object.values(DATASETS).map((d) => d.name);

/** Read an Athena query's outcome and run it, in one workgroup (Athena docs, example-policies-workgroup). */
const ATHENA_QUERY_ACTIONS = [
  "athena:StartQueryExecution",
  "athena:StopQueryExecution",
  "athena:GetQueryExecution",
  "athena:GetQueryResults",
  "athena:BatchGetQueryExecution",
  "athena:GetWorkGroup",
];

const GLUE_READ_ACTIONS = [
  "glue:GetDatabase",
  "glue:GetDatabases",
  "glue:GetTable",
  "glue:GetTables",
  "glue:GetPartition",
  "glue:GetPartitions",
  "glue:BatchGetPartition",
];

const GLUE_PARTITION_WRITE_ACTIONS = [
  "glue:CreatePartition",
  "glue:BatchCreatePartition",
  "glue:UpdatePartition",
  "glue:DeletePartition",
  "glue:BatchDeletePartition",
];

/** `CREATE OR REPLACE VIEW` in Athena creates/updates a Glue VIRTUAL_VIEW table. */
const GLUE_VIEW_WRITE_ACTIONS = ["glue:CreateTable", "glue:UpdateTable", "glue:DeleteTable"];

const S3_OBJECT_WRITE_ACTIONS = [
  "s3:PutObject",
  "s3:DeleteObject",
  "s3:AbortMultipartUpload",
  "s3:ListMultipartUploadParts",
];

/** The Glue resources of an environment: the catalog, its database and each of its tables and views. */
function glueEnvironmentResources(scope: AwsScope, env: Environment): string[] {
  const db = databaseName(env);
  return [
    glueCatalogArn(scope),
    glueDatabaseArn(scope, db),
    ...[...DATASET_NAMES, ...SERVING_VIEWS].map((t) => glueTableArn(scope, db, t)),
  ];
}

function layerPrefixes(env: Environment, layers: readonly Layer[]): string[] {
  return layers.flatMap((layer) => DATASET_NAMES.map((dataset) => datasetPrefix({ env, layer, dataset })));
}

export interface PipelinePolicyInput {
  scope: AwsScope;
  env: Environment;
  /** The shared data bucket. */
  bucket: string;
  /** Grant starting and reading the env's crawler (only when the crawler exists). */
  crawler: boolean;
}

/**
 * What one environment's pipeline container may do: write its env's raw/processed/quarantine
 * prefixes (and read them back), manage partitions and the serving views of its env's database, run
 * queries in its env's workgroup with results under its env's results prefix, read its env's API key.
 */
export function pipelinePolicy(p: PipelinePolicyInput): PolicyDocument {
  const { scope, env, bucket } = p;
  const dataPrefixes = layerPrefixes(env, LAYERS);
  const results = athenaResultsPrefix(env);
  const db = databaseName(env);
  const statements: PolicyStatement[] = [
    {
      Sid: "WriteOwnDataPrefixes",
      Effect: "Allow",
      Action: S3_OBJECT_WRITE_ACTIONS,
      Resource: dataPrefixes.map((prefix) => s3ObjectsArn(scope, bucket, prefix)),
    },
    {
      Sid: "ReadOwnDataPrefixes",
      Effect: "Allow",
      Action: ["s3:GetObject"],
      Resource: dataPrefixes.map((prefix) => s3ObjectsArn(scope, bucket, prefix)),
    },
    {
      Sid: "ListOwnPrefixes",
      Effect: "Allow",
      Action: ["s3:ListBucket"],
      Resource: [s3BucketArn(scope, bucket)],
      Condition: { StringLike: { "s3:prefix": [`${env}/*`, `${results}*`] } },
    },
    {
      // Not ListBucketMultipartUploads: it cannot be limited to a prefix and would list the other env's uploads.
      Sid: "BucketLocation",
      Effect: "Allow",
      Action: ["s3:GetBucketLocation"],
      Resource: [s3BucketArn(scope, bucket)],
    },
    {
      Sid: "AthenaResults",
      Effect: "Allow",
      Action: ["s3:GetObject", ...S3_OBJECT_WRITE_ACTIONS],
      Resource: [s3ObjectsArn(scope, bucket, results)],
    },
    {
      Sid: "AthenaOwnWorkgroup",
      Effect: "Allow",
      Action: ATHENA_QUERY_ACTIONS,
      Resource: [athenaWorkgroupArn(scope, workgroupName(env))],
    },
    {
      Sid: "GlueReadOwnDatabase",
      Effect: "Allow",
      Action: GLUE_READ_ACTIONS,
      Resource: glueEnvironmentResources(scope, env),
    },
    {
      Sid: "GluePartitionsOfOwnTables",
      Effect: "Allow",
      Action: GLUE_PARTITION_WRITE_ACTIONS,
      Resource: [
        glueCatalogArn(scope),
        glueDatabaseArn(scope, db),
        ...DATASET_NAMES.map((t) => glueTableArn(scope, db, t)),
      ],
    },
    {
      Sid: "GlueServingViewsOfOwnDatabase",
      Effect: "Allow",
      Action: GLUE_VIEW_WRITE_ACTIONS,
      Resource: [
        glueCatalogArn(scope),
        glueDatabaseArn(scope, db),
        ...SERVING_VIEWS.map((v) => glueTableArn(scope, db, v)),
      ],
    },
    {
      Sid: "ReadOwnApiKey",
      Effect: "Allow",
      Action: ["ssm:GetParameter"],
      Resource: [ssmParameterArn(scope, apiKeyParameterName(env))],
    },
  ];
  if (p.crawler) {
    statements.push({
      Sid: "RunOwnCrawler",
      Effect: "Allow",
      Action: ["glue:StartCrawler", "glue:GetCrawler"],
      Resource: [glueCrawlerArn(scope, crawlerName(env))],
    });
  }
  return policyDocument(...statements);
}

export interface CrawlerPolicyInput {
  scope: AwsScope;
  env: Environment;
  bucket: string;
}

/** The crawler reads its env's processed prefix and adds partitions; it never updates tables (schema policy LOG). */
export function crawlerPolicy(p: CrawlerPolicyInput): PolicyDocument {
  const { scope, env, bucket } = p;
  const processed = layerPrefixes(env, ["processed"]);
  const db = databaseName(env);
  return policyDocument(
    {
      Sid: "ReadProcessed",
      Effect: "Allow",
      Action: ["s3:GetObject"],
      Resource: processed.map((prefix) => s3ObjectsArn(scope, bucket, prefix)),
    },
    {
      Sid: "ListProcessed",
      Effect: "Allow",
      Action: ["s3:ListBucket"],
      Resource: [s3BucketArn(scope, bucket)],
      Condition: { StringLike: { "s3:prefix": [`${env}/processed/*`] } },
    },
    {
      Sid: "GlueReadAndPartitions",
      Effect: "Allow",
      Action: [...GLUE_READ_ACTIONS, ...GLUE_PARTITION_WRITE_ACTIONS],
      Resource: [
        glueCatalogArn(scope),
        glueDatabaseArn(scope, db),
        ...DATASET_NAMES.map((t) => glueTableArn(scope, db, t)),
      ],
    },
    {
      Sid: "CrawlerLogs",
      Effect: "Allow",
      Action: ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
      Resource: [logGroupArn(scope, "/aws-glue/crawlers")],
    },
  );
}

export interface OwoxPolicyInput {
  scope: AwsScope;
  env: Environment;
  /** The shared data bucket (read-only: the env's processed prefix). */
  dataBucket: string;
  /** The bucket OWOX is given as `outputBucket`; it writes/deletes only under its own prefixes there. */
  resultsBucket: string;
}

/**
 * OWOX Data Marts' read-only identity for one environment (reference/owox.md §5.3): query in the
 * `primary` workgroup (OWOX sends no workgroup), read the env's tables and views, read the env's
 * processed data, and read/write/delete only under OWOX's own result prefixes of the results bucket.
 */
export function owoxReadOnlyPolicy(p: OwoxPolicyInput): PolicyDocument {
  const { scope, env, dataBucket, resultsBucket } = p;
  const processed = layerPrefixes(env, ["processed"]);
  return policyDocument(
    {
      Sid: "AthenaPrimaryWorkgroup",
      Effect: "Allow",
      Action: ATHENA_QUERY_ACTIONS,
      Resource: [athenaWorkgroupArn(scope, OWOX_WORKGROUP)],
    },
    {
      Sid: "GlueReadOwnDatabase",
      Effect: "Allow",
      Action: GLUE_READ_ACTIONS,
      // Athena checks GetDatabase on `default` when a query carries no database context.
      Resource: [...glueEnvironmentResources(scope, env), glueDatabaseArn(scope, "default")],
    },
    {
      Sid: "ReadOwnProcessedData",
      Effect: "Allow",
      Action: ["s3:GetObject"],
      Resource: processed.map((prefix) => s3ObjectsArn(scope, dataBucket, prefix)),
    },
    {
      Sid: "ListOwnProcessedData",
      Effect: "Allow",
      Action: ["s3:ListBucket"],
      Resource: [s3BucketArn(scope, dataBucket)],
      Condition: { StringLike: { "s3:prefix": [`${env}/processed/*`] } },
    },
    {
      Sid: "DataBucketLocation",
      Effect: "Allow",
      Action: ["s3:GetBucketLocation"],
      Resource: [s3BucketArn(scope, dataBucket)],
    },
    {
      Sid: "OwoxResultObjects",
      Effect: "Allow",
      Action: ["s3:GetObject", ...S3_OBJECT_WRITE_ACTIONS],
      Resource: OWOX_RESULT_PREFIXES.map((prefix) => s3ObjectsArn(scope, resultsBucket, prefix)),
    },
    {
      Sid: "ListOwoxResultPrefixes",
      Effect: "Allow",
      Action: ["s3:ListBucket"],
      Resource: [s3BucketArn(scope, resultsBucket)],
      Condition: { StringLike: { "s3:prefix": OWOX_RESULT_PREFIXES.map((prefix) => `${prefix}*`) } },
    },
    {
      Sid: "ResultsBucketLocationAndUploads",
      Effect: "Allow",
      Action: ["s3:GetBucketLocation", "s3:ListBucketMultipartUploads"],
      Resource: [s3BucketArn(scope, resultsBucket)],
    },
  );
}

export interface AirflowHostPolicyInput {
  scope: AwsScope;
  bucket: string;
  repositoryArn: string;
  alertsTopicArn: string;
  /** The pipeline roles (one per environment, by name) the host may assume for a task. */
  pipelineRoleNames: readonly string[];
  /** SSM parameters the host itself reads at boot (the Airflow admin password); never an env's API key. */
  readableParameterNames: readonly string[];
}

/**
 * The Airflow host itself holds no data rights: it pulls the extractor image, reads its own bundle,
 * publishes failed-run alerts, and assumes the pipeline role of the environment a task runs for.
 */
export function airflowHostPolicy(p: AirflowHostPolicyInput): PolicyDocument {
  const { scope, bucket } = p;
  return policyDocument(
    {
      Sid: "EcrLogin",
      Effect: "Allow",
      // GetAuthorizationToken has no resource-level permissions: "*" is the narrowest resource.
      Action: ["ecr:GetAuthorizationToken"],
      Resource: ["*"],
    },
    {
      Sid: "PullExtractorImage",
      Effect: "Allow",
      Action: ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"],
      Resource: [p.repositoryArn],
    },
    {
      Sid: "ReadAirflowBundle",
      Effect: "Allow",
      Action: ["s3:GetObject"],
      Resource: [s3ObjectsArn(scope, bucket, AIRFLOW_BUNDLE_PREFIX)],
    },
    {
      Sid: "ListAirflowBundle",
      Effect: "Allow",
      Action: ["s3:ListBucket"],
      Resource: [s3BucketArn(scope, bucket)],
      Condition: { StringLike: { "s3:prefix": [`${AIRFLOW_BUNDLE_PREFIX}*`] } },
    },
    {
      Sid: "PublishFailedRunAlerts",
      Effect: "Allow",
      Action: ["sns:Publish"],
      Resource: [p.alertsTopicArn],
    },
    {
      Sid: "ReadHostParameters",
      Effect: "Allow",
      Action: ["ssm:GetParameter"],
      Resource: p.readableParameterNames.map((name) => ssmParameterArn(scope, name)),
    },
    {
      Sid: "AssumePipelineRoles",
      Effect: "Allow",
      Action: ["sts:AssumeRole"],
      Resource: p.pipelineRoleNames.map((name) => iamRoleArn(scope, name)),
    },
  );
}

/** Deny every request to the bucket that does not use TLS. */
export function tlsOnlyBucketPolicy(bucketArn: string): PolicyDocument {
  return policyDocument({
    Sid: "DenyInsecureTransport",
    Effect: "Deny",
    Principal: "*",
    Action: ["s3:*"],
    Resource: [bucketArn, `${bucketArn}/*`],
    Condition: { Bool: { "aws:SecureTransport": "false" } },
  });
}
