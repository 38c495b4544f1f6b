import * as pulumi from "@pulumi/pulumi";

/**
 * Typed, validated stack config. Every getter checks one key and records a problem that names it
 * (`openaq-lakehouse:alertEmail`); `done()` throws one error listing every problem, so a wrong or
 * missing value stops `pulumi up` before anything is planned.
 */

/** Reported by Pulumi as a clean message, without a stack trace. */
export class ConfigError extends pulumi.RunError {
  constructor(
    message: string,
    readonly problems: readonly string[],
  ) {
    super(message);
    this.name = "ConfigError";
  }
}

/** What the reader needs from `pulumi.Config` (so tests can also use a plain map). */
export interface ConfigSource {
  readonly name: string;
  get(key: string): string | undefined;
  getSecret(key: string): pulumi.Output<string> | undefined;
}

interface Common<T> {
  default?: T;
  /** How to set the key, added to the "missing" message. */
  hint?: string;
}

export class ConfigReader {
  private readonly problems: string[] = [];

  constructor(
    private readonly source: ConfigSource,
    private readonly stack: string,
  ) {}

  /** The fully qualified key, as `pulumi config` shows it. */
  key(key: string): string {
    return `${this.source.name}:${key}`;
  }

  private raw<T>(key: string, opts: Common<T>): string | undefined {
    const value = this.source.get(key);
    if (value === undefined || value === "") {
      if (opts.default === undefined) {
        this.problems.push(`${this.key(key)} is required${opts.hint ? ` (${opts.hint})` : ""}.`);
      }
      return undefined;
    }
    return value;
  }

  private bad(key: string, expected: string, value: string): undefined {
    this.problems.push(`${this.key(key)} must be ${expected}, got ${JSON.stringify(value)}.`);
    return undefined;
  }

  string(
    key: string,
    opts: Common<string> & { pattern?: RegExp; expected?: string; allowed?: readonly string[] } = {},
  ): string {
    const value = this.raw(key, opts);
    if (value === undefined) return opts.default ?? "";
    if (opts.allowed && !opts.allowed.includes(value))
      return this.bad(key, `one of ${opts.allowed.join(", ")}`, value) ?? "";
    if (opts.pattern && !opts.pattern.test(value))
      return this.bad(key, opts.expected ?? `a string matching ${opts.pattern}`, value) ?? "";
    return value;
  }

  optionalString(key: string, opts: { pattern?: RegExp; expected?: string } = {}): string | undefined {
    const value = this.source.get(key);
    if (value === undefined || value === "") return undefined;
    if (opts.pattern && !opts.pattern.test(value))
      return this.bad(key, opts.expected ?? `a string matching ${opts.pattern}`, value);
    return value;
  }

  integer(key: string, opts: Common<number> & { min: number; max: number }): number {
    const value = this.raw(key, opts);
    if (value === undefined) return opts.default ?? 0;
    const n = Number(value);
    if (!/^-?\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < opts.min || n > opts.max) {
      return this.bad(key, `an integer from ${opts.min} to ${opts.max}`, value) ?? opts.default ?? 0;
    }
    return n;
  }

  boolean(key: string, opts: Common<boolean> = {}): boolean {
    const value = this.raw(key, opts);
    if (value === undefined) return opts.default ?? false;
    if (value !== "true" && value !== "false") return this.bad(key, "true or false", value) ?? false;
    return value === "true";
  }

  /** A JSON object value (YAML maps in the stack file), checked by `parse`, which returns problems. */
  object<T>(
    key: string,
    parse: (value: unknown) => { value?: T; problems: string[] },
    opts: Common<T> = {},
  ): T {
    const value = this.raw(key, opts);
    if (value === undefined) return opts.default as T;
    let json: unknown;
    try {
      json = JSON.parse(value);
    } catch {
      return this.bad(key, "a YAML map", value) ?? (opts.default as T);
    }
    const parsed = parse(json);
    for (const p of parsed.problems) this.problems.push(`${this.key(key)}: ${p}`);
    return parsed.value ?? (opts.default as T);
  }

  secret(key: string, opts: { minLength?: number; hint?: string } = {}): pulumi.Output<string> {
    const plain = this.source.get(key);
    const value = this.source.getSecret(key);
    if (value === undefined || plain === undefined || plain === "") {
      this.problems.push(`${this.key(key)} is required${opts.hint ? ` (${opts.hint})` : ""}.`);
      return pulumi.secret("");
    }
    if (opts.minLength !== undefined && plain.length < opts.minLength) {
      // Never echo a secret back.
      this.problems.push(`${this.key(key)} must be at least ${opts.minLength} characters long.`);
    }
    return value;
  }

  /** Throws one ConfigError listing every problem found so far. */
  done(): void {
    ConfigReader.finish(this);
  }

  /** Throws one ConfigError listing every problem of every reader (e.g. `aws:` and the project's keys). */
  static finish(...readers: ConfigReader[]): void {
    const problems = readers.flatMap((r) => r.problems);
    if (problems.length === 0) return;
    const stack = readers[0]?.stack ?? "";
    throw new ConfigError(
      `Invalid configuration for stack '${stack}':\n${problems.map((p) => `  - ${p}`).join("\n")}`,
      problems,
    );
  }
}

export const PATTERNS = {
  region: /^[a-z]{2}(-gov)?-[a-z]+-\d$/,
  email: /^[^\s@]+@[^\s@]+\.[^\s@]+$/,
  instanceType: /^[a-z][a-z0-9-]*\.[a-z0-9]+$/,
  subnetId: /^subnet-[0-9a-f]{8,17}$/,
  isoDay: /^\d{4}-\d{2}-\d{2}$/,
  stackRef: /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/,
} as const;

/** `pulumi.Config` as a ConfigSource. */
export function pulumiConfig(namespace?: string): ConfigSource {
  const cfg = new pulumi.Config(namespace);
  return { name: cfg.name, get: (k) => cfg.get(k), getSecret: (k) => cfg.getSecret(k) };
}
