import { describe, expect, it } from "@effect/vitest"
import {
  AuthenticationError,
  ContentFilteredError,
  InvalidRequestError,
  LLMOrchestrator,
  ModelNotFoundError,
  RateLimitError
} from "@llm-orchestrator/core"
import { Effect, Fiber, Stream } from "effect"
import { TestClock } from "effect/testing"
import { attemptsOf, err, setup, unavailable, user } from "./orchestrator-helpers.ts"

const rateLimited = (model: string, retryAfterMs?: number) =>
  new RateLimitError({ provider: "openai", model, ...err, status: 429, ...(retryAfterMs ? { retryAfterMs } : {}) })

describe("sendRequest: retry and fallback", () => {
  it.effect("a 429 with Retry-After 1 s waits about 1 s, retries the same model once, then answers", () => {
    const t = setup({ activeProvider: "openai", activeModel: "a", providers: { openai: { fallbackModels: ["b"] } } })
    t.fake("openai").scriptModel("a", { error: rateLimited("a", 1000) }, { text: "second try" })
    return Effect.gen(function* () {
      const llm = yield* LLMOrchestrator
      const fiber = yield* Effect.forkChild(llm.sendRequest(user("hi")))
      yield* TestClock.adjust("999 millis")
      expect(fiber.pollUnsafe()).toBeUndefined() // still waiting for the Retry-After
      yield* TestClock.adjust("2 millis")
      const response = yield* Fiber.join(fiber)
      expect(response.content).toBe("second try")
      expect(attemptsOf(response.attempts)).toEqual(["openai/a:error:RateLimitError", "openai/a:success"])
      expect(response.attempts.map((a) => a.attempt)).toEqual([1, 2])
      expect(t.fake("openai").calls.map((c) => c.model)).toEqual(["a", "a"])
    }).pipe(Effect.provide(t.layer))
  })

  it.effect("a 429 with Retry-After 120 s moves to the next model at once", () => {
    const t = setup({ activeProvider: "openai", activeModel: "a", providers: { openai: { fallbackModels: ["b"] } } })
    t.fake("openai").scriptModel("a", { error: rateLimited("a", 120_000) })
    return Effect.gen(function* () {
      const llm = yield* LLMOrchestrator
      const response = yield* llm.sendRequest(user("hi")) // no clock adjustment: no wait happened
      expect(response.model).toBe("b")
      expect(attemptsOf(response.attempts)).toEqual(["openai/a:error:RateLimitError", "openai/b:success"])
    }).pipe(Effect.provide(t.layer))
  })

  it.effect("a Retry-After exactly at max_retry_after is still waited for (only a longer one moves on)", () => {
    const t = setup({
      activeProvider: "openai",
      activeModel: "a",
      providers: { openai: { fallbackModels: ["b"] } },
      retry: { maxRetryAfterMs: 5000 }
    })
    t.fake("openai").scriptModel("a", { error: rateLimited("a", 5000) }, { text: "waited" })
    return Effect.gen(function* () {
      const llm = yield* LLMOrchestrator
      const fiber = yield* Effect.forkChild(llm.sendRequest(user("hi")))
      yield* TestClock.adjust("5 seconds")
      const response = yield* Fiber.join(fiber)
      expect([response.model, response.content]).toEqual(["a", "waited"])
    }).pipe(Effect.provide(t.layer))
  })

  it.effect("503s exhaust the model's retries (max_attempts 3), then the next model answers", () => {
    const t = setup({
      activeProvider: "openai",
      activeModel: "a",
      providers: { openai: { fallbackModels: ["b"] } },
      retry: { maxAttempts: 3, initialDelayMs: 100 }
    })
    t.fake("openai").scriptModel(
      "a",
      { error: unavailable("a") },
      { error: unavailable("a") },
      { error: unavailable("a") }
    )
    return Effect.gen(function* () {
      const llm = yield* LLMOrchestrator
      const fiber = yield* Effect.forkChild(llm.sendRequest(user("hi")))
      yield* TestClock.adjust("1 minute")
      const response = yield* Fiber.join(fiber)
      expect(attemptsOf(response.attempts)).toEqual([
        "openai/a:error:ProviderUnavailableError",
        "openai/a:error:ProviderUnavailableError",
        "openai/a:error:ProviderUnavailableError",
        "openai/b:success"
      ])
      expect(response.attempts.map((a) => a.attempt)).toEqual([1, 2, 3, 1])
    }).pipe(Effect.provide(t.layer))
  })

  it.effect("a 404 moves on without retrying, with suggestions from discovery", () => {
    const t = setup({
      activeProvider: "openai",
      activeModel: "gpt-4o-mni",
      providers: { openai: { fallbackModels: ["gpt-4o"] } },
      models: { openai: ["gpt-4o", "gpt-4o-mini", "o3-mini"] }
    })
    t.fake("openai").scriptModel("gpt-4o-mni", {
      error: new ModelNotFoundError({ provider: "openai", model: "gpt-4o-mni", ...err, status: 404, suggestions: [] })
    })
    return Effect.gen(function* () {
      const llm = yield* LLMOrchestrator
      const response = yield* llm.sendRequest(user("hi"))
      expect(attemptsOf(response.attempts)).toEqual([
        "openai/gpt-4o-mni:error:ModelNotFoundError",
        "openai/gpt-4o:success"
      ])
      // The final failure of a single-model chain carries the suggestions.
      t.fake("openai").scriptModel("gpt-4o-mni", {
        error: new ModelNotFoundError({ provider: "openai", model: "gpt-4o-mni", ...err, status: 404, suggestions: [] })
      })
      t.fake("openai").scriptModel("gpt-4o", {
        error: new ModelNotFoundError({ provider: "openai", model: "gpt-4o", ...err, status: 404, suggestions: [] })
      })
      const failure = yield* Effect.flip(llm.sendRequest(user("again")))
      expect(failure._tag).toBe("ModelNotFoundError")
      if (failure._tag === "ModelNotFoundError") expect(failure.suggestions).toContain("gpt-4o-mini")
    }).pipe(Effect.provide(t.layer))
  })

  it.effect("a 401 fails at once within the provider and moves to the cross-provider chain", () => {
    const t = setup({
      activeProvider: "openai",
      activeModel: "a",
      providers: { openai: { fallbackModels: ["b"] }, anthropic: {} },
      fallback: { chain: [{ provider: "anthropic", model: "claude-x" }] }
    })
    t.fake("openai").scriptModel("a", {
      error: new AuthenticationError({ provider: "openai", model: "a", ...err, status: 401 })
    })
    return Effect.gen(function* () {
      const llm = yield* LLMOrchestrator
      const response = yield* llm.sendRequest(user("hi"))
      expect(response.provider).toBe("anthropic")
      expect(attemptsOf(response.attempts)).toEqual([
        "openai/a:error:AuthenticationError",
        "anthropic/claude-x:success"
      ])
      expect(t.fake("openai").calls.map((c) => c.model)).toEqual(["a"]) // b shares the bad key: skipped
    }).pipe(Effect.provide(t.layer))
  })

  it.effect("a 401 with no other provider fails with the AuthenticationError", () => {
    const t = setup({ activeProvider: "openai", activeModel: "a", providers: { openai: { fallbackModels: ["b"] } } })
    t.fake("openai").scriptModel("a", { error: new AuthenticationError({ provider: "openai", model: "a", ...err }) })
    return Effect.gen(function* () {
      const llm = yield* LLMOrchestrator
      const failure = yield* Effect.flip(llm.sendRequest(user("hi")))
      expect(failure._tag).toBe("AuthenticationError")
      expect(t.fake("openai").calls).toHaveLength(1)
    }).pipe(Effect.provide(t.layer))
  })

  it.effect("400 invalid request and content filtered fail at once", () => {
    const t = setup({ activeProvider: "openai", activeModel: "a", providers: { openai: { fallbackModels: ["b"] } } })
    t.fake("openai").scriptModel(
      "a",
      { error: new InvalidRequestError({ provider: "openai", model: "a", ...err, status: 400 }) },
      { error: new ContentFilteredError({ provider: "openai", model: "a", ...err }) }
    )
    return Effect.gen(function* () {
      const llm = yield* LLMOrchestrator
      expect((yield* Effect.flip(llm.sendRequest(user("1"))))._tag).toBe("InvalidRequestError")
      expect((yield* Effect.flip(llm.sendRequest(user("2"))))._tag).toBe("ContentFilteredError")
      expect(t.fake("openai").calls.map((c) => c.model)).toEqual(["a", "a"])
    }).pipe(Effect.provide(t.layer))
  })

  it.effect("a content-filter finish with no text is a ContentFilteredError (billed once), plain and streamed", () => {
    const t = setup({ activeProvider: "openai", activeModel: "a", providers: { openai: { fallbackModels: ["b"] } } })
    t.fake("openai").scriptModel(
      "a",
      { text: "", finishReason: "content-filter", usage: { inputTokens: 7, outputTokens: 0 } },
      { text: "", finishReason: "content-filter", usage: { inputTokens: 9, outputTokens: 0 } }
    )
    return Effect.gen(function* () {
      const llm = yield* LLMOrchestrator
      const plain = yield* Effect.flip(llm.sendRequest(user("1")))
      expect(plain._tag).toBe("ContentFilteredError")
      const streamed = yield* Effect.flip(Stream.runCollect(llm.sendStreamingRequest(user("2"))))
      expect(streamed._tag).toBe("ContentFilteredError")
      expect(t.fake("openai").calls.map((c) => c.model)).toEqual(["a", "a"]) // no fallback by default
      expect(t.records.map((r) => [r.outcome, r.errorTag, r.usage.inputTokens])).toEqual([
        ["error", "ContentFilteredError", 7],
        ["error", "ContentFilteredError", 9]
      ])
    }).pipe(Effect.provide(t.layer))
  })

  it.effect("content filtered falls back when fallback.on_content_filter is set", () => {
    const t = setup({
      activeProvider: "openai",
      activeModel: "a",
      providers: { openai: { fallbackModels: ["b"] } },
      fallback: { onContentFilter: true }
    })
    t.fake("openai").scriptModel("a", { error: new ContentFilteredError({ provider: "openai", model: "a", ...err }) })
    return Effect.gen(function* () {
      const response = yield* (yield* LLMOrchestrator).sendRequest(user("1"))
      expect(response.model).toBe("b")
    }).pipe(Effect.provide(t.layer))
  })

  it.effect("a 3-model chain whose first two fail: the third answers and only its cost is recorded", () => {
    const t = setup({
      activeProvider: "openai",
      activeModel: "a",
      providers: { openai: { fallbackModels: ["b", "c"] } },
      retry: { maxAttempts: 1 }
    })
    t.fake("openai").scriptModel("a", { error: unavailable("a") })
    t.fake("openai").scriptModel("b", { error: rateLimited("b") })
    t.fake("openai").scriptModel("c", { text: "from c", usage: { inputTokens: 1000, outputTokens: 500 } })
    return Effect.gen(function* () {
      const response = yield* (yield* LLMOrchestrator).sendRequest({ ...user("hi"), metadata: { feature: "t" } })
      expect(response.model).toBe("c")
      expect(response.cost?.total).toBeCloseTo((1000 * 1 + 500 * 2) / 1e6, 12)
      expect(t.records).toHaveLength(1)
      expect(t.records[0]).toMatchObject({ model: "c", outcome: "success", attempt: 3, metadata: { feature: "t" } })
      expect(t.records[0]!.cost?.total).toBe(response.cost?.total)
    }).pipe(Effect.provide(t.layer))
  })

  it.effect("bad requests fail with InvalidRequestError before any call", () => {
    const t = setup({ activeProvider: "openai", activeModel: "a", providers: { openai: {} } })
    return Effect.gen(function* () {
      const llm = yield* LLMOrchestrator
      const cases = [
        { messages: [] },
        { messages: [{ role: "robot", content: "x" }] },
        { messages: [{ role: "user", content: "x" }], maxTokens: -5 },
        { messages: [{ role: "user", content: "x" }], temperature: 7 },
        { messages: [{ role: "system", content: "only system" }] }
      ]
      for (const bad of cases) {
        const failure = yield* Effect.flip(llm.sendRequest(bad as never))
        expect(failure._tag).toBe("InvalidRequestError")
        expect(failure.message).toMatch(/^invalid request: request\./)
      }
      expect(t.fake("openai").calls).toHaveLength(0)
    }).pipe(Effect.provide(t.layer))
  })

  it.effect("a spent budget fails with BudgetExceededError before anything is sent", () => {
    const t = setup({ activeProvider: "openai", activeModel: "a", providers: { openai: {} }, budgetUsd: 0.000001 })
    t.fake("openai").script({ text: "x", usage: { inputTokens: 1000, outputTokens: 1000 } })
    return Effect.gen(function* () {
      const llm = yield* LLMOrchestrator
      yield* llm.sendRequest(user("first"))
      const failure = yield* Effect.flip(llm.sendRequest(user("second")))
      expect(failure._tag).toBe("BudgetExceededError")
      expect(t.fake("openai").calls).toHaveLength(1)
    }).pipe(Effect.provide(t.layer))
  })
})

