import { PipelineError } from "@openaq-lakehouse/pipeline-core";
import type { z } from "zod";
import { type Logger, silentLogger } from "../log.js";
import { errorDetail, exhaustedError, permanentHttpError, redact } from "./errors.js";
import { fetchAllPages, MAX_PAGE_LIMIT } from "./pagination.js";
import { RateLimiter } from "./rate-limiter.js";
import {
  type AttemptFailure,
  backoffMs,
  describeFailure,
  isRetryable,
  networkFailure,
  rateLimitedWaitMs,
} from "./retry.js";
import { LocationsResponseSchema, MeasurementsResponseSchema, SensorsResponseSchema } from "./schemas.js";
import { Semaphore } from "./semaphore.js";
import type { Envelope, FetchedPage, Location, Measurement, Sensor } from "./types.js";
import { formatPath, InvalidJsonError, parseJson, validateResponse } from "./validate.js";

export const DEFAULT_OPENAQ_BASE_URL = "https://api.openaq.org";
/** Vietnam. */
export const DEFAULT_COUNTRY_ID = 56;

/**
 * Everything the client is configured with. It reads nothing from the process environment: the CLI
 * is the one place that does (`cli/config.ts`), and passes what it found here.
 */
export interface OpenAqClientOptions {
  /** Default: the public API. */
  baseUrl?: string;
  /**
   * Sent only as the X-API-Key header; never logged or stored. Without one (or blank), every call
   * fails with API_KEY_MISSING before sending anything.
   */
  apiKey?: string;
  /** Requests in flight at once (default 6). */
  concurrency?: number;
  /** Per-key limits (defaults 60 and 2,000, the documented ones). */
  requestsPerMinute?: number;
  requestsPerHour?: number;
  /** Length of the rate "minute" (default 60,000 ms; shortened only by tests and benches). The hour is 60 of them. */
  minuteMs?: number;
  /** Retries after the first attempt (default 5). */
  maxRetries?: number;
  /** First backoff step and its ceiling (defaults 1,000 and 30,000 ms). */
  retryBaseMs?: number;
  retryMaxMs?: number;
  /** Per request, until the whole body is in (default 30,000 ms). */
  timeoutMs?: number;
  /** Rows per page, 1..1000 (default 1000, the API maximum). */
  pageLimit?: number;
  fetchImpl?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  now?: () => number;
  log?: Logger;
}

export interface ClientStats {
  /** HTTP attempts sent (first tries and retries). */
  requests: number;
  /** Attempts that were retries. */
  retries: number;
  /** 429 answers received. */
  rateLimited: number;
  /** Calls that gave up with an error. */
  failures: number;
}

/** A datetime filter must carry its offset: a naive time is read in the station's local zone. */
const EXPLICIT_OFFSET = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

