/** "Did you mean ...?": close candidates by edit distance, for model ids, config keys and provider names. */

/** Optimal string alignment distance: Levenshtein plus adjacent transpositions ("api_kye" -> "api_key" is 1). */
export const editDistance = (a: string, b: string): number => {
  if (a === b) return 0
  const d: Array<Array<number>> = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0))
  )
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
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

/** The one closest candidate (a config key, a provider name), when it is close enough to be a likely typo. */
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

/**
 * Up to `limit` candidates close to `input` (model ids): those that contain it or are contained in it
 * first, then by edit distance, dropping ones that share too little to be a plausible typo.
 */
export const closestMatches = (input: string, candidates: Iterable<string>, limit = 3): ReadonlyArray<string> => {
  const needle = input.toLowerCase()
  const scored: Array<{ readonly candidate: string; readonly score: number }> = []
  for (const candidate of candidates) {
    const hay = candidate.toLowerCase()
    const distance = editDistance(needle, hay)
    const related = hay.includes(needle) || needle.includes(hay)
    const plausible = distance <= Math.max(2, Math.floor(Math.max(needle.length, hay.length) / 3))
    if (related || plausible) scored.push({ candidate, score: related ? distance / 100 : distance })
  }
  return scored
    .sort((x, y) => x.score - y.score || x.candidate.localeCompare(y.candidate))
    .slice(0, limit)
    .map((s) => s.candidate)
}
