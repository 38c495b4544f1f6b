import { OwoxSyncError } from "./stack-output.js";

/** The parts of an OWOX API key `owox_key_<base64url JSON>` (OWOX docs, api-keys.md). */
export interface OwoxApiKey {
  apiOrigin: string;
  apiKeyId: string;
  apiKeySecret: string;
}

const PREFIX = "owox_key_";

export function decodeOwoxApiKey(key: string | undefined): OwoxApiKey {
  if (!key) throw new OwoxSyncError("Set OWOX_API_KEY to an OWOX API key (Project settings → My API Keys).");
  if (!key.startsWith(PREFIX))
    throw new OwoxSyncError("OWOX_API_KEY is not an OWOX API key (it must start with owox_key_).");
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(key.slice(PREFIX.length), "base64url").toString("utf8"));
  } catch {
    throw new OwoxSyncError("OWOX_API_KEY cannot be decoded; copy the whole key again.");
  }
  const p = parsed as Partial<OwoxApiKey> | null;
  if (
    !p ||
    typeof p.apiOrigin !== "string" ||
    typeof p.apiKeyId !== "string" ||
    typeof p.apiKeySecret !== "string"
  ) {
    throw new OwoxSyncError("OWOX_API_KEY is missing its origin, id or secret; copy the whole key again.");
  }
  let origin: URL;
  try {
    origin = new URL(p.apiOrigin);
  } catch {
    throw new OwoxSyncError("OWOX_API_KEY names an invalid origin.");
  }
  // The sync sends the AWS secret access key to this origin: https only (plain http on loopback
  // alone, for a local test server), so it never travels in clear text.
  const loopback = ["127.0.0.1", "localhost", "[::1]"].includes(origin.hostname);
  if (origin.protocol !== "https:" && !(origin.protocol === "http:" && loopback)) {
    throw new OwoxSyncError(
      `OWOX_API_KEY names the origin ${origin.origin}, which is not https://; refusing to send AWS credentials there.`,
    );
  }
  return { apiOrigin: origin.origin, apiKeyId: p.apiKeyId, apiKeySecret: p.apiKeySecret };
}

/** Builds a key in OWOX's format (for tests and local setups). */
export function encodeOwoxApiKey(key: OwoxApiKey): string {
  return PREFIX + Buffer.from(JSON.stringify(key), "utf8").toString("base64url");
}
