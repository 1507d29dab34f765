/**
 * Mutation scores per package, from a Stryker JSON report (the committed incremental result is one).
 * `node test/mutation/scores.ts [report.json ...]`: prints the table and exits 1 when a package is
 * below its floor. With several reports, a file's entry in a later report replaces the earlier one
 * (CI merges the committed result with a rerun over the files that changed).
 */
import { readFileSync } from "node:fs"

/** The floors the README promises: the orchestrator and cost code are held higher than the adapters. */
export const floors: Record<string, number> = { core: 85, cost: 85, providers: 75 }

interface Mutant {
  readonly id: string
  readonly mutatorName: string
  readonly status: string
  readonly statusReason?: string
  readonly location: { readonly start: { readonly line: number } }
}
interface Report {
  readonly files: Record<string, { readonly source: string; readonly mutants: ReadonlyArray<Mutant> }>
  readonly testFiles?: Record<string, { readonly source?: string }>
}

export const readReport = (path: string): Report => JSON.parse(readFileSync(path, "utf8")) as Report

export const mergeReports = (reports: ReadonlyArray<Report>): Report => ({
  files: Object.assign({}, ...reports.map((r) => r.files)),
  testFiles: Object.assign({}, ...reports.map((r) => r.testFiles ?? {}))
})

const packageOf = (file: string) => /^packages\/([^/]+)\/src\//.exec(file.replaceAll("\\", "/"))?.[1]

export interface PackageScore {
  readonly pkg: string
  readonly killed: number
  readonly survived: number
  readonly noCoverage: number
  readonly ignored: number
  /** Stryker's mutation score: detected (killed or timed out) over valid (detected, survived, uncovered). */
  readonly score: number
}

export const scoresOf = (report: Report): ReadonlyArray<PackageScore> => {
  const counts = new Map<string, { killed: number; survived: number; noCoverage: number; ignored: number }>()
  for (const [file, { mutants }] of Object.entries(report.files)) {
    const pkg = packageOf(file)
    if (pkg === undefined) continue
    const c = counts.get(pkg) ?? { killed: 0, survived: 0, noCoverage: 0, ignored: 0 }
    for (const m of mutants) {
      if (m.status === "Killed" || m.status === "Timeout") c.killed++
      else if (m.status === "Survived") c.survived++
      else if (m.status === "NoCoverage") c.noCoverage++
      else if (m.status === "Ignored") c.ignored++
    }
    counts.set(pkg, c)
  }
  return [...counts].map(([pkg, c]) => {
    const valid = c.killed + c.survived + c.noCoverage
    return { pkg, ...c, score: valid === 0 ? 100 : (100 * c.killed) / valid }
  })
}

export const printScores = (scores: ReadonlyArray<PackageScore>): boolean => {
  let ok = true
  console.log("package    score  floor  killed  survived  no-coverage  ignored")
  for (const s of scores) {
    const floor = floors[s.pkg] ?? 0
    const below = s.score < floor
    if (below) ok = false
    console.log(
      `${s.pkg.padEnd(10)} ${s.score.toFixed(1).padStart(5)}  ${String(floor).padStart(5)}  ${String(s.killed).padStart(6)}  ${String(s.survived).padStart(8)}  ${String(s.noCoverage).padStart(11)}  ${String(s.ignored).padStart(7)}${below ? "  BELOW FLOOR" : ""}`
    )
  }
  return ok
}

if (import.meta.main) {
  const paths = process.argv.slice(2)
  const report = mergeReports((paths.length > 0 ? paths : ["test/mutation/incremental.json"]).map(readReport))
  if (!printScores(scoresOf(report))) process.exit(1)
}
