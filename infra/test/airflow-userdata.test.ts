import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import {
  AirflowConfigError,
  airflowBundleFiles,
  COMPOSE_VERSION,
  renderUserData,
} from "../src/airflow/index.js";
import {
  COMPOSE_SHA256,
  SYNC_SCRIPT,
  USER_DATA_LIMIT_BYTES,
  userDataPayload,
} from "../src/airflow/userdata.js";
import { hasCommand, hostOptions, IMAGE, REPO_ROOT, tempDir, writeBundle } from "./airflow-fixtures.js";

const opts = hostOptions();
const userData = renderUserData(opts);
const scriptsDir = tempDir("scripts");
writeFileSync(join(scriptsDir, "user-data.sh"), userData);
writeFileSync(join(scriptsDir, "openaq-airflow-sync"), SYNC_SCRIPT);

describe("EC2 user data", () => {
  it("passes bash -n, and so does the sync job it installs", () => {
    for (const f of ["user-data.sh", "openaq-airflow-sync"]) {
      const r = spawnSync("bash", ["-n", join(scriptsDir, f)], { encoding: "utf8" });
      expect(r.status, `${f}: ${r.stderr}`).toBe(0);
    }
    // Control: bash -n does reject a syntax error.
    writeFileSync(join(scriptsDir, "bad.sh"), "if true; then\n");
    expect(spawnSync("bash", ["-n", join(scriptsDir, "bad.sh")]).status).not.toBe(0);
  });

  const shellcheck = hasCommand("shellcheck");
  const inCi = process.env.CI === "true";
  it.runIf(shellcheck || inCi)("passes shellcheck (user data, sync job, host stand-ins)", () => {
    expect(shellcheck, "shellcheck is not installed (apt-get install -y shellcheck)").toBe(true);
    const stubs = join(REPO_ROOT, "infra/airflow/testing/host-stubs");
    const stubFiles = readdirSync(stubs)
      .filter((f) => f !== "README.md")
      .map((f) => join(stubs, f));
    const r = spawnSync(
      "shellcheck",
      [
        "--shell=bash",
        "--severity=style",
        join(scriptsDir, "user-data.sh"),
        join(scriptsDir, "openaq-airflow-sync"),
        ...stubFiles,
      ],
      {
        encoding: "utf8",
      },
    );
    expect(r.status, r.stdout + r.stderr).toBe(0);
    // Control: shellcheck does flag an unquoted expansion.
    writeFileSync(join(scriptsDir, "sloppy.sh"), "#!/bin/bash\nrm -rf $1/tmp\n");
    expect(spawnSync("shellcheck", [join(scriptsDir, "sloppy.sh")]).status).not.toBe(0);
  });
  // Outside CI a missing shellcheck shows up as a skipped test that says why.
  if (!shellcheck && !inCi)
    it.skip("passes shellcheck: SKIPPED because shellcheck is not installed (apt-get install -y shellcheck)", () => {});

  it("fits EC2's 16 KiB user data limit and carries no secret", () => {
    expect(Buffer.from(userDataPayload(userData), "base64").byteLength).toBeLessThan(USER_DATA_LIMIT_BYTES);
    expect(userData.startsWith("#!/bin/bash\n")).toBe(true);
    // Only names of secrets: the password itself is read on the host with the instance role.
    expect(userData).toContain(opts.adminPasswordParameterName);
    expect(userData).not.toMatch(/--password[ =]['"]?[A-Za-z0-9]/);
    expect(userData).not.toMatch(/AKIA[0-9A-Z]{16}/);
    // The image digest reaches the host through the bundle, so a new image does not change the user data.
    expect(userData).not.toContain(IMAGE);
    expect(renderUserData(hostOptions({ extractorImage: IMAGE.replace("3f3f", "0101") }))).toBe(userData);
  });

  it("validates its options", () => {
    expect(() => renderUserData(hostOptions({ bundleUri: "s3://other-bucket/platform/airflow/" }))).toThrow(
      AirflowConfigError,
    );
    expect(() =>
      renderUserData(hostOptions({ bundleUri: "s3://openaq-lakehouse-data-123/platform/airflow" })),
    ).toThrow(/ending in/);
    expect(() => renderUserData(hostOptions({ registryUrl: "https://example.com/x" }))).toThrow(
      AirflowConfigError,
    );
    expect(() =>
      renderUserData(hostOptions({ registryUrl: "999999999999.dkr.ecr.ap-southeast-1.amazonaws.com" })),
    ).toThrow(/registryUrl/);
    expect(() => renderUserData(hostOptions({ adminPasswordParameterName: "airflow-admin" }))).toThrow(
      AirflowConfigError,
    );
    expect(() => renderUserData(hostOptions({ swapSizeMiB: 100 }))).toThrow(AirflowConfigError);
  });
});

// ---------------------------------------------------------------------------------------------
// Run the user data twice in a scratch root with stand-ins for the commands that change a machine.

interface Sandbox {
  root: string;
  state: string;
  log: string;
  bundle: string;
  run: () => { status: number | null; output: string; calls: string[] };
}

const ADMIN_PASSWORD = `test-only-${createHash("sha256").update(String(process.pid)).digest("hex").slice(0, 16)}`;

/**
 * The host stubs' curl "downloads" a tiny script for the Compose plugin (host-stubs/curl). Its
 * checksum replaces the real one in the user data the sandbox runs; the real one stays in source.
 */
const MACHINE = spawnSync("uname", ["-m"], { encoding: "utf8" }).stdout.trim();
const STUB_PLUGIN = `#!/bin/sh\n[ "$1 $2" = 'version --short' ] && echo '${COMPOSE_VERSION.replace(/^v/, "")}'\n`;
const STUB_PLUGIN_SHA256 = createHash("sha256").update(STUB_PLUGIN).digest("hex");
const realChecksum = COMPOSE_SHA256[MACHINE];
const sandboxUserData = realChecksum ? userData.replace(realChecksum, STUB_PLUGIN_SHA256) : userData;

function sandbox(script = sandboxUserData): Sandbox {
  const base = tempDir("host");
  const root = join(base, "root");
  const state = join(base, "state");
  const bin = join(base, "bin");
  const log = join(base, "calls.log");
  const bundle = writeBundle(airflowBundleFiles(opts), join(base, "s3-bundle"));
  for (const d of [root, state, join(root, "etc"), join(root, "var/run")]) mkdirSync(d, { recursive: true });
  writeFileSync(join(root, "etc/fstab"), "UUID=1234 / xfs defaults 0 0\n");
  writeFileSync(join(root, "var/run/docker.sock"), "");
  cpSync(join(REPO_ROOT, "infra/airflow/testing/host-stubs"), bin, { recursive: true });
  for (const f of readdirSync(bin)) chmodSync(join(bin, f), 0o755);
  writeFileSync(join(base, "user-data.sh"), script);
  writeFileSync(log, "");
  return {
    root,
    state,
    log,
    bundle,
    run: () => {
      const before = readFileSync(log, "utf8").length;
      const r = spawnSync("bash", [join(base, "user-data.sh")], {
        encoding: "utf8",
        env: {
          PATH: `${bin}:/usr/bin:/bin`,
          HOME: base,
          OPENAQ_BOOTSTRAP_ROOT: root,
          STUB_STATE: state,
          STUB_LOG: log,
          STUB_BUNDLE: bundle,
          STUB_ADMIN_PASSWORD: ADMIN_PASSWORD,
          STUB_COMPOSE_VERSION: COMPOSE_VERSION.replace(/^v/, ""),
        },
        timeout: 30_000,
      });
      const calls = readFileSync(log, "utf8").slice(before).split("\n").filter(Boolean);
      return { status: r.status, output: r.stdout + r.stderr, calls };
    },
  };
}

/** Every regular file under root: content hash, mode and mtime (the bootstrap's own log excluded). */
function snapshot(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) {
        const rel = relative(root, p);
        if (rel === "var/log/openaq-airflow-bootstrap.log") continue;
        const st = statSync(p);
        out[rel] =
          `${createHash("sha256").update(readFileSync(p)).digest("hex")} ${(st.mode & 0o7777).toString(8)} ${st.mtimeMs}`;
      }
    }
  };
  walk(root);
  return out;
}

