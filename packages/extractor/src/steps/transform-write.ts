import {
  assertTableMatches,
  type Environment,
  encodeParquet,
  type IsoDay,
  measurements as measurementsDataset,
  type ObjectStore,
  type PartitionWriteReport,
  publishPartition,
} from "@openaq-lakehouse/pipeline-core";
import { measurementsTable } from "./transform-arrow.js";
import type { MeasurementFlattener } from "./transform-measurements.js";

/**
 * Rows per Parquet part of a measurements partition. A Vietnam day (tens of thousands of rows) is
 * one part; a day of a million rows becomes sixteen. Parts are encoded while the raw pages are still
 * being read, as soon as enough final rows exist, so memory follows the part size and not the day
 * (a whole 1M-row day encoded at once holds ~3 copies of ~100 MB: Arrow, IPC, and wasm).
 */
export const MEASUREMENT_ROWS_PER_PART = 65_536;

/**
 * Encodes the measurements partition part by part from the closed rows of a flattener, then
 * publishes all parts at once with pipeline-core's `publishPartition` (the second half of
 * `writePartition`: deterministic `part-NNNNN.parquet` names, every new part written before stale
 * ones are deleted). Every part has exactly `rowsPerPart` rows
 * but the last, so the split depends only on the rows: reruns are byte-identical. A day that fits
 * one part is, byte for byte, what `writePartition` writes for the same table (including the one
 * empty part of a day without rows).
 */
export class MeasurementPartWriter {
  private readonly encoded: Uint8Array[] = [];
  constructor(
    private readonly flattener: MeasurementFlattener,
    readonly rowsPerPart = MEASUREMENT_ROWS_PER_PART,
  ) {
    if (!(Number.isInteger(rowsPerPart) && rowsPerPart > 0))
      throw new Error(`rowsPerPart must be a positive integer, got ${rowsPerPart}.`);
  }

  /** Encodes every full part available among the closed rows; with `final`, the remainder too. */
  flush(final = false): void {
    const f = this.flattener;
    while (f.closedRows >= this.rowsPerPart || (final && (f.closedRows > 0 || this.encoded.length === 0))) {
      const n = Math.min(this.rowsPerPart, f.closedRows);
      const table = measurementsTable(measurementsDataset, f.columns, 0, n);
      assertTableMatches(measurementsDataset, table);
      this.encoded.push(encodeParquet(table));
      f.dropClosedRows(n);
      if (n === 0) break;
    }
  }

  async publish(store: ObjectStore, env: Environment, day: IsoDay): Promise<PartitionWriteReport> {
    this.flush(true);
    return publishPartition({
      store,
      env,
      dataset: measurementsDataset,
      day,
      rows: this.flattener.accepted,
      parts: this.encoded,
    });
  }
}
