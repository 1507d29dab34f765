/**
 * Telemetry through the public API, on fake providers and the TestClock: the span attributes that are
 * set only when they have a value, the totals of requests with several billed attempts, the request's
 * outcome, the provider names, the sampling decision, and the metric series (each provider, model,
 * token type, error and tag in its own series, with its own value). Every test records into its own
 * tracer and metric registry.
 */
import { describe, expect, it } from "@effect/vitest"
import {
  AuthenticationError,
  InvalidRequestError,
  LLMOrchestrator,
  type LLMOrchestratorOptions,
  ProviderUnavailableError,
  RateLimitError,
  type TelemetryOptions
} from "@llm-orchestrator/core"
import { makeFakeProvider } from "@llm-orchestrator/testing"
import { Context, Effect, Exit, Fiber, Layer, Metric, Pull, Stream, Tracer } from "effect"
import { TestClock } from "effect/testing"
import { vi } from "vitest"
import { err, recordingTracer, setup, testCost, user } from "./orchestrator-helpers.ts"

const ours = (name: string) => `llm_orchestrator.${name}`

type SetupOptions = Parameters<typeof setup>[0]

/** `setup` with telemetry into a fresh tracer and a fresh metric registry. */
const traced = (options: SetupOptions, telemetry: TelemetryOptions = {}) => {
  const recorder = recordingTracer()
  const registry: Metric.MetricRegistry = new Map()
  const t = setup({ ...options, telemetry: { tracer: recorder.tracer, metricRegistry: registry, ...telemetry } })
  return { ...t, ...recorder, registry, metrics: () => snapshotOf(registry) }
}

const snapshotOf = (registry: Metric.MetricRegistry) =>
  Metric.snapshotUnsafe(Context.make(Metric.MetricRegistry, registry))
type Snapshot = ReturnType<typeof snapshotOf>[number]

/** The request spans (no parent) and the attempt spans of one request, in creation order. */
const requestSpans = (spans: ReadonlyArray<Tracer.NativeSpan>) => spans.filter((span) => span.parent._tag === "None")
const attemptsOf = (spans: ReadonlyArray<Tracer.NativeSpan>, request: Tracer.NativeSpan) =>
  spans.filter((span) => span.parent._tag === "Some" && span.parent.value === request)
const attrs = (span: Tracer.NativeSpan) => Object.fromEntries(span.attributes)
const keys = (span: Tracer.NativeSpan) => [...span.attributes.keys()]
const endedWith = (span: Tracer.NativeSpan) => (span.status._tag === "Ended" ? span.status.exit : undefined)

/** One row per series of metric `id`: its attributes and its value (a counter's count, a histogram's count and sum). */
type Row = Record<string, unknown> & { readonly value: number | { count: number; sum: number } | undefined }
const rows = (snapshots: ReadonlyArray<Snapshot>, id: string): Array<Row> =>
  snapshots
    .filter((s) => s.id === id)
    .map((s) => ({
      ...s.attributes,
      value:
        s.type === "Counter"
          ? Number(s.state.count)
          : s.type === "Histogram"
            ? { count: s.state.count, sum: s.state.sum }
            : undefined
    }))
const sorted = <A>(list: ReadonlyArray<A>) =>
  [...list].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)))

const unavailable = (model: string) => new ProviderUnavailableError({ provider: "openai", model, ...err, status: 503 })
const rateLimited = (model: string, retryAfterMs: number) =>
  new RateLimitError({ provider: "openai", model, ...err, status: 429, retryAfterMs })

