import {
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  type S3ClientConfig,
} from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import { type AwsCall, awsErrorName, awsHttpStatus, s3Error } from "../aws-errors.js";
import { isValidBucketName } from "../contract.js";
import { PipelineError } from "../errors.js";
import { assertKeyPrefix, assertObjectKey } from "./keys.js";
import type { ListPage, ObjectInfo, ObjectStore, PutOptions } from "./object-store.js";

const MiB = 1024 * 1024;
/** Objects larger than this go up as a multipart upload (unless the store is told otherwise). */
export const DEFAULT_MULTIPART_THRESHOLD_BYTES = 16 * MiB;
/** Part size of multipart uploads. S3 needs every part but the last to be at least 5 MiB. */
export const MULTIPART_PART_SIZE_BYTES = 8 * MiB;
/** Attempts per request (the first try plus retries) of a client the store builds itself. */
export const DEFAULT_MAX_ATTEMPTS = 5;
/** DeleteObjects takes at most this many keys per request. */
const DELETE_BATCH = 1000;
/** How many failed keys a delete error names. */
const NAMED_FAILURES = 5;
/** The code of each kind of S3 failure (see aws-errors.ts); throttling and the rest are S3_ERROR. */
const S3_STORE_CODES: AwsCall["codes"] = {
  other: "S3_ERROR",
  notFound: "S3_NO_SUCH_BUCKET",
  accessDenied: "S3_ACCESS_DENIED",
  noCredentials: "S3_NO_CREDENTIALS",
  unreachable: "S3_UNREACHABLE",
};

export interface S3StoreOptions {
  bucket: string;
  /** Root prefix inside the bucket (e.g. `team-a/lake`); keys are relative to it. No leading `/`, no `..`. */
  prefix?: string;
  /** Use this client as is. Otherwise the store builds one from the options below (see `createS3Client`). */
  client?: S3Client;
  region?: string;
  /** A custom endpoint, e.g. an S3-compatible server such as MinIO or s3rver. */
  endpoint?: string;
  forcePathStyle?: boolean;
  /** Attempts per request, first try included (standard retry mode with backoff). Default 5. */
  maxAttempts?: number;
  /** Explicit credentials; by default the SDK's provider chain (env, profile, instance role) is used. */
  credentials?: S3ClientConfig["credentials"];
  /** Bodies larger than this are uploaded in 8 MiB parts with `@aws-sdk/lib-storage`. Default 16 MiB. */
  multipartThresholdBytes?: number;
}

/**
 * An S3 client with the settings the lake relies on, whatever else `config` says:
 * - checksums only when an operation requires them (`WHEN_REQUIRED`). The SDK default since 3.729.0
 *   sends bodies aws-chunked with trailing checksums, which S3-compatible servers that do not
 *   understand that encoding store verbatim, framing included: silent corruption.
 * - the standard retry strategy (exponential backoff with jitter, retry quotas), 5 attempts unless
 *   `config.maxAttempts` is given.
 */
export function createS3Client(config: S3ClientConfig = {}): S3Client {
  return new S3Client({
    ...config,
    maxAttempts: config.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
    retryMode: "standard",
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
  });
}

/**
 * The lake on S3 (or an S3-compatible server). Keys are relative to `s3://bucket[/prefix]` and
 * validated like the local store's, so both stores accept and refuse exactly the same keys.
 * S3 failures surface as one-sentence `PipelineError`s naming the operation and bucket.
 */
export class S3Store implements ObjectStore {
  readonly bucket: string;
  /** The root prefix without a trailing `/`, or `""`. */
  readonly prefix: string;
  readonly uri: string;
  readonly client: S3Client;
  readonly multipartThresholdBytes: number;

