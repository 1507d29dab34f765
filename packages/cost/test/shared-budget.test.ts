/**
 * The tracker with a shared budget (`CostTracking.layer(config, { sharedBudget })`, a ledger's budgets):
 * every attempt then reserves its worst case there too, after the session budget, with the request's
 * tags; a refusal there gives the session's part back; a record settles the hold with its cost once, a
 * release gives it back once. The shared budget here is a recording double: the PostgreSQL one is
 * tested against a real server in the ledger package.
 */
import { describe, expect, it } from "@effect/vitest"
import {
  BudgetExceededError,
  type ChatRequest,
  type CostRecord,
  type CostTrackingConfig,
  SharedBudget,
  type SharedBudgetHold
} from "@llm-orchestrator/core"
import { CostTracker, CostTracking } from "@llm-orchestrator/cost"
import { Deferred, Effect, Fiber, Layer } from "effect"

/** $1 / $2 per million input / output tokens. */
const prices = { "gpt-4o-mini": { input: 1, output: 2 } }
const request: ChatRequest = {
  messages: [{ role: "user", content: "hi" }],
  maxTokens: 64,
  metadata: { tenant: "acme" }
}
/** (2 bytes + 16 per message + 16 per request) x $1 + 64 x $2, per million. */
const worstCase = (34 * 1 + 64 * 2) / 1e6

interface Double {
  readonly reserved: Array<{ amountUsd: number; provider: string; model: string; tags: unknown }>
  readonly settled: Array<[SharedBudgetHold, number]>
  readonly released: Array<SharedBudgetHold>
  /** When set, reservations fail with it. */
  refuse: BudgetExceededError | undefined
  /** When set, reservations wait for it. */
  gate: Deferred.Deferred<void> | undefined
}

const makeDouble = () => {
  const double: Double = { reserved: [], settled: [], released: [], refuse: undefined, gate: undefined }
  const layer = Layer.succeed(
    SharedBudget,
    SharedBudget.of({
      reserve: (amountUsd, call) =>
        Effect.gen(function* () {
          if (double.gate !== undefined) yield* Deferred.await(double.gate)
          if (double.refuse !== undefined) return yield* Effect.fail(double.refuse)
          double.reserved.push({ amountUsd, ...call })
          return { amountUsd }
        }),
      settle: (hold, costUsd) => {
        double.settled.push([hold, costUsd])
      },
      release: (hold) => {
        double.released.push(hold)
      }
    })
  )
  return { double, layer }
}

const tracking = (extra: Partial<CostTrackingConfig>, shared: Layer.Layer<SharedBudget> | undefined) =>
  CostTracking.layer({ enabled: true, prices, ...extra }, shared === undefined ? {} : { sharedBudget: shared })

const recordOf = (total: number): CostRecord => ({
  timestamp: new Date(0).toISOString(),
  requestId: "req-1",
  provider: "openai",
  model: "gpt-4o-mini",
  usage: { inputTokens: 34, outputTokens: 10, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 },
  cost: { input: 0, output: total, cacheRead: 0, cacheWrite: 0, reasoning: 0, total, currency: "USD" },
  latencyMs: 1,
  outcome: "success",
  attempt: 1,
  stream: false,
  metadata: {}
})

const refusal = new BudgetExceededError({
  provider: "openai",
  model: "gpt-4o-mini",
  spentUsd: 1,
  budgetUsd: 1,
  message: 'shared budget "team" (total) of $1 cannot cover this request'
})

describe("a shared budget alone", () => {
  it.effect(
    "makes the tracker budgeted: each attempt reserves its worst case there, with its provider, model and tags",
    () =>
      Effect.gen(function* () {
        const { double, layer } = makeDouble()
        const reservation = yield* Effect.flatMap(CostTracker, (tracker) =>
          Effect.gen(function* () {
            expect(tracker.budgeted).toBe(true)
            return yield* tracker.reserve("openai", "gpt-4o-mini", request)
          })
        ).pipe(Effect.provide(tracking({}, layer)))
        expect(reservation.amountUsd).toBeCloseTo(worstCase, 15)
        expect(double.reserved).toEqual([
          { amountUsd: reservation.amountUsd, provider: "openai", model: "gpt-4o-mini", tags: { tenant: "acme" } }
        ])
      })
  )

  it.effect("refuses a model with no known price before reserving, unless allow_unpriced (then nothing is held)", () =>
    Effect.gen(function* () {
      const { double, layer } = makeDouble()
      const error = yield* Effect.flatMap(CostTracker, (tracker) => {
        expect(tracker.unpricedRefusal("openai", "my-finetune")?._tag).toBe("InvalidRequestError")
        return Effect.flip(tracker.reserve("openai", "my-finetune", request))
      }).pipe(Effect.provide(tracking({}, layer)))
      expect(error._tag).toBe("InvalidRequestError")
      const allowed = yield* Effect.flatMap(CostTracker, (tracker) => {
        expect(tracker.unpricedRefusal("openai", "my-finetune")).toBeUndefined()
        return tracker.reserve("openai", "my-finetune", request)
      }).pipe(Effect.provide(tracking({ allowUnpriced: true }, layer)))
      expect(allowed.amountUsd).toBe(0)
      expect(double.reserved).toEqual([])
    })
  )

  it.effect("without one (and no budget_usd) nothing is reserved anywhere", () =>
    Effect.gen(function* () {
      const reservation = yield* Effect.flatMap(CostTracker, (tracker) => {
        expect(tracker.budgeted).toBe(false)
        expect(tracker.unpricedRefusal("openai", "my-finetune")).toBeUndefined()
        return tracker.reserve("openai", "gpt-4o-mini", request)
      }).pipe(Effect.provide(tracking({}, undefined)))
      expect(reservation.amountUsd).toBe(0)
    })
  )
})

