export * from "./athena/engine.js";
export * from "./deploy.js";
export { COMPAT_MACROS, COMPAT_SETTINGS } from "./duckdb/compat.js";
export { datasetRelationSql, processedDir } from "./duckdb/datasets.js";
export * from "./duckdb/engine.js";
export type { ScanProfile } from "./duckdb/profile.js";
export { READ_STATEMENTS } from "./duckdb/read-only.js";
export { healCommand, shellWord } from "./duckdb/unreadable.js";
export * from "./engine.js";
export * from "./format.js";
export * from "./summary.js";
export * from "./validate.js";
export * from "./views/aqi.js";
export * from "./views/columns.js";
export {
  DAILY_MIN_HOURS,
  EIGHT_HOUR_MIN_HOURS,
  EIGHT_HOUR_POLLUTANTS,
  HOURS_PER_DAY,
} from "./views/daily-average.js";
export * from "./views/fill-values.js";
export * from "./views/limits.js";
export * from "./views/nowcast.js";
export { MAIN_POLLUTANTS, MOLAR_VOLUME_25C, type Pollutant, UGM3_UNITS } from "./views/pollutants.js";
export * from "./views/render.js";
export * from "./views/vn-aqi.js";
