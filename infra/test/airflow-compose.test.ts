import { readFileSync } from "node:fs";
import { join } from "node:path";
import { must } from "@openaq-lakehouse/test-support/narrow";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import {
  airflowBundleFiles,
  HOST_MEMORY_MIB,
  localBundleFiles,
  memoryBudget,
  OS_RESERVE_MIB,
} from "../src/airflow/index.js";
import { hostOptions, inspectDags, writeBundle } from "./airflow-fixtures.js";

/**
 * Checks the Compose file as a reader of the YAML would, without trusting the TypeScript that wrote
 * it: the numbers below come from the parsed file and from the DAGs the bundle builds.
 */

const files = airflowBundleFiles(hostOptions());
const composeText = must(
  files.find((f) => f.path === "docker-compose.yml"),
  "docker-compose.yml",
).content;
// biome-ignore lint/suspicious/noExplicitAny: parsed YAML is untyped by nature
const compose: any = parse(composeText, { merge: true });
// biome-ignore lint/suspicious/noExplicitAny: parsed YAML is untyped by nature
const services: Record<string, any> = compose.services;

/** Docker's byte-size notation (`512m`, `1g`, `268435456`, `256MiB`) to MiB. */
function toMiB(value: unknown): number {
  const m = /^(\d+(?:\.\d+)?)\s*([bkmg])?(?:i?b)?$/i.exec(String(value).trim());
  if (!m) throw new Error(`unreadable memory size ${JSON.stringify(value)}`);
  const unit = (m[2] ?? "b").toLowerCase();
  const factor = must({ b: 1 / 1024 / 1024, k: 1 / 1024, m: 1, g: 1024 }[unit], `unit ${unit}`);
  return Number(m[1]) * factor;
}

// biome-ignore lint/suspicious/noExplicitAny: parsed YAML
function memoryLimitMiB(service: any): number | undefined {
  const raw = service.mem_limit ?? service.deploy?.resources?.limits?.memory;
  return raw === undefined ? undefined : toMiB(raw);
}

function env(service: { environment?: Record<string, string> | string[] }): Record<string, string> {
  const e = service.environment ?? {};
  return Array.isArray(e)
    ? Object.fromEntries(e.map((kv) => [kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1)]))
    : e;
}

const airflowServices = Object.entries(services).filter(([, s]) =>
  String(s.image).startsWith("apache/airflow:"),
);
const longRunning = Object.entries(services).filter(([, s]) => s.restart !== "no");

