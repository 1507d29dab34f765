/**
 * `PgSharedBudget`: budgets every process on one ledger shares (`cost_tracking.ledger.budgets`), as the
 * tracker's `SharedBudget`.
 *
 * Two tables beside the ledger's: `<table>_budget_spent` (one row per budget, period and tag value: what
 * settled attempts cost) and `<table>_budget_holds` (one row per attempt in flight and budget: its
 * worst-case cost, until a lease runs out). A reservation is one transaction that locks the budgets'
 * rows (in key order, so two reservations never deadlock), reads spent + unexpired holds, and adds its
 * hold only when every budget can take it: PostgreSQL serialises reservations of one budget, across
 * processes. A settle deletes the hold and adds the real cost in one transaction (`DELETE ... RETURNING`
 * adds only holds still there, so a settle sent twice counts once); settles and releases are written
 * off the request path, in batches, and the hold counts until then.
 *
 * Overshoot: spent <= usd + the sum, over attempts in flight when the last reservation was admitted, of
 * max(0, actual - reserved) (the reserved amount is a worst case, so normally 0), + the costs of attempts
 * whose hold lease (`holdTtl`) ran out before their settle was written (a process cut off from the
 * database for longer than the lease, or a stream longer than it).
 */
import { randomUUID } from "node:crypto"
import {
  BudgetExceededError,
  type BudgetWindow,
  type ConfigError,
  type ProviderId,
  SharedBudget,
  type SharedBudgetConfig,
  type SharedBudgetHold
} from "@llm-orchestrator/core"
import { Clock, Duration, Effect, Fiber, Latch, Layer, type Redacted, Semaphore } from "effect"
import type * as Arr from "effect/Array"
import type { SqlClient } from "effect/sql/SqlClient"
import type { SqlError } from "effect/sql/SqlError"
import {
  type Connection,
  connect,
  connectionOf,
  describe,
  displayName,
  problem,
  scrubber,
  startError
} from "./connection.ts"
import { column, qualified, quotedName, shapeProblems, type TableName } from "./schema.ts"

export interface PgSharedBudgetOptions {
  /** `postgresql://user:password@host:port/database`; a `Redacted` keeps it out of logs and traces. */
  readonly url: string | Redacted.Redacted<string>
  /** The ledger table (default `llm_cost_records`): the budget tables are named after it. */
  readonly table?: string | undefined
  /** Default `public`. */
  readonly schema?: string | undefined
  readonly budgets: ReadonlyArray<SharedBudgetConfig>
  /** How long a hold counts when its settle never arrives (a process that died; default 1 hour). */
  readonly holdTtl?: Duration.Input
  /** How long a reservation may wait for the database before the request is refused (default 5 s). */
  readonly reserveTimeout?: Duration.Input
}

const defaultHoldTtl = "1 hour"
const defaultReserveTimeout = "5 seconds"
/** Settles and releases wait this long for others to share their transaction. */
const batchWindow = "50 millis"
const maxBatch = 500
const firstRetryMs = 100
const maxRetryMs = 5_000
/** At close, how long the last settles may take. */
const closeTimeout = "5 seconds"

/** One budget a call counts in: the budget, its current period and the call's tag value. */
interface BudgetKey {
  readonly key: string
  readonly budget: SharedBudgetConfig
  readonly period: string
  readonly tagValue: string | null
}

interface Hold extends SharedBudgetHold {
  readonly id: string
}

/** A call under no budget (no tag a per-tag budget names): nothing to hold or give back. */
const noHold: Hold = { id: "", amountUsd: 0 }

/** The period a window is in at `now`, in UTC: `total`, `2026-12-04` or `2026-12`. */
const periodOf = (window: BudgetWindow, now: number): string =>
  window === "total"
    ? "total"
    : window === "day"
      ? new Date(now).toISOString().slice(0, 10)
      : new Date(now).toISOString().slice(0, 7)

