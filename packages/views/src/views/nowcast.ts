/**
 * The PM NowCast (US EPA; the same formula in Decision 1459/QĐ-TCMT for the hourly VN_AQI of PM2.5
 * and PM10): from the hourly means c1…c12 of the last 12 hours, c1 the newest,
 *   w* = c_min / c_max,  w = w* if w* > 1/2 else 1/2,
 *   NowCast = Σ w^(i−1)·c_i / Σ w^(i−1) over the hours present (a missing hour has no term),
 * valid only when at least 2 of the 3 newest hours are present.
 *
 * The Decision writes the w = 1/2 case as Σ (1/2)^i·c_i, an approximation of the same ratio (the
 * denominator Σ (1/2)^(i−1) over 12 hours is 1.9995, not 2); the exact ratio is used for both
 * indices. EPA truncates the PM2.5 NowCast to 0.1 µg/m³ before its AQI (aqi.ts does).
 */
export const NOWCAST_HOURS = 12;
/** At least this many of the NOWCAST_RECENT_HOURS newest hours must be present. */
export const NOWCAST_MIN_RECENT = 2;
export const NOWCAST_RECENT_HOURS = 3;
export const NOWCAST_MIN_WEIGHT = 0.5;

/** SQL for the weight w from the window's minimum and maximum hourly means (all ≥ 0). */
export function nowcastWeightSql(cMin: string, cMax: string): string {
  // c_max = 0: every hour is 0, any weight gives 0; 1 keeps the division well defined.
  return `CASE WHEN ${cMax} = 0 THEN 1.0 WHEN ${cMin} / ${cMax} > ${NOWCAST_MIN_WEIGHT} THEN ${cMin} / ${cMax} ELSE ${NOWCAST_MIN_WEIGHT} END`;
}
