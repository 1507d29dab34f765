/**
 * The JSONL cost log: one JSON object per record, one record per line.
 *
 * Writing: `enqueue` pushes the record onto an in-memory buffer and returns. A drain, run at most every
 * `batchDelayMs`, encodes the buffered records ONCE into a chunk and writes it with `writeSync` on the
 * file descriptor, counting the bytes the OS took: a short write or an error (disk full) leaves the
 * unwritten rest of the chunk in memory and the next attempt resumes at that byte, so a failure never
 * writes a line twice and the file stays a prefix of the record stream. Writes are synchronous (a batch
 * to the page cache takes microseconds) so nothing is ever in flight when the process exits; the fsync
 * (policy `batch`) runs off the main thread. Failed writes are retried with backoff, not on every record.
 *
 * Every tracker of the process that logs to the same resolved path shares one writer (reference
 * counted), so lines are never interleaved between layers. Across processes each chunk is one O_APPEND
 * write, which local filesystems apply atomically in practice (not guaranteed on NFS).
 *
 * Guarantees (README "Guarantees: the cost log"): a crash (SIGKILL, power loss with `fsync: batch`) loses
 * at most the records not yet flushed: those recorded in the last `batchDelayMs` plus, while writes
 * fail, the ones buffered. On `process.exit` or a normal end the buffered records are written
 * synchronously by an 'exit' hook (Node's default SIGTERM/SIGINT handling skips 'exit' listeners: such a
 * signal loses what a SIGKILL would, unless the application handles it and closes the orchestrator). A line torn by a crash is newline-terminated on the next open and
 * skipped (and counted) by the reader. A renamed or deleted log is noticed before the next batch and
 * reopened at the configured path.
 */
import * as fs from "node:fs"
import * as os from "node:os"
import * as nodePath from "node:path"
import { ConfigError, CostLogError, type CostLogHealth, CostRecord, CostSink } from "@llm-orchestrator/core"
import { Effect, Layer, Result, Schema } from "effect"

/**
 * One log line, newline included. Only the record's own fields are written (in a fixed order), so an
 * object carrying extra properties never leaks them into the log; `cost: null` keeps "unpriced" explicit.
 * JSON.stringify escapes newlines inside strings, so byte 0x0A only ever ends a line.
 */
