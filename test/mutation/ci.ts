/**
 * The mutation check CI runs (`pnpm test:mutation:ci`): compares the product code and the tests with
 * the committed Stryker result (test/mutation/incremental.json). Unchanged: the committed scores are
 * checked against the floors, nothing reruns. Changed: Stryker runs incrementally from a copy of the
 * committed result, so only mutants in changed code (or covered by changed tests) are tested again,
 * and the new scores are checked. The committed file is never rewritten here: a developer refreshes
 * it with `pnpm test:mutation` and commits it with the change.
 */
import { spawnSync } from "node:child_process"
import { copyFileSync, existsSync, globSync, mkdtempSync, readFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { printScores, readReport, scoresOf } from "./scores.ts"

const configPath: string = "../../stryker.config.mjs"
const strykerConfig = (await import(configPath)).default as {
  readonly mutate: ReadonlyArray<string>
  readonly incrementalFile: string
}

const committedPath = strykerConfig.incrementalFile
const mutated: ReadonlyArray<string> = strykerConfig.mutate

const committed = readReport(committedPath)
const current = (path: string) => (existsSync(path) ? readFileSync(path, "utf8") : undefined)
// `mutate` as Stryker reads it: globs, less the "!"-prefixed ones (files with no code to mutate, which
// Stryker leaves out of its result and would otherwise always look changed here).
const excluded = new Set(mutated.filter((p) => p.startsWith("!")).flatMap((p) => globSync(p.slice(1))))
const sources = mutated
  .filter((p) => !p.startsWith("!"))
  .flatMap((pattern) => globSync(pattern).filter((file) => !excluded.has(file)))
const changedSources = [
  ...sources.filter((file) => committed.files[file]?.source !== current(file)),
  ...Object.keys(committed.files).filter((file) => !sources.includes(file))
]
const changedTests = Object.entries(committed.testFiles ?? {})
  .filter(([file, test]) => test.source !== undefined && test.source !== current(file))
  .map(([file]) => file)

if (changedSources.length === 0 && changedTests.length === 0) {
  console.log(`Mutation result ${committedPath} matches the code and the tests; its scores:`)
  if (!printScores(scoresOf(committed))) process.exit(1)
} else {
  console.log(`Changed since ${committedPath}: ${[...changedSources, ...changedTests].join(", ")}`)
  const rerun = join(mkdtempSync(join(tmpdir(), "mutation-")), "incremental.json")
  copyFileSync(committedPath, rerun)
  const stryker = spawnSync("node_modules/.bin/stryker", ["run", "--incrementalFile", rerun], { stdio: "inherit" })
  if (stryker.status !== 0) process.exit(stryker.status ?? 1)
  if (!printScores(scoresOf(readReport(rerun)))) process.exit(1)
}
