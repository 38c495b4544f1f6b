import {
  AthenaClient,
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  type Row,
  StartQueryExecutionCommand,
  StopQueryExecutionCommand,
  TooManyRequestsException,
} from "@aws-sdk/client-athena";
import { leakedSecrets, withSignedRequest } from "@openaq-lakehouse/test-support/aws-errors";
import { mockClient } from "aws-sdk-client-mock";
import "aws-sdk-client-mock-vitest/extend";
import { beforeEach, describe, expect, it } from "vitest";
import { deployViews, openAthenaEngine, renderViews, validateViews } from "../src/index.js";

/**
 * The Athena contract as the Athena API Reference describes StartQueryExecution, GetQueryExecution
 * and GetQueryResults (pages of at most 1,000 rows, a SELECT's header first), played by aws-sdk-client-mock.
 */
const athena = mockClient(AthenaClient);
beforeEach(() => athena.reset());

const row = (...values: Array<string | undefined>): Row => ({
  Data: values.map((v) => (v === undefined ? {} : { VarCharValue: v })),
});
const meta = (cols: Array<[string, string]>) => ({
  ColumnInfo: cols.map(([Name, Type]) => ({ Name, Label: Name, Type })),
});
const state = (State: string, extra: Record<string, unknown> = {}) => ({
  QueryExecution: {
    QueryExecutionId: "q-1",
    StatementType: "DML" as const,
    Status: { State: State as never, ...extra },
  },
});

const engine = (over: Partial<Parameters<typeof openAthenaEngine>[0]> = {}) =>
  openAthenaEngine({
    env: "prod",
    workgroup: "openaq-prod",
    client: new AthenaClient({ region: "us-east-1" }),
    pollMs: 1,
    ...over,
  });

