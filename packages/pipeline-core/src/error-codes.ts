/**
 * Every `PipelineError` code, in one closed list: what it means and the exit status the
 * `openaq-pipeline` CLI gives it. Codes are stable (tools branch on them), so a code is added here
 * before it is thrown anywhere, and never renamed. The list covers the whole lakehouse, not only this
 * library, because every package throws `PipelineError` and the CLI decides its exit status from it;
 * docs/errors.md is generated from it (`pnpm docs:errors`).
 */

/** The run failed: the data, the lake or a service said no. */
export const EXIT_FAILED = 1;
/** How the command was called must change: a bad argument, option, lake path or configuration. */
export const EXIT_USAGE = 2;

export type ExitCode = typeof EXIT_FAILED | typeof EXIT_USAGE;

export interface ErrorCodeInfo {
  readonly exit: ExitCode;
  /** One line: when the code is thrown. */
  readonly meaning: string;
}

const failed = (meaning: string): ErrorCodeInfo => ({ exit: EXIT_FAILED, meaning });
const usage = (meaning: string): ErrorCodeInfo => ({ exit: EXIT_USAGE, meaning });

export const ERROR_CODES = {
  API_CLIENT_ERROR: failed(
    "A request to the OpenAQ API failed in the client itself, before any HTTP answer.",
  ),
  API_FORBIDDEN: failed("The OpenAQ API refused access (HTTP 403)."),
  API_GONE: failed("The OpenAQ API no longer serves an endpoint (HTTP 410)."),
  API_HTTP_ERROR: failed("The OpenAQ API answered an HTTP error status that no other API_ code covers."),
  API_KEY_MISSING: usage(
    "No OpenAQ API key where the API needs one: set OPENAQ_API_KEY or OPENAQ_API_KEY_PARAMETER.",
  ),
  API_KEY_PARAMETER_EMPTY: failed("The SSM parameter named by OPENAQ_API_KEY_PARAMETER holds no value."),
  API_KEY_PARAMETER_UNREADABLE: failed(
    "The SSM parameter named by OPENAQ_API_KEY_PARAMETER cannot be read: missing, access denied, no credentials, or another AWS error.",
  ),
  API_KEY_REJECTED: failed("The OpenAQ API rejected the API key (HTTP 401)."),
  API_NOT_FOUND: failed("The OpenAQ API has no such resource (HTTP 404)."),
  API_REQUEST_REJECTED: failed("The OpenAQ API rejected a request's parameters (HTTP 422)."),
  API_UNREACHABLE: failed(
    "The OpenAQ API could not be reached (DNS, refused or timed-out connections) after every retry.",
  ),
  ARCHIVE_CHECKSUM_MISMATCH: failed(
    "An OpenAQ archive file changed while it was read: its bytes do not match its ETag.",
  ),
  ARCHIVE_FILE_MISSING: failed("An OpenAQ archive file that was listed disappeared before it was read."),
  ARCHIVE_UNREADABLE: failed("The OpenAQ archive could not be listed or read."),
  ATHENA_ERROR: failed("An Athena API call failed (the call itself, not the query it runs)."),
  ATHENA_QUERY_CANCELLED: failed("An Athena query was cancelled, by a user or by the workgroup's limits."),
  ATHENA_QUERY_FAILED: failed("An Athena query ran and failed; the message gives Athena's reason."),
  ATHENA_REQUIRED: usage("--engine athena without an S3 lake and ATHENA_WORKGROUP."),
  ATHENA_TIMEOUT: failed("An Athena query did not finish in time and was stopped."),
  AWS_NO_CREDENTIALS: failed(
    "No AWS credentials were found for a call to Glue or Athena (S3: S3_NO_CREDENTIALS).",
  ),
  AWS_REGION_MISSING: usage("A call to AWS needs a region and none is set: set AWS_REGION."),
  BUILDER_FAILED: failed("A table builder was used again after it failed; start a new one."),
  CHECK_FAILED: failed("check found broken processed objects, or check --repair left some."),
  DASHBOARD_NOT_IN_IMAGE: failed(
    "dashboard was run in the container image, which does not ship the dashboard.",
  ),
  DAY_IN_FUTURE: failed("extract was asked for a UTC day that has not started yet."),
  ENGINE_CLOSED: failed("A query engine was used after it was closed."),
  ENGINE_ENV_MISMATCH: failed("A query engine opened for one environment was asked to serve another."),
  ENGINE_OPEN_FAILED: failed("DuckDB could not be started."),
  EXTRACT_FAILED: failed("extract failed at a sensor for a reason that is not itself a PipelineError."),
  FIXTURES_NOT_IN_IMAGE: failed(
    "The bundled OpenAQ fixtures (no API key, a local lake) were asked for in the container image, which does not ship them.",
  ),
  GLUE_CRAWLER_MISSING: failed("The Glue crawler named by GLUE_CRAWLER_NAME does not exist."),
  GLUE_CRAWL_FAILED: failed("The Glue crawler's crawl did not succeed."),
  GLUE_CRAWL_TIMEOUT: failed("The Glue crawler was still running when the wait ran out."),
  GLUE_ERROR: failed("A Glue call failed for a reason no other GLUE_ code covers."),
  GLUE_NO_PROJECTION: failed("CATALOG_MODE=projection, but a Glue table has no partition projection."),
  GLUE_PARTITION_FAILED: failed("Glue refused to add a day's partition to a table."),
  GLUE_TABLE_MISSING: failed("A Glue table of the environment does not exist: its stack is not deployed."),
  GLUE_TABLE_NO_LOCATION: failed(
    "A Glue table has no storage descriptor or location to place partitions under.",
  ),
  INT64_OUT_OF_RANGE: failed("An int64 beyond ±2^53 was read as a JavaScript number."),
  INVALID_ARCHIVE: usage("OPENAQ_ARCHIVE_URI is neither s3://bucket nor a folder path."),
  INVALID_ARCHIVE_KEY: failed("An OpenAQ archive key is absolute or holds '.' or '..' segments."),
  INVALID_ARCHIVE_SQL: failed(
    "The archive transform's SQL cannot be built from its input (no location, a bad number).",
  ),
  INVALID_BASE_URL: failed("The OpenAQ base URL is not an http(s) URL."),
  INVALID_BUCKET: failed("An S3 bucket name breaks the bucket naming rules."),
  INVALID_CATALOG_MODE: failed("CATALOG_MODE is not one of projection, partitions or crawler."),
  INVALID_COUNTRY: failed("An OpenAQ country id is not a positive integer."),
  INVALID_DATASET: failed("A dataset definition is invalid: a column defined twice."),
  INVALID_DATE: failed("A day or month is not a real one in the form asked for (YYYY-MM-DD, YYYY-MM)."),
  INVALID_DATE_RANGE: failed("A range of days ends before it starts."),
  INVALID_ENVIRONMENT: failed("An environment is not one of the lake's (dev, prod)."),
  INVALID_ENVIRONMENT_VARIABLE: failed(
    "A variable of the container environment holds a value it cannot take (the CLI reports it as USAGE).",
  ),
  INVALID_FILE_NAME: failed(
    "A lake object name holds characters, or ends in an extension, the layout does not allow.",
  ),
  INVALID_FILTER: failed("A read filters on a partition key, or by day, that the dataset does not have."),
  INVALID_IDENTIFIER: failed("A dataset, column or database name is not a lower-case identifier."),
  INVALID_KEY: failed(
    "An object key or prefix is not a safe relative path, or leads out of the lake folder (through a symlink too).",
  ),
  INVALID_LAKE: usage("The lake is neither a folder path nor s3://bucket."),
  INVALID_LAKE_KEY: failed("A key is not one of the lake layout's keys."),
  INVALID_LAYER: failed("A lake layer is not one of raw, processed or quarantine."),
  INVALID_LEASE: failed("A lease generation is outside 1 to 9,999,999,999."),
  INVALID_LOCATION: failed("A table location is not s3://bucket/prefix/ with a valid bucket and prefix."),
  INVALID_LOCATION_ID: failed("An OpenAQ location id is not a positive integer."),
  INVALID_MANIFEST: failed("A raw run manifest or an archive manifest in the lake is not valid."),
  INVALID_OPTION: failed(
    "An option given in code is out of its range (thresholds, rates, limits, a workgroup).",
  ),
  INVALID_PAGE_LIMIT: failed("The OpenAQ page limit is outside what the API allows."),
  INVALID_PART: failed("A part index is not an integer from 0 to 99999."),
  INVALID_PARTITIONING: failed(
    "A dataset's partition keys or specs are a partitioning the lake cannot honour.",
  ),
  INVALID_PARTITION_VALUE: failed(
    "A partition value is missing, unknown, malformed, or contradicts the day.",
  ),
  INVALID_RANGE: failed("A backfill range starts after it ends."),
  INVALID_REASON: failed("A quarantine reason code is not UPPER_SNAKE_CASE."),
  INVALID_RUN_ID: failed("A raw run id does not have the form of one (20240115T031500123Z-1a2b3c)."),
  INVALID_SHA256: failed("A sha256 is not 64 lower-case hex digits."),
  INVALID_WINDOW: failed(
    "A time window is invalid: an API date-time without an offset, or a view window outside its days.",
  ),
  LAKE_LAYOUT: failed("A stored object lies outside its dataset's partition layout."),
  LAKE_UNUSABLE: usage(
    "The lake folder is a file, cannot be created or written, or does not exist for a read-only command.",
  ),
  LEASE_HELD: failed("Another writer held the day's lease for longer than the wait."),
  LEASE_LOST: failed(
    "The run's lease expired and another writer took it over; the run stopped without writing.",
  ),
  NO_ATHENA_WORKGROUP: usage("ATHENA_WORKGROUP is not set, and a command on an S3 lake needs Athena."),
  NO_COMPLETE_EXTRACT: failed("transform found no complete extract of the day: run extract first."),
  NO_CRAWLER_NAME: failed("CATALOG_MODE=crawler without GLUE_CRAWLER_NAME."),
  NO_SUCH_RAW_RUN: failed("The raw run asked for does not exist for the day, or its manifest disappeared."),
  OBJECT_UNREADABLE: failed(
    "A query met a processed object it cannot read; the message names check --repair.",
  ),
  PAGINATION_MISMATCH: failed("The OpenAQ API answered a page with another limit than the one asked."),
  PAGINATION_REPEATED: failed("The OpenAQ API returned the same rows on two pages: it ignores paging there."),
  PAGINATION_RUNAWAY: failed("An OpenAQ listing still had full pages after the most pages allowed."),
  PARTITION_CHANGED: failed("A partition was replaced while it was being read: read it again."),
  PARTITION_SHRINK: failed(
    "Replacing a partition would drop more rows than allowed (--allow-shrink accepts it).",
  ),
  PORT_IN_USE: failed("The dashboard's port on 127.0.0.1 is in use."),
  PROFILING_DISABLED: failed("Profiling was asked of a DuckDB engine opened without profiling."),
  QUARANTINE_RATE_EXCEEDED: failed("transform quarantined more records than --max-quarantine-rate allows."),
  QUERY_FAILED: failed("A query failed: the SQL did not parse, or the engine refused or failed it."),
  QUERY_NOT_READ_ONLY: usage("query was given something other than exactly one read statement."),
  RAW_CHECKSUM_MISMATCH: failed("A raw page's bytes differ from what its run manifest recorded."),
  RAW_PAGE_MISSING: failed("A raw page listed by its run manifest is missing."),
  RAW_RUN_EXISTS: failed("A raw run manifest with the same id already exists: retry the extract."),
  RESPONSE_FILTER_IGNORED: failed(
    "The OpenAQ API answered with rows its country filter should have excluded.",
  ),
  RESPONSE_OUT_OF_WINDOW: failed("The OpenAQ API answered with readings outside the requested window."),
  RETRIES_EXHAUSTED: failed(
    "A request to the OpenAQ API kept failing (rate limits, server errors) through every retry.",
  ),
  S3_ACCESS_DENIED: failed("S3 denied access: the credentials or the IAM policy do not allow the call."),
  S3_DELETE_FAILED: failed("S3 DeleteObjects failed for some of the keys."),
  S3_ERROR: failed("An S3 call failed for a reason no other S3_ code covers."),
  S3_NO_CREDENTIALS: failed("No AWS credentials were found for a call to S3."),
  S3_NO_SUCH_BUCKET: failed("The S3 bucket does not exist."),
  S3_UNREACHABLE: failed("The S3 endpoint could not be reached."),
  SCHEMA_DRIFT: failed("An OpenAQ API response does not have the shape the client expects."),
  SCHEMA_MISMATCH: failed("A row or table does not match its dataset's definition."),
  STAGING_UNREADABLE: failed("An object Athena staged for the archive transform is not readable Parquet."),
  UNEXPECTED: failed(
    "Anything not a PipelineError: an unforeseen failure, named so in the CLI's JSON log (--debug prints the stack).",
  ),
  UNKNOWN_COUNTRY: failed("The dashboard's map has no outline for a country name."),
  UNKNOWN_LAKE_AREA: failed("A lake area is not one of the deployment contract's."),
  UNREADABLE_PART: failed("A stored object cannot be read as its dataset's Parquet."),
  USAGE: usage("A bad command, argument or option, or a bad value of a variable the CLI reads."),
  VALIDATION_FAILED: failed("validate found a serving view empty or stale."),
} as const satisfies Record<string, ErrorCodeInfo>;

/** A code of the closed list: a misspelt one does not compile. */
export type ErrorCode = keyof typeof ERROR_CODES;

export function isErrorCode(value: string): value is ErrorCode {
  return Object.hasOwn(ERROR_CODES, value);
}

/** The CLI's exit status for an error of this code. */
export function exitCodeOf(code: ErrorCode): ExitCode {
  return ERROR_CODES[code].exit;
}
