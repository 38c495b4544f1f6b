import {
  athenaResultsPrefix,
  databaseName,
  ENVIRONMENTS,
  type Environment,
  LAYERS,
} from "@openaq-lakehouse/pipeline-core";
import * as pulumi from "@pulumi/pulumi";
import { SSM_AGENT_ACTIONS } from "../iam/access-policies.js";
import {
  apiKeyParameterName,
  OWOX_RESULT_PREFIXES,
  owoxUserName,
  pipelineRoleName,
  workgroupName,
} from "../names.js";
import {
  allowsAny,
  iamGlobMatches,
  identityPolicies,
  type NormalizedStatement,
  parsePolicy,
  type RecordedResource,
} from "./policy-statements.js";
import { checkAllowLists } from "./principal-allow-lists.js";

/**
 * Guardrails checked over every resource a stack registers (the `{type, name, inputs}` a Pulumi
 * mock or a policy pack sees). Each rule returns violations; an empty list means it passes.
 */

export interface Violation {
  rule: string;
  resource: string;
  message: string;
}

export interface ResourceRule {
  name: string;
  description: string;
  check(resource: RecordedResource): string[];
}

export interface StackRule {
  name: string;
  description: string;
  check(resources: readonly RecordedResource[]): Violation[];
}

const BUCKET_TYPES = new Set(["aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2"]);
const PAB_TYPE = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock";
const SSE_TYPES = new Set([
  "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
  "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
]);
const BUCKET_POLICY_TYPE = "aws:s3/bucketPolicy:BucketPolicy";

function label(r: RecordedResource): string {
  return `${r.type}::${r.name}`;
}

function deniesInsecureTransport(policy: unknown): boolean {
  return parsePolicy(policy).some((s) => {
    if (s.effect !== "Deny") return false;
    if (!s.actions.some((a) => a === "s3:*" || a === "*")) return false;
    if (!s.condition.Bool?.["aws:SecureTransport"]?.includes("false")) return false;
    const buckets = s.resources.filter((r) => !r.includes("/"));
    return buckets.some((b) => s.resources.includes(`${b}/*`));
  });
}

/** A bucket must have all four public-access blocks, default encryption and a TLS-only policy. */
export const bucketProtection: StackRule = {
  name: "s3-bucket-protection",
  description:
    "Every S3 bucket has all four public-access blocks, default encryption and a policy denying aws:SecureTransport=false.",
  check(resources) {
    const violations: Violation[] = [];
    for (const bucket of resources.filter((r) => BUCKET_TYPES.has(r.type))) {
      const id = bucket.id ?? (bucket.inputs.bucket as string | undefined);
      const attached = (types: (t: string) => boolean) =>
        resources.filter((r) => types(r.type) && r.inputs.bucket === id);
      const problems: string[] = [];
      const pab = attached((t) => t === PAB_TYPE);
      const fullPab = pab.some(
        (p) =>
          p.inputs.blockPublicAcls === true &&
          p.inputs.blockPublicPolicy === true &&
          p.inputs.ignorePublicAcls === true &&
          p.inputs.restrictPublicBuckets === true,
      );
      if (!fullPab) problems.push("has no public-access block with all four settings true");
      const sse = attached((t) => SSE_TYPES.has(t));
      const encrypted = sse.some((s) =>
        (
          (s.inputs.rules as Array<{ applyServerSideEncryptionByDefault?: { sseAlgorithm?: string } }>) ?? []
        ).some((rule) => !!rule.applyServerSideEncryptionByDefault?.sseAlgorithm),
      );
      if (!encrypted) problems.push("has no default encryption");
      const policies = attached((t) => t === BUCKET_POLICY_TYPE);
      if (!policies.some((p) => deniesInsecureTransport(p.inputs.policy)))
        problems.push("has no policy denying aws:SecureTransport=false");
      for (const problem of problems)
        violations.push({ rule: this.name, resource: label(bucket), message: `Bucket ${problem}.` });
    }
    return violations;
  },
};

/** Actions that have no resource-level permissions: `"Resource": "*"` is the narrowest possible. */
export const ACTIONS_WITHOUT_RESOURCE_SCOPE = [
  "ecr:GetAuthorizationToken",
  "sts:GetCallerIdentity",
  ...SSM_AGENT_ACTIONS,
];

