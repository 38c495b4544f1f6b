import { createHash, randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  type S3Client,
  S3ServiceException,
} from "@aws-sdk/client-s3";
import { leakedSecrets, withSignedRequest } from "@openaq-lakehouse/test-support/aws-errors";
import { freePort } from "@openaq-lakehouse/test-support/ports";
import { S3RVER_CREDENTIALS, type S3rverHandle, startS3rver } from "@openaq-lakehouse/test-support/s3rver";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ErrorCode } from "../src/error-codes.js";
import { PipelineError } from "../src/errors.js";
import { assertKeyPrefix, assertObjectKey } from "../src/stores/keys.js";
import { listAll, listKeys, type ObjectStore } from "../src/stores/object-store.js";
import { createS3Client, S3Store } from "../src/stores/s3.js";
import { storeCases } from "./support/stores.js";

const MiB = 1024 * 1024;
const text = (s: string) => new TextEncoder().encode(s);
const md5 = (b: Uint8Array) => createHash("md5").update(b).digest("hex");

/** Runs `fn` over `items` with at most `limit` calls in flight. */
async function eachLimit<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      await fn(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/** Expects `promise` to reject with a PipelineError of `code` whose message is one line mentioning `mentions`. */
async function expectPipelineError(
  promise: Promise<unknown>,
  code: ErrorCode,
  ...mentions: string[]
): Promise<PipelineError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(PipelineError);
  const pe = error as PipelineError;
  expect(pe.code).toBe(code);
  expect(pe.message).not.toContain("\n");
  for (const m of mentions) expect(pe.message).toContain(m);
  return pe;
}

const INVALID_KEYS = ["../x", "/abs", "a//b", "a/../b", "a/./b", "a\\b", "", "dir/", "a\u0000b", "tab\there"];

