/**
 * Starts the local OpenAQ server on 127.0.0.1 and prints its URL and key (stdout) until
 * interrupted.
 *
 *   tsx packages/extractor/src/fake-openaq/main.ts [--port N] [--as-of 2026-03-25T06:00:00Z]
 *       [--per-minute 60] [--window-ms 60000] [--per-hour 2000]
 *       [--fault-rate 0.2] [--seed 1] [--slow-ms 2000] [--extra-active N] [--extra-dormant N]
 *
 * Point the pipeline at it with the printed OPENAQ_BASE_URL and OPENAQ_API_KEY (a fixed local key,
 * not a secret). `GET <url>/__fake/stats` returns its request statistics as JSON.
 */
import { parseArgs } from "node:util";
import { startFakeOpenAq } from "./server.js";

function fail(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(2);
}

function num(values: Record<string, string | undefined>, name: string, fallback: number): number {
  const value = values[name];
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0)
    fail(`--${name} must be a non-negative number, got ${JSON.stringify(value)}.`);
  return n;
}

const names = [
  "port",
  "as-of",
  "per-minute",
  "window-ms",
  "per-hour",
  "fault-rate",
  "seed",
  "slow-ms",
  "extra-active",
  "extra-dormant",
];
let parsed: Record<string, string | undefined>;
try {
  parsed = parseArgs({ options: Object.fromEntries(names.map((n) => [n, { type: "string" as const }])) })
    .values as Record<string, string | undefined>;
} catch (e) {
  fail(e instanceof Error ? e.message : String(e));
}
const asOf = parsed["as-of"];
if (asOf !== undefined && Number.isNaN(Date.parse(asOf)))
  fail(`--as-of must be an ISO date-time, got ${JSON.stringify(asOf)}.`);

const server = await startFakeOpenAq({
  port: num(parsed, "port", 0),
  ...(asOf ? { asOf } : {}),
  rateLimit: {
    perWindow: num(parsed, "per-minute", 60),
    windowMs: num(parsed, "window-ms", 60_000),
    perHour: num(parsed, "per-hour", 2_000),
  },
  faults: {
    rate: num(parsed, "fault-rate", 0),
    seed: num(parsed, "seed", 1),
    slowMs: num(parsed, "slow-ms", 2_000),
  },
  extraLocations: { active: num(parsed, "extra-active", 0), dormant: num(parsed, "extra-dormant", 0) },
});
process.stdout.write(`OPENAQ_BASE_URL=${server.url}\nOPENAQ_API_KEY=${server.apiKey}\n`);
const stop = () => {
  void server.close().then(() => process.exit(0));
};
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
