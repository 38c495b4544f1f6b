import {
  ENVIRONMENTS,
  type Environment,
  EXTERNAL_READS,
  LAKE_CONTRACT,
  layerPrefix,
  SERVICE_CONTRACT,
} from "@openaq-lakehouse/pipeline-core";
import {
  ATHENA_QUERY_ACTIONS,
  GLUE_PARTITION_WRITE_ACTIONS,
  GLUE_READ_ACTIONS,
  SSM_AGENT_ACTIONS,
  serviceResourceArns,
} from "../iam/access-policies.js";
import { type AwsScope, ssmParameterArn } from "../iam/arns.js";
import {
  AIRFLOW_BUNDLE_PREFIX,
  OWOX_RESULT_PREFIXES,
  OWOX_WORKGROUP,
  owoxUserName,
  PLATFORM_PARAMETER_PREFIX,
  pipelineRoleName,
} from "../names.js";
import {
  actionMatches,
  iamGlobMatches,
  type NormalizedStatement,
  parsePolicy,
  policyStatements,
  type RecordedResource,
} from "./policy-statements.js";

/**
 * Least privilege as allow-lists, one per principal, checked over a stack's whole resource graph:
 * every Allow any principal holds (inline policies, policy resources, managed-policy attachments,
 * trust policies) must fall inside what that principal is allowed, or it is a violation. The lists
 * come from the contract (pipeline-core), the names of the deployment and the action sets the IAM
 * module names (what running an Athena query, reading Glue or the SSM agent takes), never from the grants they
 * check. Deny statements only take rights away and are always accepted.
 */

/** One allowed grant: exact actions on resources matched by ARN patterns (`*` any run of characters). */
export interface AllowEntry {
  actions: readonly string[];
  resources: readonly string[];
  /** For `s3:ListBucket`: the `s3:prefix` patterns a listing may be limited to (required). */
  listPrefixes?: readonly string[];
}

export interface PrincipalAllowList {
  principal: string;
  entries: readonly AllowEntry[];
  /** Who may assume the role: AWS services, or role ARN patterns (never an account root or `*`). */
  trust: { services?: readonly string[]; roles?: readonly string[] } | null;
}

/** Any partition, region, account: the lists constrain what is named, the stack fixes where. */
const ANY: AwsScope = { partition: "*", region: "*", accountId: "*" };
const ANY_BUCKET = "*";

function s3Objects(prefix: string): string {
  return `arn:*:s3:::${ANY_BUCKET}/${prefix}*`;
}
const ANY_BUCKET_ARN = `arn:*:s3:::${ANY_BUCKET}`;

export function pipelineAllowList(env: Environment): PrincipalAllowList {
  return {
    principal: `role ${pipelineRoleName(env)}`,
    entries: [
      ...LAKE_CONTRACT.map((area) => ({
        actions: area.objectActions,
        resources: [s3Objects(area.prefix(env))],
      })),
      {
        actions: ["s3:ListBucket"],
        resources: [ANY_BUCKET_ARN],
        listPrefixes: LAKE_CONTRACT.map((area) => `${area.prefix(env)}*`),
      },
      { actions: ["s3:GetBucketLocation"], resources: [ANY_BUCKET_ARN] },
      ...EXTERNAL_READS.flatMap((r) => [
        { actions: r.objectActions, resources: [`arn:*:s3:::${r.bucket}/${r.prefix}*`] },
        { actions: ["s3:ListBucket"], resources: [`arn:*:s3:::${r.bucket}`], listPrefixes: [`${r.prefix}*`] },
      ]),
      ...SERVICE_CONTRACT.map((call) => ({
        actions: [call.action],
        resources: call.on.flatMap((kind) => serviceResourceArns(ANY, env, kind)),
      })),
    ],
    // The Airflow host's role (auto-named) is the only one; a role ARN, never an account or `*`.
    trust: { roles: ["arn:*:iam::*:role/*"] },
  };
}