describe("Airflow compose file", () => {
  it("runs scheduler, webserver and PostgreSQL with LocalExecutor, Airflow 2.7 or newer", () => {
    expect(Object.keys(services).sort()).toEqual([
      "airflow-init",
      "airflow-scheduler",
      "airflow-webserver",
      "postgres",
    ]);
    expect(airflowServices.length).toBe(3);
    for (const [name, s] of airflowServices) {
      expect(env(s).AIRFLOW__CORE__EXECUTOR, name).toBe("LocalExecutor");
      const m = must(/^apache\/airflow:(\d+)\.(\d+)\./.exec(String(s.image)), `version of ${s.image}`);
      const [major, minor] = [Number(m[1]), Number(m[2])];
      expect(major > 2 || (major === 2 && minor >= 7), s.image).toBe(true);
    }
    expect(services["airflow-scheduler"].command).toEqual(["scheduler"]);
    expect(services["airflow-webserver"].command).toEqual(["webserver"]);
    expect(String(services.postgres.image)).toMatch(/^postgres:\d+/);
  });

  it("pins every image by digest", () => {
    for (const [name, s] of Object.entries(services)) {
      expect(String(s.image), name).toMatch(/^[a-z0-9./-]+:[A-Za-z0-9._-]+@sha256:[0-9a-f]{64}$/);
    }
  });

  it("has no Redis, no Celery, no broker", () => {
    for (const [name, s] of Object.entries(services)) {
      expect(name).not.toMatch(/redis|celery|flower|worker|rabbit/i);
      expect(String(s.image)).not.toMatch(/redis|rabbitmq/i);
      for (const [k, v] of Object.entries(env(s))) {
        expect(k).not.toMatch(/CELERY|BROKER/);
        expect(String(v)).not.toMatch(/CeleryExecutor|redis:\/\//);
      }
    }
    const withoutComments = composeText
      .split("\n")
      .filter((l) => !l.trimStart().startsWith("#"))
      .join("\n");
    expect(withoutComments).not.toMatch(/celery|redis/i);
  });

  it("limits the memory of every service, and with one extractor the sum stays below the host's RAM", () => {
    const limits = Object.fromEntries(Object.entries(services).map(([name, s]) => [name, memoryLimitMiB(s)]));
    for (const [name, limit] of Object.entries(limits))
      expect(limit, `${name} has no memory limit`).toBeGreaterThan(0);
    // The extractor's limit as the DAGs set it (parsed from the generated DAG files, not from TS).
    const dags = inspectDags(join(writeBundle(files), "dags"));
    const extractorLimits = new Set(dags.dags.flatMap((d) => d.tasks.map((t) => toMiB(t.mem_limit))));
    expect(extractorLimits.size).toBe(1);
    const extractor = must([...extractorLimits][0], "extractor memory limit");
    // One extractor at a time: every task is in a pool, and the init script creates it with 1 slot.
    const pools = new Set(dags.dags.flatMap((d) => d.tasks.map((t) => t.pool)));
    expect(pools.size).toBe(1);
    expect(services["airflow-init"].command.join(" ")).toContain(`airflow pools set ${[...pools][0]} 1 `);

    const servicesTotal = Object.values(limits).reduce<number>((a, b) => a + (b ?? Number.NaN), 0);
    const total = servicesTotal + extractor;
    expect(total).toBeLessThan(HOST_MEMORY_MIB);
    expect(HOST_MEMORY_MIB - total).toBeGreaterThanOrEqual(OS_RESERVE_MIB);
    // The documented numbers (docs/airflow.md) are the ones this file really has.
    expect(limits).toEqual({
      postgres: 128,
      "airflow-init": 256,
      "airflow-scheduler": 576,
      "airflow-webserver": 448,
    });
    expect(extractor).toBe(512);
    expect(memoryBudget().totalMiB).toBe(total + OS_RESERVE_MIB);
  });

  it("binds no port to a public interface", () => {
    for (const [name, s] of Object.entries(services)) {
      for (const p of s.ports ?? []) {
        if (typeof p === "object") {
          expect(p.host_ip, `${name} long-syntax port`).toBe("127.0.0.1");
        } else {
          expect(String(p), name).toMatch(/^127\.0\.0\.1:/);
        }
      }
      expect(s.network_mode, name).not.toBe("host");
    }
    expect(composeText).not.toContain("0.0.0.0");
    expect(services.postgres.ports).toBeUndefined();
    expect(services["airflow-webserver"].ports).toEqual([`127.0.0.1:$${"{"}AIRFLOW_WEB_PORT:-8080}:8080`]);
  });

  it("has no default or inline password: every credential is read from a secret file", () => {
    for (const [name, s] of Object.entries(services)) {
      for (const [k, v] of Object.entries(env(s))) {
        if (/PASSWORD|SECRET|FERNET|SQL_ALCHEMY_CONN/i.test(k)) {
          // Only indirections are allowed: *_FILE, *_CMD reading /run/secrets.
          expect(k, `${name}.${k}`).toMatch(/_(FILE|CMD)$/);
          expect(String(v), `${name}.${k}`).toContain("/run/secrets/");
        }
        expect(String(v), `${name}.${k}`).not.toMatch(/airflow:airflow@|admin:admin|:password@/);
      }
    }
    expect(composeText).not.toMatch(
      /_AIRFLOW_WWW_USER_PASSWORD|POSTGRES_PASSWORD:|--password (admin|airflow)\b/,
    );
    for (const [name, def] of Object.entries(compose.secrets as Record<string, { file: string }>)) {
      expect(def.file, name).toMatch(/^\$\{OPENAQ_AIRFLOW_SECRETS_DIR:\?[^}]+\}\//);
    }
    // The admin user is created or its password reset from the secret file at every init run,
    // read inside Python: never on a command line.
    const init = services["airflow-init"].command.join("\n");
    expect(init).toContain("python - <<'PY'");
    expect(init).toContain('with open("/run/secrets/airflow_admin_password") as f:');
    expect(init).toContain("sm.reset_password(user.id, password)");
    expect(init).not.toMatch(/--password|users create/);
    expect(services["airflow-init"].secrets).toContain("airflow_admin_password");
  });

  it("has health checks and restart policies on the long-running services", () => {
    expect(longRunning.map(([n]) => n).sort()).toEqual([
      "airflow-scheduler",
      "airflow-webserver",
      "postgres",
    ]);
    for (const [name, s] of longRunning) {
      expect(s.restart, name).toMatch(/^(always|unless-stopped)$/);
      expect(Array.isArray(s.healthcheck?.test), `${name} health check`).toBe(true);
      expect(s.healthcheck.disable, name).toBeUndefined();
    }
    // The one-shot init must not restart, and the others wait for it to succeed.
    expect(services["airflow-init"].restart).toBe("no");
    for (const name of ["airflow-scheduler", "airflow-webserver"]) {
      expect(services[name].depends_on["airflow-init"].condition).toBe("service_completed_successfully");
      expect(services[name].depends_on.postgres.condition).toBe("service_healthy");
    }
  });

  it("rotates the logs of every service", () => {
    for (const [name, s] of Object.entries(services)) {
      expect(s.logging?.driver, name).toBe("json-file");
      expect(toMiB(s.logging.options["max-size"]), name).toBeLessThanOrEqual(50);
      expect(Number(s.logging.options["max-file"]), name).toBeGreaterThanOrEqual(1);
    }
  });

  it("gives the Docker socket to the scheduler only, with the socket's group", () => {
    for (const [name, s] of Object.entries(services)) {
      const hasSocket = (s.volumes ?? []).some((v: string) => v.startsWith("/var/run/docker.sock:"));
      expect(hasSocket, name).toBe(name === "airflow-scheduler");
    }
    expect(services["airflow-scheduler"].group_add).toEqual([
      `$${"{"}DOCKER_GID:?set DOCKER_GID in the env file}`,
    ]);
    expect(services["airflow-scheduler"].volumes).toContain("./dags:/opt/airflow/dags:ro");
  });

  it("is the same file on a laptop (local mode) as on the host", () => {
    const localFiles = localBundleFiles({
      extractorImage: `localhost:5000/openaq-pipeline@sha256:${"cd".repeat(32)}`,
      lakeHostPath: "/tmp/lake",
      startDate: "2026-11-01",
    });
    const localCompose = must(
      localFiles.find((f) => f.path === "docker-compose.yml"),
      "local compose file",
    ).content;
    expect(localCompose).toBe(composeText);
  });

  it("the checks above do fail on a compose file that breaks the rules (control)", () => {
    const bad = parse(readFileSync(join(writeBundle(files), "docker-compose.yml"), "utf8"));
    bad.services.redis = { image: "redis:7", ports: ["0.0.0.0:6379:6379"] };
    bad.services["airflow-webserver"].environment.AIRFLOW__CORE__EXECUTOR = "CeleryExecutor";
    expect(memoryLimitMiB(bad.services.redis)).toBeUndefined();
    expect(String(bad.services.redis.ports[0])).not.toMatch(/^127\.0\.0\.1:/);
    expect(env(bad.services["airflow-webserver"]).AIRFLOW__CORE__EXECUTOR).not.toBe("LocalExecutor");
    expect(toMiB("1g")).toBe(1024);
    expect(toMiB("268435456")).toBe(256);
    expect(() => toMiB("lots")).toThrow();
  });
});
