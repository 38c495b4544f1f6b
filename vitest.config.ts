import { defineConfig } from "vitest/config";

/**
 * Workspace packages resolve their `development` export condition (their TypeScript source) instead of
 * the compiled `dist/` a consumer gets. Vite's default server conditions already hold `development`
 * outside production; it is named here so the choice does not hang on NODE_ENV.
 */
const conditions = ["development", "node"];

export default defineConfig({
  ssr: { resolve: { conditions } },
  test: {
    environment: "node",
    include: [
      "packages/*/test/**/*.test.ts",
      "infra/test/**/*.test.ts",
      "stacks/test/**/*.test.ts",
      "test/**/*.test.ts",
    ],
    // Pulumi keeps its runtime on `global`: one fresh process per test file.
    pool: "forks",
    isolate: true,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Child processes that run workspace TypeScript (node --import tsx, the tsx CLI) inherit this.
    env: {
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
      NODE_OPTIONS: "--conditions=development",
    },
  },
});
