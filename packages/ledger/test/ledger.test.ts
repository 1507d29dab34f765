/**
 * The PostgreSQL ledger against a real PostgreSQL 18 (no mock): rows equal records field by field,
 * the idempotency key, concurrent start-up, an outage with spill and replay, and the start-up errors.
 * Rows are read back through node-postgres (support.ts), never through the sink's driver.
 */
import * as fs from "node:fs"
import * as os from "node:os"
import * as nodePath from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { type CostRecord, CostSink } from "@llm-orchestrator/core"
import { encodeRecord, readCostLog } from "@llm-orchestrator/cost"
import { Context, Effect, Exit, Layer, Logger } from "effect"
import { type LedgerHealth, type PgLedgerOptions, PgLedgerSink } from "../src/index.ts"
import { freePort, makeRecord, password, type Row, recordOfRow, startPostgres, type TestPostgres } from "./support.ts"

let pg: TestPostgres

beforeAll(async () => {
  pg = await startPostgres()
  // Measured, not asserted: how long the test server took (README "Cost ledger").
  console.log(`PostgreSQL: initdb ${pg.startedInMs.initdb} ms, start ${pg.startedInMs.server} ms`)
})
afterAll(() => pg?.close())

let tables = 0
/** A table of its own per test, so tests never see each other's rows. */
const freshTable = () => `t${process.pid}_${++tables}`

const spillIn = () => nodePath.join(fs.mkdtempSync(nodePath.join(os.tmpdir(), "ledger-spill-")), "spill.jsonl")

const optionsFor = (table: string, extra: Partial<PgLedgerOptions> = {}): PgLedgerOptions => ({
  url: pg.url(),
  table,
  spillPath: spillIn(),
  flushInterval: "5 millis",
  ...extra
})

/** The sink of `options` for the duration of `use`; its scope closes (drains) at the end. */
const withSink = <A, E>(options: PgLedgerOptions, use: (sink: CostSink["Service"]) => Effect.Effect<A, E>) =>
  Effect.scoped(
    Effect.flatMap(Layer.build(PgLedgerSink.layer(options)), (context) => use(Context.get(context, CostSink)))
  )

const rowsOf = (table: string, database = "postgres") =>
  Effect.promise(() => pg.query<Row>(`SELECT * FROM public.${table} ORDER BY request_id, attempt`, [], database))

const countOf = (table: string) =>
  Effect.promise(() =>
    pg.query<{ rows: string; keys: string }>(
      `SELECT count(*) AS rows, count(DISTINCT (request_id, attempt)) AS keys FROM public.${table}`
    )
  ).pipe(Effect.map(([row]) => ({ rows: Number(row?.rows), keys: Number(row?.keys) })))

const byKey = (records: ReadonlyArray<CostRecord>) =>
  [...records].sort((a, b) => a.requestId.localeCompare(b.requestId) || a.attempt - b.attempt)

/** Flushes until it succeeds (the server is coming back), at most `seconds`. */
const flushUntilWritten = (sink: CostSink["Service"], seconds = 15) =>
  Effect.gen(function* () {
    const deadline = Date.now() + seconds * 1000
    for (;;) {
      const exit = yield* Effect.exit(sink.flush)
      if (Exit.isSuccess(exit) || Date.now() > deadline) return exit
      yield* Effect.sleep("100 millis")
    }
  })

const startError = (options: PgLedgerOptions) =>
  withSink(options, () => Effect.void).pipe(
    Effect.flip,
    Effect.map((error) => error.message)
  )

