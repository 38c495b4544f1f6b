import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { gzipSync } from "node:zlib";
import { addCount } from "@openaq-lakehouse/pipeline-core";
import { Catalog, type ExtraLocations } from "./catalog.js";
import { type FaultConfig, type FaultKind, FaultPlan } from "./faults.js";
import { toJson } from "./json.js";
import { datetimeParam, intListParam, intParam, QueryError } from "./query.js";
import { ServerRateLimit, type ServerRateLimitOptions } from "./rate-limit.js";
import { envelope, locationJson, measurementJson, periodEnds, sensorJson } from "./responses.js";

/** The key the local server accepts unless told otherwise. Not a secret. */
export const FAKE_OPENAQ_API_KEY = "fake-openaq-local-key-0000000000000000000000000000000000000000";

export interface FakeOpenAqOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0 (any free port). */
  port?: number;
  /** Keys accepted (default [FAKE_OPENAQ_API_KEY]). */
  apiKeys?: string[];
  /** The server's "now" for data: live stations have data up to here (default: when the server starts). */
  asOf?: string | number;
  rateLimit?: ServerRateLimitOptions;
  faults?: FaultConfig;
  extraLocations?: ExtraLocations;
  /** Clock of the rate-limit windows (default Date.now). */
  now?: () => number;
}

export interface FakeRequestRecord {
  /** Arrival time, epoch ms. */
  at: number;
  /** Path and query as received (the key travels in a header, so none is here). */
  path: string;
  status: number | "reset";
  fault?: FaultKind;
  /** Whether the X-API-Key header was present (its value is never recorded). */
  hadKey: boolean;
}

export interface FakeOpenAqStats {
  requests: number;
  byStatus: Record<string, number>;
  /** 429s from the rate limit itself (injected 429 faults are counted under `faults`). */
  rateLimited: number;
  faults: Partial<Record<FaultKind, number>>;
  /** Most requests one key got in one calendar window. */
  maxUsedInWindow: number;
  log: FakeRequestRecord[];
}

export interface FakeOpenAq {
  url: string;
  /** The key to send (the first accepted one). */
  apiKey: string;
  catalog: Catalog;
  stats: FakeOpenAqStats;
  setFaults(config: FaultConfig): void;
  resetStats(): void;
  close(): Promise<void>;
}

/** `GET` here returns the server's stats as JSON (for a server started as a separate process). */
export const STATS_PATH = "/__fake/stats";

const JSON_HEADERS = {
  "content-type": "application/json",
  "cache-control": "public, max-age=900",
  vary: "Accept-Encoding",
};
const TIMEOUT_408 = {
  detail: "Connection timed out: Try to provide more specific query parameters or a smaller time frame.",
};

interface Reply {
  status: number;
  body: string;
  headers?: Record<string, string>;
}

const json = (status: number, value: unknown): Reply => ({ status, body: toJson(value) });

