import { adminUserShell } from "./admin-user.js";
import { EXTRACTOR_POOL } from "./dag-spec.js";
import { type ComposeService, SERVICE_MEMORY_MIB } from "./memory.js";

/**
 * The Compose file of the Airflow bundle. It is the same file on the EC2 host and on a laptop: what
 * differs (secrets folder, Docker socket group, web port, local API key) comes from the env file
 * that the bootstrap (host) or `pnpm airflow:local` (laptop) writes next to it.
 */

/**
 * Airflow 2.10 (LocalExecutor, `airflow db migrate`); the image ships the docker and amazon providers.
 * Both images are pinned by digest (the multi-arch index; the tag is kept for readers): a tag could
 * move under a running host. Digests as published on Docker Hub for these tags, the same ones other
 * public projects pin (e.g. Testcontainers setups for postgres:16.4-alpine).
 */
export const AIRFLOW_IMAGE =
  "apache/airflow:2.10.5-python3.11@sha256:b16e19f925ae0dcabaa2271b37212891ed68bf74e26c2db61f46dddd7d502937";
export const POSTGRES_IMAGE =
  "postgres:16.4-alpine@sha256:5660c2cbfea50c7a9127d17dc4e48543eedd3d7a41a595a2dfa572471e37e64c";
export const COMPOSE_PROJECT = "openaq-airflow";
export const ADMIN_USERNAME = "admin";

/**
 * Local mode only (empty on the host): variables of the shell that started Compose that the
 * scheduler passes to every extractor container as private variables: the API key, a local OpenAQ
 * server's URL, and the client's pace (a local server has no 60-requests-a-minute limit).
 */
export const LOCAL_FORWARDED_VARIABLES = [
  "OPENAQ_API_KEY",
  "OPENAQ_BASE_URL",
  "OPENAQ_REQUESTS_PER_MINUTE",
  "OPENAQ_CONCURRENCY",
] as const;

/** Variables the env file must define (Compose fails with the message when one is missing). */
export const COMPOSE_VARIABLES = {
  OPENAQ_AIRFLOW_SECRETS_DIR:
    "folder holding admin_password, postgres_password, fernet_key, webserver_secret_key",
  DOCKER_GID: "group id owning /var/run/docker.sock on the Docker host",
} as const;

type Yaml = string | number | boolean | null | Yaml[] | { [k: string]: Yaml };

/**
 * A small YAML writer for the shapes used here. Every string is double-quoted with JSON escaping
 * (a JSON string is a valid YAML double-quoted scalar), so no value can be misread as a number,
 * a boolean or a YAML reference.
 */
function toYaml(value: Yaml, indent = 0): string {
  const pad = " ".repeat(indent);
  const key = (k: string) => (/^[A-Za-z0-9_.-]+$/.test(k) ? k : JSON.stringify(k));
  const scalar = (v: Yaml) => (typeof v === "string" ? JSON.stringify(v) : v === null ? "null" : String(v));
  const isEmpty = (v: Yaml) =>
    Array.isArray(v) ? v.length === 0 : typeof v === "object" && v !== null && Object.keys(v).length === 0;
  if (Array.isArray(value)) {
    return value
      .map((v) =>
        typeof v === "object" && v !== null && !isEmpty(v)
          ? `${pad}-\n${toYaml(v, indent + 2)}`
          : `${pad}- ${isEmpty(v) ? (Array.isArray(v) ? "[]" : "{}") : scalar(v)}`,
      )
      .join("\n");
  }
  if (typeof value === "object" && value !== null) {
    return Object.entries(value)
      .map(([k, v]) =>
        typeof v === "object" && v !== null && !isEmpty(v)
          ? `${pad}${key(k)}:\n${toYaml(v, indent + 2)}`
          : `${pad}${key(k)}: ${isEmpty(v) ? (Array.isArray(v) ? "[]" : "{}") : scalar(v)}`,
      )
      .join("\n");
  }
  return `${pad}${scalar(value)}`;
}

const SECRETS = {
  airflow_admin_password: "admin_password",
  airflow_postgres_password: "postgres_password",
  airflow_fernet_key: "fernet_key",
  airflow_webserver_secret_key: "webserver_secret_key",
} as const;

