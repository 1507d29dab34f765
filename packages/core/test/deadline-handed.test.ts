/**
 * When the orchestrator hands the request's deadline to its provider calls (docs/ARCHITECTURE.md, "The
 * request deadline") and when it watches the deadline itself: over a provider written here that
 * records the `CallDeadline` each call gets and honours it.
 */
import { describe, expect, it } from "@effect/vitest"
import {
  type CallDeadline,
  CostTracker,
  emptyUsage,
  LLMOrchestrator,
  LLMProvider,
  type LLMProviderShape
} from "@llm-orchestrator/core"
import { Context, Effect, Layer, Metric, Stream, type Tracer } from "effect"
import { recordingTracer, testCost, unavailable, user } from "./orchestrator-helpers.ts"

type Step = "answer" | "unavailable" | "hang"

/** A provider whose calls follow `steps` ("hang": until the deadline it was handed, then its error). */
const recordingProvider = (options: { readonly honorsDeadline: boolean; readonly steps?: Array<Step> }) => {
  const deadlines: Array<CallDeadline | undefined> = []
  const steps = options.steps ?? []
  const provider: LLMProviderShape = {
    id: "openai",
    ...(options.honorsDeadline ? { honorsDeadline: true } : {}),
    generate: (_request, model, deadline) => {
      deadlines.push(deadline)
      const step = steps.shift() ?? "answer"
      if (step === "unavailable") return Effect.fail(unavailable(model))
      if (step === "hang")
        return Effect.andThen(Effect.sleep(Math.max(0, deadline!.at - Date.now())), Effect.fail(deadline!.expired()))
      return Effect.succeed({ content: "ok", provider: "openai", model, finishReason: "stop", usage: emptyUsage })
    },
    stream: (_request, model, deadline) => {
      deadlines.push(deadline)
      return Stream.make(
        { _tag: "TextDelta", text: "ok" } as const,
        { _tag: "ProviderFinish", finishReason: "stop", model, usage: emptyUsage } as const
      )
    },
    listModels: Effect.succeed([{ id: "a", provider: "openai" }])
  }
  return { deadlines, layer: Layer.succeed(LLMProvider, provider) }
}

/** The orchestrator over `provider` as instance `instance`, model "a"; `budgeted` turns budget reservations on. */
const orchestrator = (
  provider: ReturnType<typeof recordingProvider>,
  options: {
    readonly instance?: string
    readonly requestTimeoutMs?: number
    readonly budgeted?: boolean
    readonly validate?: boolean
    readonly retry?: { readonly maxAttempts: number; readonly initialDelayMs: number; readonly maxDelayMs: number }
    readonly telemetry?: { readonly tracer: Tracer.Tracer; readonly metricRegistry: Metric.MetricRegistry }
    readonly fallbackModels?: ReadonlyArray<string>
  } = {}
) => {
  const instance = options.instance ?? "openai"
  const cost = testCost([])
  const budgeted = Layer.effect(
    CostTracker,
    Effect.gen(function* () {
      return CostTracker.of({ ...(yield* CostTracker), budgeted: true })
    })
  ).pipe(Layer.provide(cost))
  return LLMOrchestrator.layer({
    activeProvider: instance,
    activeModel: "a",
    providers: {
      [instance]: {
        layer: provider.layer,
        ...(options.fallbackModels === undefined ? {} : { fallbackModels: options.fallbackModels })
      }
    },
    retry: options.retry ?? { maxAttempts: 1 },
    ...(options.requestTimeoutMs === undefined ? {} : { requestTimeoutMs: options.requestTimeoutMs }),
    ...(options.validate ? { discovery: { validate: true } } : {}),
    ...(options.telemetry === undefined ? {} : { telemetry: options.telemetry })
  }).pipe(Layer.provide(options.budgeted ? Layer.merge(cost, budgeted) : cost))
}

const send = (layer: ReturnType<typeof orchestrator>) =>
  LLMOrchestrator.use((llm) => llm.sendRequest(user("hi"))).pipe(Effect.provide(layer))

