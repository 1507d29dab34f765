/**
 * docs/ARCHITECTURE.md, "The request's path" through the real SDKs against the simulators: the retry and fallback scenarios of
 * the orchestrator issue, each asserting the exact attempts list, the simulator's requests, and the
 * cost log.
 */
import { describe, expect, it } from "@effect/vitest"
import { Clock, Effect, Fiber, Stream } from "effect"
import { TestClock } from "effect/testing"
import { LLMOrchestrator } from "llm-orchestrator"
import { fleetOrchestrator, readLog, sleepRecordingClock, untilLive, user } from "./support.ts"

const attemptsOf = (attempts: ReadonlyArray<{ provider: string; model: string; outcome: string; errorTag?: string }>) =>
  attempts.map((a) => `${a.provider}/${a.model}:${a.outcome}${a.errorTag ? `:${a.errorTag}` : ""}`)
const modelsCalled = (requests: ReadonlyArray<{ model: string | undefined; kind: string }>) =>
  requests.filter((r) => r.kind !== "models").map((r) => r.model)

describe("fallback through the real SDKs", () => {
  it.effect("429 with Retry-After 1 s: one retry on the same model, 1 s later on the TestClock, then it answers", () =>
    Effect.gen(function* () {
      const { fleet, layer } = yield* fleetOrchestrator()
      fleet.openai.scriptModel("gpt-4o-mini", { kind: "error", fault: "rate-limit", retryAfterSeconds: 1 })
      const { clock, sleeps } = yield* sleepRecordingClock
      const fiber = yield* LLMOrchestrator.use((llm) => llm.sendRequest(user("hi"))).pipe(
        Effect.provide(layer),
        Effect.provideService(Clock.Clock, clock),
        Effect.forkChild
      )
      // The 429 came back over the socket and the orchestrator sleeps: the Retry-After, not the 10 ms backoff.
      yield* untilLive("the retry's sleep", () => sleeps.length > 0)
      expect(sleeps).toEqual([1000])
      expect(modelsCalled(fleet.openai.requests)).toEqual(["gpt-4o-mini"])
      yield* TestClock.adjust("999 millis")
      yield* TestClock.withLive(Effect.sleep("50 millis")) // time for an early retry to reach the simulator
      expect(fiber.pollUnsafe()).toBeUndefined()
      expect(modelsCalled(fleet.openai.requests)).toEqual(["gpt-4o-mini"])
      yield* TestClock.adjust("1 millis")
      const response = yield* Fiber.join(fiber)
      expect(attemptsOf(response.attempts)).toEqual([
        "openai/gpt-4o-mini:error:RateLimitError",
        "openai/gpt-4o-mini:success"
      ])
      expect(modelsCalled(fleet.openai.requests)).toEqual(["gpt-4o-mini", "gpt-4o-mini"])
    }).pipe(Effect.scoped)
  )

  it.effect("429 with Retry-After 120 s moves to the next model at once, with no sleep and the TestClock unmoved", () =>
    Effect.gen(function* () {
      const { fleet, layer } = yield* fleetOrchestrator()
      fleet.openai.scriptModel("gpt-4o-mini", { kind: "error", fault: "rate-limit", retryAfterSeconds: 120 })
      const { clock, sleeps } = yield* sleepRecordingClock
      const startedAt = yield* Clock.currentTimeMillis
      const fiber = yield* LLMOrchestrator.use((llm) => llm.sendRequest(user("hi"))).pipe(
        Effect.provide(layer),
        Effect.provideService(Clock.Clock, clock),
        Effect.forkChild
      )
      // Nothing moves the TestClock here: a request that waited would never finish.
      yield* untilLive("the answer without any wait", () => fiber.pollUnsafe() !== undefined)
      const response = yield* Fiber.join(fiber)
      expect(sleeps).toEqual([])
      expect(yield* Clock.currentTimeMillis).toBe(startedAt)
      expect(attemptsOf(response.attempts)).toEqual([
        "openai/gpt-4o-mini:error:RateLimitError",
        "openai/gpt-4o:success"
      ])
      expect(modelsCalled(fleet.openai.requests)).toEqual(["gpt-4o-mini", "gpt-4o"])
    }).pipe(Effect.scoped)
  )

  it.live("529 overloaded (Anthropic) exhausts the retries, then the next model answers", () =>
    Effect.gen(function* () {
      const { fleet, layer } = yield* fleetOrchestrator({ activeProvider: "anthropic" })
      const overloaded = { kind: "error", fault: "overloaded" } as const
      fleet.anthropic.scriptModel("claude-sonnet-4-6", overloaded, overloaded, overloaded)
      const response = yield* LLMOrchestrator.use((llm) => llm.sendRequest(user("hi"))).pipe(Effect.provide(layer))
      expect(attemptsOf(response.attempts)).toEqual([
        "anthropic/claude-sonnet-4-6:error:ProviderUnavailableError",
        "anthropic/claude-sonnet-4-6:error:ProviderUnavailableError",
        "anthropic/claude-sonnet-4-6:error:ProviderUnavailableError",
        "anthropic/claude-haiku-4-5-20251001:success"
      ])
      expect(fleet.anthropic.requests.filter((r) => r.kind !== "models").map((r) => r.model)).toEqual([
        "claude-sonnet-4-6",
        "claude-sonnet-4-6",
        "claude-sonnet-4-6",
        "claude-haiku-4-5-20251001"
      ])
    }).pipe(Effect.scoped)
  )

  it.live("503 (Gemini UNAVAILABLE) exhausts the retries, then the next model answers", () =>
    Effect.gen(function* () {
      const { fleet, layer } = yield* fleetOrchestrator({ activeProvider: "gemini" })
      const unavailable = { kind: "error", fault: "unavailable" } as const
      fleet.gemini.scriptModel("gemini-2.5-flash", unavailable, unavailable, unavailable)
      const response = yield* LLMOrchestrator.use((llm) => llm.sendRequest(user("hi"))).pipe(Effect.provide(layer))
      expect(response.model).toContain("gemini-2.5-flash-lite")
      expect(attemptsOf(response.attempts).slice(0, 3)).toEqual(
        Array(3).fill("gemini/gemini-2.5-flash:error:ProviderUnavailableError")
      )
    }).pipe(Effect.scoped)
  )

  it.live("404 model not found moves on without retrying, with suggestions", () =>
    Effect.gen(function* () {
      const { fleet, layer } = yield* fleetOrchestrator({ activeModel: "gpt-4o-mni" })
      fleet.openai.scriptModel("gpt-4o-mni", { kind: "error", fault: "model-not-found" })
      const response = yield* LLMOrchestrator.use((llm) => llm.sendRequest(user("hi"))).pipe(Effect.provide(layer))
      expect(attemptsOf(response.attempts)).toEqual([
        "openai/gpt-4o-mni:error:ModelNotFoundError",
        "openai/gpt-4o-mini:success"
      ])
      expect(modelsCalled(fleet.openai.requests)).toEqual(["gpt-4o-mni", "gpt-4o-mini"])
    }).pipe(Effect.scoped)
  )

  it.live("401 fails at once within the provider and moves to the cross-provider chain", () =>
    Effect.gen(function* () {
      const { fleet, layer } = yield* fleetOrchestrator({
        extraYaml: "fallback:\n  chain:\n    - { provider: bedrock, model: amazon.nova-lite-v1:0 }"
      })
      fleet.openai.scriptModel("gpt-4o-mini", { kind: "error", fault: "auth" })
      const response = yield* LLMOrchestrator.use((llm) => llm.sendRequest(user("hi"))).pipe(Effect.provide(layer))
      expect(attemptsOf(response.attempts)).toEqual([
        "openai/gpt-4o-mini:error:AuthenticationError",
        "bedrock/amazon.nova-lite-v1:0:success"
      ])
      expect(modelsCalled(fleet.openai.requests)).toEqual(["gpt-4o-mini"]) // gpt-4o shares the bad key
    }).pipe(Effect.scoped)
  )

  it.live("400 invalid request and a content filter fail at once, with no fallback", () =>
    Effect.gen(function* () {
      const { fleet, layer } = yield* fleetOrchestrator()
      fleet.openai.scriptModel(
        "gpt-4o-mini",
        { kind: "error", fault: "invalid-request" },
        { kind: "error", fault: "content-filter" }
      )
      yield* Effect.gen(function* () {
        const llm = yield* LLMOrchestrator
        expect((yield* Effect.flip(llm.sendRequest(user("1"))))._tag).toBe("InvalidRequestError")
        expect((yield* Effect.flip(llm.sendRequest(user("2"))))._tag).toBe("ContentFilteredError")
      }).pipe(Effect.provide(layer))
      expect(modelsCalled(fleet.openai.requests)).toEqual(["gpt-4o-mini", "gpt-4o-mini"])
    }).pipe(Effect.scoped)
  )

  it.live("a 3-model chain whose first two fail: the third answers and the cost recorded is the third's", () =>
    Effect.gen(function* () {
      const { fleet, layer, logPath } = yield* fleetOrchestrator({
        extraYaml: "retry:\n  max_attempts: 1\nfallback:\n  chain:\n    - { provider: gemini, model: gemini-2.5-flash }"
      })
      fleet.openai.scriptModel("gpt-4o-mini", { kind: "error", fault: "server-error" })
      fleet.openai.scriptModel("gpt-4o", { kind: "error", fault: "unavailable" })
      fleet.gemini.scriptModel("gemini-2.5-flash", {
        kind: "text",
        text: "third time lucky",
        usage: { inputTokens: 1000, outputTokens: 200 }
      })
      const response = yield* LLMOrchestrator.use((llm) => llm.sendRequest(user("hi"))).pipe(Effect.provide(layer))
      expect(response.content).toBe("third time lucky")
      expect(attemptsOf(response.attempts)).toEqual([
        "openai/gpt-4o-mini:error:ProviderUnavailableError",
        "openai/gpt-4o:error:ProviderUnavailableError",
        "gemini/gemini-2.5-flash:success"
      ])
      // gemini-2.5-flash: $0.30 per 1M input, $2.50 per 1M output (Google's published price).
      const expected = (1000 * 0.3 + 200 * 2.5) / 1e6
      expect(response.cost?.total).toBeCloseTo(expected, 12)
      const log = readLog(logPath)
      expect(log).toHaveLength(1)
      expect(log[0]).toMatchObject({ provider: "gemini", model: "gemini-2.5-flash", outcome: "success", attempt: 3 })
      expect(log[0]!.cost?.total).toBeCloseTo(expected, 12)
    }).pipe(Effect.scoped)
  )
})

