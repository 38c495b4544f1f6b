import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { baseEnv, CLI_ENTRY, REPO_ROOT } from "@openaq-lakehouse/test-support/cli";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type E2eWorld, lakeSnapshot, startE2e } from "./e2e-support.js";

/**
 * Crash safety (README.md, "Lake integrity"): `openaq-pipeline run` is SIGKILLed at several points
 * of a day's run, each time followed by a normal run; after every heal the lake's data layers must
 * equal, byte for byte, those of a run that was never interrupted.
 */

const KEY = "kill-heal-key-5e0d3b9a7c1f4e2d8b6a0c9e7f5d3b1a";
const DAY = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);

let e2e: E2eWorld;
let work: string;
let reference: Map<string, string>;

interface KillPoint {
  name: string;
  /** Kill as soon as a JSON log line matches. */
  when: (line: Record<string, unknown>) => boolean;
  /** Killed during extract: the day's manifest (written last) must be missing right after the kill. */
  duringExtract?: boolean;
}

const KILL_POINTS: KillPoint[] = [
  {
    name: "as the first sensor is fetched",
    when: (l) => l.event === "progress" && l.step === "extract" && l.done === 0,
    duringExtract: true,
  },
  {
    name: "halfway through extract",
    when: (l) =>
      l.event === "progress" && l.step === "extract" && (l.done as number) >= (l.total as number) / 2,
    duringExtract: true,
  },
  { name: "while transform reads raw pages", when: (l) => l.event === "progress" && l.step === "transform" },
  {
    name: "after processed is written, before catalog and views",
    when: (l) => String(l.message).startsWith("Transformed"),
  },
  { name: "while the views are deployed", when: (l) => String(l.message).startsWith("catalog") },
];

/** Runs `run` for DAY and SIGKILLs it at the first log line that matches; resolves with how it ended. */
function runAndKill(
  lake: string,
  point: KillPoint,
): Promise<{ signal: NodeJS.Signals | null; code: number | null }> {
  return new Promise((resolve, reject) => {
    // `node --import tsx` is one process (the tsx CLI would run the pipeline in a child process that
    // a SIGKILL of the parent leaves running), so the kill really stops the pipeline mid-step.
    const child = spawn(
      process.execPath,
      // --lookback 0: every kill point falls in the run's own day (lookback days heal the same way).
      [
        "--import",
        "tsx",
        CLI_ENTRY,
        "run",
        "--lookback",
        "0",
        "--lake",
        lake,
        "--date",
        DAY,
        "--log-format",
        "json",
      ],
      {
        cwd: REPO_ROOT,
        env: baseEnv(e2e.env),
        stdio: ["ignore", "ignore", "pipe"],
      },
    );
    let buffer = "";
    child.stderr.on("data", (chunk: Buffer) => {
      buffer += chunk.toString("utf8");
      let nl = buffer.indexOf("\n");
      while (nl >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        nl = buffer.indexOf("\n");
        try {
          if (point.when(JSON.parse(line))) child.kill("SIGKILL");
        } catch {
          // not a JSON log line
        }
      }
    });
    child.on("error", reject);
    child.on("close", (code, signal) => resolve({ code, signal }));
  });
}

async function heal(lake: string): Promise<void> {
  const r = await e2e.cli(["run", "--lookback", "0", "--lake", lake, "--date", DAY]);
  expect(r.code, r.stderr).toBe(0);
}

beforeAll(async () => {
  e2e = await startE2e("kill-heal", KEY, {
    OPENAQ_RETRY_BASE_MS: "1",
    // Two requests in flight: the kill lands with most of the sensors still to fetch.
    OPENAQ_CONCURRENCY: "2",
  });
  work = e2e.dir;
  const clean = join(work, "clean");
  await heal(clean);
  reference = await lakeSnapshot(clean);
  expect(reference.size).toBeGreaterThan(10);
}, 120_000);

afterAll(() => e2e?.close());

describe("SIGKILL mid-run, then a normal run", () => {
  const lake = () => join(work, "killed");
  for (const point of KILL_POINTS) {
    it(`heals the lake when killed ${point.name}`, async () => {
      const [y, m, d] = DAY.split("-");
      const runsDir = join(lake(), `dev/raw/measurements/year=${y}/month=${m}/day=${d}`);
      const runs = async () =>
        (existsSync(runsDir) ? await readdir(runsDir) : []).filter((n) => n.startsWith("run-"));
      const runsBefore = await runs();
      const ended = await runAndKill(lake(), point);
      expect(ended.signal).toBe("SIGKILL");
      // Killed during extract: the run committed no manifest, so transform never reads its pages.
      if (point.duringExtract) expect(await runs()).toEqual(runsBefore);
      await heal(lake());
      expect(await lakeSnapshot(lake())).toEqual(reference);
    }, 120_000);
  }
});
