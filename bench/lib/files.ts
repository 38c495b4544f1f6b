import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";

/** How many Parquet files a folder tree holds, and their total bytes. */
export async function parquetStats(dir: string): Promise<{ files: number; bytes: number }> {
  let files = 0;
  let bytes = 0;
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile() && e.name.endsWith(".parquet")) {
      files++;
      bytes += (await stat(join(e.parentPath, e.name))).size;
    }
  }
  return { files, bytes };
}
