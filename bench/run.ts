/**
 * `pnpm bench`: every benchmark of the product, each side by side with its peer in the same run,
 * reported as ratios (never as pass/fail timings). Results are printed and saved to bench/out/.
 *
 *   pnpm bench               # all
 *   pnpm bench write views   # a selection
 */
import { mkdir, writeFile } from "node:fs/promises";

type Bench = () => Promise<Record<string, unknown>>;

const BENCHES: Record<string, () => Promise<Bench>> = {
  write: async () => (await import("./write.js")).benchWrite,
  transform: async () => (await import("./transform.js")).benchTransform,
  "extract-rate": async () => (await import("./extract-rate.js")).benchExtractRate,
  views: async () => (await import("./views.js")).benchViews,
  catalog: async () => (await import("./catalog.js")).benchCatalog,
  archive: async () => (await import("./archive.js")).benchArchive,
};

const wanted = process.argv.slice(2).filter((a) => a !== "--");
const names = wanted.length > 0 ? wanted : Object.keys(BENCHES);
const results: Record<string, unknown> = {
  machine: { node: process.version, cpus: (await import("node:os")).cpus().length },
  at: new Date().toISOString(),
};
for (const name of names) {
  const load = BENCHES[name];
  if (!load) {
    console.error(`Unknown benchmark ${name}: choose from ${Object.keys(BENCHES).join(", ")}.`);
    process.exit(2);
  }
  console.error(`bench ${name} …`);
  const result = await (await load())();
  results[name] = result;
  console.log(JSON.stringify({ [name]: result }, null, 2));
}
await mkdir(new URL("./out/", import.meta.url), { recursive: true });
await writeFile(new URL("./out/latest.json", import.meta.url), `${JSON.stringify(results, null, 2)}\n`);