const changes = (calls: string[]) => calls.filter((c) => c.startsWith("CHANGE "));

describe("bootstrap on a scratch host", () => {
  const box = sandbox();
  const first = box.run();

  it("sets the host up on the first run: swap, Docker, Compose, timers, bundle, login, pull, start", () => {
    expect(first.status, first.output).toBe(0);
    const c = changes(first.calls).join("\n");
    for (const expected of [
      /CHANGE dnf install -y --quiet docker awscli-2 openssl util-linux diffutils/,
      /CHANGE dd .*bs=1M count=2048/,
      /CHANGE mkswap/,
      /CHANGE swapon .*\/swapfile/,
      /CHANGE systemctl enable docker/,
      /CHANGE curl https:\/\/github.com\/docker\/compose\/releases\/download\/v\d+\.\d+\.\d+\/docker-compose-linux-/,
      /CHANGE systemctl daemon-reload/,
      /CHANGE systemctl enable openaq-airflow-sync.timer/,
      /CHANGE systemctl enable openaq-airflow-cleanup.timer/,
      /CHANGE aws s3 sync copied \.\/dags\/openaq_ingestion_prod.py/,
      /CHANGE docker login --username AWS --password-stdin 123456789012.dkr.ecr.ap-southeast-1.amazonaws.com/,
      /CHANGE docker compose --project-name openaq-airflow .* up --detach/,
    ]) {
      expect(c).toMatch(expected);
    }
    // Registry login through the instance role, used for the pull only.
    const order = [
      "CHANGE docker login",
      "CHANGE docker pull",
      "CHANGE docker logout",
      "CHANGE docker compose",
    ].map((p) => first.calls.findIndex((x) => x.startsWith(p)));
    expect(
      order.every((i, k) => i >= 0 && (k === 0 || i > (order[k - 1] ?? Number.POSITIVE_INFINITY))),
      first.calls.join("\n"),
    ).toBe(true);
    expect(first.calls).toContain(`CHANGE docker pull --quiet ${IMAGE}`);
  });

  it("leaves the expected files, with secrets readable only through root's 0700 folder", () => {
    const dir = join(box.root, "opt/openaq-airflow");
    expect(readFileSync(join(box.root, "etc/fstab"), "utf8")).toContain("\n/swapfile none swap sw 0 0\n");
    expect(existsSync(join(box.root, "swapfile"))).toBe(true);
    expect(JSON.parse(readFileSync(join(box.root, "etc/docker/daemon.json"), "utf8"))["log-opts"]).toEqual({
      "max-size": "10m",
      "max-file": "3",
    });
    expect(readFileSync(join(box.root, "usr/local/sbin/openaq-airflow-sync"), "utf8")).toBe(SYNC_SCRIPT);
    expect(readFileSync(join(dir, "bundle/docker-compose.yml"), "utf8")).toBe(
      readFileSync(join(box.bundle, "docker-compose.yml"), "utf8"),
    );
    expect(statSync(join(dir, "secrets")).mode & 0o777).toBe(0o700);
    for (const f of ["admin_password", "postgres_password", "fernet_key", "webserver_secret_key"]) {
      expect(statSync(join(dir, "secrets", f)).mode & 0o777, f).toBe(0o444);
    }
    // Generated on the host: 32 random bytes each, hex for the URL-embedded database password.
    expect(readFileSync(join(dir, "secrets/postgres_password"), "utf8")).toMatch(/^[0-9a-f]{64}$/);
    expect(readFileSync(join(dir, "secrets/webserver_secret_key"), "utf8")).toMatch(/^[0-9a-f]{64}$/);
    expect(readFileSync(join(dir, "secrets/admin_password"), "utf8")).toBe(ADMIN_PASSWORD);
    // A Fernet key is 32 bytes of URL-safe base64.
    expect(Buffer.from(readFileSync(join(dir, "secrets/fernet_key"), "utf8"), "base64url")).toHaveLength(32);
    const gid = statSync(join(box.root, "var/run/docker.sock")).gid;
    expect(readFileSync(join(dir, "host.env"), "utf8")).toBe(
      `OPENAQ_AIRFLOW_SECRETS_DIR=${dir}/secrets\nDOCKER_GID=${gid}\nAIRFLOW_WEB_PORT=8080\n`,
    );
    // The password never went onto a command line.
    expect(readFileSync(box.log, "utf8")).not.toContain(ADMIN_PASSWORD);
  });

  it("changes nothing on a second run: no mutating command, every file identical (content, mode, mtime)", () => {
    const before = snapshot(box.root);
    const second = box.run();
    expect(second.status, second.output).toBe(0);
    expect(changes(second.calls)).toEqual([]);
    expect(snapshot(box.root)).toEqual(before);
    // It did look: the guards ran their checks rather than being skipped wholesale.
    expect(second.calls).toContain("READ systemctl is-active --quiet docker");
    expect(second.calls.some((c) => c.startsWith("READ docker image inspect"))).toBe(true);
    expect(second.calls.some((c) => c.startsWith("READ aws s3 sync"))).toBe(true);
  });

  it("a new bundle reaches the host through the sync job: new DAGs copied, new image pulled, Compose updated", () => {
    const newImage = IMAGE.replace("3f3f", "4e4e");
    const files = airflowBundleFiles(hostOptions({ extractorImage: newImage, extractorMemoryMiB: 384 }));
    writeBundle(files, box.bundle);
    // The compose file changed too (simulated: a comment), which must trigger `up`.
    writeFileSync(
      join(box.bundle, "docker-compose.yml"),
      `${readFileSync(join(box.bundle, "docker-compose.yml"), "utf8")}# v2\n`,
    );
    const third = box.run();
    expect(third.status, third.output).toBe(0);
    const c = changes(third.calls);
    expect(c).toContain(`CHANGE docker pull --quiet ${newImage}`);
    expect(c).toContain("CHANGE aws s3 sync copied ./dags/openaq_ingestion_dev.json");
    expect(c.some((x) => / up --detach/.test(x))).toBe(true);
    // Host-level steps stay untouched.
    expect(
      c.filter((x) => /dnf|mkswap|swapon|dd |curl|daemon-reload|systemctl (enable|restart)/.test(x)),
    ).toEqual([]);
  });

  it("the second-run check does catch an unguarded step (control)", () => {
    const guard = "systemctl is-enabled --quiet docker || systemctl enable docker";
    expect(userData).toContain(guard);
    const unguarded = sandbox(sandboxUserData.replace(guard, "systemctl enable docker"));
    expect(unguarded.run().status).toBe(0);
    expect(changes(unguarded.run().calls)).toEqual(["CHANGE systemctl enable docker"]);
  });

  it("checks the Compose plugin against the checksum fixed in the source: a different download stops the bootstrap", () => {
    expect(userData).toContain(`x86_64) expected=${COMPOSE_SHA256.x86_64} ;;`);
    expect(userData).not.toContain("$url.sha256");
    const real = sandbox(userData); // the genuine checksum, which the stub's download does not match
    const r = real.run();
    expect(r.status).not.toBe(0);
    expect(r.output).toMatch(/FAILED|did NOT match/);
    expect(existsSync(join(real.root, "usr/local/lib/docker/cli-plugins/docker-compose"))).toBe(false);
  });

  it("refuses a bundle whose image is not pinned by digest", () => {
    writeFileSync(join(box.bundle, "extractor-image.txt"), `${IMAGE.split("@")[0]}:latest\n`);
    const fourth = box.run();
    expect(fourth.status).not.toBe(0);
    expect(fourth.output).toMatch(/not pinned by digest/);
    expect(changes(fourth.calls).filter((x) => /docker (pull|compose)/.test(x))).toEqual([]);
  });
});
