/**
 * `PgSharedBudget`: budgets every process on one ledger shares (`cost_tracking.ledger.budgets`), as the
 * tracker's `SharedBudget`.
 *
 * Two tables beside the ledger's: `<table>_budget_spent` (one row per budget, period and tag value: what
 * settled attempts cost, `spent_usd`, and what attempts in flight hold, `held_usd`) and
 * `<table>_budget_holds` (one row per attempt in flight and budget, with a lease). A reservation is one
 * statement that locks the budgets' rows in key order (so two never deadlock), checks spent + held + its
 * amount against each limit on their latest values, and only when all fit adds to `held_usd` and writes
 * its hold rows: PostgreSQL serialises the reservations of a budget across processes, and the lock is
 * held only while the statement runs. A settle deletes the hold rows and moves the amount from
 * `held_usd` to the real cost in `spent_usd`, in one statement (a settle sent twice finds no hold the
 * second time and counts once); settles and releases are written off the request path, in batches, and
 * the hold counts until then. Holds whose lease ended (a process that died) are given back by a sweep.
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
/** A refusal sweeps expired holds first, at most this often per process (the loop also sweeps). */
const sweepEveryMs = 250
const sweepInterval = "30 seconds"
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
  column("held_usd", "numeric"),
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
          held_usd numeric NOT NULL DEFAULT 0,
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
        yield* sql`CREATE INDEX ${sql(`${tables.holds.table}_by_expiry`)} ON ${sql(qualified(tables.holds))} (expires_at)`
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

    /** Budget rows this process has seen exist: their INSERT is skipped. */
    const known = new Set<string>()
    const ensureRows = (keys: ReadonlyArray<BudgetKey>) => {
      const missing = keys.filter((key) => !known.has(key.key))
      if (missing.length === 0) return Effect.void
      return sql`INSERT INTO ${spentTable} ${sql.insert(
        missing.map((key) => ({
          budget_key: key.key,
          budget: key.budget.name,
          period: key.period,
          tag_value: key.tagValue
        })) as unknown as Arr.NonEmptyReadonlyArray<Record<string, unknown>>
      )} ON CONFLICT (budget_key) DO NOTHING`.pipe(
        Effect.tap(() =>
          Effect.sync(() => {
            for (const key of missing) known.add(key.key)
          })
        )
      )
    }

    /**
     * One statement, so a budget's row stays locked only while PostgreSQL runs it (no round trip inside
     * the lock): lock the rows in key order (FOR UPDATE reads their latest values), decide, and only when
     * every budget fits add the hold to `held_usd` and write its rows. Returns what each budget had.
     */
    const tryHold = (keys: ReadonlyArray<BudgetKey>, hold: Hold) => {
      const ids = keys.map((key) => key.key)
      const amount = String(hold.amountUsd)
      const limits = keys.map((key) => ({ budget_key: key.key, limit_usd: String(key.budget.usd) }))
      return sql<{ key: string; spent: string; held: string; fits: boolean }>`WITH locked AS (
          SELECT budget_key, spent_usd, held_usd FROM ${spentTable}
          WHERE budget_key IN ${sql.in(ids)} ORDER BY budget_key FOR UPDATE
        ), verdict AS (
          SELECT count(*) = ${keys.length} AND bool_and(l.spent_usd + l.held_usd + ${amount}::numeric <= v.limit_usd::numeric) AS fits
          FROM locked l JOIN ${sql.updateValues(limits as unknown as Arr.NonEmptyReadonlyArray<Record<string, unknown>>, "v")} ON v.budget_key = l.budget_key
        ), held AS (
          UPDATE ${spentTable} AS s SET held_usd = s.held_usd + ${amount}::numeric
          FROM verdict WHERE verdict.fits AND s.budget_key IN ${sql.in(ids)} RETURNING s.budget_key
        ), recorded AS (
          INSERT INTO ${holdsTable} (hold_id, budget_key, amount_usd, expires_at)
          SELECT ${hold.id}, budget_key, ${amount}::numeric, now() + make_interval(secs => ${ttlSeconds}) FROM held
          RETURNING 1
        )
        SELECT l.budget_key AS key, l.spent_usd::text AS spent, l.held_usd::text AS held,
          (SELECT fits FROM verdict) AS fits
        FROM locked l`
    }

    /** Gives back the holds whose lease ended (their process died, or never wrote the settle in time). */
    const sweep = sql`WITH expired AS (
        DELETE FROM ${holdsTable} WHERE expires_at < now() RETURNING budget_key, amount_usd
      ), released AS (SELECT budget_key, sum(amount_usd) AS amount FROM expired GROUP BY budget_key)
      UPDATE ${spentTable} AS s SET held_usd = s.held_usd - released.amount
      FROM released WHERE s.budget_key = released.budget_key`.pipe(Effect.asVoid)
    let lastSweep = 0

    /** Holds `hold` on every budget of `keys`, or fails with the budget that cannot take it. */
    const holdIn = (keys: ReadonlyArray<BudgetKey>, hold: Hold): Effect.Effect<void, Refused | SqlError> =>
      Effect.gen(function* () {
        for (let round = 0; ; round++) {
          yield* ensureRows(keys)
          const rows = yield* tryHold(keys, hold)
          if (rows[0]?.fits === true) return
          // A row gone (deleted by hand) is made again; an expired hold may be what is in the way.
          if (rows.length < keys.length) for (const key of keys) known.delete(key.key)
          const now = Date.now()
          if (round === 0 && (rows.length < keys.length || now - lastSweep > sweepEveryMs)) {
            lastSweep = now
            yield* sweep
            continue
          }
          const byKey = new Map(rows.map((row) => [row.key, row]))
          for (const key of keys) {
            const row = byKey.get(key.key)
            const spentUsd = Number(row?.spent ?? 0)
            const heldUsd = Number(row?.held ?? 0)
            if (spentUsd + heldUsd + hold.amountUsd > key.budget.usd)
              return yield* Effect.fail<Refused>({ _tag: "Refused", key, spentUsd, heldUsd })
          }
          // Every budget fits now (one was missing, or a concurrent settle freed room): try once more.
          if (round >= 2)
            return yield* Effect.fail<Refused>({ _tag: "Refused", key: keys[0]!, spentUsd: 0, heldUsd: 0 })
        }
      })

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

    /**
     * One statement: the holds still there are deleted, and their budgets' `held_usd` give back what they
     * held and `spent_usd` take the real cost (0 for a release). A batch written twice finds no hold the
     * second time, so it counts once.
     */
    const write = (batch: ReadonlyArray<{ readonly id: string; readonly costUsd: number | undefined }>) =>
      sql`WITH deleted AS (
          DELETE FROM ${holdsTable} AS h
          USING ${sql.updateValues(
            batch.map((entry) => ({
              hold_id: entry.id,
              cost: String(entry.costUsd ?? 0)
            })) as unknown as Arr.NonEmptyReadonlyArray<Record<string, unknown>>,
            "e"
          )}
          WHERE h.hold_id = e.hold_id RETURNING h.budget_key, h.amount_usd, e.cost::numeric AS cost
        ), totals AS (
          SELECT budget_key, sum(amount_usd) AS released, sum(cost) AS added FROM deleted GROUP BY budget_key
        ), locked AS (
          SELECT s.budget_key FROM ${spentTable} AS s JOIN totals t ON t.budget_key = s.budget_key
          ORDER BY s.budget_key FOR UPDATE OF s
        )
        UPDATE ${spentTable} AS s
        SET held_usd = s.held_usd - t.released, spent_usd = s.spent_usd + t.added, updated_at = now()
        FROM totals t JOIN locked l ON l.budget_key = t.budget_key
        WHERE s.budget_key = t.budget_key`.pipe(Effect.asVoid)

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
    // Holds of processes that died are given back once their lease ends, even if no one is refused.
    yield* Effect.forkScoped(Effect.forever(Effect.andThen(Effect.sleep(sweepInterval), Effect.ignore(sweep))))

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
