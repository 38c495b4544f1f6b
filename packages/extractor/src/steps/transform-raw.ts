import { createHash } from "node:crypto";
import {
  assertRawRunId,
  type Environment,
  type IsoDay,
  listKeys,
  type ObjectStore,
  PipelineError,
  parseRawRunManifestName,
  partitionPrefix,
  rawBodyName,
  rawKey,
  rawRunManifestName,
} from "@openaq-lakehouse/pipeline-core";
import type { Envelope } from "../openaq/types.js";
import type { Unchecked } from "../openaq/unchecked.js";
import {
  MANIFEST_NAME,
  metaName,
  RAW_LOCATIONS_DATASET,
  RAW_MEASUREMENTS_DATASET,
  type RawManifest,
  type RawPageRef,
  type RawResponseMeta,
  type RawRunManifest,
} from "../raw/names.js";

/**
 * Reading the raw layer for transform. Transform trusts only a committed extract run: by default the
 * newest run manifest of the day (`run-{runId}.manifest.json`), or the one `--raw-run` names; a lake
 * written before the write-once layout has instead one `manifest.json`, read when no run manifest
 * exists. Exactly the pages the manifest lists are read, and each body is checked against the sha256
 * and size recorded for it: a body that does not match fails the run, naming the object.
 */

export function rawPrefix(env: Environment, dataset: string, day: IsoDay): string {
  return partitionPrefix({ env, layer: "raw", dataset, day });
}

export function manifestKey(env: Environment, day: IsoDay): string {
  return rawKey({ env, dataset: RAW_MEASUREMENTS_DATASET, day }, MANIFEST_NAME);
}

/** One page to read: where, and what its bytes must be (absent for legacy pages without a sidecar). */
export interface RawPageSpec {
  key: string;
  sha256?: string;
  bytes?: number;
  /** Results the page held when fetched (run manifests only). */
  records?: number;
}

/** A committed extract of one day, whichever layout wrote it. */
export interface RawDay {
  /** The run id, or `"legacy"` for the earlier layout's manifest.json. */
  runId: string;
  manifestKey: string;
  countryId: number;
  locationsPages: RawPageSpec[];
  sensors: Array<{ sensorId: number; locationId: number; parameterId: number; pages: RawPageSpec[] }>;
}

function invalidManifest(key: string, why: string): PipelineError {
  return new PipelineError(
    "INVALID_MANIFEST",
    `The raw manifest ${key} is not valid (${why}): run extract for that day again.`,
  );
}

const isInt = (v: unknown): v is number => typeof v === "number" && Number.isInteger(v);
const isStringArray = (v: unknown): v is string[] =>
  Array.isArray(v) && v.every((s) => typeof s === "string");

/** The ids of the day's committed runs of a raw dataset (extract's by default), oldest first. */
export async function listRawRuns(
  store: ObjectStore,
  env: Environment,
  day: IsoDay,
  dataset = RAW_MEASUREMENTS_DATASET,
): Promise<string[]> {
  const prefix = rawPrefix(env, dataset, day);
  return (await listKeys(store, prefix))
    .map((k) => parseRawRunManifestName(k.slice(prefix.length)))
    .filter((id): id is string => id !== undefined)
    .sort();
}

/**
 * The committed extract transform reads: the run `runId` names, else the newest run of the day,
 * else the earlier layout's manifest.json.
 */
export async function readRawDay(
  store: ObjectStore,
  env: Environment,
  day: IsoDay,
  runId?: string,
): Promise<RawDay> {
  const runs = await listRawRuns(store, env, day);
  if (runId !== undefined) {
    assertRawRunId(runId);
    if (!runs.includes(runId)) {
      throw new PipelineError(
        "NO_SUCH_RAW_RUN",
        `No raw run ${runId} for ${day} in ${env}${runs.length ? `: the day's runs are ${runs.join(", ")}` : ": the day has no write-once runs"}.`,
      );
    }
  }
  const chosen = runId ?? runs.at(-1);
  if (chosen !== undefined) return readRunManifest(store, env, day, chosen);
  return readLegacyManifest(store, env, day);
}

