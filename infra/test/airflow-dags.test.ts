import { spawn, spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DEFAULT_LOOKBACK_DAYS } from "@openaq-lakehouse/pipeline-core";
import { must } from "@openaq-lakehouse/test-support/narrow";
import { describe, expect, it } from "vitest";
import { renderDagSpec } from "../src/airflow/dag-spec.js";
import {
  AirflowConfigError,
  type AirflowHostOptions,
  airflowBundleFiles,
  DAG_SPEC_FORMAT,
  DEFAULT_SCHEDULES,
  EXTRACTOR_POOL,
  FACTORY_PATH,
  localBundleFiles,
  STEP_EXTRA_ARGS,
  TASK_CHAIN,
} from "../src/airflow/index.js";
import {
  hostOptions,
  IMAGE,
  type InspectedDag,
  type InspectedTask,
  inspectDags,
  pythonCompiles,
  REPO_ROOT,
  writeBundle,
} from "./airflow-fixtures.js";

const opts = hostOptions();
const awsDir = writeBundle(airflowBundleFiles(opts));
const localLake = "/home/someone/openaq lake";
const localImage = `localhost:5000/openaq-pipeline@sha256:${"ab".repeat(32)}`;
const localDir = writeBundle(
  localBundleFiles({ extractorImage: localImage, lakeHostPath: localLake, startDate: "2026-11-15" }),
);
const aws = inspectDags(join(awsDir, "dags"));
const local = inspectDags(join(localDir, "dags"), { OPENAQ_API_KEY: "local-test-key-not-real" });

const CHAIN_IDS = TASK_CHAIN.map((t) => t.id);
const DATE = "2026-11-20";

function dag(result: { dags: InspectedDag[] }, id: string): InspectedDag {
  const found = result.dags.find((d) => d.dag_id === id);
  if (!found) throw new Error(`DAG ${id} not built`);
  return found;
}