describe("rows are the records", () => {
  it.live("every field of every record reads back through SQL as the record that was offered", () =>
    Effect.gen(function* () {
      const table = freshTable()
      const { tools: _, ...costWithoutTools } = makeRecord().cost!
      const records = [
        makeRecord(),
        makeRecord({}, true),
        makeRecord({ outcome: "success", cost: costWithoutTools }),
        makeRecord({ latencyMs: 0, metadata: { "key with spaces": "ünïcode ✓", n: "1" } })
      ]
      const health = yield* withSink(optionsFor(table, { instanceId: "worker-7" }), (sink) =>
        Effect.gen(function* () {
          for (const record of records) sink.offer(record)
          yield* sink.flush
          return (yield* sink.health) as LedgerHealth
        })
      )
      const rows = yield* rowsOf(table)
      expect(rows.map(recordOfRow)).toEqual(byKey(records))
      expect(new Set(rows.map((row) => row.instance_id))).toEqual(new Set(["worker-7"]))
      expect(health).toMatchObject({ writtenRecords: 4, bufferedRecords: 0, lostRecords: 0, spilledRecords: 0 })
      expect(health.lastError).toBeUndefined()
      expect(health.path).toBe(`public.${table} (postgresql://127.0.0.1:${pg.port}/postgres)`)
    })
  )

  it.live("a record offered twice (a retry, a replay, a second sink) is one row", () =>
    Effect.gen(function* () {
      const table = freshTable()
      const record = makeRecord()
      const other = makeRecord({ requestId: record.requestId, attempt: record.attempt + 1 })
      yield* withSink(optionsFor(table), (sink) =>
        Effect.gen(function* () {
          sink.offer(record)
          sink.offer(record) // same batch
          yield* sink.flush
          sink.offer(record) // later batch
          sink.offer(other) // same request, next attempt: a row of its own
          yield* sink.flush
        })
      )
      // Another process replaying the same record (its spill file) adds nothing either.
      const spillPath = spillIn()
      fs.writeFileSync(spillPath, encodeRecord(record) + encodeRecord(other))
      yield* withSink(optionsFor(table, { spillPath }), (sink) => sink.flush)
      expect(fs.existsSync(spillPath)).toBe(false)
      expect(yield* countOf(table)).toEqual({ rows: 2, keys: 2 })
      expect((yield* rowsOf(table)).map(recordOfRow)).toEqual(byKey([record, other]))
    })
  )

  it.live("a NUL character (which PostgreSQL refuses) becomes U+FFFD instead of blocking its batch", () =>
    Effect.gen(function* () {
      const table = freshTable()
      const nul = makeRecord({
        model: "m\u0000x",
        errorTag: "E\u0000",
        metadata: { "k\u0000": "v\u0000", ok: "\\u0000" }
      })
      const next = makeRecord()
      yield* withSink(optionsFor(table), (sink) =>
        Effect.gen(function* () {
          sink.offer(nul)
          sink.offer(next)
          yield* sink.flush
        })
      )
      const rows = (yield* rowsOf(table)).map(recordOfRow)
      expect(rows).toEqual(
        byKey([
          { ...nul, model: "m\uFFFDx", errorTag: "E\uFFFD", metadata: { "k\uFFFD": "v\uFFFD", ok: "\\u0000" } },
          next
        ])
      )
    })
  )

  it.live("batches: more records than batchSize arrive whole, one INSERT per batch", () =>
    Effect.gen(function* () {
      const table = freshTable()
      const records = Array.from({ length: 25 }, () => makeRecord())
      yield* withSink(optionsFor(table, { batchSize: 7 }), (sink) =>
        Effect.gen(function* () {
          for (const record of records) sink.offer(record)
          yield* sink.flush
        })
      )
      expect((yield* rowsOf(table)).map(recordOfRow)).toEqual(byKey(records))
    })
  )
})