describe("telemetry: span attributes", () => {
  it.effect(
    "a plain answer: only the attributes that have a value, the attempt a child span named after its model",
    () => {
      const t = traced({ activeProvider: "openai", activeModel: "a", providers: { openai: {} } })
      t.fake("openai").scriptModel("a", { text: "hello there", usage: { inputTokens: 30, outputTokens: 4 } })
      return Effect.gen(function* () {
        const response = yield* LLMOrchestrator.use((llm) => llm.sendRequest(user("hi")))
        const [request, ...others] = requestSpans(t.spans)
        expect(others).toEqual([])
        const attributes = attrs(request!)
        expect(attributes[ours("outcome")]).toBe("success")
        expect(attributes[ours("provider.instance")]).toBe("openai")
        expect(attributes["gen_ai.response.model"]).toBe("a")
        expect(attributes["gen_ai.response.finish_reasons"]).toEqual(["stop"])
        expect(attributes[ours("cost_usd")]).toBe(t.records[0]!.cost!.total)
        // The request set no sampling parameter, the fake gives no response id, the model is priced and
        // its usage is the provider's: none of these attributes is there, not even with an undefined value.
        for (const absent of [
          "gen_ai.request.temperature",
          "gen_ai.request.max_tokens",
          "gen_ai.request.top_p",
          "gen_ai.request.stop_sequences",
          "gen_ai.response.id",
          "gen_ai.input.messages",
          "gen_ai.output.messages",
          "error.type",
          ours("unpriced"),
          ours("usage_estimated")
        ])
          expect(keys(request!)).not.toContain(absent)
        expect(response.requestId).toBeUndefined()
        // A success ends the span with a success.
        expect(Exit.isSuccess(endedWith(request!)!)).toBe(true)

        const [attempt, ...more] = attemptsOf(t.spans, request!)
        expect(more).toEqual([])
        expect(attempt!.name).toBe("chat a")
        expect(t.rootOption.get(attempt!)).toBe(false)
        const attempted = attrs(attempt!)
        expect(attempted["gen_ai.operation.name"]).toBe("chat")
        expect(attempted[ours("attempt.outcome")]).toBe("success")
        expect(attempted[ours("cost_usd")]).toBe(t.records[0]!.cost!.total)
        expect(t.records[0]!.cost!.total).toBeGreaterThan(0)
        for (const absent of [
          ours("attempt.waited_ms"),
          ours("attempt.retry_after_ms"),
          ours("usage_estimated"),
          "gen_ai.response.id",
          "error.type"
        ])
          expect(keys(attempt!)).not.toContain(absent)
      }).pipe(Effect.provide(t.layer))
    }
  )

  it.effect("a failed request: no response, no finish reason and no output attributes", () => {
    const t = traced({ activeProvider: "openai", activeModel: "a", providers: { openai: {} } })
    t.fake("openai").scriptModel("a", {
      error: new InvalidRequestError({ provider: "openai", model: "a", ...err, status: 400 })
    })
    return Effect.gen(function* () {
      const error = yield* Effect.flip(LLMOrchestrator.use((llm) => llm.sendRequest(user("hi"))))
      const [request] = requestSpans(t.spans)
      const attributes = attrs(request!)
      expect(attributes["error.type"]).toBe(error._tag)
      expect(attributes[ours("outcome")]).toBe("error")
      for (const absent of [
        "gen_ai.response.model",
        "gen_ai.response.id",
        "gen_ai.response.finish_reasons",
        "gen_ai.output.messages",
        ours("provider.instance")
      ])
        expect(keys(request!)).not.toContain(absent)
    }).pipe(Effect.provide(t.layer))
  })

  it.effect("usage of several billed attempts adds up on the request span; each attempt span keeps its own", () => {
    const t = traced({
      activeProvider: "openai",
      activeModel: "a",
      providers: { openai: { fallbackModels: ["b"] } },
      retry: { maxAttempts: 1 },
      fallback: { onContentFilter: true }
    })
    const first = { inputTokens: 100, outputTokens: 3, cacheReadTokens: 7, cacheWriteTokens: 5, reasoningTokens: 2 }
    const second = { inputTokens: 20, outputTokens: 11, cacheReadTokens: 1, cacheWriteTokens: 2, reasoningTokens: 4 }
    // Model "a" is billed for an answer its filter blocked, then "b" answers.
    t.fake("openai").scriptModel("a", { text: "", finishReason: "content-filter", usage: first })
    t.fake("openai").scriptModel("b", { text: "from b", usage: second })
    return Effect.gen(function* () {
      const response = yield* LLMOrchestrator.use((llm) => llm.sendRequest(user("hi")))
      expect(response.model).toBe("b")
      expect(t.records.map((r) => r.model)).toEqual(["a", "b"])
      const [request] = requestSpans(t.spans)
      const attributes = attrs(request!)
      expect(attributes["gen_ai.usage.input_tokens"]).toBe(120)
      expect(attributes["gen_ai.usage.output_tokens"]).toBe(14)
      expect(attributes["gen_ai.usage.cache_read.input_tokens"]).toBe(8)
      expect(attributes["gen_ai.usage.cache_creation.input_tokens"]).toBe(7)
      expect(attributes["gen_ai.usage.reasoning.output_tokens"]).toBe(6)
      expect(attributes[ours("cost_usd")]).toBeCloseTo(t.records[0]!.cost!.total + t.records[1]!.cost!.total, 15)
      expect(attributes[ours("attempts")]).toBe(2)
      expect(attributes[ours("fell_back")]).toBe(true)
      const [a, b] = attemptsOf(t.spans, request!).map(attrs)
      expect([a!["gen_ai.usage.input_tokens"], a!["gen_ai.usage.cache_read.input_tokens"]]).toEqual([100, 7])
      expect([b!["gen_ai.usage.input_tokens"], b!["gen_ai.usage.cache_read.input_tokens"]]).toEqual([20, 1])
      expect(a![ours("cost_usd")]).toBe(t.records[0]!.cost!.total)
      expect(b![ours("cost_usd")]).toBe(t.records[1]!.cost!.total)
      expect(a![ours("attempt.outcome")]).toBe("error")
      expect(a!["error.type"]).toBe("ContentFilteredError")
    }).pipe(Effect.provide(t.layer))
  })

  it.effect("a model without a price: the request is marked unpriced, the attempt has no cost, no cost series", () => {
    const t = traced({ activeProvider: "openai", activeModel: "unpriced", providers: { openai: {} } })
    t.fake("openai").scriptModel("unpriced", { text: "free?", usage: { inputTokens: 9, outputTokens: 3 } })
    return Effect.gen(function* () {
      const response = yield* LLMOrchestrator.use((llm) =>
        llm.sendRequest({ ...user("hi"), metadata: { team: "search" } })
      )
      expect(response.cost).toBeUndefined()
      const [request] = requestSpans(t.spans)
      expect(attrs(request!)[ours("unpriced")]).toBe(true)
      expect(attrs(request!)[ours("cost_usd")]).toBe(0) // what was priced: nothing
      const [attempt] = attemptsOf(t.spans, request!)
      expect(keys(attempt!)).not.toContain(ours("cost_usd"))
      expect(attrs(attempt!)["gen_ai.usage.input_tokens"]).toBe(9)
      // Tokens are counted; no cost series at all (never a made-up $0).
      const snapshots = t.metrics()
      expect(rows(snapshots, ours("cost_usd"))).toEqual([])
      expect(rows(snapshots, ours("cost_usd_by_tag"))).toEqual([])
      expect(
        rows(snapshots, ours("tokens")).find(
          (row) => row.type === "input" && row["gen_ai.request.model"] === "unpriced"
        )?.value
      ).toBe(9)
    }).pipe(Effect.provide(t.layer))
  })

  it.effect(
    "retries: waited_ms on the attempt that waited, retry_after_ms only when a Retry-After asked for the wait",
    () => {
      const t = traced({
        activeProvider: "openai",
        activeModel: "a",
        providers: { openai: {} },
        // Backoff steps capped at 1 ms: a Retry-After of 1 s sets the wait alone.
        retry: { maxAttempts: 3, initialDelayMs: 1, maxDelayMs: 1 }
      })
      t.fake("openai").scriptModel(
        "a",
        { error: rateLimited("a", 1000) },
        { error: unavailable("a") },
        { text: "third" }
      )
      return Effect.gen(function* () {
        const fiber = yield* Effect.forkChild(LLMOrchestrator.use((llm) => llm.sendRequest(user("hi"))))
        yield* TestClock.adjust("2 seconds")
        const response = yield* Fiber.join(fiber)
        expect(response.attempts.map((a) => a.outcome)).toEqual(["error", "error", "success"])
        const [request] = requestSpans(t.spans)
        const [first, second, third] = attemptsOf(t.spans, request!)
        expect(keys(first!)).not.toContain(ours("attempt.waited_ms"))
        expect(keys(first!)).not.toContain(ours("attempt.retry_after_ms"))
        expect(attrs(second!)[ours("attempt.waited_ms")]).toBe(1000)
        expect(attrs(second!)[ours("attempt.retry_after_ms")]).toBe(1000)
        // After the 503 the plain backoff (at most 1 ms) was waited: no Retry-After to report.
        expect(attrs(third!)[ours("attempt.waited_ms")]).toBeGreaterThan(0)
        expect(attrs(third!)[ours("attempt.waited_ms")]).toBeLessThanOrEqual(1)
        expect(keys(third!)).not.toContain(ours("attempt.retry_after_ms"))
        expect([first, second, third].map((span) => attrs(span!)[ours("attempt.try")])).toEqual([1, 2, 3])
        // Attempts by outcome: the two errors of one model are two series, each with its error type.
        const base = {
          "gen_ai.provider.name": "openai",
          [ours("provider.instance")]: "openai",
          "gen_ai.request.model": "a"
        }
        expect(sorted(rows(t.metrics(), ours("attempts")))).toEqual(
          sorted([
            { ...base, outcome: "error", "error.type": "RateLimitError", value: 1 },
            { ...base, outcome: "error", "error.type": "ProviderUnavailableError", value: 1 },
            { ...base, outcome: "success", value: 1 }
          ])
        )
      }).pipe(Effect.provide(t.layer))
    }
  )

  it.effect("the provider's type names it, the instance name is the instance's own", () => {
    const recorder = recordingTracer()
    const registry: Metric.MetricRegistry = new Map()
    // An instance called "primary" of the anthropic type.
    const fake = makeFakeProvider({ id: "anthropic" })
    fake.scriptModel("m", { text: "hi", usage: { inputTokens: 5, outputTokens: 2 } })
    const options: LLMOrchestratorOptions = {
      activeProvider: "primary",
      activeModel: "m",
      providers: { primary: { layer: fake.layer } },
      telemetry: { tracer: recorder.tracer, metricRegistry: registry }
    }
    const layer = LLMOrchestrator.layer(options).pipe(Layer.provide(testCost([])))
    return Effect.gen(function* () {
      yield* LLMOrchestrator.use((llm) => llm.sendRequest(user("hi")))
      const [request] = requestSpans(recorder.spans)
      const [attempt] = attemptsOf(recorder.spans, request!)
      for (const span of [request!, attempt!]) {
        expect(attrs(span)["gen_ai.provider.name"]).toBe("anthropic")
        expect(attrs(span)[ours("provider.instance")]).toBe("primary")
      }
      const usage = rows(snapshotOf(registry), "gen_ai.client.token.usage")
      expect(usage.map((row) => row["gen_ai.provider.name"])).toEqual(["anthropic", "anthropic"])
    }).pipe(Effect.provide(layer))
  })

  it.effect("a fallback to the same model name at another provider: fell back, answered by the other provider", () => {
    const t = traced({
      activeProvider: "openai",
      activeModel: "m",
      providers: { openai: {}, anthropic: {} },
      fallback: { chain: [{ provider: "anthropic", model: "m" }] }
    })
    t.fake("openai").scriptModel("m", {
      error: new AuthenticationError({ provider: "openai", model: "m", ...err, status: 401 })
    })
    t.fake("anthropic").scriptModel("m", { text: "from anthropic" })
    return Effect.gen(function* () {
      const response = yield* LLMOrchestrator.use((llm) => llm.sendRequest(user("hi")))
      expect(response.provider).toBe("anthropic")
      const [request] = requestSpans(t.spans)
      const attributes = attrs(request!)
      expect(attributes[ours("fell_back")]).toBe(true)
      expect(attributes[ours("attempts")]).toBe(2)
      // The span started naming the active provider; it ends naming the one that answered.
      expect(attributes["gen_ai.provider.name"]).toBe("anthropic")
      expect(attributes[ours("provider.instance")]).toBe("anthropic")
      expect(attributes["gen_ai.request.model"]).toBe("m")
    }).pipe(Effect.provide(t.layer))
  })

  it.effect("a model skipped by its open circuit breaker is not an attempt, nor a fallback", () => {
    const t = traced({
      activeProvider: "openai",
      activeModel: "a",
      providers: { openai: { fallbackModels: ["b"] } },
      retry: { maxAttempts: 1 },
      circuitBreaker: { failureThreshold: 1, cooldownMs: 60_000 }
    })
    t.fake("openai").scriptModel("a", { error: unavailable("a") })
    return Effect.gen(function* () {
      yield* LLMOrchestrator.use((llm) => llm.sendRequest(user("1"))) // opens a's breaker
      const second = yield* LLMOrchestrator.use((llm) => llm.sendRequest(user("2")))
      expect(second.attempts.map((a) => `${a.model}:${a.outcome}`)).toEqual(["a:skipped", "b:success"])
      const [, request] = requestSpans(t.spans)
      expect(attrs(request!)[ours("attempts")]).toBe(1)
      expect(attrs(request!)[ours("fell_back")]).toBe(false)
      expect(attemptsOf(t.spans, request!)).toHaveLength(1)
    }).pipe(Effect.provide(t.layer))
  })

  it.effect("an interrupted request: outcome interrupted, no error type, its span ended", () => {
    const t = traced({ activeProvider: "openai", activeModel: "a", providers: { openai: {} } })
    t.fake("openai").scriptModel("a", { text: "too late", delayMs: 5000 })
    return Effect.gen(function* () {
      const fiber = yield* Effect.forkChild(LLMOrchestrator.use((llm) => llm.sendRequest(user("hi"))))
      yield* TestClock.adjust("1 second")
      yield* Fiber.interrupt(fiber)
      const [request] = requestSpans(t.spans)
      expect(request!.status._tag).toBe("Ended")
      expect(attrs(request!)[ours("outcome")]).toBe("interrupted")
      expect(keys(request!)).not.toContain("error.type")
    }).pipe(Effect.provide(t.layer))
  })

  it.effect("a refused request (budget spent) names the requested model in its duration series", () => {
    const t = traced({ activeProvider: "openai", activeModel: "a", providers: { openai: {} }, budgetUsd: 0 })
    return Effect.gen(function* () {
      const error = yield* Effect.flip(LLMOrchestrator.use((llm) => llm.sendRequest({ ...user("hi"), model: "c" })))
      expect(error._tag).toBe("BudgetExceededError")
      const [request] = requestSpans(t.spans)
      expect(attrs(request!)[ours("attempts")]).toBe(0)
      expect(attrs(request!)[ours("outcome")]).toBe("error")
      const durations = rows(t.metrics(), "gen_ai.client.operation.duration")
      expect(durations.map(({ value: _, ...attributes }) => attributes)).toEqual([
        {
          "gen_ai.operation.name": "chat",
          "gen_ai.provider.name": "openai",
          "gen_ai.request.model": "c",
          "error.type": "BudgetExceededError"
        }
      ])
    }).pipe(Effect.provide(t.layer))
  })
})

