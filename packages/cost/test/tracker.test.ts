import * as fs from "node:fs"
import * as os from "node:os"
import * as nodePath from "node:path"
import { afterAll, describe, expect, it } from "@effect/vitest"
import type { CostTrackingConfig, ProviderId, Usage } from "@llm-orchestrator/core"
import {
  type CostRecord,
  CostTracker,
  CostTracking,
  encodeRecord,
  foldCostLog,
  makePricing,
  Pricing,
  readCostLog,
  reportFromRecords
} from "@llm-orchestrator/cost"
import { priceSourcesByType } from "@llm-orchestrator/providers"
import { Effect, Layer } from "effect"

const root = fs.mkdtempSync(nodePath.join(os.tmpdir(), "llm-cost-test-"))
afterAll(() => fs.rmSync(root, { recursive: true, force: true }))
let dirCounter = 0
const freshDir = () => {
  const dir = nodePath.join(root, `case-${++dirCounter}`)
  fs.mkdirSync(dir)
  return dir
}

const pricing = makePricing({}, priceSourcesByType)
const models: ReadonlyArray<[ProviderId, string]> = [
  ["openai", "gpt-4o-mini"],
  ["anthropic", "claude-sonnet-4-5"],
  ["gemini", "gemini-2.5-flash"],
  ["bedrock", "us.anthropic.claude-sonnet-4-5-20250929-v1:0"],
  ["openai", "unpriced-model-zzz"]
]

/** A deterministic, varied record: cost comes from the real pricing, one model in five is unpriced. */
const makeRecord = (index: number, requestPrefix = "req"): CostRecord => {
  const [provider, model] = models[index % models.length]!
  const usage: Usage = {
    inputTokens: 1_000 + index,
    outputTokens: 100 + (index % 97),
    cacheReadTokens: index % 300,
    cacheWriteTokens: index % 7,
    reasoningTokens: index % 50
  }
  return {
    timestamp: new Date(1_750_000_000_000 + index).toISOString(),
    requestId: `${requestPrefix}-${index}`,
    provider,
    model,
    usage,
    cost: pricing.costOf(provider, model, usage),
    latencyMs: index % 1000,
    outcome: index % 11 === 0 ? "error" : "success",
    ...(index % 11 === 0 ? { errorTag: "RateLimitError" } : {}),
    attempt: 1 + (index % 3),
    stream: index % 2 === 0,
    metadata: { feature: index % 2 === 0 ? "chat" : "search", tenant: `t${index % 3}` }
  }
}

const config = (logPath?: string, extra: Partial<CostTrackingConfig> = {}): CostTrackingConfig => ({
  enabled: true,
  prices: {},
  ...(logPath === undefined ? {} : { logPath }),
  ...extra
})

/** Every line of the file: asserts each one is a complete JSON object (no torn or glued lines). */
const readLines = (path: string): Array<Record<string, unknown>> => {
  const text = fs.readFileSync(path, "utf8")
  expect(text.endsWith("\n")).toBe(true)
  return text
    .slice(0, -1)
    .split("\n")
    .map((line) => {
      const parsed = JSON.parse(line) as Record<string, unknown>
      expect(typeof parsed.requestId).toBe("string")
      return parsed
    })
}

const lineCost = (line: Record<string, unknown>): number => (line.cost as { total: number } | null)?.total ?? 0