describe("DAG files", () => {
  it("are valid Python (python3 -m py_compile), on AWS and locally", () => {
    for (const dir of [awsDir, localDir]) {
      const files = ["openaq_factory.py", "openaq_ingestion_dev.py", "openaq_ingestion_prod.py"].map((f) =>
        join(dir, "dags", f),
      );
      for (const f of files) expect(pythonCompiles(f), f).toEqual({ ok: true, stderr: "" });
    }
  });

  it("the factory is a real Python source file, clean under pyflakes3; the DAG files and specs too", () => {
    expect(airflowBundleFiles(opts).find((f) => f.path === "dags/openaq_factory.py")?.content).toBe(
      readFileSync(FACTORY_PATH, "utf8"),
    );
    for (const dir of [awsDir, localDir]) {
      const files = ["openaq_factory.py", "openaq_ingestion_dev.py", "openaq_ingestion_prod.py"];
      const r = spawnSync(
        "pyflakes3",
        files.map((f) => join(dir, "dags", f)),
        { encoding: "utf8" },
      );
      expect([r.status, r.stdout, r.stderr]).toEqual([0, "", ""]);
      // Rendered data is JSON only: the DAG files hold no value but their spec's file name.
      for (const env of ["dev", "prod"]) {
        const spec = JSON.parse(readFileSync(join(dir, "dags", `openaq_ingestion_${env}.json`), "utf8"));
        expect(spec.format).toBe(DAG_SPEC_FORMAT);
        const py = readFileSync(join(dir, "dags", `openaq_ingestion_${env}.py`), "utf8");
        expect(py).not.toContain(spec.image);
        expect(py).toContain(`build_dag_from_file("openaq_ingestion_${env}.json")`);
      }
    }
    // pyflakes does catch an undefined name (control)
    const bad = join(awsDir, "undefined_name.py");
    writeFileSync(bad, "def f():\n    return missing_name\n");
    expect(spawnSync("pyflakes3", [bad], { encoding: "utf8" }).status).not.toBe(0);
  });

  it("py_compile does catch a broken file (control)", () => {
    const broken = join(awsDir, "broken.py");
    writeFileSync(broken, "def f(:\n");
    expect(pythonCompiles(broken).ok).toBe(false);
  });

  it("build exactly the two DAGs, one per environment, from the two DAG files (the factory is ignored)", () => {
    expect(aws.files).toEqual(["openaq_ingestion_dev.py", "openaq_ingestion_prod.py"]);
    expect(aws.dags.map((d) => d.dag_id).sort()).toEqual(["openaq_ingestion_dev", "openaq_ingestion_prod"]);
    expect(local.dags.map((d) => d.dag_id).sort()).toEqual(["openaq_ingestion_dev", "openaq_ingestion_prod"]);
  });

  it("have the task chain of the one definition: extract → transform → catalog → views → validate", () => {
    expect(CHAIN_IDS).toEqual(["extract", "transform", "catalog", "views", "validate"]);
    for (const d of [...aws.dags, ...local.dags]) {
      expect(d.tasks.map((t) => t.task_id)).toEqual(CHAIN_IDS);
      expect(d.tasks.map((t) => t.upstream)).toEqual(
        CHAIN_IDS.map((_, i) => (i === 0 ? [] : [CHAIN_IDS[i - 1]])),
      );
      TASK_CHAIN.forEach((def, i) => {
        const t = must(d.tasks[i], `task ${i} of ${d.dag_id}`);
        expect([
          t.retries,
          t.retry_delay,
          t.retry_exponential_backoff,
          t.max_retry_delay,
          t.execution_timeout,
        ]).toEqual([
          def.retry.retries,
          def.retry.delaySeconds,
          def.retry.exponentialBackoff,
          def.retry.maxDelaySeconds,
          def.timeoutMinutes * 60,
        ]);
      });
    }
  });

  it("cannot drift: dev and prod are identical once their environment's own values are abstracted", () => {
    interface Own {
      startDate: string;
      schedule: string;
      apiKeyParameterName?: string;
      athenaWorkgroup?: string;
    }
    const ownAws = (env: "dev" | "prod"): Own => {
      const e = must(
        opts.environments.find((x) => x.env === env),
        env,
      );
      return { ...e, schedule: e.schedule ?? DEFAULT_SCHEDULES[env] };
    };
    const ownLocal = (env: "dev" | "prod"): Own => ({
      startDate: "2026-11-15",
      schedule: DEFAULT_SCHEDULES[env],
    });
    // Replaces every value that belongs to one environment by a placeholder; what remains must match.
    const abstract = (d: InspectedDag, env: "dev" | "prod", own: Own) => {
      const values = new Map<string, string>([
        [env, "<env>"],
        [`${own.startDate}T00:00:00+00:00`, "<start>"],
        [own.schedule, "<schedule>"],
        [`openaq_ingestion_${env}`, "<dag-id>"],
        [`OpenAQ ingestion for the ${env} environment`, "<description>"],
      ]);
      if (own.apiKeyParameterName) values.set(own.apiKeyParameterName, "<api-key-parameter>");
      if (own.athenaWorkgroup) values.set(own.athenaWorkgroup, "<workgroup>");
      const walk = (v: unknown): unknown =>
        typeof v === "string"
          ? (values.get(v) ?? v)
          : Array.isArray(v)
            ? v.map(walk)
            : v && typeof v === "object"
              ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]))
              : v;
      const { alerts: _a, callback_error: _c, logged: _l, ...rest } = d;
      return walk(rest);
    };
    for (const [result, own] of [
      [aws, ownAws],
      [local, ownLocal],
    ] as const) {
      const a = abstract(dag(result, "openaq_ingestion_dev"), "dev", own("dev"));
      const b = abstract(dag(result, "openaq_ingestion_prod"), "prod", own("prod"));
      expect(JSON.stringify(a)).not.toContain('"prod"');
      expect(b).toEqual(a);
    }
    // Control: the abstraction is not so coarse that any two DAGs compare equal.
    const tampered = structuredClone(dag(aws, "openaq_ingestion_prod"));
    must(tampered.tasks[0], "first task").retries = 0;
    expect(abstract(tampered, "prod", ownAws("prod"))).not.toEqual(
      abstract(dag(aws, "openaq_ingestion_dev"), "dev", ownAws("dev")),
    );
  });

  it("run each step as the CLI argument vector for its environment, with the logical date", () => {
    for (const env of ["dev", "prod"] as const) {
      for (const [result, lake] of [
        [aws, `s3://${opts.bucketName}`],
        [local, "/lake"],
      ] as const) {
        for (const t of dag(result, `openaq_ingestion_${env}`).tasks) {
          expect(t.command).toEqual([
            t.task_id,
            "--env",
            env,
            "--date",
            "{{ ds }}",
            "--lake",
            lake,
            "--log-format",
            "json",
            ...(STEP_EXTRA_ARGS[t.task_id as keyof typeof STEP_EXTRA_ARGS] ?? []),
          ]);
        }
      }
    }
  });

  it("schedule daily with catchup, one run at a time, every step in the one-slot extractor pool", () => {
    const dev = dag(aws, "openaq_ingestion_dev");
    const prod = dag(aws, "openaq_ingestion_prod");
    expect(dev.kwargs.schedule).toBe("0 2 * * *");
    expect(prod.kwargs.schedule).toBe("15 3 * * *");
    expect(dev.kwargs.start_date).toBe("2026-11-01T00:00:00+00:00");
    for (const d of [dev, prod]) {
      expect(d.kwargs.catchup).toBe(true);
      expect(d.kwargs.max_active_runs).toBe(1);
      for (const t of d.tasks) {
        expect(t.pool).toBe(EXTRACTOR_POOL);
        expect(t.mem_limit).toBe("512m");
        expect(t.force_pull).toBe(false);
        expect(t.mount_tmp_dir).toBe(false);
      }
    }
    const extract = must(dev.tasks[0], "extract");
    expect(extract.retries).toBeGreaterThanOrEqual(3);
    expect(extract.retry_exponential_backoff).toBe(true);
    expect(extract.max_retry_delay).toBeGreaterThan(extract.retry_delay);
  });

  it("use the extractor image pinned by digest, never a tag", () => {
    for (const t of [...aws.dags, ...local.dags].flatMap((d) => d.tasks))
      expect(t.image).toMatch(/^[a-z0-9.:-]+\/[a-z0-9._/-]+@sha256:[a-f0-9]{64}$/);
    expect(new Set(aws.dags.flatMap((d) => d.tasks.map((t) => t.image)))).toEqual(new Set([IMAGE]));
    expect(new Set(local.dags.flatMap((d) => d.tasks.map((t) => t.image)))).toEqual(new Set([localImage]));
    for (const bad of [
      `${IMAGE.split("@")[0]}:latest`,
      `${IMAGE.split("@")[0]}`,
      `${IMAGE.split("@")[0]}:v1@sha256:abc`,
      `${IMAGE}\n`,
      `sha256:${"ab".repeat(32)}`, // a bare image id: DockerOperator would try to pull it
    ]) {
      expect(() => airflowBundleFiles(hostOptions({ extractorImage: bad })), bad).toThrow(AirflowConfigError);
    }
    for (const bad of ["openaq-pipeline:dev", `sha256:${"ab".repeat(32)}`]) {
      expect(
        () => localBundleFiles({ extractorImage: bad, lakeHostPath: "/tmp/lake", startDate: DATE }),
        bad,
      ).toThrow(/digest/);
    }
  });

  it("the factory on the host refuses a spec whose image was edited to a tag", () => {
    const dir = writeBundle(airflowBundleFiles(opts));
    const file = join(dir, "dags", "openaq_ingestion_dev.json");
    writeFileSync(file, readFileSync(file, "utf8").replace(`@${IMAGE.split("@")[1]}`, ":latest"));
    expect(() => inspectDags(join(dir, "dags"))).toThrow(/pinned by digest/);
  });

  it("keep the API key out of Airflow: on AWS only the parameter name, per environment", () => {
    for (const env of ["dev", "prod"] as const) {
      for (const t of dag(aws, `openaq_ingestion_${env}`).tasks) {
        expect(t.environment).toEqual({
          PIPELINE_ENV: env,
          LAKE_URI: `s3://${opts.bucketName}`,
          AWS_REGION: opts.region,
          ATHENA_WORKGROUP: `openaq-${env}`,
          OPENAQ_API_KEY_PARAMETER: `/openaq-lakehouse/${env}/openaq-api-key`,
          CATALOG_MODE: "projection",
        });
        expect(t.private_environment).toEqual({});
        expect(t.mounts).toEqual([]);
      }
    }
    for (const f of airflowBundleFiles(opts))
      expect(f.content).not.toMatch(/OPENAQ_API_KEY["']?\s*[:=]\s*["'][^"'$]/);
  });

  it("locally, forward the key from the shell as a private variable and mount the lake folder", () => {
    for (const t of local.dags.flatMap((d) => d.tasks)) {
      expect(t.private_environment).toEqual({ OPENAQ_API_KEY: "local-test-key-not-real" });
      expect(Object.keys(t.environment).sort()).toEqual(["LAKE_URI", "PIPELINE_ENV"]);
      expect(t.mounts).toEqual([{ Source: localLake, Target: "/lake", Type: "bind", ReadOnly: false }]);
    }
  });

  it("run each environment under its own AWS profile when the bundle carries an AWS config file", () => {
    const withProfiles = hostOptions({
      awsConfigPath: "aws/config",
      environments: hostOptions().environments.map((e) => ({ ...e, awsProfile: `openaq-pipeline-${e.env}` })),
    });
    const result = inspectDags(join(writeBundle(airflowBundleFiles(withProfiles)), "dags"));
    for (const env of ["dev", "prod"] as const) {
      for (const t of dag(result, `openaq_ingestion_${env}`).tasks) {
        expect(t.environment.AWS_PROFILE).toBe(`openaq-pipeline-${env}`);
        // Only its own environment's folder (config + the session the host mints): never the other's.
        expect(t.environment.AWS_CONFIG_FILE).toBe("/etc/openaq/aws/config");
        expect(t.mounts).toEqual([
          {
            Source: `/opt/openaq-airflow/credentials/openaq-pipeline-${env}`,
            Target: "/etc/openaq/aws",
            Type: "bind",
            ReadOnly: true,
          },
        ]);
      }
    }
    const half = hostOptions({ awsConfigPath: "aws/config" });
    expect(() => airflowBundleFiles(half)).toThrow(/go together/);
    expect(() => airflowBundleFiles({ ...withProfiles, awsConfigPath: "../etc/passwd" })).toThrow(
      /inside the bundle/,
    );
  });

  it("publish a failed task to the alert topic, and never raise when SNS is unreachable", () => {
    for (const d of aws.dags) {
      expect(d.callback_error).toBeNull();
      expect(d.alerts).toHaveLength(1);
      const alert = must(d.alerts[0], "alert");
      expect(alert.TopicArn).toBe(opts.alertTopicArn);
      expect(alert.region_name).toBe(opts.region);
      expect(alert.Subject).toBe(`[openaq] ${d.dag_id}.extract failed for 2026-11-20`);
      expect(JSON.parse(must(alert.Message, "message"))).toMatchObject({
        dag_id: d.dag_id,
        task_id: "extract",
        logical_date: "2026-11-20",
        error: "boom",
      });
    }
    const failing = inspectDags(join(awsDir, "dags"), { OPENAQ_STUB_SNS_FAIL: "1" });
    for (const d of failing.dags) {
      expect(d.callback_error).toBeNull();
      expect(d.alerts).toEqual([]);
    }
    for (const d of failing.dags)
      expect(d.logged.join("\n")).toContain(`Could not publish the failure alert for ${d.dag_id}.extract`);
    // Local mode has no topic: the failure is logged, nothing is published.
    for (const d of local.dags) {
      expect(d.alerts).toEqual([]);
      expect(d.logged.join("\n")).toMatch(
        /OpenAQ task failed \(no alert topic configured\).*"logical_date": "2026-11-20"/,
      );
    }
  });
});

