/**
 * A small tour of pipeline-core: write one day of measurements to a local lake, idempotently, and
 * read it back. Run from the workspace root with `pnpm demo [lakeDir]`.
 */
import {
  decodeParquet,
  listKeys,
  type MeasurementRow,
  measurements,
  openStore,
  writePartition,
  writeQuarantine,
} from "@openaq-lakehouse/pipeline-core";

const store = await openStore(process.argv[2] ?? ".lake-demo");
const day = "2024-03-01";
const start = Date.parse(`${day}T00:00:00Z`);
const rows: MeasurementRow[] = Array.from({ length: 24 }, (_, h) => ({
  location_id: 2161,
  sensor_id: 7772,
  parameter_id: 2,
  parameter: "pm25",
  value: 20 + h,
  unit: "µg/m³",
  datetime: start + h * 3_600_000,
  datetime_to: start + (h + 1) * 3_600_000,
  period_label: "1hour",
  period_seconds: 3600,
  coverage_percent: 100,
  has_flags: false,
  coordinates: { lat: 21.0245, lon: 105.8412 },
}));

const first = await writePartition({ store, env: "dev", dataset: measurements, day, rows });
const again = await writePartition({ store, env: "dev", dataset: measurements, day, rows });
await writeQuarantine({
  store,
  env: "dev",
  dataset: "measurements",
  day,
  records: [
    { reason: "SENTINEL_VALUE", detail: "-999 is OpenAQ's no-data sentinel", record: { value: -999 } },
  ],
});
const table = decodeParquet((await store.get(first.keys[0] as string)) as Uint8Array);
console.log(`lake: ${store.uri}`);
console.log(
  `wrote ${first.rows} rows to ${first.keys.join(", ")} (${first.bytes} bytes); rerun deleted ${again.deletedKeys.length} objects`,
);
console.log(`objects: ${(await listKeys(store, "dev/")).join("\n         ")}`);
console.log(
  `read back ${table.numRows} rows; first: ${JSON.stringify(table.get(0)?.toJSON(), (_k, v) => (typeof v === "bigint" ? Number(v) : v))}`,
);
