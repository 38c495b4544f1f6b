export {
  type ClientStats,
  DEFAULT_COUNTRY_ID,
  DEFAULT_OPENAQ_BASE_URL,
  OpenAqClient,
  type OpenAqClientOptions,
} from "./client.js";
export { sidecarHeaders } from "./headers.js";
export { fetchAllPages, MAX_PAGE_LIMIT, MAX_PAGES } from "./pagination.js";
export { RateLimiter, type RateLimiterOptions, type RateWindow, type ReleaseSlot } from "./rate-limiter.js";
export { type AttemptFailure, backoffMs, isRetryableStatus, rateLimitedWaitMs } from "./retry.js";
export * from "./schemas.js";
export type * from "./types.js";
export { formatPath, InvalidJsonError, validateResponse } from "./validate.js";
