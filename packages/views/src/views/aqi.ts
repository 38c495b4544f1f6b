/**
 * US EPA AQI from PM2.5, with the breakpoints of the 2024 PM NAAQS revision (EPA-454/B-24-002):
 * the concentration is truncated to 0.1 µg/m³, then interpolated linearly inside its band and
 * rounded to the nearest integer. Above 325.4 µg/m³ the index is capped at 500.
 *
 * The SQL is generated from this one table, so both views use identical AQI logic.
 */
export interface AqiBand {
  /** Concentration band, µg/m³, after truncation to 0.1. */
  readonly cLow: number;
  readonly cHigh: number;
  readonly iLow: number;
  readonly iHigh: number;
  readonly category: string;
}

export const PM25_AQI_BANDS_2024: readonly AqiBand[] = [
  { cLow: 0.0, cHigh: 9.0, iLow: 0, iHigh: 50, category: "Good" },
  { cLow: 9.1, cHigh: 35.4, iLow: 51, iHigh: 100, category: "Moderate" },
  { cLow: 35.5, cHigh: 55.4, iLow: 101, iHigh: 150, category: "Unhealthy for Sensitive Groups" },
  { cLow: 55.5, cHigh: 125.4, iLow: 151, iHigh: 200, category: "Unhealthy" },
  { cLow: 125.5, cHigh: 225.4, iLow: 201, iHigh: 300, category: "Very Unhealthy" },
  { cLow: 225.5, cHigh: 325.4, iLow: 301, iHigh: 500, category: "Hazardous" },
];

export const AQI_CATEGORIES: readonly string[] = PM25_AQI_BANDS_2024.map((b) => b.category);

const num = (n: number): string => n.toFixed(1);

/**
 * PM2.5 truncated to 0.1 µg/m³. The tiny epsilon keeps a value like 35.4, whose binary double is
 * 35.39999…, from flooring to 35.3 when multiplied by 10. Doubles throughout: Trino's int/int
 * division truncates and DuckDB's may not, so no integer division appears anywhere.
 */
export function truncatedPm25Sql(pm25: string): string {
  return `floor(${pm25} * 10 + 1e-9) / 10`;
}

/** SQL for the AQI (INTEGER) of a truncated PM2.5 column `c`; NULL when `c` is NULL or negative. */
export function aqiSql(c: string): string {
  const last = PM25_AQI_BANDS_2024[PM25_AQI_BANDS_2024.length - 1] as AqiBand;
  const bands = PM25_AQI_BANDS_2024.map(
    (b) =>
      `      WHEN ${c} <= ${num(b.cHigh)} THEN CAST(round(${b.iLow} + (${c} - ${num(b.cLow)}) * ${b.iHigh - b.iLow} / ${num(b.cHigh - b.cLow)}) AS INTEGER)`,
  );
  return [
    "CASE",
    `      WHEN ${c} IS NULL OR ${c} < 0 THEN NULL`,
    ...bands,
    `      ELSE ${last.iHigh} -- beyond the top of the scale: capped`,
    "    END",
  ].join("\n");
}

/** SQL for the AQI category (VARCHAR) of a truncated PM2.5 column `c`. */
export function aqiCategorySql(c: string): string {
  const last = PM25_AQI_BANDS_2024[PM25_AQI_BANDS_2024.length - 1] as AqiBand;
  return [
    "CASE",
    `      WHEN ${c} IS NULL OR ${c} < 0 THEN NULL`,
    ...PM25_AQI_BANDS_2024.slice(0, -1).map((b) => `      WHEN ${c} <= ${num(b.cHigh)} THEN '${b.category}'`),
    `      ELSE '${last.category}' -- above ${num(PM25_AQI_BANDS_2024[PM25_AQI_BANDS_2024.length - 2]?.cHigh ?? 0)}, capped scale included`,
    "    END",
  ].join("\n");
}
