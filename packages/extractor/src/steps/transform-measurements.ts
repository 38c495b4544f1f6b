import { BOOL_FALSE, BOOL_NULL, BOOL_TRUE, growVector } from "@openaq-lakehouse/pipeline-core";
import type { Measurement } from "../openaq/types.js";
import type { Unchecked } from "../openaq/unchecked.js";
import type { SensorInfo } from "./transform-locations.js";
import { parseInstant, parseIntervalSeconds } from "./transform-parse.js";
import { isSentinel, type QuarantineLog } from "./transform-quarantine.js";

/**
 * The hot path of transform: measurement results → column arrays, one row at a time, with no
 * per-row objects beyond what JSON.parse already made. Rows of one sensor arrive together (the
 * caller feeds sensors in ascending id order), so sorting by (sensor_id, datetime) and dropping
 * duplicates only ever looks at one sensor's segment: a few hundred rows at most.
 *
 * Low-cardinality strings (parameter name + units, period label + interval) are held as indices
 * into small dictionaries; sensor attributes (location, coordinates) as an index into the sensor
 * table. `measurementsTable` (transform-arrow.ts) expands them into Arrow columns at the end.
 */

const INITIAL_CAPACITY = 4096;

/** has_flags as stored: false, true, or unknown, the bytes of a boolean column vector (`tableFromColumns`). */
const FLAG_FALSE = BOOL_FALSE;
const FLAG_TRUE = BOOL_TRUE;
const FLAG_NULL = BOOL_NULL;

export interface ParameterEntry {
  name: string;
  units: string;
}
export interface PeriodEntry {
  label: string;
  seconds: number | null;
}

export class MeasurementColumns {
  length = 0;
  sensorRef = new Int32Array(INITIAL_CAPACITY);
  value = new Float64Array(INITIAL_CAPACITY);
  /** Period start, epoch ms. */
  start = new Float64Array(INITIAL_CAPACITY);
  /** Period end, epoch ms, NaN for null. */
  end = new Float64Array(INITIAL_CAPACITY);
  parameterRef = new Int32Array(INITIAL_CAPACITY);
  /** Index into `periods`, -1 for no period label. */
  periodRef = new Int32Array(INITIAL_CAPACITY);
  /** percentCoverage, NaN for null. */
  coverage = new Float64Array(INITIAL_CAPACITY);
  flags = new Uint8Array(INITIAL_CAPACITY);

  readonly sensors: SensorInfo[] = [];
  readonly parameters: ParameterEntry[] = [];
  readonly periods: PeriodEntry[] = [];
  private readonly parameterIndex = new Map<string, Map<string, number>>();
  private readonly periodIndex = new Map<string, Map<string, number>>();

  ensure(capacity: number): void {
    if (capacity <= this.value.length) return;
    this.sensorRef = growVector(this.sensorRef, capacity);
    this.value = growVector(this.value, capacity);
    this.start = growVector(this.start, capacity);
    this.end = growVector(this.end, capacity);
    this.parameterRef = growVector(this.parameterRef, capacity);
    this.periodRef = growVector(this.periodRef, capacity);
    this.coverage = growVector(this.coverage, capacity);
    this.flags = growVector(this.flags, capacity);
  }

  parameterId(name: string, units: string): number {
    let byUnits = this.parameterIndex.get(name);
    if (!byUnits) {
      byUnits = new Map();
      this.parameterIndex.set(name, byUnits);
    }
    let i = byUnits.get(units);
    if (i === undefined) {
      i = this.parameters.push({ name, units }) - 1;
      byUnits.set(units, i);
    }
    return i;
  }

  periodId(label: string, interval: unknown): number {
    const key = typeof interval === "string" ? interval : "";
    let byInterval = this.periodIndex.get(label);
    if (!byInterval) {
      byInterval = new Map();
      this.periodIndex.set(label, byInterval);
    }
    let i = byInterval.get(key);
    if (i === undefined) {
      i = this.periods.push({ label, seconds: parseIntervalSeconds(interval) }) - 1;
      byInterval.set(key, i);
    }
    return i;
  }