/** The budgets a call counts in: every budget, but a per-tag one only for calls carrying its tag. */
const keysOf = (
  budgets: ReadonlyArray<SharedBudgetConfig>,
  tags: Readonly<Record<string, string>> | undefined,
  now: number
): Array<BudgetKey> =>
  budgets
    .flatMap((budget): Array<BudgetKey> => {
      const tagValue = budget.perTag === undefined ? null : (tags?.[budget.perTag] ?? undefined)
      if (tagValue === undefined) return []
      const period = periodOf(budget.window, now)
      // JSON: any name and tag value make an unambiguous key.
      return [{ key: JSON.stringify([budget.name, period, tagValue]), budget, period, tagValue }]
    })
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))

const usd = (amount: number) => `$${amount.toFixed(6)}`

const describeKey = (key: BudgetKey) =>
  `shared budget ${JSON.stringify(key.budget.name)} (${key.period === "total" ? "total" : `${key.budget.window} ${key.period}`}${key.budget.perTag === undefined ? "" : `, ${key.budget.perTag}=${key.tagValue}`})`

/** The budget that could not take the hold, with what it had. */
interface Refused {
  readonly _tag: "Refused"
  readonly key: BudgetKey
  readonly spentUsd: number
  readonly heldUsd: number
}

const spentColumns = [
  column("budget_key", "text"),
  column("budget", "text"),
  column("period", "text"),
  column("tag_value", "text", true),
  column("spent_usd", "numeric"),
  column("updated_at", "timestamp with time zone")
]
const holdColumns = [
  column("hold_id", "text"),
  column("budget_key", "text"),
  column("amount_usd", "numeric"),
  column("expires_at", "timestamp with time zone")
]

const tablesOf = (name: TableName) => ({
  spent: { schema: name.schema, table: `${name.table}_budget_spent` },
  holds: { schema: name.schema, table: `${name.table}_budget_holds` }
})

/** Creates the two tables when missing, under the same kind of advisory lock as the ledger table. */
const migrate = (sql: SqlClient, name: TableName): Effect.Effect<void, SqlError> => {
  const tables = tablesOf(name)
  return sql.withTransaction(
    Effect.gen(function* () {
      yield* sql`SELECT pg_advisory_xact_lock(hashtext('@llm-orchestrator/ledger'), hashtext(${qualified(tables.spent)}))`
      const schemas = yield* sql`SELECT 1 FROM pg_namespace WHERE nspname = ${name.schema}`
      if (schemas.length === 0) yield* sql`CREATE SCHEMA ${sql(name.schema)}`
      const [found] = yield* sql<{ spent: boolean; holds: boolean }>`SELECT
        to_regclass(${quotedName(tables.spent)}) IS NOT NULL AS spent,
        to_regclass(${quotedName(tables.holds)}) IS NOT NULL AS holds`
      if (found?.spent !== true)
        yield* sql`CREATE TABLE ${sql(qualified(tables.spent))} (
          budget_key text PRIMARY KEY,
          budget text NOT NULL,
          period text NOT NULL,
          tag_value text,
          spent_usd numeric NOT NULL DEFAULT 0,
          updated_at timestamp with time zone NOT NULL DEFAULT now()
        )`
      if (found?.holds !== true) {
        yield* sql`CREATE TABLE ${sql(qualified(tables.holds))} (
          hold_id text NOT NULL,
          budget_key text NOT NULL,
          amount_usd numeric NOT NULL,
          expires_at timestamp with time zone NOT NULL,
          PRIMARY KEY (hold_id, budget_key)
        )`
        yield* sql`CREATE INDEX ${sql(`${tables.holds.table}_by_budget`)} ON ${sql(qualified(tables.holds))} (budget_key, expires_at)`
      }
    })
  )
}

const durationOf = (input: Duration.Input, path: string) => {
  const duration = Duration.fromInput(input)
  return duration._tag === "None" || Duration.toMillis(duration.value) <= 0
    ? Effect.fail(problem(path, "expected a positive duration such as 5 seconds"))
    : Effect.succeed(duration.value)
}

