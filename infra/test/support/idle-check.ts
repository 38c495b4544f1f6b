import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { createInterface, type Interface } from "node:readline";
import { fileURLToPath } from "node:url";

/** infra/src/sleep/idle_check.py, the file the bundle ships. */
export const IDLE_CHECK_FILE = fileURLToPath(new URL("../../src/sleep/idle_check.py", import.meta.url));

export interface AirflowFacts {
  active_runs: number;
  last_run_end: string | null;
  dags: Array<{ dag_id: string; paused: boolean; next_due: string | null }>;
}

export interface DecideInput {
  now: Date;
  facts: AirflowFacts | null;
  bootedAt: Date;
  idleMinutes: number;
  awakeMark?: Date;
}

// Calls decide() of the real module once per JSON line: one python3 process for many decisions.
const LOOP = `
import importlib.util, json, sys
from datetime import timedelta
spec = importlib.util.spec_from_file_location("idle_check", sys.argv[1])
m = importlib.util.module_from_spec(spec)
spec.loader.exec_module(m)
for line in sys.stdin:
    q = json.loads(line)
    d = m.decide(m.parse_time(q["now"]), q["facts"], booted_at=m.parse_time(q["booted_at"]),
                 idle=timedelta(minutes=q["idle_minutes"]), awake_mark=m.parse_time(q.get("awake_mark")))
    print(json.dumps(d.as_dict()), flush=True)
`;

/** A python3 process answering decide() calls; `close()` ends it. */
export class IdleCheck {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly lines: Interface;
  private readonly waiting: Array<(line: string) => void> = [];
  private stderr = "";

  constructor() {
    this.child = spawn("python3", ["-c", LOOP, IDLE_CHECK_FILE], { stdio: ["pipe", "pipe", "pipe"] });
    this.child.stderr.on("data", (c: Buffer) => {
      this.stderr += c.toString();
    });
    this.lines = createInterface({ input: this.child.stdout });
    this.lines.on("line", (line) => this.waiting.shift()?.(line));
  }

  decide(q: DecideInput): Promise<{ stop: boolean; reason: string }> {
    return new Promise((resolve, reject) => {
      const onExit = () => reject(new Error(`idle_check exited: ${this.stderr}`));
      this.child.once("exit", onExit);
      this.waiting.push((line) => {
        this.child.off("exit", onExit);
        resolve(JSON.parse(line) as { stop: boolean; reason: string });
      });
      this.child.stdin.write(
        `${JSON.stringify({
          now: q.now.toISOString(),
          facts: q.facts,
          booted_at: q.bootedAt.toISOString(),
          idle_minutes: q.idleMinutes,
          awake_mark: q.awakeMark?.toISOString() ?? null,
        })}\n`,
      );
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (this.child.exitCode !== null) return resolve();
      this.child.once("exit", () => resolve());
      this.child.stdin.end();
    });
  }
}
