/**
 * Shared budgets (`cost_tracking.ledger.budgets`) against a real PostgreSQL: several orchestrators, each
 * with its own tracker and connections as separate processes would have, share one budget; per-tag
 * budgets count per tag value and per UTC day; a database that cannot be reached refuses (fails closed);
 * a hold whose process never settles it stops counting when its lease ends; a settle counts once.
 */
import * as fs from "node:fs"
import * as os from "node:os"
import * as nodePath from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { type ChatRequest, type LLMError, SharedBudget } from "@llm-orchestrator/core"
import { readCostLog } from "@llm-orchestrator/cost"
import { simulatorFleet } from "@llm-orchestrator/testing"
import { type Duration, Effect, Fiber, Layer, Result, Stream } from "effect"
import { LLMOrchestrator, layerFromConfig, parseConfig } from "llm-orchestrator"
import { PgSharedBudget } from "../src/index.ts"
import { startPostgres, type TestPostgres } from "./support.ts"

let pg: TestPostgres

beforeAll(async () => {
  pg = await startPostgres()
})
afterAll(() => pg?.close())

const tempDir = () => fs.mkdtempSync(nodePath.join(os.tmpdir(), "ledger-budget-"))

const ask = (content: string, metadata?: Record<string, string>): ChatRequest => ({
  messages: [{ role: "user", content }],
  maxTokens: 64,
  ...(metadata === undefined ? {} : { metadata })
})

/**
 * What one attempt reserves at $1/$2 per million (the tracker's stated formula): one input token per
 * UTF-8 byte plus 16 per message and 16 per request, and maxTokens output tokens.
 */
const reservationUsd = (request: ChatRequest) =>
  ((Buffer.byteLength(request.messages[0]!.content as string) + 32) * 1 + request.maxTokens! * 2) / 1e6

const tagOf = <A>(result: Result.Result<A, LLMError>) => (Result.isFailure(result) ? result.failure._tag : "ok")

/** The fleet's config with a cost log, the ledger (its own table) and the given budgets. */
const ledgerConfig = (
  fleet: Effect.Success<ReturnType<typeof simulatorFleet>>,
  table: string,
  budgets: ReadonlyArray<string>,
  topLevel: ReadonlyArray<string> = []
) =>
  Effect.gen(function* () {
    const logPath = nodePath.join(tempDir(), "costs.jsonl")
    const yaml = fleet.configYaml({
      costLogPath: logPath,
      extraYaml: [
        "  prices:",
        "    gpt-4o-mini: { input: 1, output: 2 }",
        "  ledger:",
        `    url: ${JSON.stringify(pg.url())}`,
        `    table: ${table}`,
        "    budgets:",
        ...budgets.map((line) => `      ${line}`),
        "retry:",
        "  max_attempts: 1",
        ...topLevel
      ].join("\n")
    })
    return { config: yield* parseConfig(yaml), logPath }
  })

const costsIn = (logPath: string) =>
  Effect.map(readCostLog(logPath), ({ state }) => state.reduce((sum, record) => sum + (record.cost?.total ?? 0), 0))

