import { type Table, tableFromIPC, tableToIPC } from "apache-arrow";
import {
  Compression,
  EnabledStatistics,
  readParquet,
  Table as WasmTable,
  WriterPropertiesBuilder,
  WriterVersion,
  writeParquet as writeParquetWasm,
} from "parquet-wasm";

/**
 * Arrow ↔ Snappy Parquet via parquet-wasm. The output is what Athena reads best: V1 data pages,
 * INT64 timestamps (never INT96), Snappy on every column. `createdBy` is a constant so the same
 * table always encodes to the same bytes (idempotent reruns are byte-identical).
 */
export const PARQUET_CREATED_BY = "openaq-lakehouse pipeline-core (parquet-wasm 0.8.0)";

export interface ParquetWriteOptions {
  /** Rows per row group; the default keeps one row group for any daily partition. */
  maxRowGroupSize?: number;
}

export function encodeParquet(table: Table, options: ParquetWriteOptions = {}): Uint8Array {
  const props = new WriterPropertiesBuilder()
    .setCompression(Compression.SNAPPY)
    .setWriterVersion(WriterVersion.V1)
    .setStatisticsEnabled(EnabledStatistics.Page)
    .setMaxRowGroupSize(options.maxRowGroupSize ?? 1_000_000)
    .setCreatedBy(PARQUET_CREATED_BY)
    .build();
  // writeParquet consumes (frees) both wasm objects.
  return writeParquetWasm(WasmTable.fromIPCStream(tableToIPC(table, "stream")), props);
}

export function decodeParquet(bytes: Uint8Array): Table {
  // The default batch size of 1024 rows makes row access ~1000x slower on large files (tsdata.md §1).
  return tableFromIPC(readParquet(bytes, { batchSize: 1 << 20 }).intoIPCStream());
}
