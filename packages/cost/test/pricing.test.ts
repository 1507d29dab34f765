import { describe, expect, it } from "@effect/vitest"
import type { Cost, CostTrackingConfig, Usage } from "@llm-orchestrator/core"
import { CostTracking, makePricing, Pricing } from "@llm-orchestrator/cost"
import { priceSourcesByType } from "@llm-orchestrator/providers"
import { Effect } from "effect"

/** Hand computation of a cost from per-million prices (what each provider's pricing page describes). */
const expected = (
  usage: Usage,
  perMillion: { input: number; output: number; cacheRead: number; cacheWrite: number }
): Omit<Cost, "currency"> => {
  const input = ((usage.inputTokens - usage.cacheReadTokens - usage.cacheWriteTokens) * perMillion.input) / 1e6
  const cacheRead = (usage.cacheReadTokens * perMillion.cacheRead) / 1e6
  const cacheWrite = (usage.cacheWriteTokens * perMillion.cacheWrite) / 1e6
  const output = ((usage.outputTokens - usage.reasoningTokens) * perMillion.output) / 1e6
  const reasoning = (usage.reasoningTokens * perMillion.output) / 1e6
  return { input, cacheRead, cacheWrite, output, reasoning, total: input + cacheRead + cacheWrite + output + reasoning }
}

const expectCost = (actual: Cost | undefined, want: Omit<Cost, "currency">) => {
  expect(actual).toBeDefined()
  expect(actual!.currency).toBe("USD")
  for (const key of ["input", "cacheRead", "cacheWrite", "output", "reasoning", "total"] as const) {
    expect(actual![key], key).toBeCloseTo(want[key], 12)
  }
}

const usage = (partial: Partial<Usage>): Usage => ({
  inputTokens: 0,
  outputTokens: 0,
  cacheReadTokens: 0,
  cacheWriteTokens: 0,
  reasoningTokens: 0,
  ...partial
})

