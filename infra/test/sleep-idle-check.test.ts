import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { IMAGE_FILE } from "../src/airflow/index.js";
import { IDLE_CHECK_SOURCE, IDLE_UNITS, idleScript, sleepConf } from "../src/sleep/host-files.js";
import { type AirflowFacts, IDLE_CHECK_FILE, IdleCheck } from "./support/idle-check.js";

const SCRIPT = idleScript();
const check = new IdleCheck();
const scratch = mkdtempSync(join(tmpdir(), "openaq-idle-"));
afterAll(async () => {
  await check.close();
  rmSync(scratch, { recursive: true, force: true });
});

const T0 = new Date("2026-12-01T03:00:00Z");
const min = (n: number) => new Date(T0.getTime() + n * 60_000);
const IDLE = 20;

function facts(over: Partial<AirflowFacts> = {}): AirflowFacts {
  return {
    active_runs: 0,
    last_run_end: null,
    dags: [
      { dag_id: "openaq_ingestion_dev", paused: false, next_due: "2026-12-02T02:00:00Z" },
      { dag_id: "openaq_ingestion_prod", paused: false, next_due: "2026-12-02T02:30:00Z" },
    ],
    ...over,
  };
}

async function decide(f: AirflowFacts | null, opts: { bootedAt?: Date; awakeMark?: Date; now?: Date } = {}) {
  return check.decide({
    now: opts.now ?? T0,
    facts: f,
    bootedAt: opts.bootedAt ?? min(-60),
    idleMinutes: IDLE,
    ...(opts.awakeMark ? { awakeMark: opts.awakeMark } : {}),
  });
}

describe("idle check: decide() with a clock", () => {
  it("stops a host with nothing running, nothing due within the idle window, and idle long enough", async () => {
    const d = await decide(facts());
    expect(d).toEqual({ stop: true, reason: expect.stringContaining("nothing running or due") });
  });

  it("stays while a DAG run is running or queued", async () => {
    expect(await decide(facts({ active_runs: 1 }))).toEqual({
      stop: false,
      reason: "1 DAG run(s) running or queued",
    });
  });

  it("stays when a run is due within the idle window, stops when it is due later", async () => {
    const due = (m: number) =>
      facts({ dags: [{ dag_id: "d", paused: false, next_due: min(m).toISOString() }] });
    expect((await decide(due(IDLE - 1))).stop).toBe(false);
    expect((await decide(due(IDLE))).stop).toBe(false);
    expect((await decide(due(IDLE + 1))).stop).toBe(true);
  });

  it("stays while runs missed during the stop are due (catch-up), unless that DAG is paused", async () => {
    const missed = facts({ dags: [{ dag_id: "d", paused: false, next_due: "2026-11-28T02:00:00Z" }] });
    expect(await decide(missed)).toEqual({
      stop: false,
      reason: "d has a run due since 2026-11-28T02:00:00Z",
    });
    const paused = facts({ dags: [{ dag_id: "d", paused: true, next_due: "2026-11-28T02:00:00Z" }] });
    expect((await decide(paused)).stop).toBe(true);
    // A DAG with no next run (end_date passed) is not due.
    expect((await decide(facts({ dags: [{ dag_id: "d", paused: false, next_due: null }] }))).stop).toBe(true);
  });

  it("counts the idle window from the latest of boot, last run end and the keep-awake mark", async () => {
    expect((await decide(facts(), { bootedAt: min(-(IDLE - 1)) })).stop).toBe(false);
    expect((await decide(facts(), { bootedAt: min(-IDLE) })).stop).toBe(true);
    expect((await decide(facts({ last_run_end: min(-5).toISOString() }))).reason).toContain("last run end");
    expect((await decide(facts({ last_run_end: min(-5).toISOString() }))).stop).toBe(false);
    expect((await decide(facts({ last_run_end: min(-IDLE).toISOString() }))).stop).toBe(true);
    // `touch -d '+2 hours'` keeps the host up for two hours plus the idle window.
    expect((await decide(facts(), { awakeMark: min(120) })).stop).toBe(false);
    expect((await decide(facts(), { awakeMark: min(120), now: min(120 + IDLE - 1) })).stop).toBe(false);
    expect((await decide(facts(), { awakeMark: min(120), now: min(120 + IDLE) })).stop).toBe(true);
  });

  it("stays when Airflow cannot be asked, but not forever: stops after 3 hours of uptime", async () => {
    expect((await decide(null, { bootedAt: min(-179) })).stop).toBe(false);
    expect((await decide(null, { bootedAt: min(-180) })).stop).toBe(true);
  });
});

