/**
 * The server side of the per-key limit, as the real API counts it (docs/openaq.md): a
 * fixed window per calendar "minute"; the counter's TTL starts at the window's first request, and
 * `x-ratelimit-reset` is that TTL in whole seconds. A refused request is not counted. The hourly
 * budget (documented, not in the headers) is enforced the same way per calendar hour.
 */

export interface ServerRateLimitOptions {
  /** Requests per window (default 60). */
  perWindow?: number;
  /** Window length (default 60,000 ms); the hour is 60 windows. */
  windowMs?: number;
  /** Requests per hour (default 2,000). */
  perHour?: number;
}

interface Counter {
  window: number;
  count: number;
  firstAt: number;
}

export interface RateDecision {
  limited: boolean;
  headers: Record<string, string>;
}

export class ServerRateLimit {
  readonly perWindow: number;
  readonly windowMs: number;
  readonly perHour: number;
  private readonly minute = new Map<string, Counter>();
  private readonly hour = new Map<string, Counter>();
  /** The largest count any key reached in one window (for tests and benches). */
  maxUsedInWindow = 0;

  constructor(opts: ServerRateLimitOptions = {}) {
    this.perWindow = opts.perWindow ?? 60;
    this.windowMs = opts.windowMs ?? 60_000;
    this.perHour = opts.perHour ?? 2_000;
  }

  private counter(map: Map<string, Counter>, key: string, window: number, now: number): Counter {
    let c = map.get(key);
    if (!c || c.window !== window) {
      c = { window, count: 0, firstAt: now };
      map.set(key, c);
    }
    return c;
  }

  check(apiKey: string, now: number): RateDecision {
    const m = this.counter(this.minute, apiKey, Math.floor(now / this.windowMs), now);
    const h = this.counter(this.hour, apiKey, Math.floor(now / (this.windowMs * 60)), now);
    const limited = m.count >= this.perWindow || h.count >= this.perHour;
    if (!limited) {
      m.count++;
      h.count++;
      this.maxUsedInWindow = Math.max(this.maxUsedInWindow, m.count);
    }
    const ttlSec = Math.max(1, Math.ceil((m.firstAt + this.windowMs - now) / 1000));
    return {
      limited,
      headers: {
        "x-ratelimit-limit": String(this.perWindow),
        "x-ratelimit-used": String(m.count),
        "x-ratelimit-remaining": String(Math.max(0, this.perWindow - m.count)),
        "x-ratelimit-reset": String(ttlSec),
      },
    };
  }
}
