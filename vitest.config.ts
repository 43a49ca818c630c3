import path from "node:path";
import { configDefaults, defineConfig } from "vitest/config";

const alias = { "@": path.resolve(__dirname) };

export default defineConfig({
  test: {
    // The JSON report lets CI print a plain "N passed, N failed" line.
    reporters: ["default", ["json", { outputFile: "test-artifacts/vitest-report.json" }]],
    projects: [
      {
        resolve: { alias },
        test: {
          name: "unit",
          include: ["lib/**/*.test.ts", "app/**/*.test.ts", "scripts/**/*.test.ts", "cli/**/*.test.ts"],
          environment: "node",
          testTimeout: 30_000,
          // A FileHandle closed by the garbage collector fails the file that leaked it.
          setupFiles: ["tests/support/fail-on-fd-gc.ts"],
          execArgv: ["--expose-gc"],
          // Unit suites first, then the end-to-end ones (which limit their own parallelism).
          sequence: { groupOrder: 0 },
        },
      },
      {
        resolve: { alias },
        test: {
          // The test helpers' own suites (the model servers): in-process, no built app needed.
          name: "support",
          include: ["tests/support/**/*.test.ts"],
          environment: "node",
          testTimeout: 30_000,
          setupFiles: ["tests/support/fail-on-fd-gc.ts"],
          sequence: { groupOrder: 0 },
        },
      },
      {
        resolve: { alias },
        test: {
          name: "e2e",
          include: ["tests/**/*.test.ts"],
          exclude: [...configDefaults.exclude, "tests/support/**"],
          environment: "node",
          testTimeout: 180_000,
          setupFiles: ["tests/support/fail-on-fd-gc.ts"],
          hookTimeout: 300_000,
          // Each file starts its own server processes; two at a time fit this machine.
          maxWorkers: 2,
          sequence: { groupOrder: 1 },
          // The suites run against the built app: build it once, first.
          globalSetup: ["tests/support/global-setup.ts"],
        },
      },
    ],
  },
});