function cli(stdin: string, args: string[]) {
  return spawnSync("python3", [IDLE_CHECK_FILE, "decide", ...args], { input: stdin, encoding: "utf8" });
}

describe("idle check: the decide command", () => {
  const base = ["--idle-minutes", "20", "--now", T0.toISOString()];
  it("exits 10 (stop) or 0 (stay) and prints the reason", () => {
    const stop = cli(JSON.stringify(facts()), [...base, "--uptime-seconds", "3600"]);
    expect(stop.status).toBe(10);
    expect(stop.stdout).toContain("nothing running or due");
    const stay = cli(JSON.stringify(facts({ active_runs: 2 })), [...base, "--uptime-seconds", "3600"]);
    expect(stay.status).toBe(0);
    expect(stay.stdout.trim()).toBe("2 DAG run(s) running or queued");
  });

  it("reads a future keep-awake mark (epoch seconds)", () => {
    const mark = String(Math.floor(min(30).getTime() / 1000));
    const r = cli(JSON.stringify(facts()), [...base, "--uptime-seconds", "3600", "--awake-mark", mark]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("keep-awake mark");
  });

  it("never answers 'stop' on broken input: garbage facts, a bad idle window", () => {
    const garbage = cli("{not json", [...base, "--uptime-seconds", "99999"]);
    expect(garbage.status).not.toBe(10);
    expect(garbage.status).not.toBe(0);
    expect(cli("[]", [...base, "--uptime-seconds", "99999"]).status).not.toBe(10);
    const bad = cli("null", ["--idle-minutes", "0", "--uptime-seconds", "99999"]);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain("--idle-minutes must be at least 1");
  });
});

const REPO = "123456789012.dkr.ecr.ap-southeast-1.amazonaws.com/extractor";
const CURRENT_IMAGE = `${REPO}@sha256:${"a".repeat(64)}`;
const OLD_IMAGE = `${REPO}@sha256:${"b".repeat(64)}`;

/** A scratch host: bundle with the idle check, /proc/uptime, and stub docker + systemctl on PATH. */
function host(
  name: string,
  opts: { facts: string | null; uptime: number; enabled?: boolean; session?: boolean },
) {
  const root = join(scratch, name);
  const bundle = join(root, "opt/openaq-airflow/bundle/host");
  mkdirSync(bundle, { recursive: true });
  mkdirSync(join(root, "proc"), { recursive: true });
  const bin = join(root, "stub-bin");
  mkdirSync(bin);
  writeFileSync(join(bundle, "idle_check.py"), IDLE_CHECK_SOURCE);
  writeFileSync(
    join(bundle, "sleep.conf"),
    sleepConf(opts.enabled ?? true, { idleMinutes: 20, wakeLeadMinutes: 10 }),
  );
  writeFileSync(join(root, "proc/uptime"), `${opts.uptime}.42 1234.56\n`);
  writeFileSync(join(bundle, "..", IMAGE_FILE), `${CURRENT_IMAGE}\n`);
  const log = join(root, "calls.log");
  // docker ps → one scheduler container; docker exec → the facts (or a failure).
  writeFileSync(
    join(bin, "docker"),
    `#!/bin/bash\necho "docker $*" >>${JSON.stringify(log)}\ncase "$1" in\n  ps) echo 0123abcd ;;\n  images) printf '%s\\n' ${JSON.stringify(CURRENT_IMAGE)} ${JSON.stringify(OLD_IMAGE)} ;;\n  exec) cat >/dev/null; ${opts.facts === null ? "echo 'database down' >&2; exit 1" : `printf '%s\\n' ${JSON.stringify(opts.facts)}`} ;;\nesac\n`,
  );
  writeFileSync(join(bin, "systemctl"), `#!/bin/bash\necho "systemctl $*" >>${JSON.stringify(log)}\n`);
  // pgrep -f ssm-session-worker: is someone connected through Session Manager?
  writeFileSync(
    join(bin, "pgrep"),
    `#!/bin/bash\n[ "$*" = "-f ssm-session-worker" ] && exit ${opts.session ? 0 : 1}\nexit 2\n`,
  );
  chmodSync(join(bin, "pgrep"), 0o755);
  chmodSync(join(bin, "docker"), 0o755);
  chmodSync(join(bin, "systemctl"), 0o755);
  const r = spawnSync("bash", ["-c", SCRIPT], {
    encoding: "utf8",
    env: { ...process.env, OPENAQ_BOOTSTRAP_ROOT: root, PATH: `${bin}:${process.env.PATH}` },
  });
  const calls = existsSync(log) ? readFileSync(log, "utf8") : "";
  return { ...r, calls, poweredOff: calls.includes("systemctl poweroff") };
}

describe("idle check: the host script (openaq-airflow-idle)", () => {
  const idleFacts = JSON.stringify({ ...facts(), dags: [] });

  it("powers an idle host off after asking the scheduler container", () => {
    const r = host("idle", { facts: idleFacts, uptime: 3600 });
    expect(r.status).toBe(0);
    expect(r.calls).toMatch(/docker exec -i 0123abcd python - facts/);
    expect(r.poweredOff).toBe(true);
    expect(r.stdout).toContain("powering off");
    // Before sleeping it drops extractor images other than the pinned one.
    expect(r.calls).toContain(`docker images --no-trunc --format {{.Repository}}@{{.Digest}} ${REPO}`);
    expect(r.calls).toContain(`docker rmi ${OLD_IMAGE}`);
    expect(r.calls).not.toContain(`docker rmi ${CURRENT_IMAGE}`);
  });

  it("keeps a host up that has a run going, a fresh boot, or no answer from Airflow", () => {
    expect(host("busy", { facts: JSON.stringify(facts({ active_runs: 1 })), uptime: 3600 }).poweredOff).toBe(
      false,
    );
    expect(host("fresh", { facts: idleFacts, uptime: 300 }).poweredOff).toBe(false);
    const down = host("down", { facts: null, uptime: 3600 });
    expect(down.status).toBe(0);
    expect(down.poweredOff).toBe(false);
    expect(down.stdout).toContain("Airflow unreachable");
  });

  it("stays up while someone is connected through Session Manager (the web UI's port forward)", () => {
    const r = host("session", { facts: idleFacts, uptime: 3600, session: true });
    expect(r.poweredOff).toBe(false);
    expect(r.stdout).toContain("keep-awake mark");
    expect(existsSync(join(scratch, "session/run/openaq-airflow/awake"))).toBe(true);
  });

  it("does nothing when sleeping is off in the bundle", () => {
    const r = host("off", { facts: idleFacts, uptime: 99999, enabled: false });
    expect(r.poweredOff).toBe(false);
    expect(r.calls).toBe("");
    expect(r.stdout).toContain("sleeping is off");
  });

  it("passes shellcheck, and its timer checks every 5 minutes from boot", () => {
    const file = join(scratch, "openaq-airflow-idle");
    writeFileSync(file, SCRIPT);
    const r = spawnSync("shellcheck", ["--severity=style", file], { encoding: "utf8" });
    expect(r.stdout + r.stderr).toBe("");
    expect(r.status).toBe(0);
    const timer = IDLE_UNITS.find(([n]) => n.endsWith(".timer"))?.[1] ?? "";
    expect(timer).toContain("OnBootSec=5min");
    expect(timer).toContain("OnUnitActiveSec=5min");
  });
});