describe("with the session budget", () => {
  it.effect("the session budget refuses first: the shared budget is not asked", () =>
    Effect.gen(function* () {
      const { double, layer } = makeDouble()
      const error = yield* Effect.flatMap(CostTracker, (tracker) =>
        Effect.flip(tracker.reserve("openai", "gpt-4o-mini", request))
      ).pipe(Effect.provide(tracking({ budgetUsd: worstCase / 2 }, layer)))
      expect(error._tag).toBe("BudgetExceededError")
      expect(error.message).toMatch(/^session budget/)
      expect(double.reserved).toEqual([])
    })
  )

  it.effect("a shared refusal is the error, and the session's part is given back", () =>
    Effect.gen(function* () {
      const { double, layer } = makeDouble()
      // Room for exactly one reservation in the session budget.
      const after = yield* Effect.flatMap(CostTracker, (tracker) =>
        Effect.gen(function* () {
          double.refuse = refusal
          const error = yield* Effect.flip(tracker.reserve("openai", "gpt-4o-mini", request))
          expect(error).toBe(refusal)
          double.refuse = undefined
          return yield* tracker.reserve("openai", "gpt-4o-mini", request)
        })
      ).pipe(Effect.provide(tracking({ budgetUsd: worstCase * 1.5 }, layer)))
      expect(after.amountUsd).toBeCloseTo(worstCase, 15)
    })
  )

  it.live("an interrupted wait for the shared budget gives the session's part back", () =>
    Effect.gen(function* () {
      const { double, layer } = makeDouble()
      yield* Effect.flatMap(CostTracker, (tracker) =>
        Effect.gen(function* () {
          double.gate = yield* Deferred.make<void>()
          const waiting = yield* Effect.forkChild(tracker.reserve("openai", "gpt-4o-mini", request))
          yield* Effect.sleep("20 millis")
          yield* Fiber.interrupt(waiting)
          double.gate = undefined
          // The interrupted one holds nothing: this one fits.
          yield* tracker.reserve("openai", "gpt-4o-mini", request)
        })
      ).pipe(Effect.provide(tracking({ budgetUsd: worstCase * 1.5 }, layer)))
      expect(double.reserved).toHaveLength(1)
    })
  )
})

describe("settling and releasing", () => {
  it.effect("a record settles the hold with its cost, once; releasing it after does nothing", () =>
    Effect.gen(function* () {
      const { double, layer } = makeDouble()
      yield* Effect.flatMap(CostTracker, (tracker) =>
        Effect.gen(function* () {
          const reservation = yield* tracker.reserve("openai", "gpt-4o-mini", request)
          yield* tracker.record(recordOf(0.00005), reservation)
          yield* tracker.record(recordOf(0.00005), reservation)
          yield* tracker.release(reservation)
        })
      ).pipe(Effect.provide(tracking({}, layer)))
      expect(double.settled).toHaveLength(1)
      expect(double.settled[0]![1]).toBe(0.00005)
      expect(double.settled[0]![0].amountUsd).toBeCloseTo(worstCase, 15)
      expect(double.released).toEqual([])
    })
  )

  it.effect("a release gives the hold back, once; a record after it settles nothing", () =>
    Effect.gen(function* () {
      const { double, layer } = makeDouble()
      yield* Effect.flatMap(CostTracker, (tracker) =>
        Effect.gen(function* () {
          const reservation = yield* tracker.reserve("openai", "gpt-4o-mini", request)
          yield* tracker.release(reservation)
          yield* tracker.release(reservation)
          yield* tracker.record(recordOf(0.00005), reservation)
        })
      ).pipe(Effect.provide(tracking({}, layer)))
      expect(double.released).toHaveLength(1)
      expect(double.settled).toEqual([])
    })
  )

  it.effect("a record without a cost (an unpriced one) settles at 0", () =>
    Effect.gen(function* () {
      const { double, layer } = makeDouble()
      yield* Effect.flatMap(CostTracker, (tracker) =>
        Effect.gen(function* () {
          const reservation = yield* tracker.reserve("openai", "gpt-4o-mini", request)
          yield* tracker.record({ ...recordOf(0), cost: undefined }, reservation)
        })
      ).pipe(Effect.provide(tracking({}, layer)))
      expect(double.settled.map(([, cost]) => cost)).toEqual([0])
    })
  )
})
