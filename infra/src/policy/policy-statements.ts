/** Reading IAM policy documents out of recorded resource inputs, for the policy rules. */

export interface RecordedResource {
  type: string;
  name: string;
  inputs: Record<string, unknown>;
  /** The provider id (for buckets: the bucket name). */
  id?: string;
}

export interface NormalizedStatement {
  sid: string;
  effect: "Allow" | "Deny";
  actions: string[];
  notActions: string[];
  resources: string[];
  notResources: string[];
  condition: Record<string, Record<string, string[]>>;
}

/** Resource types whose inputs carry an identity policy, and where. */
const IDENTITY_POLICY_TYPES = new Set([
  "aws:iam/policy:Policy",
  "aws:iam/rolePolicy:RolePolicy",
  "aws:iam/userPolicy:UserPolicy",
  "aws:iam/groupPolicy:GroupPolicy",
]);

function asList(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  return (Array.isArray(value) ? value : [value]).map(String);
}

/** The statements of a policy document (a JSON string or an object) as written: one, or a list. */
export function policyStatements(policy: unknown): Array<Record<string, unknown>> {
  const doc = typeof policy === "string" ? (JSON.parse(policy) as unknown) : policy;
  if (!doc || typeof doc !== "object") return [];
  const raw = (doc as { Statement?: unknown }).Statement;
  return (Array.isArray(raw) ? raw : raw ? [raw] : []) as Array<Record<string, unknown>>;
}

export function parsePolicy(policy: unknown): NormalizedStatement[] {
  return policyStatements(policy).map((s, i) => {
    const condition: Record<string, Record<string, string[]>> = {};
    for (const [op, kv] of Object.entries((s.Condition as Record<string, Record<string, unknown>>) ?? {})) {
      condition[op] = Object.fromEntries(Object.entries(kv).map(([k, v]) => [k, asList(v)]));
    }
    return {
      sid: typeof s.Sid === "string" ? s.Sid : `#${i}`,
      effect: s.Effect === "Deny" ? "Deny" : "Allow",
      actions: asList(s.Action),
      notActions: asList(s.NotAction),
      resources: asList(s.Resource),
      notResources: asList(s.NotResource),
      condition,
    };
  });
}

/** Every identity policy a resource carries (a policy resource, or a role's inline policies). */
export function identityPolicies(r: RecordedResource): NormalizedStatement[][] {
  if (IDENTITY_POLICY_TYPES.has(r.type) && r.inputs.policy !== undefined)
    return [parsePolicy(r.inputs.policy)];
  if (r.type === "aws:iam/role:Role" && Array.isArray(r.inputs.inlinePolicies)) {
    return (r.inputs.inlinePolicies as Array<{ policy?: unknown }>)
      .filter((p) => p.policy)
      .map((p) => parsePolicy(p.policy));
  }
  return [];
}

/** IAM glob: `*` any run of characters, `?` one character; case-sensitive like ARNs' resource parts. */
export function iamGlobMatches(pattern: string, value: string): boolean {
  const re = new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, "\\$&")
      .replace(/\*/g, ".*")
      .replace(/\?/g, ".")}$`,
  );
  return re.test(value);
}

/** Whether an action pattern (`s3:Put*`, `*`) covers an action (`s3:PutObject`); IAM actions are case-insensitive. */
export function actionMatches(pattern: string, action: string): boolean {
  return iamGlobMatches(pattern.toLowerCase(), action.toLowerCase());
}

export function allowsAny(statement: NormalizedStatement, actions: readonly string[]): boolean {
  if (statement.effect !== "Allow") return false;
  if (statement.notActions.length > 0) return true;
  return actions.some((a) => statement.actions.some((p) => actionMatches(p, a)));
}
