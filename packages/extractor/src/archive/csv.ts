import { gunzipSync } from "node:zlib";
import { parse } from "csv-parse/sync";

/**
 * One archive file (gzip CSV; its format: docs/openaq.md, "The archive") → its records, field for field.
 *
 * The files come in two generations (nothing quoted with LF; everything but integers quoted with
 * CRLF) and the documentation names two columns differently from the files (`sensor_id`/`unit` vs
 * `sensors_id`/`units`): both spellings are accepted, matched by header name, never by position.
 */

/** The fields a measurement needs, by the name this module gives them → the header spellings seen. */
const COLUMNS = {
  locationId: ["location_id"],
  sensorId: ["sensors_id", "sensor_id"],
  datetime: ["datetime"],
  lat: ["lat"],
  lon: ["lon"],
  parameter: ["parameter"],
  units: ["units", "unit"],
  value: ["value"],
} as const;

export type ArchiveField = keyof typeof COLUMNS;

/** One CSV record, as text: the transform decides what is valid and quarantines the rest with a reason. */
export type ArchiveRecord = Record<ArchiveField, string> & { line: number };

export type ParsedArchiveFile =
  | { ok: true; records: ArchiveRecord[] }
  | { ok: false; why: string; lines: number };

export function parseArchiveFile(gz: Uint8Array): ParsedArchiveFile {
  let text: string;
  try {
    text = gunzipSync(gz).toString("utf8");
  } catch (e) {
    return { ok: false, why: `not gzip (${(e as Error).message})`, lines: 0 };
  }
  const lines = countLines(text);
  let rows: string[][];
  try {
    rows = parse(text, { bom: true, relax_column_count: true, skip_empty_lines: true, trim: false });
  } catch (e) {
    return { ok: false, why: `not CSV (${(e as Error).message.replace(/\s+/g, " ")})`, lines };
  }
  const header = rows[0];
  if (!header) return { ok: false, why: "empty (no header)", lines };
  const index = {} as Record<ArchiveField, number>;
  const names = header.map((h) => h.trim().toLowerCase());
  for (const [field, spellings] of Object.entries(COLUMNS) as Array<[ArchiveField, readonly string[]]>) {
    const at = names.findIndex((n) => spellings.includes(n));
    if (at < 0) {
      return {
        ok: false,
        why: `missing the ${spellings.join("/")} column (header: ${header.join(",")})`,
        lines,
      };
    }
    index[field] = at;
  }
  const records: ArchiveRecord[] = [];
  for (let i = 1; i < rows.length; i++) {
    const row = rows[i] as string[];
    const record = { line: i + 1 } as ArchiveRecord;
    for (const field of Object.keys(COLUMNS) as ArchiveField[]) {
      record[field] = (row[index[field]] ?? "").trim();
    }
    records.push(record);
  }
  return { ok: true, records };
}

function countLines(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) n++;
  return text.length > 0 && !text.endsWith("\n") ? n + 1 : n;
}
