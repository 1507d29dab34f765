/**
 * Budgets fail closed, through the public API with the real CostTracking layer: a model with no known
 * price is refused under a budget, and every attempt reserves its worst-case cost before anything is
 * sent, so concurrent requests (plain and streamed) cannot all pass the check and overspend. The
 * reservation is given back when an attempt fails, is interrupted or stopped early.
 */
import { describe, expect, it } from "@effect/vitest"
import {
  type ChatRequest,
  type CostTrackingConfig,
  type LLMError,
  LLMOrchestrator,
  ProviderUnavailableError
} from "@llm-orchestrator/core"
import { CostTracking } from "@llm-orchestrator/cost"
import { makeFakeProvider } from "@llm-orchestrator/testing"
import { Deferred, Effect, Fiber, Layer, Result, Stream } from "effect"
import { fastRetry, fleetOrchestrator, readLog } from "./support.ts"

/** `cost_tracking` lines (after budget_usd) and the fast retry section, as the fleet's extra YAML. */
const costYaml = (...lines: ReadonlyArray<string>) => [...lines.map((line) => `  ${line}`), fastRetry].join("\n")
/** $1 per million input tokens and $2 per million output tokens: round numbers for the reservations. */
const miniPrice = ["prices:", "  gpt-4o-mini: { input: 1, output: 2 }"]

const ask = (content: string, maxTokens = 64): ChatRequest => ({
  messages: [{ role: "user", content }],
  maxTokens
})

/**
 * What one attempt reserves at $1/$2 per million: one input token per UTF-8 byte of text plus 16 per
 * message and 16 per request, and maxTokens output tokens (the formula stated in the report/README).
 */
const reservationUsd = (request: ChatRequest) => {
  const text = request.messages.reduce((sum, m) => sum + Buffer.byteLength(m.content as string), 0)
  return ((text + 16 * request.messages.length + 16) * 1 + (request.maxTokens ?? 4096) * 2) / 1e6
}

const collect = (request: ChatRequest) =>
  LLMOrchestrator.use((llm) => Stream.runCollect(llm.sendStreamingRequest(request)))

const tagOf = <A>(result: Result.Result<A, LLMError>) => (Result.isFailure(result) ? result.failure._tag : "ok")

/** The orchestrator over a scripted fake provider (no HTTP) and the real CostTracking layer. */
const withFake = (
  cost: Partial<CostTrackingConfig>,
  activeModel: string,
  fallbackModels: ReadonlyArray<string> = []
) => {
  const fake = makeFakeProvider({ id: "openai" })
  const layer = LLMOrchestrator.layer({
    activeProvider: "openai",
    activeModel,
    providers: { openai: { layer: fake.layer, fallbackModels } },
    retry: { maxAttempts: 2, initialDelayMs: 1, maxDelayMs: 1 }
  }).pipe(Layer.provide(CostTracking.layer({ enabled: true, prices: {}, ...cost })))
  return { fake, layer }
}

