import { rm } from "node:fs/promises";
import { formatIsoDay, type MeasurementRow } from "@openaq-lakehouse/pipeline-core";
import { place, reading, tempLake, utcToday, writeLake } from "@openaq-lakehouse/test-support/lake";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DuckDbEngine, deployViews, openDuckDbEngine, type QueryResult } from "../src/index.js";

/**
 * The indices through the deployed views on DuckDB: current (hourly) indices in view_latest_aqi from
 * fixtures placed relative to the latest complete UTC hour, daily indices and exceedances in
 * view_daily_average on fixed local days. Every expected number is hand-computed in the comments
 * from the formulas (Decision 1459/QĐ-TCMT, EPA NowCast and AQI), not from the code under test.
 */
const HOUR = 3_600_000;
const VN_OFFSET = 7 * HOUR;
const iso = (ms: number) => new Date(ms).toISOString().replace("T", " ").replace("Z", "");

let H: number; // start of the latest complete UTC hour
let root: string;
let engine: DuckDbEngine;

/** Hourly readings `values[i]` at H - i hours (null: no reading that hour). Sensor ids are unique, as in OpenAQ. */
function series(
  location: number,
  sensor: number,
  parameter: string,
  values: Array<number | null>,
): MeasurementRow[] {
  return values.flatMap((value, i) =>
    value === null
      ? []
      : [reading({ location_id: location, sensor_id: sensor, parameter, value, datetime: H - i * HOUR })],
  );
}

/** Readings at the given LOCAL hours (Asia/Ho_Chi_Minh, UTC+7) of `day`. */
function localHours(
  location: number,
  sensor: number,
  parameter: string,
  day: string,
  hours: number[],
  value: number,
  extra: Partial<MeasurementRow> = {},
): MeasurementRow[] {
  const midnight = Date.parse(`${day}T00:00:00Z`) - VN_OFFSET;
  return hours.map((h) =>
    reading({
      location_id: location,
      sensor_id: sensor,
      parameter,
      value,
      datetime: midnight + h * HOUR,
      ...extra,
    }),
  );
}
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);
const ALL_DAY = range(0, 23);

