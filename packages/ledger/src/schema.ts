/**
 * The ledger table: its columns (one per field of `CostRecord`, plus the writing instance), the record ->
 * row mapping, the start-up migration and the check that an existing table has this shape.
 */
import type { CostRecord } from "@llm-orchestrator/core"
import { Effect } from "effect"
import type { SqlClient } from "effect/sql/SqlClient"
import type { SqlError } from "effect/sql/SqlError"

/** One column: its name, its type as PostgreSQL's `format_type` prints it, and whether it may be null. */
export interface LedgerColumn {
  readonly name: string
  readonly type: string
  readonly nullable: boolean
}

export const column = (name: string, type: string, nullable = false): LedgerColumn => ({ name, type, nullable })

/**
 * The columns the sink writes, in insert order. Optional record fields are null when absent, so a row
 * reads back as the same record; money is `numeric` (exact sums; each value is sent as the shortest
 * decimal that reads back as the same double).
 */
export const ledgerColumns: ReadonlyArray<LedgerColumn> = [
  column("request_id", "text"),
  column("attempt", "integer"),
  column("recorded_at", "timestamp with time zone"),
  column("provider_request_id", "text", true),
  column("provider", "text"),
  column("model", "text"),
  column("input_tokens", "bigint"),
  column("output_tokens", "bigint"),
  column("cache_read_tokens", "bigint"),
  column("cache_write_tokens", "bigint"),
  column("cache_write_1h_tokens", "bigint", true),
  column("reasoning_tokens", "bigint"),
  column("web_searches", "bigint", true),
  column("web_fetches", "bigint", true),
  column("usage_estimated", "boolean"),
  column("cost_input", "numeric", true),
  column("cost_cache_read", "numeric", true),
  column("cost_cache_write", "numeric", true),
  column("cost_output", "numeric", true),
  column("cost_reasoning", "numeric", true),
  column("cost_tools", "numeric", true),
  column("cost_total", "numeric", true),
  column("currency", "text", true),
  column("latency_ms", "double precision"),
  column("outcome", "text"),
  column("error_tag", "text", true),
  column("stream", "boolean"),
  column("metadata", "jsonb"),
  column("instance_id", "text")
]

/** PostgreSQL accepts at most 65,535 parameters per statement: a batch is one INSERT. */
export const maxBatchSize = Math.floor(65_535 / ledgerColumns.length)

const decimal = (value: number | undefined): string | null => (value === undefined ? null : String(value))

/**
 * PostgreSQL refuses U+0000 in text and jsonb: a tag holding one would fail its whole batch on every
 * retry, so it becomes U+FFFD (the JSONL log keeps the original).
 */
const text = (value: string): string => (value.includes("\u0000") ? value.replaceAll("\u0000", "\uFFFD") : value)
const optionalText = (value: string | undefined): string | null => (value === undefined ? null : text(value))

const metadataJson = (metadata: Readonly<Record<string, string>>): string => {
  const json = JSON.stringify(metadata)
  // Cleaned only when needed (JSON.stringify writes U+0000 as an escape jsonb refuses): the common case is one call.
  return json.includes("\\u0000")
    ? JSON.stringify(Object.fromEntries(Object.entries(metadata).map(([key, value]) => [text(key), text(value)])))
    : json
}

/**
 * A record as one row's parameters. Numbers for `numeric` columns go as strings: a float8 parameter
 * would be cast to numeric with 15 significant digits and no longer equal the log's record.
 */
export const toRow = (record: CostRecord, instanceId: string): Record<string, unknown> => {
  const { usage, cost } = record
  return {
    request_id: text(record.requestId),
    attempt: record.attempt,
    recorded_at: record.timestamp,
    provider_request_id: optionalText(record.providerRequestId),
    provider: text(record.provider),
    model: text(record.model),
    input_tokens: usage.inputTokens,
    output_tokens: usage.outputTokens,
    cache_read_tokens: usage.cacheReadTokens,
    cache_write_tokens: usage.cacheWriteTokens,
    cache_write_1h_tokens: usage.cacheWrite1hTokens ?? null,
    reasoning_tokens: usage.reasoningTokens,
    web_searches: usage.webSearches ?? null,
    web_fetches: usage.webFetches ?? null,
    usage_estimated: record.usageEstimated === true,
    cost_input: decimal(cost?.input),
    cost_cache_read: decimal(cost?.cacheRead),
    cost_cache_write: decimal(cost?.cacheWrite),
    cost_output: decimal(cost?.output),
    cost_reasoning: decimal(cost?.reasoning),
    cost_tools: decimal(cost?.tools),
    cost_total: decimal(cost?.total),
    currency: cost?.currency ?? null,
    latency_ms: record.latencyMs,
    outcome: record.outcome,
    error_tag: optionalText(record.errorTag),
    stream: record.stream,
    metadata: metadataJson(record.metadata),
    instance_id: instanceId
  }
}

/** Where the table lives: both names are checked identifiers (lower case), so quoting never changes them. */
export interface TableName {
  readonly schema: string
  readonly table: string
}

export const qualified = ({ schema, table }: TableName): string => `${schema}.${table}`