describe("a model with no known price under a budget", () => {
  it.live("is refused before anything is sent, plain and streamed; allow_unpriced: true lets it through", () =>
    Effect.gen(function* () {
      const refused = withFake({ budgetUsd: 1 }, "my-finetune")
      const plain = yield* Effect.flip(
        LLMOrchestrator.use((llm) => llm.sendRequest(ask("hi"))).pipe(Effect.provide(refused.layer))
      )
      const streamed = yield* Effect.flip(collect(ask("hi")).pipe(Effect.provide(refused.layer)))
      for (const error of [plain, streamed]) {
        expect(error._tag).toBe("InvalidRequestError")
        expect(error.message).toBe(
          "openai model my-finetune has no known price, so a budget cannot bound it; add cost_tracking.prices.my-finetune (USD per million input and output tokens) or set cost_tracking.allow_unpriced: true"
        )
      }
      expect(refused.fake.calls).toHaveLength(0)

      const allowed = withFake({ budgetUsd: 1, allowUnpriced: true }, "my-finetune")
      const response = yield* LLMOrchestrator.use((llm) => llm.sendRequest(ask("hi"))).pipe(
        Effect.provide(allowed.layer)
      )
      expect(response.cost).toBeUndefined()
      yield* collect(ask("hi")).pipe(Effect.provide(allowed.layer))
      expect(allowed.fake.calls.map((call) => call.model)).toEqual(["my-finetune", "my-finetune"])

      // Without a budget nothing changes: unpriced models are called and counted as unpriced.
      const unbudgeted = withFake({}, "my-finetune")
      yield* LLMOrchestrator.use((llm) => llm.sendRequest(ask("hi"))).pipe(Effect.provide(unbudgeted.layer))
      expect(unbudgeted.fake.calls).toHaveLength(1)
    })
  )

  it.live("in a chain it is skipped like an unknown model, listed in attempts, and the next model answers", () =>
    Effect.gen(function* () {
      const { fleet, layer } = yield* fleetOrchestrator({
        activeModel: "my-finetune",
        budgetUsd: 1,
        extraYaml: costYaml(...miniPrice)
      })
      const response = yield* LLMOrchestrator.use((llm) => llm.sendRequest(ask("hi"))).pipe(Effect.provide(layer))
      expect(response.attempts.map((a) => `${a.model}:${a.outcome}:${a.errorTag ?? ""}`)).toEqual([
        "my-finetune:error:InvalidRequestError",
        "gpt-4o-mini:success:"
      ])
      const events = yield* collect(ask("hi")).pipe(Effect.provide(layer))
      const finish = Array.from(events).find((event) => event._tag === "Finish")
      expect(finish?._tag === "Finish" && finish.model).toBe("gpt-4o-mini")
      // Nothing ever reached the simulator for the unpriced model.
      expect(fleet.openai.requests.filter((r) => r.kind !== "models").map((r) => r.model)).toEqual([
        "gpt-4o-mini",
        "gpt-4o-mini"
      ])
    })
  )
})

