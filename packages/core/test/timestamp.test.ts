import { describe, expect, it } from "@effect/vitest"
import { isoTimestamp } from "../src/internal/timestamp.ts"

describe("isoTimestamp (cost record timestamps)", () => {
  it("matches Date#toISOString at the edges of seconds, years and the epoch", () => {
    const edges = [0, 1, 9, 10, 99, 100, 999, 1000, 1001, 951_868_799_999, 951_868_800_000, 1_735_689_599_999]
    for (const ms of edges) expect(isoTimestamp(ms)).toBe(new Date(ms).toISOString())
  })

  it("matches Date#toISOString for 10,000 random instants, in and out of order (the cache is per second)", () => {
    let seed = 42
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31
      return seed / 2 ** 31
    }
    const now = Date.now()
    for (let i = 0; i < 10_000; i++) {
      // Mostly near each other (the cached second is reused), sometimes decades apart.
      const ms = i % 10 === 0 ? Math.floor(random() * 4_000_000_000_000) : now + Math.floor(random() * 5_000)
      expect(isoTimestamp(ms)).toBe(new Date(ms).toISOString())
    }
  })

  it("defaults to the current time", () => {
    const before = Date.now()
    const stamp = Date.parse(isoTimestamp())
    expect(stamp).toBeGreaterThanOrEqual(before)
    expect(stamp).toBeLessThanOrEqual(Date.now())
  })
})
