import type { Location } from "../openaq/types.js";

/** One sensor to ask for the day. */
export interface SensorTask {
  sensorId: number;
  locationId: number;
  parameterId: number;
}

export type SkipReason = "never-reported" | "last-before-day" | "first-after-day" | "duplicate-sensor-id";

export interface SkippedSensor {
  sensorId: number;
  locationId: number;
  reason: SkipReason;
}

/**
 * Which sensors are worth a request for the UTC day [startMs, endMs). The embedded `sensors[]` of
 * a location carry no dates, so the location's own `datetimeFirst/Last` (period ends) decide:
 * a location whose last period ended before the day starts, or whose first ended after the day
 * ends, cannot have a period starting on the day. Everything skipped is listed with its reason.
 * Tasks come sorted by sensor id, so runs are deterministic.
 */
export function selectSensors(
  locations: readonly Location[],
  window: { startMs: number; endMs: number },
): { asked: SensorTask[]; skipped: SkippedSensor[] } {
  const asked: SensorTask[] = [];
  const skipped: SkippedSensor[] = [];
  const seen = new Set<number>();
  for (const loc of locations) {
    let reason: SkipReason | undefined;
    if (loc.datetimeLast === null) reason = "never-reported";
    else if (Date.parse(loc.datetimeLast.utc) < window.startMs) reason = "last-before-day";
    else if (loc.datetimeFirst !== null && Date.parse(loc.datetimeFirst.utc) > window.endMs)
      reason = "first-after-day";
    for (const s of loc.sensors) {
      const task = { sensorId: s.id, locationId: loc.id, parameterId: s.parameter.id };
      if (seen.has(s.id)) {
        skipped.push({ sensorId: s.id, locationId: loc.id, reason: "duplicate-sensor-id" });
        continue;
      }
      seen.add(s.id);
      if (reason) skipped.push({ sensorId: s.id, locationId: loc.id, reason });
      else asked.push(task);
    }
  }
  asked.sort((a, b) => a.sensorId - b.sensorId);
  skipped.sort((a, b) => a.sensorId - b.sensorId || a.locationId - b.locationId);
  return { asked, skipped };
}
