/**
 * `PgLedgerReport`: the cost report of the ledger table, summed by PostgreSQL (GROUP BY, tags through
 * `jsonb_each_text`), equal to what `reportFromLog` gives for a JSONL log holding the same records.
 *
 * How it stays equal to the JSONL report (packages/cost/src/report.ts):
 * - every row counts (any outcome), once per row; `since` keeps the rows whose timestamp, read to the
 *   millisecond as `Date.parse` reads the log's, is at or after it;
 * - `unpricedCalls` counts the rows without a cost (`cost_total` NULL), which add $0;
 * - money: the log's report rounds each running sum to 12 decimals (`roundUsd`), so each amount is
 *   rounded to 12 decimals here before an exact `numeric` sum, then converted once: for amounts the
 *   pricing made (already on that grid) both give the same double;
 * - `byModel` and `byTag` are summed per (provider, model) and (key, value), then joined into
 *   `provider/model` and `key=value` keys here, as the log's report does: two pairs that spell the same
 *   key share a bucket, added without a second rounding;
 * - the optional usage counters appear only when non-zero; rows are ordered most expensive first, then
 *   by key (JavaScript string order, not the database's collation).
 *
 * Known difference: PostgreSQL stores U+0000 as U+FFFD (schema.ts), so a name or tag holding one
 * reports under the replaced spelling.
 */
import type { ConfigError, CostBucket, CostReport } from "@llm-orchestrator/core"
import {
  type ReportBucket as Bucket,
  mergeBuckets,
  bucketSnapshot as snapshot,
  sortedBuckets as sorted
} from "@llm-orchestrator/cost"
import { Effect, type Redacted } from "effect"
import type { SqlClient } from "effect/sql/SqlClient"
import type { SqlError } from "effect/sql/SqlError"
import { type Connection, connect, connectionOf, describeSql, problem, scrubber, startError } from "./connection.ts"
import { qualified } from "./schema.ts"

export interface PgLedgerReportOptions {
  /** `postgresql://user:password@host:port/database`; a `Redacted` keeps it out of logs and traces. */
  readonly url: string | Redacted.Redacted<string>
  /** Default `llm_cost_records`, as for the sink. */
  readonly table?: string
  /** Default `public`, as for the sink. */
  readonly schema?: string
  /** Only the records at or after this instant (epoch milliseconds or a `Date`); default all. */
  readonly since?: number | Date
}

/** The JSONL report's shape, plus the same buckets per UTC day. */
export interface LedgerCostReport extends CostReport {
  /** Keyed by the UTC day of the record's timestamp, `YYYY-MM-DD`, oldest first. */
  readonly byDay: Readonly<Record<string, CostBucket>>
}

/** The cost log's rounding (packages/cost/src/pricing.ts `roundUsd`): 12 decimals. */
const roundUsd = (usd: number): number => Math.round(usd * 1e12) / 1e12

/** One result row: a group's sums, every number as text (exact, whatever the driver does with numeric). */
interface GroupRow {
  readonly grouping: "total" | "provider" | "model" | "day" | "tag"
  readonly a: string | null
  readonly b: string | null
  readonly calls: string
  readonly unpriced: string
  readonly cost: string
  readonly tools: string
  readonly input: string
  readonly output: string
  readonly cache_read: string
  readonly cache_write: string
  readonly reasoning: string
  readonly cache_write_1h: string
  readonly web_searches: string
  readonly web_fetches: string
}

const sums = `count(*)::text AS calls,
  count(*) FILTER (WHERE cost_total IS NULL)::text AS unpriced,
  COALESCE(sum(round(cost_total, 12)), 0)::text AS cost,
  COALESCE(sum(round(cost_tools, 12)), 0)::text AS tools,
  COALESCE(sum(input_tokens), 0)::text AS input,
  COALESCE(sum(output_tokens), 0)::text AS output,
  COALESCE(sum(cache_read_tokens), 0)::text AS cache_read,
  COALESCE(sum(cache_write_tokens), 0)::text AS cache_write,
  COALESCE(sum(reasoning_tokens), 0)::text AS reasoning,
  COALESCE(sum(cache_write_1h_tokens), 0)::text AS cache_write_1h,
  COALESCE(sum(web_searches), 0)::text AS web_searches,
  COALESCE(sum(web_fetches), 0)::text AS web_fetches`

const bucketOf = (row: GroupRow): Bucket => ({
  costUsd: roundUsd(Number(row.cost)),
  toolsUsd: roundUsd(Number(row.tools)),
  calls: Number(row.calls),
  unpricedCalls: Number(row.unpriced),
  usage: {
    inputTokens: Number(row.input),
    outputTokens: Number(row.output),
    cacheReadTokens: Number(row.cache_read),
    cacheWriteTokens: Number(row.cache_write),
    reasoningTokens: Number(row.reasoning),
    cacheWrite1hTokens: Number(row.cache_write_1h),
    webSearches: Number(row.web_searches),
    webFetches: Number(row.web_fetches)
  }
})

/** Two pairs spelling one key (`a/b` + `c` and `a` + `b/c`): added as the log's report adds them. */
const add = (map: Map<string, Bucket>, key: string, bucket: Bucket): void => {
  const seen = map.get(key)
  map.set(key, seen === undefined ? bucket : mergeBuckets(seen, bucket))
}

