import { gunzipSync } from "node:zlib";
import { AIRFLOW_BUNDLE_PREFIX, checkResources, IDLE_CHECK_SOURCE } from "@openaq-lakehouse/infra";
import { MOCK, type MockedStack, ofType, one, policyOf } from "@openaq-lakehouse/infra/mocks";
import { describe, expect, it } from "vitest";
import { runPlatformStack } from "./support/run-stack.js";

function bundleObject(stack: MockedStack, path: string): string {
  const obj = ofType(stack.resources, "aws:s3/bucketObjectv2:BucketObjectv2").find(
    (o) => o.inputs.key === `${AIRFLOW_BUNDLE_PREFIX}${path}`,
  );
  if (!obj) throw new Error(`no bundle object ${path}`);
  return String(obj.inputs.content);
}

describe("platform stack: the sleeping host (default config)", async () => {
  const { stack } = await runPlatformStack();
  const instance = one(stack.resources, "aws:ec2/instance:Instance");

  it("starts the host 5 minutes before each DAG's run, from the DAG schedules of Pulumi.platform.yaml", () => {
    const schedules = ofType(stack.resources, "aws:scheduler/schedule:Schedule");
    // dev "0 2 * * *", prod "30 2 * * *": 01:55 and 02:25 UTC.
    expect(schedules.map((s) => s.inputs.scheduleExpression).sort()).toEqual([
      "cron(25 2 * * ? *)",
      "cron(55 1 * * ? *)",
    ]);
    const group = one(stack.resources, "aws:scheduler/scheduleGroup:ScheduleGroup");
    for (const s of schedules) {
      expect(s.inputs).toMatchObject({
        scheduleExpressionTimezone: "UTC",
        flexibleTimeWindow: { mode: "OFF" },
        state: "ENABLED",
        groupName: group.id,
      });
      const target = s.inputs.target as Record<string, unknown>;
      expect(target.arn).toBe("arn:aws:scheduler:::aws-sdk:ec2:startInstances");
      expect(JSON.parse(String(target.input))).toEqual({ InstanceIds: [instance.id] });
      expect(target.roleArn).toMatch(/^arn:aws:iam::123456789012:role\/airflow-wake-role/);
    }
  });

  it("lets the scheduler's role start this one instance and do nothing else", () => {
    const role = one(stack.resources, "aws:iam/role:Role", "airflow-wake-role");
    const trust = JSON.parse(String(role.inputs.assumeRolePolicy));
    expect(trust.Statement).toEqual([
      expect.objectContaining({
        Principal: { Service: "scheduler.amazonaws.com" },
        Condition: { StringEquals: { "aws:SourceAccount": MOCK.accountId } },
      }),
    ]);
    const policy = policyOf(one(stack.resources, "aws:iam/rolePolicy:RolePolicy", "airflow-wake-policy"));
    expect(policy.Statement).toEqual([
      {
        Sid: "StartAirflowHost",
        Effect: "Allow",
        Action: ["ec2:StartInstances"],
        Resource: [`arn:aws:ec2:${MOCK.region}:${MOCK.accountId}:instance/${instance.id}`],
      },
    ]);
    // Nothing can stop the host from outside: it powers itself off.
    const actions = ofType(stack.resources, "aws:iam/rolePolicy:RolePolicy").flatMap((p) =>
      policyOf(p).Statement.flatMap((s) => s.Action as string[]),
    );
    expect(actions.filter((a) => /^ec2:(Stop|Terminate)/.test(a))).toEqual([]);
    expect(checkResources(stack.resources)).toEqual([]);
  });

  it("stops (never terminates) the instance when the host powers off, and keeps Postgres on its 10 GiB volume", () => {
    expect(instance.inputs.instanceInitiatedShutdownBehavior).toBe("stop");
    expect(instance.inputs.rootBlockDevice).toMatchObject({ volumeSize: 10, volumeType: "gp3" });
    // Compose keeps Postgres in a named volume under /var/lib/docker: the root EBS volume, not tmpfs.
    expect(bundleObject(stack, "docker-compose.yml")).toMatch(/postgres-data:\/var\/lib\/postgresql\/data/);
  });

  it("ships the idle check and its settings in the bundle, and installs its timer with the user data", () => {
    expect(bundleObject(stack, "host/idle_check.py")).toBe(IDLE_CHECK_SOURCE);
    expect(bundleObject(stack, "host/sleep.conf")).toContain("SLEEP_ENABLED=1\nIDLE_MINUTES=15\n");
    const userData = gunzipSync(Buffer.from(String(instance.inputs.userDataBase64), "base64")).toString();
    expect(userData).toContain("/usr/local/sbin/openaq-airflow-idle");
    expect(userData).toContain("openaq-airflow-idle.timer");
  });
});

describe("platform stack: airflowSleep false", async () => {
  const { stack } = await runPlatformStack({ "openaq-lakehouse:airflowSleep": "false" });

  it("keeps the host up: no schedules, no scheduler role, the idle check switched off in the bundle", () => {
    expect(ofType(stack.resources, "aws:scheduler/schedule:Schedule")).toEqual([]);
    expect(ofType(stack.resources, "aws:iam/role:Role").map((r) => r.name)).toEqual(["airflow-role"]);
    expect(bundleObject(stack, "host/sleep.conf")).toContain("SLEEP_ENABLED=0\n");
  });
});
