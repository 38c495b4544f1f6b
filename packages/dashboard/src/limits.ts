/**
 * 24-hour limits a daily mean can be held against, in µg/m³, drawn as lines on the trend.
 * Sources: QCVN 05:2023/BTNMT (Vietnam, in force from 12 September 2023) and the WHO global
 * air-quality guidelines (2021). Pollutants whose limits are set for other averaging times only
 * (O3: 1 h and 8 h; CO in QCVN: 1 h and 8 h) get no line: a daily mean cannot be compared to them.
 *
 * The dashboard reads these through `/api/limits`, so the page holds no copy.
 */
export interface DailyLimit {
  /** `avg_<pollutant>` column of view_daily_average the limit applies to. */
  readonly pollutant: string;
  readonly source: "QCVN 05:2023" | "WHO 2021";
  readonly ugm3: number;
}

export const DAILY_LIMITS: readonly DailyLimit[] = [
  { pollutant: "pm25", source: "QCVN 05:2023", ugm3: 50 },
  { pollutant: "pm25", source: "WHO 2021", ugm3: 15 },
  { pollutant: "pm10", source: "QCVN 05:2023", ugm3: 100 },
  { pollutant: "pm10", source: "WHO 2021", ugm3: 45 },
  { pollutant: "no2", source: "QCVN 05:2023", ugm3: 100 },
  { pollutant: "no2", source: "WHO 2021", ugm3: 25 },
  { pollutant: "so2", source: "QCVN 05:2023", ugm3: 125 },
  { pollutant: "so2", source: "WHO 2021", ugm3: 40 },
  { pollutant: "co", source: "WHO 2021", ugm3: 4000 },
];
