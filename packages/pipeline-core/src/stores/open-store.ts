import { resolve } from "node:path";
import { PipelineError } from "../errors.js";
import { LocalFolderStore } from "./local.js";
import type { ObjectStore } from "./object-store.js";

/** The lake used when none is given: a folder in the working directory (the embedded default). */
export const DEFAULT_LAKE_DIR = ".lake";

/**
 * Opens the lake at `uri`: `s3://bucket[/prefix]` for S3, anything else is a local folder path
 * (`file://` accepted). No argument means the embedded default folder. The S3 client is loaded only
 * when an S3 lake is opened, so local runs never pay for the AWS SDK.
 */
export async function openStore(
  uri: string = DEFAULT_LAKE_DIR,
  s3Options: { region?: string; endpoint?: string } = {},
): Promise<ObjectStore> {
  if (uri.startsWith("s3://")) {
    const m = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?:\/(.*))?$/.exec(uri);
    if (!m)
      throw new PipelineError(
        "INVALID_LAKE",
        `Invalid lake ${JSON.stringify(uri)}: expected s3://bucket or s3://bucket/prefix.`,
      );
    const prefix = m[2]?.replace(/\/+$/, "");
    const { S3Store } = await import("./s3.js");
    return new S3Store({ bucket: m[1] as string, ...(prefix ? { prefix } : {}), ...s3Options });
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(uri) && !uri.startsWith("file://")) {
    throw new PipelineError(
      "INVALID_LAKE",
      `Unsupported lake ${JSON.stringify(uri)}: use a folder path or s3://bucket.`,
    );
  }
  return new LocalFolderStore(resolve(uri.replace(/^file:\/\//, "")));
}