describe("the request deadline handed to provider calls", () => {
  it.live("a provider that honours it gets the default 15 min deadline with each call, plain and streamed", () =>
    Effect.gen(function* () {
      const provider = recordingProvider({ honorsDeadline: true })
      const layer = orchestrator(provider)
      const before = Date.now()
      yield* send(layer)
      yield* LLMOrchestrator.use((llm) => Stream.runDrain(llm.sendStreamingRequest(user("hi")))).pipe(
        Effect.provide(layer)
      )
      expect(provider.deadlines).toHaveLength(2)
      for (const deadline of provider.deadlines) {
        expect(deadline!.at).toBeGreaterThanOrEqual(before + 900_000)
        expect(deadline!.at).toBeLessThan(Date.now() + 900_000 + 1)
      }
    })
  )

  it.live("an instance under another name keeps its provider's declaration", () =>
    Effect.gen(function* () {
      const provider = recordingProvider({ honorsDeadline: true })
      yield* send(orchestrator(provider, { instance: "openai-work" }))
      expect(provider.deadlines[0]).toBeDefined()
    })
  )

  it.live("one provider that does not declare it is enough for the orchestrator to watch every request", () =>
    Effect.gen(function* () {
      const declared = recordingProvider({ honorsDeadline: true })
      const undeclared = recordingProvider({ honorsDeadline: false })
      const layer = LLMOrchestrator.layer({
        activeProvider: "openai",
        activeModel: "a",
        providers: { openai: { layer: declared.layer }, other: { layer: undeclared.layer } }
      }).pipe(Layer.provide(testCost([])))
      yield* send(layer)
      expect(declared.deadlines).toEqual([undefined])
    })
  )

  it.live("a renamed instance of a provider that does not declare it gets none either", () =>
    Effect.gen(function* () {
      const provider = recordingProvider({ honorsDeadline: false })
      yield* send(orchestrator(provider, { instance: "openai-work" }))
      expect(provider.deadlines).toEqual([undefined])
    })
  )

  it.live("the watchdog clears its timer once its request has ended", () =>
    Effect.gen(function* () {
      const provider = recordingProvider({ honorsDeadline: false })
      const layer = orchestrator(provider, { requestTimeoutMs: 123_456 })
      // The watchdog's timers, told apart by their delay: counting every pending timer of the process
      // would also count other tests' (the mutation runs share one process).
      const armed = new Set<unknown>()
      let armedCount = 0
      const realSetTimeout = globalThis.setTimeout
      const realClearTimeout = globalThis.clearTimeout
      globalThis.setTimeout = ((handler: () => void, ms?: number) => {
        const timer = realSetTimeout(handler, ms)
        if (ms === 123_456) {
          armed.add(timer)
          armedCount++
        }
        return timer
      }) as typeof setTimeout
      globalThis.clearTimeout = ((timer: ReturnType<typeof setTimeout> | undefined) => {
        armed.delete(timer)
        realClearTimeout(timer)
      }) as typeof clearTimeout
      yield* Effect.ensuring(
        Effect.andThen(send(layer), send(layer)),
        Effect.sync(() => {
          globalThis.setTimeout = realSetTimeout
          globalThis.clearTimeout = realClearTimeout
        })
      )
      expect(armedCount).toBe(2)
      expect(armed.size).toBe(0)
    })
  )

  it.live("with request_timeout off, no call gets a deadline", () =>
    Effect.gen(function* () {
      const provider = recordingProvider({ honorsDeadline: true })
      yield* send(orchestrator(provider, { requestTimeoutMs: 0 }))
      expect(provider.deadlines).toEqual([undefined])
    })
  )

  it.live(
    "the orchestrator watches it instead for a provider that does not declare it, under a budget, and with discovery.validate",
    () =>
      Effect.gen(function* () {
        const undeclared = recordingProvider({ honorsDeadline: false })
        const budgeted = recordingProvider({ honorsDeadline: true })
        const validating = recordingProvider({ honorsDeadline: true })
        yield* send(orchestrator(undeclared))
        yield* send(orchestrator(budgeted, { budgeted: true }))
        yield* send(orchestrator(validating, { validate: true }))
        expect([undeclared.deadlines, budgeted.deadlines, validating.deadlines]).toEqual([
          [undefined],
          [undefined],
          [undefined]
        ])
      })
  )

  it.live("every try of a request gets the same deadline; a call that honours it ends the request with its error", () =>
    Effect.gen(function* () {
      const provider = recordingProvider({ honorsDeadline: true, steps: ["unavailable", "hang"] })
      const error = yield* Effect.flip(
        send(
          orchestrator(provider, { requestTimeoutMs: 300, retry: { maxAttempts: 3, initialDelayMs: 1, maxDelayMs: 1 } })
        )
      )
      expect(error).toMatchObject({ _tag: "TimeoutError", timeoutMs: 300 })
      expect(error.message).toContain("(attempts so far: openai/a ProviderUnavailableError)")
      // Cut: no third try.
      expect(provider.deadlines).toHaveLength(2)
      expect(provider.deadlines[0]).toBe(provider.deadlines[1])
    })
  )

  it.live("a backoff longer than what is left ends the request at the deadline, without another try", () =>
    Effect.gen(function* () {
      const provider = recordingProvider({ honorsDeadline: true, steps: ["unavailable", "answer"] })
      const layer = orchestrator(provider, {
        requestTimeoutMs: 300,
        retry: { maxAttempts: 3, initialDelayMs: 20_000, maxDelayMs: 20_000 }
      })
      const started = Date.now()
      const error = yield* Effect.flip(send(layer))
      const elapsed = Date.now() - started
      expect(error).toMatchObject({ _tag: "TimeoutError", timeoutMs: 300 })
      expect(provider.deadlines).toHaveLength(1)
      // At the deadline: far from failing at once and far from the 16-20 s backoff.
      expect(elapsed).toBeGreaterThanOrEqual(200)
      expect(elapsed).toBeLessThan(5_000)
    })
  )

  it.live(
    "the call the deadline cut is listed: its attempt span ends with the deadline's error, and it is counted",
    () =>
      Effect.gen(function* () {
        const { tracer, spans } = recordingTracer()
        const metricRegistry: Metric.MetricRegistry = new Map()
        const provider = recordingProvider({ honorsDeadline: true, steps: ["hang"] })
        const error = yield* Effect.flip(
          send(orchestrator(provider, { requestTimeoutMs: 200, telemetry: { tracer, metricRegistry } }))
        )
        expect(error).toMatchObject({ _tag: "TimeoutError", timeoutMs: 200 })
        // The deadline was handed (not watched): the call itself was cut.
        expect(provider.deadlines[0]).toBeDefined()
        const attempt = spans.find((span) => span.parent._tag === "Some")
        expect(attempt?.status._tag).toBe("Ended")
        const exit = attempt?.status._tag === "Ended" ? attempt.status.exit : undefined
        expect(exit?._tag).toBe("Failure")
        expect(JSON.stringify(exit)).toContain("TimeoutError")
        const counted = Metric.snapshotUnsafe(Context.make(Metric.MetricRegistry, metricRegistry))
          .filter((metric) => metric.id === "llm_orchestrator.attempts")
          .map((metric) => ({
            ...metric.attributes,
            count: metric.type === "Counter" ? Number(metric.state.count) : -1
          }))
        expect(counted).toEqual([expect.objectContaining({ outcome: "error", "error.type": "TimeoutError", count: 1 })])
      })
  )

  it.live("a call the deadline cut is not followed by the next model, even one that would answer", () =>
    Effect.gen(function* () {
      const provider = recordingProvider({ honorsDeadline: true, steps: ["hang", "answer"] })
      const error = yield* Effect.flip(send(orchestrator(provider, { requestTimeoutMs: 200, fallbackModels: ["b"] })))
      expect(error).toMatchObject({ _tag: "TimeoutError", timeoutMs: 200 })
      // Model "b" was never called.
      expect(provider.deadlines).toHaveLength(1)
    })
  )
})
