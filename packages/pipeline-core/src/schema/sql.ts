import { assertIdentifier } from "../identifiers.js";
import type { Column, ColumnType, DatasetSchema, ScalarKind } from "./types.js";

/** Type names per SQL dialect. `hive` is what Glue stores; `trino` is Athena DML; `duckdb` is the local engine. */
export type SqlDialect = "hive" | "trino" | "duckdb";

const SCALAR: Record<SqlDialect, Record<ScalarKind, string>> = {
  hive: {
    int32: "int",
    int64: "bigint",
    float64: "double",
    string: "string",
    boolean: "boolean",
    timestamp_ms: "timestamp",
  },
  trino: {
    int32: "integer",
    int64: "bigint",
    float64: "double",
    string: "varchar",
    boolean: "boolean",
    timestamp_ms: "timestamp(3)",
  },
  duckdb: {
    int32: "INTEGER",
    int64: "BIGINT",
    float64: "DOUBLE",
    string: "VARCHAR",
    boolean: "BOOLEAN",
    timestamp_ms: "TIMESTAMP",
  },
};

export function sqlType(type: ColumnType, dialect: SqlDialect): string {
  if (type.kind !== "struct") return SCALAR[dialect][type.kind];
  const fields = type.fields.map((f) => {
    const ft = sqlType(f.type, dialect);
    return dialect === "hive" ? `${f.name}:${ft}` : `${f.name} ${ft}`;
  });
  if (dialect === "hive") return `struct<${fields.join(",")}>`;
  if (dialect === "trino") return `row(${fields.join(", ")})`;
  return `STRUCT(${fields.join(", ")})`;
}

export interface SqlColumn {
  name: string;
  type: string;
  comment: string;
}

/** The data columns of a dataset in a dialect, in definition order. */
export function sqlColumns(schema: DatasetSchema, dialect: SqlDialect): SqlColumn[] {
  return schema.columns.map((c: Column) => ({
    name: c.name,
    type: sqlType(c.type, dialect),
    comment: c.description,
  }));
}

/** Glue `StorageDescriptor.Columns` (Hive types), e.g. for `aws.glue.CatalogTable`. */
export function glueColumns(schema: DatasetSchema): SqlColumn[] {
  return sqlColumns(schema, "hive");
}

/** Glue `PartitionKeys`: Hive partitions are strings (`month=03`). */
export function gluePartitionKeys(schema: DatasetSchema): SqlColumn[] {
  return schema.partitionKeys.map((name) => ({
    name,
    type: "string",
    comment: `Partition: UTC ${name} of the data.`,
  }));
}

/**
 * Athena DDL for users who manage tables without Pulumi: an external Parquet table with partition
 * projection over `year/month/day`, so new days need no crawler or MSCK.
 */
export function athenaCreateTableDdl(
  schema: DatasetSchema,
  opts: { database: string; location: string; firstYear?: number; lastYear?: number },
): string {
  const db = assertIdentifier("database name", opts.database);
  const loc = opts.location.endsWith("/") ? opts.location : `${opts.location}/`;
  if (!/^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](\/[A-Za-z0-9_=./-]*)?$/.test(loc) || loc.includes("..")) {
    throw new Error(`Invalid table location ${JSON.stringify(opts.location)}: expected s3://bucket/prefix/.`);
  }
  const cols = sqlColumns(schema, "hive").map((c) => `  \`${c.name}\` ${c.type}`);
  const parts = gluePartitionKeys(schema).map((c) => `\`${c.name}\` ${c.type}`);
  const props = partitionProjectionParameters(loc, opts.firstYear, opts.lastYear);
  return [
    `CREATE EXTERNAL TABLE IF NOT EXISTS \`${db}\`.\`${schema.name}\` (`,
    cols.join(",\n"),
    `)`,
    `PARTITIONED BY (${parts.join(", ")})`,
    `STORED AS PARQUET`,
    `LOCATION '${loc}'`,
    `TBLPROPERTIES (`,
    Object.entries(props)
      .map(([k, v]) => `  '${k}'='${v}'`)
      .join(",\n"),
    `)`,
  ].join("\n");
}

/** Table parameters for Athena partition projection over the lake's `year=/month=/day=` layout. */
export function partitionProjectionParameters(
  location: string,
  firstYear = 2015,
  lastYear = 2099,
): Record<string, string> {
  const loc = location.endsWith("/") ? location : `${location}/`;
  return {
    classification: "parquet",
    "parquet.compression": "SNAPPY",
    "projection.enabled": "true",
    "projection.year.type": "integer",
    "projection.year.range": `${firstYear},${lastYear}`,
    "projection.month.type": "integer",
    "projection.month.range": "1,12",
    "projection.month.digits": "2",
    "projection.day.type": "integer",
    "projection.day.range": "1,31",
    "projection.day.digits": "2",
    "storage.location.template": `${loc}year=\${year}/month=\${month}/day=\${day}/`,
  };
}
