/**
 * Test-only: AWS's policy evaluation logic (identity policies, resource policy, explicit deny,
 * conditions) through `@cloud-copilot/iam-simulate`. That package is AGPL-licensed: it is a
 * devDependency used from tests only and never shipped or imported by `src/`.
 */
import { readFileSync } from "node:fs";
import { runSimulation } from "@cloud-copilot/iam-simulate";

export const ACCOUNT = "123456789012";
export const REGION = "ap-southeast-1";
export const SCOPE = { partition: "aws", region: REGION, accountId: ACCOUNT };

/** One AWS request as IAM sees it: an action on one resource ARN, with its request context. */
export interface IamRequest {
  action: string;
  resource: string;
  context?: Record<string, string | string[]>;
}

export interface Principal {
  /** The caller's ARN, e.g. an assumed-role session. */
  arn: string;
  policies: Array<{ name: string; policy: unknown }>;
}

export type Decision = "Allowed" | "ImplicitlyDenied" | "ExplicitlyDenied";

export async function evaluate(
  principal: Principal,
  request: IamRequest,
  resourcePolicy?: unknown,
): Promise<Decision> {
  const result = await runSimulation(
    {
      request: {
        principal: principal.arn,
        action: request.action,
        resource: { resource: request.resource, accountId: ACCOUNT },
        contextVariables: { "aws:SecureTransport": "true", ...request.context },
      },
      identityPolicies: principal.policies.map((p) => ({ name: p.name, policy: p.policy })),
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      ...(resourcePolicy !== undefined && { resourcePolicy }),
    },
    {},
  );
  if (result.resultType === "error") {
    throw new Error(
      `The evaluator refused ${request.action} on ${request.resource}: ${JSON.stringify(result.errors)}`,
    );
  }
  return result.overallResult as Decision;
}

export function assumedRole(roleName: string): string {
  return `arn:aws:sts::${ACCOUNT}:assumed-role/${roleName}/session`;
}

export interface ManagedPolicy {
  arn: string;
  version: string;
  source: string;
  retrieved: string;
  document: unknown;
}

const MANAGED_DIR = new URL("../data/aws-managed-policies/", import.meta.url);

/** A vendored AWS managed policy by ARN; throws for one that is not vendored (so it cannot be judged). */
export function managedPolicy(arn: string): ManagedPolicy {
  const name = arn.split("/").pop() ?? "";
  try {
    return JSON.parse(readFileSync(new URL(`${name}.json`, MANAGED_DIR), "utf8")) as ManagedPolicy;
  } catch {
    throw new Error(
      `No vendored document for managed policy ${arn}: add it under test/data/aws-managed-policies/.`,
    );
  }
}