describe("streaming fallback through the real SDKs", () => {
  it.live("an error before the first chunk: only the fallback model's text arrives", () =>
    Effect.gen(function* () {
      const { fleet, layer } = yield* fleetOrchestrator({ activeProvider: "anthropic" })
      fleet.anthropic.scriptModel("claude-sonnet-4-6", { kind: "error", fault: "model-not-found" })
      fleet.anthropic.scriptModel("claude-haiku-4-5-20251001", { kind: "text", text: "only haiku speaks", chunks: 4 })
      const events = yield* LLMOrchestrator.use((llm) => Stream.runCollect(llm.sendStreamingRequest(user("hi")))).pipe(
        Effect.provide(layer)
      )
      const text = events.flatMap((e) => (e._tag === "TextDelta" ? [e.text] : [])).join("")
      expect(text).toBe("only haiku speaks")
      const finish = events.at(-1)
      expect(finish?._tag === "Finish" && attemptsOf(finish.attempts)).toEqual([
        "anthropic/claude-sonnet-4-6:error:ModelNotFoundError",
        "anthropic/claude-haiku-4-5-20251001:success"
      ])
    }).pipe(Effect.scoped)
  )

  it.live("an error after 3 chunks fails the stream: the 3 chunks arrived, partial usage recorded once", () =>
    Effect.gen(function* () {
      const { fleet, layer, logPath } = yield* fleetOrchestrator({ activeProvider: "anthropic" })
      fleet.anthropic.scriptModel("claude-sonnet-4-6", {
        kind: "stream-fault",
        text: "one two three four five",
        afterChunks: 3,
        fault: "error-event",
        errorFault: "overloaded",
        usage: { inputTokens: 50 }
      })
      const seen: Array<string> = []
      const failure = yield* LLMOrchestrator.use((llm) =>
        Stream.runForEach(llm.sendStreamingRequest(user("hi")), (e) =>
          Effect.sync(() => e._tag === "TextDelta" && seen.push(e.text))
        )
      ).pipe(Effect.provide(layer), Effect.flip)
      expect(failure._tag).toBe("ProviderUnavailableError")
      expect(seen.join("")).toBe("one two three ")
      expect(fleet.anthropic.requests.filter((r) => r.kind === "stream")).toHaveLength(1) // no fallback after text
      const log = readLog(logPath)
      expect(log).toHaveLength(1)
      expect(log[0]).toMatchObject({ outcome: "error", errorTag: "ProviderUnavailableError", stream: true })
      expect(log[0]!.usage.inputTokens).toBe(50) // known from message_start
      // claude-sonnet-4-6: $3 per 1M input tokens.
      expect(log[0]!.cost?.input).toBeCloseTo((50 * 3) / 1e6, 12)
    }).pipe(Effect.scoped)
  )
})