describe("Athena engine", () => {
  it("starts in the env's database and workgroup, polls to success, pages results and types values", async () => {
    athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: "q-1" });
    athena
      .on(GetQueryExecutionCommand)
      .resolvesOnce(state("QUEUED"))
      .resolvesOnce(state("RUNNING"))
      .resolves(state("SUCCEEDED"));
    const cols = meta([
      ["location_id", "integer"],
      ["pm25", "double"],
      ["latest_datetime_utc", "timestamp"],
      ["day", "date"],
      ["is_complete", "boolean"],
      ["city", "varchar"],
      ["hours_observed", "bigint"],
    ]);
    athena.on(GetQueryResultsCommand, { QueryExecutionId: "q-1", NextToken: undefined }).resolves({
      ResultSet: {
        ResultSetMetadata: cols,
        Rows: [
          row("location_id", "pm25", "latest_datetime_utc", "day", "is_complete", "city", "hours_observed"),
          row("101", "13.0", "2024-03-01 02:00:00.000", "2024-03-01", "true", "Hà Nội", "13"),
        ],
      },
      NextToken: "t2",
    });
    athena.on(GetQueryResultsCommand, { QueryExecutionId: "q-1", NextToken: "t2" }).resolves({
      ResultSet: {
        ResultSetMetadata: cols,
        Rows: [row("102", undefined, "2024-03-01 05:00:00.1", "2024-03-01", "false", undefined, "0")],
      },
    });

    const e = engine({ outputLocation: "s3://results-bucket/athena-results/prod/" });
    const result = await e.query("SELECT * FROM openaq_prod.view_daily_average");

    expect(result.columns.map((c) => c.name)).toEqual([
      "location_id",
      "pm25",
      "latest_datetime_utc",
      "day",
      "is_complete",
      "city",
      "hours_observed",
    ]);
    expect(result.rows).toEqual([
      {
        location_id: 101,
        pm25: 13,
        latest_datetime_utc: "2024-03-01 02:00:00.000",
        day: "2024-03-01",
        is_complete: true,
        city: "Hà Nội",
        hours_observed: 13,
      },
      {
        location_id: 102,
        pm25: null,
        latest_datetime_utc: "2024-03-01 05:00:00.100",
        day: "2024-03-01",
        is_complete: false,
        city: null,
        hours_observed: 0,
      },
    ]);
    expect(athena).toHaveReceivedCommandWith(StartQueryExecutionCommand, {
      QueryString: "SELECT * FROM openaq_prod.view_daily_average",
      WorkGroup: "openaq-prod",
      QueryExecutionContext: { Database: "openaq_prod" },
      ResultConfiguration: { OutputLocation: "s3://results-bucket/athena-results/prod/" },
    });
    expect(athena).toHaveReceivedCommandTimes(GetQueryExecutionCommand, 3);
    const pages = athena.commandCalls(GetQueryResultsCommand).map((c) => c.args[0].input);
    expect(pages).toEqual([
      { QueryExecutionId: "q-1", MaxResults: 1000 },
      { QueryExecutionId: "q-1", MaxResults: 1000, NextToken: "t2" },
    ]);
    await e.close();
  });

  it("pages past 1,000 rows, skipping the header row on the first page only", async () => {
    athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: "q-1" });
    athena.on(GetQueryExecutionCommand).resolves(state("SUCCEEDED"));
    const cols = meta([["n", "bigint"]]);
    const page = (from: number, count: number) =>
      Array.from({ length: count }, (_, i) => row(String(from + i)));
    athena.on(GetQueryResultsCommand, { NextToken: undefined }).resolves({
      ResultSet: { ResultSetMetadata: cols, Rows: [row("n"), ...page(0, 999)] },
      NextToken: "p2",
    });
    athena
      .on(GetQueryResultsCommand, { NextToken: "p2" })
      .resolves({ ResultSet: { ResultSetMetadata: cols, Rows: page(999, 1000) }, NextToken: "p3" });
    athena
      .on(GetQueryResultsCommand, { NextToken: "p3" })
      .resolves({ ResultSet: { ResultSetMetadata: cols, Rows: page(1999, 501) } });
    const { rows } = await engine().query("SELECT n FROM t");
    expect(rows).toHaveLength(2500);
    expect(rows.map((r) => r.n)).toEqual(Array.from({ length: 2500 }, (_, i) => i));
    expect(athena).toHaveReceivedCommandTimes(GetQueryResultsCommand, 3);
  });

  it("keeps the first row of DDL and utility results (they have no header row)", async () => {
    athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: "q-1" });
    athena
      .on(GetQueryExecutionCommand)
      .resolves({ QueryExecution: { StatementType: "UTILITY", Status: { State: "SUCCEEDED" } } });
    athena.on(GetQueryResultsCommand).resolves({
      ResultSet: {
        ResultSetMetadata: meta([["tab_name", "string"]]),
        Rows: [row("locations"), row("measurements")],
      },
    });
    expect((await engine().query("SHOW TABLES")).rows).toEqual([
      { tab_name: "locations" },
      { tab_name: "measurements" },
    ]);
  });

  it("FAILED surfaces Athena's reason", async () => {
    athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: "q-9" });
    athena
      .on(GetQueryExecutionCommand)
      .resolvesOnce(state("RUNNING"))
      .resolves(
        state("FAILED", {
          StateChangeReason: "COLUMN_NOT_FOUND: line 1:8: Column 'pm2_5' cannot be resolved",
        }),
      );
    await expect(engine().query("SELECT pm2_5 FROM openaq_prod.measurements")).rejects.toMatchObject({
      name: "PipelineError",
      code: "ATHENA_QUERY_FAILED",
      message: "Athena query q-9 failed: COLUMN_NOT_FOUND: line 1:8: Column 'pm2_5' cannot be resolved",
    });
    expect(athena).toHaveReceivedCommandTimes(GetQueryResultsCommand, 0);
  });

  it("CANCELLED is a clear error", async () => {
    athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: "q-2" });
    athena.on(GetQueryExecutionCommand).resolves(state("CANCELLED"));
    await expect(engine().query("SELECT 1")).rejects.toMatchObject({
      code: "ATHENA_QUERY_CANCELLED",
      message: expect.stringMatching(/^Athena query q-2 was cancelled/),
    });
  });

  it("a timeout stops the query and stops polling", async () => {
    athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: "q-3" });
    athena.on(GetQueryExecutionCommand).resolves(state("RUNNING"));
    athena.on(StopQueryExecutionCommand).resolves({});
    await expect(engine({ pollMs: 5, timeoutMs: 60 }).query("SELECT 1")).rejects.toMatchObject({
      code: "ATHENA_TIMEOUT",
      message: expect.stringContaining("Athena query q-3 did not finish"),
    });
    expect(athena).toHaveReceivedCommandWith(StopQueryExecutionCommand, { QueryExecutionId: "q-3" });
    const polls = athena.commandCalls(GetQueryExecutionCommand).length;
    await new Promise((r) => setTimeout(r, 100));
    expect(athena.commandCalls(GetQueryExecutionCommand).length).toBe(polls);
  });

  it("backs off between polls (×1.5 up to the cap)", async () => {
    athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: "q-4" });
    const running = state("RUNNING");
    athena
      .on(GetQueryExecutionCommand)
      .resolvesOnce(running)
      .resolvesOnce(running)
      .resolvesOnce(running)
      .resolvesOnce(running)
      .resolves(state("SUCCEEDED"));
    athena
      .on(GetQueryResultsCommand)
      .resolves({ ResultSet: { ResultSetMetadata: meta([["x", "integer"]]), Rows: [row("x")] } });
    const started = Date.now();
    await engine({ pollMs: 20, maxPollMs: 1000 }).query("SELECT 1 AS x");
    // sleeps of 20 + 30 + 45 + 68 = 163 ms; a fixed 20 ms poll would take 80 ms
    expect(Date.now() - started).toBeGreaterThanOrEqual(160);
  });

  it("SDK errors become one clear sentence", async () => {
    athena
      .on(StartQueryExecutionCommand)
      .rejects(
        Object.assign(new Error("WorkGroup openaq-prod is not found."), { name: "InvalidRequestException" }),
      );
    await expect(engine().query("SELECT 1")).rejects.toMatchObject({
      code: "ATHENA_ERROR",
      message:
        "Athena StartQueryExecution on workgroup openaq-prod failed: InvalidRequestException: WorkGroup openaq-prod is not found.",
    });
  });

  it("throttling through every retry is one sentence, and nothing of the signed request reaches the error", async () => {
    athena
      .on(StartQueryExecutionCommand)
      .rejects(
        withSignedRequest(new TooManyRequestsException({ message: "Rate exceeded", $metadata: {} }), 400),
      );
    const error = await engine()
      .query("SELECT 1")
      .catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: "ATHENA_ERROR",
      message:
        "Athena StartQueryExecution on workgroup openaq-prod failed: Athena kept throttling the requests (TooManyRequestsException) through every retry; try again later.",
    });
    expect(leakedSecrets(error)).toEqual([]);
  });

  it("deploys the same rendered SQL text and validates through the same interface", async () => {
    athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: "q-5" });
    athena
      .on(GetQueryExecutionCommand)
      .resolves({ QueryExecution: { StatementType: "DDL", Status: { State: "SUCCEEDED" } } });
    athena.on(GetQueryResultsCommand).resolves({ ResultSet: { ResultSetMetadata: meta([]), Rows: [] } });
    const e = engine();
    expect(await deployViews(e, { env: "prod", windowDays: 5 })).toEqual({
      views: ["openaq_prod.view_latest_aqi", "openaq_prod.view_daily_average"],
    });
    const sent = athena.commandCalls(StartQueryExecutionCommand).map((c) => c.args[0].input.QueryString);
    expect(sent).toEqual(renderViews({ env: "prod", windowDays: 5 }).map((v) => v.sql));

    athena.reset();
    athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: "q-6" });
    athena.on(GetQueryExecutionCommand).resolves(state("SUCCEEDED"));
    const cols = meta([
      ["row_count", "bigint"],
      ["latest", "timestamp"],
    ]);
    athena
      .on(GetQueryResultsCommand)
      .resolvesOnce({
        ResultSet: {
          ResultSetMetadata: cols,
          Rows: [row("row_count", "latest"), row("12", "2024-03-01 02:00:00.000")],
        },
      })
      .resolves({
        ResultSet: { ResultSetMetadata: cols, Rows: [row("row_count", "latest"), row("0", undefined)] },
      });
    const report = await validateViews(e, { env: "prod", now: new Date("2024-03-01T12:00:00Z") });
    expect(report).toEqual({
      ok: false,
      views: [
        { view: "view_latest_aqi", rows: 12, latest: "2024-03-01 02:00:00.000" },
        {
          view: "view_daily_average",
          rows: 0,
          latest: null,
          problem: expect.stringMatching(/^view_daily_average is empty: /),
        },
      ],
    });
  });
});
