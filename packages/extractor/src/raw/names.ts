/**
 * The raw layer's objects inside one `{env}/raw/{dataset}/year=/month=/day=/` partition.
 * Extract writes them, transform reads them. Keys are built by pipeline-core's layout
 * (`rawBodyName`, `rawRunManifestName`); this module holds the manifest's shape and the names of the
 * earlier layout, which transform still reads.
 *
 * Write-once layout (every object created once with a conditional put, never overwritten or deleted):
 *
 *   raw/locations/…/sha256-{hex}.json               exact body of one response, named by its sha256
 *   raw/measurements/…/sha256-{hex}.json
 *   raw/measurements/…/run-{runId}.manifest.json    one extract run: every page it stored with its sha256,
 *                                                   size, record count, URL (no key), status, headers,
 *                                                   fetch time; written last, so it commits the run
 *
 * Earlier layout (lakes written before; read, never written):
 *
 *   raw/locations/…/locations-p0001.json            exact body of GET /v3/locations page 1
 *   raw/locations/…/locations-p0001.meta.json       request URL (no key), status, headers (no secrets), fetch time
 *   raw/measurements/…/sensor-12345-p0001.json      exact body of GET /v3/sensors/12345/measurements page 1
 *   raw/measurements/…/sensor-12345-p0001.meta.json
 *   raw/measurements/…/manifest.json                written last: the run is complete (see RawManifest)
 */

export const RAW_LOCATIONS_DATASET = "locations";
export const RAW_MEASUREMENTS_DATASET = "measurements";
export const MANIFEST_NAME = "manifest.json";

function page4(page: number): string {
  if (!Number.isInteger(page) || page < 1 || page > 9999)
    throw new Error(`Page must be 1..9999, got ${page}.`);
  return String(page).padStart(4, "0");
}

export function locationsPageName(page: number): string {
  return `locations-p${page4(page)}.json`;
}

export function sensorPageName(sensorId: number, page: number): string {
  if (!Number.isInteger(sensorId) || sensorId < 0) throw new Error(`Invalid sensor id ${sensorId}.`);
  return `sensor-${sensorId}-p${page4(page)}.json`;
}

/** The sidecar holding the request metadata of a body object. */
export function metaName(bodyName: string): string {
  return bodyName.replace(/\.json$/, ".meta.json");
}

/** Sidecar of one raw body: what was asked and when. Secrets (the API key) never appear here. */
export interface RawResponseMeta {
  url: string;
  status: number;
  headers: Record<string, string>;
  fetchedAt: string;
  bytes: number;
  sha256: string;
}

/** One stored response, as a run manifest records it. */
export interface RawPageRef {
  /** The body's object name in its partition: `sha256-{hex}.json`. */
  body: string;
  sha256: string;
  bytes: number;
  /** How many results the page held when fetched: a page that later fails to parse counts as these. */
  records: number;
  url: string;
  status: number;
  headers: Record<string, string>;
  fetchedAt: string;
}

/** The manifest of one write-once extract run (`run-{runId}.manifest.json`, created last). */
export interface RawRunManifest {
  version: 2;
  runId: string;
  day: string;
  countryId: number;
  startedAt: string;
  completedAt: string;
  locationsPages: RawPageRef[];
  sensors: Array<{ sensorId: number; locationId: number; parameterId: number; pages: RawPageRef[] }>;
  skippedSensors: Array<{ sensorId: number; locationId: number; reason: string }>;
}

/** The earlier layout's manifest (raw/measurements/…/manifest.json): read for lakes written before. */
export interface RawManifest {
  version: 1;
  day: string;
  countryId: number;
  locationsPages: string[];
  sensors: Array<{ sensorId: number; locationId: number; parameterId: number; pages: string[] }>;
  /** Sensors not asked because their datetimeLast is before the day (or they have none). */
  skippedSensors: Array<{ sensorId: number; locationId: number; reason: string }>;
}
