import { mkdir, mkdtemp, readdir, rm, symlink, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { acquireLease, LocalFolderStore, leaseDayPrefix, listKeys, STALE_TEMP_AGE_MS } from "../src/index.js";

let dir: string;
let outside: string;
let store: LocalFolderStore;
const bytes = (s: string) => new TextEncoder().encode(s);

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "lake-hygiene-"));
  outside = await mkdtemp(join(tmpdir(), "outside-"));
  store = new LocalFolderStore(dir);
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
  await rm(outside, { recursive: true, force: true });
});

describe("the local store", () => {
  it("creates an object only if absent, and leaves the first one untouched", async () => {
    expect(await store.putIfAbsent("dev/raw/a.json", bytes("first"))).toBe(true);
    expect(await store.putIfAbsent("dev/raw/a.json", bytes("second"))).toBe(false);
    expect(new TextDecoder().decode(await store.get("dev/raw/a.json"))).toBe("first");
    const racers = await Promise.all(
      Array.from({ length: 16 }, (_, i) => store.putIfAbsent("dev/raw/b.json", bytes(`w${i}`))),
    );
    expect(racers.filter(Boolean)).toHaveLength(1);
    // No temp file is left behind by either outcome.
    expect(await readdir(join(dir, "dev/raw"))).toEqual(["a.json", "b.json"]);
  });

  it("refuses a key that resolves through a symlink outside the root", async () => {
    await mkdir(join(dir, "dev"), { recursive: true });
    await symlink(outside, join(dir, "dev", "raw"));
    await expect(store.put("dev/raw/x.json", bytes("x"))).rejects.toThrow(
      /resolves through a symlink .* outside the lake root/,
    );
    await expect(store.putIfAbsent("dev/raw/y.json", bytes("y"))).rejects.toThrow(/outside the lake root/);
    await symlink(join(outside, "target"), join(dir, "dev", "link.json"));
    await expect(store.put("dev/link.json", bytes("z"))).rejects.toThrow(/is a symlink/);
    expect(await readdir(outside)).toEqual([]);
  });

  it("removes a crashed writer's stale temp files on the next write into that folder, and only stale ones", async () => {
    await mkdir(join(dir, "dev/raw"), { recursive: true });
    const stale = join(dir, "dev/raw/.tmp-deadbeef0001");
    const fresh = join(dir, "dev/raw/.tmp-deadbeef0002");
    await writeFile(stale, "half");
    await writeFile(fresh, "in flight");
    const old = (Date.now() - STALE_TEMP_AGE_MS - 60_000) / 1000;
    await utimes(stale, old, old);
    await store.put("dev/raw/c.json", bytes("c"));
    expect((await readdir(join(dir, "dev/raw"))).sort()).toEqual([".tmp-deadbeef0002", "c.json"]);
  });
});

describe("writer leases", () => {
  const ref = { env: "dev" as const, dataset: "measurements", day: "2024-03-05" };

  it("renews while held, and a second writer waits then fails naming the holder", async () => {
    const lease = await acquireLease({ store, ...ref, holder: "writer one", ttlMs: 300 });
    await new Promise((r) => setTimeout(r, 450));
    // Renewed: a newer generation, still held, so the second writer cannot take over.
    expect(lease.key).not.toMatch(/lease-0000000001\.json$/);
    await expect(
      acquireLease({ store, ...ref, holder: "writer two", waitMs: 150, pollMs: 30 }),
    ).rejects.toThrow(
      /^Another writer holds the lease on measurements 2024-03-05 in dev: writer one, for \d+ s/,
    );
    await lease.assertHeld();
    await lease.release();
    expect(await listKeys(store, leaseDayPrefix("dev", "measurements", "2024-03-05"))).toEqual([]);
    const next = await acquireLease({ store, ...ref, holder: "writer two", waitMs: 150 });
    await next.release();
  });

  it("a holder whose lease was taken over finds out before it commits", async () => {
    const lease = await acquireLease({ store, ...ref, holder: "slow writer", ttlMs: 60_000 });
    // Someone judged it expired and took the next generation.
    const key = lease.key.replace(
      /lease-(\d+)/,
      (_, n: string) => `lease-${String(Number(n) + 1).padStart(10, "0")}`,
    );
    await store.putIfAbsent(
      key,
      bytes(JSON.stringify({ holder: "the new writer", renewedAt: Date.now(), ttlMs: 60_000 })),
    );
    await expect(lease.assertHeld()).rejects.toThrow(/taken over by the new writer/);
    await lease.release();
  });
});
