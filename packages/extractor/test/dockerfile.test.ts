import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { isErrorCode } from "@openaq-lakehouse/pipeline-core";
import { baseEnv, REPO_ROOT, spawnCli } from "@openaq-lakehouse/test-support/cli";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

/**
 * What the Dockerfile says, checked without Docker. The image itself is built and run by
 * test/container.test.ts (a private Docker engine); this file keeps the rules that hold for any base.
 */

const DOCKERFILE = join(REPO_ROOT, "packages/extractor/Dockerfile");
const RUNTIME_MANIFEST = join(REPO_ROOT, "packages/extractor/runtime/package.json");

/** ENTRYPOINT of the last stage, exec form. */
function parseEntrypoint(dockerfile: string): string[] {
  const lines = dockerfile.split("\n").filter((l) => /^ENTRYPOINT\s/.test(l));
  const last = lines.at(-1);
  if (!last) throw new Error("The Dockerfile has no ENTRYPOINT.");
  return JSON.parse(last.replace(/^ENTRYPOINT\s+/, "")) as string[];
}

describe("Dockerfile", () => {
  it("is multi-stage on the current Node LTS pinned by digest, and runs as a non-root user", async () => {
    const text = await readFile(DOCKERFILE, "utf8");
    expect(text).toMatch(/^ARG NODE_IMAGE=node:24-bookworm-slim@sha256:[0-9a-f]{64}$/m);
    const stages = [...text.matchAll(/^FROM \$\{NODE_IMAGE\} AS (\w+)$/gm)].map((m) => m[1]);
    expect(stages).toEqual(["build", "runtime"]);
    const runtime = text.slice(text.indexOf("AS runtime"));
    expect(runtime).toMatch(/^USER node$/m);
    expect(runtime.indexOf("USER node")).toBeLessThan(runtime.indexOf("ENTRYPOINT"));
    expect(parseEntrypoint(text)).toEqual(["node", "/app/openaq-pipeline.mjs"]);
  });

  it("installs the runtime's packages from the lockfile (pnpm deploy --prod), never without one", async () => {
    const text = await readFile(DOCKERFILE, "utf8");
    expect(text).toMatch(/pnpm --filter "@openaq-lakehouse\/extractor-runtime" deploy --prod/);
    expect(text).toMatch(/pnpm install --frozen-lockfile/);
    expect(text).not.toMatch(/--no-package-lock|npm install --omit/);
    // No package manager runs in the runtime stage: it only copies what the build stage made.
    const runtime = text.slice(text.indexOf("AS runtime"));
    expect(runtime).not.toMatch(/\b(npm|pnpm) (install|ci|deploy)\b/);
  });

  it("builds with the pnpm the workspace pins, so its frozen install reads the same lockfile", async () => {
    const text = await readFile(DOCKERFILE, "utf8");
    const pin = (
      JSON.parse(await readFile(join(REPO_ROOT, "package.json"), "utf8")) as { packageManager: string }
    ).packageManager;
    expect(`pnpm@${/^ARG PNPM_VERSION=(\S+)$/m.exec(text)?.[1]}`).toBe(pin);
  });

  it("copies no test-only code: the dev-only packages' manifests only (the lockfile names them), never their sources", async () => {
    const text = await readFile(DOCKERFILE, "utf8");
    const copies = text.split("\n").filter((l) => /^COPY (?!--from)/.test(l));
    const devOnly = copies.filter((l) => /fake-openaq|test-support|dashboard/.test(l));
    expect(devOnly).toEqual([
      "COPY packages/fake-openaq/package.json packages/fake-openaq/",
      "COPY packages/dashboard/package.json packages/dashboard/",
      "COPY packages/test-support/package.json packages/test-support/",
    ]);
    expect(copies.filter((l) => /\/test\/|\.test\.|fixtures/.test(l))).toEqual([]);
  });

  it(".dockerignore lets in exactly the sources the build stage copies", async () => {
    const text = await readFile(DOCKERFILE, "utf8");
    const ignore = (await readFile(join(REPO_ROOT, ".dockerignore"), "utf8"))
      .split("\n")
      .filter((l) => l && !l.startsWith("#"));
    expect(ignore[0]).toBe("**");
    const allowed = ignore.filter((l) => l.startsWith("!")).map((l) => l.slice(1).replace(/\/\*\*$/, ""));
    const sources = text
      .split("\n")
      .filter((l) => /^COPY (?!--from)/.test(l))
      .flatMap((l) =>
        l
          .replace(/^COPY\s+/, "")
          .split(/\s+/)
          .slice(0, -1),
      );
    expect([...sources].sort()).toEqual([...allowed].sort());
    expect(ignore).toContain("**/node_modules");
    expect(ignore).toContain("**/.lake");
  });
});

describe("the bundle script", () => {
  let out: string;
  beforeAll(async () => {
    out = await mkdtemp(join(tmpdir(), "bundle-"));
  });
  afterAll(async () => {
    await rm(out, { recursive: true, force: true });
  });

  it("replaces the left-out packages with refusals whose codes are in the closed list", async () => {
    const script = pathToFileURL(join(REPO_ROOT, "packages/extractor/scripts/bundle.mjs")).href;
    const { LEFT_OUT } = (await import(script)) as { LEFT_OUT: Record<string, { code: string }> };
    const codes = Object.values(LEFT_OUT).map((m) => m.code);
    expect(codes.sort()).toEqual(["DASHBOARD_NOT_IN_IMAGE", "FIXTURES_NOT_IN_IMAGE"]);
    for (const code of codes) expect(isErrorCode(code), code).toBe(true);
  });

  it("leaves external exactly the runtime manifest's packages, at the versions the CLI is tested with", async () => {
    const built = await spawnCli(
      "node",
      [join(REPO_ROOT, "packages/extractor/scripts/bundle.mjs"), "--outdir", out],
      baseEnv(),
    );
    expect(built.code, built.stderr).toBe(0);
    const bundle = await readFile(join(out, "openaq-pipeline.mjs"), "utf8");
    const runtime = JSON.parse(await readFile(RUNTIME_MANIFEST, "utf8")) as {
      dependencies: Record<string, string>;
    };
    const imported = [...bundle.matchAll(/from"(@?[a-z0-9-]+(?:\/[a-z0-9-]+)?)"/g)]
      .map((m) => m[1] as string)
      .filter((name) => !name.startsWith("node:"));
    expect([...new Set(imported)].sort()).toEqual(Object.keys(runtime.dependencies).sort());
    for (const name of Object.keys(runtime.dependencies)) {
      const pkg = JSON.parse(
        await readFile(
          join(
            REPO_ROOT,
            name === "parquet-wasm" ? "packages/pipeline-core" : "packages/extractor",
            "node_modules",
            name,
            "package.json",
          ),
          "utf8",
        ),
      ) as { version: string };
      expect(pkg.version).toBe(runtime.dependencies[name]);
    }
    // The local OpenAQ server never enters: its import is replaced by a clear refusal.
    expect(bundle).toContain("FIXTURES_NOT_IN_IMAGE");
  });
});
