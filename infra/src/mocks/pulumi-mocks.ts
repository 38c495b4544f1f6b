import { createHash } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import type { RecordedResource } from "../policy/policy-statements.js";

/**
 * Pulumi mocks (stack tests, `pnpm cost`): records every registration as `{type, name, inputs, id}` and
 * answers with the outputs AWS would compute (ARNs, URLs, ids), shaped after the provider's schema.
 * Invokes the program does not declare here fail loudly.
 */

export const MOCK = {
  accountId: "123456789012",
  region: "ap-southeast-1",
  partition: "aws",
  amiId: "ami-0123456789abcdef0",
  defaultVpcId: "vpc-0a1b2c3d4e5f60718",
  defaultSubnetIds: ["subnet-0bbbbbbbbbbbbbbbb", "subnet-0aaaaaaaaaaaaaaaa"],
  accessKeyId: "AKIAMOCKMOCKMOCKMOCK",
  secretAccessKey: "mock/Secret+Access/Key0000000000000000000",
  ecrPassword: "mock-ecr-password",
} as const;

function suffix(name: string): string {
  return createHash("sha256").update(name).digest("hex").slice(0, 7);
}

export function mockDigest(name: string): string {
  return `sha256:${createHash("sha256").update(`image:${name}`).digest("hex")}`;
}

type State = Record<string, unknown>;

function arn(service: string, resource: string, regional = true): string {
  return `arn:aws:${service}:${regional ? MOCK.region : ""}:${MOCK.accountId}:${resource}`;
}

function fake(
  args: pulumi.runtime.MockResourceArgs,
  stackOutputs: Record<string, unknown>,
): { id: string; state: State } {
  const inputs = args.inputs as State;
  const physical = (inputs.name as string | undefined) ?? `${args.name}-${suffix(args.name)}`;
  switch (args.type) {
    case "pulumi:pulumi:StackReference":
      return {
        id: String(inputs.name),
        state: { name: inputs.name, outputs: stackOutputs, secretOutputNames: [] },
      };
    case "aws:s3/bucket:Bucket": {
      const bucket = (inputs.bucket as string | undefined) ?? `${args.name}-${suffix(args.name)}`;
      return {
        id: bucket,
        state: {
          ...inputs,
          bucket,
          arn: `arn:aws:s3:::${bucket}`,
          bucketRegion: MOCK.region,
          region: MOCK.region,
        },
      };
    }
    case "aws:ecr/repository:Repository":
      return {
        id: physical,
        state: {
          ...inputs,
          name: physical,
          arn: arn("ecr", `repository/${physical}`),
          registryId: MOCK.accountId,
          repositoryUrl: `${MOCK.accountId}.dkr.ecr.${MOCK.region}.amazonaws.com/${physical}`,
        },
      };
    case "docker-build:index:Image":
      return {
        id: `${args.name}-image`,
        state: { ...inputs, digest: mockDigest(args.name), contextHash: suffix(args.name) },
      };
    case "aws:iam/role:Role":
      return {
        id: physical,
        state: {
          ...inputs,
          name: physical,
          arn: `arn:aws:iam::${MOCK.accountId}:role/${physical}`,
          uniqueId: `AROA${suffix(physical)}`,
        },
      };
    case "aws:iam/user:User":
      return {
        id: physical,
        state: {
          ...inputs,
          name: physical,
          arn: `arn:aws:iam::${MOCK.accountId}:user${(inputs.path as string) ?? "/"}${physical}`,
        },
      };
    case "aws:iam/instanceProfile:InstanceProfile":
      return {
        id: physical,
        state: {
          ...inputs,
          name: physical,
          arn: `arn:aws:iam::${MOCK.accountId}:instance-profile/${physical}`,
        },
      };
    case "aws:iam/accessKey:AccessKey":
      return { id: MOCK.accessKeyId, state: { ...inputs, secret: MOCK.secretAccessKey, status: "Active" } };
    case "aws:ec2/instance:Instance":
      return {
        id: `i-0${suffix(args.name)}00000000`,
        state: { ...inputs, arn: arn("ec2", `instance/i-0${suffix(args.name)}`) },
      };
    case "aws:ec2/securityGroup:SecurityGroup":
      return {
        id: `sg-0${suffix(args.name)}0000000`,
        state: { ...inputs, arn: arn("ec2", `security-group/sg-0${suffix(args.name)}`) },
      };
    case "aws:sns/topic:Topic":
      return { id: arn("sns", physical), state: { ...inputs, name: physical, arn: arn("sns", physical) } };
    case "aws:glue/catalogDatabase:CatalogDatabase":
      return {
        id: `${MOCK.accountId}:${physical}`,
        state: { ...inputs, name: physical, arn: arn("glue", `database/${physical}`) },
      };
    case "aws:glue/catalogTable:CatalogTable":
      return {
        id: `${MOCK.accountId}:${inputs.databaseName}:${physical}`,
        state: { ...inputs, name: physical },
      };
    case "aws:glue/crawler:Crawler":
      return { id: physical, state: { ...inputs, name: physical, arn: arn("glue", `crawler/${physical}`) } };
    case "aws:athena/workgroup:Workgroup":
      return {
        id: physical,
        state: { ...inputs, name: physical, arn: arn("athena", `workgroup/${physical}`) },
      };
    case "aws:scheduler/scheduleGroup:ScheduleGroup":
      return {
        id: physical,
        state: { ...inputs, name: physical, arn: arn("scheduler", `schedule-group/${physical}`) },
      };
    case "aws:scheduler/schedule:Schedule":
      return {
        id: `${String(inputs.groupName)}/${physical}`,
        state: {
          ...inputs,
          name: physical,
          arn: arn("scheduler", `schedule/${String(inputs.groupName)}/${physical}`),
        },
      };
    case "aws:ssm/parameter:Parameter":
      return { id: physical, state: { ...inputs, name: physical, arn: arn("ssm", `parameter${physical}`) } };
    default:
      return { id: `${args.name}-id`, state: { ...inputs } };
  }
}

