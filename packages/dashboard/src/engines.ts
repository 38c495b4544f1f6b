import type { Environment } from "@openaq-lakehouse/pipeline-core";
import type { QueryEngine, QueryResult } from "@openaq-lakehouse/views";

/** Opens the query engine of one environment (DuckDB on the lake folder, or Athena). */
export type EngineOpener = (env: Environment) => Promise<QueryEngine>;

/**
 * Holds at most one engine open, for one environment at a time, and runs one query at a time.
 *
 * An engine no longer locks anything (DuckDB builds its catalog in memory at open, in a few ms),
 * so this only bounds what an idle or single-environment page holds: one engine, none when idle.
 */
export class EngineSwitcher {
  private current: { env: Environment; engine: QueryEngine } | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private idleTimer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly open: EngineOpener,
    private readonly idleMs = 5_000,
  ) {}

  query(env: Environment, sql: string): Promise<QueryResult> {
    const run = this.queue.then(() => this.run(env, sql));
    // The queue goes on after a failed query; the failure belongs to its caller.
    this.queue = run.catch(() => {});
    return run;
  }

  private async run(env: Environment, sql: string): Promise<QueryResult> {
    if (this.closed) throw new Error("The dashboard is shutting down.");
    clearTimeout(this.idleTimer);
    try {
      if (this.current?.env !== env) {
        await this.release();
        this.current = { env, engine: await this.open(env) };
      }
      return await this.current.engine.readQuery(sql);
    } finally {
      this.idleTimer = setTimeout(() => {
        this.queue = this.queue.then(() => this.release());
      }, this.idleMs);
      this.idleTimer.unref();
    }
  }

  private async release(): Promise<void> {
    const engine = this.current?.engine;
    this.current = undefined;
    if (engine) await engine.close().catch(() => {});
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.idleTimer);
    await this.queue;
    await this.release();
  }
}