  constructor(options: S3StoreOptions) {
    const { bucket } = options;
    // Bucket naming rules, loosely: a typo such as `s3://lake` or `lake/dev` gets a clear error here.
    if (typeof bucket !== "string" || !isValidBucketName(bucket)) {
      throw new PipelineError(
        "INVALID_BUCKET",
        `Invalid S3 bucket name ${JSON.stringify(bucket)}: use the bare name (3-63 lowercase letters, digits, '.' or '-'), without s3:// or a path.`,
      );
    }
    const prefix = assertKeyPrefix(options.prefix ?? "").replace(/\/$/, "");
    const threshold = options.multipartThresholdBytes ?? DEFAULT_MULTIPART_THRESHOLD_BYTES;
    if (!Number.isSafeInteger(threshold) || threshold < 0) {
      throw new PipelineError(
        "INVALID_OPTION",
        `multipartThresholdBytes must be a whole number of bytes >= 0, got ${String(threshold)}.`,
      );
    }
    if (
      options.maxAttempts !== undefined &&
      (!Number.isSafeInteger(options.maxAttempts) || options.maxAttempts < 1)
    ) {
      throw new PipelineError(
        "INVALID_OPTION",
        `maxAttempts must be a whole number >= 1, got ${String(options.maxAttempts)}.`,
      );
    }
    this.bucket = bucket;
    this.prefix = prefix;
    this.uri = prefix ? `s3://${bucket}/${prefix}` : `s3://${bucket}`;
    this.multipartThresholdBytes = threshold;
    this.client =
      options.client ??
      createS3Client({
        ...(options.region !== undefined && { region: options.region }),
        ...(options.endpoint !== undefined && { endpoint: options.endpoint }),
        ...(options.forcePathStyle !== undefined && { forcePathStyle: options.forcePathStyle }),
        ...(options.maxAttempts !== undefined && { maxAttempts: options.maxAttempts }),
        ...(options.credentials !== undefined && { credentials: options.credentials }),
      });
  }

  /** The bucket key of a store key (validated). */
  private fullKey(key: string): string {
    assertObjectKey(key);
    return this.prefix ? `${this.prefix}/${key}` : key;
  }

  /** The store key of a bucket key returned by S3. */
  private storeKey(fullKey: string): string {
    return this.prefix ? fullKey.slice(this.prefix.length + 1) : fullKey;
  }

  private location(fullKey: string): string {
    return `s3://${this.bucket}/${fullKey}`;
  }

  async put(key: string, body: Uint8Array, options: PutOptions = {}): Promise<void> {
    const Key = this.fullKey(key);
    const params = {
      Bucket: this.bucket,
      Key,
      Body: body,
      ...(options.contentType !== undefined && { ContentType: options.contentType }),
    };
    if (body.byteLength > this.multipartThresholdBytes) {
      const upload = new Upload({
        client: this.client,
        params,
        partSize: MULTIPART_PART_SIZE_BYTES,
        queueSize: 4,
        // On failure, abort the multipart upload so no orphaned parts are billed.
        leavePartsOnError: false,
      });
      try {
        await upload.done();
      } catch (e) {
        throw this.failure(e, "multipart upload", this.location(Key));
      }
      return;
    }
    try {
      await this.client.send(new PutObjectCommand(params));
    } catch (e) {
      throw this.failure(e, "PutObject", this.location(Key));
    }
  }