function call(args: pulumi.runtime.MockCallArgs): Record<string, unknown> {
  const inputs = args.inputs as State;
  switch (args.token) {
    case "aws:index/getPartition:getPartition":
      return {
        partition: MOCK.partition,
        dnsSuffix: "amazonaws.com",
        id: MOCK.partition,
        reverseDnsPrefix: "com.amazonaws",
      };
    case "aws:index/getRegion:getRegion":
      return {
        region: MOCK.region,
        name: MOCK.region,
        id: MOCK.region,
        description: "Asia Pacific (Singapore)",
        endpoint: `ec2.${MOCK.region}.amazonaws.com`,
      };
    case "aws:index/getCallerIdentity:getCallerIdentity":
      return {
        accountId: MOCK.accountId,
        arn: `arn:aws:iam::${MOCK.accountId}:user/deployer`,
        userId: "AIDAMOCK",
        id: MOCK.accountId,
      };
    case "aws:ecr/getAuthorizationToken:getAuthorizationToken":
      return {
        userName: "AWS",
        password: MOCK.ecrPassword,
        authorizationToken: Buffer.from(`AWS:${MOCK.ecrPassword}`).toString("base64"),
        proxyEndpoint: `https://${MOCK.accountId}.dkr.ecr.${MOCK.region}.amazonaws.com`,
        expiresAt: "2099-01-01T00:00:00Z",
        id: MOCK.region,
        region: MOCK.region,
        registryId: inputs.registryId,
      };
    case "aws:ssm/getParameter:getParameter":
      if (String(inputs.name).startsWith("/aws/service/ami-amazon-linux-latest/")) {
        return {
          name: inputs.name,
          value: MOCK.amiId,
          insecureValue: MOCK.amiId,
          type: "String",
          arn: "arn:aws:ssm:::parameter",
          version: 1,
          id: inputs.name,
          withDecryption: true,
        };
      }
      throw new Error(`Unmocked SSM parameter ${String(inputs.name)}`);
    case "aws:ec2/getVpc:getVpc":
      return {
        id: MOCK.defaultVpcId,
        default: true,
        cidrBlock: "172.31.0.0/16",
        arn: arn("ec2", `vpc/${MOCK.defaultVpcId}`),
      };
    case "aws:ec2/getSubnets:getSubnets":
      return { ids: [...MOCK.defaultSubnetIds], id: MOCK.region, filters: inputs.filters };
    case "aws:ec2/getSubnet:getSubnet":
      return {
        id: inputs.id,
        vpcId: "vpc-0fedcba987654321f",
        availabilityZone: `${MOCK.region}a`,
        arn: arn("ec2", `subnet/${String(inputs.id)}`),
      };
    default:
      throw new Error(`Unmocked invoke: ${args.token}`);
  }
}

/** The wire marker of a secret value, as the engine (and the mock monitor) sees it. */
const SECRET_SIG = "4dabf18193072939515e22adb298388d";
const SECRET_MARK = "1b47061264138c4ac30d75fd1eb44270";