describe("telemetry: streams", () => {
  it.effect(
    "time to first chunk and duration on the request's clock: the request's from its start, the attempt's from its own",
    () => {
      const t = traced({
        activeProvider: "openai",
        activeModel: "a",
        providers: { openai: {} },
        retry: { maxAttempts: 2, initialDelayMs: 1, maxDelayMs: 1 }
      })
      // The first try is rate limited for 1 s; the second sends its first text 0.5 s after it starts.
      t.fake("openai").scriptModel("a", { error: rateLimited("a", 1000) }, { text: "one two", delayMs: 500 })
      return Effect.gen(function* () {
        yield* TestClock.adjust("10 seconds") // the request does not start at time 0
        const fiber = yield* Effect.forkChild(
          LLMOrchestrator.use((llm) => Stream.runCollect(llm.sendStreamingRequest(user("hi"))))
        )
        yield* TestClock.adjust("2 seconds")
        yield* Fiber.join(fiber)
        const [request] = requestSpans(t.spans)
        const [, winner] = attemptsOf(t.spans, request!)
        expect(attrs(request!)["gen_ai.response.time_to_first_chunk"]).toBe(1.5)
        expect(attrs(winner!)["gen_ai.response.time_to_first_chunk"]).toBe(0.5)
        const snapshots = t.metrics()
        const conventional = {
          "gen_ai.operation.name": "chat",
          "gen_ai.provider.name": "openai",
          "gen_ai.request.model": "a"
        }
        expect(rows(snapshots, "gen_ai.client.operation.time_to_first_chunk")).toEqual([
          { ...conventional, value: { count: 1, sum: 1.5 } }
        ])
        // The stream ended with its first chunks (nothing else waits): 1.5 s in all.
        expect(rows(snapshots, "gen_ai.client.operation.duration")).toEqual([
          { ...conventional, value: { count: 1, sum: 1.5 } }
        ])
      }).pipe(Effect.provide(t.layer))
    }
  )

  it.effect("a stream that ends normally: request and winner succeed, the winner's response id on its span", () => {
    const t = traced({ activeProvider: "openai", activeModel: "a", providers: { openai: {} } })
    const usage = { inputTokens: 12, outputTokens: 2, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 }
    t.fake("openai").scriptModel("a", {
      events: [
        [{ _tag: "TextDelta", text: "hi there" }],
        [{ _tag: "ProviderFinish", finishReason: "stop", usage, model: "a-2025", requestId: "resp-42" }]
      ]
    })
    return Effect.gen(function* () {
      yield* LLMOrchestrator.use((llm) => Stream.runDrain(llm.sendStreamingRequest(user("hi"))))
      const [request] = requestSpans(t.spans)
      const [attempt] = attemptsOf(t.spans, request!)
      expect(attrs(request!)[ours("outcome")]).toBe("success")
      expect(keys(request!)).not.toContain("error.type")
      expect(Exit.isSuccess(endedWith(request!)!)).toBe(true)
      expect(attrs(request!)["gen_ai.response.id"]).toBe("resp-42")
      expect(attrs(request!)["gen_ai.response.model"]).toBe("a-2025")
      expect(attrs(attempt!)[ours("attempt.outcome")]).toBe("success")
      expect(keys(attempt!)).not.toContain("error.type")
      expect(Exit.isSuccess(endedWith(attempt!)!)).toBe(true)
      expect(attrs(attempt!)["gen_ai.response.id"]).toBe("resp-42")
      expect(attrs(attempt!)[ours("cost_usd")]).toBe(t.records[0]!.cost!.total)
    }).pipe(Effect.provide(t.layer))
  })

  it.effect("a stream pulled by the caller until its end (Stream.toPull): the end is no error", () => {
    const t = traced({ activeProvider: "openai", activeModel: "a", providers: { openai: {} } })
    t.fake("openai").scriptModel("a", { text: "one two three" })
    return Effect.gen(function* () {
      const chunks: Array<unknown> = []
      // The caller's scope closes with the pull's end (a Cause.Done failure), caught outside the scope.
      yield* LLMOrchestrator.use((llm) =>
        Effect.scoped(
          Effect.flatMap(Stream.toPull(llm.sendStreamingRequest(user("hi"))), (pull) =>
            Effect.forever(Effect.map(pull, (chunk) => chunks.push(...chunk)))
          )
        )
      ).pipe(Pull.catchDone(() => Effect.void))
      expect(chunks.at(-1)).toMatchObject({ _tag: "Finish", finishReason: "stop" })
      const [request] = requestSpans(t.spans)
      const [attempt] = attemptsOf(t.spans, request!)
      expect(attrs(request!)[ours("outcome")]).toBe("success")
      expect(keys(request!)).not.toContain("error.type")
      expect(attrs(request!)[ours("provider.instance")]).toBe("openai")
      expect(Exit.isSuccess(endedWith(request!)!)).toBe(true)
      expect(attrs(attempt!)[ours("attempt.outcome")]).toBe("success")
      expect(keys(attempt!)).not.toContain(ours("attempt.error_tag"))
      expect(Exit.isSuccess(endedWith(attempt!)!)).toBe(true)
    }).pipe(Effect.provide(t.layer))
  })

  it.effect("a stream cut after its first text, before any usage: estimated usage, an error, no winner", () => {
    const t = traced({ activeProvider: "openai", activeModel: "a", providers: { openai: {} } })
    t.fake("openai").scriptModel("a", {
      events: [[{ _tag: "TextDelta", text: "hello world" }]],
      failWith: unavailable("a")
    })
    return Effect.gen(function* () {
      const exit = yield* Effect.exit(
        LLMOrchestrator.use((llm) => Stream.runDrain(llm.sendStreamingRequest(user("hi"))))
      )
      expect(Exit.isFailure(exit)).toBe(true)
      expect(t.records).toHaveLength(1)
      expect(t.records[0]!.usageEstimated).toBe(true)
      const [request] = requestSpans(t.spans)
      const [attempt] = attemptsOf(t.spans, request!)
      expect(attrs(attempt!)[ours("usage_estimated")]).toBe(true)
      expect(attrs(attempt!)[ours("attempt.outcome")]).toBe("error")
      expect(attrs(request!)[ours("usage_estimated")]).toBe(true)
      expect(attrs(request!)[ours("outcome")]).toBe("error")
      // The attempt that sent text was listed as the winner, but the request failed: nobody answered.
      expect(keys(request!)).not.toContain(ours("provider.instance"))
    }).pipe(Effect.provide(t.layer))
  })

  it.effect(
    "a caller that stops after the first chunk: the winner's attempt ends interrupted, as its cost record",
    () => {
      const t = traced({ activeProvider: "openai", activeModel: "a", providers: { openai: {} } })
      t.fake("openai").scriptModel("a", { text: "one two three four" })
      return Effect.gen(function* () {
        const events = yield* LLMOrchestrator.use((llm) =>
          Stream.runCollect(Stream.take(llm.sendStreamingRequest(user("hi")), 1))
        )
        expect(events).toHaveLength(1)
        expect(t.records.map((r) => [r.outcome, r.usageEstimated])).toEqual([["interrupted", true]])
        const [request] = requestSpans(t.spans)
        const [attempt] = attemptsOf(t.spans, request!)
        expect(attrs(attempt!)[ours("attempt.outcome")]).toBe("interrupted")
        expect(attrs(attempt!)[ours("usage_estimated")]).toBe(true)
        expect(attempt!.status._tag).toBe("Ended")
      }).pipe(Effect.provide(t.layer))
    }
  )
})

