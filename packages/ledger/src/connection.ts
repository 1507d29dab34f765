/**
 * What the sink, the shared budgets and the reports share: reading the URL and the table's name, opening
 * the connection pool, and saying what went wrong without the password.
 */
import { PgClient } from "@effect/sql-pg"
import { ConfigError } from "@llm-orchestrator/core"
import { Context, Effect, Layer, Redacted, type Scope } from "effect"
import { SqlClient } from "effect/sql/SqlClient"
import type { SqlError } from "effect/sql/SqlError"
import { qualified, type TableName } from "./schema.ts"

export interface Target {
  readonly host: string
  readonly port: string
  readonly database: string
  readonly user: string
  readonly password: string
}

/** Where the ledger is: the URL, what it names, and the table. */
export interface Connection {
  readonly url: string
  readonly target: Target
  readonly name: TableName
}

export const defaultTable = "llm_cost_records"
export const defaultSchema = "public"

/** Lower case only: a quoted identifier then names the same table as an unquoted one in psql. */
const identifier = /^[a-z_][a-z0-9_]{0,62}$/

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

/** A failed statement, an elapsed `timeout` or anything thrown, as one line (not yet scrubbed). */
export const describe = (error: unknown, timeout: string): string => {
  if (typeof error === "object" && error !== null && "reason" in error) return describeSql(error as SqlError)
  if (
    typeof error === "object" &&
    error !== null &&
    "_tag" in error &&
    (error as { _tag: unknown })._tag === "TimeoutError"
  )
    return `no answer within ${timeout}`
  return error instanceof Error ? error.message : String(error)
}

export const problem = (path: string, message: string) =>
  ConfigError.fromProblems([{ path: `ledger.${path}`, message }])

/** Checks the URL, schema and table; the URL itself is never quoted, it holds the password. */
export const connectionOf = (options: {
  readonly url: string | Redacted.Redacted<string>
  readonly table?: string | undefined
  readonly schema?: string | undefined
}): Effect.Effect<Connection, ConfigError> =>
  Effect.gen(function* () {
    const url = Redacted.isRedacted(options.url) ? Redacted.value(options.url) : options.url
    const target = typeof url === "string" ? parseTarget(url) : undefined
    if (target === undefined)
      return yield* problem("url", "expected a PostgreSQL URL: postgresql://user:password@host:port/database")
    const schema = options.schema ?? defaultSchema
    const table = options.table ?? defaultTable
    if (!identifier.test(schema))
      return yield* problem("schema", `${JSON.stringify(schema)} is not a lower-case SQL identifier ([a-z_][a-z0-9_]*)`)
    if (!identifier.test(table))
      return yield* problem("table", `${JSON.stringify(table)} is not a lower-case SQL identifier ([a-z_][a-z0-9_]*)`)
    return { url, target, name: { schema, table } }
  })

/** A failure while connecting or preparing a table, as a ConfigError that says which. */
export const startError = (
  connection: Connection,
  error: SqlError,
  what = `the table ${qualified(connection.name)}`
): ConfigError => {
  const { target } = connection
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
        `PostgreSQL at ${where}, database ${JSON.stringify(target.database)}: cannot prepare ${what} (${detail})`
      )
  }
}

/** The table's name in messages and `health.path`: where it is, never who logs in. */
export const displayName = (connection: Connection, name: TableName = connection.name): string =>
  `${qualified(name)} (postgresql://${connection.target.host}:${connection.target.port}/${connection.target.database})`

/** A connection pool in the current scope; an unreachable server or a refused login is a ConfigError. */
export const connect = (
  connection: Connection,
  maxConnections: number
): Effect.Effect<SqlClient, ConfigError, Scope.Scope> =>
  Layer.build(
    PgClient.layer({
      url: Redacted.make(connection.url),
      maxConnections,
      applicationName: "llm-orchestrator ledger"
    })
  ).pipe(
    Effect.map((context) => Context.get(context, SqlClient)),
    Effect.mapError((error) => startError(connection, error))
  )
