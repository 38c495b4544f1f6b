/**
 * The raw layer's object names inside one `{env}/raw/{dataset}/year=/month=/day=/` partition.
 * Extract writes them, transform reads them; this module is the only place they are spelled.
 *
 *   raw/locations/…/locations-p0001.json            exact body of GET /v3/locations page 1
 *   raw/locations/…/locations-p0001.meta.json       request URL (no key), status, headers (no secrets), fetch time
 *   raw/measurements/…/sensor-12345-p0001.json      exact body of GET /v3/sensors/12345/measurements page 1
 *   raw/measurements/…/sensor-12345-p0001.meta.json
 *   raw/measurements/…/manifest.json                written last: the run is complete (see RawManifest)
 *
 * Names are deterministic (dataset, sensor id, page number), so a rerun replaces and never duplicates.
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

export function isBodyName(name: string): boolean {
  return name.endsWith(".json") && !name.endsWith(".meta.json") && name !== MANIFEST_NAME;
}

const SENSOR_PAGE = /^sensor-(\d+)-p(\d{4})\.json$/;
export function parseSensorPageName(name: string): { sensorId: number; page: number } | undefined {
  const m = SENSOR_PAGE.exec(name);
  return m ? { sensorId: Number(m[1]), page: Number(m[2]) } : undefined;
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

/** Written last by extract into raw/measurements/…/manifest.json: transform trusts only complete runs. */
export interface RawManifest {
  version: 1;
  day: string;
  countryId: number;
  locationsPages: string[];
  sensors: Array<{ sensorId: number; locationId: number; parameterId: number; pages: string[] }>;
  /** Sensors not asked because their datetimeLast is before the day (or they have none). */
  skippedSensors: Array<{ sensorId: number; locationId: number; reason: string }>;
}