describe("CostTracker with the JSONL log", () => {
  it.live("10,000 concurrent records -> 10,000 whole lines, session cost = sum of the lines' costs", () =>
    Effect.gen(function* () {
      const logPath = nodePath.join(freshDir(), "costs.jsonl")
      const records = Array.from({ length: 10_000 }, (_, index) => makeRecord(index))
      const session = yield* Effect.gen(function* () {
        const tracker = yield* CostTracker
        yield* Effect.forEach(records, (record) => tracker.record(record), { concurrency: "unbounded", discard: true })
        return { cost: yield* tracker.sessionCost, report: yield* tracker.report }
      }).pipe(Effect.provide(CostTracking.layer(config(logPath))))

      // The scope is closed: everything must be on disk now.
      const lines = readLines(logPath)
      expect(lines).toHaveLength(10_000)
      expect(new Set(lines.map((line) => line.requestId)).size).toBe(10_000)
      const fileCost = lines.reduce((sum, line) => sum + lineCost(line), 0)
      expect(Math.abs(session.cost - fileCost)).toBeLessThan(1e-9)
      const expectedCost = records.reduce((sum, record) => sum + (record.cost?.total ?? 0), 0)
      expect(Math.abs(session.cost - expectedCost)).toBeLessThan(1e-9)
      expect(session.cost).toBeGreaterThan(0)

      // The log reads back into the same records and the same report.
      const { state: readBack, badLines } = yield* readCostLog(logPath)
      expect(badLines).toBe(0)
      expect(readBack).toHaveLength(10_000)
      const byId = new Map(records.map((record) => [record.requestId, record]))
      for (const record of readBack) expect(record).toEqual(byId.get(record.requestId))
      const fromLog = reportFromRecords(readBack)
      expect(fromLog.calls).toBe(10_000)
      expect(fromLog.unpricedCalls).toBe(2_000)
      expect(Math.abs(fromLog.costUsd - session.cost)).toBeLessThan(1e-9)
      expect(fromLog.byModel).toEqual(session.report.byModel)
      expect(fromLog.byTag).toEqual(session.report.byTag)
    })
  )

  it.live("two layers writing the same file concurrently: every line whole, none lost", () =>
    Effect.gen(function* () {
      const dir = freshDir()
      const logPath = nodePath.join(dir, "shared.jsonl")
      // Spelled differently on purpose: both resolve to one file and must share one writer.
      const otherSpelling = nodePath.join(dir, ".", "..", nodePath.basename(dir), "shared.jsonl")
      const recordAll = (prefix: string) =>
        Effect.gen(function* () {
          const tracker = yield* CostTracker
          yield* Effect.forEach(
            Array.from({ length: 10_000 }, (_, index) => makeRecord(index, prefix)),
            (record) => tracker.record(record),
            { concurrency: "unbounded", discard: true }
          )
          return yield* tracker.sessionCost
        })
      const [costA, costB] = yield* Effect.all(
        [
          recordAll("a").pipe(Effect.provide(CostTracking.layer(config(logPath)))),
          recordAll("b").pipe(Effect.provide(CostTracking.layer(config(otherSpelling))))
        ],
        { concurrency: 2 }
      )
      const lines = readLines(logPath)
      expect(lines).toHaveLength(20_000)
      const ids = new Set(lines.map((line) => line.requestId))
      expect(ids.size).toBe(20_000)
      // Each tracker counts only its own records.
      const fileCost = (prefix: string) =>
        lines.filter((line) => String(line.requestId).startsWith(`${prefix}-`)).reduce((s, l) => s + lineCost(l), 0)
      expect(Math.abs(costA - fileCost("a"))).toBeLessThan(1e-9)
      expect(Math.abs(costB - fileCost("b"))).toBeLessThan(1e-9)
    })
  )

  it.live("record returns before the write; flush makes the log durable without closing the scope", () =>
    Effect.gen(function* () {
      const logPath = nodePath.join(freshDir(), "costs.jsonl")
      yield* Effect.gen(function* () {
        const tracker = yield* CostTracker
        yield* tracker.record(makeRecord(1))
        // Nothing has touched the file yet: the write is batched off the request path.
        expect(fs.readFileSync(logPath, "utf8")).toBe("")
        yield* tracker.flush
        expect(readLines(logPath)).toHaveLength(1)
        yield* tracker.record(makeRecord(2))
        yield* tracker.flush
        expect(readLines(logPath).map((line) => line.requestId)).toEqual(["req-1", "req-2"])
      }).pipe(Effect.provide(CostTracking.layer(config(logPath))))
    })
  )

  it.live("a missing log directory is created", () =>
    Effect.gen(function* () {
      const logPath = nodePath.join(freshDir(), "deep", "er", "costs.jsonl")
      yield* CostTracker.use((tracker) => tracker.record(makeRecord(3))).pipe(
        Effect.provide(CostTracking.layer(config(logPath)))
      )
      expect(readLines(logPath)).toHaveLength(1)
    })
  )

  it.live("an unwritable log path is a ConfigError at build time", () =>
    Effect.gen(function* () {
      const dir = freshDir()
      // A regular file where a directory should be: fails for every user, root included.
      const blocker = nodePath.join(dir, "not-a-dir")
      fs.writeFileSync(blocker, "x")
      for (const logPath of [nodePath.join(blocker, "costs.jsonl"), dir]) {
        const error = yield* Effect.flip(
          CostTracker.use((tracker) => tracker.record(makeRecord(4))).pipe(
            Effect.provide(CostTracking.layer(config(logPath)))
          )
        )
        expect(error._tag).toBe("ConfigError")
        expect(error.path).toBe("cost_tracking.log_path")
        expect(error.message).toContain(JSON.stringify(logPath))
      }
    })
  )
})