/** Removes the secret markers; `paths` collects where secrets were (e.g. `value`, `registries`). */
export function unwrapSecrets(value: unknown, path = "", paths: string[] = []): unknown {
  if (Array.isArray(value)) return value.map((v, i) => unwrapSecrets(v, `${path}[${i}]`, paths));
  if (value && typeof value === "object") {
    const obj = value as Record<string, unknown>;
    if (obj[SECRET_SIG] === SECRET_MARK) {
      paths.push(path);
      return unwrapSecrets(obj.value, path, []);
    }
    return Object.fromEntries(
      Object.entries(obj).map(([k, v]) => [k, unwrapSecrets(v, path ? `${path}.${k}` : k, paths)]),
    );
  }
  return value;
}

export interface MockedResource extends RecordedResource {
  /** Input paths that were Pulumi secrets. */
  secretInputs: string[];
  /** The `import` resource option: the id of an existing resource the stack adopts. */
  importId?: string;
}

export interface MockedStack {
  resources: MockedResource[];
}

/** Installs the mocks for one stack and sets its config (fully qualified keys, as in a stack file). */
export async function installMocks(opts: {
  stack: string;
  project?: string;
  config?: Record<string, string>;
  /** What a StackReference to another stack resolves to. */
  stackOutputs?: Record<string, unknown>;
}): Promise<MockedStack> {
  const resources: MockedResource[] = [];
  pulumi.runtime.setAllConfig(opts.config ?? {});
  await pulumi.runtime.setMocks(
    {
      newResource(args) {
        const secretInputs: string[] = [];
        const inputs = unwrapSecrets(args.inputs, "", secretInputs) as Record<string, unknown>;
        const { id, state } = fake({ ...args, inputs }, opts.stackOutputs ?? {});
        resources.push({
          type: args.type,
          name: args.name,
          inputs,
          id,
          secretInputs,
          ...(args.id ? { importId: args.id } : {}),
        });
        return { id, state };
      },
      call,
    },
    opts.project ?? "openaq-lakehouse",
    opts.stack,
    false,
    "openaq",
  );
  return { resources };
}

/** Resolves an Output (or a plain value) to its value. */
export function resolved<T>(output: pulumi.Input<T>): Promise<T> {
  return new Promise((resolve) => pulumi.output(output).apply((v) => resolve(v as T)));
}

/** Waits until every registration the program started has reached the mocks. */
export async function settle(outputs: Record<string, unknown>, resources: RecordedResource[]): Promise<void> {
  await Promise.all(Object.values(outputs).map((o) => resolved(o as pulumi.Input<unknown>)));
  const wait = (pulumi.runtime as unknown as { waitForRPCs?: () => Promise<void> }).waitForRPCs;
  let seen = -1;
  while (seen !== resources.length) {
    seen = resources.length;
    if (wait) await wait();
    await new Promise((r) => setTimeout(r, 20));
  }
}

export function ofType<R extends RecordedResource>(resources: readonly R[], type: string): R[] {
  return resources.filter((r) => r.type === type);
}

export function one<R extends RecordedResource>(resources: readonly R[], type: string, name?: string): R {
  const found = resources.filter((r) => r.type === type && (name === undefined || r.name === name));
  if (found.length !== 1)
    throw new Error(`Expected one ${type}${name ? ` named ${name}` : ""}, found ${found.length}.`);
  return found[0] as R;
}

/**
 * A recorded resource's inputs typed as its provider's arguments with every Input resolved, e.g.
 * `inputsOf<aws.glue.CatalogTableArgs>(table)`. A reading aid for tests: the mocks record whatever
 * the program passed, and nothing checks the type at run time.
 */
export function inputsOf<Args extends object>(r: RecordedResource): pulumi.Unwrap<Args> {
  return r.inputs as pulumi.Unwrap<Args>;
}

/** The policy document of an IAM resource's `policy` input. */
export function policyOf(r: RecordedResource): { Statement: Array<Record<string, unknown>> } {
  const p = r.inputs.policy;
  return (typeof p === "string" ? JSON.parse(p) : p) as { Statement: Array<Record<string, unknown>> };
}

/** URNs of every resource the mock monitor saw (the type chain in a URN shows each resource's parents). */
export function registeredUrns(): string[] {
  const monitor = (
    pulumi.runtime as unknown as { getMonitor(): { resources?: Map<string, unknown> } }
  ).getMonitor();
  return [...(monitor.resources?.keys() ?? [])];
}

/** `urn:pulumi:stack::project::a$b$c::name` → ["a", "b", "c"] */
export function typeChain(urn: string): string[] {
  return (urn.split("::")[2] ?? "").split("$");
}