describe("start-up", () => {
  it.live("three sinks started at once on an empty database all migrate, and all write", () =>
    Effect.gen(function* () {
      const database = `concurrent_${process.pid}`
      yield* Effect.promise(() => pg.createDatabase(database))
      const records = [makeRecord(), makeRecord(), makeRecord()]
      yield* Effect.forEach(
        records,
        (record, index) =>
          withSink({ url: pg.url(database), schema: "ledger", spillPath: spillIn(), instanceId: `i${index}` }, (sink) =>
            Effect.gen(function* () {
              sink.offer(record)
              yield* sink.flush
            })
          ),
        { concurrency: "unbounded" }
      )
      const rows = yield* Effect.promise(() =>
        pg.query<Row>("SELECT * FROM ledger.llm_cost_records ORDER BY request_id", [], database)
      )
      expect(rows.map(recordOfRow)).toEqual(byKey(records))
      const tablesMade = yield* Effect.promise(() =>
        pg.query("SELECT 1 FROM pg_tables WHERE tablename = 'llm_cost_records'", [], database)
      )
      expect(tablesMade).toHaveLength(1)
    })
  )

  it.live(
    "a role that may only write to a table an administrator made starts and writes; without SELECT on the key it is told what to grant",
    () =>
      Effect.gen(function* () {
        const table = freshTable()
        yield* withSink(optionsFor(table), () => Effect.void)
        const role = `writer_${process.pid}`
        yield* Effect.promise(() => pg.query(`CREATE ROLE ${role} LOGIN PASSWORD 'writer-pw'`))
        yield* Effect.promise(() => pg.query(`GRANT INSERT ON public.${table} TO ${role}`))
        const asWriter = optionsFor(table, { url: `postgresql://${role}:writer-pw@127.0.0.1:${pg.port}/postgres` })
        expect(yield* startError(asWriter)).toBe(
          `ledger.url: user "${role}" may not write to public.${table}: grant it SELECT on its columns request_id and attempt (read by ON CONFLICT)`
        )
        yield* Effect.promise(() => pg.query(`GRANT SELECT (request_id, attempt) ON public.${table} TO ${role}`))
        const record = makeRecord()
        yield* withSink(asWriter, (sink) =>
          Effect.gen(function* () {
            sink.offer(record)
            yield* sink.flush
          })
        )
        expect((yield* rowsOf(table)).map(recordOfRow)).toEqual([record])
      })
  )

  it.live("a table of another shape is reported column by column and left as it was", () =>
    Effect.gen(function* () {
      const table = freshTable()
      yield* Effect.promise(() =>
        pg.query(
          `CREATE TABLE public.${table} (request_id text, attempt text, provider text NOT NULL, cost_total numeric NOT NULL, owner text NOT NULL)`
        )
      )
      const message = yield* startError(optionsFor(table))
      expect(message).toContain(`ledger.table: public.${table} exists with another shape and is never altered`)
      expect(message).toContain("column attempt is text, expected integer")
      expect(message).toContain("missing column recorded_at (timestamp with time zone)")
      expect(message).toContain("column cost_total is NOT NULL, expected nullable")
      expect(message).toContain("column owner is NOT NULL without a default")
      expect(message).toContain("no UNIQUE (request_id, attempt)")
      const columns = yield* Effect.promise(() =>
        pg.query<{ column_name: string; data_type: string }>(
          "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = $1 ORDER BY ordinal_position",
          [table]
        )
      )
      expect(columns.map((c) => `${c.column_name} ${c.data_type}`)).toEqual([
        "request_id text",
        "attempt text",
        "provider text",
        "cost_total numeric",
        "owner text"
      ])
    })
  )

  it.live("an unreachable server and a wrong password are ConfigErrors that say which, without the password", () =>
    Effect.gen(function* () {
      const closedPort = yield* Effect.promise(freePort)
      const unreachable = yield* startError({
        url: `postgresql://postgres:${password}@127.0.0.1:${closedPort}/postgres`,
        spillPath: spillIn()
      })
      expect(unreachable).toContain(`ledger.url: cannot reach PostgreSQL at 127.0.0.1:${closedPort}`)
      expect(unreachable).toContain("ECONNREFUSED")
      const wrong = "not-the-password-42"
      const refused = yield* startError({ url: pg.url("postgres", wrong), spillPath: spillIn() })
      expect(refused).toContain(`ledger.url: PostgreSQL at 127.0.0.1:${pg.port} refused the login of user "postgres"`)
      expect(refused).toContain("password authentication failed")
      const malformed = yield* startError({ url: `postgres//postgres:${password}@nowhere`, spillPath: spillIn() })
      expect(malformed).toContain("ledger.url: expected a PostgreSQL URL")
      for (const message of [unreachable, refused, malformed]) {
        expect(message).not.toContain(password)
        expect(message).not.toContain(wrong)
      }
      const badTable = yield* startError(optionsFor("Robert'); DROP TABLE x;--"))
      expect(badTable).toContain("ledger.table:")
    })
  )
})

