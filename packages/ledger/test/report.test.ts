/**
 * The ledger's SQL report against a real PostgreSQL 18: records written through the sink give, field by
 * field and in the same key order, the report `reportFromLog` computes from a JSONL log of the same
 * records (the reference: the `costs` command's own code, in another package), with unpriced records,
 * tool fees, colliding `key=value` spellings, several UTC days and `since` windows; `byDay` equals the
 * log's report of each day's records. Then the errors: typed, and never holding the password.
 */
import * as fs from "node:fs"
import * as os from "node:os"
import * as nodePath from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { type CostBucket, type CostRecord, type CostReport, CostSink } from "@llm-orchestrator/core"
import { encodeRecord, reportFromLog } from "@llm-orchestrator/cost"
import { Context, Effect, Layer, Redacted } from "effect"
import { type LedgerCostReport, PgLedgerReport, PgLedgerSink } from "../src/index.ts"
import { freePort, makeRecord, password, startPostgres, type TestPostgres } from "./support.ts"

let pg: TestPostgres

beforeAll(async () => {
  pg = await startPostgres()
})
afterAll(() => pg?.close())

let tables = 0
const freshTable = () => `r${process.pid}_${++tables}`
const tempFile = (name: string) => nodePath.join(fs.mkdtempSync(nodePath.join(os.tmpdir(), "ledger-report-")), name)

/** Writes `records` through the sink into `table`, and the same records into a JSONL log; returns its path. */
const writeBoth = (table: string, records: ReadonlyArray<CostRecord>, url = pg.url()) =>
  Effect.gen(function* () {
    yield* Effect.scoped(
      Effect.gen(function* () {
        const context = yield* Layer.build(
          PgLedgerSink.layer({ url, table, spillPath: tempFile("spill.jsonl"), flushInterval: "5 millis" })
        )
        const sink = Context.get(context, CostSink)
        for (const record of records) sink.offer(record)
        yield* sink.flush
      })
    )
    const log = tempFile("costs.jsonl")
    fs.writeFileSync(log, records.map(encodeRecord).join(""))
    return log
  })

/** The reference: the JSONL report of the records in `[since, ...)`, as `costs --since` computes it. */
const logReport = (log: string, include: (record: CostRecord) => boolean = () => true) =>
  Effect.map(reportFromLog(log, include), (fold) => {
    expect(fold.badLines).toBe(0)
    return fold.state
  })

const bucketOf = ({ costUsd, toolsUsd, calls, unpricedCalls, usage }: CostBucket): CostBucket => ({
  costUsd,
  toolsUsd,
  calls,
  unpricedCalls,
  usage
})

/** Field by field, and the groups in the same order (the table prints them in that order). */
const expectSameReport = (actual: LedgerCostReport, expected: CostReport) => {
  const { byDay: _, ...report } = actual
  expect(report).toStrictEqual(expected)
  for (const group of ["byProvider", "byModel", "byTag"] as const)
    expect(Object.keys(actual[group])).toEqual(Object.keys(expected[group]))
}

/** A deterministic generator (mulberry32), so a failure reproduces. */
const random = (seed: number) => () => {
  seed = (seed + 0x6d2b79f5) | 0
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296
}

/** The pricing's rounding (12 decimals), written here from its rule, not imported. */
const round12 = (usd: number) => Math.round(usd * 1e12) / 1e12

const day = (record: CostRecord) => record.timestamp.slice(0, 10)

/**
 * Records as the orchestrator makes them: priced ones at $/Mtok rates (amounts on the 12-decimal grid),
 * unpriced ones, web-search fees, optional counters sometimes absent, tags that overlap, over four UTC
 * days with records on both sides of each midnight.
 */