describe("catalog mode and extra step arguments", () => {
  it("carry the crawler option: CATALOG_MODE=crawler and the crawler's name reach every container", () => {
    const withCrawler = hostOptions({
      environments: hostOptions().environments.map((e) =>
        e.env === "prod" ? { ...e, catalogMode: "crawler", glueCrawlerName: "openaq-prod-processed" } : e,
      ),
    });
    const dir = writeBundle(airflowBundleFiles(withCrawler));
    const built = inspectDags(join(dir, "dags"));
    for (const t of dag(built, "openaq_ingestion_prod").tasks) {
      expect(t.environment).toMatchObject({
        CATALOG_MODE: "crawler",
        GLUE_CRAWLER_NAME: "openaq-prod-processed",
      });
    }
    for (const t of dag(built, "openaq_ingestion_dev").tasks) {
      expect(t.environment.CATALOG_MODE).toBe("projection");
      expect(t.environment.GLUE_CRAWLER_NAME).toBeUndefined();
    }
  });

  it("refuse a crawler mode without a crawler name, and a name without the mode", () => {
    for (const e of [{ catalogMode: "crawler" as const }, { glueCrawlerName: "c" }]) {
      const o = hostOptions({ environments: hostOptions().environments.map((x) => ({ ...x, ...e })) });
      expect(() => airflowBundleFiles(o)).toThrow(/glueCrawlerName goes with catalogMode "crawler"/);
    }
  });

  it("append a step's extra arguments to its command (where contract flags such as the lookback go)", () => {
    const spec = renderDagSpec({
      env: "dev",
      schedule: "0 2 * * *",
      startDate: "2026-11-01",
      image: IMAGE,
      memoryMiB: 512,
      lake: "/lake",
      region: null,
      alertTopicArn: null,
      environment: {},
      forwardEnvironment: [],
      lakeMount: null,
      extraArgs: { extract: ["--lookback", "2"] },
    });
    expect(spec.tasks.map((t) => t.command.slice(9))).toEqual([["--lookback", "2"], [], [], [], []]);
    // The contract's lookback rides on extract and transform of every DAG.
    expect(STEP_EXTRA_ARGS).toEqual({
      extract: ["--lookback", String(DEFAULT_LOOKBACK_DAYS)],
      transform: ["--lookback", String(DEFAULT_LOOKBACK_DAYS)],
    });
    expect(dag(aws, "openaq_ingestion_prod").tasks.map((t) => t.command.slice(9))).toEqual([
      ["--lookback", "2"],
      ["--lookback", "2"],
      [],
      [],
      [],
    ]);
  });

  it("run the containers on the host network locally (to reach a local OpenAQ server), bridged on AWS", () => {
    expect(dag(local, "openaq_ingestion_dev").tasks.map((t) => t.network_mode)).toEqual(
      CHAIN_IDS.map(() => "host"),
    );
    expect(dag(aws, "openaq_ingestion_dev").tasks.map((t) => t.network_mode)).toEqual(
      CHAIN_IDS.map(() => "bridge"),
    );
  });
});