export function hostAllowList(): PrincipalAllowList {
  return {
    principal: "the Airflow host role",
    entries: [
      { actions: [...SSM_AGENT_ACTIONS, "ecr:GetAuthorizationToken"], resources: ["*"] },
      {
        actions: ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"],
        resources: ["arn:*:ecr:*:*:repository/*"],
      },
      { actions: ["s3:GetObject"], resources: [s3Objects(AIRFLOW_BUNDLE_PREFIX)] },
      {
        actions: ["s3:ListBucket"],
        resources: [ANY_BUCKET_ARN],
        listPrefixes: [`${AIRFLOW_BUNDLE_PREFIX}*`],
      },
      { actions: ["sns:Publish"], resources: ["arn:*:sns:*:*:*"] },
      { actions: ["ssm:GetParameter"], resources: [ssmParameterArn(ANY, `${PLATFORM_PARAMETER_PREFIX}*`)] },
      {
        actions: ["sts:AssumeRole", "sts:SetSourceIdentity", "sts:TagSession"],
        resources: ENVIRONMENTS.map((e) => `arn:*:iam::*:role/${pipelineRoleName(e)}`),
      },
    ],
    trust: { services: ["ec2.amazonaws.com"] },
  };
}

/** The sleeping host's wake schedules (EventBridge Scheduler): start the Airflow host, nothing else. */
export function wakeSchedulerAllowList(): PrincipalAllowList {
  return {
    principal: "the host's wake-schedule role",
    entries: [{ actions: ["ec2:StartInstances"], resources: ["arn:*:ec2:*:*:instance/*"] }],
    trust: { services: ["scheduler.amazonaws.com"] },
  };
}

export function crawlerAllowList(env: Environment): PrincipalAllowList {
  const glueTables = ["glue-catalog", "glue-database", "glue-tables"] as const;
  return {
    principal: `the Glue crawler role of ${env}`,
    entries: [
      { actions: ["s3:GetObject"], resources: [s3Objects(layerPrefix(env, "processed"))] },
      {
        actions: ["s3:ListBucket"],
        resources: [ANY_BUCKET_ARN],
        listPrefixes: [`${layerPrefix(env, "processed")}*`],
      },
      {
        actions: [...GLUE_READ_ACTIONS, ...GLUE_PARTITION_WRITE_ACTIONS],
        resources: glueTables.flatMap((k) => serviceResourceArns(ANY, env, k)),
      },
      {
        actions: ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
        resources: ["arn:*:logs:*:*:log-group:/aws-glue/crawlers*"],
      },
    ],
    trust: { services: ["glue.amazonaws.com"] },
  };
}

export function owoxAllowList(env: Environment): PrincipalAllowList {
  return {
    principal: `user ${owoxUserName(env)}`,
    entries: [
      {
        actions: [...ATHENA_QUERY_ACTIONS],
        // OWOX sends no WorkGroup: its queries run in `primary` (docs/owox.md).
        resources: [`arn:*:athena:*:*:workgroup/${OWOX_WORKGROUP}`],
      },
      {
        actions: [...GLUE_READ_ACTIONS],
        resources: [
          ...(["glue-catalog", "glue-database", "glue-tables", "glue-views"] as const).flatMap((k) =>
            serviceResourceArns(ANY, env, k),
          ),
          "arn:*:glue:*:*:database/default",
        ],
      },
      { actions: ["s3:GetObject"], resources: [s3Objects(layerPrefix(env, "processed"))] },
      {
        actions: ["s3:ListBucket"],
        resources: [ANY_BUCKET_ARN],
        listPrefixes: [`${layerPrefix(env, "processed")}*`, ...OWOX_RESULT_PREFIXES.map((p) => `${p}*`)],
      },
      { actions: ["s3:GetBucketLocation", "s3:ListBucketMultipartUploads"], resources: [ANY_BUCKET_ARN] },
      {
        actions: [
          "s3:GetObject",
          "s3:PutObject",
          "s3:DeleteObject",
          "s3:AbortMultipartUpload",
          "s3:ListMultipartUploadParts",
        ],
        resources: OWOX_RESULT_PREFIXES.map((p) => s3Objects(p)),
      },
    ],
    trust: null,
  };
}

/**
 * Whether every string the ARN pattern `granted` can match is matched by `allowed`. Treating the
 * granted `*` as a literal character: if `allowed` matches that string, its own `*`s absorb every
 * expansion of the granted ones, so the grant is inside the allowance. (`?` is not used in either.)
 */