describe.each(storeCases)("ObjectStore conformance: $name", ({ setup }) => {
  let store: ObjectStore;
  let teardown: () => Promise<void>;
  beforeAll(async () => {
    ({ store, teardown } = await setup());
  });
  afterAll(async () => {
    await teardown?.();
  });

  it("round-trips binary bytes and reports their size", async () => {
    const body = new Uint8Array(64 * 1024 + 256);
    for (let i = 0; i < 256; i++) body[i] = i; // every byte value, including NUL, CR, LF and 0xFF
    body.set(randomBytes(64 * 1024), 256);
    await store.put("rt/binary.bin", body, { contentType: "application/octet-stream" });
    const back = await store.get("rt/binary.bin");
    expect(back).toBeInstanceOf(Uint8Array);
    expect(back?.byteLength).toBe(body.byteLength);
    expect(md5(back as Uint8Array)).toBe(md5(body));
    const info = await store.head("rt/binary.bin");
    expect(info).toMatchObject({ key: "rt/binary.bin", size: body.byteLength });
  });

  it("round-trips an empty object", async () => {
    await store.put("rt/empty", new Uint8Array(0));
    const back = await store.get("rt/empty");
    expect(back).toBeInstanceOf(Uint8Array);
    expect(back?.byteLength).toBe(0);
    expect(await store.head("rt/empty")).toMatchObject({ key: "rt/empty", size: 0 });
    expect(await listKeys(store, "rt/empty")).toEqual(["rt/empty"]);
  });

  it("keeps non-ASCII and '=' key segments exactly", async () => {
    const key = "unicode/city=Hà Nội/name=São Paulo + ½/part-00000.json";
    await store.put(key, text('{"ok":true}'));
    expect(new TextDecoder().decode(await store.get(key))).toBe('{"ok":true}');
    expect(await store.head(key)).toMatchObject({ key, size: 11 });
    expect(await listKeys(store, "unicode/city=Hà Nội/")).toEqual([key]);
    expect(await listKeys(store, "unicode/city=Ha")).toEqual([]); // no accent folding
  });

  it("returns undefined for get and head of a missing key", async () => {
    expect(await store.get("missing/nothing-here.bin")).toBeUndefined();
    expect(await store.head("missing/nothing-here.bin")).toBeUndefined();
    // A missing "directory" and a key that is a prefix of a real key are missing too.
    await store.put("missing/real/object", text("x"));
    expect(await store.get("missing/real")).toBeUndefined();
    expect(await store.head("missing/real")).toBeUndefined();
    expect(await store.get("missing/rea")).toBeUndefined();
    // ... and so is a key "below" an object.
    expect(await store.get("missing/real/object/deeper")).toBeUndefined();
    expect(await store.head("missing/real/object/deeper")).toBeUndefined();
  });

  it("overwrites an object whole", async () => {
    await store.put("ow/object", text("a much longer first version of the object"));
    await store.put("ow/object", text("short"));
    expect(new TextDecoder().decode(await store.get("ow/object"))).toBe("short");
    expect((await store.head("ow/object"))?.size).toBe(5);
    expect(await listKeys(store, "ow/")).toEqual(["ow/object"]);
  });

  it("lists in lexicographic order, filtered by prefix, page by page", async () => {
    const keys = ["list/c", "list/a", "list/d/y", "list/b0", "list/ab", "list/d/x", "list/b"];
    await Promise.all(keys.map((k) => store.put(k, text(k))));
    // Siblings that share the prefix's characters but not the prefix.
    await Promise.all(["listing/z", "lis", "lisa/k"].map((k) => store.put(k, text(k))));

    const sorted = ["list/a", "list/ab", "list/b", "list/b0", "list/c", "list/d/x", "list/d/y"];
    const whole = await store.listPage("list/");
    expect(whole.objects.map((o) => o.key)).toEqual(sorted);
    expect(whole.nextToken).toBeUndefined();
    expect(whole.objects.find((o) => o.key === "list/b0")?.size).toBe(7);

    expect((await store.listPage("list/a")).objects.map((o) => o.key)).toEqual(["list/a", "list/ab"]);
    expect((await store.listPage("list/d/")).objects.map((o) => o.key)).toEqual(["list/d/x", "list/d/y"]);
    expect(await store.listPage("list/zzz")).toEqual({ objects: [] });
    expect(await store.listPage("nowhere/")).toEqual({ objects: [] });

    const pages: string[][] = [];
    let token: string | undefined;
    do {
      const page = await store.listPage("list/", {
        maxKeys: 3,
        ...(token ? { continuationToken: token } : {}),
      });
      pages.push(page.objects.map((o) => o.key));
      token = page.nextToken;
    } while (token);
    expect(pages).toEqual([sorted.slice(0, 3), sorted.slice(3, 6), sorted.slice(6)]);

    // Everything in the store, across prefixes, still sorted.
    const all = await listKeys(store, "");
    expect(all).toEqual([...all].sort());
    expect(all).toEqual(expect.arrayContaining([...sorted, "listing/z", "lis", "lisa/k"]));
  });

  it("lists and deletes more than 1,000 keys across pages", async () => {
    const keys = Array.from({ length: 1050 }, (_, i) => `many/k-${String(i).padStart(5, "0")}`);
    await eachLimit(keys, 16, (k) => store.put(k, text(k.slice(-5))));
    await store.put("manyx/sibling", text("kept"));

    const first = await store.listPage("many/");
    expect(first.objects).toHaveLength(1000);
    expect(first.nextToken).toBeTruthy();
    expect(first.objects.map((o) => o.key)).toEqual(keys.slice(0, 1000));

    expect(await listKeys(store, "many/")).toEqual(keys);
    let bytes = 0;
    for await (const o of listAll(store, "many/")) bytes += o.size;
    expect(bytes).toBe(1050 * 5);

    await store.deleteMany(keys);
    expect(await listKeys(store, "many/")).toEqual([]);
    expect(await store.get("manyx/sibling")).toEqual(text("kept"));
  });

  it("deletes only the given keys, and missing keys are not an error", async () => {
    await Promise.all(
      ["del/keep", "del/gone-1", "del/gone-2", "del/sub/keep"].map((k) => store.put(k, text(k))),
    );
    await store.deleteMany(["del/gone-1", "del/never-existed", "del/gone-2", "del/gone-1", "nowhere/at/all"]);
    await store.deleteMany([]);
    expect(await listKeys(store, "del/")).toEqual(["del/keep", "del/sub/keep"]);
    await store.deleteMany(["del/gone-1"]); // deleting twice is fine
    expect(await listKeys(store, "del/")).toEqual(["del/keep", "del/sub/keep"]);
  });

  it("refuses keys that could escape the root, and writes nothing", async () => {
    const before = await listKeys(store, "");
    for (const key of INVALID_KEYS) {
      const named = JSON.stringify(key);
      await expectPipelineError(store.put(key, text("evil")), "INVALID_KEY", named);
      await expectPipelineError(store.get(key), "INVALID_KEY", named);
      await expectPipelineError(store.head(key), "INVALID_KEY", named);
      // One bad key in a batch deletes nothing, not even the valid keys before it.
      await expectPipelineError(store.deleteMany(["rt/empty", key]), "INVALID_KEY", named);
    }
    expect(await listKeys(store, "")).toEqual(before);
    expect(await store.head("rt/empty")).toBeDefined();
    if (store.uri.startsWith("file://")) {
      const root = fileURLToPath(store.uri);
      expect(existsSync(join(dirname(root), "x"))).toBe(false);
      expect(existsSync("/abs")).toBe(false);
    }
  });
});

