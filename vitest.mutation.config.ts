import { defineConfig, mergeConfig } from "vitest/config"
import base from "./vitest.config.ts"

// The suite Stryker runs against each mutant: every in-process test. Tests whose code under test runs
// in a child process (the CLI, the SIGKILL crash test, the demo) cannot see a mutant and only cost time.
export default mergeConfig(
  base,
  defineConfig({
    test: {
      exclude: [
        "**/node_modules/**",
        "packages/llm-orchestrator/test/cli-*.test.ts",
        "packages/cost/test/log-crash.test.ts",
        "test/demo-and-simulate.test.ts"
      ]
    }
  })
)
