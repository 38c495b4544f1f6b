import { createHash } from "node:crypto";
import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { DATASETS, datasetPrefix, type Environment } from "@openaq-lakehouse/pipeline-core";
import type { QueryResult } from "@openaq-lakehouse/views";

/**
 * A version of an environment's processed data in a lake folder: a hash of every object's path, size
 * and modification time under `{env}/processed/{dataset}/`. Any write of the pipeline changes it;
 * reading it costs one stat per object (about a thousand for a year), far less than one query.
 */
export async function lakeDataVersion(lakeRoot: string, env: Environment): Promise<string> {
  const hash = createHash("sha256");
  for (const dataset of Object.keys(DATASETS)) {
    const dir = join(lakeRoot, datasetPrefix({ env, layer: "processed", dataset }));
    let entries: string[];
    try {
      entries = (await readdir(dir, { recursive: true })).sort();
    } catch {
      hash.update(`${dataset}: none\n`);
      continue;
    }
    for (const entry of entries) {
      const s = await stat(join(dir, entry)).catch(() => undefined);
      if (s?.isFile()) hash.update(`${dataset}/${entry} ${s.size} ${s.mtimeMs}\n`);
    }
  }
  return hash.digest("hex");
}

/** Both views' full results for one environment at one data version. */
export interface ViewSnapshot {
  version: string;
  loadedAt: number;
  latest: QueryResult;
  daily: QueryResult;
}

/** Code-point order, as DuckDB sorts VARCHAR (UTF-8 bytes). */
export function byCodePoint(a: string, b: string): number {
  const x = [...a];
  const y = [...b];
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const d = (x[i]?.codePointAt(0) ?? 0) - (y[i]?.codePointAt(0) ?? 0);
    if (d !== 0) return d;
  }
  return x.length - y.length;
}

/** `/api/cities` from the views' rows: each city of either view with its number of locations. */
export function citiesOf(
  latest: ReadonlyArray<Record<string, unknown>>,
  daily: ReadonlyArray<Record<string, unknown>>,
): Array<{ city: string; locations: number }> {
  const byCity = new Map<string, Set<unknown>>();
  for (const r of [...latest, ...daily]) {
    if (typeof r.city !== "string") continue;
    const ids = byCity.get(r.city) ?? new Set();
    ids.add(r.location_id);
    byCity.set(r.city, ids);
  }
  return [...byCity.entries()]
    .sort(([a], [b]) => byCodePoint(a, b))
    .map(([city, ids]) => ({ city, locations: ids.size }));
}
