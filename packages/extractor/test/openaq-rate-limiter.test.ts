import { describe, expect, it } from "vitest";
import { RateLimiter } from "../src/openaq/index.js";

/** A virtual clock: `sleep` jumps time forward (acquisitions are served one at a time). */
function virtualClock() {
  const clock = {
    t: 0,
    now: () => clock.t,
    sleep: async (ms: number) => {
      clock.t += ms;
    },
  };
  return clock;
}

/** Max number of entries of `times` in any half-open interval of length `windowMs`. */
function maxInWindow(times: number[], windowMs: number): number {
  let best = 0;
  for (let i = 0; i < times.length; i++) {
    const start = times[i] as number;
    best = Math.max(best, times.filter((t) => t >= start && t < start + windowMs).length);
  }
  return best;
}

describe("RateLimiter", () => {
  it("allows a burst of N, then one more per answered request a window later", async () => {
    const clock = virtualClock();
    const limiter = new RateLimiter({
      windows: [{ limit: 3, windowMs: 1000 }],
      now: clock.now,
      sleep: clock.sleep,
    });
    const sentAt: number[] = [];
    for (let i = 0; i < 10; i++) {
      const release = await limiter.acquire();
      sentAt.push(clock.t);
      release();
    }
    expect(sentAt).toEqual([0, 0, 0, 1000, 1000, 1000, 2000, 2000, 2000, 3000]);
  });

  it("counts a slot from sending until a window after the answer, so arrival spacing holds at any latency", async () => {
    const clock = virtualClock();
    const limiter = new RateLimiter({
      windows: [{ limit: 2, windowMs: 1000 }],
      now: clock.now,
      sleep: clock.sleep,
    });
    const r1 = await limiter.acquire();
    const r2 = await limiter.acquire();
    let thirdAt: number | undefined;
    const third = limiter.acquire().then((release) => {
      thirdAt = clock.t;
      return release;
    });
    await new Promise((r) => setTimeout(r, 5));
    expect(thirdAt).toBeUndefined(); // both slots in flight: nothing to wait for but an answer
    clock.t = 400; // the first answer arrives after 400 ms of latency
    r1();
    (await third)();
    expect(thirdAt).toBe(1400);
    r2();
  });

  it("honours a pause for everybody", async () => {
    const clock = virtualClock();
    const limiter = new RateLimiter({
      windows: [{ limit: 100, windowMs: 1000 }],
      now: clock.now,
      sleep: clock.sleep,
    });
    limiter.pauseUntil(5000);
    limiter.pauseUntil(2000); // never shortens
    (await limiter.acquire())();
    expect(clock.t).toBe(5000);
  });

  it("enforces every window at once (per minute and per hour)", async () => {
    const clock = virtualClock();
    const limiter = new RateLimiter({
      windows: [
        { limit: 5, windowMs: 100 },
        { limit: 12, windowMs: 6000 },
      ],
      now: clock.now,
      sleep: clock.sleep,
    });
    const sentAt: number[] = [];
    for (let i = 0; i < 25; i++) {
      const release = await limiter.acquire();
      sentAt.push(clock.t);
      release();
    }
    expect(maxInWindow(sentAt, 100)).toBeLessThanOrEqual(5);
    expect(maxInWindow(sentAt, 6000)).toBeLessThanOrEqual(12);
    expect(sentAt[12]).toBe(6000);
  });

  it("keeps real concurrent traffic within the limit in every window", async () => {
    const limiter = new RateLimiter({ windows: [{ limit: 4, windowMs: 60 }] });
    const arrivals: number[] = [];
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: 16 }, async (_, i) => {
        const release = await limiter.acquire();
        await new Promise((r) => setTimeout(r, (i * 7) % 11)); // latency before "arrival"
        arrivals.push(performance.now() - t0);
        await new Promise((r) => setTimeout(r, 3));
        release();
      }),
    );
    expect(arrivals).toHaveLength(16);
    expect(
      maxInWindow(
        arrivals.sort((a, b) => a - b),
        60,
      ),
    ).toBeLessThanOrEqual(4);
  });
});