  async putIfAbsent(key: string, body: Uint8Array, options: PutOptions = {}): Promise<boolean> {
    const Key = this.fullKey(key);
    try {
      // One PUT (up to 5 GB): raw pages, manifests and leases are small. S3 answers 412 when the key
      // exists, and 409 when a concurrent conditional write to the key is in flight (it may win).
      await this.client.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key,
          Body: body,
          IfNoneMatch: "*",
          ...(options.contentType !== undefined && { ContentType: options.contentType }),
        }),
      );
      return true;
    } catch (e) {
      const status = awsHttpStatus(e);
      if (status === 412 || awsErrorName(e) === "PreconditionFailed") return false;
      if (status === 409 || awsErrorName(e) === "ConditionalRequestConflict") return false;
      throw this.failure(e, "PutObject (If-None-Match)", this.location(Key));
    }
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    const Key = this.fullKey(key);
    try {
      const res = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key }));
      if (!res.Body) return new Uint8Array(0);
      return await res.Body.transformToByteArray();
    } catch (e) {
      if (awsErrorName(e) === "NoSuchKey") return undefined;
      throw this.failure(e, "GetObject", this.location(Key));
    }
  }

  async head(key: string): Promise<ObjectInfo | undefined> {
    const Key = this.fullKey(key);
    try {
      const res = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key }));
      return {
        key,
        size: res.ContentLength ?? 0,
        ...(res.LastModified && { lastModified: res.LastModified.getTime() }),
      };
    } catch (e) {
      // HEAD responses carry no error body, so a missing key is a bare 404 ("NotFound").
      // A missing *bucket* looks the same on HEAD; put/get/list report it.
      if (awsErrorName(e) === "NotFound" || awsErrorName(e) === "NoSuchKey" || awsHttpStatus(e) === 404)
        return undefined;
      throw this.failure(e, "HeadObject", this.location(Key));
    }
  }

  async listPage(
    prefix: string,
    options: { continuationToken?: string; maxKeys?: number } = {},
  ): Promise<ListPage> {
    assertKeyPrefix(prefix);
    const Prefix = this.prefix ? `${this.prefix}/${prefix}` : prefix;
    const maxKeys = Math.min(Math.max(Math.trunc(options.maxKeys ?? 1000), 1), 1000);
    try {
      const res = await this.client.send(
        new ListObjectsV2Command({
          Bucket: this.bucket,
          ...(Prefix !== "" && { Prefix }),
          MaxKeys: maxKeys,
          ...(options.continuationToken !== undefined && { ContinuationToken: options.continuationToken }),
        }),
      );
      const objects: ObjectInfo[] = (res.Contents ?? []).flatMap((o) =>
        o.Key === undefined
          ? []
          : [
              {
                key: this.storeKey(o.Key),
                size: o.Size ?? 0,
                ...(o.LastModified && { lastModified: o.LastModified.getTime() }),
              },
            ],
      );
      return res.IsTruncated && res.NextContinuationToken
        ? { objects, nextToken: res.NextContinuationToken }
        : { objects };
    } catch (e) {
      throw this.failure(e, "ListObjectsV2", this.location(Prefix));
    }
  }

  async deleteMany(keys: readonly string[]): Promise<void> {
    // Validate everything first: an invalid key deletes nothing.
    const fullKeys = [...new Set(keys.map((k) => this.fullKey(k)))];
    for (let i = 0; i < fullKeys.length; i += DELETE_BATCH) {
      const batch = fullKeys.slice(i, i + DELETE_BATCH);
      let errors: { Key?: string | undefined; Code?: string | undefined; Message?: string | undefined }[];
      try {
        const res = await this.client.send(
          new DeleteObjectsCommand({
            Bucket: this.bucket,
            Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true },
          }),
        );
        errors = res.Errors ?? [];
      } catch (e) {
        throw this.failure(e, "DeleteObjects", this.uri);
      }
      if (errors.length > 0) {
        const named = errors
          .slice(0, NAMED_FAILURES)
          .map(
            (err) =>
              `${err.Key === undefined ? "(unknown key)" : this.storeKey(err.Key)} (${err.Code ?? "unknown error"})`,
          )
          .join(", ");
        const more = errors.length > NAMED_FAILURES ? ` and ${errors.length - NAMED_FAILURES} more` : "";
        throw new PipelineError(
          "S3_DELETE_FAILED",
          `S3 DeleteObjects in ${this.uri} failed for ${errors.length} of ${batch.length} keys: ${named}${more}.`,
        );
      }
    }
  }

  /** One clear sentence for a failed S3 call, naming the operation and the bucket, never credentials. */
  private failure(e: unknown, operation: string, target: string): PipelineError {
    return s3Error(e, { bucket: this.bucket, operation, target, codes: S3_STORE_CODES });
  }
}
