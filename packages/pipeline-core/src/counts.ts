/**
 * Tallies by key: quarantined records by reason, rows by dataset, milliseconds by step. A tally
 * holds only the keys that occurred; a missing key counts as 0.
 */
export type Counts<K extends string = string> = Partial<Record<K, number>>;

/** Adds `n` (1 unless given) to the count of `key`, in place. */
export function addCount<K extends string>(counts: Counts<K>, key: K, n = 1): void {
  counts[key] = (counts[key] ?? 0) + n;
}

/** Adds every count of `from` to `into`, in place, and returns `into`. */
export function addCounts<K extends string>(into: Counts<K>, from: Counts<K>): Counts<K> {
  for (const key of Object.keys(from) as K[]) addCount(into, key, from[key] ?? 0);
  return into;
}

/** A new tally, the sum of `tallies` key by key. */
export function sumCounts<K extends string>(...tallies: readonly Counts<K>[]): Counts<K> {
  const sum: Counts<K> = {};
  for (const t of tallies) addCounts(sum, t);
  return sum;
}

/** One count per item, under the key `keyOf` gives it. */
export function countBy<T, K extends string>(items: Iterable<T>, keyOf: (item: T) => K): Counts<K> {
  const counts: Counts<K> = {};
  for (const item of items) addCount(counts, keyOf(item));
  return counts;
}

/** The sum of all the counts of a tally. */
export function totalCount(counts: Counts): number {
  let total = 0;
  for (const n of Object.values(counts)) total += n ?? 0;
  return total;
}