describe("200 concurrent requests with a tiny budget (real SDK against the simulator)", () => {
  const request = ask("hi")
  const reserved = reservationUsd(request)
  // Room for three reservations at once: the old once-before-sending check let all 200 through.
  const budgetUsd = reserved * 3.5

  for (const mode of ["plain", "streamed"] as const) {
    it.live(
      `${mode}: spent stays within the budget; the refused ones fail with BudgetExceededError and send nothing`,
      () =>
        Effect.gen(function* () {
          const { fleet, layer, logPath } = yield* fleetOrchestrator({ budgetUsd, extraYaml: costYaml(...miniPrice) })
          // Slow enough that all 200 are in flight together.
          fleet.openai.script(
            ...Array.from({ length: 200 }, () => ({
              kind: "text" as const,
              text: "one two three four",
              firstByteDelayMs: 30
            }))
          )
          const send: Effect.Effect<unknown, LLMError, LLMOrchestrator> =
            mode === "plain" ? LLMOrchestrator.use((llm) => llm.sendRequest(request)) : collect(request)
          const { results, spent, later } = yield* Effect.gen(function* () {
            const results = yield* Effect.forEach(Array.from({ length: 200 }), () => Effect.result(send), {
              concurrency: "unbounded"
            })
            const spent = yield* LLMOrchestrator.use((llm) => llm.getSessionCost)
            // Every reservation was settled or given back: what is left of the budget is usable.
            const later = yield* Effect.result(send)
            return { results, spent, later }
          }).pipe(Effect.provide(layer))

          const tags = results.map(tagOf)
          const succeeded = tags.filter((tag) => tag === "ok").length
          expect(new Set(tags)).toEqual(new Set(["ok", "BudgetExceededError"]))
          expect(succeeded).toBeGreaterThanOrEqual(1)
          expect(succeeded).toBeLessThan(200)
          const refused = results.find(Result.isFailure)!.failure
          expect(refused.message).toMatch(
            /^session budget of \$0\.\d{6} cannot cover this request: \$0\.\d{6} spent \+ \$0\.\d{6} reserved by requests in flight \+ up to \$0\.000162 for this one \(openai model gpt-4o-mini, its input and maxTokens or cost_tracking\.reserve_output_tokens\); lower maxTokens, raise cost_tracking\.budget_usd or start a new session$/
          )
          // Each call's usage stayed within its reservation, so the stated overshoot bound is 0.
          expect(spent).toBeGreaterThan(0)
          expect(spent).toBeLessThanOrEqual(budgetUsd)
          expect(tagOf(later)).toBe("ok")
          // The refused requests sent nothing: the simulator saw exactly the admitted ones.
          const calls = fleet.openai.requests.filter((r) => r.kind !== "models")
          expect(calls).toHaveLength(succeeded + 1)
          const log = readLog(logPath)
          expect(log).toHaveLength(succeeded + 1)
          const loggedBefore = log.slice(0, -1).reduce((sum, record) => sum + (record.cost?.total ?? 0), 0)
          expect(Math.abs(loggedBefore - spent)).toBeLessThan(1e-12)
        })
    )
  }

  it.live(
    "calls billed beyond their reservation: spent <= budget + the sum of (actual - reserved) of those in flight",
    () =>
      Effect.gen(function* () {
        const { fleet, layer, logPath } = yield* fleetOrchestrator({ budgetUsd, extraYaml: costYaml(...miniPrice) })
        // Each call bills 2,000 input tokens for a 2-character message: ~12x its reservation.
        fleet.openai.script(
          ...Array.from({ length: 50 }, () => ({
            kind: "text" as const,
            text: "ok",
            usage: { inputTokens: 2_000, outputTokens: 1 },
            firstByteDelayMs: 30
          }))
        )
        const { results, spent } = yield* Effect.gen(function* () {
          const results = yield* Effect.forEach(
            Array.from({ length: 50 }),
            () => Effect.result(LLMOrchestrator.use((llm) => llm.sendRequest(request))),
            { concurrency: "unbounded" }
          )
          return { results, spent: yield* LLMOrchestrator.use((llm) => llm.getSessionCost) }
        }).pipe(Effect.provide(layer))
        const admitted = results.filter(Result.isSuccess).length
        // Three reservations fit; nothing else was sent.
        expect(admitted).toBeGreaterThanOrEqual(1)
        expect(admitted).toBeLessThanOrEqual(3)
        expect(fleet.openai.requests.filter((r) => r.kind !== "models")).toHaveLength(admitted)
        const excess = readLog(logPath).reduce((sum, record) => sum + Math.max(0, record.cost!.total - reserved), 0)
        expect(spent).toBeGreaterThan(budgetUsd)
        expect(spent).toBeLessThanOrEqual(budgetUsd + excess + 1e-12)
      })
  )

  it.live("a streaming request after the budget is spent fails with BudgetExceededError before any HTTP request", () =>
    Effect.gen(function* () {
      const { fleet, layer } = yield* fleetOrchestrator({ budgetUsd, extraYaml: costYaml(...miniPrice) })
      // The provider bills far more input than the request's text (say, a huge hidden prompt): the
      // one overshoot a reservation cannot see, bounded by that call's actual minus reserved cost.
      fleet.openai.script({ kind: "text", text: "ok", usage: { inputTokens: 2_000, outputTokens: 1 } })
      const { first, spent, streamed } = yield* Effect.gen(function* () {
        const first = yield* LLMOrchestrator.use((llm) => llm.sendRequest(request))
        const spent = yield* LLMOrchestrator.use((llm) => llm.getSessionCost)
        const streamed = yield* Effect.flip(collect(request))
        return { first, spent, streamed }
      }).pipe(Effect.provide(layer))
      expect(spent).toBeGreaterThan(budgetUsd)
      expect(spent - budgetUsd).toBeLessThanOrEqual(first.cost!.total - reserved)
      expect(streamed._tag).toBe("BudgetExceededError")
      expect(fleet.openai.requests.filter((r) => r.kind !== "models")).toHaveLength(1)
    })
  )
})

