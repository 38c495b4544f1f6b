export {
  ARCHIVE_HEADER,
  type ArchiveGeneration,
  type ArchiveObject,
  type ArchiveOptions,
  archiveObjects,
  archiveTimestamp,
  writeArchiveFolder,
} from "./archive.js";
export { Catalog, type ExtraLocations, type ServedLocation, type ServedSensor } from "./catalog.js";
export { FAULT_KINDS, type FaultConfig, type FaultKind, type ForcedFault } from "./faults.js";
export { FIXTURE_LOCATIONS, type FixtureLocation, type FixtureSensor, PARAMETERS } from "./fixtures.js";
export type { ServerRateLimitOptions } from "./rate-limit.js";
export {
  FAKE_OPENAQ_API_KEY,
  type FakeOpenAq,
  type FakeOpenAqOptions,
  type FakeOpenAqStats,
  type FakeRequestRecord,
  STATS_PATH,
  startFakeOpenAq,
} from "./server.js";