describe("catalogue prices match the providers' published prices", () => {
  const pricing = makePricing({}, priceSourcesByType)

  it("OpenAI gpt-4o-mini with cached input", () => {
    // https://openai.com/api/pricing: gpt-4o-mini $0.15 input, $0.075 cached input, $0.60 output per 1M.
    const published = { input: 0.15, cacheRead: 0.075, output: 0.6 }
    // Web search tool calls: $10 per 1,000.
    expect(pricing.priceOf("openai", "gpt-4o-mini")).toEqual({ ...published, webSearchPerThousand: 10 })
    const u = usage({ inputTokens: 12_000, cacheReadTokens: 8_192, outputTokens: 640 })
    // No cache-write rate for OpenAI: writes (none here) fall back to the input rate.
    expectCost(pricing.costOf("openai", "gpt-4o-mini", u), expected(u, { ...published, cacheWrite: 0.15 }))
    // (12000-8192)*0.15/1e6 + 8192*0.075/1e6 + 640*0.6/1e6
    expect(pricing.costOf("openai", "gpt-4o-mini", u)!.total).toBeCloseTo(0.0005712 + 0.0006144 + 0.000384, 12)
    // A dated snapshot id resolves to the same model.
    expect(pricing.costOf("openai", "gpt-4o-mini-2024-07-18", u)).toEqual(pricing.costOf("openai", "gpt-4o-mini", u))
  })

  it("Anthropic claude-sonnet-4-5 with 5-minute cache writes and cache reads", () => {
    // https://docs.anthropic.com/en/docs/about-claude/pricing: Claude Sonnet 4.5 $3 input, $3.75 5m cache
    // writes (1.25x input), $0.30 cache hits, $15 output per 1M (prompts <= 200k tokens).
    const published = { input: 3, cacheWrite: 3.75, cacheRead: 0.3, output: 15 }
    // 1-hour cache writes 2x input; web search $10 per 1,000 searches.
    expect(pricing.priceOf("anthropic", "claude-sonnet-4-5")).toEqual({
      ...published,
      cacheWrite1h: 6,
      webSearchPerThousand: 10
    })
    const u = usage({ inputTokens: 50_000, cacheWriteTokens: 20_000, cacheReadTokens: 25_000, outputTokens: 1_200 })
    const cost = pricing.costOf("anthropic", "claude-sonnet-4-5-20250929", u)
    expectCost(cost, expected(u, published))
    expect(cost!.cacheWrite).toBeCloseTo((20_000 * 3 * 1.25) / 1e6, 12)
    expect(cost!.total).toBeCloseTo(0.015 + 0.075 + 0.0075 + 0.018, 12)
  })

  it("Anthropic 1-hour cache writes at 2x input and web searches at $10 per 1,000, in `tools`", () => {
    const u = usage({
      inputTokens: 50_000,
      cacheWriteTokens: 20_000,
      cacheWrite1hTokens: 15_000,
      outputTokens: 1_200,
      webSearches: 3
    })
    const cost = pricing.costOf("anthropic", "claude-sonnet-4-5", u)!
    expect(cost.cacheWrite).toBeCloseTo((5_000 * 3.75 + 15_000 * 6) / 1e6, 12)
    expect(cost.tools).toBeCloseTo(0.03, 12)
    expect(cost.total).toBeCloseTo(cost.input + cost.cacheWrite + cost.output + 0.03, 12)
    // Without tool use the field is absent, not $0: a plain call's cost keeps its shape.
    expect(pricing.costOf("anthropic", "claude-sonnet-4-5", usage({ inputTokens: 10 }))).not.toHaveProperty("tools")
  })

  it("Gemini gemini-2.5-flash with thinking tokens priced as output", () => {
    // https://ai.google.dev/gemini-api/docs/pricing: Gemini 2.5 Flash $0.30 input (text), $2.50 output
    // including thinking tokens, $0.03 context caching per 1M.
    const published = { input: 0.3, cacheRead: 0.03, output: 2.5 }
    expect(pricing.priceOf("gemini", "gemini-2.5-flash")).toMatchObject(published)
    const u = usage({ inputTokens: 4_000, outputTokens: 3_000, reasoningTokens: 2_500 })
    const cost = pricing.costOf("gemini", "gemini-2.5-flash", u)
    expectCost(cost, expected(u, { ...published, cacheWrite: 0.3 }))
    expect(cost!.reasoning).toBeCloseTo((2_500 * 2.5) / 1e6, 12)
    expect(cost!.output).toBeCloseTo((500 * 2.5) / 1e6, 12)
    // Vertex bills Gemini the same, and the SDK's `models/...` form resolves too.
    expect(pricing.costOf("vertex", "gemini-2.5-flash", u)).toEqual(cost)
    expect(pricing.costOf("gemini", "models/gemini-2.5-flash", u)).toEqual(cost)
  })

  it("gemini-2.5-pro above the 200k-token tier bills the WHOLE request at the higher rate", () => {
    // https://ai.google.dev/gemini-api/docs/pricing: Gemini 2.5 Pro input $1.25 (<= 200k) / $2.50 (> 200k),
    // output $10 / $15, context caching $0.125 / $0.25 per 1M.
    const low = { input: 1.25, output: 10, cacheRead: 0.125, cacheWrite: 1.25 }
    const high = { input: 2.5, output: 15, cacheRead: 0.25, cacheWrite: 2.5 }
    expect(pricing.priceOf("gemini", "gemini-2.5-pro")).toEqual({ input: 1.25, output: 10, cacheRead: 0.125 })
    const above = usage({ inputTokens: 250_000, cacheReadTokens: 100_000, outputTokens: 2_000, reasoningTokens: 800 })
    expectCost(pricing.costOf("gemini", "gemini-2.5-pro", above), expected(above, high))
    expect(pricing.costOf("gemini", "gemini-2.5-pro", above)!.total).toBeCloseTo(0.375 + 0.025 + 0.018 + 0.012, 12)
    // The boundary: exactly 200k is still the low tier, one token more moves every token up.
    const at = usage({ inputTokens: 200_000, outputTokens: 1_000 })
    const over = usage({ inputTokens: 200_001, outputTokens: 1_000 })
    expectCost(pricing.costOf("gemini", "gemini-2.5-pro", at), expected(at, low))
    expectCost(pricing.costOf("gemini", "gemini-2.5-pro", over), expected(over, high))
  })

  it("Claude Sonnet 4.5 long context (> 200k input) is billed at the long-context rates", () => {
    // https://docs.anthropic.com/en/docs/about-claude/pricing (long context): > 200k input tokens,
    // $6 input, $7.50 5m cache writes, $0.60 cache hits, $22.50 output per 1M.
    const long = { input: 6, cacheWrite: 7.5, cacheRead: 0.6, output: 22.5 }
    const u = usage({ inputTokens: 300_000, cacheReadTokens: 150_000, cacheWriteTokens: 50_000, outputTokens: 4_000 })
    expectCost(pricing.costOf("anthropic", "claude-sonnet-4-5", u), expected(u, long))
  })

  it("Bedrock inference profiles: us./eu./apac. at the regional rate, global. at the base rate, ARNs", () => {
    // https://aws.amazon.com/bedrock/pricing/: Claude Sonnet 4.5 global cross-region $3 input, $15 output,
    // $3.75 cache write, $0.30 cache read per 1M; geographic (us/eu/apac) and in-region endpoints carry a
    // 10% premium: $3.30, $16.50, $4.125, $0.33.
    const regional = { input: 3.3, output: 16.5, cacheWrite: 4.125, cacheRead: 0.33 }
    const global = { input: 3, output: 15, cacheWrite: 3.75, cacheRead: 0.3 }
    const u = usage({ inputTokens: 10_000, cacheReadTokens: 4_000, cacheWriteTokens: 2_000, outputTokens: 900 })
    for (const prefix of ["us.", "eu.", "apac.", ""]) {
      const model = `${prefix}anthropic.claude-sonnet-4-5-20250929-v1:0`
      expect(pricing.priceOf("bedrock", model), model).toEqual(regional)
      expectCost(pricing.costOf("bedrock", model, u), expected(u, regional))
    }
    expectCost(pricing.costOf("bedrock", "global.anthropic.claude-sonnet-4-5-20250929-v1:0", u), expected(u, global))
    const arn = "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-sonnet-4-5-20250929-v1:0"
    expectCost(pricing.costOf("bedrock", arn, u), expected(u, regional))
  })

  it("costs are exact decimals, without binary float noise (pico-dollar rounding)", () => {
    // gpt-4o-mini: $0.15 input, $0.60 output per 1M. 29 input tokens cost $0.00000435 and 11 output
    // tokens $0.0000066; plain float arithmetic gives 0.0000065999999999999995 and a total of
    // 0.000010949999999999998, which cost logs and `--json` would print as is.
    const cost = pricing.costOf("openai", "gpt-4o-mini", usage({ inputTokens: 29, outputTokens: 11 }))!
    expect(cost.input).toBe(0.00000435)
    expect(cost.output).toBe(0.0000066)
    expect(cost.total).toBe(0.00001095)
    expect(JSON.stringify(cost.total)).toBe("0.00001095")
    // Web-search fees are rounded the same way: 3 searches at $10 per 1,000 on Claude Sonnet 4.5
    // ($3 input per 1M) next to 7 input tokens.
    const searched = pricing.costOf("anthropic", "claude-sonnet-4-5", usage({ inputTokens: 7, webSearches: 3 }))!
    expect(searched.tools).toBe(0.03)
    expect(searched.total).toBe(0.030021)
  })

  it("an unknown model has no price: undefined, never 0", () => {
    const u = usage({ inputTokens: 100, outputTokens: 10 })
    expect(pricing.priceOf("openai", "no-such-model-xyz")).toBeUndefined()
    expect(pricing.costOf("openai", "no-such-model-xyz", u)).toBeUndefined()
    // Memoised as unpriced: the answer does not change on the next call.
    expect(pricing.costOf("openai", "no-such-model-xyz", u)).toBeUndefined()
    expect(pricing.costOf("bedrock", "us.vendor.unknown-model-v1:0", u)).toBeUndefined()
  })
})

