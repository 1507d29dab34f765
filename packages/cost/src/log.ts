/**
 * The JSONL cost log: one JSON object per record, one record per line.
 *
 * Writing: `enqueue` pushes the record onto an in-memory buffer and returns; a single drain loop per
 * file, run at most every `batchDelayMs`, encodes what is buffered and appends it with ONE append per
 * batch, and never has two appends in flight. Encoding happens there, off the request path. Every
 * layer of the process that logs to the same resolved path shares that one writer (reference counted), so
 * lines are never torn or interleaved between layers. Across processes, each batch is one O_APPEND write,
 * which local filesystems apply atomically in practice (not guaranteed on NFS).
 */
import * as fs from "node:fs"
import * as os from "node:os"
import * as nodePath from "node:path"
import { ConfigError, Cost, type CostRecord, ProviderId, Usage } from "@llm-orchestrator/core"
import { Effect, Result, Schema } from "effect"

/** The schema of one log line (`cost: null` in the file stands for an unpriced call). */
export const CostRecordSchema = Schema.Struct({
  timestamp: Schema.String,
  requestId: Schema.String,
  providerRequestId: Schema.optionalKey(Schema.String),
  provider: ProviderId,
  model: Schema.String,
  usage: Usage,
  usageEstimated: Schema.optionalKey(Schema.Boolean),
  cost: Schema.UndefinedOr(Cost),
  latencyMs: Schema.Number,
  outcome: Schema.Literals(["success", "error", "interrupted"]),
  errorTag: Schema.optionalKey(Schema.String),
  attempt: Schema.Number,
  stream: Schema.Boolean,
  metadata: Schema.Record(Schema.String, Schema.String)
})

/**
 * One log line, newline included. Only the record's own fields are written (in a fixed order), so an
 * object carrying extra properties never leaks them into the log; `cost: null` keeps "unpriced" explicit.
 */
export const encodeRecord = (record: CostRecord): string => {
  // Built field by field (no spreads): one object shape per combination of optional fields keeps
  // JSON.stringify on its fast path.
  const line: Record<string, unknown> = { timestamp: record.timestamp, requestId: record.requestId }
  if (record.providerRequestId !== undefined) line.providerRequestId = record.providerRequestId
  line.provider = record.provider
  line.model = record.model
  line.usage = record.usage
  if (record.usageEstimated) line.usageEstimated = true
  line.cost = record.cost ?? null
  line.latencyMs = record.latencyMs
  line.outcome = record.outcome
  if (record.errorTag !== undefined) line.errorTag = record.errorTag
  line.attempt = record.attempt
  line.stream = record.stream
  line.metadata = record.metadata
  return `${JSON.stringify(line)}\n`
}

const configKey = "cost_tracking.log_path"

const describe = (error: unknown): string =>
  error instanceof Error ? ((error as NodeJS.ErrnoException).code ?? error.message) : String(error)

/** `~/x` -> home; relative paths against the working directory. */
export const resolveLogPath = (logPath: string): string =>
  nodePath.resolve(
    logPath === "~" || logPath.startsWith("~/") ? nodePath.join(os.homedir(), logPath.slice(1)) : logPath
  )

/** One open log file shared by every tracker of this process that writes to it. */
/** How long records wait to share a write. */
const batchDelayMs = 10

export class LogWriter {
  readonly path: string
  private readonly fd: number
  private buffer: Array<CostRecord> = []
  private draining = false
  private waiters: Array<() => void> = []
  private lastError: unknown = undefined
  private closed = false
  refCount = 0

  constructor(path: string, fd: number) {
    this.path = path
    this.fd = fd
  }

  /** Buffers a finished line; the write happens after the current macrotask, batched with its neighbours. */
  enqueue(record: CostRecord): void {
    if (this.closed) return
    this.buffer.push(record)
    if (!this.draining) {
      this.draining = true
      // A short delay gathers the records of many requests into one write (one per request under
      // sequential load cost more than the request path's own work).
      setTimeout(() => void this.drain(), batchDelayMs)
    }
  }

  private async drain(): Promise<void> {
    while (this.buffer.length > 0) {
      const batch = this.buffer
      this.buffer = []
      try {
        await appendAll(this.fd, batch.map(encodeRecord).join(""))
        this.lastError = undefined
      } catch (error) {
        // Keep the lines for the next flush instead of dropping them (disk full, removed mount, ...).
        this.buffer = batch.concat(this.buffer)
        this.lastError = error
        break
      }
    }
    this.draining = false
    const waiters = this.waiters
    this.waiters = []
    for (const wake of waiters) wake()
  }

  /** Resolves once every line enqueued before the call has been handed to the OS (or failed to be). */
  flush(): Promise<void> {
    if (!this.draining && this.buffer.length === 0) return Promise.resolve()
    const done = new Promise<void>((resolve) => this.waiters.push(resolve))
    if (!this.draining) {
      this.draining = true
      void this.drain()
    }
    return done
  }