describe("a reservation is given back however the attempt ends", () => {
  const request = ask("hi")
  // Room for one reservation at a time.
  const budgetUsd = reservationUsd(request) * 1.5
  const cost = { budgetUsd, prices: { "gpt-4o-mini": { input: 1, output: 2 } } }

  it.live("failed calls and retries give it back; a call in flight holds it", () =>
    Effect.gen(function* () {
      const { fake, layer } = withFake(cost, "gpt-4o-mini")
      const unavailable = new ProviderUnavailableError({ provider: "openai", model: "gpt-4o-mini", message: "503" })
      // Five calls that fail after their retry (ten failed attempts), then one that fails once and
      // succeeds on its retry: each attempt reserves again, which fits only if the last one gave back.
      for (let i = 0; i < 11; i++) fake.script({ error: unavailable })
      fake.script({ text: "slow answer", delayMs: 200 })
      const { failures, retried, held, after } = yield* Effect.gen(function* () {
        const failures = yield* Effect.forEach(Array.from({ length: 5 }), () =>
          Effect.flip(LLMOrchestrator.use((llm) => llm.sendRequest(request)))
        )
        const slow = yield* Effect.forkChild(LLMOrchestrator.use((llm) => llm.sendRequest(request)))
        yield* Effect.sleep("50 millis")
        // The slow call holds the only room there is.
        const held = yield* Effect.flip(LLMOrchestrator.use((llm) => llm.sendRequest(request)))
        const retried = yield* Fiber.join(slow)
        const after = yield* LLMOrchestrator.use((llm) => llm.sendRequest(request))
        return { failures, retried, held, after }
      }).pipe(Effect.provide(layer))
      expect(failures.map((f) => f._tag)).toEqual(Array(5).fill("ProviderUnavailableError"))
      expect(retried.attempts.map((a) => a.outcome)).toEqual(["error", "success"])
      expect(held._tag).toBe("BudgetExceededError")
      expect(after.content).toBe("Hello from openai gpt-4o-mini.")
      // 10 + 2 attempts of the first six calls, the refused one sent nothing, then the last.
      expect(fake.calls).toHaveLength(13)
    })
  )

  it.live("a stream holds it until it ends; interruption and early stop give it back", () =>
    Effect.gen(function* () {
      const { fleet, layer, logPath } = yield* fleetOrchestrator({ budgetUsd, extraYaml: costYaml(...miniPrice) })
      const slow = { kind: "text" as const, text: "a b c d e f g h i j", chunkDelayMs: 40 }
      fleet.openai.script(slow, slow)
      const outcome = yield* Effect.gen(function* () {
        const llm = yield* LLMOrchestrator
        const firstText = yield* Deferred.make<void>()
        const consumer = yield* Effect.forkChild(
          llm
            .sendStreamingRequest(request)
            .pipe(
              Stream.runForEach((event) =>
                event._tag === "TextDelta" ? Deferred.succeed(firstText, void 0) : Effect.void
              )
            )
        )
        yield* Deferred.await(firstText)
        const whileStreaming = yield* Effect.flip(llm.sendRequest(request))
        yield* Fiber.interrupt(consumer)
        // Early stop: the consumer takes one delta and leaves.
        const early = yield* Stream.runCollect(
          llm.sendStreamingRequest(request).pipe(
            Stream.filter((event) => event._tag === "TextDelta"),
            Stream.take(1)
          )
        )
        const after = yield* llm.sendRequest(request)
        const afterStream = yield* Stream.runCollect(llm.sendStreamingRequest(request))
        return { whileStreaming, early, after, afterStream }
      }).pipe(Effect.provide(layer))
      expect(outcome.whileStreaming._tag).toBe("BudgetExceededError")
      expect(Array.from(outcome.early)).toHaveLength(1)
      expect(outcome.after.content).toContain("Hello from the openai simulator")
      expect(Array.from(outcome.afterStream).at(-1)?._tag).toBe("Finish")
      // The interrupted and the stopped streams were each billed once; nothing else was sent.
      expect(readLog(logPath).map((r) => `${r.stream}:${r.outcome}`)).toEqual([
        "true:interrupted",
        "true:interrupted",
        "false:success",
        "true:success"
      ])
      expect(fleet.openai.requests.filter((r) => r.kind !== "models")).toHaveLength(4)
    })
  )
})

