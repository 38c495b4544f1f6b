import { measurements, tableFromColumns } from "@openaq-lakehouse/pipeline-core";
import type { Table } from "apache-arrow";
import type { MeasurementColumns } from "./transform-measurements.js";

/**
 * Rows [from, to) of `c` as an Arrow table of the `measurements` dataset: the per-sensor attributes
 * (ids, coordinates) expanded from the sensor table, the period length looked up from the period
 * dictionary, and the rest handed to pipeline-core's `tableFromColumns` as they are held (strings as
 * dictionary indices, has_flags as its tri-state bytes). Every vector the table keeps is a fresh
 * array of `to - from` values, so a slice holds memory in proportion to its own length only, and
 * `dropClosedRows` moving the flattener's rows cannot change it.
 */
export function measurementsTable(c: MeasurementColumns, from = 0, to = c.length): Table {
  const n = to - from;
  const sensors = c.sensors;
  const sensorAt = (i: number) => sensors[c.sensorRef[from + i] as number] as (typeof sensors)[number];
  const perSensor = (pick: (s: (typeof sensors)[number]) => number): Int32Array => {
    const out = new Int32Array(n);
    for (let i = 0; i < n; i++) out[i] = pick(sensorAt(i));
    return out;
  };
  const lat = new Float64Array(n);
  const lon = new Float64Array(n);
  // A location without coordinates has a null struct, not {lat: null, lon: null}.
  const located = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const s = sensorAt(i);
    const la = s.lat ?? Number.NaN;
    const lo = s.lon ?? Number.NaN;
    lat[i] = la;
    lon[i] = lo;
    located[i] = Number.isNaN(la) && Number.isNaN(lo) ? 0 : 1;
  }
  const periodRef = c.periodRef.subarray(from, to);
  const periodSeconds = new Int32Array(n);
  const periodKnown = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const seconds = c.periods[periodRef[i] as number]?.seconds;
    if (seconds != null) {
      periodSeconds[i] = seconds;
      periodKnown[i] = 1;
    }
  }
  const parameterRef = c.parameterRef.subarray(from, to);
  return tableFromColumns(measurements, n, {
    location_id: perSensor((s) => s.locationId),
    sensor_id: perSensor((s) => s.sensorId),
    parameter_id: perSensor((s) => s.parameterId),
    parameter: { refs: parameterRef, dictionary: c.parameters.map((p) => p.name) },
    value: c.value.slice(from, to),
    unit: { refs: parameterRef, dictionary: c.parameters.map((p) => p.units) },
    datetime: c.start.subarray(from, to),
    datetime_to: c.end.subarray(from, to),
    period_label: { refs: periodRef, dictionary: c.periods.map((p) => p.label) },
    period_seconds: { values: periodSeconds, valid: periodKnown },
    coverage_percent: c.coverage.slice(from, to),
    has_flags: c.flags.subarray(from, to),
    coordinates: { fields: { lat, lon }, valid: located },
  });
}
