// @ts-nocheck
/**
 * Orchestrator rules Stryker found no test for (README "Mutation testing"): which failures count for
 * the circuit breaker, the chain a request naming the active model gets, a content filter after some
 * text, the attempt number and latency of a billed failure, the deadline's and the 404's messages.
 */
import { describe, expect, it } from "@effect/vitest"
import {
  AuthenticationError,
  ContentFilteredError,
  emptyUsage,
  LLMOrchestrator,
  ModelNotFoundError,
  type ProviderFinish,
  type StreamEvent
} from "@llm-orchestrator/core"
import { type FakeStep, makeFakeProvider } from "@llm-orchestrator/testing"
import { Data, Effect, Fiber, Layer, Stream } from "effect"
import { TestClock } from "effect/testing"
import { attemptsOf, err, setup, testCost, unavailable, user } from "./orchestrator-helpers.ts"

describe("orchestrator rules", () => {
  it.effect("only retryable failures count for the circuit breaker: a rejected key never opens it", () => {
    const t = setup({
      activeProvider: "openai",
      activeModel: "a",
      providers: { openai: { fallbackModels: ["b"] } },
      retry: { maxAttempts: 1 },
      circuitBreaker: { failureThreshold: 1, cooldownMs: 60_000 }
    })
    t.fake("openai").scriptModel("a", {
      error: new AuthenticationError({ provider: "openai", model: "a", ...err, status: 401 })
    })
    return Effect.gen(function* () {
      const llm = yield* LLMOrchestrator
      yield* Effect.flip(llm.sendRequest(user("1")))
      const second = yield* llm.sendRequest(user("2"))
      expect(attemptsOf(second.attempts)).toEqual(["openai/a:success"])
    }).pipe(Effect.provide(t.layer))
  })

  it.effect(
    "a request naming the active model gets the configured fallbacks; with none configured, only its model",
    () => {
      const withFallback = setup({
        activeProvider: "openai",
        activeModel: "a",
        providers: { openai: { fallbackModels: ["b"] } },
        retry: { maxAttempts: 1 }
      })
      withFallback.fake("openai").scriptModel("a", { error: unavailable("a") })
      const alone = setup({
        activeProvider: "openai",
        activeModel: "a",
        providers: { openai: {} },
        retry: { maxAttempts: 1 }
      })
      alone.fake("openai").scriptModel("a", { error: unavailable("a") })
      return Effect.gen(function* () {
        const named = yield* LLMOrchestrator.use((llm) => llm.sendRequest({ ...user("hi"), model: "a" })).pipe(
          Effect.provide(withFallback.layer)
        )
        expect(attemptsOf(named.attempts)).toEqual(["openai/a:error:ProviderUnavailableError", "openai/b:success"])
        const failure = yield* Effect.flip(LLMOrchestrator.use((llm) => llm.sendRequest(user("hi")))).pipe(
          Effect.provide(alone.layer)
        )
        expect(failure._tag).toBe("ProviderUnavailableError")
        expect(alone.fake("openai").calls.map((c) => c.model)).toEqual(["a"])
      })
    }
  )

  it.effect("a content filter after some text is an answer (finishReason content-filter), not an error", () => {
    const t = setup({ activeProvider: "openai", activeModel: "a", providers: { openai: { fallbackModels: ["b"] } } })
    t.fake("openai").scriptModel("a", { text: "partial", finishReason: "content-filter" })
    return Effect.gen(function* () {
      const response = yield* LLMOrchestrator.use((llm) => llm.sendRequest(user("hi")))
      expect([response.model, response.content, response.finishReason]).toEqual(["a", "partial", "content-filter"])
    }).pipe(Effect.provide(t.layer))
  })

  it.effect("a content filter before any text names the provider, the model and what to do", () => {
    const t = setup({
      activeProvider: "openai",
      activeModel: "a",
      providers: { openai: {} },
      retry: { maxAttempts: 1 }
    })
    t.fake("openai").scriptModel("a", { text: "", finishReason: "content-filter" })
    return Effect.gen(function* () {
      const failure = yield* Effect.flip(LLMOrchestrator.use((llm) => llm.sendRequest(user("hi"))))
      expect(failure).toBeInstanceOf(ContentFilteredError)
      expect(failure.message).toMatch(/^openai model a returned no text: its safety filter block/)
    }).pipe(Effect.provide(t.layer))
  })

  it.effect(
    "a stream attempt that reported usage and then failed is billed as its own attempt, with its own latency",
    () => {
      const t = setup({
        activeProvider: "openai",
        activeModel: "a",
        providers: { openai: {} },
        retry: { maxAttempts: 2 }
      })
      t.fake("openai").scriptModel(
        "a",
        { text: "never", failAfterChunks: 0, error: unavailable("a"), usage: { inputTokens: 40 } },
        { text: "second try" }
      )
      return Effect.gen(function* () {
        yield* TestClock.adjust("1 second") // the clock is not at 0, so a latency is a difference
        const fiber = yield* Effect.forkChild(
          Stream.runCollect(
            LLMOrchestrator.use((llm) => Effect.succeed(llm.sendStreamingRequest(user("hi")))).pipe(Stream.unwrap)
          )
        )
        yield* TestClock.adjust("10 seconds")
        yield* Fiber.await(fiber)
        expect(t.records.map((r) => [r.attempt, r.outcome, r.errorTag, r.usage.inputTokens, r.latencyMs])).toEqual([
          [1, "error", "ProviderUnavailableError", 40, 0],
          [2, "success", undefined, expect.any(Number), 0]
        ])
      }).pipe(Effect.provide(t.layer))
    }
  )

  it.effect(
    "a 404 answered with discovery's suggestions says so in its message; without suggestions it is unchanged",
    () => {
      const t = setup({
        activeProvider: "openai",
        activeModel: "gpt-4o-mni",
        providers: { openai: {} },
        models: { openai: ["gpt-4o", "gpt-4o-mini"] }
      })
      const notFound = (model: string) =>
        new ModelNotFoundError({
          provider: "openai",
          model,
          message: `model ${model} not found`,
          status: 404,
          suggestions: []
        })
      t.fake("openai").scriptModel("gpt-4o-mni", { error: notFound("gpt-4o-mni") })
      t.fake("openai").scriptModel("zzzzzzzz", { error: notFound("zzzzzzzz") })
      return Effect.gen(function* () {
        const llm = yield* LLMOrchestrator
        const suggested = yield* Effect.flip(llm.sendRequest(user("hi")))
        expect(suggested.message).toBe("model gpt-4o-mni not found; did you mean gpt-4o, gpt-4o-mini?")
        const none = yield* Effect.flip(llm.sendRequest({ ...user("hi"), model: "zzzzzzzz" }))
        expect([none.message, none.suggestions]).toEqual(["model zzzzzzzz not found", []])
      }).pipe(Effect.provide(t.layer))
    }
  )
})

