import { isValidBucketName } from "../contract.js";
import { PipelineError } from "../errors.js";
import { assertIdentifier } from "../identifiers.js";
import { hivePartitionTemplate, PARTITION_KEYS } from "../layout.js";
import { isDayPartitionKey, partitionKeySpec } from "../partitioning.js";
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

/** Glue `PartitionKeys`, in folder order: Hive partitions are strings (`month=03`, `region=north`). */
export function gluePartitionKeys(schema: DatasetSchema): SqlColumn[] {
  return schema.partitionKeys.map((name) => ({
    name,
    type: "string",
    comment: partitionKeyComment(schema, name),
  }));
}

function partitionKeyComment(schema: DatasetSchema, key: string): string {
  if (key === "dt") return "Partition: UTC day of the data, YYYY-MM-DD.";
  if (isDayPartitionKey(key)) return `Partition: UTC ${key} of the data.`;
  return partitionKeySpec(schema, key).description ?? `Partition: ${key}.`;
}

const S3_LOCATION = /^s3:\/\/([^/]*)\/(.*)$/;

/** An `s3://bucket/prefix/` table location, checked; one sentence says what is wrong with a bad one. */
export function assertTableLocation(location: string): string {
  const loc = location.endsWith("/") ? location : `${location}/`;
  const m = S3_LOCATION.exec(loc);
  if (!m) {
    throw new PipelineError(
      "INVALID_LOCATION",
      `Invalid table location ${JSON.stringify(location)}: expected s3://bucket/prefix/.`,
    );
  }
  const [, bucket, prefix] = m as unknown as [string, string, string];
  if (!isValidBucketName(bucket)) {
    throw new PipelineError(
      "INVALID_LOCATION",
      `Invalid table location ${JSON.stringify(location)}: bucket ${JSON.stringify(bucket)} is not a valid S3 bucket name (3-63 lower-case letters, digits, '.' or '-').`,
    );
  }
  if (
    !/^[A-Za-z0-9_=./-]*$/.test(prefix) ||
    prefix.split("/").some((seg, i, all) => (seg === "" && i < all.length - 1) || seg === "." || seg === "..")
  ) {
    throw new PipelineError(
      "INVALID_LOCATION",
      `Invalid table location ${JSON.stringify(location)}: the prefix may hold letters, digits, '_', '=', '.', '-' and '/' separated names, without '..' or empty segments.`,
    );
  }
  return loc;
}

export interface ProjectionRange {
  /** First year of the day keys' projection (default 2015). */
  firstYear?: number;
  /** Last year of the day keys' projection (default 2099). */
  lastYear?: number;
}

/**
 * Athena DDL for users who manage tables without Pulumi: an external Parquet table partitioned as the
 * dataset says, with partition projection, so new partitions need no crawler or MSCK.
 */
export function athenaCreateTableDdl(
  schema: DatasetSchema,
  opts: { database: string; location: string } & ProjectionRange,
): string {
  const db = assertIdentifier("database name", opts.database);
  const loc = assertTableLocation(opts.location);
  const cols = sqlColumns(schema, "hive").map((c) => `  \`${c.name}\` ${c.type}`);
  const parts = gluePartitionKeys(schema).map((c) => `\`${c.name}\` ${c.type}`);
  const props = datasetProjectionParameters(schema, loc, opts);
  return [
    `CREATE EXTERNAL TABLE IF NOT EXISTS \`${db}\`.\`${schema.name}\` (`,
    cols.join(",\n"),
    `)`,
    ...(parts.length > 0 ? [`PARTITIONED BY (${parts.join(", ")})`] : []),
    `STORED AS PARQUET`,
    `LOCATION '${loc}'`,
    `TBLPROPERTIES (`,
    Object.entries(props)
      .map(([k, v]) => `  '${k}'='${v}'`)
      .join(",\n"),
    `)`,
  ].join("\n");
}

/**
 * Glue table parameters for a dataset at `location`: Parquet + Snappy, and Athena partition projection
 * over exactly the dataset's partition keys (none for an unpartitioned dataset).
 */
export function datasetProjectionParameters(
  schema: DatasetSchema,
  location: string,
  range: ProjectionRange = {},
): Record<string, string> {
  const loc = assertTableLocation(location);
  const firstYear = range.firstYear ?? 2015;
  const lastYear = range.lastYear ?? 2099;
  if (
    !Number.isInteger(firstYear) ||
    !Number.isInteger(lastYear) ||
    firstYear > lastYear ||
    firstYear < 1000 ||
    lastYear > 9999
  ) {
    throw new PipelineError(
      "INVALID_OPTION",
      `Invalid projection years ${firstYear}-${lastYear}: expected four-digit years, first <= last.`,
    );
  }
  const params: Record<string, string> = { classification: "parquet", "parquet.compression": "SNAPPY" };
  const keys = schema.partitionKeys;
  if (keys.length === 0) return params;
  params["projection.enabled"] = "true";
  for (const key of keys) {
    const p = `projection.${key}`;
    if (key === "year")
      Object.assign(params, { [`${p}.type`]: "integer", [`${p}.range`]: `${firstYear},${lastYear}` });
    else if (key === "month")
      Object.assign(params, { [`${p}.type`]: "integer", [`${p}.range`]: "1,12", [`${p}.digits`]: "2" });
    else if (key === "day")
      Object.assign(params, { [`${p}.type`]: "integer", [`${p}.range`]: "1,31", [`${p}.digits`]: "2" });
    else if (key === "dt") {
      Object.assign(params, {
        [`${p}.type`]: "date",
        [`${p}.range`]: `${firstYear}-01-01,${lastYear}-12-31`,
        [`${p}.format`]: "yyyy-MM-dd",
        [`${p}.interval`]: "1",
        [`${p}.interval.unit`]: "DAYS",
      });
    } else {
      const spec = partitionKeySpec(schema, key);
      params[`${p}.type`] = spec.kind;
      if (spec.kind === "enum") params[`${p}.values`] = spec.values.join(",");
      if (spec.kind === "integer") {
        params[`${p}.range`] = `${spec.min},${spec.max}`;
        if (spec.digits !== undefined) params[`${p}.digits`] = String(spec.digits);
      }
    }
  }
  params["storage.location.template"] = loc + hivePartitionTemplate(keys);
  return params;
}

/**
 * Table parameters for Athena partition projection over the built-in day layout (`PARTITION_KEYS`,
 * the lake's own datasets); `datasetProjectionParameters` covers any dataset's partitioning.
 */
export function partitionProjectionParameters(
  location: string,
  firstYear = 2015,
  lastYear = 2099,
): Record<string, string> {
  return datasetProjectionParameters(DAY_LAYOUT, location, { firstYear, lastYear });
}

/** A stand-in definition for the built-in day layout (only its partition keys are read). */
const DAY_LAYOUT: DatasetSchema = {
  name: "day_layout",
  description: "",
  columns: [],
  partitionKeys: PARTITION_KEYS,
};