function fixture(): {
  measurements: MeasurementRow[];
  snapshots: Record<string, ReturnType<typeof place>[]>;
} {
  const zeros = (n: number) => Array.from({ length: n }, () => 0);
  const m: MeasurementRow[] = [
    // 501: stable PM2.5 of 20 over 12 hours, gases in the index hour, a PM2.5 in the unfinished hour
    ...series(
      501,
      1,
      "pm25",
      Array.from({ length: 12 }, () => 20),
    ),
    reading({ location_id: 501, sensor_id: 5011, parameter: "pm25", value: 300, datetime: H + HOUR }),
    ...series(501, 5012, "no2", [250]),
    ...series(501, 5013, "o3", [180]),
    ...series(501, 5014, "co", [5000]),
    ...series(501, 5015, "so2", [62.5]),
    // 502: EPA's pulse example: 71 µg/m³ in the newest hour, 0 in the 11 before it
    ...series(502, 5021, "pm25", [71, ...zeros(11)]),
    // 503: the same pulse one hour later (now c2)
    ...series(503, 5031, "pm25", [0, 71, ...zeros(10)]),
    // 504: missing hours have no term: c1 = 30, c3 = 10, c5 = 20
    ...series(504, 5041, "pm25", [30, null, 10, null, 20]),
    // 505: only 1 of the 3 newest hours: no NowCast
    ...series(505, 5051, "pm25", [30, null, null, 20, 20, 20, 20, 20, 20, 20, 20, 20]),
    // 506: w* = 30 / 40 = 0.75 > 1/2
    ...series(506, 5061, "pm25", [40, 30, 35]),
    // 507: a flagged reading of 500 from a second sensor never counts
    ...series(507, 5071, "pm25", [20, 20, 20]),
    reading({
      location_id: 507,
      sensor_id: 5072,
      parameter: "pm25",
      value: 500,
      datetime: H,
      has_flags: true,
    }),
    // 508: a constant run of the 985 fill value from a second sensor never counts
    ...series(508, 5081, "pm25", [20, 20, 20]),
    ...series(508, 5082, "pm25", [985, 985]),
    // 509: a lone 985 is a reading like any other
    ...series(509, 5091, "pm25", [20, 20, 20]),
    ...series(509, 5092, "pm25", [985]),
    // 510: NO2 without PM; 511: PM10 only
    ...series(510, 5101, "no2", [250, 250, 250]),
    ...series(511, 5111, "pm10", [100, 100, 100]),

    // ---- daily, fixed local days ----
    // 701: PM2.5 48 all day, the day before and the day the 45 µg/m³ QCVN limit takes effect
    ...localHours(701, 7011, "pm25", "2025-12-31", ALL_DAY, 48),
    ...localHours(701, 7011, "pm25", "2026-01-01", ALL_DAY, 48),
    // 702: PM2.5 30 for 20 hours; O3 150 for 8 hours (08-15)
    ...localHours(702, 7021, "pm25", "2025-06-10", range(0, 19), 30),
    ...localHours(702, 7022, "o3", "2025-06-10", range(8, 15), 150),
    // 703: O3 190 for only 5 hours: no 8-hour mean counts
    ...localHours(703, 7031, "pm25", "2025-06-10", ALL_DAY, 10),
    ...localHours(703, 7032, "o3", "2025-06-10", range(8, 12), 190),
    // 704: O3 450 for 8 hours: above 400 µg/m³ the 8-hour value is not used
    ...localHours(704, 7041, "pm25", "2025-06-10", ALL_DAY, 10),
    ...localHours(704, 7042, "o3", "2025-06-10", range(8, 15), 450),
    // 705: NO2 only
    ...localHours(705, 7051, "no2", "2025-06-10", ALL_DAY, 300),
    // 706: PM2.5 for 17 hours only
    ...localHours(706, 7061, "pm25", "2025-06-10", range(0, 16), 40),
    // 707: PM2.5 10 all day, a 985 run (hours 3-4) and a flagged 900 (hour 5) from a second sensor
    ...localHours(707, 7071, "pm25", "2025-06-10", ALL_DAY, 10),
    ...localHours(707, 7072, "pm25", "2025-06-10", [3, 4], 985),
    ...localHours(707, 7072, "pm25", "2025-06-10", [5], 900, { has_flags: true }),
  ];
  const ids = [...new Set(m.map((r) => r.location_id))];
  const snapshot = ids.map((id) => place({ location_id: id, name: `L${id}`, city: "Hà Nội" }));
  return { measurements: m, snapshots: { [utcToday()]: snapshot, [formatIsoDay(H)]: snapshot } };
}

beforeAll(async () => {
  // Keep clear of an hour boundary, where "the latest complete hour" would move mid-test.
  const toNextHour = HOUR - (Date.now() % HOUR);
  if (toNextHour < 90_000) await new Promise((r) => setTimeout(r, toNextHour + 2_000));
  H = Math.floor(Date.now() / HOUR) * HOUR - HOUR;
  root = await tempLake("vn-aqi-views");
  await writeLake(root, fixture());
  engine = await openDuckDbEngine({ lakeRoot: root, env: "dev", persistent: false });
  await deployViews(engine, { env: "dev" });
}, 180_000);
afterAll(async () => {
  await engine?.close();
  await rm(root, { recursive: true, force: true });
});

const byId = (r: QueryResult) => new Map(r.rows.map((row) => [row.location_id as number, row]));