describe("the request deadline's error", () => {
  it.live("names the deadline, the attempts so far and the last model tried", () => {
    const t = setup({
      activeProvider: "openai",
      activeModel: "a",
      providers: { openai: { fallbackModels: ["b", "c", "d"] } },
      retry: { maxAttempts: 1 },
      requestTimeoutMs: 200
    })
    t.fake("openai").scriptModel("a", { error: unavailable("a") })
    t.fake("openai").scriptModel("b", { error: unavailable("b") })
    t.fake("openai").scriptModel("c", { error: unavailable("c") })
    t.fake("openai").scriptModel("d", { text: "too late", delayMs: 60_000 })
    return Effect.gen(function* () {
      const failure = yield* Effect.flip(LLMOrchestrator.use((llm) => llm.sendRequest(user("hi"))))
      expect([failure._tag, failure.provider, failure.model, failure.timeoutMs]).toEqual([
        "TimeoutError",
        "openai",
        "c",
        200
      ])
      expect(failure.message).toBe(
        "the request did not complete within its 200 ms deadline (request_timeout), retries and fallbacks included (attempts so far: openai/a ProviderUnavailableError, openai/b ProviderUnavailableError, openai/c ProviderUnavailableError); raise request_timeout, or set it to none"
      )
    }).pipe(Effect.provide(t.layer))
  })

  it.live("for a stream, says it did not start streaming text; with no attempt ended yet, no attempt list", () => {
    const t = setup({ activeProvider: "openai", activeModel: "a", providers: { openai: {} }, requestTimeoutMs: 100 })
    t.fake("openai").scriptModel("a", { text: "too late", delayMs: 60_000 })
    return Effect.gen(function* () {
      const failure = yield* Effect.flip(
        Stream.runCollect(
          Stream.unwrap(LLMOrchestrator.use((llm) => Effect.succeed(llm.sendStreamingRequest(user("hi")))))
        )
      )
      expect(failure.message).toBe(
        "the request did not start streaming text within its 100 ms deadline (request_timeout), retries and fallbacks included; raise request_timeout, or set it to none"
      )
    }).pipe(Effect.provide(t.layer))
  })
})

