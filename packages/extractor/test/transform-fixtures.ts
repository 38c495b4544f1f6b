import { toJson } from "@openaq-lakehouse/fake-openaq/json";
import {
  envelope as apiEnvelope,
  datetimeObject,
  measurementResultJson,
} from "@openaq-lakehouse/fake-openaq/responses";
import {
  type Environment,
  type IsoDay,
  type ObjectStore,
  partitionPrefix,
} from "@openaq-lakehouse/pipeline-core";
import {
  locationsPageName,
  MANIFEST_NAME,
  metaName,
  type RawManifest,
  sensorPageName,
} from "../src/raw/names.js";

/**
 * Raw-layer fixtures in the real OpenAQ v3 response shapes (measurements and pages come from the local
 * OpenAQ server's builders), written the way extract lays them out (raw/names.ts): pages, `.meta.json`
 * sidecars, and the manifest last.
 */

export interface ParameterFixture {
  id: number;
  name: string;
  units: string;
}

export const PM25: ParameterFixture = { id: 2, name: "pm25", units: "µg/m³" };
export const PM10: ParameterFixture = { id: 1, name: "pm10", units: "µg/m³" };
export const CO_PPM: ParameterFixture = { id: 8, name: "co", units: "ppm" };

export interface LocationFixture {
  id: number;
  name: string | null;
  locality: string | null;
  timezone?: string;
  lat: number | null;
  lon: number | null;
  sensors: Array<{ id: number; parameter: ParameterFixture }>;
}

/** A monitoring station with two sensors, as the locations endpoint lists it. */
export const HANOI: LocationFixture = {
  id: 7441,
  name: "Hanoi: US Embassy",
  locality: null,
  lat: 21.0219,
  lon: 105.8188,
  sensors: [
    { id: 21001, parameter: PM25 },
    { id: 21002, parameter: PM10 },
  ],
};

/** The fixtures' locations are in Vietnam: UTC+7. */
const OFFSET_MINUTES = 7 * 60;

function dt(iso: string): { utc: string; local: string } {
  return datetimeObject(Date.parse(iso) / 1000, OFFSET_MINUTES);
}

export function locationJson(l: LocationFixture): Record<string, unknown> {
  return {
    id: l.id,
    name: l.name,
    locality: l.locality,
    timezone: l.timezone ?? "Asia/Bangkok",
    country: { id: 56, code: "VN", name: "Vietnam" },
    owner: { id: 4, name: "Unknown Governmental Organization" },
    provider: { id: 119, name: "AirNow" },
    isMobile: false,
    isMonitor: true,
    instruments: [{ id: 2, name: "Government Monitor" }],
    sensors: l.sensors.map((s) => ({
      id: s.id,
      name: `${s.parameter.name} ${s.parameter.units}`,
      parameter: { id: s.parameter.id, name: s.parameter.name, units: s.parameter.units, displayName: null },
    })),
    coordinates: { latitude: l.lat, longitude: l.lon },
    licenses: null,
    bounds: [l.lon ?? 0, l.lat ?? 0, l.lon ?? 0, l.lat ?? 0],
    distance: null,
    datetimeFirst: dt("2017-01-01T00:00:00Z"),
    datetimeLast: dt("2030-01-01T00:00:00Z"),
  };
}

/**
 * One `/v3/sensors/{id}/measurements` result for the period starting at `startMs`, built by the local
 * OpenAQ server's own builder and returned as plain JSON values (as a page parses).
 */
export function measurementJson(
  parameter: ParameterFixture,
  startMs: number,
  value: unknown,
  periodMs = 3_600_000,
): Record<string, unknown> {
  const result = measurementResultJson({
    parameter,
    endSec: (startMs + periodMs) / 1000,
    intervalSec: periodMs / 1000,
    offsetMinutes: OFFSET_MINUTES,
    value,
    hasFlags: false,
  });
  return JSON.parse(toJson(result)) as Record<string, unknown>;
}

/** A page of `results` as the API sends it: the first page of 1,000 unless told otherwise. */
export function envelope(results: unknown[], page = 1, limit = 1000): string {
  return apiEnvelope(page, limit, results);
}

/** Hourly rows of a full UTC day with a deterministic value per (sensor, hour). */
export function hourlyRows(
  sensorId: number,
  parameter: ParameterFixture,
  day: IsoDay,
  hours = 24,
): Record<string, unknown>[] {
  const start = Date.parse(`${day}T00:00:00Z`);
  return Array.from({ length: hours }, (_, h) =>
    measurementJson(parameter, start + h * 3_600_000, Math.round(((sensorId % 97) + h * 1.5) * 10) / 10),
  );
}

export interface RawDayFixture {
  locations: LocationFixture[];
  /** Body text of each page of each sensor; a string is written verbatim (for malformed pages). */
  sensorPages: Map<number, Array<string | unknown[]>>;
  /** Extra pages of the locations endpoint, verbatim. */
  extraLocationPages?: string[];
  /** Leave the manifest out (an interrupted extract). */
  withoutManifest?: boolean;
}

const enc = new TextEncoder();

export async function writeRawDay(
  store: ObjectStore,
  env: Environment,
  day: IsoDay,
  fx: RawDayFixture,
): Promise<RawManifest> {
  const locPrefix = partitionPrefix({ env, layer: "raw", dataset: "locations", day });
  const mPrefix = partitionPrefix({ env, layer: "raw", dataset: "measurements", day });
  const locationsPages: string[] = [];
  const locationBodies = [envelope(fx.locations.map(locationJson)), ...(fx.extraLocationPages ?? [])];
  for (const [i, body] of locationBodies.entries()) {
    const name = locationsPageName(i + 1);
    await store.put(locPrefix + name, enc.encode(body));
    await store.put(
      locPrefix + metaName(name),
      enc.encode(JSON.stringify({ url: "/v3/locations", status: 200 })),
    );
    locationsPages.push(name);
  }
  const sensorOwner = new Map<number, { locationId: number; parameterId: number }>();
  for (const l of fx.locations)
    for (const s of l.sensors) sensorOwner.set(s.id, { locationId: l.id, parameterId: s.parameter.id });
  const sensors: RawManifest["sensors"] = [];
  for (const [sensorId, pages] of fx.sensorPages) {
    const names: string[] = [];
    for (const [i, page] of pages.entries()) {
      const name = sensorPageName(sensorId, i + 1);
      await store.put(mPrefix + name, enc.encode(typeof page === "string" ? page : envelope(page, i + 1)));
      names.push(name);
    }
    const owner = sensorOwner.get(sensorId) ?? { locationId: 0, parameterId: 0 };
    sensors.push({ sensorId, ...owner, pages: names });
  }
  const manifest: RawManifest = {
    version: 1,
    day,
    countryId: 56,
    locationsPages,
    sensors,
    skippedSensors: [],
  };
  if (!fx.withoutManifest) await store.put(mPrefix + MANIFEST_NAME, enc.encode(JSON.stringify(manifest)));
  return manifest;
}