const realisticRecords = (count: number): Array<CostRecord> => {
  const next = random(20)
  const pick = <A>(items: ReadonlyArray<A>): A => items[Math.floor(next() * items.length)]!
  const models = [
    ["openai", "gpt-4o-mini", 0.15, 0.6],
    ["openai", "gpt-5", 1.25, 10],
    ["anthropic", "claude-sonnet-4-6", 3, 15],
    ["google", "gemini-2.5-pro", 1.25, 10],
    ["bedrock", "anthropic.claude-3-haiku", 0.25, 1.25]
  ] as const
  const start = Date.UTC(2026, 2, 1, 22, 0, 0)
  return Array.from({ length: count }, (_, index) => {
    const [provider, model, inRate, outRate] = pick(models)
    const inputTokens = Math.floor(next() * 50_000)
    const outputTokens = Math.floor(next() * 4_000)
    const cacheReadTokens = Math.floor(next() * inputTokens * 0.5)
    const reasoningTokens = Math.floor(next() * outputTokens * 0.3)
    const webSearches = next() < 0.2 ? 1 + Math.floor(next() * 3) : undefined
    const priced = next() > 0.15
    const input = round12(((inputTokens - cacheReadTokens) * inRate) / 1e6)
    const cacheRead = round12((cacheReadTokens * inRate * 0.1) / 1e6)
    const output = round12(((outputTokens - reasoningTokens) * outRate) / 1e6)
    const reasoning = round12((reasoningTokens * outRate) / 1e6)
    const tools = webSearches === undefined ? undefined : round12((webSearches * 10) / 1000)
    const tags: Record<string, string> = {}
    if (next() < 0.7) tags.feature = pick(["search", "summary", "chat"])
    if (next() < 0.5) tags.tenant = pick(["acme", "globex"])
    return makeRecord({
      // Spread over four days, about two hours apart, and exactly at one midnight and just before it.
      timestamp: new Date(
        index === 1
          ? Date.UTC(2026, 2, 2)
          : index === 2
            ? Date.UTC(2026, 2, 2) - 1
            : start + Math.floor(next() * 4 * 86_400_000)
      ).toISOString(),
      requestId: `real-${index}`,
      provider,
      model,
      usage: {
        inputTokens,
        outputTokens,
        cacheReadTokens,
        cacheWriteTokens: 0,
        reasoningTokens,
        ...(next() < 0.3 ? { cacheWrite1hTokens: 0 } : {}),
        ...(webSearches === undefined ? {} : { webSearches }),
        ...(next() < 0.1 ? { webFetches: 1 } : {})
      },
      cost: priced
        ? {
            input,
            cacheRead,
            cacheWrite: 0,
            output,
            reasoning,
            ...(tools === undefined ? {} : { tools }),
            total: round12(input + cacheRead + output + reasoning + (tools ?? 0)),
            currency: "USD"
          }
        : undefined,
      outcome: pick(["success", "success", "error", "interrupted"]),
      metadata: tags
    })
  })
}

/**
 * The cases where a report could go wrong: `key=value` spellings shared by two pairs (one bucket in
 * the log's report), a record without tags, amounts off the 12-decimal grid (17 significant digits),
 * a model id holding "/", a provider with only unpriced calls.
 */
const edgeRecords = (): Array<CostRecord> => [
  makeRecord({ requestId: "edge-1", metadata: { "a=b": "c" }, timestamp: "2026-03-03T10:00:00.000Z" }),
  makeRecord({ requestId: "edge-2", metadata: { a: "b=c" }, timestamp: "2026-03-03T10:00:00.001Z" }),
  makeRecord({ requestId: "edge-3", metadata: {}, timestamp: "2026-03-04T00:00:00.000Z" }),
  makeRecord({ requestId: "edge-4", model: "meta/llama-3", timestamp: "2026-03-02T12:00:00.000Z" }),
  makeRecord({ requestId: "edge-5", provider: "vertex", cost: undefined, timestamp: "2026-03-02T12:00:00.500Z" }),
  makeRecord({ requestId: "edge-6" }, true),
  makeRecord({ requestId: "edge-7" }, true)
]