describe("telemetry: metric series", () => {
  it.effect("each model, token type, error, fallback, breaker and tag in its own series, with its own value", () => {
    const t = traced({
      activeProvider: "openai",
      activeModel: "a",
      providers: { openai: { fallbackModels: ["b", "c", "d"] } },
      retry: { maxAttempts: 1 },
      circuitBreaker: { failureThreshold: 1 },
      fallback: { onContentFilter: true }
    })
    const usageA = { inputTokens: 100, outputTokens: 3, cacheReadTokens: 7, cacheWriteTokens: 5, reasoningTokens: 2 }
    const usageD = { inputTokens: 20, outputTokens: 11, cacheReadTokens: 1, cacheWriteTokens: 2, reasoningTokens: 4 }
    // a: billed, blocked by its filter; b and c: 503 (each opens its breaker); d answers.
    t.fake("openai").scriptModel("a", { text: "", finishReason: "content-filter", usage: usageA })
    t.fake("openai").scriptModel("b", { error: unavailable("b") })
    t.fake("openai").scriptModel("c", { error: unavailable("c") })
    t.fake("openai").scriptModel("d", { text: "from d", usage: usageD })
    return Effect.gen(function* () {
      const response = yield* LLMOrchestrator.use((llm) =>
        llm.sendRequest({ ...user("hi"), metadata: { team: "search", env: "prod" } })
      )
      expect(response.model).toBe("d")
      expect(t.records.map((r) => r.model)).toEqual(["a", "d"])
      const costA = t.records[0]!.cost!.total
      const costD = t.records[1]!.cost!.total
      // The test price table: $1 per million input tokens, $2 per million output tokens.
      expect(costA).toBeCloseTo((100 + 2 * 3) / 1e6, 15)
      expect(costD).toBeCloseTo((20 + 2 * 11) / 1e6, 15)
      const snapshots = t.metrics()
      const model = (name: string) => ({ [ours("provider.instance")]: "openai", "gen_ai.request.model": name })

      const tokens = (name: string, usage: typeof usageA) => [
        { ...model(name), type: "input", value: usage.inputTokens },
        { ...model(name), type: "output", value: usage.outputTokens },
        { ...model(name), type: "cache_read", value: usage.cacheReadTokens },
        { ...model(name), type: "cache_write", value: usage.cacheWriteTokens },
        { ...model(name), type: "reasoning", value: usage.reasoningTokens }
      ]
      expect(sorted(rows(snapshots, ours("tokens")))).toEqual(sorted([...tokens("a", usageA), ...tokens("d", usageD)]))

      const usage = (name: string, type: string, tokens: number) => ({
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": "openai",
        "gen_ai.request.model": name,
        "gen_ai.token.type": type,
        value: { count: 1, sum: tokens }
      })
      expect(sorted(rows(snapshots, "gen_ai.client.token.usage"))).toEqual(
        sorted([usage("a", "input", 100), usage("a", "output", 3), usage("d", "input", 20), usage("d", "output", 11)])
      )

      expect(sorted(rows(snapshots, ours("cost_usd")))).toEqual(
        sorted([
          { ...model("a"), value: costA },
          { ...model("d"), value: costD }
        ])
      )
      const byTag = rows(snapshots, ours("cost_usd_by_tag"))
      expect(byTag.map((row) => row.tag).sort()).toEqual(["env=prod", "team=search"])
      for (const row of byTag) expect(row.value).toBeCloseTo(costA + costD, 15)

      expect(sorted(rows(snapshots, ours("fallbacks")))).toEqual(
        sorted([
          { ...model("a"), "error.type": "ContentFilteredError", value: 1 },
          { ...model("b"), "error.type": "ProviderUnavailableError", value: 1 },
          { ...model("c"), "error.type": "ProviderUnavailableError", value: 1 }
        ])
      )
      expect(sorted(rows(snapshots, ours("circuit_breaker.openings")))).toEqual(
        sorted([
          { ...model("b"), value: 1 },
          { ...model("c"), value: 1 }
        ])
      )
      const attempt = (name: string, error?: string) => ({
        "gen_ai.provider.name": "openai",
        ...model(name),
        outcome: error === undefined ? "success" : "error",
        ...(error === undefined ? {} : { "error.type": error }),
        value: 1
      })
      expect(sorted(rows(snapshots, ours("attempts")))).toEqual(
        sorted([
          attempt("a", "ContentFilteredError"),
          attempt("b", "ProviderUnavailableError"),
          attempt("c", "ProviderUnavailableError"),
          attempt("d")
        ])
      )
    }).pipe(Effect.provide(t.layer))
  })

  it.effect("request durations: one series per answering model and error type, each with its own count", () => {
    const t = traced({
      activeProvider: "openai",
      activeModel: "a",
      providers: { openai: {} },
      retry: { maxAttempts: 1 }
    })
    t.fake("openai").scriptModel(
      "a",
      { text: "ok", delayMs: 250 },
      { error: new AuthenticationError({ provider: "openai", model: "a", ...err, status: 401 }) },
      { error: new InvalidRequestError({ provider: "openai", model: "a", ...err, status: 400 }) },
      { error: new InvalidRequestError({ provider: "openai", model: "a", ...err, status: 400 }) }
    )
    return Effect.gen(function* () {
      yield* TestClock.adjust("10 seconds") // the requests do not start at time 0
      const send = LLMOrchestrator.use((llm) => Effect.exit(llm.sendRequest(user("hi"))))
      const fiber = yield* Effect.forkChild(send)
      yield* TestClock.adjust("250 millis")
      expect(Exit.isSuccess(yield* Fiber.join(fiber))).toBe(true)
      for (let i = 0; i < 3; i++) expect(Exit.isFailure(yield* send)).toBe(true)
      const conventional = {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": "openai",
        "gen_ai.request.model": "a"
      }
      expect(sorted(rows(t.metrics(), "gen_ai.client.operation.duration"))).toEqual(
        sorted([
          { ...conventional, value: { count: 1, sum: 0.25 } },
          { ...conventional, "error.type": "AuthenticationError", value: { count: 1, sum: 0 } },
          { ...conventional, "error.type": "InvalidRequestError", value: { count: 2, sum: 0 } }
        ])
      )
    }).pipe(Effect.provide(t.layer))
  })

  it.effect("time to first chunk: one series per model", () => {
    const t = traced({ activeProvider: "openai", activeModel: "a", providers: { openai: {} } })
    t.fake("openai").scriptModel("a", { text: "from a" })
    t.fake("openai").scriptModel("b", { text: "from b", delayMs: 100 })
    return Effect.gen(function* () {
      yield* LLMOrchestrator.use((llm) => Stream.runDrain(llm.sendStreamingRequest(user("hi"))))
      const fiber = yield* Effect.forkChild(
        LLMOrchestrator.use((llm) => Stream.runDrain(llm.sendStreamingRequest({ ...user("hi"), model: "b" })))
      )
      yield* TestClock.adjust("100 millis")
      yield* Fiber.join(fiber)
      const conventional = { "gen_ai.operation.name": "chat", "gen_ai.provider.name": "openai" }
      expect(sorted(rows(t.metrics(), "gen_ai.client.operation.time_to_first_chunk"))).toEqual(
        sorted([
          { ...conventional, "gen_ai.request.model": "a", value: { count: 1, sum: 0 } },
          { ...conventional, "gen_ai.request.model": "b", value: { count: 1, sum: 0.1 } }
        ])
      )
    }).pipe(Effect.provide(t.layer))
  })
})