describe("keys", () => {
  it("accepts relative keys and returns them", () => {
    for (const key of [
      "a",
      "dev/raw/measurements/year=2024/month=01/day=02/x.json",
      "city=Hà Nội/a b+c",
      "a/.hidden",
      "..a/b..",
    ]) {
      expect(assertObjectKey(key)).toBe(key);
    }
  });

  it("refuses keys that are not plain relative paths", () => {
    expect(assertObjectKey("é".repeat(512))).toHaveLength(512); // 1,024 bytes of UTF-8: the limit
    for (const key of [...INVALID_KEYS, "é".repeat(513), "a".repeat(1025)]) {
      expect(() => assertObjectKey(key)).toThrow(PipelineError);
      expect(() => assertObjectKey(key)).toThrow(JSON.stringify(key));
    }
  });

  it("accepts prefixes that end with '/' or mid-segment, and refuses escaping ones", () => {
    for (const p of ["", "dev/", "dev/raw/measurements/year=2024/mon", "a"])
      expect(assertKeyPrefix(p)).toBe(p);
    for (const p of ["/", "/abs", "../", "a/../", "a//", "a//b", "a\\b", "a/./", "a\u0001"]) {
      expect(() => assertKeyPrefix(p)).toThrow(expect.objectContaining({ code: "INVALID_KEY" }));
    }
  });
});

/** Records the commands a client sends (name and input), on the real wire path. */
function recordCommands(client: S3Client): { name: string; input: Record<string, unknown> }[] {
  const sent: { name: string; input: Record<string, unknown> }[] = [];
  client.middlewareStack.add(
    (next, context) => async (args) => {
      sent.push({ name: String(context.commandName), input: args.input as Record<string, unknown> });
      return next(args);
    },
    { step: "initialize", name: "recordCommands" },
  );
  return sent;
}

