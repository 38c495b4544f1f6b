export * from "./api.js";
export * from "./cache.js";
export * from "./engines.js";
export * from "./indices.js";
export * from "./limits.js";
export * from "./outline.js";
export * from "./serve.js";
export * from "./server.js";
