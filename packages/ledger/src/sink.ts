/**
 * `PgLedgerSink`: cost records into a PostgreSQL table, one row per record, as one more `CostSink`.
 *
 * `offer` pushes onto an in-memory queue and returns. A background fiber, woken by the first record
 * and waiting `flushInterval` for more, writes the queue in batches: one multi-row
 * `INSERT ... ON CONFLICT (request_id, attempt) DO NOTHING` each, so a batch sent twice (a retry after a
 * lost reply, a replay) is counted once. While the database fails, records stay queued and the fiber
 * retries with backoff; beyond `maxQueuedRecords`, and at close or process exit while still unwritten,
 * they go to the spill file (spill.ts) with a warning, and are replayed from it once the database takes
 * a batch again (and at the next start).
 *
 * A crash (SIGKILL, power loss) loses what is queued in memory: the records of the last `flushInterval`
 * plus, while the database is down, up to `maxQueuedRecords`.
 */
import * as os from "node:os"
import { PgClient } from "@effect/sql-pg"
import { ConfigError, CostLogError, type CostLogHealth, type CostRecord, CostSink } from "@llm-orchestrator/core"
import { readCostLog, resolveLogPath } from "@llm-orchestrator/cost"
import { Context, Duration, Effect, Fiber, Latch, Layer, Redacted, Semaphore } from "effect"
import * as Arr from "effect/Array"
import { SqlClient } from "effect/sql/SqlClient"
import type { SqlError } from "effect/sql/SqlError"
import { maxBatchSize, migrate, missingPrivileges, qualified, shapeProblems, type TableName, toRow } from "./schema.ts"
import { SpillFile } from "./spill.ts"

export interface PgLedgerOptions {
  /** `postgresql://user:password@host:port/database`; a `Redacted` keeps it out of logs and traces. */
  readonly url: string | Redacted.Redacted<string>
  /** Default `llm_cost_records`; created when missing. */
  readonly table?: string
  /** Default `public`; created when missing. */
  readonly schema?: string
  /** Records per INSERT (default 500). */
  readonly batchSize?: number
  /** How long the first record waits for others to share its INSERT (default 100 ms). */
  readonly flushInterval?: Duration.Input
  /** Records kept in memory while the database fails; beyond, they go to the spill file (default 10,000). */
  readonly maxQueuedRecords?: number
  /**
   * The JSONL file for records the database could not take (default
   * `~/.llm-orchestrator/ledger-spill/<host>-<port>-<database>-<schema>.<table>.jsonl`).
   */
  readonly spillPath?: string
  /** Written to `instance_id` (default `<hostname>:<pid>`). */
  readonly instanceId?: string
}

/** The JSONL log's counters, plus the records waiting in the spill file. */
export interface LedgerHealth extends CostLogHealth {
  /** Records this sink put in the spill file that no replay has taken yet. */
  readonly spilledRecords: number
}

const defaultTable = "llm_cost_records"
const defaultSchema = "public"
const defaultBatchSize = 500
const defaultFlushInterval = "100 millis"
const defaultMaxQueued = 10_000
/** Backoff between rounds while the database fails. */
const firstRetryMs = 100
const maxRetryMs = 5_000
/** An INSERT that hangs (a network partition) counts as failed; its records are retried. */
const insertTimeout = "30 seconds"
/** At close, how long the last write may take before what is left goes to the spill file. */
const closeTimeout = "5 seconds"

/** Lower case only: a quoted identifier then names the same table as an unquoted one in psql. */
const identifier = /^[a-z_][a-z0-9_]{0,62}$/

interface Target {
  readonly host: string
  readonly port: string
  readonly database: string
  readonly user: string
  readonly password: string
}

const parseTarget = (url: string): Target | undefined => {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    return undefined
  }
  if (parsed.protocol !== "postgres:" && parsed.protocol !== "postgresql:") return undefined
  const user = decodeURIComponent(parsed.username)
  return {
    host: parsed.hostname || "localhost",
    port: parsed.port || "5432",
    database: decodeURIComponent(parsed.pathname.slice(1)) || user || "postgres",
    user,
    password: decodeURIComponent(parsed.password)
  }
}

