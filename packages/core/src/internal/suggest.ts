/** "Did you mean ...?": close candidates by edit distance, for model ids and config keys. */

/** Levenshtein distance (two rows; inputs are short ids). */
export const editDistance = (a: string, b: string): number => {
  if (a === b) return 0
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const current = [i]
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + cost)
    }
    previous = current
  }
  return previous[b.length]!
}

/**
 * Up to `limit` candidates close to `input`: those that contain it or are contained in it first,
 * then by edit distance, dropping ones that share too little to be a plausible typo.
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
