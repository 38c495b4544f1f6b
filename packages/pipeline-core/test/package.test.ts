/**
 * The package as a consumer gets it: `pnpm pack`, install the tarball into a fresh project outside the
 * workspace (its dependencies from the npm registry), then plain `node` (no tsx, no loader) and `tsc`
 * with `strict` + `exactOptionalPropertyTypes` + no `skipLibCheck` against the published declarations.
 * The README's examples are compiled and run there too, the S3 one against a local S3 server.
 */
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { S3RVER_CREDENTIALS, type S3rverHandle, startS3rver } from "@openaq-lakehouse/test-support/s3rver";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const run = promisify(execFile);
const PACKAGE_DIR = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const require = createRequire(import.meta.url);
const TSC = require.resolve("typescript/bin/tsc");
const TYPES_NODE_VERSION = (require("@types/node/package.json") as { version: string }).version;

/** The child's environment: no loaders (NODE_OPTIONS) and none of pnpm's npm_config_* settings. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (k === "NODE_OPTIONS" || k.toLowerCase().startsWith("npm_") || k.startsWith("AWS_")) continue;
    env[k] = v;
  }
  return { ...env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true", ...extra };
}

async function sh(cmd: string, args: string[], cwd: string, env = cleanEnv()) {
  try {
    return await run(cmd, args, { cwd, env, maxBuffer: 64 * 1024 * 1024 });
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string; message: string };
    throw new Error(
      `${cmd} ${args.join(" ")} failed: ${err.message}\n${err.stdout ?? ""}\n${err.stderr ?? ""}`,
    );
  }
}

const CONSUMER_TSCONFIG = {
  compilerOptions: {
    target: "ES2022",
    lib: ["ES2023"],
    module: "NodeNext",
    moduleResolution: "NodeNext",
    strict: true,
    exactOptionalPropertyTypes: true,
    noUncheckedIndexedAccess: true,
    skipLibCheck: false,
    types: ["node"],
    outDir: "out",
  },
  include: ["*.ts"],
};

/** A plain Node ESM program: a dataset of its own, two partitions, one replaced, both read back. */
const CONSUMER_MJS = `
import assert from "node:assert/strict";
import { defineDataset, LocalFolderStore, optional, readRows, readTable, required, t, writePartition } from "@openaq-lakehouse/pipeline-core";

const sales = defineDataset({
  name: "sales",
  description: "Sales by shop and day.",
  partitionKeys: ["shop", "dt"],
  columns: [
    required("sku", t.string(), "Article."),
    required("sold_at", t.timestampMs(), "When, UTC."),
    required("qty", t.int64(), "Units."),
    optional("price", t.float64(), "Unit price."),
  ],
});
const store = new LocalFolderStore("lake");
const ts = (s) => Date.parse(s);
await writePartition({ store, env: "dev", dataset: sales, day: "2024-05-01", partition: { shop: "paris" },
  rows: [{ sku: "a", sold_at: ts("2024-05-01T09:00:00Z"), qty: 2n, price: 9.5 }, { sku: "b", sold_at: ts("2024-05-01T10:00:00Z"), qty: 1n, price: null }] });
await writePartition({ store, env: "dev", dataset: sales, day: "2024-05-01", partition: { shop: "lyon" },
  rows: [{ sku: "c", sold_at: ts("2024-05-01T11:00:00Z"), qty: 5n, price: 3 }] });
const replaced = await writePartition({ store, env: "dev", dataset: sales, day: "2024-05-01", partition: { shop: "paris" },
  rows: [{ sku: "a", sold_at: ts("2024-05-01T09:00:00Z"), qty: 3n, price: 9.5 }], allowShrink: true });
assert.equal(replaced.prefix, "dev/processed/sales/shop=paris/dt=2024-05-01/");

const rows = [];
for await (const r of readRows({ store, env: "dev", dataset: sales })) rows.push(r);
assert.deepEqual(rows, [
  { sku: "c", sold_at: new Date("2024-05-01T11:00:00Z"), qty: 5, price: 3, shop: "lyon", dt: "2024-05-01" },
  { sku: "a", sold_at: new Date("2024-05-01T09:00:00Z"), qty: 3, price: 9.5, shop: "paris", dt: "2024-05-01" },
]);
assert.ok(rows[0].sold_at instanceof Date);
const table = await readTable({ store, env: "dev", dataset: sales, filter: { shop: ["paris"] } });
assert.equal(table.numRows, 1);
console.log(JSON.stringify({ ok: true, rows: rows.length, node: process.version, loaders: process.execArgv }));
`;

