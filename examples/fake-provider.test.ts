/**
 * How to unit-test your own code that uses the orchestrator: swap the real provider layers for
 * `makeFakeProvider` layers (no HTTP, no keys), script what each model answers, and assert on what
 * your code does with it. Run with `pnpm test examples/fake-provider.test.ts`.
 */
import { describe, expect, it } from "@effect/vitest"
import { CostTracking } from "@llm-orchestrator/cost"
import { makeFakeProvider } from "@llm-orchestrator/testing"
import { Effect, Layer, Stream } from "effect"
import { ContentFilteredError, LLMOrchestrator, ProviderUnavailableError, RateLimitError } from "llm-orchestrator"

// ---------------------------------------------------------------------------------------------
// The application code under test (in a real app this lives in your src/, not in the test).

/** Summarises a text with whatever model the config chose. */
const summarize = (text: string) =>
  Effect.gen(function* () {
    const llm = yield* LLMOrchestrator
    const response = yield* llm.sendRequest({
      messages: [
        { role: "system", content: "Summarise the user's text in one line." },
        { role: "user", content: text }
      ],
      metadata: { feature: "summarize" }
    })
    return { summary: response.content.trim(), answeredBy: `${response.provider}/${response.model}` }
  })

/** Same, but a blocked text gets a placeholder instead of an error. */
const summarizeOrPlaceholder = (text: string) =>
  summarize(text).pipe(
    Effect.map(({ summary }) => summary),
    Effect.catchTag("ContentFilteredError", () => Effect.succeed("[summary withheld]"))
  )

/** Streams a reply and returns its pieces. */
const streamPieces = (prompt: string) =>
  Effect.gen(function* () {
    const llm = yield* LLMOrchestrator
    const events = yield* Stream.runCollect(llm.sendStreamingRequest({ messages: [{ role: "user", content: prompt }] }))
    return events.flatMap((event) => (event._tag === "TextDelta" ? [event.text] : []))
  })

// ---------------------------------------------------------------------------------------------
// The test wiring: the same LLMOrchestrator.layer as production, with fake providers in it.

/** USD per million tokens: our own price, so expected costs follow from the test's numbers. */
const price = { input: 1, output: 2 }

const makeTestOrchestrator = () => {
  const openai = makeFakeProvider({ id: "openai" })
  const anthropic = makeFakeProvider({ id: "anthropic" })
  const layer = LLMOrchestrator.layer({
    activeProvider: "openai",
    activeModel: "gpt-4o-mini",
    providers: {
      openai: { layer: openai.layer, fallbackModels: ["gpt-4o"] },
      anthropic: { layer: anthropic.layer }
    },
    retry: { maxAttempts: 1 }, // no backoff sleeps in unit tests: a failure moves down the chain at once
    fallback: { chain: [{ provider: "anthropic", model: "claude-haiku-4-5-20251001" }] }
  }).pipe(Layer.provideMerge(CostTracking.layer({ enabled: true, prices: { "gpt-4o-mini": price } })))
  return { openai, anthropic, layer }
}

describe("unit tests with the fake provider layer", () => {
  it.effect("a canned reply reaches the code, and the fake saw the request it sent", () => {
    const { openai, layer } = makeTestOrchestrator()
    openai.scriptModel("gpt-4o-mini", { text: "  Cats sleep a lot.  " })
    return Effect.gen(function* () {
      const result = yield* summarize("A long text about cats.")
      expect(result).toEqual({ summary: "Cats sleep a lot.", answeredBy: "openai/gpt-4o-mini" })
      expect(openai.calls).toHaveLength(1)
      expect(openai.calls[0]!.model).toBe("gpt-4o-mini")
      expect(openai.calls[0]!.request.messages.map((m) => m.content)).toEqual([
        "Summarise the user's text in one line.",
        "A long text about cats."
      ])
    }).pipe(Effect.provide(layer))
  })

  it.effect("canned usage is priced and counted in the session cost", () => {
    const { openai, layer } = makeTestOrchestrator()
    const usage = { inputTokens: 1_200, outputTokens: 300 }
    openai.scriptModel("gpt-4o-mini", { text: "Short.", usage }, { text: "Shorter.", usage })
    return Effect.gen(function* () {
      yield* summarize("first")
      yield* summarize("second")
      const llm = yield* LLMOrchestrator
      const perCall = (usage.inputTokens * price.input + usage.outputTokens * price.output) / 1_000_000
      expect(yield* llm.getSessionCost).toBeCloseTo(2 * perCall, 12)
      const report = yield* llm.getCostReport
      expect(report.byTag["feature=summarize"]?.calls).toBe(2)
      expect(report.usage.outputTokens).toBe(2 * usage.outputTokens)
    }).pipe(Effect.provide(layer))
  })

  it.effect("a canned error falls back: rate limited, then unavailable, then the other provider answers", () => {
    const { openai, anthropic, layer } = makeTestOrchestrator()
    openai.scriptModel("gpt-4o-mini", {
      error: new RateLimitError({ provider: "openai", model: "gpt-4o-mini", message: "rate limited", status: 429 })
    })
    openai.scriptModel("gpt-4o", {
      error: new ProviderUnavailableError({ provider: "openai", model: "gpt-4o", message: "overloaded", status: 503 })
    })
    anthropic.scriptModel("claude-haiku-4-5-20251001", { text: "Saved by the chain." })
    return Effect.gen(function* () {
      const result = yield* summarize("anything")
      expect(result).toEqual({ summary: "Saved by the chain.", answeredBy: "anthropic/claude-haiku-4-5-20251001" })
      expect([...openai.calls, ...anthropic.calls].map((c) => c.model)).toEqual([
        "gpt-4o-mini",
        "gpt-4o",
        "claude-haiku-4-5-20251001"
      ])
    }).pipe(Effect.provide(layer))
  })

  it.effect("an error the chain does not retry reaches the code, which handles it", () => {
    const { openai, anthropic, layer } = makeTestOrchestrator()
    openai.scriptModel("gpt-4o-mini", {
      error: new ContentFilteredError({ provider: "openai", model: "gpt-4o-mini", message: "blocked by policy" })
    })
    return Effect.gen(function* () {
      expect(yield* summarizeOrPlaceholder("something blocked")).toBe("[summary withheld]")
      // A content filter is not a reason to ask another model (unless fallback.on_content_filter is set).
      expect(openai.calls).toHaveLength(1)
      expect(anthropic.calls).toHaveLength(0)
      // Without the handler the typed error comes out as is.
      openai.scriptModel("gpt-4o-mini", {
        error: new ContentFilteredError({ provider: "openai", model: "gpt-4o-mini", message: "blocked by policy" })
      })
      const error = yield* Effect.flip(summarize("something blocked"))
      expect(error._tag).toBe("ContentFilteredError")
      expect(error.message).toBe("blocked by policy")
    }).pipe(Effect.provide(layer))
  })

  it.effect("a canned stream arrives in the scripted pieces", () => {
    const { openai, layer } = makeTestOrchestrator()
    openai.scriptModel("gpt-4o-mini", { text: "one two three", chunks: ["one ", "two ", "three"] })
    return Effect.gen(function* () {
      expect(yield* streamPieces("count to three")).toEqual(["one ", "two ", "three"])
      expect(openai.calls[0]!.stream).toBe(true)
    }).pipe(Effect.provide(layer))
  })
})