const emptyRow: GroupRow = {
  grouping: "total",
  a: null,
  b: null,
  calls: "0",
  unpriced: "0",
  cost: "0",
  tools: "0",
  input: "0",
  output: "0",
  cache_read: "0",
  cache_write: "0",
  reasoning: "0",
  cache_write_1h: "0",
  web_searches: "0",
  web_fetches: "0"
}

/** The report of the query's rows. */
const reportOfRows = (rows: ReadonlyArray<GroupRow>): LedgerCostReport => {
  let total = bucketOf(emptyRow)
  const byProvider = new Map<string, Bucket>()
  const byModel = new Map<string, Bucket>()
  const byTag = new Map<string, Bucket>()
  const days: Array<[string, Bucket]> = []
  for (const row of rows) {
    const bucket = bucketOf(row)
    switch (row.grouping) {
      case "total":
        total = bucket
        break
      case "provider":
        byProvider.set(row.a!, bucket)
        break
      case "model":
        add(byModel, `${row.a}/${row.b}`, bucket)
        break
      case "tag":
        add(byTag, `${row.a}=${row.b}`, bucket)
        break
      case "day":
        days.push([row.a!, bucket])
        break
    }
  }
  return {
    enabled: true,
    ...snapshot(total),
    byProvider: sorted(byProvider),
    byModel: sorted(byModel),
    byTag: sorted(byTag),
    byDay: Object.fromEntries(days.sort(([a], [b]) => (a < b ? -1 : 1)).map(([day, bucket]) => [day, snapshot(bucket)]))
  }
}

/** The start of the window in whole milliseconds: a log record's timestamp is read to the millisecond. */
const sinceMs = (since: number | Date | undefined): Effect.Effect<number | undefined, ConfigError> => {
  if (since === undefined) return Effect.succeed(undefined)
  const ms = since instanceof Date ? since.getTime() : since
  return typeof ms === "number" && Number.isFinite(ms)
    ? Effect.succeed(Math.ceil(ms))
    : Effect.fail(problem("since", "expected a valid Date or epoch milliseconds"))
}

/**
 * One statement (one snapshot: rows written meanwhile are in every group or in none): the total,
 * provider, (provider, model) and day groups as GROUPING SETS, and the tag groups, all filtered by `since`.
 */
const query = (sql: SqlClient, settings: Connection, since: number | undefined) => {
  const table = sql(qualified(settings.name))
  const window = since === undefined ? sql.literal("TRUE") : sql`recorded_at >= ${new Date(since)}`
  return sql<GroupRow>`SELECT
  CASE GROUPING(provider, model, day) WHEN 7 THEN 'total' WHEN 3 THEN 'provider' WHEN 1 THEN 'model' ELSE 'day' END AS grouping,
  COALESCE(provider, day) AS a, model AS b,
  ${sql.literal(sums)}
FROM (SELECT *, to_char(recorded_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day FROM ${table} WHERE ${window}) AS r
GROUP BY GROUPING SETS ((), (provider), (provider, model), (day))
UNION ALL
SELECT 'tag', tag.key, tag.value,
  ${sql.literal(sums)}
FROM ${table} AS r CROSS JOIN LATERAL jsonb_each_text(r.metadata) AS tag
WHERE ${window} AND jsonb_typeof(r.metadata) = 'object'
GROUP BY tag.key, tag.value`
}

const readError = (settings: Connection, error: SqlError): ConfigError => {
  const tag = error.reason._tag
  if (tag === "ConnectionError" || tag === "AuthenticationError") return startError(settings, error)
  const { target } = settings
  return problem(
    "table",
    `PostgreSQL at ${target.host}:${target.port}, database ${JSON.stringify(target.database)}: cannot read the table ${qualified(settings.name)} (${scrubber(target.password)(describeSql(error))})`
  )
}

const report = (options: PgLedgerReportOptions): Effect.Effect<LedgerCostReport, ConfigError> =>
  Effect.scoped(
    Effect.gen(function* () {
      const { since, ...rest } = options
      const settings = yield* connectionOf(rest)
      const start = yield* sinceMs(since)
      const fail = (error: SqlError) => readError(settings, error)
      const sql = yield* connect(settings, 1)
      const [found] = yield* sql<{
        present: boolean
      }>`SELECT to_regclass(${`"${settings.name.schema}"."${settings.name.table}"`}) IS NOT NULL AS present`.pipe(
        Effect.mapError(fail)
      )
      if (found?.present !== true)
        return yield* problem(
          "table",
          `${qualified(settings.name)} does not exist in database ${JSON.stringify(settings.target.database)} at ${settings.target.host}:${settings.target.port}; check the URL, schema and table (the sink creates it when it starts)`
        )
      const rows = yield* query(sql, settings, start).pipe(Effect.mapError(fail))
      return reportOfRows(rows)
    })
  )

export const PgLedgerReport = {
  /**
   * The cost report of the ledger table (optionally since an instant): the shape of `getCostReport`
   * and of `llm-orchestrator costs` on a JSONL log, plus `byDay`. Connects for this query only. An
   * unreachable server, a refused login, a missing or unreadable table is a ConfigError saying which
   * (never the password).
   */
  report,
  /** `report` as a Promise; it rejects with the ConfigError. */
  reportPromise: (options: PgLedgerReportOptions): Promise<LedgerCostReport> => Effect.runPromise(report(options))
}
