import { createHash } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { awsErrorName, OPENAQ_ARCHIVE_BUCKET, PipelineError, s3Error } from "@openaq-lakehouse/pipeline-core";

/**
 * The OpenAQ open-data archive as a read-only source: the public bucket `s3://openaq-data-archive`
 * (us-east-1, read without credentials), an S3-compatible test server, or a local folder holding the
 * same layout. Listing returns each object's ETag, which is what patch detection compares.
 */

export const DEFAULT_ARCHIVE_URI = `s3://${OPENAQ_ARCHIVE_BUCKET}`;
/** The public archive lives in us-east-1 whatever the lake's region. */
export const ARCHIVE_REGION = "us-east-1";

export interface ArchiveObjectInfo {
  key: string;
  /** The quoted ETag as S3 reports it (a local folder: the quoted md5 of the bytes, as S3 computes it for one-part uploads). */
  etag: string;
  size: number;
}

export interface ArchiveSource {
  readonly uri: string;
  /** Every object under `prefix` (which ends in `/`), in key order. */
  list(prefix: string): Promise<ArchiveObjectInfo[]>;
  /** The object's bytes, or undefined when it does not exist (the archive has no empty files). */
  get(key: string): Promise<Uint8Array | undefined>;
  close(): void;
}

export interface OpenArchiveOptions {
  /** An S3-compatible endpoint (tests); default AWS. */
  endpoint?: string;
}

export async function openArchive(
  uri: string = DEFAULT_ARCHIVE_URI,
  options: OpenArchiveOptions = {},
): Promise<ArchiveSource> {
  if (uri.startsWith("s3://")) {
    const m = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])\/?$/.exec(uri);
    if (!m) {
      throw new PipelineError(
        "INVALID_ARCHIVE",
        `Invalid OPENAQ_ARCHIVE_URI ${JSON.stringify(uri)}: expected s3://bucket or a folder path.`,
      );
    }
    return S3Archive.open(m[1] as string, options.endpoint);
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(uri) && !uri.startsWith("file://")) {
    throw new PipelineError(
      "INVALID_ARCHIVE",
      `Unsupported OPENAQ_ARCHIVE_URI ${JSON.stringify(uri)}: use s3://bucket or a folder path.`,
    );
  }
  return new FolderArchive(resolve(uri.replace(/^file:\/\//, "")));
}

function assertArchiveKey(key: string): void {
  if (key.startsWith("/") || key.split("/").some((s) => s === ".." || s === ".")) {
    throw new PipelineError("INVALID_ARCHIVE_KEY", `Invalid archive key ${JSON.stringify(key)}.`);
  }
}

class FolderArchive implements ArchiveSource {
  readonly uri: string;
  constructor(private readonly root: string) {
    this.uri = `file://${root}`;
  }

  async list(prefix: string): Promise<ArchiveObjectInfo[]> {
    assertArchiveKey(prefix);
    let names: string[];
    try {
      names = (await readdir(join(this.root, prefix), { recursive: true, withFileTypes: true }))
        .filter((d) => d.isFile())
        .map((d) =>
          join(d.parentPath, d.name)
            .slice(this.root.length + 1)
            .split("\\")
            .join("/"),
        );
    } catch (e) {
      if ((e as { code?: string }).code === "ENOENT") return [];
      throw e;
    }
    names.sort();
    const out: ArchiveObjectInfo[] = [];
    for (const key of names) {
      const body = await readFile(join(this.root, key));
      out.push({ key, etag: `"${createHash("md5").update(body).digest("hex")}"`, size: body.byteLength });
    }
    return out;
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    assertArchiveKey(key);
    try {
      return new Uint8Array(await readFile(join(this.root, key)));
    } catch (e) {
      if ((e as { code?: string }).code === "ENOENT") return undefined;
      throw e;
    }
  }

  close(): void {}
}

type S3Module = typeof import("@aws-sdk/client-s3");

class S3Archive implements ArchiveSource {
  readonly uri: string;
  private constructor(
    private readonly sdk: S3Module,
    private readonly client: InstanceType<S3Module["S3Client"]>,
    private readonly bucket: string,
  ) {
    this.uri = `s3://${bucket}`;
  }

  static async open(bucket: string, endpoint: string | undefined): Promise<S3Archive> {
    const sdk = await import("@aws-sdk/client-s3");
    const client = new sdk.S3Client({
      region: ARCHIVE_REGION,
      ...(endpoint !== undefined && { endpoint, forcePathStyle: true }),
      // The archive is public: requests go unsigned, so no credentials are looked up or sent.
      credentials: { accessKeyId: "", secretAccessKey: "" },
      signer: { sign: async (request) => request },
      maxAttempts: 5,
      retryMode: "standard",
    });
    return new S3Archive(sdk, client, bucket);
  }

  async list(prefix: string): Promise<ArchiveObjectInfo[]> {
    assertArchiveKey(prefix);
    const out: ArchiveObjectInfo[] = [];
    let token: string | undefined;
    do {
      const page = await this.call("ListObjectsV2", `s3://${this.bucket}/${prefix}`, () =>
        this.client.send(
          new this.sdk.ListObjectsV2Command({
            Bucket: this.bucket,
            Prefix: prefix,
            ...(token !== undefined && { ContinuationToken: token }),
          }),
        ),
      );
      for (const o of page.Contents ?? []) {
        if (o.Key === undefined) continue;
        out.push({ key: o.Key, etag: o.ETag ?? "", size: o.Size ?? 0 });
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return out;
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    assertArchiveKey(key);
    try {
      const res = await this.client.send(new this.sdk.GetObjectCommand({ Bucket: this.bucket, Key: key }));
      return res.Body ? await res.Body.transformToByteArray() : new Uint8Array();
    } catch (e) {
      const name = awsErrorName(e);
      // Without ListBucket rights S3 answers 403 for a missing key; the public archive grants list.
      if (name === "NoSuchKey" || name === "NotFound") return undefined;
      throw this.failure(e, "GetObject", `s3://${this.bucket}/${key}`);
    }
  }

  close(): void {
    this.client.destroy();
  }

  private async call<T>(operation: string, target: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      throw this.failure(e, operation, target);
    }
  }

  /**
   * One sentence, ARCHIVE_UNREADABLE whatever went wrong (requests are unsigned and the region is
   * fixed, so neither credentials nor a region can be missing); the cause without the request.
   */
  private failure(e: unknown, operation: string, target: string): PipelineError {
    return s3Error(e, { bucket: this.bucket, operation, target, codes: { other: "ARCHIVE_UNREADABLE" } });
  }
}
