/**
 * OpenAQ results as the transform reads them from raw: parsed JSON that has not been validated, in
 * the shape of the zod schemas (`schemas.ts`, through the types `types.ts` infers from them). The
 * transform checks each value by hand, so that one bad row is quarantined with its reason instead of
 * failing the page, and so that the hot path allocates nothing per row; these types make the
 * compiler hold the field names it reads to the one schema, while every value stays to be narrowed.
 *
 * `Unchecked<T>`: every field optional, every leaf `unknown`, the schema's index signature (its
 * objects are loose) dropped so that a misspelt field does not compile. An object may be missing
 * or null; read its fields with `?.`. (A JSON string, number or boolean where an object belongs
 * reads `undefined` for every schema field, which each leaf check already handles, so the type
 * leaves those out.) An array may be anything at all: iterate it through `uncheckedItems`. A parsed
 * value is cast to `Unchecked<T>` where it is read: nothing is checked or copied by that.
 */

type JsonScalar = string | number | boolean | null | undefined;

/** An array field before its check: possibly an array of `Unchecked<E>`, possibly anything else. */
export type UncheckedArray<E> = readonly Unchecked<E>[] | JsonScalar | { readonly [key: string]: unknown };

type UncheckedValue<T> = T extends readonly (infer E)[]
  ? UncheckedArray<E>
  : T extends object
    ? { readonly [K in keyof T as string extends K ? never : K]?: Unchecked<T[K]> } | null | undefined
    : unknown;

export type Unchecked<T> = UncheckedValue<NonNullable<T>>;

/** The items of an unchecked array field, or none when it is not an array. */
export function uncheckedItems<E>(value: UncheckedArray<E>): readonly Unchecked<E>[] {
  return Array.isArray(value) ? value : [];
}