  /** Lines that could not be written at the last attempt, with the reason. */
  unwritten(): { readonly lines: number; readonly error: unknown } | undefined {
    return this.buffer.length > 0 ? { lines: this.buffer.length, error: this.lastError } : undefined
  }

  /** Stops taking lines, writes what is buffered, then closes the file (never under an in-flight append). */
  async close(): Promise<void> {
    this.closed = true
    await this.flush()
    fs.closeSync(this.fd)
  }
}

const appendAll = (fd: number, data: string): Promise<void> =>
  new Promise((resolve, reject) => fs.appendFile(fd, data, (error) => (error ? reject(error) : resolve())))

// On globalThis so two copies of this module in one process still share writers.
const registryKey = Symbol.for("@llm-orchestrator/cost/log-writers")
const globalSlots = globalThis as Record<symbol, Map<string, LogWriter> | undefined>
const registry: Map<string, LogWriter> = globalSlots[registryKey] ?? new Map()
globalSlots[registryKey] = registry

/**
 * Opens (or joins) the writer of a log path, creating its directory. Synchronous on purpose: it runs once
 * at layer build, and doing it in one step means two layers built at once can never open the file twice.
 * A path that cannot be opened for appending fails here, as a ConfigError, not as lost records later.
 */
const openWriter = (logPath: string): Effect.Effect<LogWriter, ConfigError> =>
  Effect.try({
    try: () => {
      const resolved = resolveLogPath(logPath)
      const directory = nodePath.dirname(resolved)
      fs.mkdirSync(directory, { recursive: true })
      // The real path, so `./costs.jsonl` and `/abs/costs.jsonl` (or a symlinked dir) share one writer.
      const key = nodePath.join(fs.realpathSync(directory), nodePath.basename(resolved))
      let writer = registry.get(key)
      if (writer === undefined) {
        writer = new LogWriter(key, fs.openSync(key, "a"))
        registry.set(key, writer)
      }
      writer.refCount += 1
      return writer
    },
    catch: (error) =>
      ConfigError.fromProblems([
        {
          path: configKey,
          message: `cannot open the cost log ${JSON.stringify(logPath)} for appending (${describe(error)}); choose a writable path or set cost_tracking.enabled: false`
        }
      ])
  })

const releaseWriter = (writer: LogWriter): Effect.Effect<void> =>
  Effect.gen(function* () {
    writer.refCount -= 1
    if (writer.refCount > 0) {
      // Others still log here: make this tracker's lines durable, the last user closes the file.
      yield* Effect.promise(() => writer.flush())
      return
    }
    registry.delete(writer.path)
    yield* Effect.promise(() => writer.close())
    const unwritten = writer.unwritten()
    if (unwritten !== undefined) {
      yield* Effect.logError(
        `cost log ${writer.path}: ${unwritten.lines} record(s) could not be written (${describe(unwritten.error)})`
      )
    }
  })

/** The shared writer of `logPath` for the current scope: flushed, and closed by its last user, on scope close. */
export const acquireLogWriter = (logPath: string) => Effect.acquireRelease(openWriter(logPath), releaseWriter)

/**
 * Reads a JSONL cost log. Blank lines are skipped; any other bad line fails with a ConfigError naming
 * `file:line` and what is wrong with it.
 */
export const readCostLog = (path: string): Effect.Effect<ReadonlyArray<CostRecord>, ConfigError> =>
  Effect.gen(function* () {
    const text = yield* Effect.tryPromise({
      try: () => fs.promises.readFile(path, "utf8"),
      catch: (error) => ConfigError.fromProblems([{ path, message: `cannot read the cost log (${describe(error)})` }])
    })
    const decode = Schema.decodeUnknownResult(CostRecordSchema)
    const records: Array<CostRecord> = []
    const lines = text.split("\n")
    for (let index = 0; index < lines.length; index++) {
      const line = lines[index]!.trim()
      if (line === "") continue
      const where = `${path}:${index + 1}`
      let parsed: unknown
      try {
        parsed = JSON.parse(line)
      } catch (error) {
        return yield* Effect.fail(
          ConfigError.fromProblems([{ path: where, message: `not a JSON object (${describe(error)})` }])
        )
      }
      if (typeof parsed === "object" && parsed !== null && (parsed as { cost?: unknown }).cost === null) {
        parsed = { ...parsed, cost: undefined }
      }
      const result = decode(parsed)
      if (Result.isFailure(result)) {
        return yield* Effect.fail(
          ConfigError.fromProblems([{ path: where, message: `not a cost record: ${result.failure.message}` }])
        )
      }
      records.push(result.success)
    }
    return records
  })