/** The orchestrator over a fake whose streams are exactly the scripted provider events. */
const withStreams = (...steps: ReadonlyArray<FakeStep>) => {
  const t = setup({ activeProvider: "openai", activeModel: "a", providers: { openai: {} }, retry: { maxAttempts: 1 } })
  t.fake("openai").script(...steps)
  return t
}
const usage40 = { ...emptyUsage, inputTokens: 40, outputTokens: 0 }
const finish = (fields: Partial<ProviderFinish> = {}): ProviderFinish => ({
  _tag: "ProviderFinish",
  finishReason: "stop",
  usage: { ...emptyUsage, inputTokens: 40, outputTokens: 2 },
  model: "a",
  ...fields
})
const streamOf = (request = user("hi")) =>
  Stream.unwrap(LLMOrchestrator.use((llm) => Effect.succeed(llm.sendStreamingRequest(request))))
const shapeOf = (events: Iterable<StreamEvent>) =>
  Array.from(events, (e) => (e._tag === "TextDelta" ? e.text : `${e._tag}:${e.finishReason}:${e.model}`))

describe("the public stream", () => {
  it.effect("a content filter in the same chunk as the first text is an answer, not an error", () => {
    const t = withStreams({
      events: [[{ _tag: "TextDelta", text: "partial" }, finish({ finishReason: "content-filter" })]]
    })
    return Effect.gen(function* () {
      const events = yield* Stream.runCollect(streamOf())
      expect(shapeOf(events)).toEqual(["partial", "Finish:content-filter:a"])
      expect(t.records.map((r) => r.outcome)).toEqual(["success"])
    }).pipe(Effect.provide(t.layer))
  })

  it.effect("a content filter before any text fails with the provider's request id, billed once", () => {
    const t = withStreams({ events: [[finish({ finishReason: "content-filter", requestId: "req-9" })]] })
    return Effect.gen(function* () {
      const failure = yield* Effect.flip(Stream.runCollect(streamOf()))
      expect([failure._tag, failure.requestId]).toEqual(["ContentFilteredError", "req-9"])
      expect(t.records.map((r) => [r.outcome, r.errorTag, r.providerRequestId])).toEqual([
        ["error", "ContentFilteredError", "req-9"]
      ])
    }).pipe(Effect.provide(t.layer))
  })

  it.effect("never shows an empty text delta, before or after the first text", () => {
    const t = withStreams({
      events: [
        [{ _tag: "TextDelta", text: "" }],
        [{ _tag: "TextDelta", text: "a" }],
        [{ _tag: "TextDelta", text: "" }],
        [finish()]
      ]
    })
    return Effect.gen(function* () {
      expect(shapeOf(yield* Stream.runCollect(streamOf()))).toEqual(["a", "Finish:stop:a"])
    }).pipe(Effect.provide(t.layer))
  })

  it.effect(
    "Finish names the model the provider reported (the requested one when it reports none) and its request id",
    () => {
      const t = withStreams(
        { events: [[{ _tag: "TextDelta", text: "x" }, finish({ model: "a-2024-06", requestId: "req-1" })]] },
        { events: [[{ _tag: "TextDelta", text: "y" }, finish({ model: "" })]] }
      )
      return Effect.gen(function* () {
        const reported = Array.from(yield* Stream.runCollect(streamOf())).at(-1)
        expect([reported.model, reported.requestId]).toEqual(["a-2024-06", "req-1"])
        const unnamed = Array.from(yield* Stream.runCollect(streamOf())).at(-1)
        expect([unnamed.model, "requestId" in unnamed]).toEqual(["a", false])
      }).pipe(Effect.provide(t.layer))
    }
  )

  it.effect(
    "a provider stream that ends after usage but before any text or finish is billed once, as interrupted",
    () => {
      const t = withStreams({ events: [[{ _tag: "UsageSnapshot", usage: usage40 }]] })
      return Effect.gen(function* () {
        expect(Array.from(yield* Stream.runCollect(streamOf()))).toEqual([])
        expect(t.records.map((r) => [r.attempt, r.outcome, r.usage.inputTokens, r.usageEstimated])).toEqual([
          [1, "interrupted", 40, undefined]
        ])
      }).pipe(Effect.provide(t.layer))
    }
  )

  it.effect("nothing consumed, nothing billed: an empty request whose stream ends with nothing has no record", () => {
    const t = withStreams({ events: [] })
    return Effect.gen(function* () {
      expect(Array.from(yield* Stream.runCollect(streamOf(user(""))))).toEqual([])
      expect(t.records).toEqual([])
    }).pipe(Effect.provide(t.layer))
  })

  it.effect(
    "interrupted before its first text after reporting usage: billed once, attempt 1, with its own latency",
    () => {
      const t = withStreams({ events: [[{ _tag: "UsageSnapshot", usage: usage40 }]], hang: true })
      return Effect.gen(function* () {
        yield* TestClock.adjust("1 second") // the clock is not at 0, so a latency is a difference
        const fiber = yield* Effect.forkChild(Stream.runCollect(streamOf()))
        yield* TestClock.adjust("5 seconds")
        yield* Fiber.interrupt(fiber)
        expect(t.records.map((r) => [r.attempt, r.outcome, r.usage.inputTokens, r.latencyMs])).toEqual([
          [1, "interrupted", 40, 5000]
        ])
      }).pipe(Effect.provide(t.layer))
    }
  )

  it.effect("a consumer that fails after the first text ends the attempt as an error named by its failure", () => {
    class ConsumerGaveUp extends Data.TaggedError("ConsumerGaveUp") {}
    const t = withStreams({
      events: [[{ _tag: "TextDelta", text: "x" }], [{ _tag: "UsageSnapshot", usage: usage40 }], [finish()]]
    })
    return Effect.gen(function* () {
      const failure = yield* Effect.flip(
        Stream.runCollect(streamOf().pipe(Stream.mapEffect(() => Effect.fail(new ConsumerGaveUp()))))
      )
      expect(failure._tag).toBe("ConsumerGaveUp")
      expect(t.records.map((r) => [r.outcome, r.errorTag])).toEqual([["error", "ConsumerGaveUp"]])
    }).pipe(Effect.provide(t.layer))
  })
})