describe("a shared budget", () => {
  it.live(
    "four orchestrators x 50 concurrent requests: together they stay within it, the refused send nothing, and its spent is the sum of their costs",
    () =>
      Effect.gen(function* () {
        const fleet = yield* simulatorFleet()
        const request = ask("hi")
        const reserved = reservationUsd(request)
        // Room for three reservations at once, across all four: a per-process budget would let 4 x 3 through.
        const budgetUsd = reserved * 3.5
        // Each call costs exactly its reservation (34 input tokens: 2 bytes + 32; all 64 output tokens), so
        // the budget admits three calls in all, and a fourth admitted by a race would pass it.
        fleet.openai.script(
          ...Array.from({ length: 200 }, () => ({
            kind: "text" as const,
            text: "one two three four",
            usage: { inputTokens: 34, outputTokens: 64 },
            firstByteDelayMs: 30
          }))
        )
        const instances = yield* Effect.forEach([1, 2, 3, 4], () =>
          ledgerConfig(fleet, "shared_costs", [`- { name: team, usd: ${budgetUsd} }`])
        )
        const results = yield* Effect.forEach(
          instances,
          ({ config }) =>
            Effect.forEach(
              Array.from({ length: 50 }),
              () => Effect.result(LLMOrchestrator.use((llm) => llm.sendRequest(request))),
              { concurrency: "unbounded" }
            ).pipe(Effect.provide(layerFromConfig(config))),
          { concurrency: "unbounded" }
        )
        const tags = results.flat().map(tagOf)
        const succeeded = tags.filter((tag) => tag === "ok").length
        expect(new Set(tags)).toEqual(new Set(["ok", "BudgetExceededError"]))
        expect(succeeded).toBe(3)
        const refused = results.flat().find(Result.isFailure)!.failure
        expect(refused.message).toMatch(
          /^shared budget "team" \(total\) of \$0\.\d{6} cannot cover this request: \$0\.\d{6} spent \+ \$0\.\d{6} held by requests in flight on every instance \+ up to \$0\.000162 for this one \(openai model gpt-4o-mini\); lower maxTokens, raise its usd in cost_tracking\.ledger\.budgets$/
        )
        // The refused requests sent nothing.
        expect(fleet.openai.requests.filter((r) => r.kind !== "models")).toHaveLength(succeeded)
        const spent = (yield* Effect.forEach(instances, ({ logPath }) => costsIn(logPath))).reduce((a, b) => a + b, 0)
        expect(spent).toBeCloseTo(3 * reserved, 12)
        expect(spent).toBeLessThanOrEqual(budgetUsd)
        // Closing each orchestrator wrote its settles: the budget's spent is the records' sum, no hold is left.
        const [row] = yield* Effect.promise(() =>
          pg.query<{ spent: string }>("SELECT spent_usd::text AS spent FROM public.shared_costs_budget_spent")
        )
        expect(Number(row!.spent)).toBeCloseTo(spent, 12)
        const holds = yield* Effect.promise(() => pg.query("SELECT * FROM public.shared_costs_budget_holds"))
        expect(holds).toHaveLength(0)
        // And the ledger holds one row per call.
        const rows = yield* Effect.promise(() =>
          pg.query<{ n: string }>("SELECT count(*)::text AS n FROM public.shared_costs")
        )
        expect(Number(rows[0]!.n)).toBe(succeeded)
      }).pipe(Effect.scoped)
  )

  it.live(
    "a reservation kept waiting by another instance's lock ends at request_timeout (plain and streamed), not at the reservation's own 5 s",
    () =>
      Effect.gen(function* () {
        const fleet = yield* simulatorFleet()
        fleet.openai.script({ kind: "text", text: "first" })
        const { config } = yield* ledgerConfig(
          fleet,
          "locked_costs",
          ["- { name: team, usd: 1 }"],
          ["request_timeout: 600ms"]
        )
        yield* Effect.gen(function* () {
          const llm = yield* LLMOrchestrator
          expect((yield* llm.sendRequest(ask("hi"))).content).toBe("first")
          // Another instance's reservation, not yet committed, holds the budget's row (the reservation
          // timeout is 5 s): the deadline, watched by the orchestrator under a budget, ends the wait.
          const other = yield* Effect.promise(() => pg.client())
          yield* Effect.promise(() => other.query("BEGIN"))
          yield* Effect.promise(() => other.query("UPDATE public.locked_costs_budget_spent SET held_usd = held_usd"))
          const timed = <A, E>(effect: Effect.Effect<A, E>) =>
            Effect.gen(function* () {
              const started = performance.now()
              const error = yield* Effect.flip(effect)
              return { error, elapsed: performance.now() - started }
            })
          const plain = yield* timed(llm.sendRequest(ask("hi")))
          const streamed = yield* timed(Stream.runDrain(llm.sendStreamingRequest(ask("hi"))))
          yield* Effect.promise(() => other.query("COMMIT"))
          yield* Effect.promise(() => other.end())
          for (const { error, elapsed } of [plain, streamed]) {
            expect(error).toMatchObject({ _tag: "TimeoutError", timeoutMs: 600 })
            expect(error.message).toContain("request_timeout")
            // Far from both: the deadline is 600 ms, the reservation's own timeout 5 s.
            expect(elapsed).toBeLessThan(4_000)
          }
          expect(streamed.error.message).toContain("did not start streaming text")
          expect(fleet.openai.requests.filter((r) => r.kind !== "models")).toHaveLength(1)
          // The interrupted reservations' session parts were given back: with the lock gone, a request passes.
          fleet.openai.script({ kind: "text", text: "after" })
          expect((yield* llm.sendRequest(ask("hi"))).content).toBe("after")
          // And the interrupted reservations left no hold behind: once the last one is settled (settles
          // are written in batches), none is left.
          const holds = () => Effect.promise(() => pg.query("SELECT * FROM public.locked_costs_budget_holds"))
          for (let i = 0; i < 50 && (yield* holds()).length > 0; i++) yield* Effect.sleep("100 millis")
          expect(yield* holds()).toEqual([])
        }).pipe(Effect.provide(layerFromConfig(config)))
      }).pipe(Effect.scoped)
  )

  it.live("per tag and per UTC day: each tenant has its own, and a call without the tag is not counted", () =>
    Effect.gen(function* () {
      const fleet = yield* simulatorFleet()
      const request = ask("hi")
      // One reservation fits, a second does not while the first is held or spent.
      const usd = reservationUsd(request) * 1.01
      const { config } = yield* ledgerConfig(fleet, "tenant_costs", [
        `- { name: tenants, usd: ${usd}, window: day, per_tag: tenant }`
      ])
      const send = (metadata?: Record<string, string>) =>
        Effect.result(LLMOrchestrator.use((llm) => llm.sendRequest({ ...request, ...(metadata ? { metadata } : {}) })))
      const results = yield* Effect.gen(function* () {
        const first = yield* send({ tenant: "acme" })
        const second = yield* send({ tenant: "acme" })
        const other = yield* send({ tenant: "globex" })
        const untagged = yield* Effect.forEach([1, 2, 3], () => send())
        return { first, second, other, untagged }
      }).pipe(Effect.provide(layerFromConfig(config)))
      expect(tagOf(results.first)).toBe("ok")
      expect(tagOf(results.second)).toBe("BudgetExceededError")
      const today = new Date().toISOString().slice(0, 10)
      expect(Result.isFailure(results.second) && results.second.failure.message).toContain(
        `shared budget "tenants" (day ${today}, tenant=acme) of $0.000164 cannot cover this request`
      )
      expect(Result.isFailure(results.second) && results.second.failure.message).toContain(
        "or wait for the next period"
      )
      expect(tagOf(results.other)).toBe("ok")
      expect(results.untagged.map(tagOf)).toEqual(["ok", "ok", "ok"])
      const rows = yield* Effect.promise(() =>
        pg.query<{ budget: string; period: string; tag_value: string; spent: string }>(
          "SELECT budget, period, tag_value, spent_usd::text AS spent FROM public.tenant_costs_budget_spent ORDER BY tag_value"
        )
      )
      expect(rows.map((row) => [row.budget, row.period, row.tag_value])).toEqual([
        ["tenants", today, "acme"],
        ["tenants", today, "globex"]
      ])
      for (const row of rows) expect(Number(row.spent)).toBeGreaterThan(0)
    }).pipe(Effect.scoped)
  )

  it.live(
    "a database that cannot be reached refuses the request (fails closed) and sends nothing; back, it passes",
    () =>
      Effect.gen(function* () {
        const fleet = yield* simulatorFleet()
        const { config } = yield* ledgerConfig(fleet, "outage_costs", ["- { name: team, usd: 10 }"])
        const send = Effect.result(LLMOrchestrator.use((llm) => llm.sendRequest(ask("hi"))))
        const { before, during, after } = yield* Effect.gen(function* () {
          const before = yield* send
          yield* Effect.promise(() => pg.stop())
          const during = yield* send.pipe(Effect.ensuring(Effect.promise(() => pg.start())))
          // The pool reconnects on its own once the server is back.
          let after = yield* send
          for (let i = 0; i < 50 && tagOf(after) !== "ok"; i++) {
            yield* Effect.sleep("100 millis")
            after = yield* send
          }
          return { before, during, after }
        }).pipe(Effect.provide(layerFromConfig(config)))
        expect(tagOf(before)).toBe("ok")
        expect(tagOf(during)).toBe("BudgetExceededError")
        const message = Result.isFailure(during) ? during.failure.message : ""
        expect(message).toMatch(
          /^shared budget "team" \(total\) could not be checked in public\.outage_costs_budget_spent \(postgresql:\/\/127\.0\.0\.1:\d+\/postgres\) \(.+\); shared budgets fail closed, so nothing was sent: bring the database back, or remove the budget from cost_tracking\.ledger\.budgets$/
        )
        expect(message).not.toContain("s3cret")
        expect(tagOf(after)).toBe("ok")
        // The refused request never reached the provider.
        expect(fleet.openai.requests.filter((r) => r.kind !== "models").length).toBeLessThanOrEqual(
          1 + (tagOf(after) === "ok" ? 1 : 0) + 50
        )
      }).pipe(Effect.scoped)
  )
})

