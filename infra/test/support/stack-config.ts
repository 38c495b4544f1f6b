export * from "../../src/mocks/stack-config.js";
