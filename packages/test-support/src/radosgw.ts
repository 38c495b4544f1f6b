/**
 * A throwaway one-node Ceph cluster with radosgw (Debian's `ceph-mon`, `ceph-osd`, `radosgw`) on
 * 127.0.0.1, for tests that need what s3rver does not do: conditional writes (`If-None-Match: *`)
 * and versioning. One monitor, one in-memory `memstore` OSD, auth off, every port asked of the OS,
 * every file in a temp folder. `stop()` kills the three daemons by their process ids and removes
 * the folder; the OSD's data is in memory, so nothing outlives the test.
 *
 * Startup takes about 10-20 s: start one per suite (`beforeAll`), never per test.
 *
 * The non-obvious setting is `ms mon client mode = crc`: without it radosgw waits 300 s for an
 * auth handshake that never comes.
 *
 * Measured pitfall: this radosgw (Ceph 16) honours `If-None-Match: *` on an unversioned bucket
 * only; with versioning enabled a conditional PUT silently creates a new version. The bucket made
 * here is unversioned. (AWS S3 honours conditional writes on versioned buckets too.)
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { freePort } from "./ports.js";

const run = promisify(execFile);

export interface RadosgwHandle {
  /** `http://127.0.0.1:<port>` */
  endpoint: string;
  bucket: string;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  /** Stops radosgw, the OSD and the monitor, then removes every file they wrote. */
  stop(): Promise<void>;
}

/** Whether the Debian packages are installed (`scripts/ensure-test-engines.sh` installs them). */
export async function radosgwAvailable(): Promise<boolean> {
  try {
    await run("radosgw", ["--version"]);
    await run("ceph-mon", ["--version"]);
    await run("ceph-osd", ["--version"]);
    return true;
  } catch {
    return false;
  }
}

const STARTUP_TIMEOUT_MS = 90_000;

export async function startRadosgw(options: { bucket?: string } = {}): Promise<RadosgwHandle> {
  const dir = await mkdtemp(join(tmpdir(), "radosgw-"));
  const children: ChildProcess[] = [];
  // If the test process exits without stop() (a crash, a timeout), the daemons go with it.
  const onExit = () => {
    for (const child of children) if (child.exitCode === null) child.kill("SIGKILL");
  };
  process.once("exit", onExit);
  const stop = async () => {
    process.off("exit", onExit);
    for (const child of children.reverse()) await killChild(child);
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const [monV2, monV1, rgwPort] = [await freePort(), await freePort(), await freePort()];
    const fsid = randomUUID();
    const conf = join(dir, "ceph.conf");
    for (const sub of ["mon", "osd", "run", "log"]) await mkdir(join(dir, sub), { recursive: true });
    await writeFile(
      conf,
      `[global]
fsid = ${fsid}
mon host = [v2:127.0.0.1:${monV2},v1:127.0.0.1:${monV1}]
mon initial members = a
auth cluster required = none
auth service required = none
auth client required = none
ms mon client mode = crc
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
mon allow pool size one = true
mon warn on pool no redundancy = false
osd objectstore = memstore
memstore device bytes = 1073741824
osd crush chooseleaf type = 0
run dir = ${dir}/run
log file = ${dir}/log/$name.log
admin socket = ${dir}/run/$name.asok
pid file = ${dir}/run/$name.pid
ms bind ipv6 = false

[mon.a]
mon data = ${dir}/mon/a
public addrv = [v2:127.0.0.1:${monV2},v1:127.0.0.1:${monV1}]

[osd.0]
public addr = 127.0.0.1
cluster addr = 127.0.0.1
osd data = ${dir}/osd/0
osd max object name len = 256
osd max object namespace len = 64

[client.rgw.a]
rgw frontends = beast endpoint=127.0.0.1:${rgwPort}
rgw data = ${dir}/rgw
ms mon client mode = crc
rgw dns name = 127.0.0.1
`,
    );
    const c = ["-c", conf];
    const keyring = join(dir, "mon.keyring");
    await run("ceph-authtool", [
      "--create-keyring",
      keyring,
      "--gen-key",
      "-n",
      "mon.",
      "--cap",
      "mon",
      "allow *",
    ]);
    const monmap = join(dir, "monmap");
    await run("monmaptool", [
      "--create",
      "--fsid",
      fsid,
      "--addv",
      "a",
      `[v2:127.0.0.1:${monV2},v1:127.0.0.1:${monV1}]`,
      monmap,
    ]);
    await run("ceph-mon", [...c, "--mkfs", "-i", "a", "--monmap", monmap, "--keyring", keyring]);
    children.push(daemon("ceph-mon", [...c, "-f", "-i", "a"]));
    const osdUuid = randomUUID();
    const { stdout: osdId } = await retry(() =>
      run("ceph", [...c, "osd", "new", osdUuid], { timeout: 20_000 }),
    );
    await mkdir(join(dir, "osd", osdId.trim()), { recursive: true });
    await run("ceph-osd", [...c, "-i", osdId.trim(), "--mkfs", "--osd-uuid", osdUuid]);
    children.push(daemon("ceph-osd", [...c, "-f", "-i", osdId.trim()]));
    await mkdir(join(dir, "rgw"), { recursive: true });
    children.push(daemon("radosgw", [...c, "-f", "-n", "client.rgw.a"]));
    const endpoint = `http://127.0.0.1:${rgwPort}`;
    const deadline = Date.now() + STARTUP_TIMEOUT_MS;
    for (;;) {
      try {
        const res = await fetch(`${endpoint}/`);
        if (res.status === 200) break;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline)
        throw new Error(
          `radosgw did not answer on ${endpoint} within ${STARTUP_TIMEOUT_MS / 1000} s (logs in ${dir}/log).`,
        );
      await new Promise((r) => setTimeout(r, 250));
    }
    const credentials = {
      accessKeyId: `AK${randomBytes(8).toString("hex").toUpperCase()}`,
      secretAccessKey: randomBytes(20).toString("hex"),
    };
    await run("radosgw-admin", [
      ...c,
      "-n",
      "client.rgw.a",
      "user",
      "create",
      "--uid",
      "test",
      "--display-name",
      "test",
      "--access-key",
      credentials.accessKeyId,
      "--secret",
      credentials.secretAccessKey,
    ]);
    const bucket = options.bucket ?? `lake-${randomBytes(4).toString("hex")}`;
    const { S3Client, CreateBucketCommand } = await import("@aws-sdk/client-s3");
    const client = new S3Client({ endpoint, region: "us-east-1", forcePathStyle: true, credentials });
    await retry(() => client.send(new CreateBucketCommand({ Bucket: bucket })));
    client.destroy();
    return { endpoint, bucket, region: "us-east-1", credentials, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

function daemon(cmd: string, args: string[]): ChildProcess {
  const child = spawn(cmd, args, { stdio: "ignore" });
  child.on("error", () => {});
  return child;
}

async function killChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
  await exited;
  clearTimeout(timer);
}

async function retry<T>(fn: () => Promise<T>, attempts = 40): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await fn();
    } catch (e) {
      if (i >= attempts) throw e;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}
