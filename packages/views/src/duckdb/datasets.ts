import type { Dirent } from "node:fs";
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import {
  type DatasetSchema,
  datasetPrefix,
  type Environment,
  sqlColumns,
} from "@openaq-lakehouse/pipeline-core";

/** Where DuckDB finds a dataset's processed Parquet: `<lakeRoot>/<env>/processed/<dataset>/`. */
export function processedDir(lakeRoot: string, env: Environment, dataset: DatasetSchema): string {
  return join(lakeRoot, datasetPrefix({ env, layer: "processed", dataset: dataset.name }));
}

/** A Parquet object of the lake (a writer's temp file, hidden, never matches). */
function isParquetObject(entry: Dirent): boolean {
  return entry.isFile() && entry.name.endsWith(".parquet") && !entry.name.startsWith(".");
}

/** The entries of a folder; none when it does not exist (yet). */
async function entriesOf(dir: string): Promise<Dirent[]> {
  try {
    return await readdir(dir, { withFileTypes: true });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") return [];
    throw e;
  }
}

/** True once any `*.parquet` object exists under the folder (temp files of a writer never match). */
export async function hasParquet(dir: string): Promise<boolean> {
  const entries = await entriesOf(dir);
  if (entries.some(isParquetObject)) return true;
  for (const entry of entries) {
    if (entry.isDirectory() && (await hasParquet(join(dir, entry.name)))) return true;
  }
  return false;
}

/** Every `*.parquet` object under the folder, sorted (the order DuckDB binds a list in). */
export async function listParquet(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string): Promise<void> => {
    for (const entry of await entriesOf(d)) {
      const path = join(d, entry.name);
      if (entry.isDirectory()) await walk(path);
      else if (isParquetObject(entry)) out.push(path);
    }
  };
  await walk(dir);
  return out.sort();
}

/**
 * A literal folder inside a DuckDB glob: `*`, `?`, `[` and `]` would be pattern characters (a lake
 * called `lake[1]` or `lake?q` matched nothing), each becomes a one-character class.
 */
export function escapeGlob(path: string): string {
  return path.replace(/[*?[\]]/g, (c) => `[${c}]`);
}

export const quote = (s: string): string => `'${s.replaceAll("'", "''")}'`;

/**
 * A column cast to its declared type. Timestamps are read back through epoch microseconds: the
 * writer stores UTC instants (TIMESTAMPTZ to DuckDB) and Athena shows them as naive UTC, and
 * `make_timestamp(epoch_us(x))` gives exactly that in any session zone, 6× faster than a zone-aware
 * CAST (measured on 1.75M rows).
 */
function castSql(name: string, type: string): string {
  return type === "TIMESTAMP" ? `make_timestamp(epoch_us(${name}))` : `CAST(${name} AS ${type})`;
}

/**
 * The body of `openaq_{env}.<dataset>`: the lake's Parquet read with hive partitioning, each column
 * cast to the type pipeline-core declares (timestamps become naive UTC `TIMESTAMP`, like an Athena
 * `timestamp` column), partition keys as strings like Glue's. With no files yet it is an empty
 * relation of the same columns and types, so views over it still bind and return zero rows.
 * `source` is the dataset folder (read as a glob) or an explicit list of its objects.
 */
export function datasetRelationSql(
  schema: DatasetSchema,
  source: string | readonly string[] | undefined,
): string {
  const columns = sqlColumns(schema, "duckdb");
  if (source === undefined) {
    const cols = [
      ...columns.map((c) => `CAST(NULL AS ${c.type}) AS ${c.name}`),
      ...schema.partitionKeys.map((k) => `CAST(NULL AS VARCHAR) AS ${k}`),
    ];
    return `SELECT ${cols.join(", ")} WHERE false`;
  }
  const cols = [...columns.map((c) => `${castSql(c.name, c.type)} AS ${c.name}`), ...schema.partitionKeys];
  const hiveTypes = schema.partitionKeys.map((k) => `${k}: VARCHAR`).join(", ");
  const files =
    typeof source === "string"
      ? // one `*/` per partition level: a fixed-depth glob lists fewer folders than `**`
        quote(
          `${escapeGlob(source.replace(/\/+$/, ""))}/${"*/".repeat(schema.partitionKeys.length)}*.parquet`,
        )
      : `[${source.map(quote).join(", ")}]`;
  return `SELECT ${cols.join(", ")} FROM read_parquet(${files}, hive_partitioning = true, hive_types = {${hiveTypes}})`;
}