describe("PgSharedBudget holds", () => {
  const budgetLayer = (holdTtl?: Duration.Input) =>
    PgSharedBudget.layer({
      url: pg.url(),
      table: "hold_costs",
      budgets: [{ name: "direct", usd: 1, window: "total" }],
      ...(holdTtl === undefined ? {} : { holdTtl })
    })
  const call = { provider: "openai", model: "gpt-4o-mini", tags: undefined }
  const spentOf = Effect.promise(() =>
    pg.query<{ spent: string }>("SELECT spent_usd::text AS spent FROM public.hold_costs_budget_spent")
  ).pipe(Effect.map((rows) => Number(rows[0]?.spent ?? 0)))

  it.live("a hold never settled (its process died) counts until its lease ends, then no more", () =>
    Effect.gen(function* () {
      // The first process holds $0.8 and dies without settling.
      yield* Effect.flatMap(SharedBudget, (budget) => budget.reserve(0.8, call)).pipe(
        Effect.provide(budgetLayer("1 second"))
      )
      const second = yield* Effect.gen(function* () {
        const budget = yield* SharedBudget
        const refused = yield* Effect.flip(budget.reserve(0.5, call))
        yield* Effect.sleep("1200 millis")
        const hold = yield* budget.reserve(0.5, call)
        budget.release(hold)
        return refused
      }).pipe(Effect.provide(budgetLayer()))
      expect(second.message).toContain("$0.000000 spent + $0.800000 held by requests in flight")
      expect(yield* spentOf).toBe(0)
    }).pipe(Effect.scoped)
  )

  it.live("200 reservations at once from two pools (two processes' worth) hold exactly what fits", () =>
    Effect.gen(function* () {
      const layer = () =>
        PgSharedBudget.layer({
          url: pg.url(),
          table: "race_costs",
          budgets: [{ name: "race", usd: 1, window: "total" }]
        })
      const reserveAll = Effect.flatMap(SharedBudget, (budget) =>
        Effect.forEach(Array.from({ length: 100 }), () => Effect.result(budget.reserve(0.2, call)), {
          concurrency: "unbounded"
        })
      )
      // Both pools' eight connections reserve at the same moment, while the budget is empty.
      const [first, second] = yield* Effect.all(
        [reserveAll.pipe(Effect.provide(layer())), reserveAll.pipe(Effect.provide(layer()))],
        { concurrency: "unbounded" }
      )
      const held = [...first, ...second].filter(Result.isSuccess)
      expect(held).toHaveLength(5)
      const [row] = yield* Effect.promise(() =>
        pg.query<{ held: string }>("SELECT held_usd::text AS held FROM public.race_costs_budget_spent")
      )
      expect(Number(row!.held)).toBeCloseTo(1, 12)
    }).pipe(Effect.scoped)
  )

  it.live("a reservation waits for another in flight on the same budget and decides on what that one left", () =>
    Effect.gen(function* () {
      const layer = PgSharedBudget.layer({
        url: pg.url(),
        table: "wait_costs",
        budgets: [{ name: "wait", usd: 1, window: "total" }]
      })
      const outcome = yield* Effect.gen(function* () {
        const budget = yield* SharedBudget
        yield* budget.reserve(0.2, call)
        // Another process's reservation, not yet committed: it takes the budget to $0.90 held.
        const other = yield* Effect.promise(() => pg.client())
        yield* Effect.promise(() => other.query("BEGIN"))
        yield* Effect.promise(() => other.query("UPDATE public.wait_costs_budget_spent SET held_usd = 0.9"))
        const waiting = yield* Effect.forkChild(Effect.result(budget.reserve(0.2, call)))
        yield* Effect.sleep("300 millis")
        yield* Effect.promise(() => other.query("COMMIT"))
        yield* Effect.promise(() => other.end())
        return yield* Fiber.join(waiting)
      }).pipe(Effect.provide(layer))
      // $0.90 + $0.20 passes $1: read before the other committed, it would have been let through.
      expect(Result.isFailure(outcome) && outcome.failure.message).toContain(
        "$0.000000 spent + $0.900000 held by requests in flight"
      )
    }).pipe(Effect.scoped)
  )

  it.live("a settle sent twice counts once; a release adds nothing", () =>
    Effect.gen(function* () {
      const before = yield* spentOf
      yield* Effect.gen(function* () {
        const budget = yield* SharedBudget
        const settled = yield* budget.reserve(0.1, call)
        const released = yield* budget.reserve(0.1, call)
        budget.settle(settled, 0.0625)
        budget.settle(settled, 0.0625)
        budget.release(released)
      }).pipe(Effect.provide(budgetLayer()))
      expect((yield* spentOf) - before).toBeCloseTo(0.0625, 12)
    }).pipe(Effect.scoped)
  )
})