export function patternWithin(granted: string, allowed: string): boolean {
  if (granted.includes("?")) return false;
  return iamGlobMatches(allowed, granted);
}

function statementProblems(s: NormalizedStatement, list: PrincipalAllowList): string[] {
  if (s.effect !== "Allow") return [];
  const problems: string[] = [];
  if (s.notActions.length > 0 || s.notResources.length > 0)
    return [`Statement ${s.sid} uses NotAction/NotResource in an Allow.`];
  for (const action of s.actions) {
    if (/[*?]/.test(action)) {
      problems.push(`Statement ${s.sid} grants the action pattern ${action}; name each action.`);
      continue;
    }
    const entries = list.entries.filter((e) => e.actions.some((a) => actionMatches(a, action)));
    if (entries.length === 0) {
      problems.push(`Statement ${s.sid} grants ${action}, which ${list.principal} is not allowed.`);
      continue;
    }
    for (const resource of s.resources) {
      const fits = entries.filter((e) => e.resources.some((r) => patternWithin(resource, r)));
      if (fits.length === 0) {
        problems.push(
          `Statement ${s.sid} grants ${action} on ${resource}, outside what ${list.principal} may reach.`,
        );
        continue;
      }
      if (action.toLowerCase() === "s3:listbucket") problems.push(...listProblems(s, fits, list));
    }
  }
  return [...new Set(problems)];
}

/** A listing must be limited by `StringLike`/`StringEquals` on `s3:prefix`, to allowed prefixes only. */
function listProblems(s: NormalizedStatement, fits: AllowEntry[], list: PrincipalAllowList): string[] {
  const allowedPrefixes = fits.flatMap((e) => e.listPrefixes ?? []);
  const operators = Object.keys(s.condition);
  const limiting = operators.filter((op) => op === "StringLike" || op === "StringEquals");
  const prefixes = limiting.flatMap((op) => s.condition[op]?.["s3:prefix"] ?? []);
  if (prefixes.length === 0)
    return [`Statement ${s.sid} lists a bucket without limiting s3:prefix with StringLike/StringEquals.`];
  const outside = prefixes.filter((p) => !allowedPrefixes.some((a) => patternWithin(p, a)));
  return outside.length > 0 ? [`Statement ${s.sid} lets ${list.principal} list ${outside.join(", ")}.`] : [];
}

function trustProblems(policy: unknown, list: PrincipalAllowList): string[] {
  const problems: string[] = [];
  for (const [i, s] of policyStatements(policy).entries()) {
    if (s.Effect !== "Allow") continue;
    const principal = s.Principal as string | Record<string, string | string[]> | undefined;
    if (principal === undefined || principal === "*") {
      problems.push(`Trust statement ${i} lets anyone assume ${list.principal}.`);
      continue;
    }
    for (const [kind, value] of Object.entries(principal)) {
      for (const who of Array.isArray(value) ? value : [value]) {
        const ok =
          kind === "Service"
            ? (list.trust?.services ?? []).includes(who)
            : kind === "AWS"
              ? !/:root$/.test(who) &&
                who !== "*" &&
                !/^\d{12}$/.test(who) &&
                (list.trust?.roles ?? []).some((r) => patternWithin(who, r))
              : false;
        if (!ok) problems.push(`Trust statement ${i} lets ${kind} ${who} assume ${list.principal}.`);
      }
    }
  }
  return problems;
}

type Identity = { kind: "role" | "user"; name: string; resource: RecordedResource };

function identities(resources: readonly RecordedResource[]): Identity[] {
  return resources.flatMap((r): Identity[] => {
    const name = String(r.inputs.name ?? r.id ?? r.name);
    if (r.type === "aws:iam/role:Role") return [{ kind: "role", name, resource: r }];
    if (r.type === "aws:iam/user:User") return [{ kind: "user", name, resource: r }];
    return [];
  });
}

function trustedServices(role: RecordedResource): string[] {
  try {
    return policyStatements(role.inputs.assumeRolePolicy).flatMap((s) =>
      [(s.Principal as { Service?: string | string[] } | undefined)?.Service ?? []].flat(),
    );
  } catch {
    return [];
  }
}

