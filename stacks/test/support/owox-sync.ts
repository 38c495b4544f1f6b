import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, vi } from "vitest";
import { encodeOwoxApiKey } from "../../src/owox/api-key.js";
import { main } from "../../src/owox/main.js";
import { FakeOwoxServer } from "./fake-owox-server.js";

export interface OwoxSyncHarness {
  server: FakeOwoxServer;
  /** An OWOX API key for the server (set once the suite has started). */
  apiKey(): string;
  /** Writes `value` as a stack output file in the suite's folder; its path. */
  writeOutput(value: unknown): string;
  /** Runs `owox:sync` with `args` (by default with the server's key), capturing what it prints. */
  run(
    args: string[],
    env?: Record<string, string | undefined>,
  ): Promise<{ code: number; stdout: string; stderr: string }>;
}

/**
 * The OWOX sync as a suite drives it: a local OWOX server started before the suite's tests and
 * stopped after them, a temp folder for the stack outputs it reads, and its `main` run in this process.
 */
export function owoxSyncHarness(name: string): OwoxSyncHarness {
  const server = new FakeOwoxServer();
  const dir = mkdtempSync(join(tmpdir(), `${name}-`));
  let apiKey = "";

  beforeAll(async () => {
    const origin = await server.start();
    apiKey = encodeOwoxApiKey({
      apiOrigin: origin,
      apiKeyId: server.apiKeyId,
      apiKeySecret: server.apiKeySecret,
    });
  });
  afterAll(async () => {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  return {
    server,
    apiKey: () => apiKey,
    writeOutput(value) {
      const file = join(dir, `out-${Math.random().toString(36).slice(2)}.json`);
      writeFileSync(file, JSON.stringify(value));
      return file;
    },
    async run(args, env = { OWOX_API_KEY: apiKey }) {
      let stdout = "";
      let stderr = "";
      const out = vi.spyOn(process.stdout, "write").mockImplementation((chunk) => {
        stdout += String(chunk);
        return true;
      });
      const err = vi.spyOn(process.stderr, "write").mockImplementation((chunk) => {
        stderr += String(chunk);
        return true;
      });
      try {
        const code = await main(args, env as NodeJS.ProcessEnv);
        return { code, stdout, stderr };
      } finally {
        out.mockRestore();
        err.mockRestore();
      }
    },
  };
}
