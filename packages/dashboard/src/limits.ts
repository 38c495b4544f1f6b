import { AIR_QUALITY_LIMITS, type LimitStandard } from "@openaq-lakehouse/views";

/**
 * 24-hour limits a daily mean can be held against, in µg/m³, drawn as lines on the trend. They are
 * the views' own limit rows (QCVN 05:2023/BTNMT and the WHO 2021 guidelines, with their sources and
 * effective dates, `AIR_QUALITY_LIMITS`): the 24-hour rows in force on the given day. Limits for other
 * averaging times only (O3: 1 h and 8 h; CO in QCVN: 1 h and 8 h) get no line: a daily mean cannot be
 * compared to them.
 *
 * The dashboard reads these through `/api/limits`, so the page holds no copy.
 */
export interface DailyLimit {
  /** `avg_<pollutant>` column of view_daily_average the limit applies to. */
  readonly pollutant: string;
  readonly source: "QCVN 05:2023" | "WHO 2021";
  readonly ugm3: number;
}

const LABEL: Record<LimitStandard, DailyLimit["source"]> = { qcvn: "QCVN 05:2023", who: "WHO 2021" };

/** The 24-hour limits in force on `day` (YYYY-MM-DD; default today, UTC), one per pollutant and standard. */
export function dailyLimits(day: string = new Date().toISOString().slice(0, 10)): DailyLimit[] {
  const inForce = new Map<string, (typeof AIR_QUALITY_LIMITS)[number]>();
  for (const l of AIR_QUALITY_LIMITS) {
    if (l.averaging !== "24h" || (l.effectiveFrom !== null && l.effectiveFrom > day)) continue;
    const key = `${l.standard}/${l.pollutant}`;
    const current = inForce.get(key);
    if (!current || (current.effectiveFrom ?? "") < (l.effectiveFrom ?? "")) inForce.set(key, l);
  }
  return [...inForce.values()]
    .sort((a, b) => a.pollutant.localeCompare(b.pollutant) || a.standard.localeCompare(b.standard))
    .map((l) => ({ pollutant: l.pollutant, source: LABEL[l.standard], ugm3: l.value }));
}