function isWildcardResource(resource: string): boolean {
  return (
    resource === "*" ||
    /^arn:[^:]+:[^:]+:[^:]*:[^:]*:\*$/.test(resource) || // arn:aws:glue:r:a:*
    /^arn:[^:]+:s3:::\*/.test(resource) || // any bucket
    /^arn:[^:]+:s3:::[^/]+\/\*$/.test(resource) || // every object of a bucket
    /^arn:[^:]+:[^:]+:[^:]*:[^:]*:[a-z-]+\/\*$/.test(resource) // every database/table/workgroup/role/parameter
  );
}

/** No `"Action": "*"` (or `service:*`) in an Allow, and no wildcard resource where a narrower one exists. */
export const iamLeastPrivilege: ResourceRule = {
  name: "iam-least-privilege",
  description:
    'IAM Allow statements name actions (no "*", no "service:*", no NotAction) and resources narrower than a wildcard.',
  check(resource) {
    const problems: string[] = [];
    for (const statements of identityPolicies(resource)) {
      for (const s of statements.filter((st) => st.effect === "Allow")) {
        if (s.actions.some((a) => a === "*" || a.endsWith(":*")))
          problems.push(`Statement ${s.sid} allows a wildcard action.`);
        if (s.notActions.length > 0 || s.notResources.length > 0)
          problems.push(`Statement ${s.sid} uses NotAction/NotResource in an Allow.`);
        const scoped = s.actions.filter((a) => !ACTIONS_WITHOUT_RESOURCE_SCOPE.includes(a));
        const wild = s.resources.filter(isWildcardResource);
        if (wild.length > 0 && scoped.length > 0) {
          problems.push(
            `Statement ${s.sid} grants ${scoped.join(", ")} on wildcard resource ${wild.join(", ")}.`,
          );
        }
      }
    }
    return problems;
  },
};

/** EC2 instances and launch templates require IMDSv2 tokens. */
export const imdsV2Required: ResourceRule = {
  name: "ec2-imdsv2-required",
  description:
    "EC2 instances and launch templates require IMDSv2 tokens (httpTokens 'required') with a response hop limit of 1.",
  check(resource) {
    if (
      resource.type !== "aws:ec2/instance:Instance" &&
      resource.type !== "aws:ec2/launchTemplate:LaunchTemplate"
    )
      return [];
    const options = resource.inputs.metadataOptions as
      | { httpTokens?: string; httpPutResponseHopLimit?: number }
      | undefined;
    const problems: string[] = [];
    if (options?.httpTokens !== "required")
      problems.push(
        `metadataOptions.httpTokens is ${JSON.stringify(options?.httpTokens)}, expected "required" (IMDSv2).`,
      );
    // Above 1, a container behind Docker's NAT can fetch the instance role's credentials.
    if (options?.httpPutResponseHopLimit !== 1)
      problems.push(
        `metadataOptions.httpPutResponseHopLimit is ${JSON.stringify(options?.httpPutResponseHopLimit)}, expected 1 (no container reaches IMDS).`,
      );
    return problems;
  },
};

const PRIVATE_IPV4 = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"];

function ipv4(text: string): number | undefined {
  const parts = text.split(".");
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) return undefined;
  return parts.reduce((n, p) => n * 256 + Number(p), 0);
}

/** Whether `cidr` lies inside one of the private ranges (an allow-list: anything unparsable is not). */
export function isPrivateCidr(cidr: string): boolean {
  const [addr, bits] = cidr.split("/");
  const length = Number(bits);
  if (addr?.includes(":")) return /^f[cd][0-9a-f]{0,2}:/i.test(addr) && length >= 7;
  const ip = ipv4(addr ?? "");
  if (ip === undefined || !Number.isInteger(length) || length < 0 || length > 32) return false;
  return PRIVATE_IPV4.some((range) => {
    const [base, baseBits] = range.split("/");
    const b = Number(baseBits);
    if (length < b) return false;
    const size = 2 ** (32 - b);
    return Math.floor(ip / size) === Math.floor((ipv4(base ?? "") ?? -1) / size);
  });
}

/** Inbound rules only from private address ranges (or other security groups): never from the internet, in any split. */
export const noWorldOpenSecurityGroup: ResourceRule = {
  name: "no-world-open-ingress",
  description:
    "Security-group ingress comes only from private ranges (10/8, 172.16/12, 192.168/16, fc00::/7) or other security groups.",
  check(resource) {
    const publicCidrs = (rule: Record<string, unknown>) =>
      [...((rule.cidrBlocks as string[]) ?? []), ...((rule.ipv6CidrBlocks as string[]) ?? [])].filter(
        (c) => !isPrivateCidr(c),
      );
    switch (resource.type) {
      case "aws:ec2/securityGroup:SecurityGroup":
        return ((resource.inputs.ingress as Array<Record<string, unknown>>) ?? []).flatMap((rule) =>
          publicCidrs(rule).map(
            (c) =>
              `Ingress ${rule.protocol} ${rule.fromPort}-${rule.toPort} is open to ${c}, a public range.`,
          ),
        );
      case "aws:ec2/securityGroupRule:SecurityGroupRule":
        return resource.inputs.type === "ingress"
          ? publicCidrs(resource.inputs).map((c) => `Ingress rule is open to ${c}, a public range.`)
          : [];
      case "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule":
        return [resource.inputs.cidrIpv4, resource.inputs.cidrIpv6]
          .filter((c): c is string => typeof c === "string")
          .filter((c) => !isPrivateCidr(c))
          .map((c) => `Ingress rule is open to ${c}, a public range.`);
      default:
        return [];
    }
  },
};

