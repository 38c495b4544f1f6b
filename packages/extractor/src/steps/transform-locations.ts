import type { LocationRow } from "@openaq-lakehouse/pipeline-core";
import { deriveCity } from "./transform-city.js";
import { parseInstant } from "./transform-parse.js";
import type { QuarantineLog } from "./transform-quarantine.js";

/** What a measurement row borrows from its sensor and location (measurement rows carry none of it). */
export interface SensorInfo {
  sensorId: number;
  locationId: number;
  parameterId: number;
  /** The parameter's name and units as the snapshot lists them (the archive's rows carry these, not the id). */
  parameterName: string | null;
  units: string | null;
  lat: number | null;
  lon: number | null;
}

/** The locations snapshot of the run day: processed rows plus the sensor → location lookup. */
export class LocationsSnapshot {
  private readonly byId = new Map<number, LocationRow>();
  readonly sensors = new Map<number, SensorInfo>();

  get size(): number {
    return this.byId.size;
  }

  /** Rows sorted by location id, so reruns write byte-identical Parquet. */
  rows(): LocationRow[] {
    return [...this.byId.values()].sort((a, b) => a.location_id - b.location_id);
  }

  /**
   * Adds the results of one `/v3/locations` page. A result without the fields a row needs is
   * quarantined MALFORMED_ROW; a location id seen earlier in the snapshot is quarantined DUPLICATE.
   */
  addPage(results: readonly unknown[], source: string, quarantine: QuarantineLog): void {
    for (const raw of results) {
      const loc = raw as Record<string, unknown> | null;
      const problem = locationProblem(loc);
      if (problem) {
        quarantine.add("MALFORMED_ROW", raw, source, problem);
        continue;
      }
      // biome-ignore lint/suspicious/noExplicitAny: checked by locationProblem above; optional fields are read defensively
      const l = loc as Record<string, any>;
      if (this.byId.has(l.id)) {
        quarantine.add("DUPLICATE", raw, source, `Location ${l.id} appears more than once in the snapshot.`);
        continue;
      }
      const lat = finiteOrNull(l.coordinates?.latitude);
      const lon = finiteOrNull(l.coordinates?.longitude);
      const row: LocationRow = {
        location_id: l.id,
        name: stringOrNull(l.name),
        locality: stringOrNull(l.locality),
        city: deriveCity({ name: l.name, locality: l.locality, timezone: l.timezone, lat, lon }),
        country_code: l.country.code,
        country_name: stringOrNull(l.country.name),
        provider: stringOrNull(l.provider?.name),
        owner: stringOrNull(l.owner?.name),
        timezone: l.timezone,
        is_monitor: l.isMonitor,
        is_mobile: l.isMobile,
        coordinates: lat === null && lon === null ? null : { lat, lon },
        datetime_first: instantOrNull(l.datetimeFirst?.utc),
        datetime_last: instantOrNull(l.datetimeLast?.utc),
      };
      this.byId.set(l.id, row);
      for (const s of Array.isArray(l.sensors) ? l.sensors : []) {
        const sensorId = s?.id;
        const parameterId = s?.parameter?.id;
        if (!isInt32(sensorId) || !isInt32(parameterId)) continue;
        this.sensors.set(sensorId, {
          sensorId,
          locationId: l.id,
          parameterId,
          parameterName: stringOrNull(s.parameter.name),
          units: stringOrNull(s.parameter.units),
          lat,
          lon,
        });
      }
    }
  }
}

function isInt32(v: unknown): v is number {
  return typeof v === "number" && Number.isInteger(v) && v >= -2147483648 && v <= 2147483647;
}

/** Why a location result cannot become a row, or undefined when it can. */
// biome-ignore lint/suspicious/noExplicitAny: parsed JSON from the raw layer, being checked here
function locationProblem(loc: Record<string, any> | null): string | undefined {
  if (loc === null || typeof loc !== "object" || Array.isArray(loc)) return "The location is not an object.";
  if (!isInt32(loc.id)) return "The location has no integer id.";
  if (typeof loc.timezone !== "string" || loc.timezone === "") return `Location ${loc.id} has no timezone.`;
  if (typeof loc.country?.code !== "string") return `Location ${loc.id} has no country code.`;
  if (typeof loc.isMonitor !== "boolean" || typeof loc.isMobile !== "boolean") {
    return `Location ${loc.id} lacks isMonitor/isMobile.`;
  }
  return undefined;
}

function stringOrNull(v: unknown): string | null {
  return typeof v === "string" ? v : null;
}

function finiteOrNull(v: unknown): number | null {
  return typeof v === "number" && Number.isFinite(v) ? v : null;
}

function instantOrNull(v: unknown): number | null {
  const ms = parseInstant(v);
  return Number.isNaN(ms) ? null : ms;
}
