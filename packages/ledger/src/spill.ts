/**
 * The spill file: records the database could not take, as lines of the JSONL cost log (`encodeRecord`),
 * replayed into the table once it is back.
 *
 * Appends are synchronous (open, write whole lines, close), so nothing is in flight at exit and a line
 * is never interleaved with another process's; an append that a replay's claim overtook is written
 * again. A replay first claims the file by renaming it to a name
 * of its own (atomic: one claimant wins), reads it, inserts it and deletes it; a claim left by a crash is
 * claimed again by the next replay. Inserts are idempotent, so replaying a file twice counts nothing twice.
 */
import * as fs from "node:fs"
import * as nodePath from "node:path"
import { type CostRecord, encodeRecord } from "@llm-orchestrator/cost"

const newline = 0x0a
const claimInfix = ".replay-"

export interface SpillResult {
  /** Records whose whole line reached the file. */
  readonly spilled: number
  /** Why the rest did not (ENOSPC, ...); undefined when every line was written. */
  readonly error: string | undefined
}

const describe = (error: unknown): string =>
  error instanceof Error ? ((error as NodeJS.ErrnoException).code ?? error.message) : String(error)

let claims = 0

export class SpillFile {
  readonly path: string

  constructor(path: string) {
    this.path = path
  }

  /** Creates the folder now, so an unusable spill path is a start-up error rather than lost records later. */
  prepare(): void {
    const directory = nodePath.dirname(this.path)
    fs.mkdirSync(directory, { recursive: true })
    // Renames and new files need the folder writable; an existing spill must be appendable.
    fs.accessSync(directory, fs.constants.W_OK)
    if (fs.existsSync(this.path)) fs.accessSync(this.path, fs.constants.W_OK)
  }

  /**
   * Appends whole lines; counts the records whose line was written completely.
   *
   * Another process's replay may claim (rename) the file between this open and the write: the lines
   * would then land in a file that replay has already read, and be deleted with it. So after writing,
   * the file under `path` must still be the one written to; if not, the records are written again to
   * the new file (a record replayed twice is inserted once).
   */
  append(records: ReadonlyArray<CostRecord>): SpillResult {
    for (;;) {
      const { result, claimedMeanwhile } = this.appendOnce(records)
      if (!claimedMeanwhile || result.error !== undefined) return result
    }
  }

  private appendOnce(records: ReadonlyArray<CostRecord>): {
    readonly result: SpillResult
    readonly claimedMeanwhile: boolean
  } {
    if (records.length === 0) return { result: { spilled: 0, error: undefined }, claimedMeanwhile: false }
    let fd: number
    try {
      fd = fs.openSync(this.path, "a+")
    } catch (error) {
      return { result: { spilled: 0, error: describe(error) }, claimedMeanwhile: false }
    }
    let spilled = 0
    let error: string | undefined
    let claimedMeanwhile = false
    try {
      // A line torn by a crash is ended first, so the next record starts on a line of its own.
      const size = fs.fstatSync(fd).size
      let prefix = ""
      if (size > 0) {
        const last = Buffer.alloc(1)
        fs.readSync(fd, last, 0, 1, size - 1)
        if (last[0] !== newline) prefix = "\n"
      }
      const bytes = Buffer.from(prefix + records.map(encodeRecord).join(""))
      let offset = 0
      try {
        while (offset < bytes.length) offset += fs.writeSync(fd, bytes, offset, bytes.length - offset)
      } catch (cause) {
        error = describe(cause)
      }
      for (let index = prefix.length; index < offset; index++) if (bytes[index] === newline) spilled++
      claimedMeanwhile = !this.isFileUnderPath(fd)
    } finally {
      fs.closeSync(fd)
    }
    return { result: { spilled, error }, claimedMeanwhile }
  }

  /** Whether `path` still names the file `fd` was opened on (a replay's rename moves it away). */
  private isFileUnderPath(fd: number): boolean {
    try {
      const open = fs.fstatSync(fd)
      const named = fs.statSync(this.path)
      return open.ino === named.ino && open.dev === named.dev
    } catch {
      return false
    }
  }

  /** Whether there is anything to replay: the file, or a claim a crashed replay left behind. */
  pending(): boolean {
    return fs.existsSync(this.path) || this.staleClaims().length > 0
  }

  private staleClaims(): Array<string> {
    const directory = nodePath.dirname(this.path)
    const prefix = `${nodePath.basename(this.path)}${claimInfix}`
    try {
      return fs
        .readdirSync(directory)
        .filter((file) => file.startsWith(prefix))
        .map((file) => nodePath.join(directory, file))
    } catch {
      return []
    }
  }

  /** Deletes a claimed file once its records are in the table. */
  remove(file: string): void {
    fs.rmSync(file, { force: true })
  }

  /**
   * Takes every file to replay (the spill and earlier claims) by renaming each to a new name of this
   * process; a file another replay took first is skipped.
   */
  claim(): Array<string> {
    const taken: Array<string> = []
    for (const source of [this.path, ...this.staleClaims()]) {
      const target = `${this.path}${claimInfix}${process.pid}-${Date.now()}-${++claims}`
      try {
        fs.renameSync(source, target)
        taken.push(target)
      } catch {
        // Gone: replayed (or claimed) by another sink meanwhile.
      }
    }
    return taken
  }
}
