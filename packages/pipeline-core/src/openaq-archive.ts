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

const ROOT = "records/csv.gz/";

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
