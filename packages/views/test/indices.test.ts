import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  AIR_QUALITY_LIMITS,
  aqiCategorySql,
  aqiSql,
  type DuckDbEngine,
  limitValueSql,
  openDuckDbEngine,
  truncatedPm25Sql,
  VN_AQI_CATEGORIES,
  type VnAqiTable,
  vnCategorySql,
  vnOverallSql,
  vnSubIndexSql,
} from "../src/index.js";

/**
 * The index SQL fragments, evaluated on DuckDB (with the Trino compatibility layer) over literal
 * concentrations. Every expected value below is hand-computed from Decision 1459/QĐ-TCMT's formula
 * AQI = (I[i+1] − I[i]) / (BP[i+1] − BP[i]) × (C − BP[i]) + I[i] (or EPA's), one example on each
 * breakpoint and one inside each band, per table. The Decision's own worked examples (a NowCast of
 * 20.3, an hourly AQI of 60, a daily AQI of 110) could not be retrieved with their inputs, so these
 * hand-computed examples stand in for them.
 */
const VN_EXAMPLES: Record<VnAqiTable, Array<[c: number, index: number | null]>> = {
  pm25: [
    [0, 0],
    [0.25, 1],
    [12.5, 25],
    [24.7, 49],
    [25, 50],
    [37.5, 75],
    [50, 100],
    [65, 125],
    [80, 150],
    [115, 175],
    [150, 200],
    [200, 250],
    [250, 300],
    [300, 350],
    [350, 400],
    [425, 450],
    [500, 500],
    [600, 500],
  ],
  pm10: [
    [0, 0],
    [25, 25],
    [50, 50],
    [100, 75],
    [150, 100],
    [200, 125],
    [250, 150],
    [300, 175],
    [350, 200],
    [385, 250],
    [420, 300],
    [460, 350],
    [500, 400],
    [550, 450],
    [600, 500],
    [700, 500],
  ],
  o3_1h: [
    [0, 0],
    [80, 25],
    [160, 50],
    [180, 75],
    [200, 100],
    [250, 125],
    [300, 150],
    [350, 175],
    [400, 200],
    [600, 250],
    [800, 300],
    [900, 350],
    [1000, 400],
    [1100, 450],
    [1200, 500],
    [1300, 500],
  ],
  // the 8-hour table ends at 400 µg/m³ (index 300); above it the 8-hour value is not used
  o3_8h: [
    [0, 0],
    [50, 25],
    [100, 50],
    [110, 75],
    [120, 100],
    [145, 125],
    [170, 150],
    [190, 175],
    [210, 200],
    [305, 250],
    [400, 300],
    [400.1, null],
    [500, null],
  ],
  co: [
    [0, 0],
    [5000, 25],
    [10000, 50],
    [20000, 75],
    [30000, 100],
    [37500, 125],
    [45000, 150],
    [52500, 175],
    [60000, 200],
    [75000, 250],
    [90000, 300],
    [105000, 350],
    [120000, 400],
    [135000, 450],
    [150000, 500],
    [200000, 500],
  ],
  so2: [
    [0, 0],
    [62.5, 25],
    [125, 50],
    [237.5, 75],
    [350, 100],
    [450, 125],
    [550, 150],
    [675, 175],
    [800, 200],
    [1200, 250],
    [1600, 300],
    [1850, 350],
    [2100, 400],
    [2365, 450],
    [2630, 500],
    [3000, 500],
  ],
  no2: [
    [0, 0],
    [50, 25],
    [100, 50],
    [118.7, 59],
    [150, 75],
    [200, 100],
    [450, 125],
    [700, 150],
    [950, 175],
    [1200, 200],
    [1775, 250],
    [2350, 300],
    [2725, 350],
    [3100, 400],
    [3475, 450],
    [3850, 500],
    [4000, 500],
  ],
};

let lake: string;
let engine: DuckDbEngine;

beforeAll(async () => {
  lake = await mkdtemp(join(tmpdir(), "indices-"));
  engine = await openDuckDbEngine({ lakeRoot: lake, env: "dev", persistent: false });
});
afterAll(async () => {
  await engine?.close();
  await rm(lake, { recursive: true, force: true });
});

/** Evaluates `expr(column)` for each value, in order. */
async function evaluate(values: Array<number | null>, expr: (c: string) => string): Promise<unknown[]> {
  const rows = values.map((v, i) => `(${i}, CAST(${v === null ? "NULL" : v} AS DOUBLE))`).join(", ");
  const r = await engine.query(`SELECT ${expr("c")} AS out FROM (VALUES ${rows}) AS t(i, c) ORDER BY i`);
  return r.rows.map((row) => row.out);
}

