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
  LLMOrchestrator,
  ModelNotFoundError,
  ProviderUnavailableError
} from "@llm-orchestrator/core"
import { Effect, Fiber, Stream } from "effect"
import { TestClock } from "effect/testing"
import { setup, user } from "./orchestrator-helpers.ts"

const err = { message: "scripted" }
const unavailable = (model: string) => new ProviderUnavailableError({ provider: "openai", model, ...err, status: 503 })
const attemptsOf = (attempts: ReadonlyArray<{ provider: string; model: string; outcome: string; errorTag?: string }>) =>
  attempts.map((a) => `${a.provider}/${a.model}:${a.outcome}${a.errorTag ? `:${a.errorTag}` : ""}`)

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