  /** Drops the first `count` rows, moving the rest to the front. */
  dropFirst(count: number): void {
    const n = this.length;
    for (const arr of [
      this.sensorRef,
      this.value,
      this.start,
      this.end,
      this.parameterRef,
      this.periodRef,
      this.coverage,
      this.flags,
    ]) {
      arr.copyWithin(0, count, n);
    }
    this.length = n - count;
  }

  /** Moves row `from` to slot `to` (used when compacting a sorted segment). */
  copyRow(from: number, to: number, src: MeasurementColumns = this): void {
    this.sensorRef[to] = src.sensorRef[from] as number;
    this.value[to] = src.value[from] as number;
    this.start[to] = src.start[from] as number;
    this.end[to] = src.end[from] as number;
    this.parameterRef[to] = src.parameterRef[from] as number;
    this.periodRef[to] = src.periodRef[from] as number;
    this.coverage[to] = src.coverage[from] as number;
    this.flags[to] = src.flags[from] as number;
  }
}

/**
 * Flattens and checks the measurement results of one sensor at a time into `MeasurementColumns`.
 * Checks, in order (the first failing one is the reason): MALFORMED_ROW, UNPARSEABLE_TIMESTAMP,
 * OUTSIDE_DAY, PARAMETER_MISMATCH, NON_NUMERIC_VALUE, SENTINEL_VALUE; then, per sensor, DUPLICATE
 * for every row after the first with the same period start. Negative values are real readings.
 */
export class MeasurementFlattener {
  readonly columns = new MeasurementColumns();
  private sensor: SensorInfo | undefined;
  private sensorRef = -1;
  private sensorId = -1;
  private segmentStart = 0;
  /** The raw result and its source for each row of the open segment (for DUPLICATE records). */
  private segmentRows: unknown[] = [];
  private segmentSources: string[] = [];

  constructor(
    private readonly dayStartMs: number,
    private readonly dayEndMs: number,
    private readonly quarantine: QuarantineLog,
  ) {}

  /** Rows accepted so far, including rows already handed on with `dropClosedRows`. */
  get accepted(): number {
    return this.dropped + this.columns.length;
  }
  private dropped = 0;

  /** Rows in `columns` that are final: sorted, deduplicated, their sensor's segment closed. */
  get closedRows(): number {
    return this.segmentStart;
  }

  /** Forgets the first `count` closed rows (the caller has encoded them). */
  dropClosedRows(count: number): void {
    if (count > this.segmentStart)
      throw new Error(`Only ${this.segmentStart} rows are closed, cannot drop ${count}.`);
    this.columns.dropFirst(count);
    this.segmentStart -= count;
    this.dropped += count;
  }

  /** Opens the segment of one sensor; `info` is undefined when the snapshot does not know it. */
  beginSensor(sensorId: number, info: SensorInfo | undefined): void {
    this.endSensor();
    this.sensorId = sensorId;
    this.sensor = info;
    this.sensorRef = info ? this.columns.sensors.push(info) - 1 : -1;
    this.segmentStart = this.columns.length;
  }

