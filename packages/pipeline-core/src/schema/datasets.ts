import { PARTITION_KEYS } from "../layout.js";
import { defineDataset, optional, type RowOf, required, t } from "./types.js";

/**
 * The two datasets of the lake, each defined exactly once. Everything else (TS row types, Arrow
 * schemas, Glue columns, SQL DDL, the views' expectations) is derived from these definitions.
 */

const coordinates = t.struct(
  optional("lat", t.float64(), "Latitude, WGS84 degrees."),
  optional("lon", t.float64(), "Longitude, WGS84 degrees."),
);

export const measurements = defineDataset({
  name: "measurements",
  description:
    "One row per sensor per period (the fact table). `datetime` is the period start in UTC; its UTC date is the partition.",
  partitionKeys: PARTITION_KEYS,
  columns: [
    required("location_id", t.int32(), "OpenAQ location id."),
    required("sensor_id", t.int32(), "OpenAQ sensor id; (sensor_id, datetime) is unique."),
    required("parameter_id", t.int32(), "OpenAQ parameter id; join and filter on this, units differ by id."),
    required("parameter", t.string(), "Parameter name, e.g. pm25, pm10, no2, o3, co, so2."),
    required(
      "value",
      t.float64(),
      "The measured value in `unit`. Negative readings are kept; views exclude them.",
    ),
    required("unit", t.string(), "Unit of `value` as reported by OpenAQ, e.g. µg/m³ or ppm."),
    required("datetime", t.timestampMs(), "Period start, UTC, millisecond precision."),
    optional("datetime_to", t.timestampMs(), "Period end, UTC."),
    optional("period_label", t.string(), "OpenAQ period label, e.g. raw or 1hour."),
    optional("period_seconds", t.int32(), "Length of the period in seconds."),
    optional("coverage_percent", t.float64(), "OpenAQ percentCoverage of the period."),
    optional(
      "has_flags",
      t.boolean(),
      "OpenAQ flagInfo.hasFlags. Flagged readings are kept and marked here; the views leave them out of every value and index.",
    ),
    optional("coordinates", coordinates, "Location coordinates attached at transform time."),
  ],
});

export const locations = defineDataset({
  name: "locations",
  description: "A snapshot of every location of the country as of the run day (the dimension table).",
  partitionKeys: PARTITION_KEYS,
  columns: [
    required("location_id", t.int32(), "OpenAQ location id."),
    optional("name", t.string(), "Location name."),
    optional("locality", t.string(), "Locality as reported by OpenAQ (often null or N/A in Vietnam)."),
    required(
      "city",
      t.string(),
      "Locality, or a deterministic fallback derived from the name/timezone when it is missing.",
    ),
    required("country_code", t.string(), "ISO 3166-1 alpha-2 code, e.g. VN."),
    optional("country_name", t.string(), "Country name."),
    optional("provider", t.string(), "Data provider name."),
    optional("owner", t.string(), "Owner name."),
    required("timezone", t.string(), "IANA time zone of the location."),
    required("is_monitor", t.boolean(), "True for reference-grade monitors, false for low-cost sensors."),
    required("is_mobile", t.boolean(), "True for mobile locations."),
    optional("coordinates", coordinates, "Coordinates of the location."),
    optional("datetime_first", t.timestampMs(), "First measurement, UTC."),
    optional("datetime_last", t.timestampMs(), "Latest measurement, UTC."),
  ],
});

export type MeasurementRow = RowOf<typeof measurements>;
export type LocationRow = RowOf<typeof locations>;

export const DATASETS = { measurements, locations } as const;
export type DatasetName = keyof typeof DATASETS;
