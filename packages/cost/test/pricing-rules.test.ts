/**
 * The price book's rules one by one (pricing.test.ts checks whole calls against published prices):
 * how a model id is looked up in the catalogue, what catalogue data is refused, the fallbacks between
 * rates, memoisation, the web-search fee, and the budget's worst case at a tier boundary. Expected
 * values are the providers' published prices or sums worked out in this file.
 */
import { describe, expect, it } from "@effect/vitest"
import type { ChatRequest, Usage } from "@llm-orchestrator/core"
import { costFromRates, makePriceBook, type Rates } from "@llm-orchestrator/cost"
import { inputTokensBound, toRate, worstCaseCostUsd } from "../src/pricing.ts"

const tokens = (extra: Partial<Usage> = {}): Usage => ({
  inputTokens: 1_000_000,
  outputTokens: 0,
  cacheReadTokens: 0,
  cacheWriteTokens: 0,
  reasoningTokens: 0,
  ...extra
})

describe("catalogue lookup", () => {
  // gpt-4o-mini: $0.15 input, $0.075 cached input, $0.60 output per million tokens (OpenAI pricing page).
  it("without a price source, the id or its last path segment is looked up across the catalogue", () => {
    const book = makePriceBook()
    for (const id of ["gpt-4o-mini", " gpt-4o-mini ", "somevendor/gpt-4o-mini", "/gpt-4o-mini"])
      expect(book.ratesOf("custom", id), id).toMatchObject({
        source: "catalogue",
        matchedId: "gpt-4o-mini",
        input: 0.15
      })
    expect(book.ratesOf("custom", "somevendor/no-such-model")).toBeUndefined()
  })

  it("a source without its own candidates looks the trimmed id up in its catalogue provider", () => {
    const book = makePriceBook({}, { openai: { catalogueProvider: "openai" } })
    expect(book.ratesOf("openai", " gpt-4o-mini ")).toMatchObject({ input: 0.15, cacheRead: 0.075, output: 0.6 })
  })

  it("a catalogue model with no output price (an embedding model) is unpriced, not priced at $0 output", () => {
    // text-embedding-3-small: $0.02 per million input tokens, and no output tokens at all.
    const book = makePriceBook({}, { openai: { catalogueProvider: "openai" } })
    expect(book.ratesOf("openai", "text-embedding-3-small")).toBeUndefined()
    expect(book.costOf("openai", "text-embedding-3-small", tokens())).toBeUndefined()
  })

  it("a missing 1-hour cache-write rate falls back to the 5-minute one, not to the input rate", () => {
    // Claude 3.5 Haiku on Bedrock: $0.80 input, $1 cache write, $0.08 cache read, $4 output; no 1-hour rate listed.
    const book = makePriceBook({}, { bedrock: { catalogueProvider: "aws" } })
    expect(book.ratesOf("bedrock", "anthropic.claude-3-5-haiku-20241022-v1:0")).toMatchObject({
      input: 0.8,
      cacheWrite: 1,
      cacheWrite1h: 1,
      cacheRead: 0.08,
      output: 4
    })
  })

  it("rates say where they came from, and are resolved once per provider and model", () => {
    const book = makePriceBook({ "my-model": { input: 1, output: 2 } }, { openai: { catalogueProvider: "openai" } })
    const catalogue = book.ratesOf("openai", "gpt-4o-mini")
    expect(catalogue).toMatchObject({ source: "catalogue", matchedId: "gpt-4o-mini" })
    expect(book.ratesOf("openai", "my-model")).toMatchObject({ source: "config", matchedId: "my-model", input: 1 })
    // Memoised: the same object, not a second lookup.
    expect(book.ratesOf("openai", "gpt-4o-mini")).toBe(catalogue)
    expect(book.ratesOf("openai", "my-model")).toBe(book.ratesOf("openai", "my-model"))
  })
})

describe("catalogue data is checked before it prices anything", () => {
  it.each([
    ["a flat price", 1.5, 1.5],
    ["a free tier", 0, 0],
    ["a negative price", -1, undefined],
    ["NaN", Number.NaN, undefined],
    ["an infinite price", Number.POSITIVE_INFINITY, undefined],
    ["a numeric string", "1.5", undefined],
    ["no price", undefined, undefined],
    ["null", null, undefined],
    ["an object without tiers", { base: 1 }, undefined],
    ["tiers that are not a list", { base: 1, tiers: "200000" }, undefined],
    ["a negative base", { base: -1, tiers: [] }, undefined]
  ])("%s", (_, value, expected) => {
    expect(toRate(value)).toEqual(expected)
  })

  it("tiers are sorted by start, stripped of unknown fields, and malformed tiers dropped", () => {
    expect(
      toRate({
        base: 1,
        tiers: [
          { start: 200_000, price: 2, note: "long context" },
          { start: -5, price: 9 },
          { start: 100_000, price: Number.NaN },
          { start: 128_000, price: 1.5 }
        ]
      })
    ).toEqual({
      base: 1,
      tiers: [
        { start: 128_000, price: 1.5 },
        { start: 200_000, price: 2 }
      ]
    })
    // Only malformed tiers: the flat base price.
    expect(toRate({ base: 1, tiers: [{ start: "x", price: 2 }] })).toBe(1)
  })
})

const flatRates = (extra: Partial<Rates> = {}): Rates => ({
  source: "config",
  matchedId: "test",
  input: 1,
  output: 2,
  cacheRead: 0.5,
  cacheWrite: 0.5,
  cacheWrite1h: 0.5,
  reasoning: 2,
  webSearchPerThousand: 10,
  price: { input: 1, output: 2 },
  ...extra
})

describe("web-search fee", () => {
  it("is added only when the call made searches", () => {
    expect(costFromRates(flatRates(), tokens())).not.toHaveProperty("tools")
    expect(costFromRates(flatRates(), tokens({ webSearches: 0 }))).not.toHaveProperty("tools")
    // 3 searches at $10 per 1,000 = $0.03, on top of 1M input tokens at $1.
    expect(costFromRates(flatRates(), tokens({ webSearches: 3 }))).toMatchObject({ tools: 0.03, total: 1.03 })
  })
})

describe("budget worst case", () => {
  const request = (text: string, maxTokens = 10): ChatRequest => ({
    messages: [{ role: "user", content: text }],
    maxTokens
  })

  it("bounds input by UTF-8 bytes plus 16 tokens per message and 16 per request", () => {
    expect(inputTokensBound(request("abcd"))).toBe(16 + 4 + 16)
    expect(inputTokensBound(request("é"))).toBe(16 + 2 + 16)
  })

  it("uses a tier only once the input can exceed its start, and the dearer of output and reasoning", () => {
    // Input $1 per million, $3 above 36 tokens; output $2, reasoning $5.
    const rates = flatRates({ input: { base: 1, tiers: [{ start: 36, price: 3 }] }, reasoning: 5 })
    // "abcd": at most 36 input tokens, not above the tier's start: 36 x $1 + 10 x $5.
    expect(worstCaseCostUsd(rates, request("abcd"), 4096)).toBeCloseTo((36 * 1 + 10 * 5) / 1e6, 15)
    // "abcde": 37 tokens can reach the tier: 37 x $3 + 10 x $5.
    expect(worstCaseCostUsd(rates, request("abcde"), 4096)).toBeCloseTo((37 * 3 + 10 * 5) / 1e6, 15)
  })
})
