import nodeSqlParser from "node-sql-parser";
import { describe, expect, it } from "vitest";
import { DEFAULT_WINDOW_DAYS, renderViews, VIEW_COLUMNS, viewColumns } from "../src/index.js";

const parser = new nodeSqlParser.Parser();
const trino = { database: "trino" };

describe("rendered view SQL", () => {
  it("is one CREATE OR REPLACE VIEW per serving view, fully qualified per env", () => {
    for (const env of ["dev", "prod"] as const) {
      const views = renderViews({ env });
      expect(views.map((v) => v.qualifiedName)).toEqual([
        `openaq_${env}.view_latest_aqi`,
        `openaq_${env}.view_daily_average`,
      ]);
      for (const v of views)
        expect(v.sql.startsWith(`CREATE OR REPLACE VIEW openaq_${env}.${v.name} AS`)).toBe(true);
    }
  });

  it("parses as Trino SQL and reads only the env's measurements and locations", () => {
    for (const env of ["dev", "prod"] as const) {
      for (const v of renderViews({ env })) {
        const ast = parser.astify(v.sql, trino);
        expect(Array.isArray(ast) ? ast.length : 1).toBe(1);
        const catalogTables = parser
          .tableList(v.sql, trino)
          .filter((t) => !t.includes("::null::")) // CTE names
          .sort();
        expect(catalogTables).toEqual([
          `select::openaq_${env}::locations`,
          `select::openaq_${env}::measurements`,
        ]);
      }
    }
  });

  it("the parse check has teeth: DuckDB-only SQL is rejected by the trino dialect", () => {
    expect(() =>
      parser.astify("SELECT a FROM t QUALIFY row_number() OVER (PARTITION BY a) = 1", trino),
    ).toThrow();
    expect(() => parser.astify("SELECT a, count(*) FROM t GROUP BY ALL", trino)).toThrow();
  });

  it("stays in the portable subset (README): no DuckDB-only syntax the parser would accept", () => {
    for (const v of renderViews({ env: "dev" })) {
      const code = v.sql.replace(/--.*$/gm, "");
      expect(code).not.toMatch(/::/); // DuckDB casts
      expect(code).not.toMatch(
        /\b(strftime|strptime|epoch_ms|list_value|regexp_matches|string_agg|timezone)\s*\(/i,
      );
      expect(code).not.toMatch(/\bAS\s+STRING\b/i);
      expect(code).not.toMatch(/\bQUALIFY\b|\bGROUP BY ALL\b|\bEXCLUDE\b/i);
    }
  });

  it("dev and prod differ only in the database name, so dashboards can switch between them", () => {
    const dev = renderViews({ env: "dev" });
    const prod = renderViews({ env: "prod" });
    expect(dev.map((v) => v.sql.replaceAll("openaq_dev", "openaq_prod"))).toEqual(prod.map((v) => v.sql));
  });

  it("renders the window into the partition predicate; invalid input is refused", () => {
    const latest = (windowDays?: number) =>
      renderViews({ env: "dev", ...(windowDays ? { windowDays } : {}) })[0]?.sql ?? "";
    expect(DEFAULT_WINDOW_DAYS).toBe(3);
    expect(latest()).toContain("current_date - INTERVAL '2' DAY");
    expect(latest(7)).toContain("current_date - INTERVAL '6' DAY");
    expect(latest(1)).toContain("current_date - INTERVAL '0' DAY");
    for (const bad of [0, -1, 2.5, 400, Number.NaN]) {
      expect(() => renderViews({ env: "dev", windowDays: bad })).toThrow(/Invalid window/);
    }
    expect(() => renderViews({ env: "staging" as never })).toThrow(/Unknown environment/);
  });

  it("documents units in the SQL: ppm gases converted at 25 °C, everything else left out", () => {
    for (const v of renderViews({ env: "dev" })) {
      expect(v.sql).toMatch(/ppm × molar mass × 1000 \/ 24\.45/);
      expect(v.sql).toMatch(/left out/);
      expect(v.sql).toMatch(/values < 0 never count/);
    }
  });

  it("declares every view column once, with a type for each dialect", () => {
    expect(Object.keys(VIEW_COLUMNS)).toEqual(["view_latest_aqi", "view_daily_average"]);
    expect(
      viewColumns("view_daily_average", "trino").find((c) => c.name === "latest_datetime_utc")?.type,
    ).toBe("timestamp(3)");
    expect(viewColumns("view_daily_average", "hive").find((c) => c.name === "day")?.type).toBe("date");
    expect(viewColumns("view_latest_aqi", "hive").find((c) => c.name === "aqi")?.type).toBe("int");
  });
});