const checkBudgets = (budgets: ReadonlyArray<SharedBudgetConfig>): Effect.Effect<void, ConfigError> => {
  const names = new Set<string>()
  for (const [index, budget] of budgets.entries()) {
    if (budget.name.trim() === "") return Effect.fail(problem(`budgets[${index}].name`, "is empty; name the budget"))
    if (names.has(budget.name))
      return Effect.fail(problem(`budgets[${index}].name`, `${JSON.stringify(budget.name)} names two budgets`))
    names.add(budget.name)
    if (!(Number.isFinite(budget.usd) && budget.usd > 0))
      return Effect.fail(problem(`budgets[${index}].usd`, "expected an amount in USD above 0"))
  }
  return Effect.void
}

const start = (options: PgSharedBudgetOptions) =>
  Effect.gen(function* () {
    const connection = yield* connectionOf(options)
    yield* checkBudgets(options.budgets)
    const holdTtl = yield* durationOf(options.holdTtl ?? defaultHoldTtl, "holdTtl")
    const reserveTimeout = yield* durationOf(options.reserveTimeout ?? defaultReserveTimeout, "reserveTimeout")
    const tables = tablesOf(connection.name)
    if (tables.spent.table.length > 63)
      return yield* problem("table", "is too long to name its budget tables after it (at most 50 characters)")
    const sql = yield* connect(connection, 4)
    const failed = (error: SqlError) =>
      startError(connection, error, `the budget tables of ${qualified(connection.name)}`)
    yield* migrate(sql, connection.name).pipe(Effect.mapError(failed))
    const spentProblems = yield* shapeProblems(sql, tables.spent, spentColumns, {
      columns: ["budget_key"],
      why: "one row per budget"
    }).pipe(Effect.mapError(failed))
    const holdProblems = yield* shapeProblems(sql, tables.holds, holdColumns, {
      columns: ["hold_id", "budget_key"],
      why: "one hold per attempt and budget"
    }).pipe(Effect.mapError(failed))
    const problems = [
      ...(spentProblems.length === 0 ? [] : [`${qualified(tables.spent)}: ${spentProblems.join(", ")}`]),
      ...(holdProblems.length === 0 ? [] : [`${qualified(tables.holds)}: ${holdProblems.join(", ")}`])
    ]
    if (problems.length > 0)
      return yield* problem(
        "table",
        `the budget tables exist with another shape and are never altered: ${problems.join("; ")}; rename or drop them, or choose another table`
      )
    return yield* makeBudget(sql, connection, options.budgets, holdTtl, reserveTimeout)
  })