describe("circuit breaker through the real SDKs", () => {
  it.effect("after the threshold the simulator sees no request for the broken model until the cool-down passes", () =>
    Effect.gen(function* () {
      const { fleet, layer } = yield* fleetOrchestrator({
        extraYaml: "retry:\n  max_attempts: 1\ncircuit_breaker:\n  failure_threshold: 2\n  cooldown: 400ms"
      })
      const down = { kind: "error", fault: "unavailable" } as const
      fleet.openai.scriptModel("gpt-4o-mini", down, down)
      const broken = () => modelsCalled(fleet.openai.requests).filter((m) => m === "gpt-4o-mini").length
      yield* Effect.gen(function* () {
        const llm = yield* LLMOrchestrator
        yield* llm.sendRequest(user("1"))
        yield* llm.sendRequest(user("2"))
        expect(broken()).toBe(2)
        // The cool-down is measured on the TestClock from the second failure: 399 ms later still open.
        yield* TestClock.adjust("399 millis")
        const skipped = yield* llm.sendRequest(user("3"))
        expect(attemptsOf(skipped.attempts)).toEqual([
          "openai/gpt-4o-mini:skipped:CircuitOpen",
          "openai/gpt-4o:success"
        ])
        expect(broken()).toBe(2)
        yield* TestClock.adjust("1 millis")
        const healed = yield* llm.sendRequest(user("4"))
        expect(attemptsOf(healed.attempts)).toEqual(["openai/gpt-4o-mini:success"])
        expect(broken()).toBe(3)
      }).pipe(Effect.provide(layer))
    }).pipe(Effect.scoped)
  )
})
