import {
  archiveTableParameters,
  DATASETS,
  type DatasetSchema,
  databaseName,
  datasetPrefix,
  datasetProjectionParameters,
  type Environment,
  glueColumns,
  gluePartitionKeys,
  OPENAQ_ARCHIVE_BUCKET,
  OPENAQ_ARCHIVE_COLUMNS,
  OPENAQ_ARCHIVE_ROOT,
  OPENAQ_ARCHIVE_TABLE,
} from "@openaq-lakehouse/pipeline-core";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { crawlerPolicy } from "../iam/access-policies.js";
import type { AwsScope } from "../iam/arns.js";
import { serviceTrustPolicy } from "../iam/policy-document.js";
import { crawlerName } from "../names.js";

export const PARQUET_INPUT_FORMAT = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat";
export const PARQUET_OUTPUT_FORMAT = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat";
export const PARQUET_SERDE = "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe";
export const TEXT_INPUT_FORMAT = "org.apache.hadoop.mapred.TextInputFormat";
export const TEXT_OUTPUT_FORMAT = "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat";
/** Quoted CSV (both of the archive's quoting generations); every column is read as a string. */
export const OPEN_CSV_SERDE = "org.apache.hadoop.hive.serde2.OpenCSVSerde";
/** Last year the archive table's projection enumerates: raise it with the product's releases. */
export const ARCHIVE_PROJECTION_LAST_YEAR = 2035;

/**
 * Crawler settings that can add partitions but never touch a table definition: with
 * `updateBehavior: LOG` the crawler only logs schema changes, so the projection parameters Pulumi
 * sets stay (AWS Glue docs, "Preventing a crawler from changing an existing schema").
 */
export const CRAWLER_SCHEMA_CHANGE_POLICY = { updateBehavior: "LOG", deleteBehavior: "LOG" } as const;
export const CRAWLER_CONFIGURATION = JSON.stringify({
  Version: 1.0,
  CrawlerOutput: {
    Partitions: { AddOrUpdateBehavior: "InheritFromTable" },
    Tables: { AddOrUpdateBehavior: "MergeNewColumns" },
  },
  Grouping: { TableGroupingPolicy: "CombineCompatibleSchemas" },
});

export interface EnvironmentCatalogArgs {
  env: Environment;
  bucketName: pulumi.Input<string>;
  scope: pulumi.Input<AwsScope>;
  /** First year partition projection enumerates (inclusive). */
  projectionFirstYear: number;
  /** Create the seed's crawler over the processed prefix (partition projection makes it unnecessary). */
  crawler: boolean;
  /** Crawler schedule (cron), when the crawler is enabled. */
  crawlerSchedule?: string;
  tags?: Record<string, string>;
}

/** S3 URI of a dataset's processed prefix: `s3://bucket/{env}/processed/{dataset}/`. */
export function processedLocation(bucket: string, env: Environment, dataset: DatasetSchema): string {
  return `s3://${bucket}/${datasetPrefix({ env, layer: "processed", dataset: dataset.name })}`;
}

/**
 * One environment's Glue catalog: database `openaq_{env}` and one external Parquet table per
 * pipeline-core dataset, with partition projection over its partition keys (no crawler needed).
 */
export class EnvironmentCatalog extends pulumi.ComponentResource {
  public readonly databaseName: pulumi.Output<string>;
  public readonly tableNames: pulumi.Output<string[]>;
  public readonly crawlerName: pulumi.Output<string | undefined>;

