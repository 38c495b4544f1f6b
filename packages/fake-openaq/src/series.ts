import type { FixtureSensor } from "./fixtures.js";

/**
 * Deterministic measurement values: a pure function of (sensor id, period end), so the same
 * request always returns the same bytes, on any machine, for any day.
 */

function mix32(x: number): number {
  let h = x >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** A uniform number in [0, 1) from integer parts (each up to 2^53). */
export function hash01(...parts: number[]): number {
  let h = 0x9e3779b9;
  for (const p of parts) {
    h = mix32(h ^ (p >>> 0));
    h = mix32(h + Math.floor(p / 2 ** 32));
  }
  return h / 2 ** 32;
}

/** FNV-1a of a string's UTF-16 units, for hashing request paths. */
export function hashString(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

interface Profile {
  base: number;
  /** Relative amplitude of the daily cycle. */
  daily: number;
  /** Local hour of the daily peak. */
  peakHour: number;
  decimals: number;
}

const PROFILES: Record<number, Profile> = {
  1: { base: 58, daily: 0.35, peakHour: 8, decimals: 1 },
  2: { base: 36, daily: 0.4, peakHour: 7, decimals: 1 },
  3: { base: 62, daily: 0.6, peakHour: 14, decimals: 1 },
  4: { base: 880, daily: 0.3, peakHour: 8, decimals: 1 },
  5: { base: 38, daily: 0.45, peakHour: 19, decimals: 1 },
  6: { base: 14, daily: 0.2, peakHour: 10, decimals: 1 },
  7: { base: 0.021, daily: 0.45, peakHour: 19, decimals: 4 },
  8: { base: 0.78, daily: 0.3, peakHour: 8, decimals: 3 },
  9: { base: 0.0052, daily: 0.2, peakHour: 10, decimals: 4 },
  10: { base: 0.031, daily: 0.6, peakHour: 14, decimals: 4 },
  19: { base: 22, daily: 0.4, peakHour: 7, decimals: 2 },
  98: { base: 76, daily: -0.15, peakHour: 14, decimals: 0 },
  100: { base: 28.5, daily: 0.15, peakHour: 14, decimals: 1 },
  125: { base: 3200, daily: 0.4, peakHour: 7, decimals: 0 },
};

export const SENTINEL = -999;

function round(v: number, decimals: number): number {
  const f = 10 ** decimals;
  return Math.round(v * f) / f;
}

/** Whether the period ending at `endSec` is absent (sensor gap or station outage). */
export function isMissing(
  sensor: FixtureSensor,
  locationId: number,
  outageRate: number,
  endSec: number,
): boolean {
  const gapRate = sensor.gapRate ?? 0.03;
  if (gapRate > 0 && hash01(sensor.id, endSec, 1) < gapRate) return true;
  return outageRate > 0 && hash01(locationId, Math.floor((endSec - 1) / 3600), 2) < outageRate;
}

/** The value reported for the period ending at `endSec` (local time = UTC+offset). */
export function valueAt(sensor: FixtureSensor, endSec: number, offsetMinutes: number): number {
  if (sensor.sentinelRate && hash01(sensor.id, endSec, 3) < sensor.sentinelRate) return SENTINEL;
  const p = PROFILES[sensor.parameterId] ?? { base: 10, daily: 0.3, peakHour: 12, decimals: 1 };
  if (sensor.negativeRate && hash01(sensor.id, endSec, 4) < sensor.negativeRate) {
    return -round(0.1 + 2 * hash01(sensor.id, endSec, 5), Math.max(1, p.decimals));
  }
  const intervalSec = sensor.intervalSec ?? 3600;
  const midLocalHours = ((endSec - intervalSec / 2) / 3600 + offsetMinutes / 60) % 24;
  const dayIndex = Math.floor(endSec / 86_400);
  const diurnal = 1 + p.daily * Math.cos((2 * Math.PI * (midLocalHours - p.peakHour)) / 24);
  const weekly = 1 + 0.25 * Math.sin((2 * Math.PI * dayIndex) / 7 + (sensor.id % 13));
  const noise = 0.85 + 0.3 * hash01(sensor.id, endSec, 6);
  return round(Math.max(0, p.base * diurnal * weekly * noise), p.decimals);
}

export function hasFlags(sensor: FixtureSensor, endSec: number): boolean {
  return hash01(sensor.id, endSec, 7) < 0.01;
}
