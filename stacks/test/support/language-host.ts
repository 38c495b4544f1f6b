/**
 * What Pulumi's Node.js language host (pulumi/pulumi `sdk/nodejs/cmd/pulumi-language-nodejs`) does
 * with a project before any engine call, step by step, so each step can be checked on the real
 * workspace layout without the Pulumi CLI (which cannot run here):
 *
 * 1. program directory and entry point: `main` of Pulumi.yaml, relative to the project root; a
 *    folder is the program directory with entry point `.`, a file is split into its folder and its
 *    base name;
 * 2. the runner: `require.resolve('@pulumi/pulumi/cmd/run')` from the program directory, which is
 *    also the working directory of the program;
 * 3. provider plugins: every package whose package.json has `pulumi.resource: true`, found by
 *    walking `node_modules` folders downward from the program directory (into each package's own
 *    node_modules, through pnpm's symlinks);
 * 4. the command: `node <nodeargs> <runner> … <entry point>`.
 */
import { existsSync, readdirSync, readFileSync, realpathSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { basename, dirname, join, resolve } from "node:path";
import { parse } from "yaml";

export interface PulumiProject {
  root: string;
  main: string | undefined;
  nodeargs: string | undefined;
  typescript: boolean | undefined;
}

export function readProject(root: string): PulumiProject {
  const doc = parse(readFileSync(join(root, "Pulumi.yaml"), "utf8")) as {
    main?: string;
    runtime?: { options?: { nodeargs?: string; typescript?: boolean } };
  };
  return {
    root,
    main: doc.main,
    nodeargs: doc.runtime?.options?.nodeargs,
    typescript: doc.runtime?.options?.typescript,
  };
}

/** Step 1: the program directory and the entry point handed to the runner. */
export function programLocation(project: PulumiProject): { directory: string; entryPoint: string } {
  const main = resolve(project.root, project.main ?? ".");
  if (existsSync(main) && statSync(main).isDirectory()) return { directory: main, entryPoint: "." };
  return { directory: dirname(main), entryPoint: basename(main) };
}

/** Step 2: the runner module, resolved the way `require.resolve` does from the program directory. */
export function resolveRunner(programDirectory: string): string {
  return createRequire(join(programDirectory, "noop.js")).resolve("@pulumi/pulumi/cmd/run");
}

export interface FoundPlugin {
  name: string;
  version: string;
  packageDir: string;
}

/** Step 3: resource plugins under the program directory's node_modules, walking downward. */
export function discoverPlugins(programDirectory: string): FoundPlugin[] {
  const found = new Map<string, FoundPlugin>();
  const seen = new Set<string>();
  const visitModules = (modulesDir: string) => {
    if (!existsSync(modulesDir)) return;
    for (const entry of readdirSync(modulesDir)) {
      if (entry.startsWith(".")) continue;
      const path = join(modulesDir, entry);
      if (entry.startsWith("@")) {
        for (const scoped of readdirSync(path)) visitPackage(join(path, scoped));
      } else visitPackage(path);
    }
  };
  const visitPackage = (dir: string) => {
    let real: string;
    try {
      real = realpathSync(dir);
    } catch {
      return; // a dangling link
    }
    if (seen.has(real)) return;
    seen.add(real);
    const manifest = join(real, "package.json");
    if (existsSync(manifest)) {
      const pkg = JSON.parse(readFileSync(manifest, "utf8")) as {
        version?: string;
        pulumi?: { resource?: boolean; name?: string; version?: string };
      };
      if (pkg.pulumi?.resource === true) {
        const name = pkg.pulumi.name ?? basename(real);
        found.set(name, { name, version: pkg.pulumi.version ?? pkg.version ?? "", packageDir: real });
      }
    }
    visitModules(join(real, "node_modules"));
  };
  visitModules(join(programDirectory, "node_modules"));
  return [...found.values()].sort((a, b) => a.name.localeCompare(b.name));
}

/** Step 4: the argument vector of the program process (working directory: the program directory). */
export function programCommand(
  project: PulumiProject,
  runner: string,
  entryPoint: string,
  flags: readonly string[],
): string[] {
  const nodeargs = (project.nodeargs ?? "").split(/\s+/).filter(Boolean);
  return [...nodeargs, runner, ...flags, entryPoint];
}
