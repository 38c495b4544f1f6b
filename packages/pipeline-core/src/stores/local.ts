import { randomBytes } from "node:crypto";
import { link, lstat, mkdir, open, readdir, readFile, realpath, rename, rm, stat } from "node:fs/promises";
import { dirname, join, relative, resolve, sep } from "node:path";
import { PipelineError } from "../errors.js";
import { DEFAULT_LEASE_TTL_MS } from "../lease.js";
import { assertObjectKey } from "./keys.js";
import type { ListPage, ObjectInfo, ObjectStore, PutOptions } from "./object-store.js";

/** Temp files live beside their target (same filesystem, so rename is atomic) under this name prefix. */
const TEMP_PREFIX = ".tmp-";

/**
 * A `.tmp-*` file untouched for this long is a crashed writer's leftover (a live writer is still
 * writing it, or renamed it away), and the next write into its folder removes it: the writer
 * lease's expiry.
 */
export const STALE_TEMP_AGE_MS = DEFAULT_LEASE_TTL_MS;

/**
 * The embedded default: a lake in a local folder. Writes go to a temp file in the target folder,
 * which is fsynced, then renamed into place (or hard-linked, for an exclusive create), then the
 * folder is fsynced: a reader never sees a half-written object, and a write that returned survives
 * a power loss. A crash leaves at most a `.tmp-*` file, which listings ignore and the next write into
 * that folder removes once it is older than `STALE_TEMP_AGE_MS`. Keys that would escape the root,
 * lexically or through a symlink, are refused.
 */
export class LocalFolderStore implements ObjectStore {
  readonly root: string;
  readonly uri: string;
  private readonly sweptDirs = new Set<string>();

  constructor(rootDir: string) {
    this.root = resolve(rootDir);
    this.uri = `file://${this.root}`;
  }

  private pathOf(key: string): string {
    assertObjectKey(key);
    const path = resolve(this.root, ...key.split("/"));
    if (path !== this.root && !path.startsWith(this.root + sep)) {
      throw new PipelineError(
        "INVALID_KEY",
        `Key ${JSON.stringify(key)} escapes the lake root ${this.root}.`,
      );
    }
    return path;
  }

  /** The path of a key for writing: inside the root lexically and after resolving symlinks. */
  private async writablePathOf(key: string): Promise<string> {
    const path = this.pathOf(key);
    await mkdir(dirname(path), { recursive: true });
    await this.assertInsideRoot(key, dirname(path));
    const existing = await lstat(path).catch(() => undefined);
    if (existing?.isSymbolicLink()) {
      throw new PipelineError(
        "INVALID_KEY",
        `Key ${JSON.stringify(key)} is a symlink in the lake ${this.root}: refusing to write through it.`,
      );
    }
    return path;
  }

  private async assertInsideRoot(key: string, dir: string): Promise<void> {
    const [realRoot, realDir] = await Promise.all([realpath(this.root), realpath(dir)]);
    if (realDir !== realRoot && !realDir.startsWith(realRoot + sep)) {
      throw new PipelineError(
        "INVALID_KEY",
        `Key ${JSON.stringify(key)} resolves through a symlink to ${realDir}, outside the lake root ${this.root}.`,
      );
    }
  }

  /** Writes `body` to a new temp file beside `path` and fsyncs it; returns the temp path. */
  private async writeTemp(path: string, body: Uint8Array): Promise<string> {
    const dir = dirname(path);
    // Once per folder per store: a folder of a thousand raw pages is not listed a thousand times.
    if (!this.sweptDirs.has(dir)) {
      this.sweptDirs.add(dir);
      await removeStaleTemps(dir);
    }
    const tmp = join(dir, `${TEMP_PREFIX}${randomBytes(6).toString("hex")}`);
    const handle = await open(tmp, "wx");
    try {
      await handle.writeFile(body);
      await handle.sync();
    } catch (e) {
      await handle.close();
      await rm(tmp, { force: true });
      throw e;
    }
    await handle.close();
    return tmp;
  }