describe("circuit breaker", () => {
  it.effect("after the threshold the broken model is skipped until the cool-down passes", () => {
    const t = setup({
      activeProvider: "openai",
      activeModel: "a",
      providers: { openai: { fallbackModels: ["b"] } },
      retry: { maxAttempts: 1 },
      circuitBreaker: { failureThreshold: 2, cooldownMs: 30_000 }
    })
    t.fake("openai").scriptModel("a", { error: unavailable("a") }, { error: unavailable("a") })
    return Effect.gen(function* () {
      const llm = yield* LLMOrchestrator
      yield* llm.sendRequest(user("1"))
      yield* llm.sendRequest(user("2")) // second consecutive failure opens the breaker
      const callsBefore = t.fake("openai").calls.filter((c) => c.model === "a").length
      const skipped = yield* llm.sendRequest(user("3"))
      expect(attemptsOf(skipped.attempts)).toEqual(["openai/a:skipped:CircuitOpen", "openai/b:success"])
      expect(t.fake("openai").calls.filter((c) => c.model === "a")).toHaveLength(callsBefore)
      yield* TestClock.adjust("30001 millis")
      const healed = yield* llm.sendRequest(user("4"))
      expect(attemptsOf(healed.attempts)).toEqual(["openai/a:success"])
    }).pipe(Effect.provide(t.layer))
  })

  it.effect("only consecutive failures count: a success in between resets the count, so the breaker stays shut", () => {
    const t = setup({
      activeProvider: "openai",
      activeModel: "a",
      providers: { openai: { fallbackModels: ["b"] } },
      retry: { maxAttempts: 1 },
      circuitBreaker: { failureThreshold: 2, cooldownMs: 30_000 }
    })
    t.fake("openai").scriptModel(
      "a",
      { error: unavailable("a") },
      { text: "ok" },
      { error: unavailable("a") },
      { text: "still tried" }
    )
    return Effect.gen(function* () {
      const llm = yield* LLMOrchestrator
      const first = yield* llm.sendRequest(user("1"))
      const second = yield* llm.sendRequest(user("2"))
      const third = yield* llm.sendRequest(user("3"))
      const fourth = yield* llm.sendRequest(user("4"))
      expect([first, second, third, fourth].map((r) => attemptsOf(r.attempts))).toEqual([
        ["openai/a:error:ProviderUnavailableError", "openai/b:success"],
        ["openai/a:success"],
        ["openai/a:error:ProviderUnavailableError", "openai/b:success"],
        ["openai/a:success"] // two failures in all, never two in a row: not skipped
      ])
      expect(fourth.content).toBe("still tried")
    }).pipe(Effect.provide(t.layer))
  })

  it.effect("when every model is cooling, the least recently failed one is still tried", () => {
    const t = setup({
      activeProvider: "openai",
      activeModel: "a",
      providers: { openai: { fallbackModels: ["b"] } },
      retry: { maxAttempts: 1 },
      circuitBreaker: { failureThreshold: 1, cooldownMs: 60_000 }
    })
    t.fake("openai").scriptModel("a", { error: unavailable("a") })
    t.fake("openai").scriptModel("b", { error: unavailable("b") })
    return Effect.gen(function* () {
      const llm = yield* LLMOrchestrator
      yield* TestClock.adjust("1 second")
      yield* Effect.flip(llm.sendRequest(user("1"))) // a fails, then b fails (b later)
      const response = yield* llm.sendRequest(user("2"))
      expect(attemptsOf(response.attempts)).toEqual(["openai/a:success"])
    }).pipe(Effect.provide(t.layer))
  })
})

