/**
 * Ambient air-quality limits the daily view checks, as data: one row per (standard, pollutant,
 * averaging time, value), each with the day it takes effect and its source. A change of a limit is
 * one more row with a later `effectiveFrom`; the view applies, for each local day, the row of that
 * pollutant and averaging time with the latest `effectiveFrom` on or before the day.
 *
 * Limits are in µg/m³ (QCVN writes µg/Nm³: normal conditions, 25 °C and 1 atm, the same as the
 * views' ppm conversion). TSP is not measured by OpenAQ stations and is left out; annual limits need a
 * year of data and are not daily exceedances.
 */
export type LimitStandard = "qcvn" | "who";
export type Averaging = "1h" | "8h" | "24h";
export type LimitPollutant = "pm25" | "pm10" | "no2" | "o3" | "co" | "so2";

export interface AirQualityLimit {
  readonly standard: LimitStandard;
  readonly pollutant: LimitPollutant;
  readonly averaging: Averaging;
  /** µg/m³; a value strictly above it is an exceedance. */
  readonly value: number;
  /** First local day the row applies to (YYYY-MM-DD); null: applies to every day (a guideline). */
  readonly effectiveFrom: string | null;
  readonly source: string;
  readonly note?: string;
}

const QCVN = "QCVN 05:2023/BTNMT Table 1 (Circular 01/2023/TT-BTNMT, in force 2023-09-12)";
const QCVN_IN_FORCE = "2023-09-12";
const WHO = "WHO global air quality guidelines 2021, Table 0.1 (AQG level)";

export const AIR_QUALITY_LIMITS: readonly AirQualityLimit[] = [
  {
    standard: "qcvn",
    pollutant: "so2",
    averaging: "1h",
    value: 350,
    effectiveFrom: QCVN_IN_FORCE,
    source: QCVN,
  },
  {
    standard: "qcvn",
    pollutant: "so2",
    averaging: "24h",
    value: 125,
    effectiveFrom: QCVN_IN_FORCE,
    source: QCVN,
  },
  {
    standard: "qcvn",
    pollutant: "co",
    averaging: "1h",
    value: 30000,
    effectiveFrom: QCVN_IN_FORCE,
    source: QCVN,
  },
  {
    standard: "qcvn",
    pollutant: "co",
    averaging: "8h",
    value: 10000,
    effectiveFrom: QCVN_IN_FORCE,
    source: QCVN,
  },
  {
    standard: "qcvn",
    pollutant: "no2",
    averaging: "1h",
    value: 200,
    effectiveFrom: QCVN_IN_FORCE,
    source: QCVN,
  },
  {
    standard: "qcvn",
    pollutant: "no2",
    averaging: "24h",
    value: 100,
    effectiveFrom: QCVN_IN_FORCE,
    source: QCVN,
  },
  {
    standard: "qcvn",
    pollutant: "o3",
    averaging: "1h",
    value: 200,
    effectiveFrom: QCVN_IN_FORCE,
    source: QCVN,
  },
  {
    standard: "qcvn",
    pollutant: "o3",
    averaging: "8h",
    value: 120,
    effectiveFrom: QCVN_IN_FORCE,
    source: QCVN,
  },
  {
    standard: "qcvn",
    pollutant: "pm10",
    averaging: "24h",
    value: 100,
    effectiveFrom: QCVN_IN_FORCE,
    source: QCVN,
  },
  {
    standard: "qcvn",
    pollutant: "pm25",
    averaging: "24h",
    value: 50,
    effectiveFrom: QCVN_IN_FORCE,
    source: QCVN,
  },
  {
    standard: "qcvn",
    pollutant: "pm25",
    averaging: "24h",
    value: 45,
    effectiveFrom: "2026-01-01",
    source: QCVN,
    note: "The regulation marks a PM2.5 value of 45 as applying from 2026-01-01; the text was not available to confirm its cell. Applied to the 24-hour limit (the stricter reading). If it belongs elsewhere, change this row.",
  },
  { standard: "who", pollutant: "pm25", averaging: "24h", value: 15, effectiveFrom: null, source: WHO },
  { standard: "who", pollutant: "pm10", averaging: "24h", value: 45, effectiveFrom: null, source: WHO },
  { standard: "who", pollutant: "no2", averaging: "24h", value: 25, effectiveFrom: null, source: WHO },
  { standard: "who", pollutant: "so2", averaging: "24h", value: 40, effectiveFrom: null, source: WHO },
  { standard: "who", pollutant: "co", averaging: "24h", value: 4000, effectiveFrom: null, source: WHO },
  // WHO's O3 guideline is for the daily maximum 8-hour mean.
  { standard: "who", pollutant: "o3", averaging: "8h", value: 100, effectiveFrom: null, source: WHO },
];

/** Limits with their own boolean column in view_daily_average (the ones a dashboard headlines). */
export const HEADLINE_LIMITS: ReadonlyArray<{ standard: LimitStandard; code: string }> = [
  { standard: "qcvn", code: "pm25/24h" },
  { standard: "qcvn", code: "pm10/24h" },
  { standard: "qcvn", code: "no2/1h" },
  { standard: "qcvn", code: "o3/8h" },
  { standard: "who", code: "pm25/24h" },
  { standard: "who", code: "pm10/24h" },
];

export const limitCode = (l: Pick<AirQualityLimit, "pollutant" | "averaging">): string =>
  `${l.pollutant}/${l.averaging}`;

/** `qcvn_pm25_24h_exceeded` for `qcvn` + `pm25/24h`. */
export const exceededColumn = (standard: LimitStandard, code: string): string =>
  `${standard}_${code.replace("/", "_")}_exceeded`;

/** The (standard, code) pairs in table order, each once. */
export function limitKeys(standard: LimitStandard): string[] {
  return [...new Set(AIR_QUALITY_LIMITS.filter((l) => l.standard === standard).map(limitCode))];
}

/**
 * SQL for the limit in force on the DATE expression `day` for a (standard, code): the row with the
 * latest effectiveFrom on or before the day; NULL before the first row takes effect.
 */
export function limitValueSql(standard: LimitStandard, code: string, day: string): string {
  const rows = AIR_QUALITY_LIMITS.filter((l) => l.standard === standard && limitCode(l) === code).sort(
    (a, b) => (b.effectiveFrom ?? "").localeCompare(a.effectiveFrom ?? ""),
  );
  const always = rows.find((r) => r.effectiveFrom === null);
  const dated = rows.filter((r) => r.effectiveFrom !== null);
  // DOUBLE on both engines (a literal like 50.0 is a DECIMAL)
  const value = (r: AirQualityLimit | undefined) =>
    r ? `CAST(${r.value} AS DOUBLE)` : "CAST(NULL AS DOUBLE)";
  if (dated.length === 0) return value(always);
  const branches = dated.map((r) => `WHEN ${day} >= DATE '${r.effectiveFrom}' THEN ${value(r)}`);
  return `CASE ${branches.join(" ")} ELSE ${value(always)} END`;
}
