import { defineConfig, mergeConfig } from "vitest/config"
import base from "./vitest.config.ts"

// The suite Stryker runs against each mutant: every in-process test. Tests whose code under test runs
// in a child process (the CLI, the examples, the SIGKILL crash test, the demo) cannot see a mutant,
// the 1,000-request load test repeats what the fault tests check one by one, and the simulator
// catalogue test checks the test simulators, not product code: they only cost time.
export default mergeConfig(
  base,
  defineConfig({
    test: {
      // One module graph for all files: each mutant run reloads only the test files (measured: the
      // dry run 122 s -> 83 s).
      isolate: false,
      include: ["packages/*/test/**/*.test.ts", "test/**/*.test.ts"],
      exclude: [
        "**/node_modules/**",
        "packages/llm-orchestrator/test/cli-*.test.ts",
        // mergeConfig appends to the base's include, which has examples/**: the examples run as child processes.
        "examples/examples.test.ts",
        // effect/ai adapter tests: no mutated file is theirs, and they would only rerun core's mutants.
        "packages/effect-ai/test/**",
        // PostgreSQL ledger tests: no mutated file is theirs, and each file starts a real server (seconds).
        "packages/ledger/test/**",
        "packages/cost/test/log-crash.test.ts",
        "test/demo-and-simulate.test.ts",
        "test/load-faults.test.ts",
        "test/simulator-models.test.ts",
        "test/secrets.test.ts"
      ]
    }
  })
)
