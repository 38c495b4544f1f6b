/**
 * The main pollutants the serving views report, and how a reading becomes a µg/m³ value.
 *
 * Units: only µg/m³ values are averaged together. Gas sensors that report ppm
 * are converted to µg/m³ with the standard molar volume of an ideal gas at 25 °C and 1 atm
 * (24.45 L/mol): µg/m³ = ppm × M × 1000 / 24.45, M the molar mass in g/mol. That is the convention
 * of the US EPA and the WHO guidelines. Particles (PM2.5, PM10) have no molar mass, so a PM reading
 * in any unit other than µg/m³ is left out, as is any other unit (ppb, particles/cm³, …): a reading
 * is either comparable or it does not count.
 */
export interface Pollutant {
  /** OpenAQ parameter name, as in `measurements.parameter`. */
  readonly parameter: string;
  /** Molar mass in g/mol for gases (ppm → µg/m³); absent for particles. */
  readonly molarMass?: number;
}

export const MAIN_POLLUTANTS: readonly Pollutant[] = [
  { parameter: "pm25" },
  { parameter: "pm10" },
  { parameter: "no2", molarMass: 46.0055 },
  { parameter: "o3", molarMass: 47.9982 },
  { parameter: "co", molarMass: 28.0101 },
  { parameter: "so2", molarMass: 64.066 },
];

/** Molar volume of an ideal gas at 25 °C and 101.325 kPa, L/mol. */
export const MOLAR_VOLUME_25C = 24.45;

/** Spellings of µg/m³ seen in OpenAQ data: micro sign (U+00B5), Greek mu (U+03BC), ASCII. */
export const UGM3_UNITS: readonly string[] = ["µg/m³", "μg/m³", "ug/m3"];

const sqlString = (s: string): string => `'${s.replaceAll("'", "''")}'`;

/**
 * A SQL expression giving the reading in µg/m³, or NULL when it cannot count (flagged by OpenAQ,
 * negative value, unconvertible unit, not a main pollutant). `alias` is the measurements relation alias.
 */
export function ugm3ValueSql(alias: string): string {
  const ugm3 = UGM3_UNITS.map(sqlString).join(", ");
  const gases = MAIN_POLLUTANTS.filter((p) => p.molarMass !== undefined)
    .map(
      (p) =>
        `      WHEN ${alias}.parameter = ${sqlString(p.parameter)} AND ${alias}.unit = 'ppm' THEN ${alias}.value * ${p.molarMass} * 1000 / ${MOLAR_VOLUME_25C}`,
    )
    .join("\n");
  return [
    "CASE",
    "      -- readings OpenAQ flags (flagInfo.hasFlags) are kept in processed but never count",
    `      WHEN ${alias}.has_flags THEN NULL`,
    "      -- values < 0 never count (sensor faults and sentinels such as -999)",
    `      WHEN ${alias}.value < 0 THEN NULL`,
    `      WHEN ${alias}.unit IN (${ugm3}) THEN ${alias}.value`,
    `      -- gases in ppm: µg/m³ = ppm × molar mass × 1000 / ${MOLAR_VOLUME_25C} (molar volume at 25 °C, 1 atm)`,
    gases,
    "      -- anything else (PM in ppm, ppb, particles/cm³, …) is left out",
    "      ELSE NULL",
    "    END",
  ].join("\n");
}

/**
 * The select list of the `readings` both views start from (`alias` is the measurements relation): a
 * reading's location, sensor, parameter, start and value as read, and `value_ugm3`, what counts.
 */
export function readingColumnsSql(alias: string): string {
  const read = ["location_id", "sensor_id", "parameter", "datetime", "value"].map((c) => `${alias}.${c},`);
  return [...read, `${ugm3ValueSql(alias)} AS value_ugm3`].join("\n    ");
}

/** `'pm25', 'pm10', …` for an IN list. */
export function pollutantListSql(): string {
  return MAIN_POLLUTANTS.map((p) => sqlString(p.parameter)).join(", ");
}
