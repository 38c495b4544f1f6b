import {
  assertTableMatches,
  type Environment,
  encodeParquet,
  type IsoDay,
  measurements as measurementsDataset,
  type ObjectStore,
  type PartitionWriteReport,
  partFileName,
  partitionPrefix,
  replaceObjects,
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
 * publishes all parts at once through the same protocol as pipeline-core's `writePartition`
 * (deterministic `part-NNNNN.parquet` names, pipeline-core's Parquet encoding, `replaceObjects`:
 * every new part written before stale ones are deleted). Every part has exactly `rowsPerPart` rows
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
    const prefix = partitionPrefix({ env, layer: "processed", dataset: measurementsDataset.name, day });
    const report = await replaceObjects(
      store,
      prefix,
      this.encoded.map((body, i) => ({
        name: partFileName(i),
        body,
        options: { contentType: "application/vnd.apache.parquet" },
      })),
    );
    return {
      dataset: measurementsDataset.name,
      day,
      prefix,
      rows: this.flattener.accepted,
      keys: report.written,
      bytes: report.bytes,
      deletedKeys: report.deleted,
    };
  }
}
