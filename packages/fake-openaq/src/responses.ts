import type { Catalog, ServedLocation, ServedSensor } from "./catalog.js";
import { float, toJson } from "./json.js";
import { hasFlags, isMissing, valueAt } from "./series.js";

/**
 * Response bodies in the real API's field order and formatting (reference/openaq.md §2–3):
 * compact JSON, floats as `909.0`, datetimes `{utc: "…Z", local: "…+07:00"}`.
 */

function pad(n: number, width = 2): string {
  return String(n).padStart(width, "0");
}

function stamp(d: Date): string {
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}T${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
}

export function datetimeObject(epochSec: number, offsetMinutes: number) {
  const sign = offsetMinutes >= 0 ? "+" : "-";
  const abs = Math.abs(offsetMinutes);
  return {
    utc: `${stamp(new Date(epochSec * 1000))}Z`,
    local: `${stamp(new Date((epochSec + offsetMinutes * 60) * 1000))}${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`,
  };
}

/** Postgres interval text: `01:00:00`, `00:05:00`. */
function intervalText(sec: number): string {
  return `${pad(Math.floor(sec / 3600))}:${pad(Math.floor((sec % 3600) / 60))}:${pad(sec % 60)}`;
}

export function meta(page: number, limit: number, rows: number) {
  return {
    name: "openaq-api",
    website: "/",
    page,
    limit,
    found: rows === 0 ? 0 : rows === limit ? `>${limit}` : rows,
  };
}

export function envelope(page: number, limit: number, results: unknown[]): string {
  return toJson({ meta: meta(page, limit, results.length), results });
}

function parameterJson(s: ServedSensor, withDisplayName: boolean) {
  return {
    id: s.parameter.id,
    name: s.parameter.name,
    units: s.parameter.units,
    displayName: withDisplayName ? s.parameter.displayName : null,
  };
}

export function locationJson(catalog: Catalog, loc: ServedLocation) {
  const f = loc.fixture;
  return {
    id: f.id,
    name: f.name,
    locality: f.locality,
    timezone: f.timezone,
    country: catalog.countryOf(loc),
    owner: f.owner,
    provider: f.provider,
    isMobile: false,
    isMonitor: f.isMonitor,
    instruments: [f.instrument],
    sensors: loc.sensors.map((s) => ({
      id: s.fixture.id,
      name: `${s.parameter.name} ${s.parameter.units}`,
      parameter: parameterJson(s, true),
    })),
    coordinates: { latitude: float(f.latitude), longitude: float(f.longitude) },
    licenses: f.licenses,
    bounds: [float(f.longitude), float(f.latitude), float(f.longitude), float(f.latitude)],
    distance: null,
    datetimeFirst: loc.firstEndSec === null ? null : datetimeObject(loc.firstEndSec, loc.offsetMinutes),
    datetimeLast: loc.lastEndSec === null ? null : datetimeObject(loc.lastEndSec, loc.offsetMinutes),
  };
}

export function sensorJson(s: ServedSensor) {
  const off = s.location.offsetMinutes;
  return {
    id: s.fixture.id,
    name: `${s.parameter.name} ${s.parameter.units}`,
    parameter: parameterJson(s, true),
    datetimeFirst: s.firstEndSec === null ? null : datetimeObject(s.firstEndSec, off),
    datetimeLast: s.lastEndSec === null ? null : datetimeObject(s.lastEndSec, off),
    coverage: null,
    latest: null,
    summary: null,
  };
}

/**
 * Period ends of a sensor in (fromSec, toSec] (the API's filter on the period END), oldest first,
 * gaps left out.
 */
export function periodEnds(s: ServedSensor, fromSec: number, toSec: number): number[] {
  if (s.firstEndSec === null || s.lastEndSec === null) return [];
  const step = s.intervalSec;
  const lo = Math.max(Math.floor(fromSec / step) * step + step, s.firstEndSec);
  const hi = Math.min(Math.floor(toSec / step) * step, s.lastEndSec);
  const out: number[] = [];
  const outage = s.location.fixture.outageRate ?? 0;
  for (let t = lo; t <= hi; t += step) {
    if (!isMissing(s.fixture, s.location.fixture.id, outage, t)) out.push(t);
  }
  return out;
}

export function measurementJson(s: ServedSensor, endSec: number) {
  const off = s.location.offsetMinutes;
  const from = datetimeObject(endSec - s.intervalSec, off);
  const to = datetimeObject(endSec, off);
  const interval = intervalText(s.intervalSec);
  return {
    value: float(valueAt(s.fixture, endSec, off)),
    flagInfo: { hasFlags: hasFlags(s.fixture, endSec) },
    parameter: parameterJson(s, false),
    period: { label: "raw", interval, datetimeFrom: from, datetimeTo: to },
    coordinates: null,
    summary: null,
    coverage: {
      expectedCount: 1,
      expectedInterval: interval,
      observedCount: 1,
      observedInterval: interval,
      percentComplete: float(100),
      percentCoverage: float(100),
      datetimeFrom: from,
      datetimeTo: to,
    },
  };
}
