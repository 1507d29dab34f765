/**
 * The CostTracker's rules at their edges: which `cost_tracking` values a code-built config may hold,
 * the exact budget boundary, a record settling its reservation on its own, and what a failing log's
 * flush says. Written to kill the mutants Stryker found alive in tracker.ts (README "Mutation testing").
 */
import * as fs from "node:fs"
import * as os from "node:os"
import * as nodePath from "node:path"
import { describe, expect, it } from "@effect/vitest"
import type { CostRecord, CostTrackingConfig, ModelPrice } from "@llm-orchestrator/core"
import { CostTracker, CostTracking } from "@llm-orchestrator/cost"
import { Context, Effect, Layer, Logger } from "effect"

const config = (extra: Partial<CostTrackingConfig> = {}): CostTrackingConfig => ({
  enabled: true,
  prices: {},
  ...extra
})

/** The problems the layer reports for `extra`, or "ok" when it builds. */
const problemsOf = (extra: Partial<CostTrackingConfig>) =>
  CostTracker.use(() => Effect.succeed("ok" as const)).pipe(
    Effect.provide(CostTracking.layer(config(extra))),
    Effect.catchTag("ConfigError", (error) => Effect.succeed(error.problems.map((p) => `${p.path}: ${p.message}`)))
  )

const perMillion = "expected USD per million tokens (a number >= 0)"

describe("cost_tracking values a code-built config may hold", () => {
  it.effect(
    "prices: input and output are required, the optional rates may be left out, each must be a finite number >= 0",
    () =>
      Effect.gen(function* () {
        // Code-built configs are not type-checked by every caller (plain JS, JSON): the layer checks values.
        const price = (p: Record<string, unknown>) => ({ prices: { m: p as unknown as ModelPrice } })
        expect(yield* problemsOf(price({ input: 0, output: 0 }))).toBe("ok") // free is a price
        expect(yield* problemsOf(price({ input: 1, output: 2, cacheRead: 0.1 }))).toBe("ok")
        expect(yield* problemsOf(price({ output: 2 }))).toEqual([`cost_tracking.prices.m.input: ${perMillion}`])
        expect(yield* problemsOf(price({ input: 1 }))).toEqual([`cost_tracking.prices.m.output: ${perMillion}`])
        expect(yield* problemsOf(price({ input: -0.5, output: Number.POSITIVE_INFINITY }))).toEqual([
          `cost_tracking.prices.m.input: ${perMillion}`,
          `cost_tracking.prices.m.output: ${perMillion}`
        ])
        expect(yield* problemsOf(price({ input: "3", output: 1, cacheWrite: Number.NaN }))).toEqual([
          `cost_tracking.prices.m.input: ${perMillion}`,
          `cost_tracking.prices.m.cacheWrite: ${perMillion}`
        ])
        expect(yield* problemsOf(price({ input: 1, output: 1, webSearchPerThousand: -10 }))).toEqual([
          "cost_tracking.prices.m.webSearchPerThousand: expected USD per 1,000 web searches (a number >= 0)"
        ])
      })
  )

  it.effect("budget_usd: 0 or more and finite", () =>
    Effect.gen(function* () {
      const problem = ["cost_tracking.budget_usd: expected an amount in USD (a number >= 0)"]
      expect(yield* problemsOf({ budgetUsd: 0 })).toBe("ok")
      expect(yield* problemsOf({ budgetUsd: 12.5 })).toBe("ok")
      expect(yield* problemsOf({ budgetUsd: -0.01 })).toEqual(problem)
      expect(yield* problemsOf({ budgetUsd: Number.POSITIVE_INFINITY })).toEqual(problem)
      expect(yield* problemsOf({ budgetUsd: Number.NaN })).toEqual(problem)
    })
  )

  it.effect("max_buffered_records and reserve_output_tokens: whole numbers of at least 1", () =>
    Effect.gen(function* () {
      const buffered = ["cost_tracking.max_buffered_records: expected a whole number of at least 1"]
      const reserve = ["cost_tracking.reserve_output_tokens: expected a whole number of tokens >= 1"]
      expect(yield* problemsOf({ maxBufferedRecords: 1, reserveOutputTokens: 1 })).toBe("ok")
      expect(yield* problemsOf({ maxBufferedRecords: 0 })).toEqual(buffered)
      expect(yield* problemsOf({ maxBufferedRecords: 1.5 })).toEqual(buffered)
      expect(yield* problemsOf({ reserveOutputTokens: 0 })).toEqual(reserve)
      expect(yield* problemsOf({ reserveOutputTokens: 2.5 })).toEqual(reserve)
    })
  )
})

