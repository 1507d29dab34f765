/** "Did you mean ...?" for unknown keys and provider names. */

/** Optimal string alignment distance: Levenshtein plus adjacent transpositions ("api_kye" -> "api_key" is 1). */
export const editDistance = (a: string, b: string): number => {
  const rows = a.length + 1
  const cols = b.length + 1
  const d: Array<Array<number>> = Array.from({ length: rows }, (_, i) =>
    Array.from({ length: cols }, (_, j) => (i === 0 ? j : j === 0 ? i : 0))
  )
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost)
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, d[i - 2]![j - 2]! + 1)
      d[i]![j] = best
    }
  }
  return d[a.length]![b.length]!
}

/** Ignores case, `_` and `-`, so camelCase and kebab-case spellings find their snake_case key. */
const normalise = (s: string): string => s.toLowerCase().replace(/[_-]/g, "")

/** The closest candidate, when it is close enough to be a likely typo. */
export const closest = (input: string, candidates: ReadonlyArray<string>): string | undefined => {
  const normalInput = normalise(input)
  const sameWord = candidates.find((candidate) => normalise(candidate) === normalInput)
  if (sameWord !== undefined) return sameWord
  let best: string | undefined
  let bestDistance = Number.POSITIVE_INFINITY
  for (const candidate of candidates) {
    const distance = editDistance(input.toLowerCase(), candidate.toLowerCase())
    if (distance < bestDistance && distance <= Math.max(1, Math.floor(candidate.length / 3))) {
      best = candidate
      bestDistance = distance
    }
  }
  return best
}
