/**
 * An independent implementation of the serving views' indices, in plain TypeScript, for the
 * end-to-end tests: written from the published formulas (Decision 1459/QĐ-TCMT for VN_AQI, EPA for
 * the NowCast and the PM2.5 AQI, QCVN 05:2023/BTNMT and WHO 2021 for limits), with its own
 * transcription of their tables. It shares no code with the views' SQL on purpose: the two are
 * checked against each other.
 */

const HOUR = 3_600_000;

/** µg/m³ of a reading, or null when it cannot count (negative, flagged, foreign unit). */
export function ugm3(r: {
  parameter: string;
  unit: string;
  value: number;
  has_flags?: boolean | null;
}): number | null {
  if (r.has_flags === true || r.value < 0) return null;
  if (r.unit === "µg/m³" || r.unit === "μg/m³" || r.unit === "ug/m3") return r.value;
  const molar: Record<string, number> = { no2: 46.0055, o3: 47.9982, co: 28.0101, so2: 64.066 };
  const m = molar[r.parameter];
  return r.unit === "ppm" && m !== undefined ? (r.value * m * 1000) / 24.45 : null;
}

const VN_I = [0, 50, 100, 150, 200, 300, 400, 500];
const VN_BP: Record<string, number[]> = {
  pm25: [0, 25, 50, 80, 150, 250, 350, 500],
  pm10: [0, 50, 150, 250, 350, 420, 500, 600],
  o3_1h: [0, 160, 200, 300, 400, 800, 1000, 1200],
  o3_8h: [0, 100, 120, 170, 210, 400],
  co: [0, 10000, 30000, 45000, 60000, 90000, 120000, 150000],
  so2: [0, 125, 350, 550, 800, 1600, 2100, 2630],
  no2: [0, 100, 200, 700, 1200, 2350, 3100, 3850],
};

/** VN_AQI sub-index, rounded; null without a value or above the O3 8-hour table. */
export function vnSubIndex(table: string, c: number | null | undefined): number | null {
  if (c === null || c === undefined || c < 0) return null;
  const bp = VN_BP[table] as number[];
  for (let i = 0; i + 1 < bp.length; i++) {
    const lo = bp[i] as number;
    const hi = bp[i + 1] as number;
    if (c < hi)
      return Math.round(
        (((VN_I[i + 1] as number) - (VN_I[i] as number)) / (hi - lo)) * (c - lo) + (VN_I[i] as number),
      );
  }
  if (bp.length < VN_I.length) return c === bp[bp.length - 1] ? (VN_I[bp.length - 1] as number) : null;
  return 500;
}

export function vnOverall(sub: Record<string, number | null>): number | null {
  if (sub.pm25 === null && sub.pm10 === null) return null;
  return Math.max(...Object.values(sub).filter((x): x is number => x !== null));
}

export function vnCategory(aqi: number | null): string | null {
  if (aqi === null) return null;
  const names: Array<[number, string]> = [
    [50, "Tốt"],
    [100, "Trung bình"],
    [150, "Kém"],
    [200, "Xấu"],
    [300, "Rất xấu"],
  ];
  return names.find(([max]) => aqi <= max)?.[1] ?? "Nguy hại";
}

/** US EPA AQI for PM2.5, 2024 breakpoints, from the concentration truncated to 0.1 µg/m³. */
export function epaAqi(pm25: number | null): number | null {
  if (pm25 === null) return null;
  const c = Math.floor(pm25 * 10 + 1e-9) / 10;
  const bands: Array<[number, number, number, number]> = [
    [0, 9.0, 0, 50],
    [9.1, 35.4, 51, 100],
    [35.5, 55.4, 101, 150],
    [55.5, 125.4, 151, 200],
    [125.5, 225.4, 201, 300],
    [225.5, 325.4, 301, 500],
  ];
  if (c > 325.4) return 500;
  const [cl, ch, il, ih] = bands.find(([lo, hi]) => c >= lo && c <= hi) as [number, number, number, number];
  return Math.round(((ih - il) / (ch - cl)) * (c - cl) + il);
}

/**
 * The PM NowCast at hour `h` (epoch ms of the hour's start) from hourly means by hour start: 12 hours
 * ending with h, w = max(c_min / c_max, 1/2), at least 2 of the 3 newest hours present.
 */
export function nowcast(hourly: Map<number, number>, h: number): number | null {
  const present: Array<[i: number, c: number]> = [];
  for (let i = 0; i < 12; i++) {
    const c = hourly.get(h - i * HOUR);
    if (c !== undefined) present.push([i, c]);
  }
  if (present.filter(([i]) => i < 3).length < 2) return null;
  const cs = present.map(([, c]) => c);
  const max = Math.max(...cs);
  const w = max === 0 ? 1 : Math.max(Math.min(...cs) / max, 0.5);
  let num = 0;
  let den = 0;
  for (const [i, c] of present) {
    num += w ** i * c;
    den += w ** i;
  }
  return num / den;
}

/** QCVN 05:2023 limits (µg/m³) for a day, with the PM2.5 24-hour value of 45 from 2026-01-01. */
export function qcvnLimits(day: string): Record<string, number> {
  if (day < "2023-09-12") return {};
  return {
    "so2/1h": 350,
    "so2/24h": 125,
    "co/1h": 30000,
    "co/8h": 10000,
    "no2/1h": 200,
    "no2/24h": 100,
    "o3/1h": 200,
    "o3/8h": 120,
    "pm10/24h": 100,
    "pm25/24h": day >= "2026-01-01" ? 45 : 50,
  };
}

export const WHO_LIMITS: Record<string, number> = {
  "pm25/24h": 15,
  "pm10/24h": 45,
  "no2/24h": 25,
  "so2/24h": 40,
  "co/24h": 4000,
  "o3/8h": 100,
};
