import { resolve } from "node:path";
import { parseLakeUri } from "../contract.js";
import { LocalFolderStore } from "./local.js";
import type { ObjectStore } from "./object-store.js";

/** The lake used when none is given: a folder in the working directory (the embedded default). */
export const DEFAULT_LAKE_DIR = ".lake";

/**
 * Opens the lake at `uri` (`parseLakeUri`): `s3://bucket` for S3, anything else is a local folder path
 * (`file://` accepted). No argument means the embedded default folder. The S3 client is loaded only
 * when an S3 lake is opened, so local runs never pay for the AWS SDK.
 */
export async function openStore(
  uri: string = DEFAULT_LAKE_DIR,
  s3Options: { region?: string; endpoint?: string } = {},
): Promise<ObjectStore> {
  const location = parseLakeUri(uri);
  if (location.kind === "s3") {
    const { S3Store } = await import("./s3.js");
    return new S3Store({ bucket: location.bucket, ...s3Options });
  }
  return new LocalFolderStore(resolve(location.path));
}
