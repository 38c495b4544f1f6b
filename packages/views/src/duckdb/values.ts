import {
  DuckDBDateValue,
  DuckDBDecimalValue,
  DuckDBListValue,
  DuckDBStructValue,
  DuckDBTimestampMillisecondsValue,
  DuckDBTimestampTZValue,
  DuckDBTimestampValue,
  type DuckDBValue,
} from "@duckdb/node-api";
import { formatUtcTimestamp } from "../engine.js";

/**
 * DuckDB values → the plain JSON-able values of `QueryResult`, shaped like the Athena engine's:
 * integers as numbers (BIGINT beyond 2^53 as a string), timestamps as `YYYY-MM-DD HH:MM:SS.sss`
 * in UTC, dates as `YYYY-MM-DD`, structs as objects, lists as arrays.
 */
export function toPlainValue(value: DuckDBValue): unknown {
  if (value === null || typeof value === "number" || typeof value === "string" || typeof value === "boolean")
    return value;
  if (typeof value === "bigint") {
    return value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= BigInt(Number.MIN_SAFE_INTEGER)
      ? Number(value)
      : value.toString();
  }
  if (value instanceof DuckDBTimestampValue || value instanceof DuckDBTimestampTZValue) {
    return formatUtcTimestamp(Number(value.micros / 1000n));
  }
  if (value instanceof DuckDBTimestampMillisecondsValue) return formatUtcTimestamp(Number(value.millis));
  if (value instanceof DuckDBDateValue) return value.toString();
  if (value instanceof DuckDBDecimalValue) return value.toDouble();
  if (value instanceof DuckDBStructValue) {
    return Object.fromEntries(Object.entries(value.entries).map(([k, v]) => [k, toPlainValue(v)]));
  }
  if (value instanceof DuckDBListValue) return value.items.map(toPlainValue);
  return String(value);
}