describe("the tracker's service, at its edges", () => {
  const request = { messages: [{ role: "user" as const, content: "hi" }], maxTokens: 100 }
  const prices = { m: { input: 3, output: 10 } }
  const settled = (total: number): CostRecord => ({
    timestamp: "2026-12-03T00:00:00.000Z",
    requestId: "r1",
    provider: "openai",
    model: "m",
    usage: { inputTokens: 1, outputTokens: 1, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 },
    cost: { input: 0, cacheRead: 0, cacheWrite: 0, output: total, reasoning: 0, total, currency: "USD" },
    latencyMs: 1,
    outcome: "success",
    attempt: 1,
    stream: false,
    metadata: {}
  })

  it.effect("a reservation that exactly fits what the budget has left is admitted", () =>
    Effect.gen(function* () {
      const worstCase = yield* CostTracker.use((t) => t.reserve("openai", "m", request)).pipe(
        Effect.provide(CostTracking.layer(config({ prices, budgetUsd: 100 })))
      )
      const tracker = CostTracker.use((t) =>
        Effect.gen(function* () {
          const exact = yield* t.reserve("openai", "m", request)
          const next = yield* Effect.flip(t.reserve("openai", "m", request))
          return [exact.amountUsd, next._tag]
        })
      ).pipe(Effect.provide(CostTracking.layer(config({ prices, budgetUsd: worstCase.amountUsd }))))
      expect(yield* tracker).toEqual([worstCase.amountUsd, "BudgetExceededError"])
    })
  )

  it.effect("recording a cost settles the reservation it names at once: no release call is needed", () =>
    Effect.gen(function* () {
      const tracker = yield* CostTracker
      const first = yield* tracker.reserve("openai", "m", request)
      expect((yield* Effect.flip(tracker.reserve("openai", "m", request)))._tag).toBe("BudgetExceededError")
      yield* tracker.record(settled(0), first)
      const second = yield* tracker.reserve("openai", "m", request)
      expect(second.amountUsd).toBe(first.amountUsd)
    }).pipe(Effect.provide(CostTracking.layer(config({ prices, budgetUsd: 0.0015 }))))
  )

  it.effect("without a budget nothing is refused and an enabled tracker without a log has no log health", () =>
    Effect.gen(function* () {
      const tracker = yield* CostTracker
      expect([tracker.enabled, tracker.budgeted]).toEqual([true, false])
      expect(tracker.unpricedRefusal("openai", "no-such-price-zzz")).toBeUndefined()
      expect(yield* tracker.logHealth).toBeUndefined()
      yield* tracker.flush // nothing to write: succeeds
    }).pipe(Effect.provide(CostTracking.layer(config())))
  )

  it.live("a failing log's flush names what is buffered and, once, what was lost", () =>
    Effect.gen(function* () {
      const tracker = yield* CostTracker
      for (let index = 0; index < 3; index++) yield* tracker.record({ ...settled(0), requestId: `r${index}` })
      const hint =
        "free space on its disk or fix the path (cost_tracking.max_buffered_records bounds what is kept in memory meanwhile)"
      const first = yield* Effect.flip(tracker.flush)
      expect(first.message).toBe(
        `cost log /dev/full: 2 record(s) not written yet (ENOSPC), kept in memory and retried; 1 record(s) lost; ${hint}`
      )
      const second = yield* Effect.flip(tracker.flush)
      expect(second.message).toBe(
        `cost log /dev/full: 2 record(s) not written yet (ENOSPC), kept in memory and retried; ${hint}`
      )
    }).pipe(Effect.provide(CostTracking.layer(config({ logPath: "/dev/full", maxBufferedRecords: 2 }))))
  )
})