describe("view_latest_aqi: current indices of the latest complete hour", () => {
  let rows: Map<number, Record<string, unknown>>;
  beforeAll(async () => {
    rows = byId(await engine.query("SELECT * FROM openaq_dev.view_latest_aqi"));
  });

  it("stable air: NowCast = the 12-hour mean; the unfinished hour is not in the index", () => {
    expect(rows.get(501)).toMatchObject({
      pm25: 300, // the latest reading, in the unfinished hour
      latest_datetime_utc: iso(H + HOUR),
      aqi_hour_utc: iso(H),
      pm25_nowcast: 20, // w* = 1
      aqi: 71, // EPA: 51 + (20.0 - 9.1) × 49 / 26.3 = 71.31
      aqi_category: "Moderate",
      vn_aqi_pm25: 40, // 0 + 20 × 50 / 25
      vn_aqi_no2: 105, // 100 + (250 - 200) × 50 / 500
      vn_aqi_o3: 75, // 50 + (180 - 160) × 50 / 40
      vn_aqi_co: 25, // 5000 × 50 / 10000
      vn_aqi_so2: 25, // 62.5 × 50 / 125
      vn_aqi_pm10: null,
      vn_aqi: 105, // the largest sub-index
      vn_aqi_category: "Kém",
      vn_aqi_category_en: "Poor",
      vn_aqi_color: "#FF7E00",
    });
  });

  it("EPA's pulse example: w = 1/2 when c_min / c_max ≤ 1/2", () => {
    // 71 / (1 + 1/2 + … + 1/2^11) = 71 / 1.99951 = 35.509 → 35.5 → AQI 101
    expect(rows.get(502)?.pm25_nowcast as number).toBeCloseTo(71 / 1.99951171875, 9);
    expect(rows.get(502)).toMatchObject({
      aqi: 101,
      aqi_category: "Unhealthy for Sensitive Groups",
      vn_aqi: 71,
    });
    // an hour later: 71 × (1/2) / 1.99951 = 17.754 → 17.7 → 51 + (17.7 - 9.1) × 49 / 26.3 = 67.02
    expect(rows.get(503)?.pm25_nowcast as number).toBeCloseTo(35.5 / 1.99951171875, 9);
    expect(rows.get(503)).toMatchObject({ aqi: 67, vn_aqi_pm25: 36 }); // 17.754 × 2 = 35.51
  });

  it("missing hours have no term; 2 of the 3 newest hours are required", () => {
    // c1 = 30, c3 = 10, c5 = 20; w* = 1/3 → 1/2: (30 + 10/4 + 20/16) / (1 + 1/4 + 1/16) = 25.714
    expect(rows.get(504)?.pm25_nowcast as number).toBeCloseTo(33.75 / 1.3125, 9);
    expect(rows.get(504)).toMatchObject({ aqi: 82, vn_aqi_pm25: 51 }); // 25.7 → 81.93; 50 + 0.714 × 2 = 51.43
    expect(rows.get(505)).toMatchObject({
      pm25_nowcast: null,
      aqi: null,
      aqi_category: null,
      vn_aqi_pm25: null,
      vn_aqi: null,
      vn_aqi_category: null,
    });
  });

  it("w = c_min / c_max above 1/2", () => {
    // w = 0.75: (40 + 30 × 0.75 + 35 × 0.5625) / 2.3125 = 35.5405
    expect(rows.get(506)?.pm25_nowcast as number).toBeCloseTo(82.1875 / 2.3125, 9);
    expect(rows.get(506)).toMatchObject({ aqi: 101, vn_aqi_pm25: 71 });
  });

  it("flagged readings and 985 fill runs never count; a lone 985 does", () => {
    expect(rows.get(507)).toMatchObject({ pm25: 20, pm25_nowcast: 20, vn_aqi: 40 });
    expect(rows.get(508)).toMatchObject({ pm25: 20, pm25_nowcast: 20, vn_aqi: 40 });
    // hour 0: (20 + 985) / 2 = 502.5; w = 1/2: (502.5 + 10 + 5) / 1.75 = 295.71
    expect(rows.get(509)?.pm25_nowcast as number).toBeCloseTo(517.5 / 1.75, 9);
    expect(rows.get(509)).toMatchObject({ aqi: 441, vn_aqi: 346 }); // 301 + 70.2 × 199 / 99.9; 300 + 45.71
  });

  it("VN_AQI needs PM2.5 or PM10; PM10 alone is enough", () => {
    expect(rows.get(510)).toMatchObject({ vn_aqi_no2: 105, vn_aqi: null, vn_aqi_category: null, aqi: null });
    expect(rows.get(511)).toMatchObject({
      pm10_nowcast: 100,
      vn_aqi_pm10: 75, // 50 + (100 - 50) × 50 / 100
      vn_aqi: 75,
      vn_aqi_category: "Trung bình",
      aqi: null,
    });
  });
});

