/**
 * "Did you mean?" stays cheap whatever the input: a hostile model id (300 KB after a 404) used to fill
 * a full edit-distance table against every listed id (2.8 s of blocked event loop). The work is
 * counted in table cells (`editDistanceWork`), never timed.
 */
import { describe, expect, it } from "@effect/vitest"
import { closest, closestMatches, editDistance, editDistanceWork } from "../src/internal/suggest.ts"

/** 1,000 listed ids of realistic shapes and lengths (11 to ~50 characters). */
const listing: ReadonlyArray<string> = Array.from({ length: 1000 }, (_, i) =>
  i % 4 === 0
    ? `gpt-4o-mini-2024-07-${String(i).padStart(4, "0")}`
    : i % 4 === 1
      ? `claude-sonnet-4-5-2025${String(i).padStart(4, "0")}`
      : i % 4 === 2
        ? `us.anthropic.claude-3-5-haiku-20241022-v1:${i}`
        : `gemini-2.5-flash-preview-${i}`
)

const cellsFor = (run: () => void): number => {
  const before = editDistanceWork.cells
  run()
  return editDistanceWork.cells - before
}

describe("closestMatches: bounded work", () => {
  it("a 300 KB id against 1,000 listed ids computes no table cell and suggests nothing", () => {
    const huge = "gpt-4o-mini".repeat(30_000)
    let suggestions: ReadonlyArray<string> = ["not run"]
    expect(cellsFor(() => (suggestions = closestMatches(huge, listing)))).toBe(0)
    expect(suggestions).toEqual([])
  })

  it("the longest valid id (256 characters) against 1,000 listed ids: the length cap skips every table", () => {
    const long = "x".repeat(256)
    expect(cellsFor(() => closestMatches(long, listing))).toBe(0)
  })

  it("a typo still finds its model, with far fewer cells than full tables", () => {
    const typo = "gpt-4o-mini-2024-07-O400" // a letter O for a zero
    let suggestions: ReadonlyArray<string> = []
    const cells = cellsFor(() => (suggestions = closestMatches(typo, listing)))
    expect(suggestions[0]).toBe("gpt-4o-mini-2024-07-0400")
    const fullTables = listing.reduce((sum, id) => sum + typo.length * id.length, 0)
    expect(cells).toBeGreaterThan(0)
    expect(cells).toBeLessThan(fullTables / 2)
  })

  it("ids that contain the input (or are contained in it) come first, nearest length first", () => {
    expect(closestMatches("gpt-4o", ["gpt-4o-mini", "gpt-4o-2024-08-06", "gpt-40", "o3"])).toEqual([
      "gpt-4o-mini",
      "gpt-4o-2024-08-06",
      "gpt-40"
    ])
  })
})

describe("editDistance with a limit", () => {
  it("equals the full distance up to the limit and limit + 1 above it (seeded random strings)", () => {
    let state = 12345
    const random = () => {
      state = (state * 1103515245 + 12345) % 2 ** 31
      return state / 2 ** 31
    }
    const word = () =>
      Array.from({ length: Math.floor(random() * 12) }, () => "abcde"[Math.floor(random() * 5)]).join("")
    for (let i = 0; i < 2000; i++) {
      const a = word()
      const b = word()
      const full = editDistance(a, b)
      const limit = Math.floor(random() * 6)
      expect(editDistance(a, b, limit), `${a} ${b} ${limit}`).toBe(full <= limit ? full : limit + 1)
    }
  })

  it("transpositions count once; config key suggestions still work", () => {
    expect(editDistance("api_kye", "api_key")).toBe(1)
    expect(closest("api_kye", ["api_key", "base_url", "timeout"])).toBe("api_key")
    expect(closest("x".repeat(100_000), ["api_key", "base_url", "timeout"])).toBeUndefined()
  })
})

describe("edit distance, by hand-counted pairs", () => {
  it("insertions, deletions, substitutions and adjacent swaps, a swap at the very start included", () => {
    const pairs: ReadonlyArray<[string, string, number]> = [
      ["ab", "ba", 1], // a swap of the first two characters: the first row that can see a swap
      ["abc", "acb", 1],
      ["gtp-4o", "gpt-4o", 1],
      ["ca", "abc", 3], // optimal string alignment: a swapped pair is not edited again
      ["kitten", "sitting", 3],
      ["", "abc", 3],
      ["abc", "", 3],
      ["a", "b", 1],
      ["abcdef", "badcfe", 3]
    ]
    for (const [a, b, distance] of pairs) expect(editDistance(a, b), `${a} -> ${b}`).toBe(distance)
  })

  it("equal strings cost no table work", () => {
    const before = editDistanceWork.cells
    expect(editDistance("gpt-4o-mini", "gpt-4o-mini")).toBe(0)
    expect(editDistanceWork.cells).toBe(before)
  })
})
