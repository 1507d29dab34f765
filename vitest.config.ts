import { defineConfig } from "vitest/config"

export default defineConfig({
  test: {
    include: ["packages/*/test/**/*.test.ts", "test/**/*.test.ts", "examples/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Simulators listen on loopback; keep provider env vars from leaking into SDK constructors.
    setupFiles: ["./test/setup-env.ts"],
    // Temp files under one folder per run, removed at the end (test/temp-root.ts).
    globalSetup: ["./test/temp-root.ts"],
    // What a test prints (expected error logs, a child's output) is shown only when that test fails.
    silent: "passed-only",
    coverage: {
      provider: "v8",
      include: ["packages/*/src/**/*.ts"],
      exclude: ["packages/*/src/bin/**"],
      reporter: ["text-summary", "text"],
      // CI fails when coverage of product code drops (measured 97.3 % lines, 88.1 % branches).
      thresholds: { lines: 95, branches: 85 }
    }
  }
})