describe("options and configuration", () => {
  it.effect("a model id that would leave the URL path fails the layer with the key, the provider and the rule", () =>
    Effect.gen(function* () {
      const failure = yield* Effect.flip(
        Layer.build(setup({ activeProvider: "openai", activeModel: "../admin", providers: { openai: {} } }).layer)
      )
      expect(failure._tag).toBe("ConfigError")
      expect(failure.message).toBe(
        "activeModel: is not a valid openai model id: it must start with a letter or a digit; model ids are 1 to 256 characters: letters, digits and . _ - : @ /, starting with a letter or a digit"
      )
    }).pipe(Effect.scoped)
  )

  it.effect("a provider set to undefined is not configured: the others answer, listing it says so", () => {
    const fake = makeFakeProvider({ id: "openai" })
    const layer = LLMOrchestrator.layer({
      activeProvider: "openai",
      activeModel: "a",
      providers: { openai: { layer: fake.layer, fallbackModels: ["b"] }, anthropic: undefined }
    }).pipe(Layer.provide(testCost([])))
    return Effect.gen(function* () {
      const llm = yield* LLMOrchestrator
      expect((yield* llm.sendRequest(user("hi"))).content).toBe("Hello from openai a.")
      const failure = yield* Effect.flip(llm.getAvailableModels("anthropic"))
      expect([failure._tag, failure.provider, failure.model, failure.message]).toEqual([
        "InvalidRequestError",
        "anthropic",
        "",
        "provider anthropic is not configured; add providers.anthropic to the config (configured: openai)"
      ])
    }).pipe(Effect.provide(layer))
  })

  it.effect("an active provider with no layer leaves nothing to try: a clear error, nothing sent", () => {
    const fake = makeFakeProvider({ id: "openai" })
    const layer = LLMOrchestrator.layer({
      activeProvider: "anthropic",
      activeModel: "claude-x",
      providers: { openai: { layer: fake.layer } }
    }).pipe(Layer.provide(testCost([])))
    return Effect.gen(function* () {
      const failure = yield* Effect.flip(LLMOrchestrator.use((llm) => llm.sendRequest(user("hi"))))
      expect([failure._tag, failure.provider, failure.model, failure.message]).toEqual([
        "InvalidRequestError",
        "anthropic",
        "claude-x",
        "no model to try: the chain is empty; configure providers.anthropic"
      ])
      expect(fake.calls).toEqual([])
    }).pipe(Effect.provide(layer))
  })

  it.live("request_timeout 0 turns the deadline off: a slow answer is not cut", () => {
    const t = setup({ activeProvider: "openai", activeModel: "a", providers: { openai: {} }, requestTimeoutMs: 0 })
    t.fake("openai").scriptModel("a", { text: "slow", delayMs: 30 })
    return Effect.gen(function* () {
      expect((yield* LLMOrchestrator.use((llm) => llm.sendRequest(user("hi")))).content).toBe("slow")
    }).pipe(Effect.provide(t.layer))
  })
})