describe("config overrides", () => {
  const config: CostTrackingConfig = {
    enabled: false,
    prices: {
      "gpt-4o-mini": { input: 1, output: 2 },
      "my-finetune": { input: 0.5, output: 1.5, cacheRead: 0.05, cacheWrite: 0.6 },
      "vertex/gemini-2.5-flash": { input: 0.2, output: 1 },
      "claude-sonnet-4-5": { input: 2, output: 10, cacheWrite: 2.5 },
      "claude-haiku-4-5": { input: 1, output: 5, cacheWrite1h: 1.5, webSearchPerThousand: 7 }
    }
  }

  it.effect("win over the catalogue, missing cache rates fall back to the input rate", () =>
    Effect.gen(function* () {
      const pricing = yield* Pricing
      const u = usage({ inputTokens: 10_000, cacheReadTokens: 4_000, cacheWriteTokens: 1_000, outputTokens: 500 })
      expect(pricing.priceOf("openai", "gpt-4o-mini")).toEqual({ input: 1, output: 2 })
      expectCost(
        pricing.costOf("openai", "gpt-4o-mini", u),
        expected(u, { input: 1, output: 2, cacheRead: 1, cacheWrite: 1 })
      )
      // A model the catalogue does not know is priced by its override.
      expectCost(
        pricing.costOf("openai", "my-finetune", u),
        expected(u, { input: 0.5, output: 1.5, cacheRead: 0.05, cacheWrite: 0.6 })
      )
      // A provider-qualified key overrides that provider only.
      expectCost(
        pricing.costOf("vertex", "gemini-2.5-flash", u),
        expected(u, { input: 0.2, output: 1, cacheRead: 0.2, cacheWrite: 0.2 })
      )
      expect(pricing.priceOf("gemini", "gemini-2.5-flash")).toMatchObject({ input: 0.3, output: 2.5 })
    }).pipe(Effect.provide(CostTracking.layer(config)))
  )

  it.effect("1-hour writes fall back to the override's cache_write; the web-search fee to the catalogue's", () =>
    Effect.gen(function* () {
      const pricing = yield* Pricing
      const u = usage({ inputTokens: 10_000, cacheWriteTokens: 4_000, cacheWrite1hTokens: 1_000, webSearches: 2 })
      const sonnet = pricing.costOf("anthropic", "claude-sonnet-4-5", u)!
      expect(sonnet.cacheWrite).toBeCloseTo((3_000 * 2.5 + 1_000 * 2.5) / 1e6, 12)
      // The override states token prices only: the catalogue's $10 per 1,000 searches still applies.
      expect(sonnet.tools).toBeCloseTo(0.02, 12)
      const haiku = pricing.costOf("anthropic", "claude-haiku-4-5", u)!
      expect(haiku.cacheWrite).toBeCloseTo((3_000 * 1 + 1_000 * 1.5) / 1e6, 12)
      expect(haiku.tools).toBeCloseTo(0.014, 12)
      expect(haiku.total).toBeCloseTo((6_000 * 1 + 3_000 + 1_500) / 1e6 + 0.014, 12)
    }).pipe(Effect.provide(CostTracking.layer(config)))
  )

  it.effect("a negative override price is a ConfigError naming the key", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(
        Effect.provide(
          Pricing.use(() => Effect.void),
          CostTracking.layer({ enabled: true, prices: { "gpt-4o": { input: -1, output: 2 } } })
        )
      )
      expect(error._tag).toBe("ConfigError")
      expect(error.path).toBe("cost_tracking.prices.gpt-4o.input")
      const fee = yield* Effect.flip(
        Effect.provide(
          Pricing.use(() => Effect.void),
          CostTracking.layer({
            enabled: true,
            prices: { "gpt-4o": { input: 1, output: 2, webSearchPerThousand: Number.NaN } }
          })
        )
      )
      expect(fee.path).toBe("cost_tracking.prices.gpt-4o.webSearchPerThousand")
      expect(fee.message).toContain("1,000 web searches")
    })
  )
})