  constructor(name: string, args: EnvironmentCatalogArgs, opts?: pulumi.ComponentResourceOptions) {
    super("openaq:catalog:EnvironmentCatalog", name, {}, opts);
    const parent = { parent: this };
    const env = args.env;
    const bucket = pulumi.output(args.bucketName);

    const database = new aws.glue.CatalogDatabase(
      `${name}-database`,
      {
        name: databaseName(env),
        description: `OpenAQ lakehouse catalog, environment ${env}.`,
        tags: args.tags,
      },
      parent,
    );

    const tables = Object.values(DATASETS).map((dataset) => {
      const location = bucket.apply((b) => processedLocation(b, env, dataset));
      return new aws.glue.CatalogTable(
        `${name}-${dataset.name}`,
        {
          name: dataset.name,
          databaseName: database.name,
          description: dataset.description,
          tableType: "EXTERNAL_TABLE",
          parameters: location.apply((loc) => ({
            EXTERNAL: "TRUE",
            // Projected on the dataset's own partition keys, the same ones `partitionKeys` declares.
            ...datasetProjectionParameters(dataset, loc, { firstYear: args.projectionFirstYear }),
          })),
          partitionKeys: gluePartitionKeys(dataset),
          storageDescriptor: {
            location,
            inputFormat: PARQUET_INPUT_FORMAT,
            outputFormat: PARQUET_OUTPUT_FORMAT,
            compressed: true,
            serDeInfo: { serializationLibrary: PARQUET_SERDE, parameters: { "serialization.format": "1" } },
            columns: glueColumns(dataset),
          },
        },
        parent,
      );
    });

    // The OpenAQ archive as a table of this database, for `backfill --source archive --engine athena`:
    // the public bucket's gzip CSVs read in place (no copy), projected on the key layout.
    new aws.glue.CatalogTable(
      `${name}-${OPENAQ_ARCHIVE_TABLE}`,
      {
        name: OPENAQ_ARCHIVE_TABLE,
        databaseName: database.name,
        description:
          "The OpenAQ open-data archive (s3://openaq-data-archive), one gzip CSV per location per local day.",
        tableType: "EXTERNAL_TABLE",
        parameters: archiveTableParameters(args.projectionFirstYear, ARCHIVE_PROJECTION_LAST_YEAR),
        partitionKeys: [
          { name: "locationid", type: "int" },
          { name: "year", type: "string" },
          { name: "month", type: "string" },
        ],
        storageDescriptor: {
          location: `s3://${OPENAQ_ARCHIVE_BUCKET}/${OPENAQ_ARCHIVE_ROOT}`,
          inputFormat: TEXT_INPUT_FORMAT,
          outputFormat: TEXT_OUTPUT_FORMAT,
          compressed: true,
          serDeInfo: {
            serializationLibrary: OPEN_CSV_SERDE,
            parameters: { separatorChar: ",", quoteChar: '"', escapeChar: "\\" },
          },
          columns: OPENAQ_ARCHIVE_COLUMNS.map((c) => ({ name: c, type: "string" })),
        },
      },
      parent,
    );

    let crawler: aws.glue.Crawler | undefined;
    if (args.crawler) {
      const role = new aws.iam.Role(
        `${name}-crawler-role`,
        {
          assumeRolePolicy: serviceTrustPolicy("glue.amazonaws.com"),
          description: `Glue crawler of ${databaseName(env)}.`,
          tags: args.tags,
        },
        parent,
      );
      new aws.iam.RolePolicy(
        `${name}-crawler-policy`,
        {
          role: role.name,
          policy: pulumi
            .all([args.scope, bucket])
            .apply(([scope, b]) => JSON.stringify(crawlerPolicy({ scope, env, bucket: b }))),
        },
        parent,
      );
      crawler = new aws.glue.Crawler(
        `${name}-crawler`,
        {
          name: crawlerName(env),
          databaseName: database.name,
          role: role.arn,
          catalogTargets: [{ databaseName: database.name, tables: tables.map((t) => t.name) }],
          schemaChangePolicy: CRAWLER_SCHEMA_CHANGE_POLICY,
          configuration: CRAWLER_CONFIGURATION,
          schedule: args.crawlerSchedule,
          tags: args.tags,
        },
        { parent: this, dependsOn: tables },
      );
    }

    this.databaseName = database.name;
    this.tableNames = pulumi.all(tables.map((t) => t.name));
    this.crawlerName = crawler ? crawler.name.apply((n): string | undefined => n) : pulumi.output(undefined);
    this.registerOutputs({
      databaseName: this.databaseName,
      tableNames: this.tableNames,
      crawlerName: this.crawlerName,
    });
  }
}
