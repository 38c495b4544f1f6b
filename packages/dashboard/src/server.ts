import { readFile } from "node:fs/promises";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  databaseName,
  ENVIRONMENTS,
  type Environment,
  isPipelineError,
} from "@openaq-lakehouse/pipeline-core";
import { MAIN_POLLUTANTS, type QueryResult } from "@openaq-lakehouse/views";
import {
  BadRequest,
  citiesFilter,
  citiesSql,
  dailyFilter,
  dailySql,
  filterRows,
  latestFilter,
  latestSql,
  requestEnv,
} from "./api.js";
import { citiesOf, type ViewSnapshot } from "./cache.js";
import { type EngineOpener, EngineSwitcher } from "./engines.js";
import { BAND_COLOURS, BAND_UPPER, INDICES, NO_INDEX_COLOUR } from "./indices.js";
import { dailyLimits } from "./limits.js";
import { type CountryOutline, countryOutline, DEFAULT_COUNTRY } from "./outline.js";

/** The environment's views are not deployed: 404 with what to run. */
class NoViews extends Error {}

/** The only address the dashboard listens on: it is a local preview, never a public site. */
export const DASHBOARD_HOST = "127.0.0.1";

export interface DashboardOptions {
  /** Opens an environment's query engine; called again after an idle close or an env switch. */
  openEngine: EngineOpener;
  /** The environment the page opens on (the CLI's --env). */
  env: Environment;
  /** The environments the page may switch between (default: dev and prod). */
  environments?: readonly Environment[];
  /** 0 (default): any free port. */
  port?: number;
  /** Natural Earth name of the country to outline (default Vietnam). */
  country?: string;
  /** Close the engine after this long without queries (default 5 s). */
  idleMs?: number;
  /**
   * A version of the environment's data (e.g. `lakeDataVersion` on a lake folder). With it, the
   * dashboard reads each view in full once per version and answers the endpoints from those rows,
   * so a page load on a year of data costs two queries once, not three per load. Without it, every
   * request is a query.
   */
  dataVersion?: (env: Environment) => Promise<string>;
  /** With dataVersion: read the views again after this long even if the version is unchanged (default 5 min). */
  cacheMaxAgeMs?: number;
}