describe("bundle options", () => {
  const bad: Array<[string, Partial<AirflowHostOptions>]> = [
    ["region", { region: "Singapore" }],
    ["bucket", { bucketName: "Bad_Bucket" }],
    ["topic ARN", { alertTopicArn: "arn:aws:sqs:ap-southeast-1:123456789012:q" }],
    ["topic in another region", { alertTopicArn: "arn:aws:sns:us-east-1:123456789012:t" }],
    ["one environment only", { environments: hostOptions().environments.slice(0, 1) }],
    [
      "dev twice",
      {
        environments: [hostOptions().environments[0], hostOptions().environments[0]].map((e) =>
          must(e, "dev"),
        ),
      },
    ],
    [
      "prod reading dev's key",
      {
        environments: hostOptions().environments.map((e) => ({
          ...e,
          apiKeyParameterName: "/openaq-lakehouse/dev/openaq-api-key",
        })),
      },
    ],
    [
      "bad start date",
      { environments: hostOptions().environments.map((e) => ({ ...e, startDate: "2026-02-30" })) },
    ],
    [
      "bad schedule",
      { environments: hostOptions().environments.map((e) => ({ ...e, schedule: "daily; rm -rf /" })) },
    ],
    ["extractor over the memory budget", { extractorMemoryMiB: 1024 }],
  ];
  it.each(bad)("rejects %s", (_name, override) => {
    expect(() => airflowBundleFiles(hostOptions(override))).toThrow(AirflowConfigError);
  });

  it("renders the same file list whatever the values (Pulumi names objects before values are known)", () => {
    const a = airflowBundleFiles(hostOptions()).map((f) => f.path);
    const b = airflowBundleFiles(
      hostOptions({ bucketName: "other-bucket", extractorImage: IMAGE.replace("3f3f", "0000") }),
    ).map((f) => f.path);
    expect(b).toEqual(a);
    expect(a).toContain("docker-compose.yml");
    expect(a).toContain("dags/openaq_ingestion_dev.py");
    expect(a).toContain("dags/openaq_ingestion_prod.py");
  });
});

