import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import {
  discoverPlugins,
  programCommand,
  programLocation,
  readProject,
  resolveRunner,
} from "./support/language-host.js";

/**
 * `pulumi up` must start: each step the Node.js language host takes before the engine, run on the
 * real workspace (Pulumi.yaml at the repository root, pnpm's node_modules).
 */

const ROOT = resolve(fileURLToPath(new URL("../..", import.meta.url)));
const project = readProject(ROOT);
const { directory, entryPoint } = programLocation(project);

describe("Pulumi language host steps", () => {
  it("1. the program directory is the stacks package and its entry point comes from its package.json", () => {
    expect(directory).toBe(join(ROOT, "stacks"));
    expect(entryPoint).toBe(".");
    const pkg = JSON.parse(readFileSync(join(directory, "package.json"), "utf8")) as {
      main: string;
      type: string;
    };
    expect(pkg.type).toBe("module");
    expect(existsSync(join(directory, pkg.main))).toBe(true);
    expect(project.typescript).toBe(false); // tsx loads the TypeScript, not ts-node
  });

  it("2. @pulumi/pulumi/cmd/run resolves from the program directory", () => {
    expect(resolveRunner(directory)).toMatch(/@pulumi\/pulumi\/cmd\/run\/index\.js$/);
  });

  it("3. plugin discovery from the program directory finds the providers, and from stacks/src it would find none", () => {
    const plugins = discoverPlugins(directory);
    const aws = JSON.parse(
      readFileSync(join(directory, "node_modules/@pulumi/aws/package.json"), "utf8"),
    ) as {
      version: string;
    };
    expect(plugins.map((p) => [p.name, p.version])).toEqual(
      expect.arrayContaining([
        ["aws", aws.version],
        ["docker-build", expect.any(String)],
      ]),
    );
    // The former `main: stacks/src/index.ts` made stacks/src the program directory: no node_modules there.
    expect(discoverPlugins(join(ROOT, "stacks/src"))).toEqual([]);
  });

  it("4. the program process loads tsx from the program directory", () => {
    const argv = programCommand(project, resolveRunner(directory), entryPoint, ["--dry-run"]);
    expect(argv.slice(0, 2)).toEqual(["--import", "tsx"]);
    const r = spawnSync(process.execPath, ["--import", "tsx", "-e", "process.stdout.write('ok')"], {
      cwd: directory,
      encoding: "utf8",
      env: { ...process.env, NODE_OPTIONS: "" },
    });
    expect(r.stdout, r.stderr).toBe("ok");
  });

  it("5. the runner's own loader gets as far as the engine: the entry point is found and its module loads", () => {
    // run.js resolves entry point "." through package.json `main` and imports it (ESM) with the
    // node arguments above; without an engine it stops at the first monitor call. Loading the entry
    // point the same way (realpath, file URL, dynamic import) must yield the program's default export.
    const entry = join(directory, "src/index.ts");
    const load = spawnSync(
      process.execPath,
      [
        // The project's own node arguments (Pulumi.yaml `nodeargs`), as the language host passes them.
        ...(project.nodeargs ?? "").split(/\s+/).filter(Boolean),
        "--input-type=module",
        "-e",
        `const m = await import(${JSON.stringify(new URL(`file://${entry}`).href)}); process.stdout.write(typeof m.default + " " + Object.keys(m).join(","));`,
      ],
      { cwd: directory, encoding: "utf8", env: { ...process.env, NODE_OPTIONS: "" }, timeout: 60_000 },
    );
    expect(load.stdout, load.stderr).toMatch(/^function /);
    expect(load.stdout).toContain("default");

    // The runner itself, as the language host starts it, with an engine address nobody listens on.
    const run = spawnSync(
      process.execPath,
      programCommand(project, resolveRunner(directory), entryPoint, [
        "--monitor=127.0.0.1:9",
        "--engine=127.0.0.1:9",
        "--project=openaq-lakehouse",
        "--stack=dev",
        "--organization=organization",
        `--root-directory=${ROOT}`,
        `--pwd=${directory}`,
        "--dry-run",
      ]),
      { cwd: directory, encoding: "utf8", env: { ...process.env, NODE_OPTIONS: "" }, timeout: 60_000 },
    );
    const output = run.stdout + run.stderr;
    expect(output).not.toMatch(
      /Could not find entry point|No entrypoint found|Cannot find module|ERR_UNKNOWN_FILE_EXTENSION/,
    );
    expect(output).toMatch(/ECONNREFUSED 127\.0\.0\.1:9/);
  }, 120_000);
});
