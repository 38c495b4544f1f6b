import type { LogFields, Logger } from "../log.js";
import type { LogFormat } from "./args.js";

/** Something to write text to: process.stderr, or a buffer in tests. */
export interface TextSink {
  write(text: string): unknown;
  isTTY?: boolean;
}

/** Replaces every secret in `text` (defence in depth: no code path should hand one to the logger). */
export function redactAll(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) if (s.length >= 4) out = out.split(s).join("***");
  return out;
}

export interface CliLogger extends Logger {
  /** Ends a progress line left open on a TTY. */
  flush(): void;
}

/**
 * The CLI's stderr logger, in the rendering the caller asked for:
 *  - text on a TTY: one progress line per step, rewritten in place as sensor batches finish;
 *  - text elsewhere (pipes, Docker logs): plain timestamped lines, progress every 10% only;
 *  - json: one JSON object per line (for Airflow and log shippers), progress every 10% only.
 * `secrets()` is consulted on every write, so a key learned mid-run (from SSM) is redacted too.
 */
export function createCliLogger(opts: {
  format: LogFormat;
  sink: TextSink;
  secrets: () => readonly string[];
  now?: () => Date;
}): CliLogger {
  const { sink, format } = opts;
  const now = opts.now ?? (() => new Date());
  const tty = format === "text" && Boolean(sink.isTTY);
  let openProgress = false;
  const lastDecile = new Map<string, number>();
  const out = (text: string) => sink.write(redactAll(text, opts.secrets()));
  const closeProgress = () => {
    if (openProgress) {
      out("\n");
      openProgress = false;
    }
  };

  const line = (level: "info" | "warn" | "error", message: string, fields?: LogFields) => {
    if (format === "json") {
      out(`${JSON.stringify({ time: now().toISOString(), level, message, ...cleanFields(fields) })}\n`);
      return;
    }
    closeProgress();
    out(
      tty
        ? `${level === "info" ? "" : `${level}: `}${message}\n`
        : `${now().toISOString()} ${level.toUpperCase()} ${message}\n`,
    );
  };

  return {
    info: (m, f) => line("info", m, f),
    warn: (m, f) => line("warn", m, f),
    error: (m, f) => line("error", m, f),
    progress(step, done, total) {
      const pct = total === 0 ? 100 : Math.floor((done / total) * 100);
      if (tty) {
        out(`\r\x1b[K${step}: ${done}/${total} sensors (${pct}%)`);
        openProgress = true;
        if (done >= total) closeProgress();
        return;
      }
      // Off a TTY every line is kept forever: report each tenth of the way, not every batch.
      const decile = Math.floor(pct / 10);
      if (done !== total && lastDecile.get(step) === decile) return;
      lastDecile.set(step, decile);
      if (format === "json") {
        out(
          `${JSON.stringify({ time: now().toISOString(), level: "info", event: "progress", step, done, total })}\n`,
        );
      } else {
        out(`${now().toISOString()} INFO ${step}: ${done}/${total} sensors (${pct}%)\n`);
      }
    },
    flush: closeProgress,
  };
}

function cleanFields(fields: LogFields | undefined): LogFields {
  const out: LogFields = {};
  if (!fields) return out;
  for (const [k, v] of Object.entries(fields))
    if (v !== undefined && k !== "time" && k !== "level" && k !== "message") out[k] = v;
  return out;
}
