/**
 * `llm-orchestrator costs [log.jsonl | --ledger URL] [--by provider|model|tag|day] [--since 24h|ISO date] [--json]`:
 * the cost report of a JSONL cost log (docs/ARCHITECTURE.md, "Attempts and cost records"), as a table with a TOTAL row or as JSON.
 * Without a path, the log is the config's `cost_tracking.log_path`. With `--ledger`, the same report is
 * summed by PostgreSQL from the ledger table (`@llm-orchestrator/ledger`, an optional package loaded
 * only then), which also groups by UTC day.
 *
 * Tag rows overlap (a call tagged feature=a and tenant=b counts in both), so with `--by tag` the
 * TOTAL row is the log's total, not the sum of the rows above it.
 */
import type { CostBucket, CostRecord, CostReport } from "@llm-orchestrator/core"
import { reportFromLog, resolveLogPath } from "@llm-orchestrator/cost"
import { Effect, Option } from "effect"
import { Argument, Command, Flag } from "effect/cli"
import { loadConfig } from "../config.ts"
import { loadLedger, type ReportByDay } from "../ledger.ts"
import { CliFailure } from "./failure.ts"
import { type Column, formatCount, formatTable, formatUsd, printErr, printJson, printOut } from "./output.ts"
import { root } from "./root.ts"

const durationUnits: Readonly<Record<string, number>> = {
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000
}

/**
 * The start of the `--since` window: a duration back from `now` ("90m", "24h", "7d", "2w") or an
 * ISO date/time ("2025-06-01", "2025-06-01T12:00:00Z"). undefined when it is neither.
 */
export const parseSince = (text: string, now: number): number | undefined => {
  const duration = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)$/.exec(text.trim())
  if (duration) return now - Number(duration[1]) * durationUnits[duration[2]!]!
  if (!/^\d{4}-\d{2}-\d{2}/.test(text.trim())) return undefined
  const date = Date.parse(text.trim())
  return Number.isNaN(date) ? undefined : date
}

export type GroupBy = "provider" | "model" | "tag" | "day"

const numberColumns: ReadonlyArray<Column> = [
  { header: "CALLS", align: "right" },
  { header: "UNPRICED", align: "right" },
  { header: "INPUT", align: "right" },
  { header: "OUTPUT", align: "right" },
  { header: "CACHED", align: "right" },
  // Built-in tool fees (web searches), already inside COST USD.
  { header: "TOOLS USD", align: "right" },
  { header: "COST USD", align: "right" }
]

const bucketCells = (bucket: CostBucket): ReadonlyArray<string> => [
  formatCount(bucket.calls),
  formatCount(bucket.unpricedCalls),
  formatCount(bucket.usage.inputTokens),
  formatCount(bucket.usage.outputTokens),
  formatCount(bucket.usage.cacheReadTokens),
  formatUsd(bucket.toolsUsd),
  // Never a made-up $0: a group whose calls all lack a price says so.
  bucket.calls > 0 && bucket.unpricedCalls === bucket.calls ? "unpriced" : formatUsd(bucket.costUsd)
]

/**
 * A provider, model or tag as one visible table cell: control and format characters (a newline in a tag
 * value would break the row, an escape sequence would drive the terminal, a bidi override would reorder
 * the row) are shown as escapes.
 */
export const printable = (text: string): string =>
  text.replace(/[\p{Cc}\p{Cf}\u2028\u2029]/gu, (char) =>
    char === "\n" ? "\\n" : char === "\t" ? "\\t" : char === "\r" ? "\\r" : `\\u{${char.codePointAt(0)!.toString(16)}}`
  )

const keyHeaders: Readonly<Record<GroupBy, ReadonlyArray<Column>>> = {
  provider: [{ header: "PROVIDER" }],
  model: [{ header: "PROVIDER" }, { header: "MODEL" }],
  tag: [{ header: "TAG" }],
  day: [{ header: "DAY (UTC)" }]
}

/** The report as a table grouped `by` (`day` needs a report with `byDay`), with a TOTAL row. */
export const costsTable = (report: CostReport | ReportByDay, by: GroupBy): string => {
  const keyColumns = keyHeaders[by]
  const groups =
    by === "model"
      ? report.byModel
      : by === "tag"
        ? report.byTag
        : by === "day"
          ? "byDay" in report
            ? report.byDay
            : {}
          : report.byProvider
  const rows = Object.entries(groups).map(([key, bucket]) => {
    // byModel keys are `provider/model`; model ids may contain "/" themselves, so split at the first.
    const keys = by === "model" ? [key.slice(0, key.indexOf("/")), key.slice(key.indexOf("/") + 1)] : [key]
    return [...keys.map(printable), ...bucketCells(bucket)]
  })
  const total = ["TOTAL", ...keyColumns.slice(1).map(() => ""), ...bucketCells(report)]
  return formatTable([...keyColumns, ...numberColumns], [...rows, undefined, total])
}

