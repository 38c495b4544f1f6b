import { describe, expect, it } from "vitest";
import { DEFAULT_DASHBOARD_PORT, parseCli, UsageError } from "../src/cli/args.js";

/** `openaq-pipeline dashboard [--env] [--port] [--lake]`: the arguments only; the server is tested in packages/dashboard. */
describe("dashboard arguments", () => {
  const parse = (argv: string[]) => parseCli(argv, {}, new Date("2026-06-15T12:00:00Z"));

  it("defaults to dev, the default lake and port 8787; takes --env, --port and --lake", () => {
    expect(parse(["dashboard"])).toMatchObject({
      command: "dashboard",
      env: "dev",
      port: DEFAULT_DASHBOARD_PORT,
    });
    expect(DEFAULT_DASHBOARD_PORT).toBe(8787);
    expect(parse(["dashboard", "--env", "prod", "--port", "0", "--lake", "/tmp/lake"])).toMatchObject({
      env: "prod",
      port: 0,
      lake: "/tmp/lake",
    });
  });

  it("refuses a port that is not 0..65535, and --port on other commands", () => {
    for (const port of ["65536", "-1", "80a", ""]) {
      expect(() => parse(["dashboard", "--port", port]), port).toThrow(UsageError);
    }
    expect(() => parse(["dashboard", "--port", "99999"])).toThrow(/expected 0 to 65535/);
    expect(() => parse(["query", "SELECT 1", "--port", "8080"])).toThrow(/--port belongs to dashboard/);
    expect(parse(["query", "SELECT 1"])).not.toHaveProperty("port");
  });
});

describe("dashboard command", () => {
  it("refuses a lake folder that does not exist instead of creating one", async () => {
    const { runCli } = await import("../src/cli/cli.js");
    let err = "";
    const code = await runCli(["dashboard", "--lake", "/nonexistent/lake-for-dashboard", "--port", "0"], {
      stdout: { write: () => {} },
      stderr: { write: (t: string) => (err += t) },
      env: {},
    });
    expect(code).toBe(2);
    expect(err).toBe(
      "The lake /nonexistent/lake-for-dashboard cannot be used: it does not exist (check --lake; this command never creates a lake).\n",
    );
  });
});
