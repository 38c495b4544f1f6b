import {
  DATASETS,
  databaseName,
  datasetPrefix,
  ENVIRONMENTS,
  type Environment,
  EXTERNAL_READS,
  LAKE_CONTRACT,
  type LakeArea,
  type Layer,
  layerPrefix,
  OPENAQ_ARCHIVE_TABLE,
  SERVICE_CONTRACT,
  SERVING_VIEWS,
  type ServiceResourceKind,
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
export const ATHENA_QUERY_ACTIONS = [
  "athena:StartQueryExecution",
  "athena:StopQueryExecution",
  "athena:GetQueryExecution",
  "athena:GetQueryResults",
  "athena:BatchGetQueryExecution",
  "athena:GetWorkGroup",
];

/** Reading a Glue database, its tables and their partitions (the crawler, OWOX). */
export const GLUE_READ_ACTIONS = [
  "glue:GetDatabase",
  "glue:GetDatabases",
  "glue:GetTable",
  "glue:GetTables",
  "glue:GetPartition",
  "glue:GetPartitions",
  "glue:BatchGetPartition",
];

/** Adding, changing and removing a table's partitions (the crawler; never the tables themselves). */
export const GLUE_PARTITION_WRITE_ACTIONS = [
  "glue:CreatePartition",
  "glue:BatchCreatePartition",
  "glue:UpdatePartition",
  "glue:DeletePartition",
  "glue:BatchDeletePartition",
];

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

/** The ARNs a contract resource kind stands for in one environment. */
export function serviceResourceArns(scope: AwsScope, env: Environment, kind: ServiceResourceKind): string[] {
  const db = databaseName(env);
  switch (kind) {
    case "glue-catalog":
      return [glueCatalogArn(scope)];
    case "glue-database":
      return [glueDatabaseArn(scope, db)];
    case "glue-tables":
      return DATASET_NAMES.map((t) => glueTableArn(scope, db, t));
    case "glue-archive-table":
      return [glueTableArn(scope, db, OPENAQ_ARCHIVE_TABLE)];
    case "glue-views":
      return SERVING_VIEWS.map((v) => glueTableArn(scope, db, v));
    case "athena-workgroup":
      return [athenaWorkgroupArn(scope, workgroupName(env))];
    case "glue-crawler":
      return [glueCrawlerArn(scope, crawlerName(env))];
    case "api-key-parameter":
      return [ssmParameterArn(scope, apiKeyParameterName(env))];
  }
}

const KIND_WORDS: Record<ServiceResourceKind, string> = {
  "glue-catalog": "",
  "glue-database": "Database",
  "glue-tables": "Tables",
  "glue-views": "Views",
  "glue-archive-table": "ArchiveTable",
  "athena-workgroup": "Workgroup",
  "glue-crawler": "Crawler",
  "api-key-parameter": "ApiKey",
};

/** `OwnTablesViews`, `OwnApiKey`, …: what a statement's resources are, for people reading the policy. */
function serviceSid(kinds: readonly ServiceResourceKind[]): string {
  const tables =
    kinds.includes("glue-tables") || kinds.includes("glue-views") || kinds.includes("glue-archive-table");
  return `Own${kinds
    .filter((k) => !(tables && k === "glue-database"))
    .map((k) => KIND_WORDS[k])
    .join("")}`;
}

const AREA_WORDS: Record<LakeArea, string> = {
  raw: "Raw",
  processed: "Processed",
  quarantine: "Quarantine",
  state: "State",
  leases: "Leases",
  staging: "Staging",
  "athena-results": "AthenaResults",
};

/** The pipeline's S3 grants for one environment, one statement per lake area of the contract. */
export function pipelineLakeStatements(scope: AwsScope, env: Environment, bucket: string): PolicyStatement[] {
  return [
    ...LAKE_CONTRACT.map(
      (area): PolicyStatement => ({
        Sid: `Lake${AREA_WORDS[area.area]}`,
        Effect: "Allow",
        Action: [...area.objectActions],
        Resource: [s3ObjectsArn(scope, bucket, area.prefix(env))],
      }),
    ),
    {
      Sid: "ListOwnLakeAreas",
      Effect: "Allow",
      Action: ["s3:ListBucket"],
      Resource: [s3BucketArn(scope, bucket)],
      Condition: { StringLike: { "s3:prefix": LAKE_CONTRACT.map((area) => `${area.prefix(env)}*`) } },
    },
    ...EXTERNAL_READS.flatMap((r): PolicyStatement[] => [
      {
        Sid: "ReadOpenAqArchive",
        Effect: "Allow",
        Action: [...r.objectActions],
        Resource: [s3ObjectsArn(scope, r.bucket, r.prefix)],
      },
      {
        Sid: "ListOpenAqArchive",
        Effect: "Allow",
        Action: ["s3:ListBucket"],
        Resource: [s3BucketArn(scope, r.bucket)],
        Condition: { StringLike: { "s3:prefix": [`${r.prefix}*`] } },
      },
    ]),
    {
      // Not ListBucketMultipartUploads: it cannot be limited to a prefix and would list the other env's uploads.
      Sid: "BucketLocation",
      Effect: "Allow",
      Action: ["s3:GetBucketLocation"],
      Resource: [s3BucketArn(scope, bucket)],
    },
  ];
}

/**
 * What one environment's pipeline container may do, derived from the contract (pipeline-core
 * `LAKE_CONTRACT`, `SERVICE_CONTRACT`): the S3 actions of each lake area of its env, and each AWS
 * call of the pipeline on its env's catalog, workgroup, crawler (when it exists) and API key.
 */
export function pipelinePolicy(p: PipelinePolicyInput): PolicyDocument {
  const { scope, env, bucket } = p;
  const calls = SERVICE_CONTRACT.filter((c) => p.crawler || c.catalogMode !== "crawler");
  // One statement per distinct resource set, so the document stays short and readable.
  const groups = new Map<string, { on: readonly ServiceResourceKind[]; actions: string[] }>();
  for (const call of calls) {
    const key = call.on.join("+");
    const group = groups.get(key) ?? { on: call.on, actions: [] };
    group.actions.push(call.action);
    groups.set(key, group);
  }
  const serviceStatements = [...groups.values()].map(
    (g): PolicyStatement => ({
      Sid: serviceSid(g.on),
      Effect: "Allow",
      Action: g.actions,
      Resource: g.on.flatMap((kind) => serviceResourceArns(scope, env, kind)),
    }),
  );
  return policyDocument(...pipelineLakeStatements(scope, env, bucket), ...serviceStatements);
}

/** Reading the env's processed datasets and listing its processed prefix: what a reader of the lake needs. */
function readProcessedStatements(
  scope: AwsScope,
  env: Environment,
  bucket: string,
  sids: { read: string; list: string },
): PolicyStatement[] {
  return [
    {
      Sid: sids.read,
      Effect: "Allow",
      Action: ["s3:GetObject"],
      Resource: layerPrefixes(env, ["processed"]).map((prefix) => s3ObjectsArn(scope, bucket, prefix)),
    },
    {
      Sid: sids.list,
      Effect: "Allow",
      Action: ["s3:ListBucket"],
      Resource: [s3BucketArn(scope, bucket)],
      Condition: { StringLike: { "s3:prefix": [`${layerPrefix(env, "processed")}*`] } },
    },
  ];
}

export interface CrawlerPolicyInput {
  scope: AwsScope;
  env: Environment;
  bucket: string;
}

/** The crawler reads its env's processed prefix and adds partitions; it never updates tables (schema policy LOG). */
export function crawlerPolicy(p: CrawlerPolicyInput): PolicyDocument {
  const { scope, env, bucket } = p;
  const db = databaseName(env);
  return policyDocument(
    ...readProcessedStatements(scope, env, bucket, { read: "ReadProcessed", list: "ListProcessed" }),
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
 * OWOX Data Marts' read-only identity for one environment (docs/owox.md): query in the
 * `primary` workgroup (OWOX sends no workgroup), read the env's tables and views, read the env's
 * processed data, and read/write/delete only under OWOX's own result prefixes of the results bucket.
 */
export function owoxReadOnlyPolicy(p: OwoxPolicyInput): PolicyDocument {
  const { scope, env, dataBucket, resultsBucket } = p;
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
    ...readProcessedStatements(scope, env, dataBucket, {
      read: "ReadOwnProcessedData",
      list: "ListOwnProcessedData",
    }),
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
 * What Session Manager and the SSM agent need on the host: `AmazonSSMManagedInstanceCore` without
 * its `ssm:GetParameter(s)` on `*` (which would let the host, and any process on it, read every
 * SecureString it can decrypt, both API keys included), and without documents, inventory and
 * patching, which this host does not use. None of these actions has resource-level permissions.
 */
export const SSM_AGENT_ACTIONS = [
  "ssm:UpdateInstanceInformation",
  "ssmmessages:CreateControlChannel",
  "ssmmessages:CreateDataChannel",
  "ssmmessages:OpenControlChannel",
  "ssmmessages:OpenDataChannel",
  "ec2messages:AcknowledgeMessage",
  "ec2messages:DeleteMessage",
  "ec2messages:FailMessage",
  "ec2messages:GetEndpoint",
  "ec2messages:GetMessages",
  "ec2messages:SendReply",
] as const;

/** Every environment's API-key parameter: what the host must never read, even if a broader grant is attached later. */
export function apiKeyParameterArns(scope: AwsScope): string[] {
  return ENVIRONMENTS.map((env) => ssmParameterArn(scope, apiKeyParameterName(env)));
}

/**
 * The Airflow host itself holds no data rights: it pulls the extractor image, reads its own bundle,
 * publishes failed-run alerts, assumes the pipeline role of the environment a task runs for, and
 * talks to Session Manager. An explicit Deny keeps both API keys out of its reach.
 */
export function airflowHostPolicy(p: AirflowHostPolicyInput): PolicyDocument {
  const { scope, bucket } = p;
  return policyDocument(
    {
      Sid: "SessionManagerAgent",
      Effect: "Allow",
      Action: [...SSM_AGENT_ACTIONS],
      Resource: ["*"],
    },
    {
      Sid: "DenyApiKeys",
      Effect: "Deny",
      Action: ["ssm:GetParameter", "ssm:GetParameters", "ssm:GetParametersByPath", "ssm:GetParameterHistory"],
      Resource: apiKeyParameterArns(scope),
    },
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
      Action: ["sts:AssumeRole", "sts:SetSourceIdentity"],
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
