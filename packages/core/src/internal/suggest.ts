/** "Did you mean ...?": close candidates by edit distance, for model ids, config keys and provider names. */
import { maxModelIdLength } from "../orchestrator/validate.ts"

/** Table cells computed by `editDistance` since start-up: lets tests check that the work stays bounded. */
export const editDistanceWork = { cells: 0 }

/**
 * Optimal string alignment distance: Levenshtein plus adjacent transpositions ("api_kye" -> "api_key"
 * is 1). With a `limit`, any distance above it is returned as `limit + 1` without finishing the table:
 * strings whose lengths differ by more than the limit are not compared at all, and the table stops at
 * the first row whose every cell is above the limit (later rows can only be larger). Three rows of
 * `b.length + 1` numbers, never the whole table.
 */
export const editDistance = (a: string, b: string, limit = Number.POSITIVE_INFINITY): number => {
  if (a === b) return 0
  if (Math.abs(a.length - b.length) > limit) return limit + 1
  // Stryker disable next-line ArrayDeclaration: equivalent, the first row written reuses this array before any read of it
  let twoBack = new Array<number>(b.length + 1).fill(0)
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j)
  // Stryker disable next-line ArrayDeclaration: equivalent, every cell is written before it is read
  let row = new Array<number>(b.length + 1).fill(0)
  for (let i = 1; i <= a.length; i++) {
    row[0] = i
    let rowMinimum = i
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      let best = Math.min(previous[j]! + 1, row[j - 1]! + 1, previous[j - 1]! + cost)
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, twoBack[j - 2]! + 1)
      row[j] = best
      if (best < rowMinimum) rowMinimum = best
    }
    editDistanceWork.cells += b.length
    if (rowMinimum > limit) return limit + 1
    const recycled = twoBack
    twoBack = previous
    previous = row
    row = recycled
  }
  const distance = previous[b.length]!
  return distance <= limit ? distance : limit + 1
}

/** Ignores case, `_` and `-`, so camelCase and kebab-case spellings find their snake_case key. */
const normalise = (s: string): string => s.toLowerCase().replace(/[_-]/g, "")

/** The one closest candidate (a config key, a provider name), when it is close enough to be a likely typo. */
export const closest = (input: string, candidates: ReadonlyArray<string>): string | undefined => {
  const normalInput = normalise(input)
  const sameWord = candidates.find((candidate) => normalise(candidate) === normalInput)
  if (sameWord !== undefined) return sameWord
  const lowerInput = input.toLowerCase()
  let best: string | undefined
  let bestDistance = Number.POSITIVE_INFINITY
  for (const candidate of candidates) {
    const allowed = Math.max(1, Math.floor(candidate.length / 3))
    const distance = editDistance(lowerInput, candidate.toLowerCase(), allowed)
    if (distance < bestDistance && distance <= allowed) {
      best = candidate
      bestDistance = distance
    }
  }
  return best
}

/**
 * Up to `limit` candidates close to `input` (model ids): those that contain it or are contained in it
 * first, then by edit distance, dropping ones that share too little to be a plausible typo. An input
 * longer than any valid model id gets none, so a hostile id cannot make this scan expensive.
 */
export const closestMatches = (input: string, candidates: Iterable<string>, limit = 3): ReadonlyArray<string> => {
  if (input.length > maxModelIdLength) return []
  const needle = input.toLowerCase()
  const scored: Array<{ readonly candidate: string; readonly score: number }> = []
  for (const candidate of candidates) {
    const hay = candidate.toLowerCase()
    // When one contains the other, the edit distance is exactly the difference in length.
    if (hay.includes(needle) || needle.includes(hay)) {
      scored.push({ candidate, score: Math.abs(hay.length - needle.length) / 100 })
      continue
    }
    const plausible = Math.max(2, Math.floor(Math.max(needle.length, hay.length) / 3))
    const distance = editDistance(needle, hay, plausible)
    if (distance <= plausible) scored.push({ candidate, score: distance })
  }
  return scored
    .sort((x, y) => x.score - y.score || x.candidate.localeCompare(y.candidate))
    .slice(0, limit)
    .map((s) => s.candidate)
}
