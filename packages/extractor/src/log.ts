/**
 * The logger every step writes progress to. The CLI decides the rendering (a progress line on a
 * TTY, plain lines otherwise, JSON lines with --log-format json); all of it goes to stderr.
 */
export type LogFields = Record<string, string | number | boolean | null | undefined>;

export interface Logger {
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  /** Progress of a batch of work, e.g. sensors fetched so far. */
  progress(step: string, done: number, total: number): void;
}

export const silentLogger: Logger = {
  info() {},
  warn() {},
  error() {},
  progress() {},
};
