/**
 * Turns the AWS requests a pipeline run made into the IAM requests AWS authorizes for them:
 * S3 commands (recorded on their way to the S3 test server) and Glue/Athena/SSM commands (answered
 * by SDK test doubles). Athena's own calls on the caller's behalf (Glue reads and view writes for a
 * statement, the result object in the workgroup's output location) are derived from each statement.
 */
import { databaseName, type Environment } from "@openaq-lakehouse/pipeline-core";
import {
  athenaWorkgroupArn,
  glueCatalogArn,
  glueCrawlerArn,
  glueDatabaseArn,
  glueTableArn,
  ssmParameterArn,
} from "../../src/iam/arns.js";
import type { IamRequest } from "./iam-evaluator.js";
import { SCOPE } from "./iam-evaluator.js";

export interface RecordedCall {
  service: "s3" | "glue" | "athena" | "ssm" | "sns";
  /** The SDK command name, e.g. `PutObjectCommand`. */
  command: string;
  input: Record<string, unknown>;
}

function s3Object(bucket: unknown, key: unknown): string {
  return `arn:aws:s3:::${String(bucket)}/${String(key)}`;
}

function s3Requests(c: RecordedCall): IamRequest[] {
  const i = c.input;
  switch (c.command) {
    case "PutObjectCommand":
    case "CreateMultipartUploadCommand":
    case "UploadPartCommand":
    case "CompleteMultipartUploadCommand":
      return [{ action: "s3:PutObject", resource: s3Object(i.Bucket, i.Key) }];
    case "GetObjectCommand":
    case "HeadObjectCommand":
      return [{ action: "s3:GetObject", resource: s3Object(i.Bucket, i.Key) }];
    case "DeleteObjectCommand":
      return [{ action: "s3:DeleteObject", resource: s3Object(i.Bucket, i.Key) }];
    case "DeleteObjectsCommand":
      return ((i.Delete as { Objects?: Array<{ Key?: string }> })?.Objects ?? []).map((o) => ({
        action: "s3:DeleteObject",
        resource: s3Object(i.Bucket, o.Key),
      }));
    case "AbortMultipartUploadCommand":
      return [{ action: "s3:AbortMultipartUpload", resource: s3Object(i.Bucket, i.Key) }];
    case "ListPartsCommand":
      return [{ action: "s3:ListMultipartUploadParts", resource: s3Object(i.Bucket, i.Key) }];
    case "ListObjectsV2Command":
    case "ListObjectsCommand":
      return [
        {
          action: "s3:ListBucket",
          resource: `arn:aws:s3:::${String(i.Bucket)}`,
          context: { "s3:prefix": String(i.Prefix ?? "") },
        },
      ];
    default:
      throw new Error(
        `The recorder has no IAM mapping for S3 ${c.command}: add one before the pipeline uses it.`,
      );
  }
}

function glueTableScope(database: string, table: string): string[] {
  return [glueCatalogArn(SCOPE), glueDatabaseArn(SCOPE, database), glueTableArn(SCOPE, database, table)];
}

function glueRequests(c: RecordedCall): IamRequest[] {
  const i = c.input;
  const action = `glue:${c.command.replace(/Command$/, "")}`;
  switch (c.command) {
    case "GetTableCommand":
      return glueTableScope(String(i.DatabaseName), String(i.Name)).map((resource) => ({ action, resource }));
    case "BatchCreatePartitionCommand":
    case "GetPartitionsCommand":
      return glueTableScope(String(i.DatabaseName), String(i.TableName)).map((resource) => ({
        action,
        resource,
      }));
    case "StartCrawlerCommand":
    case "GetCrawlerCommand":
      return [{ action, resource: glueCrawlerArn(SCOPE, String(i.Name)) }];
    default:
      throw new Error(`The recorder has no IAM mapping for Glue ${c.command}.`);
  }
}

/**
 * What Athena checks as the caller for one statement (Athena docs, "Access to the AWS Glue Data Catalog"):
 * GetDatabase and GetTable on what it reads, Create/UpdateTable for `CREATE OR REPLACE VIEW`, and the
 * result object written under the workgroup's output location.
 */
function athenaStatementRequests(
  sql: string,
  env: Environment,
  resultsKey: string,
  bucket: string,
): IamRequest[] {
  const db = databaseName(env);
  const requests: IamRequest[] = [];
  const named = new Set<string>();
  for (const m of sql.matchAll(/\b(openaq_[a-z]+)\.([a-z_][a-z0-9_]*)/gi)) named.add(`${m[1]}.${m[2]}`);
  for (const q of named) {
    const [database, table] = q.split(".") as [string, string];
    requests.push({ action: "glue:GetDatabase", resource: glueDatabaseArn(SCOPE, database) });
    for (const resource of glueTableScope(database, table))
      requests.push({ action: "glue:GetTable", resource });
  }
  const view = /^\s*CREATE\s+OR\s+REPLACE\s+VIEW\s+(openaq_[a-z]+)\.([a-z_]+)/i.exec(sql);
  if (view) {
    for (const action of ["glue:CreateTable", "glue:UpdateTable"]) {
      for (const resource of glueTableScope(view[1] as string, view[2] as string))
        requests.push({ action, resource });
    }
  }
  // Views read the tables of their own database; a statement naming none still runs in `db`.
  if (named.size === 0) requests.push({ action: "glue:GetDatabase", resource: glueDatabaseArn(SCOPE, db) });
  requests.push(
    { action: "s3:PutObject", resource: `arn:aws:s3:::${bucket}/${resultsKey}` },
    { action: "s3:GetObject", resource: `arn:aws:s3:::${bucket}/${resultsKey}` },
  );
  return requests;
}

export interface AthenaSetup {
  env: Environment;
  bucket: string;
  /** Result key of a query id, under the workgroup's output location. */
  resultsKey(queryId: string): string;
  /** The SQL of each started query, by id. */
  statements: Map<string, string>;
}

function athenaRequests(c: RecordedCall, setup: AthenaSetup): IamRequest[] {
  const action = `athena:${c.command.replace(/Command$/, "")}`;
  const workgroup = String(c.input.WorkGroup ?? `openaq-${setup.env}`);
  const own = [{ action, resource: athenaWorkgroupArn(SCOPE, workgroup) }];
  if (c.command !== "StartQueryExecutionCommand") return own;
  const id = [...setup.statements.entries()].find(([, sql]) => sql === c.input.QueryString)?.[0] ?? "unknown";
  return [
    ...own,
    ...athenaStatementRequests(String(c.input.QueryString), setup.env, setup.resultsKey(id), setup.bucket),
  ];
}

export function iamRequestsOf(calls: readonly RecordedCall[], athena: AthenaSetup): IamRequest[] {
  return calls.flatMap((c): IamRequest[] => {
    switch (c.service) {
      case "s3":
        return s3Requests(c);
      case "glue":
        return glueRequests(c);
      case "athena":
        return athenaRequests(c, athena);
      case "ssm":
        return [
          {
            action: `ssm:${c.command.replace(/Command$/, "")}`,
            resource: ssmParameterArn(SCOPE, String(c.input.Name)),
          },
        ];
      case "sns":
        return [{ action: "sns:Publish", resource: String(c.input.TopicArn) }];
      default:
        throw new Error(`The recorder has no IAM mapping for ${String(c.service)}.`);
    }
  });
}