// ---------------------------------------------------------------------------------------------
// Every command the DAGs run is accepted by the real openaq-pipeline CLI (dry run).

const CLI = join(REPO_ROOT, "packages/extractor/src/cli/main.ts");
// `pnpm pipeline` is `tsx packages/extractor/src/cli/main.ts`; node with tsx's loader is the same
// program without the extra wrapper process (20 runs on a 2-core machine).

interface CliResult {
  args: string[];
  code: number | null;
  out: string;
}

function runCli(args: string[], env: Record<string, string>): Promise<CliResult> {
  return new Promise((resolvePromise) => {
    const child = spawn(process.execPath, ["--conditions=development", "--import", "tsx", CLI, ...args], {
      cwd: REPO_ROOT,
      // Only the container's environment (and what node needs): no AWS credentials, no API key.
      env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (b: Buffer) => (out += b.toString()));
    child.stderr.on("data", (b: Buffer) => (out += b.toString()));
    child.on("close", (code) => resolvePromise({ args, code, out }));
  });
}

async function runAll(jobs: Array<() => Promise<CliResult>>, parallel = 2): Promise<CliResult[]> {
  const results: CliResult[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (next < jobs.length) {
        const job = must(jobs[next++], "job");
        results.push(await job());
      }
    }),
  );
  return results;
}