describe("outages", () => {
  it.live(
    "PostgreSQL stopped mid-run: records wait in memory, overflow goes to the spill file in whole lines, and after the restart every record is one row",
    () =>
      Effect.gen(function* () {
        const table = freshTable()
        const spillPath = spillIn()
        const logged: Array<string> = []
        let spilledCount = 0
        const before = Array.from({ length: 5 }, () => makeRecord())
        const during = Array.from({ length: 23 }, () => makeRecord())
        const after = Array.from({ length: 4 }, () => makeRecord())
        yield* withSink(optionsFor(table, { spillPath, maxQueuedRecords: 10 }), (sink) =>
          Effect.gen(function* () {
            for (const record of before) sink.offer(record)
            yield* sink.flush
            yield* Effect.promise(() => pg.stop())
            // Offered over about two seconds while the server is down; a flush then fails and says why.
            for (const [index, record] of during.entries()) {
              sink.offer(record)
              if (index % 6 === 0) yield* Effect.sleep("100 millis")
            }
            const failed = yield* Effect.flip(sink.flush)
            expect(failed._tag).toBe("CostLogError")
            expect(failed.message).toContain("not written yet, kept in memory and retried")
            expect(failed.message).toContain(`in the spill file ${spillPath}`)
            expect(failed.message).not.toContain(password)
            const down = (yield* sink.health) as LedgerHealth
            // Beyond 10 queued records the queue went to the spill (how many depends on the batch the
            // writer held at that moment); every record is in one place or the other.
            expect(down).toMatchObject({ writtenRecords: 5, lostRecords: 0 })
            expect(down.bufferedRecords + down.spilledRecords).toBe(23)
            expect(down.spilledRecords).toBeGreaterThanOrEqual(11)
            expect(down.lastError).toMatch(/ConnectionError/)
            // The spill holds whole lines, each a record: the JSONL cost log's reader takes every one.
            const spilled = yield* readCostLog(spillPath)
            expect(spilled.badLines).toBe(0)
            expect(spilled.records).toBe(down.spilledRecords)
            expect(fs.readFileSync(spillPath, "utf8").endsWith("\n")).toBe(true)
            expect(during).toEqual(expect.arrayContaining([...spilled.state]))
            spilledCount = down.spilledRecords
            yield* Effect.sleep("1 second")
            yield* Effect.promise(() => pg.start())
            for (const record of after) sink.offer(record)
            expect(Exit.isSuccess(yield* flushUntilWritten(sink))).toBe(true)
            const up = (yield* sink.health) as LedgerHealth
            expect(up).toMatchObject({ bufferedRecords: 0, spilledRecords: 0, lostRecords: 0 })
            expect(up.lastError).toBeUndefined()
          })
        ).pipe(Effect.provide(Logger.layer([Logger.make((options) => void logged.push(String(options.message)))])))
        expect(yield* countOf(table)).toEqual({ rows: 32, keys: 32 })
        expect((yield* rowsOf(table)).map(recordOfRow)).toEqual(byKey([...before, ...during, ...after]))
        // Replayed, then removed: nothing is left to replay twice.
        expect(fs.readdirSync(nodePath.dirname(spillPath))).toEqual([])
        expect(logged.some((line) => line.includes("cannot write (ConnectionError"))).toBe(true)
        expect(logged.some((line) => line.includes("record(s) written to the spill file"))).toBe(true)
        expect(logged.some((line) => line.includes(`replayed ${spilledCount} record(s) from the spill file`))).toBe(
          true
        )
      })
  )

  it.live("closed while the database is down: the queue goes to the spill file, and the next start replays it", () =>
    Effect.gen(function* () {
      const table = freshTable()
      const spillPath = spillIn()
      const records = Array.from({ length: 6 }, () => makeRecord())
      yield* withSink(optionsFor(table, { spillPath }), (sink) =>
        Effect.gen(function* () {
          sink.offer(records[0]!)
          yield* sink.flush
          yield* Effect.promise(() => pg.stop())
          for (const record of records.slice(1)) sink.offer(record)
        })
      )
      // Closing drained into the spill: five whole lines.
      const spilled = yield* readCostLog(spillPath)
      expect(spilled.badLines).toBe(0)
      expect(byKey(spilled.state)).toEqual(byKey(records.slice(1)))
      yield* Effect.promise(() => pg.start())
      // A torn last line (a crash mid-append) is skipped; the whole lines are replayed.
      fs.appendFileSync(spillPath, encodeRecord(makeRecord()).slice(0, 40))
      const health = yield* withSink(optionsFor(table, { spillPath }), (sink) =>
        Effect.gen(function* () {
          yield* sink.flush
          return (yield* sink.health) as LedgerHealth
        })
      )
      expect(health.writtenRecords).toBe(5)
      expect(fs.existsSync(spillPath)).toBe(false)
      expect(yield* countOf(table)).toEqual({ rows: 6, keys: 6 })
      expect((yield* rowsOf(table)).map(recordOfRow)).toEqual(byKey(records))
    })
  )
})