/** The allow-list of an identity, by its name (pipeline roles, OWOX users) or trusted service (host, wake schedules, crawler). */
function allowListOf(id: Identity, env: Environment | undefined): PrincipalAllowList | undefined {
  for (const e of ENVIRONMENTS) {
    if (id.kind === "role" && id.name === pipelineRoleName(e)) return pipelineAllowList(e);
    if (id.kind === "user" && id.name === owoxUserName(e)) return owoxAllowList(e);
  }
  if (id.kind !== "role") return undefined;
  const services = trustedServices(id.resource);
  if (services.includes("ec2.amazonaws.com")) return hostAllowList();
  if (services.includes("scheduler.amazonaws.com")) return wakeSchedulerAllowList();
  if (services.includes("glue.amazonaws.com") && env !== undefined) return crawlerAllowList(env);
  return undefined;
}

export interface AllowListViolation {
  resource: string;
  message: string;
}

const POLICY_OF: Record<string, { owner: "role" | "user"; field: string }> = {
  "aws:iam/rolePolicy:RolePolicy": { owner: "role", field: "role" },
  "aws:iam/userPolicy:UserPolicy": { owner: "user", field: "user" },
};
const ATTACHMENTS: Record<string, { owner: "role" | "user"; field: string }> = {
  "aws:iam/rolePolicyAttachment:RolePolicyAttachment": { owner: "role", field: "role" },
  "aws:iam/userPolicyAttachment:UserPolicyAttachment": { owner: "user", field: "user" },
};

/**
 * Checks every identity of the graph against its allow-list: inline and attached policies, managed
 * attachments (none is allowed: their documents are AWS's and change without a deploy) and trust.
 * An identity without an allow-list, or a policy whose owner is not in the graph, is a violation.
 */
export function checkAllowLists(
  resources: readonly RecordedResource[],
  opts: { env?: Environment } = {},
): AllowListViolation[] {
  const violations: AllowListViolation[] = [];
  const label = (r: RecordedResource) => `${r.type}::${r.name}`;
  const ids = identities(resources);
  const lists = new Map<string, PrincipalAllowList | undefined>();
  for (const id of ids) {
    const list = allowListOf(id, opts.env);
    lists.set(`${id.kind}:${id.name}`, list);
    if (!list) {
      violations.push({
        resource: label(id.resource),
        message: `No allow-list covers ${id.kind} ${id.name}.`,
      });
      continue;
    }
    if (id.kind === "role") {
      for (const message of trustProblems(id.resource.inputs.assumeRolePolicy, list))
        violations.push({ resource: label(id.resource), message });
      for (const arn of (id.resource.inputs.managedPolicyArns as string[] | undefined) ?? [])
        violations.push({
          resource: label(id.resource),
          message: `Managed policy ${arn} is attached to ${list.principal}.`,
        });
      for (const inline of (id.resource.inputs.inlinePolicies as Array<{ policy?: unknown }> | undefined) ??
        []) {
        for (const s of parsePolicy(inline.policy ?? "{}"))
          for (const message of statementProblems(s, list))
            violations.push({ resource: label(id.resource), message });
      }
    }
  }
  for (const r of resources) {
    const policy = POLICY_OF[r.type];
    const attachment = ATTACHMENTS[r.type];
    const link = policy ?? attachment;
    if (!link) {
      if (
        r.type === "aws:iam/policyAttachment:PolicyAttachment" ||
        r.type === "aws:iam/groupPolicyAttachment:GroupPolicyAttachment"
      )
        violations.push({
          resource: label(r),
          message: `Policy ${String(r.inputs.policyArn)} is attached outside the allow-lists.`,
        });
      continue;
    }
    const owner = String(r.inputs[link.field]);
    const key = `${link.owner}:${owner}`;
    if (!lists.has(key)) {
      violations.push({
        resource: label(r),
        message: `Its ${link.owner} ${owner} is not part of this stack, so no allow-list judges it.`,
      });
      continue;
    }
    const list = lists.get(key);
    if (!list) continue; // already reported
    if (attachment) {
      violations.push({
        resource: label(r),
        message: `Managed policy ${String(r.inputs.policyArn)} is attached to ${list.principal}.`,
      });
      continue;
    }
    for (const s of parsePolicy(r.inputs.policy ?? "{}"))
      for (const message of statementProblems(s, list)) violations.push({ resource: label(r), message });
  }
  return violations;
}