function assertExplicitOffset(name: string, value: string): void {
  if (!EXPLICIT_OFFSET.test(value)) {
    throw new PipelineError(
      "INVALID_WINDOW",
      `${name} ${JSON.stringify(value)} must be a date-time with an explicit offset such as Z: the API reads a naive time in the station's local zone.`,
    );
  }
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

type Outcome =
  | { ok: true; status: number; headers: Record<string, string>; body: Uint8Array }
  | { ok: false; failure: AttemptFailure };

export class OpenAqClient {
  readonly baseUrl: string;
  readonly concurrency: number;
  readonly pageLimit: number;
  readonly stats: ClientStats = { requests: 0, retries: 0, rateLimited: 0, failures: 0 };
  private readonly apiKey: string | undefined;
  private readonly maxRetries: number;
  private readonly timeoutMs: number;
  private readonly minuteMs: number;
  private readonly requestsPerMinute: number;
  private readonly backoff: { baseMs: number; maxMs: number };
  private readonly fetchImpl: typeof fetch;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;
  private readonly now: () => number;
  private readonly log: Logger;
  private readonly limiter: RateLimiter;
  private readonly inFlight: Semaphore;

  constructor(opts: OpenAqClientOptions = {}) {
    this.baseUrl = (opts.baseUrl ?? DEFAULT_OPENAQ_BASE_URL).replace(/\/+$/, "");
    if (!/^https?:\/\/[^\s]+$/.test(this.baseUrl)) {
      throw new PipelineError(
        "INVALID_BASE_URL",
        `The OpenAQ base URL ${JSON.stringify(this.baseUrl)} is not an http(s) URL.`,
      );
    }
    this.apiKey = opts.apiKey?.trim() || undefined;
    this.concurrency = opts.concurrency ?? 6;
    this.pageLimit = opts.pageLimit ?? MAX_PAGE_LIMIT;
    if (!Number.isInteger(this.pageLimit) || this.pageLimit < 1 || this.pageLimit > MAX_PAGE_LIMIT) {
      throw new PipelineError(
        "INVALID_PAGE_LIMIT",
        `The page limit must be 1..${MAX_PAGE_LIMIT}, got ${this.pageLimit}.`,
      );
    }
    this.maxRetries = opts.maxRetries ?? 5;
    this.timeoutMs = opts.timeoutMs ?? 30_000;
    this.minuteMs = opts.minuteMs ?? 60_000;
    this.requestsPerMinute = opts.requestsPerMinute ?? 60;
    this.backoff = { baseMs: opts.retryBaseMs ?? 1_000, maxMs: opts.retryMaxMs ?? 30_000 };
    this.fetchImpl = opts.fetchImpl ?? fetch;
    this.sleep = opts.sleep ?? defaultSleep;
    this.random = opts.random ?? Math.random;
    this.now = opts.now ?? Date.now;
    this.log = opts.log ?? silentLogger;
    this.inFlight = new Semaphore(this.concurrency);
    this.limiter = new RateLimiter({
      windows: [
        { limit: this.requestsPerMinute, windowMs: this.minuteMs },
        { limit: opts.requestsPerHour ?? 2_000, windowMs: this.minuteMs * 60 },
      ],
      now: this.now,
      // An injected sleep drives the limiter only together with an injected clock it can advance.
      ...(opts.sleep && opts.now ? { sleep: opts.sleep } : {}),
    });
  }

  /** `GET /v3/locations?countries_id=…&limit=…&page=…` (ordered by id). */
  fetchLocationsPage(countryId: number, page: number): Promise<FetchedPage<Location>> {
    const what = `the locations of country ${countryId} (page ${page})`;
    return this.get(
      "/v3/locations",
      { countries_id: String(countryId), limit: String(this.pageLimit), page: String(page) },
      what,
      LocationsResponseSchema,
    ).then((fetched) => {
      fetched.data.results.forEach((loc, i) => {
        if (loc.country.id !== countryId) {
          throw new PipelineError(
            "RESPONSE_FILTER_IGNORED",
            `The OpenAQ API answered ${what} with a location of another country (results[${i}].country.id = ${loc.country.id}): the country filter was not applied.`,
          );
        }
      });
      return fetched;
    });
  }

  /** Every page of a country's locations. */
  fetchLocations(countryId: number = DEFAULT_COUNTRY_ID): Promise<FetchedPage<Location>[]> {
    return fetchAllPages({
      limit: this.pageLimit,
      what: `the locations of country ${countryId}`,
      fetchPage: (page) => this.fetchLocationsPage(countryId, page),
      rowKey: (loc) => String(loc.id),
    });
  }

  /**
   * `GET /v3/sensors/{id}/measurements?datetime_from=…&datetime_to=…&limit=…&page=…`. The API keeps
   * periods whose END is in (from, to]; every row is checked against that, because a misspelt
   * filter is silently ignored by the API and would return the sensor's whole history.
   */
  fetchSensorMeasurementsPage(
    sensorId: number,
    window: { from: string; to: string },
    page: number,
  ): Promise<FetchedPage<Measurement>> {
    assertExplicitOffset("datetime_from", window.from);
    assertExplicitOffset("datetime_to", window.to);
    const fromMs = Date.parse(window.from);
    const toMs = Date.parse(window.to);
    const what = `sensor ${sensorId} (measurements page ${page})`;
    return this.get(
      `/v3/sensors/${sensorId}/measurements`,
      {
        datetime_from: window.from,
        datetime_to: window.to,
        limit: String(this.pageLimit),
        page: String(page),
      },
      what,
      MeasurementsResponseSchema,
    ).then((fetched) => {
      fetched.data.results.forEach((row, i) => {
        const end = Date.parse(row.period.datetimeTo.utc);
        if (!(end > fromMs && end <= toMs)) {
          throw new PipelineError(
            "RESPONSE_OUT_OF_WINDOW",
            `The OpenAQ API answered ${what} with ${formatPath(["results", i, "period", "datetimeTo", "utc"])} = ${row.period.datetimeTo.utc}, outside the requested (${window.from}, ${window.to}].`,
          );
        }
      });
      return fetched;
    });
  }

  /** Every page of one sensor's measurements in a window. */
  fetchSensorMeasurements(
    sensorId: number,
    window: { from: string; to: string },
  ): Promise<FetchedPage<Measurement>[]> {
    return fetchAllPages({
      limit: this.pageLimit,
      what: `sensor ${sensorId} measurements`,
      fetchPage: (page) => this.fetchSensorMeasurementsPage(sensorId, window, page),
      rowKey: (row) => row.period.datetimeTo.utc,
    });
  }

  /** `GET /v3/sensors/{id}` (404 for an unknown sensor). */
  fetchSensor(sensorId: number): Promise<FetchedPage<Sensor>> {
    return this.get(`/v3/sensors/${sensorId}`, {}, `sensor ${sensorId}`, SensorsResponseSchema);
  }

  private requireKey(): string {
    if (!this.apiKey) {
      throw new PipelineError("API_KEY_MISSING", "No OpenAQ API key: set OPENAQ_API_KEY.");
    }
    return this.apiKey;
  }

  private async get<T>(
    path: string,
    params: Record<string, string>,
    what: string,
    schema: z.ZodType<Envelope<T>>,
  ): Promise<FetchedPage<T>> {
    const apiKey = this.requireKey();
    const query = new URLSearchParams(params).toString();
    const url = `${this.baseUrl}${path}${query ? `?${query}` : ""}`;
    try {
      for (let attempt = 1; ; attempt++) {
        if (attempt > 1) this.stats.retries++;
        const outcome = await this.attempt(url, apiKey);
        let failure: AttemptFailure;
        if (outcome.ok) {
          try {
            const json = parseJson(outcome.body);
            const data = validateResponse(schema, json, what);
            return {
              url,
              status: outcome.status,
              headers: outcome.headers,
              fetchedAt: new Date(this.now()).toISOString(),
              body: outcome.body,
              data,
            };
          } catch (e) {
            if (!(e instanceof InvalidJsonError)) throw e;
            failure = { kind: "invalid-json", detail: e.detail };
          }
        } else {
          failure = outcome.failure;
        }
        if (!isRetryable(failure)) {
          throw failure.kind === "http"
            ? permanentHttpError(failure.status, failure.detail, what)
            : exhaustedError(failure, attempt, what, this.baseUrl);
        }
        if (attempt > this.maxRetries) throw exhaustedError(failure, attempt, what, this.baseUrl);
        const waitMs =
          failure.kind === "http" && failure.status === 429
            ? rateLimitedWaitMs(failure.headers, this.minuteMs, this.random)
            : backoffMs(attempt, this.backoff, this.random);
        if (failure.kind === "http" && failure.status === 429) this.limiter.pauseUntil(this.now() + waitMs);
        this.log.warn(
          redact(
            `OpenAQ request for ${what} got ${describeFailure(failure)}; retrying in ${waitMs} ms.`,
            apiKey,
          ),
          {
            attempt,
            waitMs,
          },
        );
        await this.sleep(waitMs);
      }
    } catch (e) {
      this.stats.failures++;
      if (e instanceof PipelineError) {
        const safe = redact(e.message, apiKey);
        throw safe === e.message ? e : new PipelineError(e.code, safe);
      }
      throw new PipelineError("API_CLIENT_ERROR", redact(`Request for ${what} failed: ${String(e)}`, apiKey));
    }
  }

  /** One HTTP exchange under the concurrency bound and the rate limiter. */
  private async attempt(url: string, apiKey: string): Promise<Outcome> {
    const releaseWorker = await this.inFlight.acquire();
    try {
      const releaseSlot = await this.limiter.acquire();
      this.stats.requests++;
      try {
        const signal = AbortSignal.timeout(this.timeoutMs);
        let res: Response;
        try {
          res = await this.fetchImpl(url, {
            headers: {
              "X-API-Key": apiKey,
              Accept: "application/json",
              "Accept-Encoding": "gzip",
              "User-Agent": "openaq-lakehouse/0.1",
            },
            signal,
          });
        } catch (e) {
          return { ok: false, failure: this.transportFailure(e) };
        }
        // The request has certainly arrived once its answer starts: its window runs from now.
        releaseSlot();
        const headers: Record<string, string> = {};
        res.headers.forEach((value, name) => {
          headers[name.toLowerCase()] = value;
        });
        this.observeRateHeaders(headers);
        let body: Uint8Array;
        try {
          body = new Uint8Array(await res.arrayBuffer());
        } catch (e) {
          return { ok: false, failure: this.transportFailure(e) };
        }
        if (res.status === 429) this.stats.rateLimited++;
        if (res.status < 200 || res.status > 299) {
          return {
            ok: false,
            failure: { kind: "http", status: res.status, detail: errorDetail(body), headers },
          };
        }
        return { ok: true, status: res.status, headers, body };
      } finally {
        releaseSlot();
      }
    } finally {
      releaseWorker();
    }
  }

  private transportFailure(e: unknown): AttemptFailure {
    const name = (e as { name?: unknown })?.name;
    if (name === "TimeoutError" || name === "AbortError")
      return { kind: "timeout", timeoutMs: this.timeoutMs };
    return networkFailure(e);
  }

  /**
   * The server says its window is used up although our own count has room: someone else is using
   * the key. Nobody sends until the server's window resets (at most one window). When our count is
   * full anyway, the limiter already waits and the header adds nothing.
   */
  private observeRateHeaders(headers: Record<string, string>): void {
    if (headers["x-ratelimit-remaining"] !== "0") return;
    if ((this.limiter.usage()[0] ?? 0) >= this.requestsPerMinute) return;
    const reset = Number(headers["x-ratelimit-reset"]);
    const waitMs =
      Number.isFinite(reset) && reset > 0 ? Math.min(reset * 1000, this.minuteMs) : this.minuteMs;
    this.limiter.pauseUntil(this.now() + waitMs);
  }
}