export const costsCommand = Command.make(
  "costs",
  {
    log: Argument.String("log").pipe(
      Argument.withDescription("The JSONL cost log (default: the config's cost_tracking.log_path)"),
      Argument.optional
    ),
    ledger: Flag.String("ledger").pipe(
      Flag.withMetavar("URL"),
      Flag.withDescription(
        "Read the PostgreSQL cost ledger at postgresql://user:password@host:port/db instead of a log file (needs @llm-orchestrator/ledger)"
      ),
      Flag.optional
    ),
    ledgerTable: Flag.String("ledger-table").pipe(
      Flag.withMetavar("NAME"),
      Flag.withDescription("With --ledger: the table (default llm_cost_records)"),
      Flag.optional
    ),
    ledgerSchema: Flag.String("ledger-schema").pipe(
      Flag.withMetavar("NAME"),
      Flag.withDescription("With --ledger: the table's schema (default public)"),
      Flag.optional
    ),
    by: Flag.Literals("by", ["provider", "model", "tag", "day"]).pipe(
      Flag.withDescription(
        "Group rows by provider, by provider and model (default), by metadata tag, or by UTC day (day: with --ledger only)"
      ),
      Flag.withDefault("model")
    ),
    since: Flag.String("since").pipe(
      Flag.withMetavar("WHEN"),
      Flag.withDescription("Only calls since a duration ago (30m, 24h, 7d) or an ISO date (2025-06-01)"),
      Flag.optional
    ),
    json: Flag.Boolean("json").pipe(Flag.withDescription("Print the report as JSON"), Flag.withDefault(false)),
    strict: Flag.Boolean("strict").pipe(
      Flag.withDescription("Fail (exit 1, no report) when the log has bad lines, instead of skipping them"),
      Flag.withDefault(false)
    )
  },
  (input) =>
    Effect.gen(function* () {
      const since = Option.isSome(input.since) ? parseSince(input.since.value, Date.now()) : undefined
      if (Option.isSome(input.since) && since === undefined) {
        return yield* Effect.fail(
          CliFailure.usage(
            `--since ${input.since.value}: expected a duration such as 30m, 24h, 7d or an ISO date such as 2025-06-01`
          )
        )
      }
      if (Option.isSome(input.ledger)) {
        if (Option.isSome(input.log))
          return yield* Effect.fail(
            CliFailure.usage(`pass either a log file (${input.log.value}) or --ledger, not both`)
          )
        if (input.strict)
          return yield* Effect.fail(
            CliFailure.usage("--strict is for a JSONL log's bad lines; a ledger table has none")
          )
        const { PgLedgerReport } = yield* loadLedger("--ledger")
        const report = yield* PgLedgerReport.report({
          url: input.ledger.value,
          ...(Option.isSome(input.ledgerTable) ? { table: input.ledgerTable.value } : {}),
          ...(Option.isSome(input.ledgerSchema) ? { schema: input.ledgerSchema.value } : {}),
          ...(since === undefined ? {} : { since })
        })
        // The log's JSON shape (a table has no bad lines), plus byDay.
        if (input.json) yield* printJson({ ...report, badLines: 0 })
        else yield* printOut(costsTable(report, input.by))
        return
      }
      for (const [flag, value] of [
        ["--ledger-table", input.ledgerTable],
        ["--ledger-schema", input.ledgerSchema]
      ] as const)
        if (Option.isSome(value)) return yield* Effect.fail(CliFailure.usage(`${flag} needs --ledger`))
      if (input.by === "day")
        return yield* Effect.fail(
          CliFailure.usage("--by day needs --ledger: a JSONL log's report groups by provider, model or tag")
        )
      const logPath = Option.isSome(input.log) ? input.log.value : yield* configuredLogPath
      const inWindow = (record: CostRecord) => since === undefined || Date.parse(record.timestamp) >= since
      // Streamed: a log of any size is summed in memory bounded by its distinct providers, models and tags.
      const { state: report, badLines, firstBadLines } = yield* reportFromLog(logPath, inWindow)
      if (badLines > 0) {
        // Lines torn by a crash (or edited by hand) are skipped, and said so: the totals leave them out.
        const first = firstBadLines[0]!
        if (input.strict)
          return yield* Effect.fail(
            CliFailure.failure(
              `${badLines} bad line(s) in ${logPath} (first: line ${first.line}: ${first.message}); --strict prints no report for a damaged log`
            )
          )
        yield* printErr(
          `${badLines} bad line(s) skipped in ${logPath} (first: line ${first.line}: ${first.message}); the totals leave them out`
        )
      }
      if (input.json) yield* printJson({ ...report, badLines })
      else yield* printOut(costsTable(report, input.by))
    })
).pipe(
  Command.withDescription(
    "Summarise a JSONL cost log or the PostgreSQL ledger: calls, tokens and USD by provider, model, tag or day"
  )
)

const configuredLogPath = Effect.gen(function* () {
  const { config: configPath } = yield* root
  const config = yield* loadConfig(configPath)
  if (config.costTracking.logPath === undefined) {
    return yield* Effect.fail(CliFailure.usage(`pass the cost log's path: ${configPath} has no cost_tracking.log_path`))
  }
  return resolveLogPath(config.costTracking.logPath)
})
