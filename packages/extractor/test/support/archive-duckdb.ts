import { DuckDBInstance } from "@duckdb/node-api";
import { databaseName, type Environment } from "@openaq-lakehouse/pipeline-core";
import { COMPAT_MACROS, COMPAT_SETTINGS } from "@openaq-lakehouse/views";
import { ARCHIVE_TABLE, ARCHIVE_TABLE_COLUMNS } from "../../src/archive/sql.js";

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
    const columns = ARCHIVE_TABLE_COLUMNS.map((n) => `'${n}': 'VARCHAR'`).join(", ");
    const glob = `${archiveRoot.replace(/\/+$/, "")}/records/csv.gz/*/*/*/*.csv.gz`;
    await c.run(`CREATE SCHEMA ${db}`);
    await c.run(
      `CREATE VIEW ${db}.${ARCHIVE_TABLE} AS SELECT ${ARCHIVE_TABLE_COLUMNS.join(", ")}, filename AS "$path", locationid, year, month
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
