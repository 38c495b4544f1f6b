/**
 * A real S3-compatible server on loopback for tests: s3rver 3.7.1, one bucket, a temp directory.
 *
 * Why s3rver runs in a child process (and not in the test worker):
 * s3rver builds ListObjectsV2 continuation tokens with `crypto.createCipheriv('des', …)`. OpenSSL 3
 * (Node 17+) only offers DES from its legacy provider, so without `--openssl-legacy-provider` every
 * paginated listing fails with HTTP 500 (ERR_OSSL_EVP_UNSUPPORTED). That flag has to be given when
 * the process starts: setting NODE_OPTIONS from a config `test.env` only reaches processes started
 * later, not the already-running worker. Vitest 4 does have a top-level `test.execArgv`, but it would
 * switch the legacy provider on for every test file in the workspace (so code under test could use
 * weak ciphers without any test noticing), and it does nothing for scripts run outside Vitest. A child
 * process started with the flag keeps the legacy crypto inside the fake server, where the server runs
 * in its own process just as S3 would, and it also keeps s3rver's Koa app and logger out of the
 * worker. Startup costs about 0.4 s, so start one server per suite (`beforeAll`), not per test.
 *
 * The child exits when asked (after s3rver's programmatic `close()`) or when its parent goes away
 * (the IPC channel closes), so a crashed or killed test run leaves no server behind.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { S3Client } from "@aws-sdk/client-s3";
import { createS3Client } from "@openaq-lakehouse/pipeline-core";

export interface S3rverHandle {
  /** `http://127.0.0.1:<port>` */
  endpoint: string;
  bucket: string;
  /** A path-style client with s3rver's fixed credentials and the store's checksum settings. */
  client: S3Client;
  /** Stops the server (programmatic `close()`), waits for its process to exit, removes its directory. */
  close(): Promise<void>;
}

/** s3rver's built-in account; it checks request signatures against these. */
export const S3RVER_CREDENTIALS = { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" } as const;

const STARTUP_TIMEOUT_MS = 20_000;
const SHUTDOWN_TIMEOUT_MS = 10_000;

/** The child's program (CommonJS, run with `node -e`). argv: s3rver entry point, directory, bucket. */
const CHILD_SOURCE = `
const [s3rverPath, directory, bucket] = process.argv.slice(1);
const S3rver = require(s3rverPath);
const server = new S3rver({
  address: "127.0.0.1",
  port: 0,
  silent: true,
  directory,
  configureBuckets: [{ name: bucket, configs: [] }],
});
let closing = false;
function shutdown(orphaned) {
  if (closing) return;
  closing = true;
  const done = (code) => {
    // The parent normally removes the directory; if it is gone, nobody else will.
    if (orphaned) require("fs").rmSync(directory, { recursive: true, force: true });
    process.exit(code);
  };
  server.close().then(() => done(0), () => done(1));
}
server.run().then(
  (address) => process.send({ type: "ready", port: address.port }),
  (err) => { console.error(err && err.stack ? err.stack : String(err)); process.exit(1); },
);
process.on("message", (m) => { if (m && m.type === "close") shutdown(false); });
process.on("disconnect", () => shutdown(true));
`;

export async function startS3rver(options: { bucket?: string } = {}): Promise<S3rverHandle> {
  const bucket = options.bucket ?? `lake-${randomBytes(4).toString("hex")}`;
  const directory = await mkdtemp(join(tmpdir(), "s3rver-"));
  const s3rverPath = createRequire(import.meta.url).resolve("s3rver");

  // NODE_OPTIONS is dropped so the server does not inherit loaders or flags meant for the tests.
  const { NODE_OPTIONS: _ignored, ...env } = process.env;
  const child = spawn(
    process.execPath,
    ["--openssl-legacy-provider", "-e", CHILD_SOURCE, s3rverPath, directory, bucket],
    {
      stdio: ["ignore", "ignore", "pipe", "ipc"],
      env,
    },
  );
  let stderr = "";
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
    stderr = (stderr + chunk).slice(-4000);
  });

  let port: number;
  try {
    port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`s3rver did not start within ${STARTUP_TIMEOUT_MS} ms. ${stderr}`));
      }, STARTUP_TIMEOUT_MS);
      child.once("error", (err) => {
        clearTimeout(timer);
        reject(err);
      });
      child.once("exit", (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`s3rver exited before it was ready (code ${code}, signal ${signal}). ${stderr}`));
      });
      child.on("message", (m: { type?: string; port?: number }) => {
        if (m?.type === "ready" && typeof m.port === "number") {
          clearTimeout(timer);
          resolve(m.port);
        }
      });
    });
  } catch (e) {
    await stopChild(child);
    await rm(directory, { recursive: true, force: true });
    throw e;
  }

  const endpoint = `http://127.0.0.1:${port}`;
  const client = createS3Client({
    endpoint,
    region: "us-east-1",
    forcePathStyle: true,
    credentials: S3RVER_CREDENTIALS,
    // A local server either answers or is broken; retrying only slows failing tests down.
    maxAttempts: 2,
  });

  let closed: Promise<void> | undefined;
  return {
    endpoint,
    bucket,
    client,
    close() {
      closed ??= (async () => {
        client.destroy();
        await stopChild(child);
        await rm(directory, { recursive: true, force: true });
      })();
      return closed;
    },
  };
}

/** Asks the child to close s3rver and exit; kills it if it has not exited in time. */
async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  if (child.connected) child.send({ type: "close" });
  else child.kill("SIGKILL");
  const timer = setTimeout(() => child.kill("SIGKILL"), SHUTDOWN_TIMEOUT_MS);
  await exited;
  clearTimeout(timer);
}