describe("S3Store on s3rver", () => {
  let server: S3rverHandle;
  const clientFor = (s: S3rverHandle) =>
    createS3Client({
      endpoint: s.endpoint,
      region: "us-east-1",
      forcePathStyle: true,
      credentials: S3RVER_CREDENTIALS,
    });

  beforeAll(async () => {
    server = await startS3rver();
  });
  afterAll(async () => {
    await server?.close();
  });

  it("uploads above the threshold as multipart in 8 MiB parts, with intact bytes", async () => {
    const client = clientFor(server);
    const sent = recordCommands(client);
    const store = new S3Store({
      bucket: server.bucket,
      prefix: "mp",
      client,
      multipartThresholdBytes: 5 * MiB,
    });
    const big = randomBytes(11 * MiB + 123);
    await store.put("big/object.parquet", big, { contentType: "application/vnd.apache.parquet" });
    expect(sent.map((c) => c.name)).toEqual([
      "CreateMultipartUploadCommand",
      "UploadPartCommand",
      "UploadPartCommand",
      "CompleteMultipartUploadCommand",
    ]);
    expect(sent[0]?.input).toMatchObject({
      Key: "mp/big/object.parquet",
      ContentType: "application/vnd.apache.parquet",
    });
    expect(await store.head("big/object.parquet")).toMatchObject({ size: big.byteLength });
    expect(md5((await store.get("big/object.parquet")) as Uint8Array)).toBe(md5(big));

    // At or below the threshold: one PutObject, whose ETag is the body's MD5.
    sent.length = 0;
    const small = randomBytes(5 * MiB);
    await store.put("big/small.bin", small);
    expect(sent.map((c) => c.name)).toEqual(["PutObjectCommand"]);
    const head = await server.client.send(
      new HeadObjectCommand({ Bucket: server.bucket, Key: "mp/big/small.bin" }),
    );
    expect(head.ETag).toBe(`"${md5(small)}"`);
    client.destroy();
  });

  it("keeps stores with different root prefixes apart and strips the prefix from listed keys", async () => {
    const a = new S3Store({ bucket: server.bucket, prefix: "team-a/lake/", client: server.client });
    const b = new S3Store({ bucket: server.bucket, prefix: "team-b", client: server.client });
    expect(a.uri).toBe(`s3://${server.bucket}/team-a/lake`);
    expect(b.uri).toBe(`s3://${server.bucket}/team-b`);
    expect(new S3Store({ bucket: server.bucket, client: server.client }).uri).toBe(`s3://${server.bucket}`);

    await a.put("dev/k", text("a"));
    await b.put("dev/k", text("b"));
    expect(await a.get("dev/k")).toEqual(text("a"));
    expect(await b.get("dev/k")).toEqual(text("b"));
    expect(await listKeys(a, "")).toEqual(["dev/k"]);
    expect(await listKeys(b, "dev/")).toEqual(["dev/k"]);

    const raw = await server.client.send(
      new ListObjectsV2Command({ Bucket: server.bucket, Prefix: "team-" }),
    );
    expect(raw.Contents?.map((o) => o.Key)).toEqual(["team-a/lake/dev/k", "team-b/dev/k"]);
    await a.deleteMany(["dev/k"]);
    expect(await b.get("dev/k")).toEqual(text("b"));
  });

  it("validates the bucket, the root prefix, list prefixes and numeric options", async () => {
    for (const prefix of ["/abs", "../x", "a/../b", "a//b", "a\\b"]) {
      expect(() => new S3Store({ bucket: server.bucket, prefix, client: server.client })).toThrow(
        expect.objectContaining({
          code: "INVALID_KEY",
          message: expect.stringContaining(JSON.stringify(prefix)),
        }),
      );
    }
    for (const bucket of ["s3://lake", "Lake", "lake/dev", "", "ab"]) {
      expect(() => new S3Store({ bucket, client: server.client })).toThrow(
        expect.objectContaining({ code: "INVALID_BUCKET" }),
      );
    }
    expect(() => new S3Store({ bucket: "lake", multipartThresholdBytes: -1, client: server.client })).toThrow(
      expect.objectContaining({ code: "INVALID_OPTION" }),
    );
    expect(() => new S3Store({ bucket: "lake", maxAttempts: 0, region: "us-east-1" })).toThrow(
      expect.objectContaining({ code: "INVALID_OPTION" }),
    );
    const store = new S3Store({ bucket: server.bucket, prefix: "v", client: server.client });
    for (const prefix of ["../", "/abs", "a//"]) {
      await expectPipelineError(store.listPage(prefix), "INVALID_KEY", JSON.stringify(prefix));
    }
  });

  it("builds its own client with WHEN_REQUIRED checksums and standard retries, and it works", async () => {
    const store = new S3Store({
      bucket: server.bucket,
      prefix: "own",
      endpoint: server.endpoint,
      region: "us-east-1",
      forcePathStyle: true,
      credentials: S3RVER_CREDENTIALS,
    });
    const config = store.client.config;
    expect(await config.requestChecksumCalculation()).toBe("WHEN_REQUIRED");
    expect(await config.responseChecksumValidation()).toBe("WHEN_REQUIRED");
    expect(await config.maxAttempts()).toBe(5);
    const strategy = (await config.retryStrategy()) as { mode?: string };
    expect(strategy.mode).toBe("standard");
    expect(
      await new S3Store({ bucket: "lake", region: "us-east-1", maxAttempts: 2 }).client.config.maxAttempts(),
    ).toBe(2);

    // A 40 KiB body stored byte for byte (no aws-chunked framing), and paginated listing works.
    const body = randomBytes(40 * 1024);
    await store.put("own/a", body);
    await store.put("own/b", text("b"));
    await store.put("own/c", text("c"));
    const stored = await server.client.send(
      new HeadObjectCommand({ Bucket: server.bucket, Key: "own/own/a" }),
    );
    expect(stored.ContentLength).toBe(body.byteLength);
    expect(md5((await store.get("own/a")) as Uint8Array)).toBe(md5(body));
    const page1 = await store.listPage("own/", { maxKeys: 2 });
    expect(page1.objects.map((o) => o.key)).toEqual(["own/a", "own/b"]);
    expect(page1.nextToken).toBeTruthy();
    const page2 = await store.listPage("own/", { maxKeys: 2, continuationToken: page1.nextToken as string });
    expect(page2).toMatchObject({ objects: [{ key: "own/c", size: 1 }] });
    expect(page2.nextToken).toBeUndefined();
    store.client.destroy();
  });

  it("turns a missing bucket into one clear PipelineError naming the bucket and operation", async () => {
    const store = new S3Store({ bucket: "no-such-bucket", prefix: "p", client: server.client });
    const put = await expectPipelineError(
      store.put("a/b", text("x")),
      "S3_NO_SUCH_BUCKET",
      "PutObject",
      '"no-such-bucket"',
    );
    expect(put.message).toBe(
      'S3 PutObject on s3://no-such-bucket/p/a/b failed: bucket "no-such-bucket" does not exist.',
    );
    // The cause keeps the S3 error's name and status but not the raw HTTP exchange (signed headers).
    expect(put.cause).toMatchObject({ name: "NoSuchBucket", $metadata: { httpStatusCode: 404 } });
    expect(put.cause).not.toHaveProperty("$response");
    expect(JSON.stringify(put.cause)).not.toContain("S3RVER");
    expect(put.message).not.toContain("S3RVER");
    await expectPipelineError(store.get("a/b"), "S3_NO_SUCH_BUCKET", "GetObject", "no-such-bucket");
    await expectPipelineError(store.listPage("a/"), "S3_NO_SUCH_BUCKET", "ListObjectsV2", "no-such-bucket");
    await expectPipelineError(
      store.deleteMany(["a/b"]),
      "S3_NO_SUCH_BUCKET",
      "DeleteObjects",
      "no-such-bucket",
    );
    const multipart = new S3Store({
      bucket: "no-such-bucket",
      client: server.client,
      multipartThresholdBytes: 0,
    });
    await expectPipelineError(
      multipart.put("a/b", text("x")),
      "S3_NO_SUCH_BUCKET",
      "multipart upload",
      "no-such-bucket",
    );
  });

  it("reports an unreachable endpoint as S3_UNREACHABLE", async () => {
    const port = await freePort();
    const store = new S3Store({
      bucket: "lake",
      endpoint: `http://127.0.0.1:${port}`,
      region: "us-east-1",
      forcePathStyle: true,
      credentials: S3RVER_CREDENTIALS,
      maxAttempts: 1,
    });
    await expectPipelineError(store.get("k"), "S3_UNREACHABLE", "GetObject", '"lake"', "ECONNREFUSED");
    store.client.destroy();
  });

  it("deletes in batches of at most 1,000 keys with Quiet set", async () => {
    const client = clientFor(server);
    const sent = recordCommands(client);
    const store = new S3Store({ bucket: server.bucket, prefix: "batch", client });
    const keys = Array.from({ length: 2001 }, (_, i) => `d/k-${String(i).padStart(5, "0")}`);
    const existing = [keys[0], keys[1000], keys[2000]] as string[];
    await Promise.all(existing.map((k) => store.put(k, text(k))));
    sent.length = 0;
    await store.deleteMany(keys);
    const deletes = sent.filter((c) => c.name === "DeleteObjectsCommand");
    const batches = deletes.map(
      (c) => (c.input.Delete as { Objects: { Key: string }[]; Quiet: boolean }).Objects,
    );
    expect(batches.map((b) => b.length)).toEqual([1000, 1000, 1]);
    expect(deletes.every((c) => (c.input.Delete as { Quiet: boolean }).Quiet === true)).toBe(true);
    expect(batches.flat().map((o) => o.Key)).toEqual(keys.map((k) => `batch/${k}`));
    expect(await listKeys(store, "d/")).toEqual([]);
    client.destroy();
  });

  it("turns per-key DeleteObjects errors into a PipelineError naming the first failed keys", async () => {
    // s3rver never reports per-key failures, so this one response is mocked (shape from the S3 API docs).
    const client = createS3Client({ region: "us-east-1", credentials: S3RVER_CREDENTIALS });
    const mock = mockClient(client);
    mock
      .on(DeleteObjectsCommand)
      .resolvesOnce({ Deleted: [] })
      .resolves({
        Errors: Array.from({ length: 7 }, (_, i) => ({
          Key: `root/k-${1000 + i}`,
          Code: "AccessDenied",
          Message: "Access Denied",
        })),
      });
    const store = new S3Store({ bucket: "lake", prefix: "root", client });
    const keys = Array.from({ length: 2500 }, (_, i) => `k-${i}`);
    const error = await expectPipelineError(store.deleteMany(keys), "S3_DELETE_FAILED", "s3://lake/root");
    expect(error.message).toBe(
      "S3 DeleteObjects in s3://lake/root failed for 7 of 1000 keys: k-1000 (AccessDenied), k-1001 (AccessDenied), " +
        "k-1002 (AccessDenied), k-1003 (AccessDenied), k-1004 (AccessDenied) and 2 more.",
    );
    expect(mock.commandCalls(DeleteObjectsCommand)).toHaveLength(2); // stops at the failing batch
    mock.restore();
  });

  it("an access-denied answer to a signed request is one sentence, and nothing of the request reaches the error", async () => {
    const client = createS3Client({ region: "eu-west-1", credentials: S3RVER_CREDENTIALS });
    const mock = mockClient(client);
    mock.on(GetObjectCommand).rejects(
      withSignedRequest(
        new S3ServiceException({
          name: "SignatureDoesNotMatch",
          $fault: "client",
          $metadata: { httpStatusCode: 403 },
          message: "The request signature we calculated does not match the signature you provided.",
        }),
      ),
    );
    const store = new S3Store({ bucket: "lake", prefix: "root", client });
    const error = await expectPipelineError(store.get("dev/raw/page.json"), "S3_ACCESS_DENIED");
    expect(error.message).toBe(
      'S3 GetObject on s3://lake/root/dev/raw/page.json failed: access denied (SignatureDoesNotMatch); check the credentials and the IAM policy for bucket "lake".',
    );
    expect(error.cause).toMatchObject({ name: "SignatureDoesNotMatch", $metadata: { httpStatusCode: 403 } });
    expect(leakedSecrets(error)).toEqual([]);
    mock.restore();
  });
});
