/**
 * The stations the local OpenAQ server serves: hand-written, shaped after the real Vietnam
 * snapshot of 2026-03-25 (docs/openaq.md, "Vietnam"; ids, names, providers and parameter ids in
 * the style of the real ones; values are generated, see series.ts). What they cover on purpose:
 *
 *   - Hanoi network monitors with six gases/PM in µg/m³, some with `locality` null or "N/A";
 *   - sub-hourly sensors (5-min and 10-min) at 4946811 / 4946812;
 *   - an AirNow monitor with -999 sentinels, and a Hai Phong monitor reporting gases in ppm;
 *   - AirGradient low-cost sensors (not monitors) with occasional negative readings;
 *   - gaps (missing periods) at every rate from none to a third, and a station outage pattern;
 *   - dormant stations (datetimeLast long ago) and never-reporting ones (datetimeFirst/Last null);
 *   - one Cambodian station, so the country filter has something to filter.
 */

export interface FixtureParameter {
  id: number;
  name: string;
  units: string;
  displayName: string;
}

export const PARAMETERS: Record<number, FixtureParameter> = {
  1: { id: 1, name: "pm10", units: "µg/m³", displayName: "PM10" },
  2: { id: 2, name: "pm25", units: "µg/m³", displayName: "PM2.5" },
  3: { id: 3, name: "o3", units: "µg/m³", displayName: "O₃ mass" },
  4: { id: 4, name: "co", units: "µg/m³", displayName: "CO mass" },
  5: { id: 5, name: "no2", units: "µg/m³", displayName: "NO₂ mass" },
  6: { id: 6, name: "so2", units: "µg/m³", displayName: "SO₂ mass" },
  7: { id: 7, name: "no2", units: "ppm", displayName: "NO₂" },
  8: { id: 8, name: "co", units: "ppm", displayName: "CO" },
  9: { id: 9, name: "so2", units: "ppm", displayName: "SO₂" },
  10: { id: 10, name: "o3", units: "ppm", displayName: "O₃" },
  19: { id: 19, name: "pm1", units: "µg/m³", displayName: "PM1" },
  98: { id: 98, name: "relativehumidity", units: "%", displayName: "RH" },
  100: { id: 100, name: "temperature", units: "c", displayName: "Temperature (C)" },
  125: { id: 125, name: "um003", units: "particles/cm³", displayName: "PM0.3 count" },
};

export interface FixtureSensor {
  id: number;
  parameterId: number;
  /** Logging period in seconds (default 3600). */
  intervalSec?: number;
  /** Share of periods missing (default 0.03). */
  gapRate?: number;
  /** Share of values replaced by the -999 sentinel. */
  sentinelRate?: number;
  /** Share of values that come out slightly negative (low-cost sensor noise). */
  negativeRate?: number;
}

export interface FixtureCountry {
  id: number;
  code: string;
  name: string;
}

export interface FixtureLicense {
  id: number;
  name: string;
  attribution: { name: string; url: string | null };
  dateFrom: string | null;
  dateTo: string | null;
}

export interface FixtureLocation {
  id: number;
  name: string | null;
  locality: string | null;
  timezone: "Asia/Bangkok" | "Asia/Ho_Chi_Minh" | "Asia/Phnom_Penh";
  country?: FixtureCountry;
  owner: { id: number; name: string };
  provider: { id: number; name: string };
  isMonitor: boolean;
  instrument: { id: number; name: string };
  latitude: number;
  longitude: number;
  licenses: FixtureLicense[] | null;
  /** First period end ever reported, or null for a station that never reported. */
  firstUtc: string | null;
  /** Last period end: an instant for a dormant station, "live" for one reporting up to the server's `asOf`. */
  lastUtc: string | "live" | null;
  /** Share of hours the whole station is down (default 0). */
  outageRate?: number;
  sensors: FixtureSensor[];
}

export const VIETNAM: FixtureCountry = { id: 56, code: "VN", name: "Vietnam" };
const CAMBODIA: FixtureCountry = { id: 105, code: "KH", name: "Cambodia" };

export const GOV_OWNER = { id: 4, name: "Unknown Governmental Organization" };
const HANOI_NETWORK = { id: 67, name: "Hanoi Air Quality Monitoring Network" };
const AIRGRADIENT = { id: 66, name: "AirGradient" };
const HABITATMAP = { id: 200, name: "HabitatMap" };
const AIRNOW = { id: 119, name: "AirNow" };
const GOV_MONITOR = { id: 2, name: "Government Monitor" };
const AIRGRADIENT_SENSOR = { id: 3, name: "AirGradient Open Air" };
const AIRBEAM = { id: 5, name: "AirBeam" };
const CC_BY = (owner: string): FixtureLicense[] => [
  { id: 9, name: "CC BY 4.0", attribution: { name: owner, url: null }, dateFrom: "2024-01-01", dateTo: null },
];

