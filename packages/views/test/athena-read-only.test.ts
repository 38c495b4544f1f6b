import {
  AthenaClient,
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  StartQueryExecutionCommand,
} from "@aws-sdk/client-athena";
import { mockClient } from "aws-sdk-client-mock";
import "aws-sdk-client-mock-vitest/extend";
import { beforeEach, describe, expect, it } from "vitest";
import { openAthenaEngine } from "../src/index.js";

const athena = mockClient(AthenaClient);
beforeEach(() => athena.reset());
const engine = () =>
  openAthenaEngine({
    env: "dev",
    workgroup: "openaq-dev",
    client: new AthenaClient({ region: "us-east-1" }),
    pollMs: 1,
  });

describe("Athena readQuery: reads only, in the env's database and workgroup", () => {
  it.each([
    "INSERT INTO measurements SELECT * FROM measurements",
    "CREATE TABLE x AS SELECT 1",
    "DROP VIEW view_latest_aqi",
    "CREATE OR REPLACE VIEW view_latest_aqi AS SELECT 1",
    "/* harmless */ DELETE FROM measurements",
    "EXPLAIN ANALYZE INSERT INTO x SELECT 1",
    "UNLOAD (SELECT 1) TO 's3://elsewhere/' WITH (format = 'PARQUET')",
    "MSCK REPAIR TABLE measurements",
  ])("refuses %s before anything reaches Athena", async (sql) => {
    await expect(engine().readQuery(sql)).rejects.toMatchObject({ code: "QUERY_NOT_READ_ONLY" });
    expect(athena).not.toHaveReceivedCommand(StartQueryExecutionCommand);
  });

  it.each([
    "SELECT 1",
    "-- the latest\nWITH x AS (SELECT 1 AS a) SELECT a FROM x",
    "SHOW TABLES",
    "DESCRIBE view_latest_aqi",
    "EXPLAIN SELECT * FROM measurements",
    "EXPLAIN ANALYZE SELECT count(*) FROM measurements",
  ])("runs %s in openaq_dev and the workgroup", async (sql) => {
    athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: "q-1" });
    athena
      .on(GetQueryExecutionCommand)
      .resolves({ QueryExecution: { QueryExecutionId: "q-1", Status: { State: "SUCCEEDED" } } });
    athena
      .on(GetQueryResultsCommand)
      .resolves({ ResultSet: { Rows: [], ResultSetMetadata: { ColumnInfo: [] } } });
    await engine().readQuery(sql);
    expect(athena).toHaveReceivedCommandWith(StartQueryExecutionCommand, {
      QueryString: sql,
      WorkGroup: "openaq-dev",
      QueryExecutionContext: { Database: "openaq_dev" },
    });
  });
});