describe("a healthy log's flush and close", () => {
  const hint =
    "free space on its disk or fix the path (cost_tracking.max_buffered_records bounds what is kept in memory meanwhile)"
  const line = (id: string): CostRecord => ({
    timestamp: "2026-12-03T00:00:00.000Z",
    requestId: id,
    provider: "openai",
    model: "m",
    usage: { inputTokens: 1, outputTokens: 1, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 },
    cost: undefined,
    latencyMs: 1,
    outcome: "success",
    attempt: 1,
    stream: false,
    metadata: {}
  })
  const logIn = () => {
    const dir = fs.realpathSync(fs.mkdtempSync(nodePath.join(os.tmpdir(), "llm-cost-healthy-")))
    return { dir, logPath: nodePath.join(dir, "costs.jsonl") }
  }

  const capture = (logged: Array<unknown>) =>
    Effect.provide(Logger.layer([Logger.make((options) => void logged.push(options.message))]))

  it.live("a record dropped beyond max_buffered_records fails the flush, though everything kept was written", () => {
    const logged: Array<unknown> = []
    return Effect.gen(function* () {
      const { dir, logPath } = logIn()
      yield* Effect.gen(function* () {
        const tracker = yield* CostTracker
        // Both before the batch delay: the second finds the buffer (1 record) full and is dropped.
        yield* tracker.record(line("kept"))
        yield* tracker.record(line("dropped"))
        const error = yield* Effect.flip(tracker.flush)
        expect(error).toMatchObject({ _tag: "CostLogError", bufferedRecords: 0, lostRecords: 1 })
        expect(error.message).toBe(`cost log ${logPath}: 1 record(s) lost; ${hint}`)
        yield* tracker.flush // reported once
      }).pipe(Effect.provide(CostTracking.layer(config({ logPath, maxBufferedRecords: 1 }))))
      expect(fs.readFileSync(logPath, "utf8").split("\n").filter(Boolean)).toHaveLength(1)
      expect(logged.map(String)).toEqual([`cost log ${logPath}: 1 record(s) lost; ${hint}`])
      fs.rmSync(dir, { recursive: true, force: true })
    }).pipe(capture(logged))
  })

  it.live("closing a log that lost nothing logs no error", () => {
    const logged: Array<unknown> = []
    return Effect.gen(function* () {
      const { dir, logPath } = logIn()
      yield* CostTracker.use((tracker) => tracker.record(line("r1"))).pipe(
        Effect.provide(CostTracking.layer(config({ logPath })))
      )
      expect(fs.readFileSync(logPath, "utf8").split("\n").filter(Boolean)).toHaveLength(1)
      expect(logged).toEqual([])
      fs.rmSync(dir, { recursive: true, force: true })
    }).pipe(capture(logged))
  })

  it.live("a failed flush names no write error once a later attempt has cleared it, only what is still buffered", () =>
    Effect.gen(function* () {
      const { dir, logPath } = logIn()
      yield* Effect.gen(function* () {
        const tracker = yield* CostTracker
        // One synchronous sequence, so no timer or fiber can run in between.
        const error = yield* Effect.promise(() => {
          Effect.runSync(tracker.record(line("r1")))
          fs.rmSync(dir, { recursive: true }) // the log cannot be reopened: this flush's attempt fails at once
          const failed = Effect.runPromise(Effect.flip(tracker.flush))
          fs.mkdirSync(dir)
          void Effect.runPromise(tracker.flush) // its attempt succeeds at once and clears the error
          Effect.runSync(tracker.record(line("r2"))) // buffered when the first flush reports
          return failed
        })
        expect(error).toMatchObject({ bufferedRecords: 1, lostRecords: 0 })
        expect(error.message).toBe(
          `cost log ${logPath}: 1 record(s) not written yet, kept in memory and retried; ${hint}`
        )
      }).pipe(Effect.provide(CostTracking.layer(config({ logPath, fsync: "none" }))))
      expect(fs.readFileSync(logPath, "utf8").split("\n").filter(Boolean)).toHaveLength(2)
      fs.rmSync(dir, { recursive: true, force: true })
    })
  )
})

describe("trackers sharing one log file", () => {
  it.live("share one writer; the first to close leaves it open for the other", () =>
    Effect.gen(function* () {
      const dir = fs.mkdtempSync(nodePath.join(os.tmpdir(), "llm-cost-shared-"))
      const logPath = nodePath.join(dir, "costs.jsonl")
      const line = (id: string): CostRecord => ({
        timestamp: "2026-12-03T00:00:00.000Z",
        requestId: id,
        provider: "openai",
        model: "m",
        usage: { inputTokens: 1, outputTokens: 1, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 },
        cost: undefined,
        latencyMs: 1,
        outcome: "success",
        attempt: 1,
        stream: false,
        metadata: {}
      })
      const outer = yield* Layer.build(CostTracking.layer(config({ logPath })))
      const outerTracker = Context.get(outer, CostTracker)
      yield* Effect.scoped(
        Effect.gen(function* () {
          const inner = yield* CostTracker
          yield* inner.record(line("inner"))
          yield* outerTracker.record(line("outer-1"))
          yield* inner.flush
          // One writer: each tracker's health counts the lines of both.
          expect((yield* inner.logHealth)?.writtenRecords).toBe(2)
        }).pipe(Effect.provide(CostTracking.layer(config({ logPath }))))
      )
      // The inner layer is closed; the outer one still writes to the same file.
      yield* outerTracker.record(line("outer-2"))
      yield* outerTracker.flush
      const ids = fs
        .readFileSync(logPath, "utf8")
        .split("\n")
        .filter(Boolean)
        .map((l) => JSON.parse(l).requestId)
      expect(ids).toEqual(["inner", "outer-1", "outer-2"])
      fs.rmSync(dir, { recursive: true, force: true })
    }).pipe(Effect.scoped)
  )
})
