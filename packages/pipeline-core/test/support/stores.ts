/**
 * The object stores every store-agnostic suite runs against:
 *
 *   describe.each(storeCases)("$name store", ({ setup }) => {
 *     let store: ObjectStore; let teardown: () => Promise<void>;
 *     beforeAll(async () => ({ store, teardown } = await setup()));
 *     afterAll(() => teardown());
 *   });
 *
 * Each `setup()` gives a fresh, empty store: "local" a new temp folder, "s3" its own s3rver process
 * (about 0.4 s to start, so prefer `beforeAll`) and an S3Store under a random root prefix.
 */
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startS3rver } from "@openaq-lakehouse/test-support/s3rver";
import { LocalFolderStore } from "../../src/stores/local.js";
import type { ObjectStore } from "../../src/stores/object-store.js";
import { S3Store, type S3StoreOptions } from "../../src/stores/s3.js";

export interface StoreCase {
  name: "local" | "s3";
  setup(): Promise<{ store: ObjectStore; teardown(): Promise<void> }>;
}

export const storeCases: StoreCase[] = [
  {
    name: "local",
    async setup() {
      // The lake is a folder inside a private one, so a test can check nothing was written beside it.
      const dir = await mkdtemp(join(tmpdir(), "lake-local-"));
      return {
        store: new LocalFolderStore(join(dir, "lake")),
        teardown: () => rm(dir, { recursive: true, force: true }),
      };
    },
  },
  {
    name: "s3",
    async setup() {
      const { store, teardown } = await setupS3Store();
      return { store, teardown };
    },
  },
];

/** An S3Store on a fresh s3rver, under a random root prefix; extra options (e.g. a threshold) pass through. */
export async function setupS3Store(
  options: Partial<Omit<S3StoreOptions, "bucket" | "client">> = {},
): Promise<{ store: S3Store; server: Awaited<ReturnType<typeof startS3rver>>; teardown(): Promise<void> }> {
  const server = await startS3rver();
  const store = new S3Store({
    prefix: `root-${randomBytes(4).toString("hex")}`,
    ...options,
    bucket: server.bucket,
    client: server.client,
  });
  return { store, server, teardown: () => server.close() };
}
