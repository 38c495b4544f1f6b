import {
  type Environment,
  type IsoDay,
  type ObjectStore,
  PipelineError,
  partitionPrefix,
} from "@openaq-lakehouse/pipeline-core";
import {
  MANIFEST_NAME,
  type RAW_LOCATIONS_DATASET,
  RAW_MEASUREMENTS_DATASET,
  type RawManifest,
} from "../raw/names.js";

/**
 * Reading the raw layer for transform. Transform trusts only a complete extract: the manifest that
 * extract writes last, and exactly the pages it lists (a page left by an interrupted earlier run
 * but not in the manifest is ignored; a listed page that is missing is a hard error).
 */

export function rawPrefix(env: Environment, dataset: string, day: IsoDay): string {
  return partitionPrefix({ env, layer: "raw", dataset, day });
}

export function manifestKey(env: Environment, day: IsoDay): string {
  return rawPrefix(env, RAW_MEASUREMENTS_DATASET, day) + MANIFEST_NAME;
}

function invalidManifest(env: Environment, day: IsoDay, why: string): PipelineError {
  return new PipelineError(
    "INVALID_MANIFEST",
    `The raw manifest for ${day} in ${env} is not valid (${why}): rerun extract for that day.`,
  );
}

const isInt = (v: unknown): v is number => typeof v === "number" && Number.isInteger(v);
const isStringArray = (v: unknown): v is string[] =>
  Array.isArray(v) && v.every((s) => typeof s === "string");

/** The manifest of a complete extract of `day`, checked field by field. */
export async function readManifest(store: ObjectStore, env: Environment, day: IsoDay): Promise<RawManifest> {
  const body = await store.get(manifestKey(env, day));
  if (!body) {
    throw new PipelineError(
      "NO_COMPLETE_EXTRACT",
      `No complete extract for ${day} in ${env}: run extract first.`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(body));
  } catch {
    throw invalidManifest(env, day, "not JSON");
  }
  const m = json as Partial<RawManifest> | null;
  if (!m || typeof m !== "object") throw invalidManifest(env, day, "not an object");
  if (m.version !== 1) throw invalidManifest(env, day, `unknown version ${JSON.stringify(m.version)}`);
  if (m.day !== day) throw invalidManifest(env, day, `it is for day ${JSON.stringify(m.day)}`);
  if (!isStringArray(m.locationsPages))
    throw invalidManifest(env, day, "locationsPages is not a list of names");
  if (!Array.isArray(m.sensors)) throw invalidManifest(env, day, "sensors is not a list");
  for (const s of m.sensors) {
    if (
      !s ||
      !isInt(s.sensorId) ||
      !isInt(s.locationId) ||
      !isInt(s.parameterId) ||
      !isStringArray(s.pages)
    ) {
      throw invalidManifest(env, day, `sensor entry ${JSON.stringify(s)?.slice(0, 80)} is incomplete`);
    }
  }
  return m as RawManifest;
}

/** One raw body as stored, or a hard error when the manifest lists it but it is gone. */
export async function readRawPage(
  store: ObjectStore,
  env: Environment,
  dataset: typeof RAW_LOCATIONS_DATASET | typeof RAW_MEASUREMENTS_DATASET,
  day: IsoDay,
  name: string,
): Promise<{ key: string; body: Uint8Array }> {
  const key = rawPrefix(env, dataset, day) + name;
  const body = await store.get(key);
  if (!body) {
    throw new PipelineError(
      "RAW_PAGE_MISSING",
      `The raw page ${key} listed by the manifest of ${day} is missing: rerun extract for that day.`,
    );
  }
  return { key, body };
}

const decoder = new TextDecoder("utf-8");

/**
 * The listed pages in order, reading up to `ahead` pages beyond the one being processed, so the
 * store's I/O overlaps the parsing instead of alternating with it. Memory stays bounded by
 * `ahead + 1` page bodies.
 */
export async function* readRawPagesAhead(
  store: ObjectStore,
  env: Environment,
  dataset: typeof RAW_LOCATIONS_DATASET | typeof RAW_MEASUREMENTS_DATASET,
  day: IsoDay,
  names: readonly string[],
  ahead = 2,
): AsyncGenerator<{ key: string; body: Uint8Array }> {
  const pending: Array<Promise<{ key: string; body: Uint8Array }>> = [];
  let next = 0;
  const fill = () => {
    while (pending.length <= ahead && next < names.length) {
      const read = readRawPage(store, env, dataset, day, names[next++] as string);
      // A failed read surfaces when its turn comes; until then it must not count as unhandled.
      read.catch(() => {});
      pending.push(read);
    }
  };
  fill();
  while (pending.length > 0) {
    const page = await (pending.shift() as Promise<{ key: string; body: Uint8Array }>);
    fill();
    yield page;
  }
}

/** UTF-8 bytes → string; Buffer's decoder is markedly faster than TextDecoder on large bodies. */
function utf8(body: Uint8Array): string {
  return Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString("utf8");
}

export type EnvelopeParse = { ok: true; results: unknown[] } | { ok: false; why: string };

/** Parses a raw body as the OpenAQ envelope `{meta: {...}, results: [...]}`. */
export function parseEnvelope(body: Uint8Array): EnvelopeParse {
  let json: unknown;
  try {
    json = JSON.parse(utf8(body));
  } catch (e) {
    return { ok: false, why: `not valid JSON (${e instanceof Error ? e.message : String(e)})` };
  }
  if (json === null || typeof json !== "object" || Array.isArray(json)) {
    return { ok: false, why: "not a JSON object" };
  }
  const env = json as { meta?: unknown; results?: unknown };
  if (env.meta === null || typeof env.meta !== "object") return { ok: false, why: "no meta object" };
  if (!Array.isArray(env.results)) return { ok: false, why: "no results array" };
  return { ok: true, results: env.results };
}

/** What a quarantined malformed page keeps: the raw object stays in raw, so a pointer and a preview suffice. */
export function malformedPageRecord(
  key: string,
  body: Uint8Array,
): { rawKey: string; bytes: number; preview: string } {
  const preview = decoder.decode(body.subarray(0, 200));
  return { rawKey: key, bytes: body.byteLength, preview };
}