describe("view_daily_average: daily indices, completeness and exceedances", () => {
  let rows: Map<string, Record<string, unknown>>;
  beforeAll(async () => {
    const r = await engine.query(
      "SELECT *, CAST(day AS VARCHAR) AS d FROM openaq_dev.view_daily_average WHERE location_id >= 700",
    );
    rows = new Map(r.rows.map((row) => [`${row.location_id}|${row.d}`, row]));
  });

  it("the QCVN PM2.5 24-hour limit is 50 µg/m³ until 2025-12-31 and 45 from 2026-01-01", () => {
    const before = {
      avg_pm25: 48,
      vn_aqi_pm25: 96, // 50 + (48 - 25) × 50 / 25
      vn_aqi: 96,
      vn_aqi_category: "Trung bình",
      aqi: 132, // 101 + (48.0 - 35.5) × 49 / 19.9 = 131.78
      aqi_is_complete: true,
      vn_aqi_is_complete: true,
      who_pm25_24h_exceeded: true, // WHO 15
      who_exceeded: "pm25/24h",
    };
    expect(rows.get("701|2025-12-31")).toMatchObject({
      ...before,
      qcvn_pm25_24h_limit: 50,
      qcvn_pm25_24h_exceeded: false,
      qcvn_exceeded: "",
    });
    expect(rows.get("701|2026-01-01")).toMatchObject({
      ...before,
      qcvn_pm25_24h_limit: 45,
      qcvn_pm25_24h_exceeded: true,
      qcvn_exceeded: "pm25/24h",
    });
  });

  it("O3: the larger of the maximum 1-hour and maximum 8-hour sub-indices", () => {
    expect(rows.get("702|2025-06-10")).toMatchObject({
      hours_observed: 20,
      hours_observed_o3: 8,
      vn_aqi_pm25: 60, // 30 × 2
      max_8h_o3: 150,
      vn_aqi_o3: 130, // 8 h: 100 + (150 - 120) × 50 / 50 = 130 > 1 h: 150 × 50 / 160 = 46.9
      vn_aqi: 130,
      vn_aqi_category: "Kém",
      aqi: 90, // 51 + (30.0 - 9.1) × 49 / 26.3 = 89.94
      qcvn_exceeded: "o3/8h", // 150 > 120; 1 h 150 ≤ 200
      qcvn_o3_8h_exceeded: true,
      who_exceeded: "pm25/24h,o3/8h", // 30 > 15; 150 > 100
    });
    // 5 hours: no 8-hour mean (6 of 8 needed), the 1-hour value decides: 50 + (190 - 160) × 50 / 40 = 87.5
    expect(rows.get("703|2025-06-10")).toMatchObject({ max_8h_o3: null, vn_aqi_o3: 88, vn_aqi: 88 });
  });

  it("O3 8-hour cut-off: above 400 µg/m³ only the 1-hour value counts", () => {
    expect(rows.get("704|2025-06-10")).toMatchObject({
      max_8h_o3: 450,
      vn_aqi_o3: 213, // 1 h: 200 + (450 - 400) × 100 / 400 = 212.5 (the 8-hour value would give 300)
      vn_aqi: 213,
      vn_aqi_category: "Rất xấu",
      vn_aqi_color: "#8F3F97",
      qcvn_exceeded: "o3/1h,o3/8h",
    });
  });

  it("no PM, no VN_AQI; gases are the day's maximum 1-hour value", () => {
    expect(rows.get("705|2025-06-10")).toMatchObject({
      vn_aqi_no2: 110, // 100 + (300 - 200) × 50 / 500
      vn_aqi: null,
      vn_aqi_is_complete: false,
      qcvn_no2_1h_exceeded: true,
      qcvn_exceeded: "no2/1h,no2/24h",
      who_exceeded: "no2/24h",
    });
  });

  it("17 hours of PM2.5: complete by the 50% rule, too few for the daily indices and 24-hour limits", () => {
    expect(rows.get("706|2025-06-10")).toMatchObject({
      hours_observed: 17,
      is_complete: true,
      aqi: null,
      aqi_is_complete: false,
      vn_aqi_pm25: null,
      vn_aqi: null,
      qcvn_pm25_24h_exceeded: null,
      qcvn_exceeded: "",
    });
  });

  it("flagged readings and 985 fill runs are left out of the daily means", () => {
    expect(rows.get("707|2025-06-10")).toMatchObject({ avg_pm25: 10, hours_observed: 24, vn_aqi_pm25: 20 });
  });
});
