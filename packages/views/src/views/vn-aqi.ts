/**
 * VN_AQI, Vietnam's air-quality index: Decision 1459/QĐ-TCMT of 12 November 2019 (Vietnam
 * Environment Administration), "Hướng dẫn kỹ thuật tính toán và công bố chỉ số chất lượng không
 * khí Việt Nam". The breakpoint table and the categories are defined here once; the view SQL is
 * rendered from them.
 *
 * Sub-index: AQI_x = (I[i+1] − I[i]) / (BP[i+1] − BP[i]) × (C_x − BP[i]) + I[i] with
 * BP[i] ≤ C_x < BP[i+1], concentrations in µg/m³. The interpolation is continuous, so a value on a
 * breakpoint gets that breakpoint's index from either side. Above the last breakpoint the index is
 * capped at 500 (the scale ends there), except O3 8-hour, whose table stops at 400 µg/m³: above
 * it the 8-hour value is not used (the 1-hour value is).
 */

/** The sub-index tables. `o3_1h` and `o3_8h` are the two ozone averaging times. */
export type VnAqiTable = "pm25" | "pm10" | "o3_1h" | "o3_8h" | "co" | "so2" | "no2";

/** Index values I[i] at the breakpoints. */
export const VN_AQI_INDEX_LEVELS: readonly number[] = [0, 50, 100, 150, 200, 300, 400, 500];

/** Breakpoints BP[i] (µg/m³) per table, aligned with VN_AQI_INDEX_LEVELS; Decision 1459 Table 2. */
export const VN_AQI_BREAKPOINTS: Readonly<Record<VnAqiTable, readonly number[]>> = {
  o3_1h: [0, 160, 200, 300, 400, 800, 1000, 1200],
  o3_8h: [0, 100, 120, 170, 210, 400],
  co: [0, 10000, 30000, 45000, 60000, 90000, 120000, 150000],
  so2: [0, 125, 350, 550, 800, 1600, 2100, 2630],
  no2: [0, 100, 200, 700, 1200, 2350, 3100, 3850],
  pm10: [0, 50, 150, 250, 350, 420, 500, 600],
  pm25: [0, 25, 50, 80, 150, 250, 350, 500],
};

export interface VnAqiCategory {
  /** Highest index of the band (inclusive); bands start one above the previous band's maximum. */
  readonly max: number;
  readonly vi: string;
  readonly en: string;
  /** The Decision's RGB, as a hex colour for dashboards. */
  readonly color: string;
  readonly rgb: readonly [number, number, number];
}

/** Decision 1459 Table 1 (colours confirmed on the national monitoring centre's site, cem.gov.vn). */
export const VN_AQI_CATEGORIES: readonly VnAqiCategory[] = [
  { max: 50, vi: "Tốt", en: "Good", color: "#00E400", rgb: [0, 228, 0] },
  { max: 100, vi: "Trung bình", en: "Moderate", color: "#FFFF00", rgb: [255, 255, 0] },
  { max: 150, vi: "Kém", en: "Poor", color: "#FF7E00", rgb: [255, 126, 0] },
  { max: 200, vi: "Xấu", en: "Bad", color: "#FF0000", rgb: [255, 0, 0] },
  { max: 300, vi: "Rất xấu", en: "Very bad", color: "#8F3F97", rgb: [143, 63, 151] },
  { max: 500, vi: "Nguy hại", en: "Hazardous", color: "#7E0023", rgb: [126, 0, 35] },
];

/** The top of the scale: higher concentrations are reported as 500. */
export const VN_AQI_MAX = 500;

/** A double literal: Trino divides int by int as integers, DuckDB (with the compat setting) too. */
export const dbl = (n: number): string => (Number.isInteger(n) ? `${n}.0` : String(n));
const sqlString = (s: string): string => `'${s.replaceAll("'", "''")}'`;

/**
 * SQL for the (rounded, INTEGER) sub-index of the concentration column `c` in table `table`; NULL
 * when `c` is NULL or negative, or, for O3 8-hour, above the table.
 */
export function vnSubIndexSql(table: VnAqiTable, c: string): string {
  const bp = VN_AQI_BREAKPOINTS[table];
  const branches: string[] = [];
  for (let i = 0; i + 1 < bp.length; i++) {
    const lo = bp[i] as number;
    const hi = bp[i + 1] as number;
    const iLo = VN_AQI_INDEX_LEVELS[i] as number;
    const iHi = VN_AQI_INDEX_LEVELS[i + 1] as number;
    branches.push(
      `WHEN ${c} < ${dbl(hi)} THEN CAST(round(${dbl(iLo)} + (${c} - ${dbl(lo)}) * ${dbl(iHi - iLo)} / ${dbl(hi - lo)}) AS INTEGER)`,
    );
  }
  const top = bp[bp.length - 1] as number;
  const tail =
    bp.length < VN_AQI_INDEX_LEVELS.length
      ? `WHEN ${c} = ${dbl(top)} THEN ${VN_AQI_INDEX_LEVELS[bp.length - 1]} ELSE NULL -- not used above ${top} µg/m³`
      : `ELSE ${VN_AQI_MAX} -- beyond the top of the scale: capped`;
  return ["CASE", `WHEN ${c} IS NULL OR ${c} < 0 THEN NULL`, ...branches, tail, "END"].join("\n      ");
}

/** SQL for a category field (`vi`, `en` or `color`) of the index column `aqi`; NULL when `aqi` is NULL. */
export function vnCategorySql(aqi: string, field: "vi" | "en" | "color"): string {
  const last = VN_AQI_CATEGORIES[VN_AQI_CATEGORIES.length - 1] as VnAqiCategory;
  const branches = VN_AQI_CATEGORIES.slice(0, -1).map(
    (c) => `WHEN ${aqi} <= ${c.max} THEN ${sqlString(c[field])}`,
  );
  return `CASE WHEN ${aqi} IS NULL THEN NULL ${branches.join(" ")} ELSE ${sqlString(last[field])} END`;
}

/**
 * The overall index from sub-index columns: their maximum, only when PM2.5 or PM10 has a value (the
 * Decision requires at least one of them). NULL sub-indices are skipped (written without `greatest`
 * over NULLs, which Trino and DuckDB treat differently).
 */
export function vnOverallSql(subIndices: readonly string[], pm: readonly string[]): string {
  const present = pm.map((p) => `${p} IS NOT NULL`).join(" OR ");
  return `CASE WHEN ${present} THEN greatest(${subIndices.map((s) => `coalesce(${s}, -1)`).join(", ")}) END`;
}
