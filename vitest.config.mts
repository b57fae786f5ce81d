import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Each test file runs in its own process: the Pulumi runtime keeps its mocks, config and
    // stack in module-level state, so two stacks must never share a module cache.
    pool: "forks",
    isolate: true,
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