/** Removes the password from a text that quotes the server or the driver (defence in depth). */
export const scrubber =
  (password: string) =>
  (text: string): string =>
    password === "" ? text : text.replaceAll(password, "***").replaceAll(encodeURIComponent(password), "***")

/** `ConnectionError: PgConnection: Failed to connect (ECONNREFUSED)`: the reason, its code and its cause. */
export const describeSql = (error: SqlError): string => {
  const reason = error.reason
  const cause = reason.cause as { readonly code?: unknown; readonly message?: unknown } | undefined
  const code = typeof cause?.code === "string" ? cause.code : undefined
  const causeMessage = typeof cause?.message === "string" && cause.message !== "" ? cause.message : undefined
  const details = [code, causeMessage !== undefined && causeMessage !== reason.message ? causeMessage : undefined]
    .filter((part) => part !== undefined)
    .join(": ")
  return `${reason._tag}: ${reason.message}${details === "" ? "" : ` (${details})`}`
}

const describe = (error: unknown): string => {
  if (typeof error === "object" && error !== null && "reason" in error) return describeSql(error as SqlError)
  if (
    typeof error === "object" &&
    error !== null &&
    "_tag" in error &&
    (error as { _tag: unknown })._tag === "TimeoutError"
  )
    return `no answer within ${insertTimeout}`
  return error instanceof Error ? error.message : String(error)
}

export const problem = (path: string, message: string) =>
  ConfigError.fromProblems([{ path: `ledger.${path}`, message }])

export interface Settings {
  readonly url: string
  readonly target: Target
  readonly name: TableName
  readonly batchSize: number
  readonly flushInterval: Duration.Duration
  readonly maxQueued: number
  readonly spillPath: string
  readonly instanceId: string
}

const wholeNumber = (value: number | undefined, fallback: number, min: number, max: number, path: string) =>
  value === undefined
    ? Effect.succeed(fallback)
    : Number.isInteger(value) && value >= min && value <= max
      ? Effect.succeed(value)
      : Effect.fail(problem(path, `expected a whole number from ${min} to ${max}`))

export const settingsOf = (options: PgLedgerOptions): Effect.Effect<Settings, ConfigError> =>
  Effect.gen(function* () {
    const url = Redacted.isRedacted(options.url) ? Redacted.value(options.url) : options.url
    const target = typeof url === "string" ? parseTarget(url) : undefined
    // The URL itself is never quoted: it holds the password.
    if (target === undefined)
      return yield* problem("url", "expected a PostgreSQL URL: postgresql://user:password@host:port/database")
    const schema = options.schema ?? defaultSchema
    const table = options.table ?? defaultTable
    if (!identifier.test(schema))
      return yield* problem("schema", `${JSON.stringify(schema)} is not a lower-case SQL identifier ([a-z_][a-z0-9_]*)`)
    if (!identifier.test(table))
      return yield* problem("table", `${JSON.stringify(table)} is not a lower-case SQL identifier ([a-z_][a-z0-9_]*)`)
    const batchSize = yield* wholeNumber(options.batchSize, defaultBatchSize, 1, maxBatchSize, "batchSize")
    const maxQueued = yield* wholeNumber(options.maxQueuedRecords, defaultMaxQueued, 1, 10_000_000, "maxQueuedRecords")
    const flushInterval = Duration.fromInput(options.flushInterval ?? defaultFlushInterval)
    if (flushInterval._tag === "None") return yield* problem("flushInterval", "expected a duration such as 100 millis")
    const fileName = `${target.host}-${target.port}-${target.database}-${schema}.${table}`.replace(/[^\w.-]/g, "_")
    return {
      url,
      target,
      name: { schema, table },
      batchSize,
      flushInterval: flushInterval.value,
      maxQueued,
      spillPath: resolveLogPath(options.spillPath ?? `~/.llm-orchestrator/ledger-spill/${fileName}.jsonl`),
      instanceId: options.instanceId ?? `${os.hostname()}:${process.pid}`
    }
  })