const makeBudget = (
  sql: SqlClient,
  connection: Connection,
  budgets: ReadonlyArray<SharedBudgetConfig>,
  holdTtl: Duration.Duration,
  reserveTimeout: Duration.Duration
) =>
  Effect.gen(function* () {
    const tables = tablesOf(connection.name)
    const spentTable = sql(qualified(tables.spent))
    const holdsTable = sql(qualified(tables.holds))
    const display = displayName(connection, tables.spent)
    const scrub = scrubber(connection.target.password)
    const timeoutText = Duration.format(reserveTimeout)
    const ttlSeconds = Duration.toSeconds(holdTtl)

    const holdIn = (keys: ReadonlyArray<BudgetKey>, hold: Hold) =>
      sql.withTransaction(
        Effect.gen(function* () {
          const ids = keys.map((key) => key.key)
          yield* sql`INSERT INTO ${spentTable} ${sql.insert(
            keys.map((key) => ({
              budget_key: key.key,
              budget: key.budget.name,
              period: key.period,
              tag_value: key.tagValue
            })) as unknown as Arr.NonEmptyReadonlyArray<Record<string, unknown>>
          )} ON CONFLICT (budget_key) DO NOTHING`
          // Locked first, read after: this statement's snapshot then sees every hold committed before.
          yield* sql`SELECT budget_key FROM ${spentTable} WHERE budget_key IN ${sql.in(ids)} ORDER BY budget_key FOR UPDATE`
          const rows = yield* sql<{ key: string; spent: string; held: string }>`SELECT s.budget_key AS key,
              s.spent_usd::text AS spent,
              COALESCE(sum(h.amount_usd) FILTER (WHERE h.expires_at > now()), 0)::text AS held
            FROM ${spentTable} s LEFT JOIN ${holdsTable} h ON h.budget_key = s.budget_key
            WHERE s.budget_key IN ${sql.in(ids)} GROUP BY s.budget_key, s.spent_usd`
          const byKey = new Map(rows.map((row) => [row.key, row]))
          for (const key of keys) {
            const row = byKey.get(key.key)
            const spentUsd = Number(row?.spent ?? 0)
            const heldUsd = Number(row?.held ?? 0)
            if (spentUsd + heldUsd + hold.amountUsd > key.budget.usd)
              return yield* Effect.fail<Refused>({ _tag: "Refused", key, spentUsd, heldUsd })
          }
          yield* sql`INSERT INTO ${holdsTable} (hold_id, budget_key, amount_usd, expires_at)
            SELECT ${hold.id}, budget_key, ${String(hold.amountUsd)}::numeric, now() + make_interval(secs => ${ttlSeconds})
            FROM ${spentTable} WHERE budget_key IN ${sql.in(ids)}`
        })
      )

    const reserve: SharedBudget["Service"]["reserve"] = (amountUsd, call) =>
      Effect.flatMap(Clock.currentTimeMillis, (now) => {
        const keys = keysOf(budgets, call.tags, now)
        if (keys.length === 0) return Effect.succeed(noHold)
        const hold: Hold = { id: randomUUID(), amountUsd }
        return holdIn(keys, hold).pipe(
          Effect.timeout(reserveTimeout),
          Effect.as(hold),
          Effect.mapError((error) =>
            "_tag" in error && error._tag === "Refused"
              ? refused(call.provider, call.model, error, amountUsd)
              : unavailable(call.provider, call.model, keys[0]!, scrub(describe(error, timeoutText)))
          )
        )
      })

    const refused = (provider: ProviderId, model: string, refusal: Refused, amountUsd: number) =>
      new BudgetExceededError({
        provider,
        model,
        spentUsd: refusal.spentUsd,
        budgetUsd: refusal.key.budget.usd,
        message: `${describeKey(refusal.key)} of ${usd(refusal.key.budget.usd)} cannot cover this request: ${usd(refusal.spentUsd)} spent + ${usd(refusal.heldUsd)} held by requests in flight on every instance + up to ${usd(amountUsd)} for this one (${provider} model ${model}); lower maxTokens, raise its usd in cost_tracking.ledger.budgets${refusal.key.period === "total" ? "" : ", or wait for the next period"}`
      })

    const unavailable = (provider: ProviderId, model: string, key: BudgetKey, detail: string) =>
      new BudgetExceededError({
        provider,
        model,
        spentUsd: 0,
        budgetUsd: key.budget.usd,
        message: `${describeKey(key)} could not be checked in ${display} (${detail}); shared budgets fail closed, so nothing was sent: bring the database back, or remove the budget from cost_tracking.ledger.budgets`
      })

    // Settles (a cost) and releases (none), written in batches by one fiber.
    let queue: Array<{ readonly id: string; readonly costUsd: number | undefined }> = []
    let failing = false
    const lock = yield* Semaphore.make(1)
    const wake = yield* Latch.make(false)

    const write = (batch: ReadonlyArray<{ readonly id: string; readonly costUsd: number | undefined }>) =>
      sql.withTransaction(
        Effect.gen(function* () {
          const deleted = yield* sql<{
            id: string
            key: string
          }>`DELETE FROM ${holdsTable} WHERE hold_id IN ${sql.in(batch.map((entry) => entry.id))} RETURNING hold_id AS id, budget_key AS key`
          const costs = new Map(batch.map((entry) => [entry.id, entry.costUsd]))
          const additions = deleted.flatMap((row) => {
            const cost = costs.get(row.id)
            return cost === undefined || cost === 0 ? [] : [{ budget_key: row.key, add: String(cost) }]
          })
          if (additions.length === 0) return
          const keys = [...new Set(additions.map((row) => row.budget_key))]
          yield* sql`SELECT budget_key FROM ${spentTable} WHERE budget_key IN ${sql.in(keys)} ORDER BY budget_key FOR UPDATE`
          yield* sql`UPDATE ${spentTable} AS s SET spent_usd = s.spent_usd + x.add, updated_at = now()
            FROM (SELECT d.budget_key, sum(d.add::numeric) AS add
              FROM ${sql.updateValues(additions as unknown as Arr.NonEmptyReadonlyArray<Record<string, unknown>>, "d")}
              GROUP BY d.budget_key) AS x
            WHERE s.budget_key = x.budget_key`
        })
      )

    /** Writes what is queued; false when a batch failed (it stays queued, first). */
    const drain: Effect.Effect<boolean> = Effect.gen(function* () {
      while (queue.length > 0) {
        const batch = queue.slice(0, maxBatch)
        const result = yield* Effect.result(write(batch))
        if (result._tag === "Failure") {
          if (!failing) {
            failing = true
            yield* Effect.logWarning(
              `${display}: cannot write settled budget holds (${scrub(describe(result.failure, "30 seconds"))}); retried, and their holds count until then`
            )
          }
          return false
        }
        queue = queue.slice(batch.length)
        if (failing) {
          failing = false
          yield* Effect.logInfo(`${display}: writing settled budget holds again`)
        }
      }
      return true
    })

    const loop = Effect.gen(function* () {
      let retryMs = firstRetryMs
      for (;;) {
        yield* wake.await
        yield* Effect.sleep(batchWindow)
        wake.closeUnsafe()
        if (yield* lock.withPermit(drain)) {
          retryMs = firstRetryMs
          continue
        }
        yield* Effect.sleep(retryMs)
        retryMs = Math.min(retryMs * 2, maxRetryMs)
        wake.openUnsafe()
      }
    })
    const loopFiber = yield* Effect.forkScoped(loop)

    yield* Effect.addFinalizer(() =>
      Effect.gen(function* () {
        yield* Fiber.interrupt(loopFiber)
        yield* lock.withPermit(drain).pipe(Effect.timeoutOption(closeTimeout))
        const settles = queue.filter((entry) => entry.costUsd !== undefined).length
        if (queue.length > 0)
          yield* Effect.logError(
            `${display}: closed with ${queue.length} budget hold(s) not written (${settles} settle(s)); their holds expire within ${Duration.format(holdTtl)}, and the costs of those settles are missing from the shared budgets (the cost records themselves are in the ledger or its spill file)`
          )
      })
    )

    const enqueue = (hold: SharedBudgetHold, costUsd: number | undefined) => {
      const { id } = hold as Hold
      if (id === "") return
      queue.push({ id, costUsd })
      wake.openUnsafe()
    }

    return SharedBudget.of({
      reserve,
      settle: (hold, costUsd) => enqueue(hold, costUsd),
      release: (hold) => enqueue(hold, undefined)
    })
  })

export const PgSharedBudget = {
  /**
   * Budgets shared through the ledger's database: connects and creates the budget tables when missing
   * (a failure there is a ConfigError saying which). Closing the layer's scope writes the settles still
   * queued (for up to 5 s).
   */
  layer: (options: PgSharedBudgetOptions): Layer.Layer<SharedBudget, ConfigError> =>
    Layer.effect(SharedBudget, start(options))
}