const WRITE_ACTIONS = [
  "s3:PutObject",
  "s3:DeleteObject",
  "s3:DeleteObjectVersion",
  "s3:PutObjectAcl",
  "s3:RestoreObject",
  "s3:PutBucketPolicy",
  "s3:DeleteBucket",
  "glue:CreateTable",
  "glue:UpdateTable",
  "glue:DeleteTable",
  "glue:BatchDeleteTable",
  "glue:CreateDatabase",
  "glue:UpdateDatabase",
  "glue:DeleteDatabase",
  "glue:CreatePartition",
  "glue:BatchCreatePartition",
  "glue:UpdatePartition",
  "glue:DeletePartition",
  "glue:BatchDeletePartition",
];

function isOwoxResultObject(resource: string): boolean {
  const m = /^arn:[^:]+:s3:::[^/]+\/(.+)$/.exec(resource);
  return !!m?.[1] && OWOX_RESULT_PREFIXES.some((prefix) => m[1]?.startsWith(prefix));
}

/** OWOX's identity is read-only on data: it writes only under OWOX's own result prefixes. */
export const owoxReadOnly: ResourceRule = {
  name: "owox-read-only",
  description:
    "Policies of owox-integrator-* users grant no write outside OWOX's own result prefixes and no catalog write.",
  check(resource) {
    const owoxUsers = new Set(ENVIRONMENTS.map(owoxUserName));
    const user = resource.inputs.user;
    if (typeof user !== "string" || !owoxUsers.has(user)) return [];
    if (resource.type === "aws:iam/userPolicyAttachment:UserPolicyAttachment") {
      return [
        `Managed policy ${String(resource.inputs.policyArn)} is attached to ${user}; only its inline read-only policy is allowed.`,
      ];
    }
    const problems: string[] = [];
    for (const s of parsePolicy(resource.inputs.policy ?? "{}")) {
      if (!allowsAny(s, WRITE_ACTIONS)) continue;
      const outside = s.resources.filter((r) => !isOwoxResultObject(r));
      if (outside.length > 0) problems.push(`Statement ${s.sid} lets ${user} write ${outside.join(", ")}.`);
    }
    return problems;
  },
};

/** What an identity of `other` would be named: its prefixes, database, workgroup, parameter and role. */
function otherEnvironmentProbes(other: Environment) {
  const db = databaseName(other);
  return {
    s3Keys: [...LAYERS.map((layer) => `${other}/${layer}/measurements/x`), `${athenaResultsPrefix(other)}x`],
    arnTails: [
      `database/${db}`,
      `table/${db}/measurements`,
      `workgroup/${workgroupName(other)}`,
      `parameter${apiKeyParameterName(other)}`,
      `role/${pipelineRoleName(other)}`,
    ],
  };
}

function reachesOther(s: NormalizedStatement, other: Environment, ownBuckets: ReadonlySet<string>): string[] {
  if (s.effect !== "Allow") return [];
  const probes = otherEnvironmentProbes(other);
  const hits: string[] = [];
  for (const resource of s.resources) {
    if (resource === "*") {
      hits.push("*");
      continue;
    }
    const object = /^arn:[^:]+:s3:::[^/]+\/(.+)$/.exec(resource);
    if (object?.[1]) {
      if (probes.s3Keys.some((key) => iamGlobMatches(object[1] as string, key))) hits.push(resource);
      continue;
    }
    const bucket = /^arn:[^:]+:s3:::([^/]+)$/.exec(resource)?.[1];
    if (bucket !== undefined && ownBuckets.has(bucket)) continue;
    if (bucket !== undefined && s.actions.some((a) => /^s3:(ListBucket|\*)/i.test(a))) {
      const prefixes = Object.values(s.condition).flatMap((kv) => kv["s3:prefix"] ?? []);
      if (prefixes.length === 0 || prefixes.some((p) => probes.s3Keys.some((key) => iamGlobMatches(p, key))))
        hits.push(`${resource} (list)`);
      continue;
    }
    const tail = /^arn:[^:]+:[^:]+:[^:]*:[^:]*:(.+)$/.exec(resource)?.[1];
    if (tail && probes.arnTails.some((probe) => iamGlobMatches(tail, probe))) hits.push(resource);
  }
  return hits;
}