/** A failure while connecting or preparing the table, as a ConfigError that says which. */
export const startError = (settings: Settings, error: SqlError): ConfigError => {
  const { target } = settings
  const scrub = scrubber(target.password)
  const where = `${target.host}:${target.port}`
  const detail = scrub(describeSql(error))
  switch (error.reason._tag) {
    case "ConnectionError":
      return problem(
        "url",
        `cannot reach PostgreSQL at ${where} (${detail}); check the host and port in the URL and that the server is running`
      )
    case "AuthenticationError":
      return problem(
        "url",
        `PostgreSQL at ${where} refused the login of user ${JSON.stringify(target.user)} (${detail}); check the user name and password in the URL`
      )
    default:
      return problem(
        "url",
        `PostgreSQL at ${where}, database ${JSON.stringify(target.database)}: cannot prepare the table ${qualified(settings.name)} (${detail})`
      )
  }
}

/** The table's name in messages and `health.path`: where it is, never who logs in. */
const displayName = (settings: Settings): string =>
  `${qualified(settings.name)} (postgresql://${settings.target.host}:${settings.target.port}/${settings.target.database})`

const start = (options: PgLedgerOptions) =>
  Effect.gen(function* () {
    const settings = yield* settingsOf(options)
    const spill = new SpillFile(settings.spillPath)
    yield* Effect.try({
      try: () => spill.prepare(),
      catch: (error) =>
        problem(
          "spillPath",
          `cannot write the spill file ${settings.spillPath} (${describe(error)}); choose a writable path`
        )
    })
    const context = yield* Layer.build(
      PgClient.layer({
        url: Redacted.make(settings.url),
        maxConnections: 2,
        applicationName: "llm-orchestrator ledger"
      })
    ).pipe(Effect.mapError((error) => startError(settings, error)))
    const sql = Context.get(context, SqlClient)
    yield* migrate(sql, settings.name).pipe(Effect.mapError((error) => startError(settings, error)))
    const problems = yield* shapeProblems(sql, settings.name).pipe(
      Effect.mapError((error) => startError(settings, error))
    )
    if (problems.length > 0)
      return yield* problem(
        "table",
        `${qualified(settings.name)} exists with another shape and is never altered: ${problems.join("; ")}; rename or drop it, or choose another table`
      )
    const missing = yield* missingPrivileges(sql, settings.name).pipe(
      Effect.mapError((error) => startError(settings, error))
    )
    if (missing.length > 0)
      return yield* problem(
        "url",
        `user ${JSON.stringify(settings.target.user)} may not write to ${qualified(settings.name)}: grant it ${missing.join(" and ")}`
      )
    return yield* makeWriter(sql, settings, spill)
  })

