/** The IAM policy JSON grammar this project writes (a strict subset: arrays everywhere, a Sid on each statement). */
export interface PolicyStatement {
  Sid: string;
  Effect: "Allow" | "Deny";
  Action: string[];
  Resource: string[];
  Principal?: "*" | { AWS?: string | string[]; Service?: string | string[] };
  Condition?: Record<string, Record<string, string | string[]>>;
}

export interface PolicyDocument {
  Version: "2012-10-17";
  Statement: PolicyStatement[];
}

export function policyDocument(...statements: PolicyStatement[]): PolicyDocument {
  return { Version: "2012-10-17", Statement: statements };
}

/** A trust policy letting one AWS service (e.g. `ec2.amazonaws.com`) assume the role. */
export function serviceTrustPolicy(service: string): string {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      { Sid: "TrustService", Effect: "Allow", Principal: { Service: service }, Action: "sts:AssumeRole" },
    ],
  });
}

/**
 * A trust policy letting exactly one role (by ARN) assume the role, and only with the given source
 * identity, which then stays on the session and in CloudTrail for every call the session makes.
 */
export function roleTrustPolicy(roleArn: string, sourceIdentity?: string): string {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "TrustRole",
        Effect: "Allow",
        Principal: { AWS: roleArn },
        Action: sourceIdentity ? ["sts:AssumeRole", "sts:SetSourceIdentity"] : "sts:AssumeRole",
        ...(sourceIdentity && { Condition: { StringEquals: { "sts:SourceIdentity": sourceIdentity } } }),
      },
    ],
  });
}
