import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Browser, type BrowserContext, chromium } from "playwright-core";

/** Debian's chromium (installed by scripts/ensure-test-engines.sh); Playwright's own downloads are not used. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

/**
 * Flags for a quiet, offline-friendly headless run: no sandbox (containers), no GPU, and none of
 * the background traffic (component updates, sync, QUIC probes) a fresh profile would start, so a
 * test that asserts "nothing left 127.0.0.1" sees only the page's own requests.
 */
export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
] as const;

export interface HeadlessChromium {
  context: BrowserContext;
  close(): Promise<void>;
}

/**
 * Starts Debian's chromium headless with a fresh profile folder (removed by close()). The caller
 * must call close(), also on failure (afterAll).
 */
export async function launchChromium(
  opts: { viewport?: { width: number; height: number } } = {},
): Promise<HeadlessChromium> {
  const userDataDir = await mkdtemp(join(tmpdir(), "chromium-profile-"));
  let context: BrowserContext;
  try {
    // A persistent context is the way to give chromium its own --user-data-dir through Playwright.
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM_PATH,
      headless: true,
      args: [...CHROMIUM_ARGS],
      viewport: opts.viewport ?? { width: 1280, height: 860 },
      timeout: 60_000,
    });
  } catch (e) {
    await rm(userDataDir, { recursive: true, force: true });
    throw e;
  }
  return {
    context,
    async close() {
      await context.close().catch(() => {});
      await rm(userDataDir, { recursive: true, force: true });
    },
  };
}

export type { Browser, BrowserContext };
