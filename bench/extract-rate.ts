/**
 * Bench (b): extraction of one UTC day against the local OpenAQ server, with the rate limit kept
 * at its real count (60 per "minute") but the minute scaled down to one second, so the run takes
 * seconds instead of minutes. Reports:
 *
 *   - requests made vs the minimum possible (1 locations page + 1 page per asked sensor);
 *   - how much of the allowed rate was used: the fastest schedule the limit allows for that many
 *     requests ((ceil(R/N) − 1) windows from first to last arrival) over the actual span (target
 *     ≥ 90%); and the plain achieved vs allowed rate;
 *   - 429s (target 0), from the server's count and the client's.
 *
 * The server runs in its own process (as the real API does), so its CPU does not slow the client.
 *
 * Run alone: pnpm tsx bench/extract-rate.ts
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { extractDay, OpenAqClient } from "@openaq-lakehouse/extractor";
import { type FakeOpenAqStats, STATS_PATH } from "@openaq-lakehouse/fake-openaq";
import { LocalFolderStore } from "@openaq-lakehouse/pipeline-core";

const PER_WINDOW = 60;
const WINDOW_MS = 2_000;
/** Synthetic live stations (6 sensors each) on top of the fixtures: about 200 sensors, like Vietnam. */
const EXTRA_ACTIVE_LOCATIONS = 24;
const DAY = "2026-03-20";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");

/** Starts fake-openaq's `main` (the local OpenAQ server) as a child process; resolves with its URL and key. */
async function startServerProcess(
  args: string[],
): Promise<{ child: ChildProcess; url: string; apiKey: string }> {
  const main = createRequire(import.meta.url).resolve("@openaq-lakehouse/fake-openaq/main");
  const child = spawn(process.execPath, ["--import", "tsx", main, ...args], {
    cwd: ROOT,
    stdio: ["ignore", "pipe", "inherit"],
  });
  let out = "";
  return new Promise((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`The local OpenAQ server exited early (code ${code}).`)));
    child.stdout?.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      const url = /OPENAQ_BASE_URL=(\S+)/.exec(out)?.[1];
      const apiKey = /OPENAQ_API_KEY=(\S+)/.exec(out)?.[1];
      if (url && apiKey) resolve({ child, url, apiKey });
    });
  });
}

export async function benchExtractRate(): Promise<Record<string, unknown>> {
  const server = await startServerProcess([
    "--as-of=2026-03-25T06:00:00Z",
    `--extra-active=${EXTRA_ACTIVE_LOCATIONS}`,
    `--per-minute=${PER_WINDOW}`,
    `--window-ms=${WINDOW_MS}`,
    "--per-hour=2000",
  ]);
  const dir = await mkdtemp(join(tmpdir(), "bench-extract-rate-"));
  try {
    const client = new OpenAqClient({
      baseUrl: server.url,
      apiKey: server.apiKey,
      requestsPerMinute: PER_WINDOW,
      requestsPerHour: 2_000,
      minuteMs: WINDOW_MS,
      concurrency: 8,
    });
    const report = await extractDay({ store: new LocalFolderStore(dir), env: "dev", day: DAY, client });
    const stats = (await (await fetch(`${server.url}${STATS_PATH}`)).json()) as FakeOpenAqStats;

    const arrivals = stats.log.map((r) => r.at).sort((a, b) => a - b);
    const requests = arrivals.length;
    const spanMs = (arrivals.at(-1) ?? 0) - (arrivals[0] ?? 0);
    const fastestSpanMs = (Math.ceil(requests / PER_WINDOW) - 1) * WINDOW_MS;
    const minimumRequests = 1 + report.sensorsAsked;
    const allowedPerSec = (PER_WINDOW * 1000) / WINDOW_MS;
    const achievedPerSec = spanMs > 0 ? (requests * 1000) / spanMs : Number.NaN;
    const rateShare = spanMs > 0 ? fastestSpanMs / spanMs : 1;
    return {
      bench: "extract-rate",
      day: DAY,
      limit: `${PER_WINDOW} requests per ${WINDOW_MS} ms window (the real 60/min with the minute scaled to ${WINDOW_MS} ms)`,
      locations: report.locations,
      sensorsAsked: report.sensorsAsked,
      sensorsSkipped: report.sensorsSkipped,
      requests,
      minimumRequests,
      requestsOverMinimum: requests - minimumRequests,
      spanMs,
      fastestSpanAllowedMs: fastestSpanMs,
      rateShare: Number(rateShare.toFixed(3)),
      rateShareTarget: 0.9,
      achievedPerSec: Number(achievedPerSec.toFixed(1)),
      allowedPerSec,
      maxRequestsInOneServerWindow: stats.maxUsedInWindow,
      server429s: stats.rateLimited,
      client429s: client.stats.rateLimited,
      retries: report.retries,
      extractDurationMs: report.durationMs,
      /** One scaled window stands for one real minute. */
      projectedMinutesAtRealLimit: Number((spanMs / WINDOW_MS).toFixed(2)),
      ok: rateShare >= 0.9 && stats.rateLimited === 0 && requests === minimumRequests,
    };
  } finally {
    server.child.removeAllListeners("exit");
    server.child.kill("SIGTERM");
    await rm(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const result = await benchExtractRate();
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
}
