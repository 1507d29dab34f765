/**
 * A budget reserves the worst case of a call before sending it; with `request.reasoning` the thinking
 * budget is output on top of maxTokens (Anthropic raises max_tokens above it), so it is counted: an
 * explicit budgetTokens as is, an effort as its documented budget. Missing it would let a thinking
 * request overspend a budget (fail open).
 */
import { describe, expect, it } from "@effect/vitest"
import type { ChatRequest } from "@llm-orchestrator/core"
import { type Rates, worstCaseCostUsd } from "../src/pricing.ts"

// Input $1 per million, output $2, reasoning $5: output is reserved at the dearer, $5.
const rates: Rates = {
  source: "config",
  matchedId: "test",
  input: 1,
  output: 2,
  cacheRead: 0.5,
  cacheWrite: 0.5,
  cacheWrite1h: 0.5,
  reasoning: 5,
  webSearchPerThousand: 10,
  price: { input: 1, output: 2 }
}
const ask = { role: "user" as const, content: "abcd" }
// 16 per request + 16 per message + 4 bytes of text.
const input = 36

describe("a budget's worst case with reasoning", () => {
  const cases: ReadonlyArray<[string, ChatRequest, number]> = [
    ["no reasoning: maxTokens only", { messages: [ask], maxTokens: 1000 }, 1000],
    ["budgetTokens on top of maxTokens", { messages: [ask], maxTokens: 5000, reasoning: { budgetTokens: 3000 } }, 8000],
    [
      "an effort as its documented budget (low: 2,048)",
      { messages: [ask], maxTokens: 1000, reasoning: { effort: "low" } },
      3048
    ],
    [
      "high: 24,576 on top of the default output reserve",
      { messages: [ask], reasoning: { effort: "high" } },
      4096 + 24_576
    ]
  ]
  for (const [name, request, outputTokens] of cases)
    it(name, () => {
      expect(worstCaseCostUsd(rates, request, 4096)).toBeCloseTo((input * 1 + outputTokens * 5) / 1e6, 15)
    })
})