export async function startFakeOpenAq(opts: FakeOpenAqOptions = {}): Promise<FakeOpenAq> {
  const now = opts.now ?? Date.now;
  const asOfMs =
    opts.asOf === undefined ? now() : typeof opts.asOf === "number" ? opts.asOf : Date.parse(opts.asOf);
  if (Number.isNaN(asOfMs)) throw new Error(`Invalid asOf ${String(opts.asOf)}.`);
  const catalog = new Catalog(asOfMs, opts.extraLocations);
  const keys = new Set(opts.apiKeys ?? [FAKE_OPENAQ_API_KEY]);
  const rate = new ServerRateLimit(opts.rateLimit);
  const faults = new FaultPlan(opts.faults);
  const sockets = new Set<Socket>();
  const timers = new Set<ReturnType<typeof setTimeout>>();
  const newStats = (): FakeOpenAqStats => ({
    requests: 0,
    byStatus: {},
    rateLimited: 0,
    faults: {},
    maxUsedInWindow: 0,
    log: [],
  });
  const stats = newStats();

  function route(method: string, url: URL): Reply {
    if (method !== "GET") return json(405, { detail: "Method Not Allowed" });
    const q = url.searchParams;
    const path = url.pathname.replace(/\/+$/, "");
    try {
      if (path === "/v3/locations") {
        const limit = intParam(q, "limit", 100, 1, 1000);
        const page = intParam(q, "page", 1, 1);
        const countries = intListParam(q, "countries_id");
        const iso = q.get("iso");
        if (countries && iso !== null)
          throw new QueryError("Value error, Cannot pass both countries_id and iso code");
        const matching = catalog.locations.filter((loc) => {
          const c = catalog.countryOf(loc);
          return (!countries || countries.includes(c.id)) && (iso === null || c.code === iso);
        });
        const rows = matching
          .slice((page - 1) * limit, page * limit)
          .map((loc) => locationJson(catalog, loc));
        return { status: 200, body: envelope(page, limit, rows) };
      }
      const loc = /^\/v3\/locations\/(\d+)$/.exec(path);
      if (loc) {
        const found = catalog.locations.find((l) => l.fixture.id === Number(loc[1]));
        if (!found) return json(404, { detail: "Location not found" });
        return { status: 200, body: envelope(1, 100, [locationJson(catalog, found)]) };
      }
      const sensor = /^\/v3\/sensors\/(\d+)$/.exec(path);
      if (sensor) {
        const s = catalog.sensor(Number(sensor[1]));
        if (!s) return json(404, { detail: "Sensor not found" });
        return { status: 200, body: envelope(1, 100, [sensorJson(s)]) };
      }
      const meas = /^\/v3\/sensors\/(\d+)\/measurements$/.exec(path);
      if (meas) {
        const limit = intParam(q, "limit", 100, 1, 1000);
        const page = intParam(q, "page", 1, 1);
        const s = catalog.sensor(Number(meas[1]));
        // The real API answers an unknown sensor's measurements with 200 and no rows.
        const offset = s?.location.offsetMinutes ?? 0;
        const from = datetimeParam(q, "datetime_from", offset);
        const to = datetimeParam(q, "datetime_to", offset);
        if (from !== undefined && to !== undefined && to <= from) {
          throw new QueryError(
            `Date/time from must be older than the date/time to. User passed ${q.get("datetime_from")} - ${q.get("datetime_to")}`,
          );
        }
        const ends = s ? periodEnds(s, from ?? -Infinity, to ?? Number.MAX_SAFE_INTEGER) : [];
        const rows = ends
          .slice((page - 1) * limit, page * limit)
          .map((t) => (s ? measurementJson(s, t) : null));
        return { status: 200, body: envelope(page, limit, rows) };
      }
      if (/^\/v[12](\/|$)/.test(path)) {
        return json(410, {
          message:
            "Gone. Version 1 and Version 2 API endpoints are retired and no longer available. Please migrate to Version 3 endpoints.",
        });
      }
      return json(404, { detail: "Not Found" });
    } catch (e) {
      if (e instanceof QueryError) return json(422, e.body);
      throw e;
    }
  }

  function faultReply(
    kind: FaultKind,
    normal: () => Reply,
    rateHeaders: Record<string, string>,
  ): Reply | "reset" {
    switch (kind) {
      case "429":
        return { ...json(429, { detail: "Too many requests" }), headers: rateHeaders };
      case "408":
        return json(408, TIMEOUT_408);
      case "500":
        return {
          status: 500,
          body: "Internal Server Error",
          headers: { "content-type": "text/plain; charset=utf-8" },
        };
      case "502":
        return json(502, { message: "Internal server error" });
      case "503":
        return json(503, { message: "Service Unavailable" });
      case "reset":
        return "reset";
      case "slow":
        return normal();
      case "truncated": {
        const r = normal();
        return { ...r, body: r.body.slice(0, Math.max(1, Math.floor(r.body.length * 0.6))) };
      }
      case "malformed": {
        const r = normal();
        return { ...r, body: r.body.replace('"results":', '"results"=') };
      }
    }
  }

  function send(
    req: IncomingMessage,
    res: ServerResponse,
    reply: Reply,
    extra: Record<string, string>,
    compress: boolean,
  ) {
    if (res.destroyed || res.writableEnded) return;
    let body: Buffer = Buffer.from(reply.body, "utf8");
    const headers: Record<string, string> = { ...JSON_HEADERS, ...extra, ...(reply.headers ?? {}) };
    const accepts = /\bgzip\b/.test(String(req.headers["accept-encoding"] ?? ""));
    if (compress && accepts && body.length > 1000) {
      body = gzipSync(body, { level: 1 });
      headers["content-encoding"] = "gzip";
    }
    headers["content-length"] = String(body.length);
    res.writeHead(reply.status, headers);
    res.end(body);
  }

  function handle(req: IncomingMessage, res: ServerResponse): void {
    const arrival = now();
    const url = new URL(req.url ?? "/", "http://fake-openaq.local");
    const pathAndQuery = `${url.pathname}${url.search}`;
    if (url.pathname === STATS_PATH) {
      // Control surface for a server running in another process (not part of the OpenAQ API; not counted).
      send(req, res, { status: 200, body: JSON.stringify(stats) }, {}, false);
      return;
    }
    const keyHeader = req.headers["x-api-key"];
    const apiKey = Array.isArray(keyHeader) ? keyHeader[0] : keyHeader;
    const record: FakeRequestRecord = { at: arrival, path: pathAndQuery, status: 0, hadKey: Boolean(apiKey) };
    stats.requests++;
    stats.log.push(record);
    const finish = (status: number | "reset") => {
      record.status = status;
      addCount(stats.byStatus, String(status));
    };

    if (!apiKey) {
      finish(401);
      const waf = { message: "Unauthorized. A valid API key must be provided in the X-API-Key header." };
      send(req, res, json(401, waf), {}, false);
      return;
    }
    if (!keys.has(apiKey)) {
      finish(401);
      send(req, res, json(401, { detail: "Invalid credentials" }), {}, false);
      return;
    }
    const decision = rate.check(apiKey, arrival);
    stats.maxUsedInWindow = Math.max(stats.maxUsedInWindow, rate.maxUsedInWindow);
    if (decision.limited) {
      stats.rateLimited++;
      finish(429);
      send(req, res, json(429, { detail: "Too many requests" }), decision.headers, false);
      return;
    }

    const sensorMatch = /^\/v3\/sensors\/(\d+)/.exec(url.pathname);
    const kind = faults.decide(pathAndQuery, sensorMatch ? Number(sensorMatch[1]) : undefined);
    const normal = () => route(req.method ?? "GET", url);
    if (!kind) {
      const reply = normal();
      finish(reply.status);
      send(req, res, reply, decision.headers, true);
      return;
    }
    record.fault = kind;
    addCount(stats.faults, kind);
    const reply = faultReply(kind, normal, decision.headers);
    if (reply === "reset") {
      finish("reset");
      req.socket.destroy();
      return;
    }
    finish(reply.status);
    const compress = kind !== "truncated" && kind !== "malformed";
    if (kind === "slow") {
      const timer = setTimeout(() => {
        timers.delete(timer);
        send(req, res, reply, decision.headers, compress);
      }, faults.slowMs);
      timers.add(timer);
      return;
    }
    send(req, res, reply, decision.headers, compress);
  }

  const server = createServer((req, res) => {
    try {
      handle(req, res);
    } catch (e) {
      if (!res.headersSent) {
        res.writeHead(500, { "content-type": "text/plain" });
        res.end(`fake-openaq bug: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  const host = opts.host ?? "127.0.0.1";
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 0, host, () => resolve());
  });
  const address = server.address() as AddressInfo;

  return {
    url: `http://${host}:${address.port}`,
    apiKey: [...keys][0] as string,
    catalog,
    stats,
    setFaults: (config) => faults.set(config),
    resetStats: () => Object.assign(stats, newStats()),
    close: () =>
      new Promise<void>((resolve, reject) => {
        for (const t of timers) clearTimeout(t);
        timers.clear();
        server.close((err) => (err ? reject(err) : resolve()));
        for (const s of sockets) s.destroy();
      }),
  };
}