describe("times and attempts", () => {
  it.effect("attempt durations and the response latency are differences on the clock", () => {
    const t = setup({
      activeProvider: "openai",
      activeModel: "a",
      providers: { openai: { fallbackModels: ["b"] } },
      retry: { maxAttempts: 1 }
    })
    t.fake("openai").scriptModel("a", { error: unavailable("a") })
    t.fake("openai").scriptModel("b", { text: "late", delayMs: 250 })
    return Effect.gen(function* () {
      yield* TestClock.adjust("1 second")
      const fiber = yield* Effect.forkChild(LLMOrchestrator.use((llm) => llm.sendRequest(user("hi"))))
      yield* TestClock.adjust("250 millis")
      const response = yield* Fiber.join(fiber)
      expect(response.attempts.map((a) => [a.model, a.outcome, a.durationMs])).toEqual([
        ["a", "error", 0],
        ["b", "success", 250]
      ])
      expect(response.latencyMs).toBe(250)
    }).pipe(Effect.provide(t.layer))
  })

  it.effect("a 404 that already carries suggestions keeps its message (no second 'did you mean')", () => {
    const t = setup({
      activeProvider: "openai",
      activeModel: "gpt-4o-mni",
      providers: { openai: {} },
      models: { openai: ["gpt-4o", "gpt-4o-mini"] }
    })
    const message = "model gpt-4o-mni not found; did you mean gpt-4o-mini?"
    t.fake("openai").scriptModel("gpt-4o-mni", {
      error: new ModelNotFoundError({
        provider: "openai",
        model: "gpt-4o-mni",
        message,
        status: 404,
        suggestions: ["gpt-4o-mini"]
      })
    })
    return Effect.gen(function* () {
      const failure = yield* Effect.flip(LLMOrchestrator.use((llm) => llm.sendRequest(user("hi"))))
      expect([failure.message, failure.suggestions]).toEqual([message, ["gpt-4o-mini"]])
    }).pipe(Effect.provide(t.layer))
  })

  it.live("the deadline's attempt list leaves out models skipped by an open circuit breaker", () => {
    const t = setup({
      activeProvider: "openai",
      activeModel: "a",
      providers: { openai: { fallbackModels: ["b"] } },
      retry: { maxAttempts: 1 },
      circuitBreaker: { failureThreshold: 1, cooldownMs: 60_000 },
      requestTimeoutMs: 100
    })
    t.fake("openai").scriptModel("a", { error: unavailable("a") })
    t.fake("openai").scriptModel("b", { text: "first" }, { text: "too late", delayMs: 60_000 })
    return Effect.gen(function* () {
      const llm = yield* LLMOrchestrator
      yield* llm.sendRequest(user("opens a's breaker"))
      const failure = yield* Effect.flip(llm.sendRequest(user("hi")))
      expect(failure.message).toBe(
        "the request did not complete within its 100 ms deadline (request_timeout), retries and fallbacks included; raise request_timeout, or set it to none"
      )
    }).pipe(Effect.provide(t.layer))
  })
})

describe("a plain call's cost record", () => {
  it.effect("has the attempt's own latency, a difference on the clock", () => {
    const t = setup({ activeProvider: "openai", activeModel: "a", providers: { openai: {} } })
    t.fake("openai").scriptModel("a", { text: "late", delayMs: 250 })
    return Effect.gen(function* () {
      yield* TestClock.adjust("1 second")
      const fiber = yield* Effect.forkChild(LLMOrchestrator.use((llm) => llm.sendRequest(user("hi"))))
      yield* TestClock.adjust("250 millis")
      yield* Fiber.join(fiber)
      expect(t.records.map((r) => [r.outcome, r.latencyMs])).toEqual([["success", 250]])
    }).pipe(Effect.provide(t.layer))
  })
})
