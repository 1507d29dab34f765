/**
 * `node test/mutation/merge.ts OUT NEWEST.json ... OLDEST.json`: one Stryker incremental result from
 * results of parts measured separately (each run with its own `mutate` list and `incrementalFile`, in
 * its own clone), so a run over the whole `mutate` list with `--incrementalFile OUT` reuses them all.
 * Test and mutant ids are numbered per run, so each input's ids get a prefix of their own. A source
 * file's mutants come from the newest input holding it; a test file's tests are the union of the
 * inputs that saw the same version of it (tests of another version would be located wrongly, so they
 * are left out, and the mutants they killed are simply tested again).
 */
import { readFileSync, writeFileSync } from "node:fs"

interface Mutant {
  readonly id: string
  readonly coveredBy?: ReadonlyArray<string>
  readonly killedBy?: ReadonlyArray<string>
}
interface TestFile {
  readonly source?: string
  readonly tests: ReadonlyArray<{ readonly id: string }>
}
interface Report {
  readonly files: Record<string, { readonly mutants: ReadonlyArray<Mutant> }>
  readonly testFiles?: Record<string, TestFile>
}

const [out, ...inputs] = process.argv.slice(2)
if (out === undefined || inputs.length === 0) {
  console.error("usage: node test/mutation/merge.ts OUT.json NEWEST.json [... OLDEST.json]")
  process.exit(2)
}
const reports = inputs.map((path) => JSON.parse(readFileSync(path, "utf8")) as Report)
const files: Record<string, unknown> = {}
const testFiles: Record<string, { source?: string; tests: Array<{ id: string }> }> = {}
reports.forEach((report, index) => {
  const id = (original: string) => `r${index}-${original}`
  for (const [path, file] of Object.entries(report.files)) {
    if (path in files) continue
    files[path] = {
      ...file,
      mutants: file.mutants.map((mutant) => ({
        ...mutant,
        id: id(mutant.id),
        ...(mutant.coveredBy ? { coveredBy: mutant.coveredBy.map(id) } : {}),
        ...(mutant.killedBy ? { killedBy: mutant.killedBy.map(id) } : {})
      }))
    }
  }
  for (const [path, testFile] of Object.entries(report.testFiles ?? {})) {
    const tests = testFile.tests.map((test) => ({ ...test, id: id(test.id) }))
    const seen = testFiles[path]
    if (seen === undefined) testFiles[path] = { ...testFile, tests }
    else if (seen.source === testFile.source) seen.tests.push(...tests)
  }
})
writeFileSync(out, JSON.stringify({ ...reports[0], files, testFiles }))
console.log(`${out}: ${Object.keys(files).length} source files, ${Object.keys(testFiles).length} test files`)
