import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

/**
 * Runs one side of a benchmark in its own Node process, so each side's peak RSS is its own.
 * The child prints one JSON object as its last stdout line; `peakRssMb` is added from the child's
 * own `process.resourceUsage().maxRSS` (see `reportAndExit`).
 */
export async function runSide(script: string | URL, args: string[] = []): Promise<Record<string, unknown>> {
  const path = script instanceof URL ? fileURLToPath(script) : script;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", path, ...args], {
      stdio: ["ignore", "pipe", "inherit"],
      env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" },
    });
    let out = "";
    child.stdout.on("data", (d) => {
      out += d;
    });
    child.on("error", reject);
    child.on("close", (code) => {
      const last = out.trim().split("\n").pop() ?? "";
      if (code !== 0) return reject(new Error(`${path} ${args.join(" ")} exited with ${code}`));
      try {
        resolve(JSON.parse(last) as Record<string, unknown>);
      } catch {
        reject(new Error(`${path} printed no JSON result: ${last.slice(0, 200)}`));
      }
    });
  });
}

/** Called by a child at the end: prints its result with its own peak RSS and exits. */
export function reportAndExit(result: Record<string, unknown>): never {
  const peakRssMb = Math.round(process.resourceUsage().maxRSS / 1024);
  process.stdout.write(`${JSON.stringify({ ...result, peakRssMb })}\n`);
  process.exit(0);
}

export function ratio(a: number, b: number): number {
  return Math.round((a / b) * 100) / 100;
}

/** The run with the median `rowsPerSec` (or `seconds`), with every round's rate listed beside it. */
export function median(runs: Record<string, unknown>[], key = "rowsPerSec"): Record<string, unknown> {
  const sorted = [...runs].sort((a, b) => (a[key] as number) - (b[key] as number));
  const mid = sorted[Math.floor(sorted.length / 2)] ?? {};
  return {
    ...mid,
    rounds: runs.map((r) => r[key]),
    peakRssMb: Math.max(...runs.map((r) => r.peakRssMb as number)),
  };
}
