import { PipelineError } from "./errors.js";

/**
 * The OpenAQ open-data archive's object layout (docs.openaq.org "accessing the archive"; the
 * exporter writes exactly these keys): one gzip CSV per location per local day,
 *
 *   records/csv.gz/locationid={id}/year={YYYY}/month={MM}/location-{id}-{YYYYMMDD}.csv.gz
 *
 * The archive backfill reads these, the deployment grants reading them, the local OpenAQ server
 * publishes its fixtures in this layout: one spelling for all three.
 */

/** The public bucket (us-east-1, anonymous read). */
export const OPENAQ_ARCHIVE_BUCKET = "openaq-data-archive";

/** The archive's key prefix: everything the backfill reads is below it. */
export const OPENAQ_ARCHIVE_ROOT = "records/csv.gz/";
const ROOT = OPENAQ_ARCHIVE_ROOT;

/**
 * The archive as an Athena table in each environment's database (`openaq_{env}.archive_records`),
 * for `backfill --source archive --engine athena`: the CSV columns in file order, every one a string
 * (OpenCSVSerde maps by position and handles both quoting generations), partitioned like the keys
 * with projection (no crawler; `locationid` injected, so each query names its locations).
 */
export const OPENAQ_ARCHIVE_TABLE = "archive_records";
export const OPENAQ_ARCHIVE_COLUMNS = [
  "location_id",
  "sensors_id",
  "location",
  "datetime",
  "lat",
  "lon",
  "parameter",
  "units",
  "value",
] as const;

/** Glue parameters of the archive table: CSV with a header line, partition projection on the key layout. */
export function archiveTableParameters(firstYear: number, lastYear: number): Record<string, string> {
  return {
    EXTERNAL: "TRUE",
    "skip.header.line.count": "1",
    "projection.enabled": "true",
    "projection.locationid.type": "injected",
    "projection.year.type": "integer",
    "projection.year.range": `${firstYear},${lastYear}`,
    "projection.month.type": "integer",
    "projection.month.range": "1,12",
    "projection.month.digits": "2",
    "storage.location.template": `s3://${OPENAQ_ARCHIVE_BUCKET}/${OPENAQ_ARCHIVE_ROOT}locationid=\${locationid}/year=\${year}/month=\${month}/`,
  };
}

function checkLocationId(locationId: number): number {
  if (!Number.isSafeInteger(locationId) || locationId < 1) {
    throw new PipelineError("INVALID_LOCATION_ID", `Invalid OpenAQ location id ${locationId}.`);
  }
  return locationId;
}

/** `records/csv.gz/locationid={id}/year={YYYY}/month={MM}/` for a `YYYY-MM` month. */
export function archiveMonthPrefix(locationId: number, month: string): string {
  const m = /^(\d{4})-(\d{2})$/.exec(month);
  if (!m)
    throw new PipelineError("INVALID_DATE", `Invalid month ${JSON.stringify(month)}: expected YYYY-MM.`);
  return `${ROOT}locationid=${checkLocationId(locationId)}/year=${m[1]}/month=${m[2]}/`;
}

/** The key of one location's file for one local day (`YYYY-MM-DD`). */
export function archiveObjectKey(locationId: number, localDay: string): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(localDay);
  if (!m)
    throw new PipelineError("INVALID_DATE", `Invalid day ${JSON.stringify(localDay)}: expected YYYY-MM-DD.`);
  return `${archiveMonthPrefix(locationId, `${m[1]}-${m[2]}`)}location-${locationId}-${m[1]}${m[2]}${m[3]}.csv.gz`;
}

const OBJECT_KEY =
  /^records\/csv\.gz\/locationid=(\d+)\/year=(\d{4})\/month=(\d{2})\/location-(\d+)-(\d{4})(\d{2})(\d{2})\.csv\.gz$/;

/** The location and local day of an archive key, or `undefined` for any other key. */
export function parseArchiveObjectKey(key: string): { locationId: number; localDay: string } | undefined {
  const m = OBJECT_KEY.exec(key);
  if (!m || m[1] !== m[4] || m[2] !== m[5] || m[3] !== m[6]) return undefined;
  return { locationId: Number(m[1]), localDay: `${m[5]}-${m[6]}-${m[7]}` };
}
