/**
 * Client-side pacing for the OpenAQ per-key limits (60/min and 2,000/hour).
 *
 * The server counts requests per calendar minute at the moment they ARRIVE. A client cannot know
 * when that is, only that it lies between sending and receiving the answer. So each request holds
 * one slot of every window from the moment it is sent until `window` after its answer came back
 * (or it failed). Then any two requests N slots apart arrive at least one window apart, which
 * keeps every window of that length — calendar-aligned or not — at or below N arrivals, without a
 * safety margin and whatever the latency. Bursts of N are allowed, so a short job finishes as fast
 * as the limit lets it.
 *
 * `pauseUntil` stops everybody (after a 429, or when the server says remaining = 0).
 */

export interface RateWindow {
  limit: number;
  windowMs: number;
}

export interface RateLimiterOptions {
  windows: RateWindow[];
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

export type ReleaseSlot = () => void;

interface WindowState extends RateWindow {
  /** Completion times still inside the window, oldest first. */
  completions: number[];
}

export class RateLimiter {
  private readonly windows: WindowState[];
  private readonly now: () => number;
  private readonly sleep: ((ms: number) => Promise<void>) | undefined;
  private inFlight = 0;
  private pausedUntil = 0;
  /** Acquisitions are served one at a time, in call order. */
  private queue: Promise<unknown> = Promise.resolve();
  private wake: (() => void) | undefined;

  constructor(opts: RateLimiterOptions) {
    for (const w of opts.windows) {
      if (!Number.isInteger(w.limit) || w.limit < 1)
        throw new Error(`Rate limit must be a positive integer, got ${w.limit}.`);
      if (!(w.windowMs > 0)) throw new Error(`Rate window must be positive, got ${w.windowMs} ms.`);
    }
    this.windows = opts.windows.map((w) => ({ ...w, completions: [] }));
    this.now = opts.now ?? Date.now;
    this.sleep = opts.sleep;
  }

  /** Resolves when a request may be sent; call the returned function when its answer is in. */
  acquire(): Promise<ReleaseSlot> {
    const slot = this.queue.then(() => this.waitForSlot());
    this.queue = slot.catch(() => undefined);
    return slot;
  }

  /** Nobody sends before `epochMs` (extends, never shortens, a pause already set). */
  pauseUntil(epochMs: number): void {
    if (epochMs > this.pausedUntil) {
      this.pausedUntil = epochMs;
      this.notify();
    }
  }

  /** Requests currently counted in each window (in flight + answered within it), in constructor order. */
  usage(): number[] {
    const now = this.now();
    return this.windows.map((w) => this.prune(w, now) + this.inFlight);
  }

  private prune(w: WindowState, now: number): number {
    while (w.completions.length > 0 && (w.completions[0] as number) + w.windowMs <= now)
      w.completions.shift();
    return w.completions.length;
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  /**
   * Sleeps `ms` (or indefinitely) until something changes (a release, a pause), whichever is
   * first. The built-in timer is cleared on wake-up so no stray timer keeps the process alive.
   */
  private nap(ms: number | undefined): Promise<void> {
    return new Promise<void>((resolve) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const done = () => {
        if (timer !== undefined) clearTimeout(timer);
        if (this.wake === done) this.wake = undefined;
        resolve();
      };
      this.wake = done;
      if (ms === undefined) return;
      if (this.sleep) void this.sleep(ms).then(done);
      else timer = setTimeout(done, ms);
    });
  }

  private async waitForSlot(): Promise<ReleaseSlot> {
    for (;;) {
      const now = this.now();
      if (now < this.pausedUntil) {
        await this.nap(this.pausedUntil - now);
        continue;
      }
      let waitMs = 0;
      let needRelease = false;
      for (const w of this.windows) {
        const done = this.prune(w, now);
        if (done + this.inFlight < w.limit) continue;
        // Only an answered request's slot expires; in-flight ones first have to come back.
        if (done > 0) waitMs = Math.max(waitMs, (w.completions[0] as number) + w.windowMs - now);
        else needRelease = true;
      }
      if (waitMs === 0 && !needRelease) {
        this.inFlight++;
        return this.releaser();
      }
      await this.nap(waitMs > 0 ? waitMs : undefined);
    }
  }

  private releaser(): ReleaseSlot {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.inFlight--;
      const t = this.now();
      for (const w of this.windows) w.completions.push(t);
      this.notify();
    };
  }
}
