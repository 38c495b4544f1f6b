import { defineConfig } from "vitest/config";

export default defineConfig({
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
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" },
  },
});