/** The six Hanoi-network sensors, ids consecutive from `base`. */
function hanoiSix(base: number, intervalSec = 3600, gapRate = 0.03): FixtureSensor[] {
  return [4, 5, 3, 1, 2, 6].map((parameterId, i) => ({ id: base + i, parameterId, intervalSec, gapRate }));
}

/** What a low-cost AirGradient unit measures: pm1, pm10, pm25, rh, temperature, particle count. */
export const AIRGRADIENT_PARAMETER_IDS: readonly number[] = [19, 1, 2, 98, 100, 125];

/** The sensors of an AirGradient unit, ids consecutive from `base`. */
function airGradient(base: number, gapRate = 0.05): FixtureSensor[] {
  return AIRGRADIENT_PARAMETER_IDS.map((parameterId, i) => ({
    id: base + i,
    parameterId,
    gapRate,
    ...(parameterId === 2 || parameterId === 19 ? { negativeRate: 0.01 } : {}),
  }));
}

/** A station's own fields: its kind's builder fills `Fixed`, and `Defaults` unless given. */
type StationOf<Fixed extends keyof FixtureLocation, Defaults extends keyof FixtureLocation = never> = Omit<
  FixtureLocation,
  Fixed | Defaults
> &
  Partial<Pick<FixtureLocation, Defaults>>;

/** A government monitor: an unnamed government body owns it and lists no licence, unless given. */
function govMonitor(station: StationOf<"isMonitor" | "instrument", "owner" | "licenses">): FixtureLocation {
  return { owner: GOV_OWNER, licenses: null, ...station, isMonitor: true, instrument: GOV_MONITOR };
}

/** A government monitor of the Hanoi network, on Hanoi's clock (Asia/Bangkok). */
function hanoiNetworkMonitor(
  station: StationOf<"timezone" | "owner" | "provider" | "isMonitor" | "instrument" | "licenses">,
): FixtureLocation {
  return govMonitor({ ...station, timezone: "Asia/Bangkok", provider: HANOI_NETWORK });
}

/** A low-cost AirGradient unit (not a monitor), its data CC BY to AirGradient unless given. */
export function airGradientUnit(
  station: StationOf<"provider" | "isMonitor" | "instrument", "licenses">,
): FixtureLocation {
  return {
    licenses: CC_BY("AirGradient"),
    ...station,
    provider: AIRGRADIENT,
    isMonitor: false,
    instrument: AIRGRADIENT_SENSOR,
  };
}

/** A HabitatMap AirBeam (not a monitor, no licence listed). */
export function airBeamUnit(
  station: StationOf<"provider" | "isMonitor" | "instrument" | "licenses">,
): FixtureLocation {
  return { ...station, provider: HABITATMAP, isMonitor: false, instrument: AIRBEAM, licenses: null };
}