// `$$` is Compose's escape for a literal `$` (the shell inside the container expands it).
const SQL_CONN_CMD =
  'sh -c \'printf "postgresql+psycopg2://airflow:%s@postgres:5432/airflow" "$$(cat /run/secrets/airflow_postgres_password)"\'';

const LOGGING: Yaml = { driver: "json-file", options: { "max-size": "10m", "max-file": "3" } };

function memLimit(service: ComposeService): string {
  return `${SERVICE_MEMORY_MIB[service]}m`;
}

/** Airflow settings shared by init, scheduler and webserver; each trims memory or closes a door. */
const AIRFLOW_ENV: Record<string, string> = {
  AIRFLOW__CORE__EXECUTOR: "LocalExecutor",
  // One task runs at a time anyway (one-slot pool); two executor slots leave room for a
  // sensor-free DAG to queue the next task without spawning a pool of idle workers.
  AIRFLOW__CORE__PARALLELISM: "2",
  AIRFLOW__CORE__MAX_ACTIVE_TASKS_PER_DAG: "1",
  AIRFLOW__CORE__LOAD_EXAMPLES: "false",
  AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION: "false",
  AIRFLOW__CORE__FERNET_KEY_CMD: "cat /run/secrets/airflow_fernet_key",
  AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_CMD: SQL_CONN_CMD,
  AIRFLOW__DATABASE__SQL_ALCHEMY_POOL_SIZE: "2",
  AIRFLOW__DATABASE__SQL_ALCHEMY_MAX_OVERFLOW: "4",
  AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK: "true",
  AIRFLOW__SCHEDULER__PARSING_PROCESSES: "1",
  AIRFLOW__SCHEDULER__MIN_FILE_PROCESS_INTERVAL: "60",
  AIRFLOW__SCHEDULER__DAG_DIR_LIST_INTERVAL: "60",
  AIRFLOW__WEBSERVER__SECRET_KEY_CMD: "cat /run/secrets/airflow_webserver_secret_key",
  // One gunicorn worker, never recycled: a rolling refresh would briefly double the webserver.
  AIRFLOW__WEBSERVER__WORKERS: "1",
  AIRFLOW__WEBSERVER__WORKER_REFRESH_BATCH_SIZE: "0",
  AIRFLOW__WEBSERVER__EXPOSE_CONFIG: "false",
  AIRFLOW__WEBSERVER__WARN_DEPLOYMENT_EXPOSURE: "false",
  AIRFLOW__API__AUTH_BACKENDS: "airflow.api.auth.backend.session",
  AIRFLOW__LOGGING__LOGGING_LEVEL: "INFO",
};

// Runs once before the scheduler and webserver: schema migration, the admin user (password from
// the secret file, never a default, never on argv, applied at every run: admin-user.ts), and the one-slot pool every extractor task uses. Each step
// is idempotent, so a re-run on `compose up` is harmless.
const INIT_SCRIPT = [
  "set -euo pipefail",
  "airflow db migrate",
  ...adminUserShell(ADMIN_USERNAME),
  `airflow pools set ${EXTRACTOR_POOL} 1 'At most one extractor container on the host (memory budget)'`,
].join("\n");

function airflowService(service: ComposeService, extra: Record<string, Yaml>): Record<string, Yaml> {
  return {
    image: AIRFLOW_IMAGE,
    mem_limit: memLimit(service),
    environment: { ...AIRFLOW_ENV },
    secrets: Object.keys(SECRETS),
    logging: LOGGING,
    ...extra,
  };
}

/** A Compose interpolation `${expr}`, resolved by Compose from the env file (not by TypeScript). */
function composeVar(expr: string): string {
  return `$${"{"}${expr}}`;
}