describe("circuit breaker: which cooling model is tried", () => {
  it.effect("all cooling: the oldest failure is tried; failing again below the threshold keeps its cool-down", () => {
    const t = setup({
      activeProvider: "openai",
      activeModel: "a",
      providers: { openai: { fallbackModels: ["b"] } },
      retry: { maxAttempts: 1 },
      circuitBreaker: { failureThreshold: 2, cooldownMs: 60_000 }
    })
    const fails = (model: string, n: number) => Array.from({ length: n }, () => ({ error: unavailable(model) }))
    t.fake("openai").scriptModel("a", ...fails("a", 3), { text: "a answers" })
    t.fake("openai").scriptModel("b", ...fails("b", 2), { text: "b answers" })
    return Effect.gen(function* () {
      const llm = yield* LLMOrchestrator
      yield* TestClock.adjust("1 second")
      yield* Effect.flip(llm.sendRequest(user("1"))) // a and b fail once
      yield* Effect.flip(llm.sendRequest(user("2"))) // and again: both open until 61 s
      yield* TestClock.adjust("9 seconds")
      // All cooling, equal failure times: the first is tried, fails again at 10 s (one failure: not
      // enough to reopen, and its cool-down to 61 s must not be forgotten).
      yield* Effect.flip(llm.sendRequest(user("3")))
      yield* TestClock.adjust("10 seconds")
      // 20 s: both still cooling; b failed longest ago (1 s against 10 s), so b is tried, not a.
      const fourth = yield* llm.sendRequest(user("4"))
      expect(attemptsOf(fourth.attempts)).toEqual(["openai/b:success"])
      expect(t.fake("openai").calls.map((c) => c.model)).toEqual(["a", "b", "a", "b", "a", "b"])
    }).pipe(Effect.provide(t.layer))
  })
})

