import {
  AthenaClient,
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  type GetQueryResultsCommandOutput,
  type QueryExecution,
  StartQueryExecutionCommand,
  StopQueryExecutionCommand,
} from "@aws-sdk/client-athena";
import { awsError, databaseName, type Environment, PipelineError } from "@openaq-lakehouse/pipeline-core";
import type { QueryColumn, QueryEngine, QueryResult } from "../engine.js";
import { assertAthenaRead } from "./read-only.js";
import { fromAthenaText } from "./values.js";

export interface AthenaEngineOptions {
  env: Environment;
  /** The Athena workgroup (from the stack config); it carries the result location and limits. */
  workgroup: string;
  region?: string;
  /** `s3://bucket/prefix/` for results when the workgroup does not enforce one. */
  outputLocation?: string;
  /** An injected client (tests); otherwise one is created for `region` and destroyed on close. */
  client?: AthenaClient;
  /** First poll delay, ms; later polls back off ×1.5 up to `maxPollMs`. Default 250. */
  pollMs?: number;
  /** Longest delay between polls, ms. Default 5000. */
  maxPollMs?: number;
  /** Give up (and stop the query) after this long, ms. Default 10 minutes. */
  timeoutMs?: number;
}

/** GetQueryResults returns at most 1,000 rows per call. */
export const ATHENA_PAGE_SIZE = 1000;

export function openAthenaEngine(opts: AthenaEngineOptions): QueryEngine {
  const database = databaseName(opts.env);
  if (!opts.workgroup) throw new PipelineError("INVALID_OPTION", "An Athena workgroup is required.");
  const ownsClient = opts.client === undefined;
  const client = opts.client ?? new AthenaClient(opts.region ? { region: opts.region } : {});
  const pollMs = opts.pollMs ?? 250;
  const maxPollMs = Math.max(opts.maxPollMs ?? 5000, pollMs);
  const timeoutMs = opts.timeoutMs ?? 10 * 60_000;
  let closed = false;

  /** SDK errors (credentials, throttling after retries, bad workgroup) become one clear sentence. */
  async function send<T>(operation: string, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (e) {
      throw awsError(e, {
        service: "Athena",
        operation,
        target: `workgroup ${opts.workgroup}`,
        resource: `workgroup ${opts.workgroup}`,
        codes: { other: "ATHENA_ERROR" },
      });
    }
  }

  async function start(sql: string): Promise<string> {
    const out = await send("StartQueryExecution", () =>
      client.send(
        new StartQueryExecutionCommand({
          QueryString: sql,
          WorkGroup: opts.workgroup,
          QueryExecutionContext: { Database: database },
          ...(opts.outputLocation ? { ResultConfiguration: { OutputLocation: opts.outputLocation } } : {}),
        }),
      ),
    );
    if (!out.QueryExecutionId)
      throw new PipelineError("ATHENA_ERROR", "Athena accepted the query but returned no execution id.");
    return out.QueryExecutionId;
  }

  /** Polls until the query ends; FAILED, CANCELLED and the timeout are errors that say why. */
  async function waitFor(id: string): Promise<QueryExecution> {
    const deadline = Date.now() + timeoutMs;
    let delay = pollMs;
    for (;;) {
      const { QueryExecution: execution } = await send("GetQueryExecution", () =>
        client.send(new GetQueryExecutionCommand({ QueryExecutionId: id })),
      );
      const status = execution?.Status;
      switch (status?.State) {
        case "SUCCEEDED":
          return execution as QueryExecution;
        case "FAILED": {
          const reason = status.StateChangeReason ?? status.AthenaError?.ErrorMessage ?? "no reason given";
          throw new PipelineError("ATHENA_QUERY_FAILED", `Athena query ${id} failed: ${reason}`);
        }
        case "CANCELLED":
          throw new PipelineError(
            "ATHENA_QUERY_CANCELLED",
            `Athena query ${id} was cancelled${status.StateChangeReason ? `: ${status.StateChangeReason}` : " (by a user or the workgroup's limits)"}.`,
          );
      }
      const remaining = deadline - Date.now();
      if (remaining <= 0) {
        await send("StopQueryExecution", () =>
          client.send(new StopQueryExecutionCommand({ QueryExecutionId: id })),
        ).catch(() => undefined);
        throw new PipelineError(
          "ATHENA_TIMEOUT",
          `Athena query ${id} did not finish within ${Math.round(timeoutMs / 1000)} s (last state ${status?.State ?? "unknown"}); it was stopped.`,
        );
      }
      await sleep(Math.min(delay, remaining));
      delay = Math.min(Math.ceil(delay * 1.5), maxPollMs);
    }
  }

  async function fetchResults(id: string, execution: QueryExecution): Promise<QueryResult> {
    let columns: QueryColumn[] | undefined;
    const rows: Array<Record<string, unknown>> = [];
    // SELECT results repeat the column labels as their first row; DDL and utility results do not.
    let skipHeader = execution.StatementType === "DML";
    let token: string | undefined;
    do {
      const page: GetQueryResultsCommandOutput = await send("GetQueryResults", () =>
        client.send(
          new GetQueryResultsCommand({
            QueryExecutionId: id,
            MaxResults: ATHENA_PAGE_SIZE,
            ...(token ? { NextToken: token } : {}),
          }),
        ),
      );
      columns ??= (page.ResultSet?.ResultSetMetadata?.ColumnInfo ?? []).map((c) => ({
        name: c.Label ?? c.Name ?? "",
        type: c.Type ?? "varchar",
      }));
      const pageRows = page.ResultSet?.Rows ?? [];
      for (const [i, row] of pageRows.entries()) {
        if (skipHeader && i === 0) continue;
        const out: Record<string, unknown> = {};
        columns.forEach((c, j) => {
          out[c.name] = fromAthenaText(row.Data?.[j]?.VarCharValue, c.type);
        });
        rows.push(out);
      }
      skipHeader = false;
      token = page.NextToken;
    } while (token);
    return { columns: columns ?? [], rows };
  }

  return {
    kind: "athena",
    database,
    async query(sql: string): Promise<QueryResult> {
      if (closed) throw new PipelineError("ENGINE_CLOSED", "The Athena engine is closed.");
      const id = await start(sql);
      const execution = await waitFor(id);
      return fetchResults(id, execution);
    },
    async readQuery(sql: string): Promise<QueryResult> {
      assertAthenaRead(sql);
      return this.query(sql);
    },
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      if (ownsClient) client.destroy();
    },
  };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
