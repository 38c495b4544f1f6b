/**
 * The local OpenAQ server as the tests run it, and the client settings that match it: the server's
 * rate window is scaled down from a minute to WINDOW_MS so no test waits real minutes, and a client
 * built from `testClientOptions` counts its minute in the same WINDOW_MS.
 */
import { type FakeOpenAq, type FakeOpenAqOptions, startFakeOpenAq } from "@openaq-lakehouse/fake-openaq";

/** The instant the test server's data ends: DAY is complete for live stations. */
export const AS_OF = "2026-03-25T06:00:00Z";
export const DAY = "2026-03-20";

const WINDOW_MS = 200;

/** The local server with its data ending at AS_OF and a WINDOW_MS rate window; `opts` override. */
export function startTestServer(opts: FakeOpenAqOptions = {}): Promise<FakeOpenAq> {
  return startFakeOpenAq({
    asOf: AS_OF,
    rateLimit: { perWindow: 10_000, windowMs: WINDOW_MS, perHour: 1_000_000 },
    ...opts,
  });
}

/**
 * The extractor's OpenAqClient options for `server`: its URL and key, the same scaled rate window,
 * short backoff and a short timeout (so fault tests stay fast).
 */
export function testClientOptions(server: FakeOpenAq) {
  return {
    baseUrl: server.url,
    apiKey: server.apiKey,
    concurrency: 4,
    requestsPerMinute: 10_000,
    requestsPerHour: 1_000_000,
    minuteMs: WINDOW_MS,
    retryBaseMs: 2,
    retryMaxMs: 20,
    timeoutMs: 2_000,
  };
}
