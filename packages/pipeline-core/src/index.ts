export * from "./errors.js";
export * from "./identifiers.js";
export * from "./dates.js";
export * from "./layout.js";
export * from "./schema/types.js";
export * from "./schema/datasets.js";
export * from "./schema/sql.js";
export * from "./stores/object-store.js";
