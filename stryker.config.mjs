// Mutation testing (README "Tests"): `pnpm test:mutation`. Incremental: a rerun only tests the mutants
// in code (or tests) changed since the committed result in test/mutation/incremental.json.
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  // All product code of core, cost and providers (README "Mutation testing"), less what is excluded below.
  mutate: [
    "packages/core/src/**/*.ts",
    "packages/cost/src/**/*.ts",
    "packages/providers/src/**/*.ts",
    // Index files only re-export.
    "!packages/*/src/**/index.ts"
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
  // The dry run loads the whole suite into one process (isolate: false) with per-test coverage: past
  // about 2,300 tests it outgrew Node's default heap, and at 2,616 tests 8 GB (it peaked at 9.5 GB on
  // 2026-12-05; a plain `vitest run` of the same suite needs 0.9 GB). Mutant runs need far less.
  testRunnerNodeArgs: ["--max-old-space-size=16384"],
  incremental: true,
  incrementalFile: "test/mutation/incremental.json",
  reporters: ["progress", "clear-text", "json"],
  jsonReporter: { fileName: "reports/mutation/mutation.json" },
  timeoutMS: 3000,
  tempDirName: ".stryker-tmp"
}
