import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type FakeOpenAq, type FakeOpenAqOptions, startFakeOpenAq } from "@openaq-lakehouse/fake-openaq";
import { isPipelineError, LocalFolderStore, type PipelineError } from "@openaq-lakehouse/pipeline-core";
import type { Logger } from "../../src/log.js";
import { OpenAqClient, type OpenAqClientOptions } from "../../src/openaq/index.js";

/** The instant the test server's data ends: the test day below is complete for live stations. */
export const AS_OF = "2026-03-25T06:00:00Z";
export const DAY = "2026-03-20";

/** A server with a scaled rate window (200 ms) so tests never wait real minutes. */
export function startTestServer(opts: FakeOpenAqOptions = {}): Promise<FakeOpenAq> {
  return startFakeOpenAq({
    asOf: AS_OF,
    rateLimit: { perWindow: 10_000, windowMs: 200, perHour: 1_000_000 },
    ...opts,
  });
}

/** A client tuned for tests: short backoff, scaled rate window, short timeout. */
export function testClient(server: FakeOpenAq, opts: OpenAqClientOptions = {}): OpenAqClient {
  return new OpenAqClient({
    baseUrl: server.url,
    apiKey: server.apiKey,
    concurrency: 4,
    requestsPerMinute: 10_000,
    requestsPerHour: 1_000_000,
    minuteMs: 200,
    retryBaseMs: 2,
    retryMaxMs: 20,
    timeoutMs: 2_000,
    ...opts,
  });
}

export async function tempLake(): Promise<{
  dir: string;
  store: LocalFolderStore;
  cleanup: () => Promise<void>;
}> {
  const dir = await mkdtemp(join(tmpdir(), "openaq-extract-"));
  return { dir, store: new LocalFolderStore(dir), cleanup: () => rm(dir, { recursive: true, force: true }) };
}

export interface CapturedLog extends Logger {
  lines: string[];
  progress: (step: string, done: number, total: number) => void;
  progressCalls: Array<[string, number, number]>;
}

/** A logger that keeps every message and field (to check the key never shows up). */
export function captureLog(): CapturedLog {
  const lines: string[] = [];
  const progressCalls: Array<[string, number, number]> = [];
  const push = (level: string) => (message: string, fields?: object) => {
    lines.push(`${level} ${message} ${fields ? JSON.stringify(fields) : ""}`);
  };
  return {
    lines,
    progressCalls,
    info: push("info"),
    warn: push("warn"),
    error: push("error"),
    progress: (step, done, total) => {
      progressCalls.push([step, done, total]);
    },
  };
}

/** The PipelineError a promise rejects with; anything else (or no rejection) fails the test. */
export async function failure(p: Promise<unknown>): Promise<PipelineError> {
  try {
    await p;
  } catch (e) {
    if (isPipelineError(e)) return e;
    throw e;
  }
  throw new Error("expected a failure");
}