/** Uses the public types the way a strict consumer would; each @ts-expect-error must stay an error. */
const CONSUMER_TS = `
import {
  defineDataset, type ObjectStore, openStore, optional, type PartitionWriteReport, type ReadRowOf, readRows,
  required, type RowOf, S3Store, t, writePartition,
} from "@openaq-lakehouse/pipeline-core";

const trips = defineDataset({
  name: "trips",
  description: "Trips.",
  partitionKeys: ["city", "year", "month", "day"],
  partitionSpecs: { city: { kind: "enum", values: ["hanoi", "hue"] } },
  columns: [required("id", t.int32(), "Id."), optional("started", t.timestampMs(), "Start."), optional("km", t.float64(), "Length.")],
});
type Row = RowOf<typeof trips>;
const row: Row = { id: 1, started: null, km: 2.5 };
// @ts-expect-error a timestamp is written as epoch milliseconds, not a string
const bad: Row = { id: 1, started: "2024-01-01", km: null };

export async function load(store: ObjectStore): Promise<PartitionWriteReport> {
  // @ts-expect-error exactOptionalPropertyTypes: an optional option is omitted, not undefined
  await writePartition({ store, env: "dev", dataset: trips, day: "2024-01-01", partition: { city: "hue" }, rows: [row], allowShrink: undefined });
  // @ts-expect-error environments are dev and prod
  await writePartition({ store, env: "staging", dataset: trips, day: "2024-01-01", rows: [row] });
  return writePartition({ store, env: "dev", dataset: trips, day: "2024-01-01", partition: { city: "hue" }, rows: [row] });
}

export async function firstStart(): Promise<Date | null> {
  const store = await openStore("lake");
  for await (const r of readRows({ store, env: "dev", dataset: trips, filter: { city: "hue" }, days: { from: "2024-01-01" } })) {
    const typed: ReadRowOf<typeof trips> = r;
    const city: string = typed.city;
    // @ts-expect-error read rows have no columns the dataset does not define
    void typed.nope;
    void city;
    return typed.started;
  }
  return null;
}

export const s3 = new S3Store({ bucket: "my-lake", endpoint: "http://127.0.0.1:9000", forcePathStyle: true, region: "us-east-1" });
void bad;
`;

/** The README's \`ts\` blocks, in order. */
async function readmeExamples(): Promise<string[]> {
  const readme = await readFile(join(PACKAGE_DIR, "README.md"), "utf8");
  return [...readme.matchAll(/^```ts\n([\s\S]*?)^```$/gm)].map((m) => m[1] as string);
}

