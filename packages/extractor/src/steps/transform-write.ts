import {
  type Environment,
  type IsoDay,
  measurements as measurementsDataset,
  type ObjectStore,
  ParquetStreamEncoder,
  type PartitionWriteReport,
  publishPartition,
  ROWS_PER_ROW_GROUP,
} from "@openaq-lakehouse/pipeline-core";
import { measurementsTable } from "./transform-arrow.js";
import type { MeasurementFlattener } from "./transform-measurements.js";

/**
 * Encodes the measurements partition row group by row group from the closed rows of a flattener,
 * into one Parquet object (pipeline-core's one rule: one object per partition, row groups of
 * `ROWS_PER_ROW_GROUP` rows), then publishes it with `publishPartition` (shrink guard, one atomic
 * put). Row groups are encoded while the raw pages are still being read, as soon as enough final
 * rows exist, so memory follows the row group and not the day. Every group has exactly
 * `ROWS_PER_ROW_GROUP` rows but the last, so the bytes depend only on the rows: reruns are
 * byte-identical, and equal to what `writePartition` writes for the same table.
 */
export class MeasurementPartWriter {
  private readonly encoder = new ParquetStreamEncoder();
  constructor(
    private readonly flattener: MeasurementFlattener,
    readonly rowsPerGroup = ROWS_PER_ROW_GROUP,
  ) {
    if (!(Number.isInteger(rowsPerGroup) && rowsPerGroup > 0))
      throw new Error(`rowsPerGroup must be a positive integer, got ${rowsPerGroup}.`);
  }

  /** Encodes every full row group available among the closed rows; with `final`, the remainder too. */
  flush(final = false): void {
    const f = this.flattener;
    while (f.closedRows >= this.rowsPerGroup || (final && f.closedRows > 0)) {
      this.encodeGroup(Math.min(this.rowsPerGroup, f.closedRows));
    }
    if (final && this.encoder.rowCount === 0) this.encodeGroup(0);
  }

  private encodeGroup(n: number): void {
    const f = this.flattener;
    this.encoder.write(measurementsTable(f.columns, 0, n));
    f.dropClosedRows(n);
  }

  async publish(
    store: ObjectStore,
    env: Environment,
    day: IsoDay,
    options: { allowShrink?: boolean; beforeCommit?: () => Promise<void> } = {},
  ): Promise<PartitionWriteReport> {
    this.flush(true);
    return publishPartition({
      store,
      env,
      dataset: measurementsDataset,
      day,
      rows: this.flattener.accepted,
      body: await this.encoder.finish(),
      ...options,
    });
  }
}
