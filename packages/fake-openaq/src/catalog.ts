import {
  AIRGRADIENT_PARAMETER_IDS,
  airBeamUnit,
  airGradientUnit,
  FIXTURE_LOCATIONS,
  type FixtureLocation,
  type FixtureParameter,
  type FixtureSensor,
  GOV_OWNER,
  PARAMETERS,
  TIMEZONE_OFFSET_MINUTES,
  VIETNAM,
} from "./fixtures.js";

/**
 * The stations as served at one `asOf` instant: fixture data plus optional synthetic stations,
 * with every sensor's first and last period end resolved to epoch seconds.
 */

export interface ServedSensor {
  fixture: FixtureSensor;
  parameter: FixtureParameter;
  location: ServedLocation;
  intervalSec: number;
  /** First and last period end (epoch s), or null when the sensor never reported. */
  firstEndSec: number | null;
  lastEndSec: number | null;
}

export interface ServedLocation {
  fixture: FixtureLocation;
  offsetMinutes: number;
  firstEndSec: number | null;
  lastEndSec: number | null;
  sensors: ServedSensor[];
}

export interface ExtraLocations {
  /** Synthetic live AirGradient-style stations (6 sensors each), to scale a day up for benches. */
  active?: number;
  /** Synthetic never-again-reporting stations (1 sensor each): enough of them makes the locations listing page (`found: ">1000"`). */
  dormant?: number;
}

const CITIES = ["Hanoi", "Ho Chi Minh City", "Da Nang", "Hai Phong", "Huế", null, "N/A"];

function syntheticLocations(extra: ExtraLocations): FixtureLocation[] {
  const out: FixtureLocation[] = [];
  for (let i = 0; i < (extra.active ?? 0); i++) {
    out.push(
      airGradientUnit({
        id: 9_000_000 + i,
        name: `Điểm đo cộng đồng ${i + 1}`,
        locality: CITIES[i % CITIES.length] ?? null,
        timezone: i % 2 === 0 ? "Asia/Bangkok" : "Asia/Ho_Chi_Minh",
        owner: { id: 1500, name: "AirGradient Community" },
        latitude: 10.5 + ((i * 37) % 110) / 10,
        longitude: 105.5 + ((i * 53) % 30) / 10,
        licenses: null,
        firstUtc: "2025-01-01T00:00:00Z",
        lastUtc: "live",
        sensors: AIRGRADIENT_PARAMETER_IDS.map((parameterId, k) => ({
          id: 90_000_000 + i * 10 + k,
          parameterId,
        })),
      }),
    );
  }
  for (let i = 0; i < (extra.dormant ?? 0); i++) {
    out.push(
      airBeamUnit({
        id: 8_000_000 + i,
        name: `Trạm cũ ${i + 1}`,
        locality: null,
        timezone: "Asia/Bangkok",
        owner: GOV_OWNER,
        latitude: 21,
        longitude: 105.8,
        firstUtc: "2019-01-01T00:00:00Z",
        lastUtc: "2020-01-01T00:00:00Z",
        sensors: [{ id: 80_000_000 + i, parameterId: 2 }],
      }),
    );
  }
  return out;
}

const sec = (iso: string) => Math.floor(Date.parse(iso) / 1000);

export class Catalog {
  readonly locations: ServedLocation[];
  private readonly sensors = new Map<number, ServedSensor>();

  constructor(asOfMs: number, extra: ExtraLocations = {}) {
    const asOfSec = Math.floor(asOfMs / 1000);
    const all = [...FIXTURE_LOCATIONS, ...syntheticLocations(extra)].sort((a, b) => a.id - b.id);
    this.locations = all.map((fixture) => {
      const loc: ServedLocation = {
        fixture,
        offsetMinutes: TIMEZONE_OFFSET_MINUTES[fixture.timezone],
        firstEndSec: null,
        lastEndSec: null,
        sensors: [],
      };
      const firstSec = fixture.firstUtc === null ? null : sec(fixture.firstUtc);
      const lastSec =
        fixture.lastUtc === null ? null : fixture.lastUtc === "live" ? asOfSec : sec(fixture.lastUtc);
      for (const s of fixture.sensors) {
        const parameter = PARAMETERS[s.parameterId];
        if (!parameter) throw new Error(`Fixture sensor ${s.id} has unknown parameter ${s.parameterId}.`);
        const intervalSec = s.intervalSec ?? 3600;
        const reported = firstSec !== null && lastSec !== null && lastSec >= firstSec;
        const served: ServedSensor = {
          fixture: s,
          parameter,
          location: loc,
          intervalSec,
          firstEndSec: reported ? Math.ceil(firstSec / intervalSec) * intervalSec : null,
          lastEndSec: reported ? Math.floor(lastSec / intervalSec) * intervalSec : null,
        };
        loc.sensors.push(served);
        if (this.sensors.has(s.id)) throw new Error(`Fixture sensor id ${s.id} is used twice.`);
        this.sensors.set(s.id, served);
      }
      const ends = loc.sensors.flatMap((s) => (s.lastEndSec === null ? [] : [s.lastEndSec]));
      const starts = loc.sensors.flatMap((s) => (s.firstEndSec === null ? [] : [s.firstEndSec]));
      loc.lastEndSec = ends.length > 0 ? Math.max(...ends) : null;
      loc.firstEndSec = starts.length > 0 ? Math.min(...starts) : null;
      return loc;
    });
  }

  sensor(id: number): ServedSensor | undefined {
    return this.sensors.get(id);
  }

  countryOf(loc: ServedLocation) {
    return loc.fixture.country ?? VIETNAM;
  }
}