export const FIXTURE_LOCATIONS: readonly FixtureLocation[] = [
  govMonitor({
    id: 18,
    name: "SPARTAN - Vietnam Acad. Sci.",
    locality: null,
    timezone: "Asia/Bangkok",
    provider: { id: 226, name: "Spartan" },
    latitude: 21.048,
    longitude: 105.8,
    firstUtc: null,
    lastUtc: null,
    sensors: [{ id: 37, parameterId: 2 }],
  }),
  govMonitor({
    id: 2539,
    name: "US Diplomatic Post: Hanoi",
    locality: "Hanoi",
    timezone: "Asia/Bangkok",
    provider: { id: 253, name: "StateAir Hanoi" },
    latitude: 21.02177,
    longitude: 105.81905,
    firstUtc: "2016-01-30T01:00:00Z",
    lastUtc: "2016-11-09T16:00:00Z",
    sensors: [{ id: 5049, parameterId: 2 }],
  }),
  govMonitor({
    id: 7440,
    name: "US Diplomatic Post: Ho Chi Minh City",
    locality: "N/A",
    timezone: "Asia/Ho_Chi_Minh",
    provider: { id: 201, name: "Ho Chi Minh City" },
    latitude: 10.78308,
    longitude: 106.70084,
    firstUtc: "2016-11-09T17:00:00Z",
    lastUtc: "2025-03-04T12:00:00Z",
    sensors: [{ id: 21631, parameterId: 2, sentinelRate: 0.01 }],
  }),
  govMonitor({
    id: 7441,
    name: "Hanoi",
    locality: "N/A",
    timezone: "Asia/Bangkok",
    provider: AIRNOW,
    latitude: 21.021939,
    longitude: 105.818806,
    licenses: [
      {
        id: 33,
        name: "US Public Domain",
        attribution: { name: "Unknown Governmental Organization", url: null },
        dateFrom: "2016-01-30",
        dateTo: null,
      },
    ],
    firstUtc: "2016-11-09T18:00:00Z",
    lastUtc: "live",
    sensors: [{ id: 21632, parameterId: 2, sentinelRate: 0.03, gapRate: 0.08 }],
  }),
  airBeamUnit({
    id: 268816,
    name: "outdoor",
    locality: null,
    timezone: "Asia/Ho_Chi_Minh",
    owner: HABITATMAP,
    latitude: 10.7626,
    longitude: 106.6602,
    firstUtc: null,
    lastUtc: null,
    sensors: [{ id: 1552804, parameterId: 2 }],
  }),
  hanoiNetworkMonitor({
    id: 2161290,
    name: "An Khánh",
    locality: null,
    latitude: 21.0019,
    longitude: 105.7183,
    firstUtc: "2024-01-29T06:00:00Z",
    lastUtc: "2025-06-10T03:00:00Z",
    sensors: [
      { id: 7771981, parameterId: 4 },
      { id: 7772033, parameterId: 5 },
      { id: 7772095, parameterId: 1 },
      { id: 7772012, parameterId: 2 },
    ],
  }),
  hanoiNetworkMonitor({
    id: 2161292,
    name: "Số 46, phố Lưu Quang Vũ",
    locality: "Hanoi",
    latitude: 21.0152,
    longitude: 105.7999,
    firstUtc: "2024-01-29T16:00:00Z",
    lastUtc: "live",
    sensors: [
      { id: 7772024, parameterId: 4 },
      { id: 7888636, parameterId: 5 },
      { id: 7772022, parameterId: 3 },
      { id: 7772048, parameterId: 1 },
      { id: 7772032, parameterId: 2, gapRate: 0 },
      { id: 7771973, parameterId: 6, gapRate: 0.12 },
    ],
  }),
  hanoiNetworkMonitor({
    id: 2161300,
    name: "Hoàn Kiếm",
    locality: "Hanoi",
    latitude: 21.0285,
    longitude: 105.8542,
    firstUtc: "2024-01-29T06:00:00Z",
    lastUtc: "2024-01-31T23:00:00Z",
    sensors: [
      { id: 7772043, parameterId: 4 },
      { id: 7771987, parameterId: 5 },
      { id: 7772000, parameterId: 1 },
      { id: 7771988, parameterId: 2 },
    ],
  }),
  hanoiNetworkMonitor({
    id: 2161306,
    name: "Minh Khai - Bắc Từ Liêm",
    locality: null,
    latitude: 21.0491,
    longitude: 105.7423,
    firstUtc: "2024-01-29T16:00:00Z",
    lastUtc: "live",
    outageRate: 0.04,
    sensors: [
      { id: 7771995, parameterId: 4 },
      { id: 7772100, parameterId: 5 },
      { id: 7772097, parameterId: 3 },
      { id: 7772055, parameterId: 1 },
      { id: 7772087, parameterId: 2 },
      { id: 7772047, parameterId: 6 },
    ],
  }),
  govMonitor({
    id: 3038744,
    name: "Trạm Hòa Khánh",
    locality: "Da Nang",
    timezone: "Asia/Ho_Chi_Minh",
    owner: { id: 512, name: "Da Nang Department of Natural Resources and Environment" },
    provider: { id: 512, name: "Da Nang DONRE" },
    latitude: 16.0738,
    longitude: 108.1498,
    licenses: CC_BY("Da Nang DONRE"),
    firstUtc: "2024-09-01T01:00:00Z",
    lastUtc: "live",
    sensors: [
      { id: 10334401, parameterId: 2 },
      { id: 10334402, parameterId: 1 },
      { id: 10334403, parameterId: 5, gapRate: 0.33 },
      { id: 10334404, parameterId: 3 },
    ],
  }),
  airGradientUnit({
    id: 3276359,
    name: "CMT8",
    locality: null,
    timezone: "Asia/Ho_Chi_Minh",
    owner: { id: 1401, name: "AirGradient Community" },
    latitude: 10.7807,
    longitude: 106.6819,
    firstUtc: "2024-11-19T11:00:00Z",
    lastUtc: "live",
    sensors: airGradient(11357394),
  }),
  govMonitor({
    id: 3402118,
    name: "Trạm Đồ Sơn",
    locality: "Hai Phong",
    timezone: "Asia/Bangkok",
    provider: AIRNOW,
    latitude: 20.7152,
    longitude: 106.7803,
    firstUtc: "2024-10-01T00:00:00Z",
    lastUtc: "live",
    sensors: [
      { id: 11640021, parameterId: 2, sentinelRate: 0.02 },
      { id: 11640022, parameterId: 8 },
      { id: 11640023, parameterId: 10 },
      { id: 11640024, parameterId: 7 },
      { id: 11640025, parameterId: 9, gapRate: 0.2 },
    ],
  }),
  govMonitor({
    id: 3520077,
    name: "17 Lê Lợi",
    locality: "Huế",
    timezone: "Asia/Bangkok",
    owner: { id: 530, name: "Thua Thien Hue DONRE" },
    provider: { id: 530, name: "Hue Environmental Monitoring Centre" },
    latitude: 16.4637,
    longitude: 107.5909,
    firstUtc: "2025-01-05T03:00:00Z",
    lastUtc: "live",
    sensors: [
      { id: 12001101, parameterId: 2 },
      { id: 12001102, parameterId: 1 },
      { id: 12001103, parameterId: 5 },
    ],
  }),
  airGradientUnit({
    id: 4743591,
    name: "Trường Đại học Khoa học Tự nhiên, ĐHQG-HCM, Cơ sở Linh Trung.",
    locality: null,
    timezone: "Asia/Ho_Chi_Minh",
    owner: { id: 1402, name: "VNUHCM" },
    latitude: 10.8752,
    longitude: 106.7991,
    firstUtc: "2025-06-15T05:00:00Z",
    lastUtc: "2025-06-15T08:00:00Z",
    sensors: [
      { id: 13332025, parameterId: 19 },
      { id: 13332026, parameterId: 2 },
    ],
  }),
  hanoiNetworkMonitor({
    id: 4946811,
    name: "556 Nguyễn Văn Cừ",
    locality: null,
    latitude: 21.0487,
    longitude: 105.8818,
    firstUtc: "2025-07-03T15:40:00Z",
    lastUtc: "live",
    sensors: hanoiSix(13502150, 300, 0.02),
  }),
  hanoiNetworkMonitor({
    id: 4946812,
    name: "Công viên Nhân Chính - Khuất Duy Tiến",
    locality: "Hanoi",
    latitude: 21.0034,
    longitude: 105.7996,
    firstUtc: "2025-07-03T15:40:00Z",
    lastUtc: "live",
    sensors: hanoiSix(13502170, 600, 0.05),
  }),
  airGradientUnit({
    id: 5120430,
    name: "Ninh Kiều",
    locality: "Cần Thơ",
    timezone: "Asia/Ho_Chi_Minh",
    owner: { id: 1403, name: "Can Tho University" },
    latitude: 10.0341,
    longitude: 105.7882,
    firstUtc: "2025-08-12T02:00:00Z",
    lastUtc: "live",
    sensors: airGradient(14011230, 0.1),
  }),
  airGradientUnit({
    id: 6068138,
    name: "Care Centre",
    locality: null,
    timezone: "Asia/Ho_Chi_Minh",
    owner: { id: 1404, name: "Care Centre" },
    latitude: 10.7952,
    longitude: 106.7218,
    firstUtc: "2025-10-09T01:00:00Z",
    lastUtc: "2025-12-08T02:00:00Z",
    sensors: airGradient(14325345),
  }),
  airGradientUnit({
    id: 6123215,
    name: "OceanPark",
    locality: null,
    timezone: "Asia/Bangkok",
    owner: { id: 1405, name: "Vinhomes Ocean Park Residents" },
    latitude: 20.9947,
    longitude: 105.9421,
    firstUtc: "2025-11-08T06:00:00Z",
    lastUtc: "live",
    sensors: airGradient(14581374),
  }),
  airGradientUnit({
    id: 6273386,
    name: "VNUHCMUS CAMPUS 1",
    locality: "Ho Chi Minh City",
    timezone: "Asia/Ho_Chi_Minh",
    owner: { id: 1406, name: "VNUHCM University of Science" },
    latitude: 10.7626,
    longitude: 106.6823,
    firstUtc: "2026-03-16T03:00:00Z",
    lastUtc: "live",
    sensors: airGradient(15694533),
  }),
  airGradientUnit({
    id: 6401902,
    name: "Phnom Penh - Chamkar Mon",
    locality: "Phnom Penh",
    timezone: "Asia/Phnom_Penh",
    country: CAMBODIA,
    owner: GOV_OWNER,
    latitude: 11.5449,
    longitude: 104.9282,
    firstUtc: "2025-02-01T00:00:00Z",
    lastUtc: "live",
    sensors: [{ id: 16000001, parameterId: 2 }],
  }),
];

/** Every fixture timezone is UTC+07:00 without DST. */
export const TIMEZONE_OFFSET_MINUTES: Record<FixtureLocation["timezone"], number> = {
  "Asia/Bangkok": 420,
  "Asia/Ho_Chi_Minh": 420,
  "Asia/Phnom_Penh": 420,
};