describe("VN_AQI sub-indices (Decision 1459/QĐ-TCMT)", () => {
  for (const [table, examples] of Object.entries(VN_EXAMPLES) as Array<
    [VnAqiTable, typeof VN_EXAMPLES.pm25]
  >) {
    it(`${table}: every breakpoint, inside every band, capped or cut off above the table`, async () => {
      const got = await evaluate(
        examples.map(([c]) => c),
        (c) => vnSubIndexSql(table, c),
      );
      expect(examples.map(([c], i) => [c, got[i]])).toEqual(examples);
    });
  }

  it("no value for a missing or negative concentration", async () => {
    expect(await evaluate([null, -1], (c) => vnSubIndexSql("pm25", c))).toEqual([null, null]);
  });

  it("categories: Vietnamese and English names and the Decision's colours at each band edge", async () => {
    // Each band, lowest and highest index: the category must be the same at both edges.
    const bands: Array<[number, number, string, string, string]> = [
      [0, 50, "Tốt", "Good", "#00E400"],
      [51, 100, "Trung bình", "Moderate", "#FFFF00"],
      [101, 150, "Kém", "Poor", "#FF7E00"],
      [151, 200, "Xấu", "Bad", "#FF0000"],
      [201, 300, "Rất xấu", "Very bad", "#8F3F97"],
      [301, 500, "Nguy hại", "Hazardous", "#7E0023"],
    ];
    const edges = bands.flatMap(
      ([low, high, ...names]): Array<[number, string, string, string]> => [
        [low, ...names],
        [high, ...names],
      ],
    );
    const at = edges.map(([i]) => i);
    const vi = await evaluate(at, (c) => vnCategorySql(c, "vi"));
    const en = await evaluate(at, (c) => vnCategorySql(c, "en"));
    const color = await evaluate(at, (c) => vnCategorySql(c, "color"));
    expect(edges.map(([i], k) => [i, vi[k], en[k], color[k]])).toEqual(edges);
    // the hex colours are the Decision's RGB triples
    for (const c of VN_AQI_CATEGORIES)
      expect(c.color).toBe(`#${c.rgb.map((x) => x.toString(16).padStart(2, "0").toUpperCase()).join("")}`);
  });

  it("overall: the largest sub-index, only when PM2.5 or PM10 has one", async () => {
    const r = await engine.query(
      `SELECT ${vnOverallSql(["pm25", "pm10", "no2"], ["pm25", "pm10"])} AS out
       FROM (VALUES (1, 60, NULL, 105), (2, NULL, 40, 20), (3, NULL, NULL, 180), (4, 0, NULL, NULL)) AS t(i, pm25, pm10, no2)
       ORDER BY i`,
    );
    expect(r.rows.map((x) => x.out)).toEqual([105, 40, null, 0]);
  });
});

describe("US EPA AQI (PM2.5, 2024 breakpoints)", () => {
  const EDGES: Array<[pm25: number, aqi: number, category: string]> = [
    [0, 0, "Good"],
    [4.5, 25, "Good"], // 0 + 4.5 × 50 / 9
    [9.0, 50, "Good"],
    [9.09, 50, "Good"], // truncated to 9.0
    [9.1, 51, "Moderate"],
    [35.4, 100, "Moderate"],
    [35.49, 100, "Moderate"], // truncated to 35.4
    [35.5, 101, "Unhealthy for Sensitive Groups"],
    [55.4, 150, "Unhealthy for Sensitive Groups"],
    [55.5, 151, "Unhealthy"],
    [125.4, 200, "Unhealthy"],
    [125.5, 201, "Very Unhealthy"],
    [225.4, 300, "Very Unhealthy"],
    [225.5, 301, "Hazardous"],
    [325.4, 500, "Hazardous"],
    [325.5, 500, "Hazardous"], // beyond the scale: capped
    [600, 500, "Hazardous"],
  ];
  it("at each breakpoint edge, after truncation to 0.1 µg/m³", async () => {
    const at = EDGES.map(([c]) => c);
    const aqi = await evaluate(at, (c) => aqiSql(truncatedPm25Sql(c)));
    const cat = await evaluate(at, (c) => aqiCategorySql(truncatedPm25Sql(c)));
    expect(EDGES.map(([c], i) => [c, aqi[i], cat[i]])).toEqual(EDGES);
  });
});

describe("limits as date-effective data", () => {
  it("QCVN PM2.5 24 h: none before QCVN 05:2023 took effect, 50, then 45 from 2026-01-01; WHO on every day", async () => {
    const days = ["2023-09-11", "2023-09-12", "2025-12-31", "2026-01-01", "2027-06-01"];
    const r = await engine.query(
      `SELECT ${limitValueSql("qcvn", "pm25/24h", "d")} AS qcvn, ${limitValueSql("who", "pm25/24h", "d")} AS who
       FROM (VALUES ${days.map((d, i) => `(${i}, DATE '${d}')`).join(", ")}) AS t(i, d) ORDER BY i`,
    );
    expect(r.rows.map((x) => [x.qcvn, x.who])).toEqual([
      [null, 15],
      [50, 15],
      [50, 15],
      [45, 15],
      [45, 15],
    ]);
  });

  it("every limit row names its source; a dated row says when it starts", () => {
    for (const l of AIR_QUALITY_LIMITS) {
      expect(l.source.length).toBeGreaterThan(10);
      if (l.effectiveFrom !== null) expect(l.effectiveFrom).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    }
  });
});
