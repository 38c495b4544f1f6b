/**
 * The `city` of a location, derived deterministically (real Vietnam data has `locality` null or
 * "N/A" for many sites, docs/openaq.md, and the dashboard filters by city). The rule, first match wins:
 *
 *  1. `locality`, when it is present and not a placeholder ("N/A", "NA", "-", "unknown", ""): spelled
 *     as the table's city when it names one ("Huế", "Ha Noi" → Hue, Hanoi), so one city has one label
 *     whichever provider reported it; otherwise trimmed, as reported.
 *  2. A known city named in the location's `name` ("Hanoi: Đại sứ quán Mỹ" → Hanoi), matched on
 *     lower-case ASCII folds of the name (diacritics and Đ removed) against each city's aliases.
 *  3. The nearest city centroid of the table below, when the coordinates are within
 *     `NEAREST_CITY_MAX_KM` of it (a station 200 km from any listed city is not "in" one).
 *  4. The city of the IANA time zone ("Asia/Ho_Chi_Minh" → Ho Chi Minh City, "Asia/Bangkok" → Bangkok).
 *  5. "Unknown".
 *
 * The table and its order are part of the rule: changing them changes derived cities on rerun.
 */

interface KnownCity {
  name: string;
  /** Folded (lower-case ASCII) spellings that, found as whole words in a location name, mean this city. */
  aliases: string[];
  lat: number;
  lon: number;
}

export const VIETNAM_CITIES: readonly KnownCity[] = [
  { name: "Hanoi", aliases: ["hanoi", "ha noi"], lat: 21.0285, lon: 105.8542 },
  {
    name: "Ho Chi Minh City",
    aliases: ["ho chi minh", "hcmc", "tp hcm", "tphcm", "saigon", "sai gon"],
    lat: 10.7769,
    lon: 106.7009,
  },
  { name: "Da Nang", aliases: ["da nang", "danang"], lat: 16.0544, lon: 108.2022 },
  { name: "Hai Phong", aliases: ["hai phong", "haiphong"], lat: 20.8449, lon: 106.6881 },
  { name: "Can Tho", aliases: ["can tho", "cantho"], lat: 10.0452, lon: 105.7469 },
  { name: "Hue", aliases: ["hue"], lat: 16.4637, lon: 107.5909 },
  { name: "Nha Trang", aliases: ["nha trang"], lat: 12.2388, lon: 109.1967 },
  { name: "Ha Long", aliases: ["ha long", "halong", "quang ninh"], lat: 20.9599, lon: 107.0425 },
  { name: "Bac Ninh", aliases: ["bac ninh"], lat: 21.1861, lon: 106.0763 },
  { name: "Thai Nguyen", aliases: ["thai nguyen"], lat: 21.5942, lon: 105.8482 },
  { name: "Vinh", aliases: ["vinh", "nghe an"], lat: 18.6796, lon: 105.6813 },
  { name: "Da Lat", aliases: ["da lat", "dalat", "lam dong"], lat: 11.9404, lon: 108.4583 },
  { name: "Bien Hoa", aliases: ["bien hoa", "dong nai"], lat: 10.9574, lon: 106.8427 },
  { name: "Vung Tau", aliases: ["vung tau"], lat: 10.346, lon: 107.0843 },
  { name: "Nam Dinh", aliases: ["nam dinh"], lat: 20.4388, lon: 106.1621 },
  { name: "Lao Cai", aliases: ["lao cai"], lat: 22.4856, lon: 103.9707 },
  { name: "Buon Ma Thuot", aliases: ["buon ma thuot", "dak lak"], lat: 12.6675, lon: 108.0377 },
  { name: "Quy Nhon", aliases: ["quy nhon", "binh dinh"], lat: 13.782, lon: 109.2197 },
];

export const NEAREST_CITY_MAX_KM = 60;

const PLACEHOLDERS = new Set(["", "n/a", "na", "-", "--", "unknown", "none", "null"]);

/** Lower-case ASCII with every run of non-letters/digits as one space ("Hà Nội - Đống Đa" → "ha noi dong da"). */
export function foldName(text: string): string {
  return text
    .normalize("NFD")
    .replace(/[\u0300-\u036f]/g, "")
    .replace(/[đĐ]/g, "d")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, " ")
    .trim();
}

export function isPlaceholderLocality(locality: string | null | undefined): boolean {
  return locality === null || locality === undefined || PLACEHOLDERS.has(locality.trim().toLowerCase());
}

function cityInName(name: string | null | undefined): string | undefined {
  if (!name) return undefined;
  const folded = ` ${foldName(name)} `;
  for (const city of VIETNAM_CITIES) {
    if (city.aliases.some((a) => folded.includes(` ${a} `))) return city.name;
  }
  return undefined;
}

/** Great-circle distance in km (haversine; plenty for "which centroid is nearest"). */
export function distanceKm(lat1: number, lon1: number, lat2: number, lon2: number): number {
  const rad = Math.PI / 180;
  const dLat = (lat2 - lat1) * rad;
  const dLon = (lon2 - lon1) * rad;
  const a = Math.sin(dLat / 2) ** 2 + Math.cos(lat1 * rad) * Math.cos(lat2 * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * 6371 * Math.asin(Math.min(1, Math.sqrt(a)));
}

function nearestCity(lat: number | null, lon: number | null): string | undefined {
  if (typeof lat !== "number" || typeof lon !== "number" || !Number.isFinite(lat) || !Number.isFinite(lon))
    return undefined;
  let best: KnownCity | undefined;
  let bestKm = Number.POSITIVE_INFINITY;
  for (const city of VIETNAM_CITIES) {
    const km = distanceKm(lat, lon, city.lat, city.lon);
    if (km < bestKm) {
      best = city;
      bestKm = km;
    }
  }
  return best && bestKm <= NEAREST_CITY_MAX_KM ? best.name : undefined;
}

const TIMEZONE_CITIES: Record<string, string> = {
  "Asia/Ho_Chi_Minh": "Ho Chi Minh City",
  "Asia/Saigon": "Ho Chi Minh City",
};

function timezoneCity(timezone: string | null | undefined): string | undefined {
  if (!timezone) return undefined;
  const known = TIMEZONE_CITIES[timezone];
  if (known) return known;
  const last = timezone.split("/").pop()?.replace(/_/g, " ").trim();
  return last ? last : undefined;
}

export interface CityInput {
  name: string | null | undefined;
  locality: string | null | undefined;
  timezone: string | null | undefined;
  lat: number | null;
  lon: number | null;
}

/** The table's city whose alias is the whole (folded) text, e.g. "Thành phố Huế" is not, "Huế" is. */
function knownCityNamed(text: string): string | undefined {
  const folded = foldName(text);
  return VIETNAM_CITIES.find((c) => c.aliases.includes(folded) || foldName(c.name) === folded)?.name;
}

export function deriveCity(loc: CityInput): string {
  if (!isPlaceholderLocality(loc.locality)) {
    const locality = (loc.locality as string).trim();
    return knownCityNamed(locality) ?? locality;
  }
  return cityInName(loc.name) ?? nearestCity(loc.lat, loc.lon) ?? timezoneCity(loc.timezone) ?? "Unknown";
}
