import { PipelineError } from "@openaq-lakehouse/pipeline-core";
import type { FetchedPage } from "./types.js";

/** Upper bound of the API's `limit` (422 above it). */
export const MAX_PAGE_LIMIT = 1000;
/** Deep offsets time out (408) on the real API; a window needing more pages than this is a bug. */
export const MAX_PAGES = 50;

/**
 * Pages the way the API really works: `meta.found` is not a total (it is `">limit"` on a full page
 * and a row count otherwise), so keep asking while a page is full. A page that repeats the
 * previous one (endpoints that ignore `page`) and a server that answers with another `limit` than
 * asked (which would end paging early and silently truncate) are errors, not data.
 */
export async function fetchAllPages<T>(opts: {
  limit: number;
  what: string;
  fetchPage: (page: number) => Promise<FetchedPage<T>>;
  /** A row's identity, to detect a page that repeats the previous one. */
  rowKey: (row: T) => string;
  maxPages?: number;
}): Promise<FetchedPage<T>[]> {
  const maxPages = opts.maxPages ?? MAX_PAGES;
  const pages: FetchedPage<T>[] = [];
  let previousKeys: string | undefined;
  for (let page = 1; ; page++) {
    const fetched = await opts.fetchPage(page);
    const { meta, results } = fetched.data;
    if (meta.limit !== opts.limit) {
      throw new PipelineError(
        "PAGINATION_MISMATCH",
        `The OpenAQ API answered ${opts.what} page ${page} with limit ${meta.limit} instead of the ${opts.limit} asked, so its pages cannot be followed safely.`,
      );
    }
    const keys = results.map(opts.rowKey).join("\n");
    if (results.length > 0 && keys === previousKeys) {
      throw new PipelineError(
        "PAGINATION_REPEATED",
        `The OpenAQ API returned the same rows for ${opts.what} on pages ${page - 1} and ${page}: it ignores paging there.`,
      );
    }
    previousKeys = keys;
    pages.push(fetched);
    if (results.length < opts.limit) return pages;
    if (page >= maxPages) {
      throw new PipelineError(
        "PAGINATION_RUNAWAY",
        `${opts.what} still had full pages after ${maxPages} pages of ${opts.limit}; narrow the request.`,
      );
    }
  }
}