describe("CostTracker state", () => {
  it.effect("report: totals and breakdowns by provider, provider/model and key=value tag", () =>
    Effect.gen(function* () {
      const tracker = yield* CostTracker
      const records = Array.from({ length: 25 }, (_, index) => makeRecord(index))
      for (const record of records) yield* tracker.record(record)
      const report = yield* tracker.report
      const priced = records.filter((record) => record.cost !== undefined)
      const sum = (list: ReadonlyArray<CostRecord>) => list.reduce((s, r) => s + (r.cost?.total ?? 0), 0)

      expect(report.enabled).toBe(true)
      expect(report.calls).toBe(25)
      expect(report.unpricedCalls).toBe(25 - priced.length)
      expect(report.costUsd).toBeCloseTo(sum(records), 12)
      expect(report.usage.inputTokens).toBe(records.reduce((s, r) => s + r.usage.inputTokens, 0))
      expect(report.usage.reasoningTokens).toBe(records.reduce((s, r) => s + r.usage.reasoningTokens, 0))

      const openai = records.filter((record) => record.provider === "openai")
      expect(report.byProvider.openai).toMatchObject({ calls: openai.length, unpricedCalls: 5 })
      expect(report.byProvider.openai!.costUsd).toBeCloseTo(sum(openai), 12)
      expect(Object.keys(report.byProvider).sort()).toEqual(["anthropic", "bedrock", "gemini", "openai"])

      expect(report.byModel["openai/unpriced-model-zzz"]).toMatchObject({ calls: 5, unpricedCalls: 5, costUsd: 0 })
      const sonnet = records.filter((record) => record.model === "claude-sonnet-4-5")
      expect(report.byModel["anthropic/claude-sonnet-4-5"]!.costUsd).toBeCloseTo(sum(sonnet), 12)

      const chat = records.filter((record) => record.metadata.feature === "chat")
      expect(report.byTag["feature=chat"]).toMatchObject({ calls: chat.length })
      expect(report.byTag["feature=chat"]!.costUsd).toBeCloseTo(sum(chat), 12)
      expect(Object.keys(report.byTag).sort()).toEqual([
        "feature=chat",
        "feature=search",
        "tenant=t0",
        "tenant=t1",
        "tenant=t2"
      ])
      // Most expensive first.
      const costs = Object.values(report.byModel).map((bucket) => bucket.costUsd)
      expect(costs).toEqual([...costs].sort((a, b) => b - a))
      expect(yield* tracker.sessionCost).toBeCloseTo(report.costUsd, 12)
    }).pipe(Effect.provide(CostTracking.layer(config())))
  )

  it.effect("totals are exact decimals: $0.10 + $0.20 is $0.30, not 0.30000000000000004", () =>
    Effect.gen(function* () {
      const tracker = yield* CostTracker
      const priced = (index: number, usd: number): CostRecord => ({
        ...makeRecord(index),
        provider: "anthropic",
        model: "claude-sonnet-4-5",
        metadata: { feature: "search" },
        cost: {
          input: 0,
          cacheRead: 0,
          cacheWrite: 0,
          output: 0,
          reasoning: 0,
          tools: usd,
          total: usd,
          currency: "USD"
        }
      })
      yield* tracker.record(priced(1, 0.1))
      yield* tracker.record(priced(2, 0.2))
      const report = yield* tracker.report
      expect(yield* tracker.sessionCost).toBe(0.3)
      expect([report.costUsd, report.toolsUsd]).toEqual([0.3, 0.3])
      expect(report.byProvider.anthropic!.costUsd).toBe(0.3)
      expect(report.byModel["anthropic/claude-sonnet-4-5"]!.toolsUsd).toBe(0.3)
      expect(report.byTag["feature=search"]!.costUsd).toBe(0.3)
    }).pipe(Effect.provide(CostTracking.layer(config())))
  )

  it("report: tags that spell the same key=value (a key with '=' in it) share one bucket", () => {
    const first = { ...makeRecord(0), metadata: { "team=a": "x" } }
    const second = { ...makeRecord(1), metadata: { team: "a=x" } }
    const report = reportFromRecords([first, second])
    expect(Object.keys(report.byTag)).toEqual(["team=a=x"])
    expect(report.byTag["team=a=x"]).toMatchObject({
      calls: 2,
      usage: { inputTokens: first.usage.inputTokens + second.usage.inputTokens }
    })
    expect(report.byTag["team=a=x"]!.costUsd).toBeCloseTo((first.cost?.total ?? 0) + (second.cost?.total ?? 0), 12)
  })

  it.effect("checkBudget fails once the session total reaches budget_usd, saying spent vs budget", () =>
    Effect.gen(function* () {
      const tracker = yield* CostTracker
      const record = makeRecord(1) // anthropic claude-sonnet-4-5
      const perCall = record.cost!.total
      const budgetUsd = perCall * 2.5
      const budgeted = yield* Effect.provide(
        Effect.gen(function* () {
          const t = yield* CostTracker
          yield* t.checkBudget("anthropic", "claude-sonnet-4-5")
          yield* t.record(record)
          yield* t.record(record)
          yield* t.checkBudget("anthropic", "claude-sonnet-4-5")
          yield* t.record(record)
          return yield* Effect.flip(t.checkBudget("openai", "gpt-4o-mini"))
        }),
        CostTracking.layer(config(undefined, { budgetUsd }))
      )
      expect(budgeted._tag).toBe("BudgetExceededError")
      expect(budgeted.spentUsd).toBeCloseTo(perCall * 3, 12)
      expect(budgeted.budgetUsd).toBe(budgetUsd)
      expect(budgeted.provider).toBe("openai")
      expect(budgeted.message).toBe(
        `session budget of $${budgetUsd.toFixed(2)} is spent ($${(perCall * 3).toFixed(4)} used); raise cost_tracking.budget_usd or start a new session`
      )
      // Without a budget nothing is ever refused.
      for (let i = 0; i < 5; i++) yield* tracker.record(record)
      yield* tracker.checkBudget("anthropic", "claude-sonnet-4-5")
    }).pipe(Effect.provide(CostTracking.layer(config())))
  )

  it.effect("a budget of 0 refuses the first request", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(CostTracker.use((tracker) => tracker.checkBudget("openai", "gpt-4o-mini")))
      expect(error.message).toContain("session budget of $0.00 is spent ($0.0000 used)")
    }).pipe(Effect.provide(CostTracking.layer(config(undefined, { budgetUsd: 0 }))))
  )

  describe("budget reservations", () => {
    // "héllo" is 6 UTF-8 bytes: 6 + 16 (one message) + 16 (the request) = 38 input tokens at most.
    const request = { messages: [{ role: "user" as const, content: "héllo" }], maxTokens: 100 }
    const prices = { m: { input: 3, output: 10 } }
    const worstCase = (38 * 3 + 100 * 10) / 1e6
    const settled = (total: number): CostRecord => ({
      ...makeRecord(0),
      model: "m",
      cost: { input: 0, cacheRead: 0, cacheWrite: 0, output: total, reasoning: 0, total, currency: "USD" }
    })

    it.effect("spent + reserved must fit: release gives back once, record settles in place of the reservation", () =>
      Effect.gen(function* () {
        const tracker = yield* CostTracker
        expect(tracker.budgeted).toBe(true)
        const first = yield* tracker.reserve("openai", "m", request)
        expect(first.amountUsd).toBeCloseTo(worstCase, 15)
        const second = yield* tracker.reserve("openai", "m", request)
        const refused = yield* Effect.flip(tracker.reserve("openai", "m", request))
        expect(refused._tag).toBe("BudgetExceededError")
        expect(refused.message).toBe(
          "session budget of $0.002785 cannot cover this request: $0.000000 spent + $0.002228 reserved by requests in flight + up to $0.001114 for this one (openai model m, its input and maxTokens or cost_tracking.reserve_output_tokens); lower maxTokens, raise cost_tracking.budget_usd or start a new session"
        )
        // Released twice: given back once, so exactly one more fits.
        yield* tracker.release(first)
        yield* tracker.release(first)
        const third = yield* tracker.reserve("openai", "m", request)
        expect((yield* Effect.flip(tracker.reserve("openai", "m", request)))._tag).toBe("BudgetExceededError")
        // Settling replaces the reservation by the real cost (much smaller here): one more fits.
        yield* tracker.record(settled(0.0001), second)
        yield* tracker.release(second) // already settled: nothing more is given back
        expect(yield* tracker.sessionCost).toBeCloseTo(0.0001, 15)
        yield* tracker.reserve("openai", "m", request)
        expect((yield* Effect.flip(tracker.reserve("openai", "m", request)))._tag).toBe("BudgetExceededError")
        yield* tracker.release(third)
      }).pipe(Effect.provide(CostTracking.layer(config(undefined, { prices, budgetUsd: worstCase * 2.5 }))))
    )

    it.effect("maxTokens unset -> reserve_output_tokens (default 4096); tiers by the input bound", () =>
      Effect.gen(function* () {
        const unset = { messages: [{ role: "user" as const, content: "hi" }] }
        const reserveWith = (extra: Partial<CostTrackingConfig>, provider: ProviderId, model: string) =>
          CostTracker.use((t) => t.reserve(provider, model, unset)).pipe(
            Effect.provide(CostTracking.layer(config(undefined, { prices, budgetUsd: 100, ...extra })))
          )
        expect((yield* reserveWith({}, "openai", "m")).amountUsd).toBeCloseTo((34 * 3 + 4096 * 10) / 1e6, 15)
        const capped = yield* reserveWith({ reserveOutputTokens: 500 }, "openai", "m")
        expect(capped.amountUsd).toBeCloseTo((34 * 3 + 500 * 10) / 1e6, 15)
        // gemini-2.5-pro: $1.25/$10 up to 200k input tokens, $2.50/$15 above; a short request pays the base.
        const gemini = yield* reserveWith({}, "gemini", "gemini-2.5-pro")
        expect(gemini.amountUsd).toBeCloseTo((34 * 1.25 + 4096 * 10) / 1e6, 15)
        const errors = yield* Effect.flip(
          CostTracking.layer(config(undefined, { reserveOutputTokens: 0 })).pipe(Layer.build, Effect.scoped)
        )
        expect(errors.message).toContain("cost_tracking.reserve_output_tokens")
      })
    )

    it.effect("unpriced models: refused under a budget unless allow_unpriced; nothing reserved without a budget", () =>
      Effect.gen(function* () {
        const withLayer = <A, E>(
          extra: Partial<CostTrackingConfig>,
          f: (t: CostTracker["Service"]) => Effect.Effect<A, E>
        ) => CostTracker.use(f).pipe(Effect.provide(CostTracking.layer(config(undefined, extra))))
        const refusal = yield* withLayer({ budgetUsd: 1 }, (t) => Effect.succeed(t.unpricedRefusal("openai", "zzz")))
        expect(refusal?._tag).toBe("InvalidRequestError")
        expect(refusal?.message).toContain("add cost_tracking.prices.zzz")
        const reserveError = yield* withLayer({ budgetUsd: 1 }, (t) => Effect.flip(t.reserve("openai", "zzz", request)))
        expect(reserveError._tag).toBe("InvalidRequestError")
        const allowed = yield* withLayer({ budgetUsd: 1, allowUnpriced: true }, (t) =>
          Effect.map(t.reserve("openai", "zzz", request), (r) => [t.unpricedRefusal("openai", "zzz"), r.amountUsd])
        )
        expect(allowed).toEqual([undefined, 0])
        const unbudgeted = yield* withLayer({}, (t) =>
          Effect.map(t.reserve("openai", "gpt-4o-mini", request), (r) => [t.budgeted, r.amountUsd])
        )
        expect(unbudgeted).toEqual([false, 0])
      })
    )
  })

  it.live("enabled: false -> record is a no-op, no log file, session cost 0, report says tracking is off", () =>
    Effect.gen(function* () {
      const logPath = nodePath.join(freshDir(), "off", "costs.jsonl")
      const layer = CostTracking.layer({ enabled: false, logPath, prices: {}, budgetUsd: 0 })
      const { report, cost, enabled } = yield* Effect.gen(function* () {
        const tracker = yield* CostTracker
        for (let i = 0; i < 10; i++) yield* tracker.record(makeRecord(i))
        yield* tracker.checkBudget("openai", "gpt-4o-mini")
        yield* tracker.flush
        return { report: yield* tracker.report, cost: yield* tracker.sessionCost, enabled: tracker.enabled }
      }).pipe(Effect.provide(layer))
      expect(enabled).toBe(false)
      expect(cost).toBe(0)
      expect(report).toMatchObject({ enabled: false, calls: 0, costUsd: 0, byProvider: {}, byModel: {}, byTag: {} })
      expect(fs.existsSync(nodePath.dirname(logPath))).toBe(false)
    })
  )

  it.effect("one layer provides both services: costs priced with its overrides add up in the tracker", () =>
    Effect.gen(function* () {
      const pricing = yield* Pricing
      const tracker = yield* CostTracker
      const usage: Usage = {
        inputTokens: 2_000_000,
        outputTokens: 1_000_000,
        cacheReadTokens: 0,
        cacheWriteTokens: 0,
        reasoningTokens: 0
      }
      const cost = pricing.costOf("openai", "gpt-4o-mini", usage)
      // 2M input at $1 + 1M output at $2 (the override, not the catalogue's $0.15 / $0.60).
      expect(cost?.total).toBeCloseTo(4, 12)
      yield* tracker.record({ ...makeRecord(0), usage, cost })
      expect(yield* tracker.sessionCost).toBeCloseTo(4, 12)
    }).pipe(
      Effect.provide(CostTracking.layer(config(undefined, { prices: { "gpt-4o-mini": { input: 1, output: 2 } } })))
    )
  )
})

