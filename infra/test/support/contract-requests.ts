import {
  type Environment,
  LAKE_CONTRACT,
  S3_OBJECT_ACTIONS,
  SERVICE_CONTRACT,
} from "@openaq-lakehouse/pipeline-core";
import { serviceResourceArns } from "../../src/iam/access-policies.js";
import type { AwsScope } from "../../src/iam/arns.js";
import type { IamRequest } from "./iam-evaluator.js";

/** A key inside a prefix, as the pipeline would write it. */
function keyIn(prefix: string): string {
  return `${prefix}measurements/year=2024/month=03/day=05/part-00000.parquet`;
}

/** Every request the contract says the pipeline of `env` makes: each lake area's actions and listing, each AWS call. */
export function contractRequests(scope: AwsScope, env: Environment, bucket: string): IamRequest[] {
  const s3 = LAKE_CONTRACT.flatMap((area) => [
    ...area.objectActions.map((action) => ({
      action,
      resource: `arn:aws:s3:::${bucket}/${keyIn(area.prefix(env))}`,
    })),
    {
      action: "s3:ListBucket",
      resource: `arn:aws:s3:::${bucket}`,
      context: { "s3:prefix": area.prefix(env) },
    },
  ]);
  const calls = SERVICE_CONTRACT.flatMap((call) =>
    call.on.flatMap((kind) =>
      serviceResourceArns(scope, env, kind).map((resource) => ({ action: call.action, resource })),
    ),
  );
  return [...s3, ...calls];
}

/** What the contract does not grant on a lake area (e.g. deleting raw): each must be denied. */
export function contractForbiddenRequests(env: Environment, bucket: string): IamRequest[] {
  return LAKE_CONTRACT.flatMap((area) =>
    S3_OBJECT_ACTIONS.filter((a) => !area.objectActions.includes(a)).map((action) => ({
      action,
      resource: `arn:aws:s3:::${bucket}/${keyIn(area.prefix(env))}`,
    })),
  );
}

/** Writes of any kind to the data and catalog of `env`: what a read-only identity must never do. */
export function writeRequests(scope: AwsScope, env: Environment, bucket: string): IamRequest[] {
  return [
    ...LAKE_CONTRACT.flatMap((area) =>
      ["s3:PutObject", "s3:DeleteObject", "s3:PutLifecycleConfiguration"].map((action) => ({
        action,
        resource: action.includes("Lifecycle")
          ? `arn:aws:s3:::${bucket}`
          : `arn:aws:s3:::${bucket}/${keyIn(area.prefix(env))}`,
      })),
    ),
    ...["glue:CreateTable", "glue:UpdateTable", "glue:DeleteTable", "glue:BatchCreatePartition"].flatMap(
      (action) =>
        ["glue-tables", "glue-views"].flatMap((kind) =>
          serviceResourceArns(scope, env, kind as "glue-tables" | "glue-views").map((resource) => ({
            action,
            resource,
          })),
        ),
    ),
  ];
}