describe("telemetry: sampling", () => {
  it.effect("sample_ratio 0 traces nothing, even when Math.random() returns 0", () => {
    const t = traced({ activeProvider: "openai", activeModel: "a", providers: { openai: {} } }, { sampleRatio: 0 })
    return Effect.gen(function* () {
      const random = vi.spyOn(Math, "random").mockReturnValue(0)
      yield* Effect.ensuring(
        LLMOrchestrator.use((llm) => llm.sendRequest(user("hi"))),
        Effect.sync(() => random.mockRestore())
      )
      expect(t.spans.length).toBeGreaterThan(1)
      expect(t.spans.map((span) => span.sampled)).toEqual(t.spans.map(() => false))
    }).pipe(Effect.provide(t.layer))
  })

  it.effect("sample_ratio 1 (the default) decides nothing itself: Effect's minimum trace level still applies", () => {
    const t = traced({ activeProvider: "openai", activeModel: "a", providers: { openai: {} } })
    return Effect.gen(function* () {
      yield* LLMOrchestrator.use((llm) => llm.sendRequest(user("sampled")))
      // Spans of level Info (the default) under a minimum of Error are not sampled.
      yield* LLMOrchestrator.use((llm) => llm.sendRequest(user("below the minimum"))).pipe(
        Effect.provideService(Tracer.MinimumTraceLevel, "Error")
      )
      const [sampled, unsampled] = requestSpans(t.spans)
      expect(sampled!.sampled).toBe(true)
      expect(unsampled!.sampled).toBe(false)
      expect(attemptsOf(t.spans, unsampled!).map((span) => span.sampled)).toEqual([false])
    }).pipe(Effect.provide(t.layer))
  })
})