function parseJson(body: Uint8Array, key: string): Record<string, unknown> {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(body));
  } catch {
    throw invalidManifest(key, "not JSON");
  }
  if (!json || typeof json !== "object" || Array.isArray(json)) throw invalidManifest(key, "not an object");
  return json as Record<string, unknown>;
}

/** Whether a manifest's page names its body by the layout's content address of `sha256`. */
function isBodyNameOf(body: string, sha256: string): boolean {
  try {
    return body === rawBodyName(sha256);
  } catch {
    return false; // not a sha256 at all
  }
}

/**
 * The key of an object a manifest names in the day's partition of `dataset`; a name the layout
 * refuses (a path, `..`) makes the manifest invalid.
 */
function listedKey(manifest: string, ref: { env: Environment; dataset: string; day: IsoDay }, name: string) {
  try {
    return rawKey(ref, name);
  } catch (e) {
    if (e instanceof PipelineError)
      throw invalidManifest(manifest, `it lists ${JSON.stringify(name)}, not a raw object name`);
    throw e;
  }
}

function checkPageRef(p: unknown, key: string): RawPageRef {
  const r = p as Partial<RawPageRef> | null;
  if (
    !r ||
    typeof r.body !== "string" ||
    typeof r.sha256 !== "string" ||
    !isInt(r.bytes) ||
    !isInt(r.records) ||
    !isBodyNameOf(r.body, r.sha256)
  ) {
    throw invalidManifest(key, `page entry ${JSON.stringify(p)?.slice(0, 80)} is incomplete`);
  }
  return r as RawPageRef;
}

async function readRunManifest(
  store: ObjectStore,
  env: Environment,
  day: IsoDay,
  runId: string,
): Promise<RawDay> {
  const key = rawKey({ env, dataset: RAW_MEASUREMENTS_DATASET, day }, rawRunManifestName(runId));
  const body = await store.get(key);
  if (!body)
    throw new PipelineError("NO_SUCH_RAW_RUN", `The raw run manifest ${key} disappeared while reading it.`);
  const m = parseJson(body, key) as Partial<RawRunManifest>;
  if (m.version !== 2) throw invalidManifest(key, `unknown version ${JSON.stringify(m.version)}`);
  if (m.day !== day) throw invalidManifest(key, `it is for day ${JSON.stringify(m.day)}`);
  if (m.runId !== runId) throw invalidManifest(key, `it names run ${JSON.stringify(m.runId)}`);
  if (!Array.isArray(m.locationsPages) || !Array.isArray(m.sensors))
    throw invalidManifest(key, "locationsPages or sensors is not a list");
  const spec =
    (dataset: string) =>
    (p: unknown): RawPageSpec => {
      const r = checkPageRef(p, key);
      return {
        key: rawKey({ env, dataset, day }, r.body),
        sha256: r.sha256,
        bytes: r.bytes,
        records: r.records,
      };
    };
  return {
    runId,
    manifestKey: key,
    countryId: isInt(m.countryId) ? m.countryId : 0,
    locationsPages: m.locationsPages.map(spec(RAW_LOCATIONS_DATASET)),
    sensors: m.sensors.map((s) => {
      if (
        !s ||
        !isInt(s.sensorId) ||
        !isInt(s.locationId) ||
        !isInt(s.parameterId) ||
        !Array.isArray(s.pages)
      )
        throw invalidManifest(key, `sensor entry ${JSON.stringify(s)?.slice(0, 80)} is incomplete`);
      return { ...s, pages: s.pages.map(spec(RAW_MEASUREMENTS_DATASET)) };
    }),
  };
}