export const encodeRecord = (record: CostRecord): string => {
  // Built field by field (no spreads): one object shape per combination of optional fields keeps
  // JSON.stringify on its fast path.
  const line: Record<string, unknown> = { timestamp: record.timestamp, requestId: record.requestId }
  // Stryker disable next-line ConditionalExpression: equivalent when forced true, JSON.stringify drops undefined
  if (record.providerRequestId !== undefined) line.providerRequestId = record.providerRequestId
  line.provider = record.provider
  line.model = record.model
  line.usage = record.usage
  if (record.usageEstimated) line.usageEstimated = true
  line.cost = record.cost ?? null
  line.latencyMs = record.latencyMs
  line.outcome = record.outcome
  // Stryker disable next-line ConditionalExpression: equivalent when forced true, JSON.stringify drops undefined
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

/** How long records wait to share a write. */
const batchDelayMs = 10
/** Records encoded into one chunk: bounds one synchronous write (and its encoding) to about a megabyte. */
const maxChunkRecords = 2_048
/** Backoff between attempts while writes fail. */
const firstRetryMs = 100
const maxRetryMs = 5_000

export const defaultMaxBufferedRecords = 100_000
export type FsyncPolicy = "batch" | "none"
export const defaultFsync: FsyncPolicy = "batch"

/** The file-system calls of a writer: node:fs, replaced in tests to inject short writes and failures. */
export interface LogIo {
  readonly openSync: (path: string, flags: string) => number
  readonly writeSync: (fd: number, buffer: Uint8Array, offset: number, length: number) => number
  readonly readSync: (fd: number, buffer: Uint8Array, offset: number, length: number, position: number) => number
  readonly fstatSync: (fd: number) => fs.Stats
  readonly statSync: (path: string) => fs.Stats
  readonly fsync: (fd: number, callback: (error: NodeJS.ErrnoException | null) => void) => void
  readonly fsyncSync: (fd: number) => void
  readonly closeSync: (fd: number) => void
}

export const nodeIo: LogIo = {
  openSync: (path, flags) => fs.openSync(path, flags),
  writeSync: (fd, buffer, offset, length) => fs.writeSync(fd, buffer, offset, length),
  readSync: (fd, buffer, offset, length, position) => fs.readSync(fd, buffer, offset, length, position),
  fstatSync: (fd) => fs.fstatSync(fd),
  statSync: (path) => fs.statSync(path),
  fsync: (fd, callback) => fs.fsync(fd, callback),
  fsyncSync: (fd) => fs.fsyncSync(fd),
  closeSync: (fd) => fs.closeSync(fd)
}

export interface LogWriterOptions {
  readonly maxBufferedRecords?: number | undefined
  readonly fsync?: FsyncPolicy | undefined
  readonly io?: LogIo
}

const newline = 0x0a

/** Newlines in `bytes[from, to)`: the records a short write completed. */
const countLines = (bytes: Uint8Array, from: number, to: number): number => {
  let count = 0
  for (let index = from; index < to; index++) if (bytes[index] === newline) count++
  return count
}

interface FlushWaiter {
  /** Resolved once this many records (counted since open) are durable, or with false when an attempt fails. */
  readonly target: number
  readonly resolve: (written: boolean) => void
}

/** One open log file shared by every tracker of this process that writes to it. */
export class LogWriter {
  readonly path: string
  private readonly io: LogIo
  private readonly maxBuffered: number
  private readonly fsyncEachBatch: boolean
  private fd: number
  /** The file the descriptor refers to, to notice a rename or delete of the path (log rotation). */
  private dev: number
  private ino: number
  /** The file ended in a torn line that could not be terminated at open: write a newline first. */
  private needsNewline: boolean
  /** Records accepted and not yet encoded, oldest first. */
  private records: Array<CostRecord> = []
  /** The encoded chunk being written, the bytes of it already written, and its records not yet complete. */
  private chunk: Buffer | undefined = undefined
  private chunkOffset = 0
  private chunkRecords = 0
  private timer: ReturnType<typeof setTimeout> | undefined = undefined
  private draining = false
  private retryMs = 0
  private waiters: Array<FlushWaiter> = []
  private closed = false
  /** Counters since open. `accepted` = written + buffered; durable <= written (trails it by the fsync). */
  private accepted = 0
  private written = 0
  private durable = 0
  private lost = 0
  /** Records encoded: each record exactly once, whatever the number of failed attempts. */
  encodedRecords = 0
  private lastError: unknown = undefined
  refCount = 0

  constructor(path: string, options: LogWriterOptions = {}) {
    this.path = path
    this.io = options.io ?? nodeIo
    this.maxBuffered = options.maxBufferedRecords ?? defaultMaxBufferedRecords
    this.fsyncEachBatch = (options.fsync ?? defaultFsync) === "batch"
    const opened = openLogFile(this.io, path)
    this.fd = opened.fd
    this.dev = opened.dev
    this.ino = opened.ino
    this.needsNewline = opened.needsNewline
  }

  /** Buffers a record; the write happens after `batchDelayMs`, batched with its neighbours. */
  enqueue(record: CostRecord): void {
    if (this.closed || this.records.length + this.chunkRecords >= this.maxBuffered) {
      // The disk has been unwritable for a while (or the log is closed): bounded memory, counted loss.
      this.lost++
      return
    }
    this.records.push(record)
    this.accepted++
    // No timer while a drain runs (it loops until the buffer is empty) or a retry is scheduled.
    if (this.timer === undefined && !this.draining) this.timer = setTimeout(this.drainNow, batchDelayMs)
  }

  private readonly drainNow = (): void => {
    this.timer = undefined
    void this.drain()
  }

  private async drain(): Promise<void> {
    this.draining = true
    let failed = false
    let nextBatchInMs = 0
    while (this.records.length > 0 || this.chunk !== undefined) {
      const startedAt = Date.now()
      if (!this.writeBuffered()) {
        failed = true
        break
      }
      const written = this.written
      if (this.fsyncEachBatch) {
        const error = await new Promise<NodeJS.ErrnoException | null>((resolve) => this.io.fsync(this.fd, resolve))
        // The bytes are with the OS either way; an fsync error (EIO) is reported, not retried.
        if (error !== null) this.lastError = error
      }
      this.durable = written
      this.wake(false)
      // Records that came during the write and its fsync wait out the rest of the batch delay, like the
      // first record of a batch: one write and one fsync per batchDelayMs at most. Going on at once
      // fsynced after nearly every record when an fsync takes under a millisecond (+135 us per sequential
      // request, bench/ablation.ts). A flush waiting for them, or the close, does not wait.
      nextBatchInMs = batchDelayMs - (Date.now() - startedAt)
      if (nextBatchInMs > 0 && this.waiters.length === 0 && !this.closed) break
    }
    this.draining = false
    if (failed) {
      this.wake(true)
      this.retryMs = Math.min(Math.max(firstRetryMs, this.retryMs * 2), maxRetryMs)
      // Stryker disable next-line ConditionalExpression,LogicalOperator: equivalent, close() clears the timer after its last attempt
      if (this.timer === undefined && !this.closed) {
        this.timer = setTimeout(this.drainNow, this.retryMs)
        // A retry never keeps the process alive: the exit hook makes the last attempt.
        // Stryker disable next-line CallExpression: equivalent in-process; unref only lets a process exit while a retry waits (log-crash.test.ts runs real processes)
        this.timer.unref()
      }
    } else {
      this.retryMs = 0
      // Stryker disable next-line CallExpression,BooleanLiteral: equivalent, the loop's last wake resolved every waiter (after a full drain each target is durable)
      this.wake(false)
      if (this.buffered > 0) this.timer = setTimeout(this.drainNow, nextBatchInMs)
    }
  }

  private wake(failed: boolean): void {
    // Stryker disable next-line ConditionalExpression: equivalent, only skips a loop over no waiters
    if (this.waiters.length === 0) return
    const waiting: Array<FlushWaiter> = []
    for (const waiter of this.waiters) {
      if (waiter.target <= this.durable) waiter.resolve(true)
      else if (failed) waiter.resolve(false)
      else waiting.push(waiter)
    }
    this.waiters = waiting
  }

  /**
   * Writes the buffered records, synchronously, until done or the OS refuses: returns false on a failure,
   * with everything not written kept (the chunk's unwritten bytes, the records not yet encoded).
   */
  private writeBuffered(): boolean {
    try {
      this.reopenIfRotated()
      if (this.needsNewline && this.io.writeSync(this.fd, Buffer.from("\n"), 0, 1) === 1) this.needsNewline = false
      for (;;) {
        if (this.chunk === undefined) {
          if (this.records.length === 0) break
          this.encodeChunk()
        }
        const chunk = this.chunk!
        while (this.chunkOffset < chunk.length) {
          const bytes = this.io.writeSync(this.fd, chunk, this.chunkOffset, chunk.length - this.chunkOffset)
          // No progress and no error: treat it as a failure and back off rather than spin.
          if (bytes <= 0) throw new Error("the file system accepted no bytes")
          const end = this.chunkOffset + bytes
          // Stryker disable next-line ConditionalExpression: equivalent, counting the rest's newlines gives chunkRecords
          const completed = end === chunk.length ? this.chunkRecords : countLines(chunk, this.chunkOffset, end)
          this.chunkOffset = end
          this.chunkRecords -= completed
          this.written += completed
        }
        this.chunk = undefined
      }
      this.lastError = undefined
      return true
    } catch (error) {
      this.lastError = error
      return false
    }
  }

  private encodeChunk(): void {
    const count = Math.min(this.records.length, maxChunkRecords)
    let text = ""
    for (let index = 0; index < count; index++) text += encodeRecord(this.records[index]!)
    this.records.splice(0, count)
    this.chunk = Buffer.from(text)
    this.chunkOffset = 0
    this.chunkRecords = count
    this.encodedRecords += count
  }

  /**
   * logrotate and friends rename or delete the file: when the path no longer names the open file, open
   * it again (created), so records land at the configured path. One stat per batch.
   */
  private reopenIfRotated(): void {
    let stat: fs.Stats | undefined
    try {
      stat = this.io.statSync(this.path)
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error
    }
    if (stat !== undefined && stat.ino === this.ino && stat.dev === this.dev) return
    const opened = openLogFile(this.io, this.path)
    this.io.closeSync(this.fd)
    this.fd = opened.fd
    this.dev = opened.dev
    this.ino = opened.ino
    this.needsNewline = opened.needsNewline
    if (this.chunk !== undefined && this.chunkOffset > 0) {
      // A record cut by a short write in the old file: write it whole in the new one. The old file keeps an
      // unparseable fragment, never a second whole copy (unless only its newline was missing: then it is
      // whole there and the new file starts after it).
      const lineStart = this.chunk.lastIndexOf(newline, this.chunkOffset - 1) + 1
      if (this.chunk[this.chunkOffset] === newline) {
        this.chunkOffset += 1
        this.chunkRecords -= 1
        this.written += 1
      } else {
        this.chunkOffset = lineStart
      }
    }
  }

  /**
   * Resolves with true once every record accepted before the call is written (and fsynced with
   * `fsync: batch`), false when an attempt failed first. Starts an attempt now, even during a backoff.
   */
  flush(): Promise<boolean> {
    // Closed: what was not written is counted as lost (and reported by the tracker's flush), never awaited.
    if (this.closed) return Promise.resolve(this.buffered === 0)
    const target = this.accepted
    // Stryker disable next-line ConditionalExpression,EqualityOperator,BooleanLiteral: equivalent, a fast path: the drain below resolves it true too
    if (target <= this.durable) return Promise.resolve(true)
    const done = new Promise<boolean>((resolve) => this.waiters.push({ target, resolve }))
    if (!this.draining) {
      clearTimeout(this.timer)
      this.timer = undefined
      void this.drain()
    }
    return done
  }

  get buffered(): number {
    return this.records.length + this.chunkRecords
  }

  get lostRecords(): number {
    return this.lost
  }

  get lastErrorCode(): string | undefined {
    return this.lastError === undefined ? undefined : describe(this.lastError)
  }

  health(): CostLogHealth {
    return {
      path: this.path,
      writtenRecords: this.written,
      bufferedRecords: this.buffered,
      lostRecords: this.lost,
      lastError: this.lastErrorCode
    }
  }

  /**
   * The 'exit' hook: `process.exit` (or the end of the program) while records are buffered. Nothing
   * asynchronous runs any more, so this is the last chance: write synchronously, fsync, count the rest.
   */
  writeAtExit(): void {
    if (this.closed) return
    this.closed = true
    // Stryker disable next-line CallExpression: equivalent, no timer fires after 'exit' (and loseBuffered below leaves a drain nothing to write)
    clearTimeout(this.timer)
    if (this.writeBuffered() && this.fsyncEachBatch) {
      try {
        this.io.fsyncSync(this.fd)
      } catch {
        // The bytes are with the OS; nothing more can be done at exit.
      }
    }
    this.loseBuffered()
  }

  private loseBuffered(): void {
    this.lost += this.buffered
    this.records = []
    this.chunk = undefined
    this.chunkRecords = 0
  }

  /** Stops taking records, writes what is buffered (one last attempt), then closes the file. */
  async close(): Promise<void> {
    const flushed = this.flush()
    this.closed = true
    await flushed
    // Stryker disable next-line CallExpression: equivalent, a redundant net: flush() cleared the timer and a closed writer's drain schedules no retry
    clearTimeout(this.timer)
    this.timer = undefined
    this.loseBuffered()
    this.io.closeSync(this.fd)
  }
}

/**
 * Opens the log for appending. A file whose last byte is not a newline was cut by a crash mid-line: the
 * torn line is terminated (not truncated: another process may be appending) so the next record starts on
 * a line of its own, and the reader skips the fragment. When even that newline cannot be written (disk
 * full), the first write of the writer starts with it.
 */
const openLogFile = (
  io: LogIo,
  path: string
): { readonly fd: number; readonly dev: number; readonly ino: number; readonly needsNewline: boolean } => {
  const fd = io.openSync(path, "a+")
  try {
    const stat = io.fstatSync(fd)
    let needsNewline = false
    // Regular files only: a named pipe (a log shipper's) has no last byte, and reading it would block (log-fifo.test.ts).
    // Stryker disable next-line EqualityOperator,LogicalOperator,ConditionalExpression: equivalent for `size > 0`, an empty file reads back nothing, so no newline is added
    if (stat.isFile() && stat.size > 0) {
      const last = Buffer.alloc(1)
      if (io.readSync(fd, last, 0, 1, stat.size - 1) === 1 && last[0] !== newline) {
        try {
          needsNewline = io.writeSync(fd, Buffer.from("\n"), 0, 1) !== 1
        } catch {
          needsNewline = true
        }
      }
    }
    return { fd, dev: stat.dev, ino: stat.ino, needsNewline }
  } catch (error) {
    io.closeSync(fd)
    throw error
  }
}

export const lostMessage = (writer: LogWriter, lost: number): string =>
  `cost log ${writer.path}: ${lost} record(s) lost${writer.lastErrorCode === undefined ? "" : ` (last write error: ${writer.lastErrorCode})`}; free space on its disk or fix the path (cost_tracking.max_buffered_records bounds what is kept in memory meanwhile)`

// On globalThis so two copies of this module in one process still share writers (and one exit hook).
const registryKey = Symbol.for("@llm-orchestrator/cost/log-writers")
const globalSlots = globalThis as Record<symbol, Map<string, LogWriter> | undefined>
/**
 * The 'exit' hook: each writer's last synchronous attempt, then one line on stderr per writer that lost
 * records (the logger may no longer run).
 */
export const writeAllAtExit = (
  writers: ReadonlyMap<string, LogWriter>,
  stderr: { readonly write: (text: string) => unknown } = process.stderr
): void => {
  for (const writer of writers.values()) writer.writeAtExit()
  for (const writer of writers.values()) {
    if (writer.lostRecords > 0) stderr.write(`${lostMessage(writer, writer.lostRecords)}\n`)
  }
}

const registry: Map<string, LogWriter> =
  globalSlots[registryKey] ??
  (() => {
    const writers = new Map<string, LogWriter>()
    // Stryker disable next-line ArrowFunction: runs only at process exit; log-crash.test.ts checks it in a child process
    process.on("exit", () => writeAllAtExit(writers))
    return writers
  })()
globalSlots[registryKey] = registry

/**
 * Opens (or joins) the writer of a log path, creating its directory. Synchronous on purpose: it runs once
 * at layer build, and doing it in one step means two layers built at once can never open the file twice.
 * A path that cannot be opened for appending fails here, as a ConfigError, not as lost records later.
 */
const openWriter = (logPath: string, options: LogWriterOptions): Effect.Effect<LogWriter, ConfigError> =>
  Effect.try({
    try: () => {
      const resolved = resolveLogPath(logPath)
      const directory = nodePath.dirname(resolved)
      fs.mkdirSync(directory, { recursive: true })
      // The real path, so `./costs.jsonl` and `/abs/costs.jsonl` (or a symlinked dir) share one writer.
      const key = nodePath.join(fs.realpathSync(directory), nodePath.basename(resolved))
      let writer = registry.get(key)
      if (writer === undefined) {
        writer = new LogWriter(key, options)
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
    if (writer.lostRecords > 0) yield* Effect.logError(lostMessage(writer, writer.lostRecords))
  })

/**
 * The shared writer of `logPath` for the current scope: flushed, and closed by its last user, on scope
 * close. The first user's options (buffer bound, fsync policy) apply to the shared writer.
 */
export const acquireLogWriter = (logPath: string, options: LogWriterOptions = {}) =>
  Effect.acquireRelease(openWriter(logPath, options), releaseWriter)

/**
 * The sink's flush: fails when the records offered before it are not all written, or when records
 * were lost since this sink's previous flush (each loss is reported once per sink).
 */
const makeFlush = (writer: LogWriter): Effect.Effect<void, CostLogError> => {
  let reportedLost = writer.lostRecords
  return Effect.flatMap(
    Effect.promise(() => writer.flush()),
    (written) => {
      const lost = writer.lostRecords - reportedLost
      reportedLost = writer.lostRecords
      if (written && lost === 0) return Effect.void
      const buffered = written ? 0 : writer.buffered
      const error = writer.lastErrorCode === undefined ? "" : ` (${writer.lastErrorCode})`
      const parts = [
        ...(buffered > 0 ? [`${buffered} record(s) not written yet${error}, kept in memory and retried`] : []),
        ...(lost > 0 ? [`${lost} record(s) lost`] : [])
      ]
      return Effect.fail(
        new CostLogError({
          path: writer.path,
          bufferedRecords: buffered,
          lostRecords: lost,
          message: `cost log ${writer.path}: ${parts.join("; ")}; free space on its disk or fix the path (cost_tracking.max_buffered_records bounds what is kept in memory meanwhile)`
        })
      )
    }
  )
}

/** The JSONL cost log as a sink: the shared writer of `logPath`, flushed and released with the layer. */
export const CostLogSink = {
  layer: (logPath: string, options: LogWriterOptions = {}): Layer.Layer<CostSink, ConfigError> =>
    Layer.effect(
      CostSink,
      Effect.map(acquireLogWriter(logPath, options), (writer) =>
        CostSink.of({
          name: writer.path,
          offer: (record) => writer.enqueue(record),
          flush: makeFlush(writer),
          health: Effect.sync(() => writer.health())
        })
      )
    )
}

/** A line of a log that is not a cost record, skipped by the reader. */
export interface BadLine {
  /** 1-based. */
  readonly line: number
  readonly message: string
}

export interface CostLogFold<S> {
  readonly state: S
  readonly records: number
  /** Lines skipped: torn by a crash, or not cost records. */
  readonly badLines: number
  /** The first few of them (line number and why), for a diagnostic. */
  readonly firstBadLines: ReadonlyArray<BadLine>
}

export interface FoldOptions {
  /** Bytes read at a time (default 64 KiB). */
  readonly chunkBytes?: number
  /** A longer line is skipped as bad without being held whole in memory (default 16 MiB). */
  readonly maxLineBytes?: number
}

const keptBadLines = 5

/**
 * Streams a JSONL cost log through `step`, chunk by chunk: memory is bounded by the longest line and
 * by what `step` keeps, not by the file. Blank lines are ignored; a line that is not a cost record (a
 * line torn by a crash, garbage) is skipped and counted. Fails only when the file cannot be read.
 */
export const foldCostLog = <S>(
  path: string,
  initial: S,
  step: (state: S, record: CostRecord) => S,
  options: FoldOptions = {}
): Effect.Effect<CostLogFold<S>, ConfigError> =>
  Effect.tryPromise({
    try: () => foldFile(path, initial, step, options),
    catch: (error) => ConfigError.fromProblems([{ path, message: `cannot read the cost log (${describe(error)})` }])
  })

const decodeRecord = Schema.decodeUnknownResult(CostRecord)

const foldFile = async <S>(
  path: string,
  initial: S,
  step: (state: S, record: CostRecord) => S,
  options: FoldOptions
): Promise<CostLogFold<S>> => {
  const chunkBytes = options.chunkBytes ?? 64 * 1024
  const maxLineBytes = options.maxLineBytes ?? 16 * 1024 * 1024
  let state = initial
  let records = 0
  let badLines = 0
  const firstBadLines: Array<BadLine> = []
  let lineNumber = 0
  const bad = (message: string) => {
    badLines++
    if (firstBadLines.length < keptBadLines) firstBadLines.push({ line: lineNumber, message })
  }
  const handleLine = (bytes: Buffer) => {
    lineNumber++
    const text = bytes.toString("utf8").trim()
    if (text === "") return
    let parsed: unknown
    try {
      parsed = JSON.parse(text)
    } catch (error) {
      return bad(`not a JSON object (${describe(error)})`)
    }
    if (typeof parsed === "object" && parsed !== null && (parsed as { cost?: unknown }).cost === null) {
      parsed = { ...parsed, cost: undefined }
    }
    const result = decodeRecord(parsed)
    if (Result.isFailure(result)) return bad(`not a cost record: ${result.failure.message}`)
    records++
    state = step(state, result.success)
  }

  const file = await fs.promises.open(path, "r")
  try {
    const buffer = Buffer.alloc(chunkBytes)
    // The start of the current line, carried over from earlier chunks (bounded by maxLineBytes).
    let carry: Array<Buffer> = []
    let carryBytes = 0
    let overlong = false
    for (;;) {
      const { bytesRead } = await file.read(buffer, 0, chunkBytes, null)
      if (bytesRead === 0) break
      let start = 0
      for (let end = buffer.indexOf(newline, 0); end !== -1 && end < bytesRead; end = buffer.indexOf(newline, start)) {
        if (overlong) {
          lineNumber++
          bad(`longer than ${maxLineBytes} bytes`)
          overlong = false
        } else if (carryBytes === 0) {
          handleLine(buffer.subarray(start, end))
        } else {
          carry.push(buffer.subarray(start, end))
          handleLine(Buffer.concat(carry))
        }
        carry = []
        carryBytes = 0
        start = end + 1
      }
      if (start < bytesRead && !overlong) {
        carryBytes += bytesRead - start
        if (carryBytes > maxLineBytes) {
          overlong = true
          // Stryker disable next-line ArrayDeclaration: equivalent, an overlong line's carry is reset at its newline unread
          carry = []
          carryBytes = 0
        } else {
          // Copied: `buffer` is reused for the next chunk.
          carry.push(Buffer.from(buffer.subarray(start, bytesRead)))
        }
      }
    }
    // A last line without its newline: whole if it parses (its writer was cut just before the newline).
    if (overlong) {
      lineNumber++
      bad(`longer than ${maxLineBytes} bytes`)
    } else if (carryBytes > 0) handleLine(Buffer.concat(carry))
  } finally {
    await file.close()
  }
  return { state, records, badLines, firstBadLines }
}

/**
 * Reads a whole JSONL cost log into memory (for tests and small logs; `foldCostLog` streams). Bad lines
 * are skipped and counted, as `foldCostLog` does.
 */
export const readCostLog = (path: string): Effect.Effect<CostLogFold<ReadonlyArray<CostRecord>>, ConfigError> =>
  foldCostLog<Array<CostRecord>>(path, [], (records, record) => {
    records.push(record)
    return records
  })
