/**
 * The local catalog's cost: an engine that builds `openaq_dev` in memory when it opens (datasets,
 * compatibility macros, serving views: what the product does) against its peer, a persistent
 * `catalog.duckdb` holding the same objects, opened read-only (what readers would do if the
 * catalog were a file). Both on the 30- and 365-day lakes of bench/views.ts; median of RUNS
 * opens, with and without the first query (view_latest_aqi). Building costs a glob of the lake's
 * objects per view binding, so it grows with history where opening a file does not.
 *
 *   pnpm bench catalog
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { DATASETS, databaseName, formatIsoDay } from "@openaq-lakehouse/pipeline-core";
import {
  COMPAT_MACROS,
  COMPAT_SETTINGS,
  datasetRelationSql,
  openDuckDbEngine,
  processedDir,
  renderViews,
} from "@openaq-lakehouse/views";
import { lakeOf } from "./views.js";

const RUNS = 15;
const DATABASE = databaseName("dev");
const SQL = `SELECT count(*) FROM ${DATABASE}.view_latest_aqi`;

async function median(f: () => Promise<void>): Promise<number> {
  await f(); // warm the OS file cache and the module
  const xs: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    await f();
    xs.push(performance.now() - t0);
  }
  xs.sort((a, b) => a - b);
  return Math.round((xs[Math.floor(RUNS / 2)] as number) * 10) / 10;
}

export async function benchCatalog(): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = { runs: RUNS };
  for (const days of [30, 365]) out[`${days}Days`] = await benchLake(days);
  return out;
}

async function benchLake(days: number): Promise<Record<string, unknown>> {
  const { root } = await lakeOf(days, formatIsoDay(Date.now()));
  const dir = await mkdtemp(join(tmpdir(), "bench-catalog-"));
  const file = join(dir, "catalog.duckdb");
  try {
    const writer = await DuckDBInstance.create(file);
    const c = await writer.connect();
    for (const s of [...COMPAT_SETTINGS, ...COMPAT_MACROS]) await c.run(s);
    await c.run(`CREATE SCHEMA ${DATABASE}`);
    for (const d of Object.values(DATASETS)) {
      await c.run(
        `CREATE VIEW ${DATABASE}.${d.name} AS ${datasetRelationSql(d, processedDir(root, "dev", d))}`,
      );
    }
    for (const v of renderViews({ env: "dev" })) await c.run(v.sql);
    c.closeSync();
    writer.closeSync();

    const inMemory = async (query: boolean) => {
      const e = await openDuckDbEngine({ lakeRoot: root, env: "dev" });
      if (query) await e.readQuery(SQL);
      await e.close();
    };
    const fromFile = async (query: boolean) => {
      const db = await DuckDBInstance.create(file, { access_mode: "READ_ONLY" });
      const conn = await db.connect();
      await conn.run("SET TimeZone = 'UTC'");
      if (query) await conn.run(SQL);
      conn.closeSync();
      db.closeSync();
    };
    const open = {
      inMemoryMs: await median(() => inMemory(false)),
      readOnlyFileMs: await median(() => fromFile(false)),
    };
    const first = {
      inMemoryMs: await median(() => inMemory(true)),
      readOnlyFileMs: await median(() => fromFile(true)),
    };
    return {
      open: { ...open, ratio: Math.round((open.inMemoryMs / open.readOnlyFileMs) * 100) / 100 },
      openAndFirstQuery: {
        ...first,
        ratio: Math.round((first.inMemoryMs / first.readOnlyFileMs) * 100) / 100,
      },
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