export function composeObject(): Record<string, Yaml> {
  const secretsDir = composeVar("OPENAQ_AIRFLOW_SECRETS_DIR:?set OPENAQ_AIRFLOW_SECRETS_DIR in the env file");
  return {
    name: COMPOSE_PROJECT,
    services: {
      postgres: {
        image: POSTGRES_IMAGE,
        restart: "unless-stopped",
        mem_limit: memLimit("postgres"),
        // Small buffers: the metadata database of two daily DAGs is a few megabytes.
        command: ["postgres", "-c", "shared_buffers=32MB", "-c", "max_connections=50", "-c", "work_mem=2MB"],
        environment: {
          POSTGRES_USER: "airflow",
          POSTGRES_DB: "airflow",
          POSTGRES_PASSWORD_FILE: "/run/secrets/airflow_postgres_password",
        },
        secrets: ["airflow_postgres_password"],
        volumes: ["postgres-data:/var/lib/postgresql/data"],
        healthcheck: {
          test: ["CMD-SHELL", "pg_isready -U airflow -d airflow"],
          interval: "10s",
          timeout: "5s",
          retries: 6,
          start_period: "20s",
        },
        logging: LOGGING,
      },
      "airflow-init": airflowService("airflow-init", {
        restart: "no",
        command: ["bash", "-c", INIT_SCRIPT],
        depends_on: { postgres: { condition: "service_healthy" } },
        healthcheck: { disable: true },
      }),
      "airflow-scheduler": airflowService("airflow-scheduler", {
        restart: "unless-stopped",
        command: ["scheduler"],
        depends_on: {
          postgres: { condition: "service_healthy" },
          "airflow-init": { condition: "service_completed_successfully" },
        },
        environment: {
          ...AIRFLOW_ENV,
          // Local mode only (empty on the host): forwarded to the extractor as private variables.
          ...Object.fromEntries(LOCAL_FORWARDED_VARIABLES.map((name) => [name, composeVar(`${name}:-`)])),
        },
        // DockerOperator talks to the host's Docker through its socket; the group grants access
        // without running Airflow as root.
        group_add: [composeVar("DOCKER_GID:?set DOCKER_GID in the env file")],
        volumes: [
          "./dags:/opt/airflow/dags:ro",
          "airflow-logs:/opt/airflow/logs",
          "/var/run/docker.sock:/var/run/docker.sock",
        ],
        // The scheduler's own health server: cheaper than `airflow jobs check`, which would start a
        // whole Airflow CLI (~150 MB) every interval.
        healthcheck: {
          test: ["CMD", "curl", "--fail", "--silent", "http://localhost:8974/health"],
          interval: "30s",
          timeout: "10s",
          retries: 5,
          start_period: "60s",
        },
      }),
      "airflow-webserver": airflowService("airflow-webserver", {
        restart: "unless-stopped",
        command: ["webserver"],
        depends_on: {
          postgres: { condition: "service_healthy" },
          "airflow-init": { condition: "service_completed_successfully" },
        },
        // Loopback only: reach it with an SSM port-forwarding session (host) or localhost (laptop).
        ports: [`127.0.0.1:${composeVar("AIRFLOW_WEB_PORT:-8080")}:8080`],
        volumes: ["airflow-logs:/opt/airflow/logs"],
        healthcheck: {
          test: ["CMD", "curl", "--fail", "--silent", "http://localhost:8080/health"],
          interval: "30s",
          timeout: "10s",
          retries: 5,
          start_period: "90s",
        },
      }),
    },
    secrets: Object.fromEntries(
      Object.entries(SECRETS).map(([name, file]) => [name, { file: `${secretsDir}/${file}` }]),
    ),
    volumes: { "postgres-data": {}, "airflow-logs": {} },
  };
}

/** The secret files the env file's `OPENAQ_AIRFLOW_SECRETS_DIR` must contain. */
export const SECRET_FILES = Object.values(SECRETS);

export function renderCompose(): string {
  return [
    "# Airflow for openaq-lakehouse: scheduler + webserver (LocalExecutor) + PostgreSQL. No Redis, no Celery.",
    "# Generated by infra/src/airflow/compose.ts; do not edit on the host (the bundle sync overwrites it).",
    `# Needs an env file defining: ${Object.keys(COMPOSE_VARIABLES).join(", ")} (see docs/airflow.md).`,
    toYaml(composeObject()),
    "",
  ].join("\n");
}
