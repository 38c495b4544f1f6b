/**
 * One interface for the lake's storage: a local folder (the embedded default) or S3.
 * Keys are `/`-separated, relative to the store's root, never starting with `/`.
 */
export interface ObjectInfo {
  key: string;
  size: number;
  /** Last modification time, epoch ms (informational only: no logic depends on clocks). */
  lastModified?: number;
}

export interface ListPage {
  objects: ObjectInfo[];
  /** Present when more keys follow; pass it back as `continuationToken`. */
  nextToken?: string;
}

export interface PutOptions {
  contentType?: string;
}

export interface ObjectStore {
  /** A human-readable location, e.g. `file:///tmp/lake` or `s3://bucket`. */
  readonly uri: string;
  /** Writes an object whole; readers see the old or the new bytes, never a torn write. */
  put(key: string, body: Uint8Array, options?: PutOptions): Promise<void>;
  /**
   * Creates the object only if no object has that key (S3: `If-None-Match: *`; locally: an exclusive
   * create). Returns `true` when this call created it, `false` when the key already existed (the
   * existing object is left untouched). Of concurrent callers on one key, exactly one gets `true`.
   * The write-once raw layer and the writer leases are built on this alone.
   */
  putIfAbsent(key: string, body: Uint8Array, options?: PutOptions): Promise<boolean>;
  /** The object's bytes, or `undefined` when there is no such key. */
  get(key: string): Promise<Uint8Array | undefined>;
  head(key: string): Promise<ObjectInfo | undefined>;
  /** One page of keys under `prefix`, in lexicographic order. */
  listPage(prefix: string, options?: { continuationToken?: string; maxKeys?: number }): Promise<ListPage>;
  /** Deletes the keys (missing keys are not an error). */
  deleteMany(keys: readonly string[]): Promise<void>;
}

/** Every object under `prefix`, across all pages. */
export async function* listAll(store: ObjectStore, prefix: string): AsyncGenerator<ObjectInfo> {
  let token: string | undefined;
  do {
    const page = await store.listPage(prefix, token ? { continuationToken: token } : {});
    yield* page.objects;
    token = page.nextToken;
  } while (token);
}

export async function listKeys(store: ObjectStore, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const o of listAll(store, prefix)) keys.push(o.key);
  return keys;
}
