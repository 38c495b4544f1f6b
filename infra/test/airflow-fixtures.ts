import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { AirflowBundleFile, AirflowHostOptions } from "../src/airflow/index.js";

/** Shared fixtures of the airflow-*.test.ts files (not a test file itself). */

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
export const INSPECT_DAGS = join(REPO_ROOT, "infra/airflow/testing/inspect_dags.py");

export const ACCOUNT = "123456789012";
export const REGION = "ap-southeast-1";
export const REGISTRY = `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com`;
export const DIGEST = `sha256:${"3f".repeat(32)}`;
export const IMAGE = `${REGISTRY}/openaq-extractor@${DIGEST}`;

export function hostOptions(overrides: Partial<AirflowHostOptions> = {}): AirflowHostOptions {
  return {
    region: REGION,
    bucketName: "openaq-lakehouse-data-123",
    extractorImage: IMAGE,
    alertTopicArn: `arn:aws:sns:${REGION}:${ACCOUNT}:openaq-failed-runs`,
    environments: [
      {
        env: "dev",
        apiKeyParameterName: "/openaq-lakehouse/dev/openaq-api-key",
        athenaWorkgroup: "openaq-dev",
        startDate: "2026-11-01",
      },
      {
        env: "prod",
        apiKeyParameterName: "/openaq-lakehouse/prod/openaq-api-key",
        athenaWorkgroup: "openaq-prod",
        startDate: "2026-10-15",
        schedule: "15 3 * * *",
      },
    ],
    bundleUri: "s3://openaq-lakehouse-data-123/platform/airflow/",
    registryUrl: REGISTRY,
    adminPasswordParameterName: "/openaq-lakehouse/platform/airflow-admin-password",
    ...overrides,
  };
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `openaq-airflow-${prefix}-`));
}

export function writeBundle(files: AirflowBundleFile[], dir = tempDir("bundle")): string {
  for (const f of files) {
    mkdirSync(dirname(join(dir, f.path)), { recursive: true });
    writeFileSync(join(dir, f.path), f.content);
  }
  return dir;
}

export interface InspectedTask {
  task_id: string;
  upstream: string[];
  command: string[];
  image: string;
  environment: Record<string, string>;
  private_environment: Record<string, string>;
  mounts: Array<{ Target: string; Source: string; Type: string; ReadOnly: boolean }>;
  mem_limit: string;
  retries: number;
  retry_delay: number;
  retry_exponential_backoff: boolean;
  max_retry_delay: number;
  execution_timeout: number;
  pool: string;
  [key: string]: unknown;
}

export interface InspectedDag {
  dag_id: string;
  kwargs: Record<string, unknown> & { default_args: Record<string, unknown> };
  tasks: InspectedTask[];
  alerts: Array<Record<string, string>>;
  callback_error: string | null;
  /** Log messages emitted by the failure callback. */
  logged: string[];
}

/** Imports the DAG files of `dagsDir` with python3 against the Airflow stand-ins. */
export function inspectDags(
  dagsDir: string,
  env: Record<string, string> = {},
): { files: string[]; dags: InspectedDag[] } {
  const out = execFileSync("python3", [INSPECT_DAGS, dagsDir], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", PYTHONDONTWRITEBYTECODE: "1", ...env },
  });
  return JSON.parse(out) as { files: string[]; dags: InspectedDag[] };
}

export function hasCommand(cmd: string): boolean {
  return spawnSync("sh", ["-c", `command -v ${cmd}`], { stdio: "ignore" }).status === 0;
}

/** `python3 -m py_compile` on a file (of a temporary bundle: its __pycache__ lands there). */
export function pythonCompiles(file: string): { ok: boolean; stderr: string } {
  const r = spawnSync("python3", ["-m", "py_compile", file], { encoding: "utf8" });
  return { ok: r.status === 0, stderr: r.stderr };
}

export { execFileSync };
