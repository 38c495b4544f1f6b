import { randomBytes } from "node:crypto";
import { copyFile, mkdir, readdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { dirname, join, relative, resolve, sep } from "node:path";
import { PipelineError } from "../errors.js";
import { assertObjectKey } from "./keys.js";
import type { ListPage, ObjectInfo, ObjectStore, PutOptions } from "./object-store.js";

/** Temp files live beside their target (same filesystem, so rename is atomic) under this name prefix. */
const TEMP_PREFIX = ".tmp-";

/**
 * The embedded default: a lake in a local folder. Writes go to a temp file in the target folder and
 * are renamed into place, so a reader never sees a half-written object and a crash leaves at most a
 * `.tmp-*` file, which listings ignore. Keys that would escape the root are refused.
 */
export class LocalFolderStore implements ObjectStore {
  readonly root: string;
  readonly uri: string;

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

  async put(key: string, body: Uint8Array, _options?: PutOptions): Promise<void> {
    const path = this.pathOf(key);
    await mkdir(dirname(path), { recursive: true });
    const tmp = join(dirname(path), `${TEMP_PREFIX}${randomBytes(6).toString("hex")}`);
    try {
      await writeFile(tmp, body);
      await rename(tmp, path);
    } catch (e) {
      await rm(tmp, { force: true });
      throw e;
    }
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

  async copy(fromKey: string, toKey: string): Promise<void> {
    const from = this.pathOf(fromKey);
    const to = this.pathOf(toKey);
    await mkdir(dirname(to), { recursive: true });
    const tmp = join(dirname(to), `${TEMP_PREFIX}${randomBytes(6).toString("hex")}`);
    try {
      await copyFile(from, tmp);
      await rename(tmp, to);
    } catch (e) {
      await rm(tmp, { force: true });
      if (isMissing(e))
        throw new PipelineError("NO_SUCH_KEY", `Cannot copy ${fromKey}: no such object in ${this.uri}.`);
      throw e;
    }
  }
}

/** A key is missing when no file is there: nothing at all, a folder (S3 has none), or a file on the path. */
function isMissing(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException)?.code;
  return code === "ENOENT" || code === "EISDIR" || code === "ENOTDIR";
}
