import type { LocationRow } from "@openaq-lakehouse/pipeline-core";
import type { Location } from "../openaq/types.js";
import { type Unchecked, uncheckedItems } from "../openaq/unchecked.js";
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
      const loc = raw as Unchecked<Location>;
      const l = checkLocation(loc);
      if (typeof l === "string") {
        quarantine.add("MALFORMED_ROW", raw, source, l);
        continue;
      }
      if (this.byId.has(l.id)) {
        quarantine.add("DUPLICATE", raw, source, `Location ${l.id} appears more than once in the snapshot.`);
        continue;
      }
      const lat = finiteOrNull(loc?.coordinates?.latitude);
      const lon = finiteOrNull(loc?.coordinates?.longitude);
      const name = stringOrNull(loc?.name);
      const locality = stringOrNull(loc?.locality);
      const row: LocationRow = {
        location_id: l.id,
        name,
        locality,
        city: deriveCity({ name, locality, timezone: l.timezone, lat, lon }),
        country_code: l.countryCode,
        country_name: stringOrNull(loc?.country?.name),
        provider: stringOrNull(loc?.provider?.name),
        owner: stringOrNull(loc?.owner?.name),
        timezone: l.timezone,
        is_monitor: l.isMonitor,
        is_mobile: l.isMobile,
        coordinates: lat === null && lon === null ? null : { lat, lon },
        datetime_first: instantOrNull(loc?.datetimeFirst?.utc),
        datetime_last: instantOrNull(loc?.datetimeLast?.utc),
      };
      this.byId.set(l.id, row);
      for (const s of uncheckedItems(loc?.sensors)) {
        const sensorId = s?.id;
        const parameterId = s?.parameter?.id;
        if (!isInt32(sensorId) || !isInt32(parameterId)) continue;
        this.sensors.set(sensorId, {
          sensorId,
          locationId: l.id,
          parameterId,
          parameterName: stringOrNull(s?.parameter?.name),
          units: stringOrNull(s?.parameter?.units),
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

/** The fields every location row needs, checked, under the schema's names and types. */
type CheckedLocation = Pick<Location, "id" | "timezone" | "isMonitor" | "isMobile"> & {
  countryCode: Location["country"]["code"];
};

/** The fields a location result needs to become a row, or why it cannot. */
function checkLocation(loc: Unchecked<Location>): CheckedLocation | string {
  if (loc === null || typeof loc !== "object" || Array.isArray(loc)) return "The location is not an object.";
  const { id, timezone, isMonitor, isMobile } = loc;
  if (!isInt32(id)) return "The location has no integer id.";
  if (typeof timezone !== "string" || timezone === "") return `Location ${id} has no timezone.`;
  const countryCode = loc.country?.code;
  if (typeof countryCode !== "string") return `Location ${id} has no country code.`;
  if (typeof isMonitor !== "boolean" || typeof isMobile !== "boolean") {
    return `Location ${id} lacks isMonitor/isMobile.`;
  }
  return { id, timezone, countryCode, isMonitor, isMobile };
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