describe("the SQL report equals the JSONL log's report of the same records", () => {
  it.live("every field, every group, in the same order; byDay is each day's report", () =>
    Effect.gen(function* () {
      const table = freshTable()
      const records = [...realisticRecords(400), ...edgeRecords()]
      const log = yield* writeBoth(table, records)
      const expected = yield* logReport(log)
      const actual = yield* PgLedgerReport.report({ url: pg.url(), table })
      // The data exercises what it should: otherwise a test on empty groups would pass for nothing.
      expect(expected.calls).toBe(records.length)
      expect(expected.unpricedCalls).toBeGreaterThan(20)
      expect(expected.toolsUsd).toBeGreaterThan(0)
      expect(expected.byTag["a=b=c"]?.calls).toBe(2)
      expect(Object.keys(expected.byProvider)).toHaveLength(5)
      expectSameReport(actual, expected)

      const days = [...new Set(records.map(day))].sort()
      expect(days).toEqual(["2026-01-02", "2026-03-01", "2026-03-02", "2026-03-03", "2026-03-04", "2026-03-05"])
      expect(Object.keys(actual.byDay)).toEqual(days)
      for (const d of days) {
        const ofDay = yield* logReport(log, (record) => day(record) === d)
        expect(actual.byDay[d], d).toStrictEqual(bucketOf(ofDay))
      }
    })
  )

  it.live("since (a Date, or epoch ms with a fraction) keeps the records the log's --since keeps", () =>
    Effect.gen(function* () {
      const table = freshTable()
      const records = [
        ...realisticRecords(120),
        // On both sides of the window's start, to the millisecond.
        makeRecord({ requestId: "at", timestamp: "2026-03-03T06:00:00.000Z" }),
        makeRecord({ requestId: "before", timestamp: "2026-03-03T05:59:59.999Z" }),
        makeRecord({ requestId: "after", timestamp: "2026-03-03T06:00:00.001Z" })
      ]
      const log = yield* writeBoth(table, records)
      const at = Date.parse("2026-03-03T06:00:00.000Z")
      for (const since of [new Date(at), at, at - 0.5, at + 0.5, Date.UTC(2026, 2, 2, 23, 59, 59, 999)]) {
        const start = since instanceof Date ? since.getTime() : since
        const expected = yield* logReport(log, (record) => Date.parse(record.timestamp) >= start)
        const actual = yield* PgLedgerReport.report({ url: pg.url(), table, since })
        expectSameReport(actual, expected)
        for (const [d, bucket] of Object.entries(actual.byDay)) {
          const ofDay = yield* logReport(log, (record) => Date.parse(record.timestamp) >= start && day(record) === d)
          expect(bucket, d).toStrictEqual(bucketOf(ofDay))
        }
      }
      // The boundary records: "at" is in a window starting at its millisecond (or within the one before),
      // not in one starting after it; "before" only in a window starting at its own millisecond.
      const calls = (since: number) =>
        Effect.map(PgLedgerReport.report({ url: pg.url(), table, since }), (report) => report.calls)
      expect((yield* calls(at)) - (yield* calls(at + 0.5))).toBe(1)
      expect(yield* calls(at - 0.5)).toBe(yield* calls(at))
      expect((yield* calls(at - 1)) - (yield* calls(at))).toBe(1)
    })
  )

  it.live("days are UTC days in a database whose time zone is UTC+14", () =>
    Effect.gen(function* () {
      yield* Effect.promise(() => pg.createDatabase("report_tz"))
      yield* Effect.promise(() => pg.query("ALTER DATABASE report_tz SET timezone TO 'Pacific/Kiritimati'"))
      const table = freshTable()
      const records = realisticRecords(60)
      const log = yield* writeBoth(table, records, pg.url("report_tz"))
      const actual = yield* PgLedgerReport.report({ url: pg.url("report_tz"), table })
      expectSameReport(actual, yield* logReport(log))
      const days = [...new Set(records.map(day))].sort()
      expect(Object.keys(actual.byDay)).toEqual(days)
      for (const d of days)
        expect(actual.byDay[d], d).toStrictEqual(bucketOf(yield* logReport(log, (r) => day(r) === d)))
    })
  )

  it.live("an empty table, or a window after every record, is the log's empty report", () =>
    Effect.gen(function* () {
      const table = freshTable()
      const log = yield* writeBoth(table, [])
      const empty = yield* logReport(log)
      expect(empty.calls).toBe(0)
      const actual = yield* PgLedgerReport.report({ url: Redacted.make(pg.url()), table })
      expectSameReport(actual, empty)
      expect(actual.byDay).toEqual({})
      const other = freshTable()
      yield* writeBoth(other, realisticRecords(5))
      const late = yield* PgLedgerReport.report({ url: pg.url(), table: other, since: Date.UTC(2030, 0, 1) })
      expectSameReport(late, empty)
    })
  )

  it.live("the Promise form resolves to the same report and rejects with the ConfigError", () =>
    Effect.gen(function* () {
      const table = freshTable()
      const log = yield* writeBoth(table, realisticRecords(20))
      const expected = yield* logReport(log)
      const actual = yield* Effect.promise(() => PgLedgerReport.reportPromise({ url: pg.url(), table }))
      expectSameReport(actual, expected)
      const rejected = yield* Effect.promise(() =>
        PgLedgerReport.reportPromise({ url: pg.url(), table: "no_such_table" }).then(
          () => undefined,
          (error: unknown) => error
        )
      )
      expect(rejected).toMatchObject({ _tag: "ConfigError" })
    })
  )
})