describe("readCostLog", () => {
  it.live("bad lines (torn, glued, not a record) are skipped and counted with their line numbers", () =>
    Effect.gen(function* () {
      const path = nodePath.join(freshDir(), "bad.jsonl")
      const good = encodeRecord(makeRecord(1))
      const torn = good.slice(0, 40)
      // Blank line (ignored), a non-record, a torn line, a torn line glued to a whole one, a final line
      // without its newline (whole: read), all read in chunks smaller than a line.
      fs.writeFileSync(path, `${good}\n{"requestId": "x"}\n${torn}\n${torn}${good}${good.trimEnd()}`)
      for (const chunkBytes of [7, 64 * 1024]) {
        const read = yield* foldCostLog(path, 0, (count) => count + 1, { chunkBytes })
        expect(read.state).toBe(2)
        expect(read.records).toBe(2)
        expect(read.badLines).toBe(3)
        expect(read.firstBadLines.map((bad) => bad.line)).toEqual([3, 4, 5])
        expect(read.firstBadLines[0]!.message).toContain("not a cost record")
        expect(read.firstBadLines[1]!.message).toContain("not a JSON object")
      }

      const missing = yield* Effect.flip(readCostLog(nodePath.join(root, "nope.jsonl")))
      expect(missing.message).toContain("cannot read the cost log")
    })
  )

  it.live("a line longer than maxLineBytes is skipped without being held whole; the lines after it are read", () =>
    Effect.gen(function* () {
      const path = nodePath.join(freshDir(), "long.jsonl")
      const good = encodeRecord(makeRecord(2))
      fs.writeFileSync(path, `${good}${"x".repeat(10_000)}\n${good}${"y".repeat(5_000)}`)
      const read = yield* foldCostLog(path, 0, (count) => count + 1, { chunkBytes: 512, maxLineBytes: 2_048 })
      expect(read.records).toBe(2)
      expect(read.badLines).toBe(2)
      expect(read.firstBadLines.map((bad) => bad.line)).toEqual([2, 4])
      expect(read.firstBadLines[0]!.message).toContain("longer than 2048 bytes")
    })
  )

  it.live("an unpriced record round-trips as cost: null in the file and undefined when read", () =>
    Effect.gen(function* () {
      const logPath = nodePath.join(freshDir(), "costs.jsonl")
      const unpriced = makeRecord(4) // the unpriced model
      expect(unpriced.cost).toBeUndefined()
      yield* CostTracker.use((tracker) => tracker.record(unpriced)).pipe(
        Effect.provide(CostTracking.layer(config(logPath)))
      )
      expect(readLines(logPath)[0]!.cost).toBeNull()
      const [back] = (yield* readCostLog(logPath)).state
      expect(back).toEqual(unpriced)
      expect(reportFromRecords([back!])).toMatchObject({ calls: 1, unpricedCalls: 1, costUsd: 0 })
    })
  )
})
