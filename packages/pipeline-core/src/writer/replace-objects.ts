import { listKeys, type ObjectStore, type PutOptions } from "../stores/object-store.js";

export interface NamedObject {
  /** File name inside the prefix (no `/`). */
  name: string;
  body: Uint8Array;
  options?: PutOptions;
}

export interface ReplaceReport {
  written: string[];
  deleted: string[];
  bytes: number;
}

/**
 * Replaces everything under `prefix` with `objects`, in the order that keeps readers and crashes
 * safe: list what is there, write every new object (each put is atomic), and only then delete the
 * keys this run did not write. A reader sees the old or the new partition, never an empty one; a
 * crash after the writes leaves only stale extras, which the next run deletes. Deterministic names
 * make a rerun overwrite the same keys instead of adding new ones.
 */
export async function replaceObjects(
  store: ObjectStore,
  prefix: string,
  objects: readonly NamedObject[],
): Promise<ReplaceReport> {
  if (!prefix.endsWith("/"))
    throw new Error(`A partition prefix ends with '/', got ${JSON.stringify(prefix)}.`);
  const names = new Set<string>();
  for (const o of objects) {
    if (o.name.includes("/") || names.has(o.name))
      throw new Error(`Invalid or duplicate object name ${o.name}.`);
    names.add(o.name);
  }
  const existing = await listKeys(store, prefix);
  const written: string[] = [];
  let bytes = 0;
  for (const o of objects) {
    const key = prefix + o.name;
    await store.put(key, o.body, o.options);
    written.push(key);
    bytes += o.body.byteLength;
  }
  const keep = new Set(written);
  const deleted = existing.filter((k) => !keep.has(k));
  if (deleted.length > 0) await store.deleteMany(deleted);
  return { written, deleted, bytes };
}