const makeWriter = (sql: SqlClient, settings: Settings, spill: SpillFile) =>
  Effect.gen(function* () {
    const display = displayName(settings)
    const scrub = scrubber(settings.target.password)
    const table = sql(qualified(settings.name))
    // The layer's services (logger included), so warnings from `offer` reach the application's logger.
    const runFork = Effect.runForkWith(yield* Effect.context<never>())
    let queue: Array<CostRecord> = []
    /** The batch being inserted: out of the queue, put back at its head when the INSERT fails. */
    let inflight: Array<CostRecord> = []
    let written = 0
    let lost = 0
    let reportedLost = 0
    let spilled = 0
    let lastError: string | undefined
    let failing = false
    let closed = false
    let replayPending = spill.pending()
    const lock = yield* Semaphore.make(1)
    const wake = yield* Latch.make(replayPending)

    const insert = (records: Arr.NonEmptyReadonlyArray<CostRecord>): Effect.Effect<void, string> =>
      sql`INSERT INTO ${table} ${sql.insert(Arr.map(records, (record) => toRow(record, settings.instanceId)))} ON CONFLICT (request_id, attempt) DO NOTHING`.unprepared.pipe(
        Effect.timeout(insertTimeout),
        Effect.asVoid,
        Effect.mapError((error) => scrub(describe(error)))
      )

    /** Moves records to the spill file (whole lines); what cannot be written there is lost. */
    const spillNow = (records: ReadonlyArray<CostRecord>, why: string): void => {
      if (records.length === 0) return
      const result = spill.append(records)
      spilled += result.spilled
      replayPending = true
      const missing = records.length - result.spilled
      lost += missing
      const message = `cost ledger ${display}: ${why}; ${result.spilled} record(s) written to the spill file ${spill.path}, replayed into the table once the database takes writes again${missing > 0 ? `; ${missing} record(s) lost (${result.error})` : ""}`
      runFork(missing > 0 ? Effect.logError(message) : Effect.logWarning(message))
    }

    const noteFailure = (error: string) =>
      Effect.suspend(() => {
        lastError = error
        if (failing) return Effect.void
        failing = true
        return Effect.logWarning(
          `cost ledger ${display}: cannot write (${error}); records wait in memory and are retried, beyond ${settings.maxQueued} they go to the spill file ${spill.path}`
        )
      })

    const noteSuccess = Effect.suspend(() => {
      lastError = undefined
      if (!failing) return Effect.void
      failing = false
      return Effect.logInfo(`cost ledger ${display}: writing again`)
    })

    /** Inserts up to `limit` queued records, oldest first; false when an INSERT failed (they stay queued). */
    const writeQueued = (limit: number): Effect.Effect<boolean> =>
      Effect.gen(function* () {
        let remaining = limit
        while (remaining > 0 && queue.length > 0) {
          const batch = queue.splice(0, Math.min(settings.batchSize, remaining))
          remaining -= batch.length
          inflight = batch
          const putBack = Effect.sync(() => {
            queue = batch.concat(queue)
            inflight = []
          })
          const result = yield* insert(batch as unknown as Arr.NonEmptyReadonlyArray<CostRecord>).pipe(
            Effect.onInterrupt(() => putBack),
            Effect.result
          )
          if (result._tag === "Failure") {
            yield* putBack
            yield* noteFailure(result.failure)
            return false
          }
          inflight = []
          written += batch.length
          yield* noteSuccess
        }
        return true
      })

    /** Replays every spill file into the table (in batches), deleting each once it is in. */
    const replay: Effect.Effect<boolean> = Effect.gen(function* () {
      const spilledBefore = spilled
      // Appends are synchronous and short: a moment after the rename, nothing more lands in a claimed file.
      const files = spill.claim()
      if (files.length > 0) yield* Effect.sleep("50 millis")
      for (const file of files) {
        const read = yield* Effect.result(readCostLog(file))
        if (read._tag === "Failure") {
          yield* noteFailure(`cannot read the spill file ${file}: ${read.failure.message}`)
          return false
        }
        const { state: records, badLines } = read.success
        if (badLines > 0)
          yield* Effect.logWarning(
            `cost ledger ${display}: ${badLines} torn or unreadable line(s) skipped in the spill file ${file}`
          )
        for (let index = 0; index < records.length; index += settings.batchSize) {
          const batch = records.slice(
            index,
            index + settings.batchSize
          ) as unknown as Arr.NonEmptyReadonlyArray<CostRecord>
          const result = yield* Effect.result(insert(batch))
          if (result._tag === "Failure") {
            yield* noteFailure(result.failure)
            // The claimed file stays: the next replay (or the next start) claims it again.
            return false
          }
          written += batch.length
        }
        yield* Effect.sync(() => spill.remove(file))
        yield* Effect.logInfo(`cost ledger ${display}: replayed ${records.length} record(s) from the spill file`)
      }
      spilled -= spilledBefore
      replayPending = spill.pending()
      yield* noteSuccess
      return true
    })

    /** One writing round: the queue, then the spill once the database takes writes. */
    const round = (limit: number): Effect.Effect<boolean> =>
      Effect.flatMap(writeQueued(limit), (ok) => (ok && replayPending ? replay : Effect.succeed(ok)))

    const loop = Effect.gen(function* () {
      let retryMs = firstRetryMs
      for (;;) {
        yield* wake.await
        yield* Effect.sleep(settings.flushInterval)
        wake.closeUnsafe()
        const ok = yield* lock.withPermit(round(Number.POSITIVE_INFINITY))
        if (ok) {
          retryMs = firstRetryMs
          continue
        }
        yield* Effect.sleep(retryMs)
        retryMs = Math.min(retryMs * 2, maxRetryMs)
        wake.openUnsafe()
      }
    })
    const loopFiber = yield* Effect.forkScoped(loop)

    /** `process.exit` or the end of the program without closing: the last chance, synchronous. */
    const onExit = () => {
      if (closed) return
      closed = true
      spillNow(inflight.concat(queue), "the process exited before these records were written")
    }
    process.on("exit", onExit)

    yield* Effect.addFinalizer(() =>
      Effect.gen(function* () {
        yield* Fiber.interrupt(loopFiber)
        yield* lock.withPermit(round(Number.POSITIVE_INFINITY)).pipe(Effect.timeoutOption(closeTimeout))
        closed = true
        process.off("exit", onExit)
        const rest = inflight.concat(queue)
        queue = []
        inflight = []
        spillNow(rest, `closed while the database was unavailable (${lastError ?? "no answer"})`)
      })
    )

    const flush: Effect.Effect<void, CostLogError> = Effect.suspend(() => {
      const limit = queue.length + inflight.length
      return Effect.flatMap(lock.withPermit(round(limit)), (ok) => {
        const newlyLost = lost - reportedLost
        reportedLost = lost
        if (ok && newlyLost === 0) return Effect.void
        const buffered = queue.length + inflight.length
        const parts = [
          ...(buffered > 0 ? [`${buffered} record(s) not written yet, kept in memory and retried`] : []),
          ...(spilled > 0 || replayPending
            ? [`${spilled} record(s) in the spill file ${spill.path}, replayed when the database is back`]
            : []),
          ...(newlyLost > 0 ? [`${newlyLost} record(s) lost`] : [])
        ]
        return Effect.fail(
          new CostLogError({
            path: display,
            bufferedRecords: buffered,
            lostRecords: newlyLost,
            message: `cost ledger ${display}: ${parts.join("; ")}${lastError === undefined ? "" : ` (last error: ${lastError})`}`
          })
        )
      })
    })

    const health: Effect.Effect<LedgerHealth> = Effect.sync(() => ({
      path: display,
      writtenRecords: written,
      bufferedRecords: queue.length + inflight.length,
      lostRecords: lost,
      lastError,
      spilledRecords: spilled
    }))

    return CostSink.of({
      name: display,
      offer: (record) => {
        if (closed) return spillNow([record], "a record arrived after the ledger was closed")
        queue.push(record)
        if (queue.length > settings.maxQueued) {
          const full = queue
          queue = []
          spillNow(full, `more than ${settings.maxQueued} records waiting for the database (${lastError ?? "busy"})`)
        }
        wake.openUnsafe()
      },
      flush,
      health
    })
  })

export const PgLedgerSink = {
  /**
   * The ledger as a cost sink: connects, creates the table when missing (safe when many processes start
   * at once) and checks its shape; any failure there is a ConfigError saying which. Closing the layer's
   * scope writes what is queued (or spills it) and closes the connections.
   */
  layer: (options: PgLedgerOptions): Layer.Layer<CostSink, ConfigError> => Layer.effect(CostSink, start(options))
}
