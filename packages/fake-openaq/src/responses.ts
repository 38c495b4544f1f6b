import type { Catalog, ServedLocation, ServedSensor } from "./catalog.js";
import { float, toJson } from "./json.js";
import { hasFlags, isMissing, valueAt } from "./series.js";

/**
 * Response bodies in the real API's field order and formatting (docs/openaq.md, "Responses"):
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

/** A parameter as results carry it: measurements send no display name, locations and sensors do. */
function parameterJson(p: { id: number; name: string; units: string }, displayName: string | null) {
  return { id: p.id, name: p.name, units: p.units, displayName };
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
      parameter: parameterJson(s.parameter, s.parameter.displayName),
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
    parameter: parameterJson(s.parameter, s.parameter.displayName),
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

/** One measurement result: a reading over one period, as `/v3/sensors/{id}/measurements` lists it. */
export interface MeasurementResult {
  parameter: { id: number; name: string; units: string };
  /** The period is (endSec - intervalSec, endSec], epoch seconds. */
  endSec: number;
  intervalSec: number;
  /** The location's UTC offset, for the `local` datetimes. */
  offsetMinutes: number;
  /** Written as given: `float(n)` prints like the API (`909.0`); tests pass strings or nulls too. */
  value: unknown;
  hasFlags: boolean;
}

export function measurementResultJson(m: MeasurementResult) {
  const from = datetimeObject(m.endSec - m.intervalSec, m.offsetMinutes);
  const to = datetimeObject(m.endSec, m.offsetMinutes);
  const interval = intervalText(m.intervalSec);
  return {
    value: m.value,
    flagInfo: { hasFlags: m.hasFlags },
    parameter: parameterJson(m.parameter, null),
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

/** The measurement of a served sensor for the period ending at `endSec`. */
export function measurementJson(s: ServedSensor, endSec: number) {
  const offsetMinutes = s.location.offsetMinutes;
  return measurementResultJson({
    parameter: s.parameter,
    endSec,
    intervalSec: s.intervalSec,
    offsetMinutes,
    value: float(valueAt(s.fixture, endSec, offsetMinutes)),
    hasFlags: hasFlags(s.fixture, endSec),
  });
}