/** The earlier layout: manifest.json listing page names; each page's sha256 is in its `.meta.json`. */
async function readLegacyManifest(store: ObjectStore, env: Environment, day: IsoDay): Promise<RawDay> {
  const key = manifestKey(env, day);
  const body = await store.get(key);
  if (!body) {
    throw new PipelineError(
      "NO_COMPLETE_EXTRACT",
      `No complete extract for ${day} in ${env}: run extract first.`,
    );
  }
  const m = parseJson(body, key) as Partial<RawManifest>;
  if (m.version !== 1) throw invalidManifest(key, `unknown version ${JSON.stringify(m.version)}`);
  if (m.day !== day) throw invalidManifest(key, `it is for day ${JSON.stringify(m.day)}`);
  if (!isStringArray(m.locationsPages)) throw invalidManifest(key, "locationsPages is not a list of names");
  if (!Array.isArray(m.sensors)) throw invalidManifest(key, "sensors is not a list");
  for (const s of m.sensors) {
    if (
      !s ||
      !isInt(s.sensorId) ||
      !isInt(s.locationId) ||
      !isInt(s.parameterId) ||
      !isStringArray(s.pages)
    ) {
      throw invalidManifest(key, `sensor entry ${JSON.stringify(s)?.slice(0, 80)} is incomplete`);
    }
  }
  const legacy = async (dataset: string, name: string): Promise<RawPageSpec> => {
    const ref = { env, dataset, day };
    const pageKey = listedKey(key, ref, name);
    const meta = await store.get(listedKey(key, ref, metaName(name)));
    if (!meta) return { key: pageKey };
    try {
      const parsed = JSON.parse(new TextDecoder().decode(meta)) as Partial<RawResponseMeta>;
      return {
        key: pageKey,
        ...(typeof parsed.sha256 === "string" && { sha256: parsed.sha256 }),
        ...(isInt(parsed.bytes) && { bytes: parsed.bytes }),
      };
    } catch {
      return { key: pageKey };
    }
  };
  const sensors: RawDay["sensors"] = [];
  for (const s of m.sensors) {
    const pages: RawPageSpec[] = [];
    for (const name of s.pages) pages.push(await legacy(RAW_MEASUREMENTS_DATASET, name));
    sensors.push({ sensorId: s.sensorId, locationId: s.locationId, parameterId: s.parameterId, pages });
  }
  const locationsPages: RawPageSpec[] = [];
  for (const name of m.locationsPages) locationsPages.push(await legacy(RAW_LOCATIONS_DATASET, name));
  return {
    runId: "legacy",
    manifestKey: key,
    countryId: isInt(m.countryId) ? m.countryId : 0,
    locationsPages,
    sensors,
  };
}

/** One raw body as stored, checked against its manifest entry; a hard error when it is gone or differs. */
export async function readRawPage(
  store: ObjectStore,
  page: RawPageSpec,
  manifest: string,
): Promise<{ key: string; body: Uint8Array }> {
  const { key } = page;
  const body = await store.get(key);
  if (!body) {
    throw new PipelineError(
      "RAW_PAGE_MISSING",
      `The raw page ${key} listed by ${manifest} is missing: run extract for that day again.`,
    );
  }
  if (page.bytes !== undefined && body.byteLength !== page.bytes) {
    throw new PipelineError(
      "RAW_CHECKSUM_MISMATCH",
      `The raw page ${key} has ${body.byteLength} bytes but ${manifest} recorded ${page.bytes}: it was changed or truncated after extract; processed is unchanged.`,
    );
  }
  if (page.sha256 !== undefined) {
    const actual = createHash("sha256").update(body).digest("hex");
    if (actual !== page.sha256) {
      throw new PipelineError(
        "RAW_CHECKSUM_MISMATCH",
        `The raw page ${key} does not match the sha256 ${manifest} recorded (${page.sha256.slice(0, 12)}…, found ${actual.slice(0, 12)}…): it was changed after extract; processed is unchanged.`,
      );
    }
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
  pages: readonly RawPageSpec[],
  manifest: string,
  ahead = 2,
): AsyncGenerator<{ key: string; body: Uint8Array }> {
  const pending: Array<Promise<{ key: string; body: Uint8Array }>> = [];
  let next = 0;
  const fill = () => {
    while (pending.length <= ahead && next < pages.length) {
      const read = readRawPage(store, pages[next++] as RawPageSpec, manifest);
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
  const { meta, results } = json as NonNullable<Unchecked<Envelope<unknown>>>;
  if (meta === null || typeof meta !== "object") return { ok: false, why: "no meta object" };
  if (!Array.isArray(results)) return { ok: false, why: "no results array" };
  return { ok: true, results };
}

/** What a quarantined malformed page keeps: the raw object stays in raw, so a pointer and a preview suffice. */
export function malformedPageRecord(
  key: string,
  body: Uint8Array,
): { rawKey: string; bytes: number; preview: string } {
  const preview = decoder.decode(body.subarray(0, 200));
  return { rawKey: key, bytes: body.byteLength, preview };
}
