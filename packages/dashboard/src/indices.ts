import { AQI_CATEGORIES } from "@openaq-lakehouse/views";

/**
 * The indices the map can colour by. An index is offered only when view_latest_aqi has its
 * columns, so the switch appears by itself once the views carry VN_AQI.
 *
 * Colours: both scales share six bands with the same colours (US EPA's AQI and Vietnam's VN_AQI,
 * Decision 1459/QĐ-TCMT: green, yellow, orange, red, purple, maroon). US EPA markers are coloured
 * by the view's category name; VN_AQI markers by the band their index value falls in.
 */
export const BAND_COLOURS = ["#00e400", "#ffff00", "#ff7e00", "#ff0000", "#8f3f97", "#7e0023"] as const;
/** Upper bound of each band (inclusive); above the last: the last band. */
export const BAND_UPPER = [50, 100, 150, 200, 300, 500] as const;
/** Marker colour of a location without an index value (no PM2.5 in the window). */
export const NO_INDEX_COLOUR = "#9e9e9e";

export interface IndexDefinition {
  readonly id: string;
  readonly label: string;
  readonly valueColumn: string;
  readonly categoryColumn: string;
  /** Category name → colour; absent: colour by the value's band. */
  readonly categoryColours?: Readonly<Record<string, string>>;
}

export const INDICES: readonly IndexDefinition[] = [
  {
    id: "us_epa",
    label: "US EPA AQI",
    valueColumn: "aqi",
    categoryColumn: "aqi_category",
    categoryColours: Object.fromEntries(
      AQI_CATEGORIES.map((name, i) => [name, BAND_COLOURS[i] ?? NO_INDEX_COLOUR]),
    ),
  },
  { id: "vn_aqi", label: "VN_AQI", valueColumn: "vn_aqi", categoryColumn: "vn_aqi_category" },
];
