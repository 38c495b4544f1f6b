import { mkdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import {
  databaseName,
  type Environment,
  OPENAQ_ARCHIVE_COLUMNS,
  OPENAQ_ARCHIVE_TABLE,
} from "@openaq-lakehouse/pipeline-core";
import { COMPAT_MACROS, COMPAT_SETTINGS } from "@openaq-lakehouse/views";

/**
 * The archive SQL on DuckDB, as Athena would run it: `openaq_{env}.archive_records` is a view over
 * the archive folder's gzip CSVs with the Athena table's shape (every CSV column a string, by
 * position; `"$path"`; partition columns locationid/year/month from the keys), and the views'
 * compatibility layer supplies the Trino functions. The SQL text itself is passed through unchanged.
 */
export async function runArchiveSqlOnDuckDb(
  archiveRoot: string,
  env: Environment,
  sql: string,
): Promise<Array<Record<string, unknown>>> {
  const instance = await DuckDBInstance.create(":memory:");
  const c = await instance.connect();
  try {
    for (const s of [...COMPAT_SETTINGS, ...COMPAT_MACROS]) await c.run(s);
    const db = databaseName(env);
    const columns = OPENAQ_ARCHIVE_COLUMNS.map((n) => `'${n}': 'VARCHAR'`).join(", ");
    const glob = `${archiveRoot.replace(/\/+$/, "")}/records/csv.gz/*/*/*/*.csv.gz`;
    await c.run(`CREATE SCHEMA ${db}`);
    await c.run(
      `CREATE VIEW ${db}.${OPENAQ_ARCHIVE_TABLE} AS SELECT ${OPENAQ_ARCHIVE_COLUMNS.join(", ")}, filename AS "$path", locationid, year, month
       FROM read_csv('${glob}', header = true, auto_detect = false, delim = ',', quote = '"',
         columns = {${columns}}, filename = true, hive_partitioning = true,
         hive_types = {'locationid': INTEGER, 'year': VARCHAR, 'month': VARCHAR})`,
    );
    const reader = await c.runAndReadAll(sql);
    return reader.getRowObjectsJS() as Array<Record<string, unknown>>;
  } finally {
    c.closeSync();
    instance.closeSync();
  }
}

/**
 * What Athena's UNLOAD of the archive SQL writes, made here: the statement's SELECT run on DuckDB
 * over `archiveRoot`, its rows written as Parquet under `<lakeRoot>/<destination key>/day=YYYY-MM-DD/`
 * (the lake's bucket is `s3://lake-bucket`).
 */
export async function fakeUnload(archiveRoot: string, lakeRoot: string, statement: string): Promise<void> {
  const m =
    /^UNLOAD \(\n([\s\S]*)\n\) TO 's3:\/\/lake-bucket\/(.*)' WITH \(format = 'PARQUET', compression = 'SNAPPY', partitioned_by = ARRAY\['day'\]\)$/.exec(
      statement,
    );
  if (!m) throw new Error(`Not the expected UNLOAD: ${statement.slice(0, 80)}`);
  const rows = await runArchiveSqlOnDuckDb(archiveRoot, "dev", m[1] as string);
  const destination = join(lakeRoot, m[2] as string);
  await mkdir(destination, { recursive: true });
  const json = join(destination, "..", `rows-${Date.now()}.ndjson`);
  await writeFile(
    json,
    rows.map((r) => JSON.stringify(r, (_k, v) => (typeof v === "bigint" ? Number(v) : v))).join("\n"),
  );
  const instance = await DuckDBInstance.create(":memory:");
  const c = await instance.connect();
  try {
    await c.run(
      `COPY (SELECT * FROM read_json('${json}', format = 'newline_delimited', columns = {reason: 'VARCHAR', source: 'VARCHAR', location_id: 'INTEGER', sensor_id: 'INTEGER', parameter_id: 'INTEGER', parameter: 'VARCHAR', unit: 'VARCHAR', value: 'DOUBLE', value_text: 'VARCHAR', start_ms: 'BIGINT', end_ms: 'BIGINT', period_seconds: 'INTEGER', datetime_text: 'VARCHAR', day: 'VARCHAR'}))
       TO '${destination}' (FORMAT PARQUET, PARTITION_BY (day), OVERWRITE_OR_IGNORE)`,
    );
  } finally {
    c.closeSync();
    instance.closeSync();
    await rm(json, { force: true });
  }
}
