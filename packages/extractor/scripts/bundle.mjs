#!/usr/bin/env node
/**
 * Bundles the `openaq-pipeline` CLI into one ESM file for the container (see ../Dockerfile):
 *
 *   node packages/extractor/scripts/bundle.mjs [--outdir <dir>]     (default packages/extractor/dist)
 *
 * writes `<outdir>/openaq-pipeline.mjs`. Everything is inlined except the packages that cannot be,
 * which are exactly the dependencies of `../runtime/package.json` (`@duckdb/node-api`, a native
 * binary; `parquet-wasm`, which loads its .wasm file from its own folder): the image's runtime stage
 * installs those from the workspace lockfile with `pnpm deploy --prod`. The bundle refuses to build
 * when a version there differs from the one the CLI is tested with here.
 *
 * The local OpenAQ server (`@openaq-lakehouse/fake-openaq`, test and demo code) is never bundled:
 * its import is replaced by a module that fails with one clear sentence, so the image says that the
 * bundled-fixtures mode is not in it instead of shipping the fake server.
 *
 * Plain JavaScript on purpose: the image's build stage runs it with `node`, without tsx.
 */
import { mkdir, readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { build } from "esbuild";

export const BUNDLE_FILE = "openaq-pipeline.mjs";
export const FIXTURES_PACKAGE = "@openaq-lakehouse/fake-openaq";
/** The one sentence the image prints when asked for the bundled fixtures. */
export const FIXTURES_NOT_IN_IMAGE =
  "The bundled OpenAQ fixtures are not in this image (they are test and demo code): set OPENAQ_API_KEY or OPENAQ_API_KEY_PARAMETER, or OPENAQ_BASE_URL for a local OpenAQ server.";

export const DASHBOARD_PACKAGE = "@openaq-lakehouse/dashboard";
/** The one sentence the image prints when asked for the dashboard (a laptop command). */
export const DASHBOARD_NOT_IN_IMAGE =
  "The dashboard is not in this image (it serves a page on a laptop's 127.0.0.1): run it from the workspace with pnpm pipeline dashboard.";

/**
 * Workspace packages the image leaves out, each replaced by functions that fail with one sentence.
 * Their codes are in pipeline-core's ERROR_CODES (a test checks: this file is not type-checked).
 */
export const LEFT_OUT = {
  [FIXTURES_PACKAGE]: {
    code: "FIXTURES_NOT_IN_IMAGE",
    message: FIXTURES_NOT_IN_IMAGE,
    exports: ["startFakeOpenAq"],
  },
  [DASHBOARD_PACKAGE]: {
    code: "DASHBOARD_NOT_IN_IMAGE",
    message: DASHBOARD_NOT_IN_IMAGE,
    exports: ["serveDashboard", "lakeDataVersion"],
  },
};

const here = dirname(fileURLToPath(import.meta.url));
const packageRoot = resolve(here, "..");
export const RUNTIME_MANIFEST = join(packageRoot, "runtime/package.json");

/** The runtime packages and their pinned versions (one definition: ../runtime/package.json). */
export async function runtimeDependencies() {
  const manifest = JSON.parse(await readFile(RUNTIME_MANIFEST, "utf8"));
  return manifest.dependencies;
}

/** The installed version of a package, resolved the way the bundled code resolves it. */
async function installedVersion(name, fromDir) {
  const require = createRequire(join(fromDir, "noop.js"));
  let dir = dirname(require.resolve(name));
  // Walk up from the entry file to the package's own package.json.
  for (;;) {
    try {
      const pkg = JSON.parse(await readFile(join(dir, "package.json"), "utf8"));
      if (pkg.name === name) return pkg.version;
    } catch {
      // not here: keep walking
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`Cannot find the package.json of ${name}.`);
    dir = parent;
  }
}

/** Where each external package is resolved from by the sources that import it. */
const IMPORTED_FROM = {
  "@duckdb/node-api": packageRoot,
  "parquet-wasm": resolve(packageRoot, "../pipeline-core"),
};

const leftOut = {
  name: "left-out",
  setup(b) {
    const names = Object.keys(LEFT_OUT)
      .map((n) => n.replace("/", "\\/"))
      .join("|");
    b.onResolve({ filter: new RegExp(`^(${names})(\\/.*)?$`) }, (args) => ({
      path: args.path.split("/").slice(0, 2).join("/"),
      namespace: "left-out",
    }));
    b.onLoad({ filter: /.*/, namespace: "left-out" }, (args) => {
      const { code, message, exports } = LEFT_OUT[args.path];
      return {
        resolveDir: packageRoot,
        loader: "js",
        contents: `import { PipelineError } from "@openaq-lakehouse/pipeline-core";
${exports.map((name) => `export async function ${name}() {\n  throw new PipelineError(${JSON.stringify(code)}, ${JSON.stringify(message)});\n}`).join("\n")}`,
      };
    });
  },
};

export async function bundle(outdir) {
  await mkdir(outdir, { recursive: true });
  const outfile = join(outdir, BUNDLE_FILE);
  const dependencies = await runtimeDependencies();
  for (const [name, pinned] of Object.entries(dependencies)) {
    const from = IMPORTED_FROM[name];
    if (!from)
      throw new Error(`${RUNTIME_MANIFEST} lists ${name}, which the bundle does not leave external.`);
    const installed = await installedVersion(name, from);
    if (installed !== pinned) {
      throw new Error(
        `${name}: the CLI is built against ${installed} but ${RUNTIME_MANIFEST} pins ${pinned}; make them equal.`,
      );
    }
  }
  await build({
    entryPoints: [join(packageRoot, "src/cli/main.ts")],
    outfile,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    external: Object.keys(dependencies),
    plugins: [leftOut],
    // Workspace packages are bundled from their TypeScript source (their `development` export
    // condition), so the image needs no separate library build.
    conditions: ["development"],
    // CommonJS dependencies (the AWS SDK, apache-arrow's helpers) call require() for Node built-ins.
    banner: {
      js: 'import { createRequire as __createRequire } from "node:module"; const require = __createRequire(import.meta.url);',
    },
    legalComments: "none",
    minify: true,
    sourcemap: false,
    logLevel: "warning",
  });
  return { outfile, dependencies };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { outdir: { type: "string" } } });
  const result = await bundle(resolve(values.outdir ?? join(packageRoot, "dist")));
  process.stdout.write(`bundled ${result.outfile}\n`);
}
