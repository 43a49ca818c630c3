import path from "node:path";
import { defineConfig } from "vitest/config";

export default defineConfig({
  resolve: { alias: { "@": path.resolve(__dirname) } },
  test: {
    include: ["lib/**/*.test.ts", "tests/**/*.test.ts", "app/**/*.test.ts"],
    environment: "node",
    testTimeout: 60_000,
    hookTimeout: 240_000,
    // The end-to-end suites share one built server; each file starts its own processes.
    fileParallelism: true,
    maxWorkers: 2,
    globalSetup: ["tests/support/global-setup.ts"],
  },
});