const createTable = (sql: SqlClient, name: TableName) =>
  sql`CREATE TABLE ${sql(qualified(name))} (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  ${sql.literal(ledgerColumns.map((c) => `${c.name} ${c.type}${c.nullable ? "" : " NOT NULL"}`).join(",\n  "))},
  written_at timestamp with time zone NOT NULL DEFAULT now(),
  UNIQUE (request_id, attempt)
)`

/**
 * Creates the schema and the table when missing, under a transaction-scoped advisory lock so that many
 * processes starting at once never race (the loser waits, then finds the table). Existence is checked
 * before each CREATE because `CREATE ... IF NOT EXISTS` still needs the CREATE privilege: a role that may
 * only insert into a table made by an administrator starts fine.
 *
 * Not effect's `Migrator`: its version table (`effect_sql_migrations` by default) is the application's
 * own, and it would record this step as done even after the table is dropped; a check made at every start
 * is what this single table needs.
 */
export const migrate = (sql: SqlClient, name: TableName): Effect.Effect<void, SqlError> =>
  sql.withTransaction(
    Effect.gen(function* () {
      yield* sql`SELECT pg_advisory_xact_lock(hashtext('@llm-orchestrator/ledger'), hashtext(${qualified(name)}))`
      const schemas = yield* sql`SELECT 1 FROM pg_namespace WHERE nspname = ${name.schema}`
      if (schemas.length === 0) yield* sql`CREATE SCHEMA ${sql(name.schema)}`
      const tables = yield* sql`SELECT to_regclass(${quotedName(name)}) IS NOT NULL AS present`
      if (tables[0]?.present !== true) yield* createTable(sql, name)
    })
  )

export const quotedName = ({ schema, table }: TableName): string => `"${schema}"."${table}"`

/**
 * What is wrong with an existing table for `columns` (default: the ledger's): missing columns, other
 * types, columns that would refuse a row (NOT NULL without a default), no unique key on `key` (default
 * (request_id, attempt), the idempotency key). Empty when it fits.
 */
export const shapeProblems = (
  sql: SqlClient,
  name: TableName,
  columns: ReadonlyArray<LedgerColumn> = ledgerColumns,
  key: { readonly columns: ReadonlyArray<string>; readonly why: string } = {
    columns: ["request_id", "attempt"],
    why: "the idempotency key"
  }
): Effect.Effect<Array<string>, SqlError> =>
  Effect.gen(function* () {
    const relation = quotedName(name)
    const rows = yield* sql<{
      name: string
      type: string
      notNull: boolean
      hasDefault: boolean
    }>`SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull AS "notNull",
        (a.atthasdef OR a.attidentity <> '' OR a.attgenerated <> '') AS "hasDefault"
      FROM pg_attribute a WHERE a.attrelid = to_regclass(${relation}) AND a.attnum > 0 AND NOT a.attisdropped`
    if (rows.length === 0) return [`${qualified(name)} is missing`]
    const actual = new Map(rows.map((row) => [row.name, row]))
    const problems: Array<string> = []
    for (const expected of columns) {
      const found = actual.get(expected.name)
      if (found === undefined) problems.push(`missing column ${expected.name} (${expected.type})`)
      else if (found.type !== expected.type)
        problems.push(`column ${expected.name} is ${found.type}, expected ${expected.type}`)
      else if (expected.nullable && found.notNull)
        problems.push(`column ${expected.name} is NOT NULL, expected nullable (null = field absent)`)
    }
    const ours = new Set(columns.map((c) => c.name))
    for (const row of rows) {
      if (!ours.has(row.name) && row.notNull && !row.hasDefault)
        problems.push(`column ${row.name} is NOT NULL without a default (the ledger does not fill it)`)
    }
    const keys = yield* sql<{ columns: string }>`SELECT string_agg(a.attname, ',' ORDER BY a.attname) AS columns
      FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
      WHERE i.indrelid = to_regclass(${relation}) AND i.indisunique AND i.indpred IS NULL
      GROUP BY i.indexrelid`
    const wanted = [...key.columns].sort().join(",")
    if (!keys.some((found) => found.columns === wanted))
      problems.push(`no UNIQUE (${key.columns.join(", ")}) (${key.why})`)
    return problems
  })

/**
 * The privileges the writes need, checked at start rather than found missing at the first batch:
 * INSERT, and SELECT on the key columns (ON CONFLICT reads them to find a conflict).
 */
export const missingPrivileges = (sql: SqlClient, name: TableName): Effect.Effect<Array<string>, SqlError> =>
  Effect.gen(function* () {
    const relation = quotedName(name)
    const [row] = yield* sql<{ insert: boolean; selectKey: boolean }>`SELECT
        has_table_privilege(${relation}, 'INSERT') AS "insert",
        has_column_privilege(${relation}, 'request_id', 'SELECT')
          AND has_column_privilege(${relation}, 'attempt', 'SELECT') AS "selectKey"`
    return [
      ...(row?.insert === true ? [] : ["INSERT on the table"]),
      ...(row?.selectKey === true ? [] : ["SELECT on its columns request_id and attempt (read by ON CONFLICT)"])
    ]
  })