export interface Dashboard {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

const PUBLIC_DIR = join(dirname(fileURLToPath(import.meta.url)), "..", "public");
const STATIC_FILES: Record<string, { file: string; type: string }> = {
  "/": { file: "index.html", type: "text/html; charset=utf-8" },
  "/app.js": { file: "app.js", type: "text/javascript; charset=utf-8" },
  "/style.css": { file: "style.css", type: "text/css; charset=utf-8" },
};

/** Everything the page may load: its own files only (no inline script, nothing from elsewhere). */
const CONTENT_SECURITY_POLICY =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/**
 * Starts the dashboard on 127.0.0.1: the page (`/`), its script and style, the country outline
 * (`/outline.json`), the page's settings (`/api/meta`), and the views' rows as JSON
 * (`/api/latest`, `/api/daily`, `/api/cities`). Only GET and HEAD are answered (405 otherwise).
 */
export async function startDashboard(opts: DashboardOptions): Promise<Dashboard> {
  const environments = opts.environments ?? ENVIRONMENTS;
  if (!environments.includes(opts.env))
    throw new Error(`The dashboard's environment ${opts.env} is not among ${environments.join(", ")}.`);
  const engines = new EngineSwitcher(opts.openEngine, opts.idleMs);
  const country = opts.country ?? DEFAULT_COUNTRY;
  // Read at start: a missing outline fails the command, not the first page load.
  const outline: CountryOutline = await countryOutline(country);

  const api = async (path: string, params: URLSearchParams): Promise<unknown> => {
    if (path === "/api/meta") {
      return {
        env: opts.env,
        environments,
        country,
        pollutants: MAIN_POLLUTANTS.map((p) => p.parameter),
        indices: INDICES,
        bands: { upper: BAND_UPPER, colours: BAND_COLOURS, none: NO_INDEX_COLOUR },
        limits: dailyLimits(),
      };
    }
    if (path === "/api/limits") return dailyLimits();
    if (path !== "/api/latest" && path !== "/api/daily" && path !== "/api/cities") return undefined;
    const env = requestEnv(params, opts.env, environments);
    if (opts.dataVersion) {
      const filter =
        path === "/api/latest"
          ? latestFilter(params)
          : path === "/api/daily"
            ? dailyFilter(params)
            : citiesFilter(params);
      const views = await snapshot(env);
      if (path === "/api/cities") {
        const city = views.latest.columns.find((c) => c.name === "city") ?? { name: "city", type: "VARCHAR" };
        return {
          env,
          columns: [city, { name: "locations", type: "BIGINT" }],
          rows: citiesOf(views.latest.rows, views.daily.rows),
        };
      }
      const full = path === "/api/latest" ? views.latest : views.daily;
      return { env, columns: full.columns, rows: filterRows(full.rows, filter ?? {}) };
    }
    const sqlFor = { "/api/latest": latestSql, "/api/daily": dailySql, "/api/cities": citiesSql }[path];
    const result = await query(env, sqlFor(env, params));
    return { env, columns: result.columns, rows: result.rows };
  };

  const query = async (env: Environment, sql: string): Promise<QueryResult> => {
    try {
      return await engines.query(env, sql);
    } catch (e) {
      if (
        /view_(latest_aqi|daily_average)\b.*(does not exist|not found)/is.test(String((e as Error).message))
      )
        throw new NoViews(
          `${databaseName(env)} has no serving views yet: run \`openaq-pipeline views --env ${env}\` (or a backfill) on this lake.`,
        );
      throw e;
    }
  };

  // One read of both views per environment and data version; concurrent requests share it.
  const snapshots = new Map<Environment, { version: string; loading: Promise<ViewSnapshot> }>();
  const maxAge = opts.cacheMaxAgeMs ?? 5 * 60_000;
  const snapshot = async (env: Environment): Promise<ViewSnapshot> => {
    const version = await (opts.dataVersion as (env: Environment) => Promise<string>)(env);
    const held = snapshots.get(env);
    if (held && held.version === version) {
      const views = await held.loading.catch(() => undefined);
      if (views && Date.now() - views.loadedAt < maxAge) return views;
    }
    const db = databaseName(env);
    const loading = (async (): Promise<ViewSnapshot> => ({
      version,
      loadedAt: Date.now(),
      latest: await query(env, `SELECT * FROM ${db}.view_latest_aqi ORDER BY location_id`),
      daily: await query(env, `SELECT * FROM ${db}.view_daily_average ORDER BY location_id, day`),
    }))();
    snapshots.set(env, { version, loading });
    return loading;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { allow: "GET, HEAD", "content-type": "application/json" });
      res.end(JSON.stringify({ error: `The dashboard is read-only: ${req.method} is not allowed.` }));
      return;
    }
    const url = new URL(req.url ?? "/", `http://${DASHBOARD_HOST}`);
    const send = (status: number, type: string, body: string | Buffer) => {
      res.writeHead(status, {
        "content-type": type,
        "cache-control": "no-store",
        "content-security-policy": CONTENT_SECURITY_POLICY,
        "x-content-type-options": "nosniff",
      });
      res.end(req.method === "HEAD" ? undefined : body);
    };
    const json = (status: number, value: unknown) =>
      send(status, "application/json; charset=utf-8", JSON.stringify(value));
    try {
      const asset = STATIC_FILES[url.pathname];
      if (asset) return send(200, asset.type, await readFile(join(PUBLIC_DIR, asset.file)));
      if (url.pathname === "/outline.json") return json(200, outline);
      if (url.pathname === "/favicon.ico") return send(204, "image/x-icon", "");
      if (url.pathname.startsWith("/api/")) {
        const body = await api(url.pathname, url.searchParams);
        if (body !== undefined) return json(200, body);
      }
      json(404, { error: `Nothing at ${url.pathname}.` });
    } catch (e) {
      if (e instanceof BadRequest) return json(400, { error: e.message });
      if (e instanceof NoViews) return json(404, { error: e.message });
      const message = e instanceof Error ? e.message : String(e);
      json(isPipelineError(e) ? 503 : 500, { error: message });
    }
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      if (!res.headersSent) res.writeHead(500);
      res.end(String(e));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 0, DASHBOARD_HOST, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  // Read the default environment's views now, so the first page load finds them ready.
  if (opts.dataVersion) snapshot(opts.env).catch(() => {});
  return {
    url: `http://${DASHBOARD_HOST}:${port}/`,
    port,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await engines.close();
    },
  };
}