describe("a streamed attempt's reservation under a budget", () => {
  const request = ask("hi")
  const budgetUsd = reservationUsd(request) * 1.5 // room for one reservation at a time
  const prices = { "gpt-4o-mini": { input: 1, output: 2 }, "gpt-4o-mini-b": { input: 1, output: 2 } }
  const usage40 = { inputTokens: 40, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 }

  it.live("one that fails before its first text gives it back, so its retry and then the fallback can reserve", () =>
    Effect.gen(function* () {
      const { fake, layer } = withFake({ budgetUsd, prices }, "gpt-4o-mini", ["gpt-4o-mini-b"])
      const unavailable = new ProviderUnavailableError({ provider: "openai", model: "gpt-4o-mini", message: "503" })
      fake.scriptModel("gpt-4o-mini", { error: unavailable }, { error: unavailable })
      const events = yield* collect(request).pipe(Effect.provide(layer))
      const finish = Array.from(events).at(-1)
      expect([finish?._tag, finish?._tag === "Finish" && finish.model]).toEqual(["Finish", "gpt-4o-mini-b"])
      expect(fake.calls.map((c) => c.model)).toEqual(["gpt-4o-mini", "gpt-4o-mini", "gpt-4o-mini-b"])
    })
  )

  it.live("one interrupted before its first text after reporting usage is billed once and gives it back", () =>
    Effect.gen(function* () {
      const { fake, layer } = withFake({ budgetUsd, prices }, "gpt-4o-mini")
      fake.script({ events: [[{ _tag: "UsageSnapshot", usage: usage40 }]], hang: true })
      const { spent, after } = yield* Effect.gen(function* () {
        const consumer = yield* Effect.forkChild(collect(request))
        while (fake.calls.length === 0) yield* Effect.sleep("5 millis")
        yield* Effect.sleep("20 millis") // the usage snapshot is read
        yield* Fiber.interrupt(consumer)
        const spent = yield* LLMOrchestrator.use((llm) => llm.getSessionCost)
        return { spent, after: yield* LLMOrchestrator.use((llm) => llm.sendRequest(request)) }
      }).pipe(Effect.provide(layer))
      expect(spent).toBeCloseTo(40 / 1e6, 12) // 40 input tokens at $1 per million, once
      expect(after.content).toBe("Hello from openai gpt-4o-mini.")
    })
  )

  it.live("a stream that consumed nothing (empty request, no events) is not billed and gives it back", () =>
    Effect.gen(function* () {
      const empty = ask("")
      const { fake, layer } = withFake({ budgetUsd: reservationUsd(empty) * 1.5, prices }, "gpt-4o-mini")
      fake.script({ events: [] }, { events: [] })
      const [first, second, spent] = yield* Effect.all([
        collect(empty),
        collect(empty),
        LLMOrchestrator.use((llm) => llm.getSessionCost)
      ]).pipe(Effect.provide(layer))
      expect([Array.from(first), Array.from(second), spent]).toEqual([[], [], 0])
    })
  )
})
