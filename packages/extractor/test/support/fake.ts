import { rm } from "node:fs/promises";
import type { FakeOpenAq } from "@openaq-lakehouse/fake-openaq";
import { LocalFolderStore } from "@openaq-lakehouse/pipeline-core";
import { tempLake as tempFolder } from "@openaq-lakehouse/test-support/lake";
import { testClientOptions } from "@openaq-lakehouse/test-support/openaq";
import type { Logger } from "../../src/log.js";
import { OpenAqClient, type OpenAqClientOptions } from "../../src/openaq/index.js";

/** A client for the local test server: its key, its scaled rate window, short backoff and timeout. */
export function testClient(server: FakeOpenAq, opts: OpenAqClientOptions = {}): OpenAqClient {
  return new OpenAqClient({ ...testClientOptions(server), ...opts });
}

/** An empty local lake, its store, and the removal of its folder. */
export async function tempLake(): Promise<{
  dir: string;
  store: LocalFolderStore;
  cleanup: () => Promise<void>;
}> {
  const dir = await tempFolder("openaq-extract");
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