  async put(key: string, body: Uint8Array, _options?: PutOptions): Promise<void> {
    const path = await this.writablePathOf(key);
    const tmp = await this.writeTemp(path, body);
    try {
      await rename(tmp, path);
    } catch (e) {
      await rm(tmp, { force: true });
      throw e;
    }
    await syncDir(dirname(path));
  }

  async putIfAbsent(key: string, body: Uint8Array, _options?: PutOptions): Promise<boolean> {
    const path = await this.writablePathOf(key);
    const tmp = await this.writeTemp(path, body);
    try {
      // link() fails with EEXIST when the target exists: an atomic exclusive create of a complete file.
      await link(tmp, path);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "EEXIST") return false;
      throw e;
    } finally {
      await rm(tmp, { force: true });
    }
    await syncDir(dirname(path));
    return true;
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    try {
      return new Uint8Array(await readFile(this.pathOf(key)));
    } catch (e) {
      if (isMissing(e)) return undefined;
      throw e;
    }
  }

  async head(key: string): Promise<ObjectInfo | undefined> {
    try {
      const s = await stat(this.pathOf(key));
      return s.isFile() ? { key, size: s.size, lastModified: s.mtimeMs } : undefined;
    } catch (e) {
      if (isMissing(e)) return undefined;
      throw e;
    }
  }

  async listPage(
    prefix: string,
    options: { continuationToken?: string; maxKeys?: number } = {},
  ): Promise<ListPage> {
    const maxKeys = Math.min(Math.max(options.maxKeys ?? 1000, 1), 1000);
    // Walk only the directory that contains the prefix; prefixes need not end at a `/`.
    const slash = prefix.lastIndexOf("/");
    const dirKey = slash >= 0 ? prefix.slice(0, slash) : "";
    const startDir = dirKey ? this.pathOf(dirKey) : this.root;
    const all: ObjectInfo[] = [];
    await this.walk(startDir, all);
    const after = options.continuationToken;
    const matching = all
      .filter((o) => o.key.startsWith(prefix) && (after === undefined || o.key > after))
      .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    const objects = matching.slice(0, maxKeys);
    const last = objects[objects.length - 1];
    return matching.length > maxKeys && last ? { objects, nextToken: last.key } : { objects };
  }

  private async walk(dir: string, out: ObjectInfo[]): Promise<void> {
    let entries: import("node:fs").Dirent[];
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (e) {
      if (isMissing(e) || (e as NodeJS.ErrnoException).code === "ENOTDIR") return;
      throw e;
    }
    for (const entry of entries) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) await this.walk(path, out);
      else if (entry.isFile() && !entry.name.startsWith(TEMP_PREFIX)) {
        const s = await stat(path);
        out.push({
          key: relative(this.root, path).split(sep).join("/"),
          size: s.size,
          lastModified: s.mtimeMs,
        });
      }
    }
  }

  async deleteMany(keys: readonly string[]): Promise<void> {
    const paths = keys.map((k) => this.pathOf(k));
    for (const p of paths) await rm(p, { force: true });
  }
}

/** fsync of a folder: makes a rename or link in it durable. */
async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Removes `.tmp-*` files in `dir` older than STALE_TEMP_AGE_MS (a crashed writer's leftovers). */
async function removeStaleTemps(dir: string): Promise<void> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return;
  }
  const cutoff = Date.now() - STALE_TEMP_AGE_MS;
  for (const name of names) {
    if (!name.startsWith(TEMP_PREFIX)) continue;
    const path = join(dir, name);
    const s = await stat(path).catch(() => undefined);
    if (s?.isFile() && s.mtimeMs < cutoff) await rm(path, { force: true });
  }
}

/** A key is missing when no file is there: nothing at all, a folder (S3 has none), or a file on the path. */
function isMissing(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException)?.code;
  return code === "ENOENT" || code === "EISDIR" || code === "ENOTDIR";
}
