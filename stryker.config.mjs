// Mutation testing (README "Tests"): `pnpm test:mutation`. Incremental: a rerun only tests the mutants
// in code (or tests) changed since the committed result in test/mutation/incremental.json.
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  // The files in the committed result (README "Mutation testing"); the rest of core, cost and providers
  // is measured in parts and added as each completes.
  mutate: [
    "packages/core/src/config/duration.ts",
    "packages/core/src/cost.ts",
    "packages/core/src/domain.ts",
    "packages/core/src/errors.ts",
    "packages/core/src/internal/optional.ts",
    "packages/core/src/internal/suggest.ts",
    "packages/core/src/internal/timestamp.ts",
    "packages/core/src/orchestrator/attempts.ts",
    "packages/core/src/orchestrator/chain.ts",
    "packages/core/src/orchestrator/instance.ts",
    "packages/core/src/orchestrator/orchestrator.ts",
    "packages/core/src/orchestrator/policy.ts",
    "packages/core/src/orchestrator/runner.ts",
    "packages/core/src/orchestrator/stream-gate.ts",
    "packages/core/src/provider.ts",
    "packages/cost/src/log.ts",
    "packages/cost/src/tracker.ts",
    "packages/providers/src/bedrock/mapping.ts",
    "packages/providers/src/kit/setup.ts",
    "packages/providers/src/openai/compatible-type.ts",
    "packages/providers/src/openai/mapping.ts",
    "packages/providers/src/registry.ts"
  ],
  testRunner: "vitest",
  // pnpm does not hoist plugins next to @stryker-mutator/core, so name it.
  plugins: ["@stryker-mutator/vitest-runner"],
  vitest: { configFile: "vitest.mutation.config.ts", related: false },
  coverageAnalysis: "perTest",
  // In place: the workspace packages link to each other through per-package node_modules, which a
  // sandbox copy would not have. Stryker restores the files when it ends; do not edit them meanwhile.
  inPlace: true,
  // Vitest does not type-check, so no file needs a @ts-nocheck header.
  disableTypeChecks: false,
  // A mutant in module-level code (price tables, constants) is "static": each would rerun all ~1,400
  // tests (3-4 min). They are left out of the score; the tables are checked against published values.
  ignoreStatic: true,
  // Workers sit near 50 % CPU (tests wait on real timers): four keep two cores busy.
  concurrency: 4,
  incremental: true,
  incrementalFile: "test/mutation/incremental.json",
  reporters: ["progress", "clear-text", "json"],
  jsonReporter: { fileName: "reports/mutation/mutation.json" },
  timeoutMS: 3000,
  tempDirName: ".stryker-tmp"
}