describe("the DAGs' commands against the real openaq-pipeline CLI (--dry-run)", () => {
  it("accepts every DockerOperator command of both bundles, with the container's environment", async () => {
    expect(
      existsSync(CLI),
      `${CLI} is missing: the extractor's CLI is needed to check the DAG commands`,
    ).toBe(true);
    const tasks: InspectedTask[] = [...aws.dags, ...local.dags].flatMap((d) => d.tasks);
    expect(tasks).toHaveLength(20);
    const results = await runAll(
      tasks.map(
        (t) => () =>
          runCli([...t.command.map((a) => a.replace("{{ ds }}", DATE)), "--dry-run"], t.environment),
      ),
    );
    expect(results).toHaveLength(tasks.length);
    for (const r of results) {
      expect(r.code, `${r.args.join(" ")}\n${r.out}`).toBe(0);
      // The printed plan is about this step, environment and lake (not some default).
      const [step, , env, , , , lake] = r.args;
      for (const fact of [step, env, lake]) expect(r.out, r.args.join(" ")).toContain(must(fact, "argument"));
    }
  }, 180_000);

  it("and the dry run does reject bad arguments (control)", async () => {
    expect(existsSync(CLI), `${CLI} is missing`).toBe(true);
    const results = await runAll([
      () => runCli(["extract", "--env", "staging", "--date", DATE, "--lake", "/tmp/lake", "--dry-run"], {}),
      () =>
        runCli(["extract", "--env", "dev", "--date", "2026-02-30", "--lake", "/tmp/lake", "--dry-run"], {}),
      () => runCli(["extrakt", "--env", "dev", "--date", DATE, "--dry-run"], {}),
    ]);
    for (const r of results) expect(r.code, `${r.args.join(" ")}\n${r.out}`).not.toBe(0);
  }, 60_000);
});