describe("cost_tracking.ledger at start", () => {
  it.live("a wrong password is a ConfigError under cost_tracking.ledger.url, without the password", () =>
    Effect.gen(function* () {
      const fleet = yield* simulatorFleet()
      const yaml = fleet.configYaml({
        extraYaml: [
          "  ledger:",
          `    url: ${JSON.stringify(pg.url("postgres", "not-the-password"))}`,
          "    budgets:",
          "      - { name: team, usd: 1 }"
        ].join("\n")
      })
      const error = yield* Effect.flip(
        Layer.build(layerFromConfig(yield* parseConfig(yaml))).pipe(Effect.scoped, Effect.asVoid)
      )
      expect(error._tag).toBe("ConfigError")
      expect(error.path).toBe("cost_tracking.ledger.url")
      expect(error.message).toContain('refused the login of user "postgres"')
      expect(error.message).not.toContain("not-the-password")
    }).pipe(Effect.scoped)
  )
  it.live("budget tables of another shape are reported, named column by column, and never altered", () =>
    Effect.gen(function* () {
      yield* Effect.promise(() =>
        pg.query("CREATE TABLE public.odd_costs_budget_spent (budget_key integer PRIMARY KEY, spent_usd float8)")
      )
      const error = yield* Effect.flip(
        Layer.build(
          PgSharedBudget.layer({ url: pg.url(), table: "odd_costs", budgets: [{ name: "a", usd: 1, window: "total" }] })
        ).pipe(Effect.scoped)
      )
      expect(error.path).toBe("ledger.table")
      expect(error.message).toBe(
        "ledger.table: the budget tables exist with another shape and are never altered: public.odd_costs_budget_spent: column budget_key is integer, expected text, missing column budget (text), missing column period (text), missing column tag_value (text), column spent_usd is double precision, expected numeric, missing column held_usd (numeric), missing column updated_at (timestamp with time zone); rename or drop them, or choose another table"
      )
      const columns = yield* Effect.promise(() =>
        pg.query<{ name: string }>(
          "SELECT attname AS name FROM pg_attribute WHERE attrelid = 'public.odd_costs_budget_spent'::regclass AND attnum > 0 ORDER BY attnum"
        )
      )
      expect(columns.map((c) => c.name)).toEqual(["budget_key", "spent_usd"])
    })
  )
})