describe("streaming", () => {
  it.effect("an error before the first chunk falls back: only the fallback model's text arrives", () => {
    const t = setup({ activeProvider: "openai", activeModel: "a", providers: { openai: { fallbackModels: ["b"] } } })
    t.fake("openai").scriptModel("a", {
      error: new ModelNotFoundError({ provider: "openai", model: "a", ...err, suggestions: [] })
    })
    t.fake("openai").scriptModel("b", { text: "only b speaks", chunks: 3 })
    return Effect.gen(function* () {
      const events = yield* Stream.runCollect((yield* LLMOrchestrator).sendStreamingRequest(user("hi")))
      const text = events.flatMap((e) => (e._tag === "TextDelta" ? [e.text] : [])).join("")
      expect(text).toBe("only b speaks")
      const finish = events.at(-1)
      expect(finish?._tag).toBe("Finish")
      if (finish?._tag === "Finish") {
        expect(finish.model).toBe("b")
        expect(attemptsOf(finish.attempts)).toEqual(["openai/a:error:ModelNotFoundError", "openai/b:success"])
      }
      expect(events.filter((e) => e._tag === "Finish")).toHaveLength(1)
      expect(t.records.map((r) => `${r.model}:${r.outcome}`)).toEqual(["b:success"])
    }).pipe(Effect.provide(t.layer))
  })

  it.effect("an error after 3 chunks ends the stream with it: no fallback, partial usage recorded once", () => {
    const t = setup({ activeProvider: "openai", activeModel: "a", providers: { openai: { fallbackModels: ["b"] } } })
    t.fake("openai").scriptModel("a", {
      text: "one two three four five",
      failAfterChunks: 3,
      error: unavailable("a"),
      usage: { inputTokens: 40 }
    })
    return Effect.gen(function* () {
      const seen: Array<string> = []
      const failure = yield* Effect.flip(
        Stream.runForEach((yield* LLMOrchestrator).sendStreamingRequest(user("hi")), (e) =>
          Effect.sync(() => e._tag === "TextDelta" && seen.push(e.text))
        )
      )
      expect(failure._tag).toBe("ProviderUnavailableError")
      expect(seen).toEqual(["one ", "two ", "three "])
      expect(t.fake("openai").calls.map((c) => c.model)).toEqual(["a"])
      expect(t.records).toHaveLength(1)
      expect(t.records[0]).toMatchObject({ model: "a", outcome: "error", errorTag: "ProviderUnavailableError" })
      expect(t.records[0]!.usage).toMatchObject({ inputTokens: 40, outputTokens: 3 })
    }).pipe(Effect.provide(t.layer))
  })

  it.effect("a consumer that stops early records one interrupted entry with the usage known then", () => {
    const t = setup({ activeProvider: "openai", activeModel: "a", providers: { openai: {} } })
    t.fake("openai").scriptModel("a", {
      text: "one two three four five",
      failAfterChunks: 5,
      error: unavailable("a"),
      usage: { inputTokens: 12 }
    })
    return Effect.gen(function* () {
      const events = yield* Stream.runCollect(Stream.take((yield* LLMOrchestrator).sendStreamingRequest(user("hi")), 3))
      expect(events).toHaveLength(3)
      expect(t.records).toHaveLength(1)
      expect(t.records[0]).toMatchObject({ outcome: "interrupted", usage: { inputTokens: 12, outputTokens: 5 } })
    }).pipe(Effect.provide(t.layer))
  })
})