describe("errors", () => {
  const messageOf = (options: Parameters<typeof PgLedgerReport.report>[0]) =>
    PgLedgerReport.report(options).pipe(
      Effect.flip,
      Effect.map((error) => {
        expect(error._tag).toBe("ConfigError")
        return error.message
      })
    )

  it.live(
    "unreachable, wrong password, missing table, unreadable table, bad options: ConfigErrors without the password",
    () =>
      Effect.gen(function* () {
        const closedPort = yield* Effect.promise(freePort)
        const unreachable = yield* messageOf({
          url: `postgresql://postgres:${password}@127.0.0.1:${closedPort}/postgres`
        })
        expect(unreachable).toContain(`ledger.url: cannot reach PostgreSQL at 127.0.0.1:${closedPort}`)
        const wrong = "not-the-password-42"
        const refused = yield* messageOf({ url: pg.url("postgres", wrong) })
        expect(refused).toContain(`ledger.url: PostgreSQL at 127.0.0.1:${pg.port} refused the login of user "postgres"`)
        const missing = yield* messageOf({ url: pg.url(), table: "never_written" })
        expect(missing).toContain("ledger.table: public.never_written does not exist")
        // A table of another shape: the query fails, and says so as the table's problem.
        yield* Effect.promise(() => pg.query("CREATE TABLE public.not_a_ledger (id integer)"))
        const shape = yield* messageOf({ url: pg.url(), table: "not_a_ledger" })
        expect(shape).toContain("ledger.table: PostgreSQL at 127.0.0.1")
        expect(shape).toContain("cannot read the table public.not_a_ledger")
        const badTable = yield* messageOf({ url: pg.url(), table: "Robert'); DROP TABLE x;--" })
        expect(badTable).toContain("ledger.table:")
        const badSince = yield* messageOf({ url: pg.url(), since: new Date("not a date") })
        expect(badSince).toContain("ledger.since:")
        const malformed = yield* messageOf({ url: `postgres//postgres:${password}@nowhere` })
        expect(malformed).toContain("ledger.url: expected a PostgreSQL URL")
        for (const message of [unreachable, refused, missing, shape, badTable, badSince, malformed]) {
          expect(message).not.toContain(password)
          expect(message).not.toContain(wrong)
        }
      })
  )
})