  addResults(results: readonly unknown[], source: string): void {
    const c = this.columns;
    const sensor = this.sensor;
    c.ensure(c.length + results.length);
    for (let i = 0; i < results.length; i++) {
      // Parsed JSON from the raw layer: the schema's field names, every value checked before use.
      const r = results[i] as Unchecked<Measurement>;
      if (r === null || typeof r !== "object" || Array.isArray(r)) {
        this.quarantine.add("MALFORMED_ROW", r, source, "The result is not an object.");
        continue;
      }
      if (!sensor) {
        this.quarantine.add(
          "UNKNOWN_SENSOR",
          r,
          source,
          `Sensor ${this.sensorId} is not in the locations snapshot.`,
        );
        continue;
      }
      const period = r.period;
      const startMs = parseInstant(period?.datetimeFrom?.utc);
      const toUtc = period?.datetimeTo?.utc;
      const endMs = toUtc === undefined || toUtc === null ? Number.NaN : parseInstant(toUtc);
      if (Number.isNaN(startMs) || (Number.isNaN(endMs) && toUtc !== undefined && toUtc !== null)) {
        this.quarantine.add("UNPARSEABLE_TIMESTAMP", r, source);
        continue;
      }
      if (startMs < this.dayStartMs || startMs >= this.dayEndMs) {
        this.quarantine.add("OUTSIDE_DAY", r, source);
        continue;
      }
      const parameter = r.parameter;
      if (parameter?.id !== sensor.parameterId) {
        this.quarantine.add(
          "PARAMETER_MISMATCH",
          r,
          source,
          `Parameter ${JSON.stringify(parameter?.id)} differs from sensor ${sensor.sensorId}'s parameter ${sensor.parameterId}.`,
        );
        continue;
      }
      if (typeof parameter.name !== "string" || typeof parameter.units !== "string") {
        this.quarantine.add("MALFORMED_ROW", r, source, "The parameter has no name or units.");
        continue;
      }
      const value = r.value;
      if (typeof value !== "number" || !Number.isFinite(value)) {
        this.quarantine.add("NON_NUMERIC_VALUE", r, source);
        continue;
      }
      if (isSentinel(value)) {
        this.quarantine.add("SENTINEL_VALUE", r, source);
        continue;
      }
      const n = c.length++;
      c.sensorRef[n] = this.sensorRef;
      c.value[n] = value;
      c.start[n] = startMs;
      c.end[n] = endMs;
      c.parameterRef[n] = c.parameterId(parameter.name, parameter.units);
      const label = period?.label;
      c.periodRef[n] = typeof label === "string" ? c.periodId(label, period?.interval) : -1;
      const coverage = r.coverage?.percentCoverage;
      c.coverage[n] = typeof coverage === "number" ? coverage : Number.NaN;
      const flag = r.flagInfo?.hasFlags;
      c.flags[n] = flag === true ? FLAG_TRUE : flag === false ? FLAG_FALSE : FLAG_NULL;
      this.segmentRows.push(r);
      this.segmentSources.push(source);
    }
  }

  /**
   * Closes the open segment: sorts it by period start (stable, so the first row read wins) and moves
   * every later row with the same start to quarantine as DUPLICATE.
   */
  endSensor(): void {
    const c = this.columns;
    const from = this.segmentStart;
    const count = c.length - from;
    const rows = this.segmentRows;
    const sources = this.segmentSources;
    this.segmentRows = [];
    this.segmentSources = [];
    this.segmentStart = c.length;
    if (count < 2) return;
    let ordered = true;
    for (let i = from + 1; i < c.length; i++) {
      if ((c.start[i] as number) <= (c.start[i - 1] as number)) {
        ordered = false;
        break;
      }
    }
    if (ordered) return;
    const order = Array.from({ length: count }, (_, i) => i);
    order.sort((a, b) => (c.start[from + a] as number) - (c.start[from + b] as number) || a - b);
    // Copy the segment aside, then write it back in order without the duplicates.
    const copy = new MeasurementColumns();
    copy.ensure(count);
    for (let i = 0; i < count; i++) copy.copyRow(from + i, i, c);
    let out = from;
    let previous = Number.NaN;
    for (const i of order) {
      const start = copy.start[i] as number;
      if (start === previous) {
        this.quarantine.add(
          "DUPLICATE",
          rows[i],
          sources[i] as string,
          `Sensor ${this.sensorId} already has a row for ${new Date(start).toISOString()}.`,
        );
        continue;
      }
      previous = start;
      c.copyRow(i, out++, copy);
    }
    c.length = out;
    this.segmentStart = out;
  }
}
