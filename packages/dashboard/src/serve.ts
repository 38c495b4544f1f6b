import { type Environment, PipelineError } from "@openaq-lakehouse/pipeline-core";
import type { EngineOpener } from "./engines.js";
import { type Dashboard, startDashboard } from "./server.js";

export interface ServeDashboardOptions {
  env: Environment;
  environments: readonly Environment[];
  port: number;
  openEngine: EngineOpener;
  /** See DashboardOptions.dataVersion. */
  dataVersion?: (env: Environment) => Promise<string>;
  /** Where the address and the stop notice are printed. */
  print(line: string): void;
  /** Stops the server; without it, SIGINT or SIGTERM does. */
  signal?: AbortSignal;
  /** Called once the server listens (tests read the address from here). */
  onListening?(dashboard: Dashboard): void;
}

/** `openaq-pipeline dashboard`: serves until stopped (Ctrl-C), then closes the server and its engine. */
export async function serveDashboard(opts: ServeDashboardOptions): Promise<void> {
  let dashboard: Dashboard;
  try {
    dashboard = await startDashboard({
      env: opts.env,
      environments: opts.environments,
      port: opts.port,
      openEngine: opts.openEngine,
      ...(opts.dataVersion !== undefined && { dataVersion: opts.dataVersion }),
    });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "EADDRINUSE") {
      throw new PipelineError(
        "PORT_IN_USE",
        `Port ${opts.port} on 127.0.0.1 is in use: pass --port N, or --port 0 for any free port.`,
      );
    }
    throw e;
  }
  opts.print(
    `Dashboard of ${opts.environments.join(" and ")} (opens on ${opts.env}) at ${dashboard.url} — Ctrl-C to stop.`,
  );
  opts.onListening?.(dashboard);
  await new Promise<void>((resolve) => {
    if (opts.signal) {
      if (opts.signal.aborted) return resolve();
      opts.signal.addEventListener("abort", () => resolve(), { once: true });
      return;
    }
    const stop = () => {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      resolve();
    };
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  });
  await dashboard.close();
  opts.print("Dashboard stopped.");
}