describe("discovery", () => {
  it.effect("validation rejects an unlisted model with suggestions and moves on; aliases of dated ids pass", () => {
    const t = setup({
      activeProvider: "anthropic",
      activeModel: "claude-sonet-4-5",
      providers: { anthropic: { fallbackModels: ["claude-sonnet-4-5"] } },
      discovery: { validate: true },
      models: { anthropic: ["claude-sonnet-4-5-20250929", "claude-haiku-4-5-20251001", "claude-opus-4-1-20250805"] }
    })
    return Effect.gen(function* () {
      const response = yield* (yield* LLMOrchestrator).sendRequest(user("hi"))
      expect(attemptsOf(response.attempts)).toEqual([
        "anthropic/claude-sonet-4-5:error:ModelNotFoundError",
        "anthropic/claude-sonnet-4-5:success"
      ])
      expect(t.fake("anthropic").calls.map((c) => c.model)).toEqual(["claude-sonnet-4-5"])
    }).pipe(Effect.provide(t.layer))
  })

  it.effect("concurrent first calls share one listing; the TTL and refreshModels list again", () => {
    const t = setup({
      activeProvider: "openai",
      activeModel: "a",
      providers: { openai: {} },
      discovery: { ttlMs: 60_000 },
      models: { openai: ["a", "b"] }
    })
    return Effect.gen(function* () {
      const llm = yield* LLMOrchestrator
      const lists = yield* Effect.all(
        [1, 2, 3, 4].map(() => llm.getAvailableModels("openai")),
        { concurrency: "unbounded" }
      )
      expect(lists.map((l) => l.map((m) => m.id))).toEqual([
        ["a", "b"],
        ["a", "b"],
        ["a", "b"],
        ["a", "b"]
      ])
      expect(lists[0]![0]!.price).toEqual({ input: 1, output: 2 }) // merged from Pricing
      expect(t.fake("openai").listCalls).toBe(1)
      yield* TestClock.adjust("61 seconds")
      yield* llm.getAvailableModels()
      expect(t.fake("openai").listCalls).toBe(2)
      yield* llm.refreshModels("openai")
      expect(t.fake("openai").listCalls).toBe(3)
      const notConfigured = yield* Effect.flip(llm.getAvailableModels("bedrock"))
      expect(notConfigured.message).toContain("add providers.bedrock")
    }).pipe(Effect.provide(t.layer))
  })
})

describe("usage of streams cut before the provider reported any", () => {
  it.effect("is estimated from the text (about 4 characters a token) and flagged", () => {
    const t = setup({ activeProvider: "openai", activeModel: "a", providers: { openai: {} } })
    return Effect.gen(function* () {
      const llm = yield* LLMOrchestrator
      // A provider that reports usage last (like OpenAI): nothing known when the consumer stops.
      t.fake("openai").scriptModel("a", { text: "12345678abcd", chunks: ["12345678", "abcd", "tail"], usage: {} })
      const events = yield* Stream.runCollect(Stream.take(llm.sendStreamingRequest(user("sixteen chars!!!")), 2))
      expect(events).toHaveLength(2)
      expect(t.records).toHaveLength(1)
      expect(t.records[0]).toMatchObject({ outcome: "interrupted", usageEstimated: true })
      expect(t.records[0]!.usage).toMatchObject({ inputTokens: 4, outputTokens: 3 })
    }).pipe(Effect.provide(t.layer))
  })
})