describe("the packed package in a fresh project", () => {
  let base: string;
  let consumer: string;
  let files: string[];
  let manifest: Record<string, unknown>;
  let tarball: string;

  beforeAll(async () => {
    base = await mkdtemp(join(tmpdir(), "pipeline-core-pack-"));
    const { stdout } = await sh("pnpm", ["pack", "--json", "--pack-destination", base], PACKAGE_DIR, {
      ...cleanEnv(),
      PATH: process.env.PATH ?? "",
    });
    // Lifecycle output (prepack's build) may come first; the JSON report is the rest.
    const report = JSON.parse(stdout.slice(stdout.search(/^\{/m))) as {
      filename: string;
      files: { path: string }[];
    };
    tarball = report.filename;
    files = report.files.map((f) => f.path).sort();
    manifest = JSON.parse((await sh("tar", ["-xzOf", tarball, "package/package.json"], base)).stdout);

    consumer = join(base, "consumer");
    await mkdir(consumer);
    await writeFile(
      join(consumer, "package.json"),
      JSON.stringify({ name: "consumer", private: true, type: "module" }),
    );
    await sh(
      "npm",
      [
        "install",
        "--no-audit",
        "--no-fund",
        "--loglevel=error",
        tarball,
        `@types/node@${TYPES_NODE_VERSION}`,
      ],
      consumer,
    );
  }, 300_000);
  afterAll(() => rm(base, { recursive: true, force: true }));

  it("publishes compiled code, declarations, maps, sources, docs and licence; no tests, fixtures or secrets", async () => {
    for (const f of [
      "dist/index.js",
      "dist/index.d.ts",
      "dist/index.js.map",
      "dist/reader/read-dataset.d.ts",
    ]) {
      expect(files).toContain(f);
    }
    for (const f of ["README.md", "CHANGELOG.md", "LICENSE", "package.json"]) expect(files).toContain(f);
    const allowed =
      /^(dist\/.+\.(js|d\.ts)(\.map)?|src\/.+\.ts|README\.md|CHANGELOG\.md|LICENSE|package\.json)$/;
    expect(files.filter((f) => !allowed.test(f))).toEqual([]);
    const suspicious =
      /(^|\/)(tests?|__tests__|fixtures?|examples|support)\/|\.test\.|\.spec\.|\.env|\.pem$|\.key$|credential|secret|tsbuildinfo/i;
    expect(files.filter((f) => suspicious.test(f))).toEqual([]);
    // No access keys or test-server credentials in any published file.
    const dir = join(base, "unpacked");
    await mkdir(dir);
    await sh("tar", ["-xzf", tarball, "-C", dir], base);
    for (const f of files) {
      const text = await readFile(join(dir, "package", f), "utf8");
      expect(text, f).not.toMatch(/AKIA[0-9A-Z]{16}|aws_secret_access_key|S3RVER/);
    }
  });

  it("has a manifest that points a consumer at the compiled code only", () => {
    expect(manifest.exports).toEqual({
      ".": { types: "./dist/index.d.ts", import: "./dist/index.js" },
      "./package.json": "./package.json",
    });
    expect(manifest).toMatchObject({
      type: "module",
      license: "MIT",
      sideEffects: false,
      engines: { node: ">=20" },
    });
    expect(manifest.devDependencies).toBeUndefined();
    expect(JSON.stringify(manifest)).not.toContain("workspace:");
    expect(Object.keys(manifest.dependencies as object).sort()).toEqual([
      "@aws-sdk/client-s3",
      "@aws-sdk/lib-storage",
      "apache-arrow",
      "parquet-wasm",
    ]);
  });

  it("runs under plain node: a custom dataset written, replaced and read back", async () => {
    await writeFile(join(consumer, "consumer.mjs"), CONSUMER_MJS);
    // This Node, plus any other Node executables listed in PIPELINE_CORE_TEST_NODES (":"-separated),
    // e.g. the other supported LTS lines.
    const nodes = [
      process.execPath,
      ...(process.env.PIPELINE_CORE_TEST_NODES ?? "").split(":").filter(Boolean),
    ];
    for (const node of nodes) {
      await rm(join(consumer, "lake"), { recursive: true, force: true });
      const { stdout } = await sh(node, ["consumer.mjs"], consumer);
      const result = JSON.parse(stdout.trim().split("\n").pop() as string);
      expect(result, node).toMatchObject({ ok: true, rows: 2, loaders: [] });
    }
  }, 120_000);

  describe("TypeScript and the README's examples", () => {
    let s3: S3rverHandle;
    beforeAll(async () => {
      s3 = await startS3rver();
    });
    afterAll(() => s3.close());

    it("type-checks a strict consumer (exactOptionalPropertyTypes, no skipLibCheck), then compiles and runs every README example", async () => {
      const examples = await readmeExamples();
      expect(examples.length).toBeGreaterThanOrEqual(6);
      await writeFile(join(consumer, "tsconfig.json"), JSON.stringify(CONSUMER_TSCONFIG, null, 2));
      await writeFile(join(consumer, "consumer.ts"), CONSUMER_TS);
      const names = examples.map((_, i) => `readme-${i + 1}`);
      await Promise.all(examples.map((code, i) => writeFile(join(consumer, `${names[i]}.ts`), code)));

      await sh(process.execPath, [TSC, "-p", "tsconfig.json", "--noEmit"], consumer);
      // Emit only (already checked above).
      await sh(process.execPath, [TSC, "-p", "tsconfig.json", "--noCheck"], consumer);

      const env = cleanEnv({
        S3_ENDPOINT: s3.endpoint,
        LAKE_BUCKET: s3.bucket,
        AWS_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId,
        AWS_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey,
      });
      const out: string[] = [];
      for (const name of names) {
        out.push((await sh(process.execPath, [join("out", `${name}.js`)], consumer, env)).stdout);
      }
      const all = out.join("");
      expect(all).toContain(
        "defined readings: region/year/month/day; a read row: hn-1 2024-03-01T00:00:00.000Z",
      );
      expect(all).toContain(
        "replaced dev/processed/readings/region=north/year=2024/month=03/day=01/ with 1 row(s): dev/processed/readings/region=north/year=2024/month=03/day=01/part-00000.parquet",
      );
      // The replaced north partition holds only its new row.
      expect(all.match(/^north: .*$/gm)).toEqual(["north: hn-1 2024-03-01T00:00:00.000Z pm25=36"]);
      expect(all).toContain("south: 1 row(s), columns station, at, pm25, region, year, month, day");
      expect(all).toContain(
        "from columns: 48 rows, 7 null pm25, in dev/processed/hourly/dt=2024-03-01/part-00000.parquet",
      );
      expect(all).toContain(`s3://${s3.bucket}/team-a: 2 stations`);
      expect(all).toContain("PARTITIONED BY (`region` string, `year` string, `month` string, `day` string)");
      expect(all).toContain('INVALID_PARTITION_VALUE: Invalid value "east" for partition key region');
    }, 300_000);
  });
});