/**
 * In environment `env`'s stack, no identity policy reaches another environment's prefixes, database,
 * workgroup, key or role. Listing a bucket (which names every key) counts as reaching it unless the
 * listing is limited by `s3:prefix` or the bucket is one the env's stack owns (`ownBuckets`).
 */
export function environmentIsolation(
  env: Environment,
  ownBuckets: ReadonlySet<string> = new Set(),
): ResourceRule {
  const others = ENVIRONMENTS.filter((e) => e !== env);
  return {
    name: `environment-isolation-${env}`,
    description: `Identities of ${env} cannot reach ${others.join(", ")}'s prefixes, database, workgroup, API key or pipeline role.`,
    check(resource) {
      const problems: string[] = [];
      for (const statements of identityPolicies(resource)) {
        for (const s of statements) {
          for (const other of others) {
            const hits = reachesOther(s, other, ownBuckets);
            if (hits.length > 0) problems.push(`Statement ${s.sid} reaches ${other}: ${hits.join(", ")}.`);
          }
        }
      }
      return problems;
    },
  };
}

export const RESOURCE_RULES: readonly ResourceRule[] = [
  iamLeastPrivilege,
  imdsV2Required,
  noWorldOpenSecurityGroup,
  owoxReadOnly,
];
export const STACK_RULES: readonly StackRule[] = [bucketProtection];

/** Runs every rule (plus environment isolation for an environment stack) over a stack's resources. */
export function checkResources(
  resources: readonly RecordedResource[],
  opts: { env?: Environment } = {},
): Violation[] {
  const ownBuckets = new Set(
    resources.filter((r) => BUCKET_TYPES.has(r.type)).map((r) => r.id ?? String(r.inputs.bucket)),
  );
  const rules = opts.env ? [...RESOURCE_RULES, environmentIsolation(opts.env, ownBuckets)] : RESOURCE_RULES;
  const violations: Violation[] = [];
  for (const r of resources) {
    for (const rule of rules) {
      for (const message of rule.check(r)) violations.push({ rule: rule.name, resource: label(r), message });
    }
  }
  for (const rule of STACK_RULES) violations.push(...rule.check(resources));
  for (const v of checkAllowLists(resources, opts)) violations.push({ rule: "principal-allow-lists", ...v });
  return violations;
}

const SECRET_NAME = /secret|passw(or)?d|pwd|passphrase|private.?key|token|credential|api.?key$/i;

async function resolve(value: unknown): Promise<{ value: unknown; secret: boolean }> {
  // Stack outputs are lifted the same way: a plain object holding a secret Output becomes a secret output.
  const output = pulumi.output(value) as pulumi.Output<unknown>;
  const [resolved, secret] = await Promise.all([
    new Promise<unknown>((r) => output.apply((v) => r(v))),
    pulumi.isSecret(output),
  ]);
  return { value: resolved, secret };
}

/** A value that would itself be the secret (a string, number…), not a group of fields to look into. */
function isLeaf(value: unknown): boolean {
  return value !== undefined && value !== null && typeof value !== "object";
}

function secretPaths(value: unknown, path: string): string[] {
  if (value === null || typeof value !== "object") return [];
  return Object.entries(value as Record<string, unknown>).flatMap(([k, v]) => {
    const p = `${path}.${k}`;
    return [...(SECRET_NAME.test(k) && isLeaf(v) ? [p] : []), ...secretPaths(v, p)];
  });
}

/** A stack output holding a secret-named value (secret, password, token, private key, API key) must be a Pulumi secret. */
export async function checkSecretOutputs(outputs: Record<string, unknown>): Promise<Violation[]> {
  const violations: Violation[] = [];
  for (const [name, raw] of Object.entries(outputs)) {
    const { value, secret } = await resolve(raw);
    if (secret) continue;
    const paths = [...(SECRET_NAME.test(name) && isLeaf(value) ? [name] : []), ...secretPaths(value, name)];
    for (const p of paths) {
      violations.push({
        rule: "secret-outputs",
        resource: `output ${name}`,
        message: `Output ${p} looks secret but is not marked secret.`,
      });
    }
  }
  return violations;
}
