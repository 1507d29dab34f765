/**
 * The log writer's rules one by one, on an injected file system (`LogIo`) and vitest's fake timers:
 * the fsync policy, the retry backoff, what a short write counts as written, multi-chunk flushes, the
 * exit hook's last synchronous attempt, path and line encoding. Written to kill the mutants Stryker
 * found alive in log.ts (README "Mutation testing"); log-durability.test.ts has the whole-system faults.
 */
import * as fs from "node:fs"
import * as os from "node:os"
import * as nodePath from "node:path"
import { CostRecord } from "@llm-orchestrator/core"
import { encodeRecord, foldCostLog, resolveLogPath } from "@llm-orchestrator/cost"
import { Effect, Schema } from "effect"
import { afterAll, afterEach, describe, expect, it, vi } from "vitest"
import { type LogIo, LogWriter, lostMessage, nodeIo, writeAllAtExit } from "../src/log.ts"

const root = fs.mkdtempSync(nodePath.join(os.tmpdir(), "llm-cost-rules-"))
afterAll(() => fs.rmSync(root, { recursive: true, force: true }))
afterEach(() => void vi.useRealTimers())
let fileCounter = 0
const freshPath = () => nodePath.join(root, `log-${++fileCounter}.jsonl`)

const record = (index: number, extra: Partial<CostRecord> = {}): CostRecord => ({
  timestamp: "2026-12-03T00:00:00.000Z",
  requestId: `req-${index}`,
  provider: "openai",
  model: "gpt-4o-mini",
  usage: { inputTokens: 10, outputTokens: 5, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 },
  cost: undefined,
  latencyMs: 1,
  outcome: "success",
  attempt: 1,
  stream: false,
  metadata: {},
  ...extra
})

const enospc = () => Object.assign(new Error("no space left on device"), { code: "ENOSPC" })

/** node:fs with counters, and writes that fail while `failing` is set. */
const countingIo = () => {
  const calls = { writes: [] as Array<number>, fsyncs: 0, fsyncSyncs: 0, failing: false }
  const io: LogIo = {
    ...nodeIo,
    writeSync: (fd, buffer, offset, length) => {
      calls.writes.push(Date.now())
      if (calls.failing) throw enospc()
      return nodeIo.writeSync(fd, buffer, offset, length)
    },
    fsync: (fd, callback) => {
      calls.fsyncs++
      nodeIo.fsync(fd, callback)
    },
    fsyncSync: (fd) => {
      calls.fsyncSyncs++
      nodeIo.fsyncSync(fd)
    }
  }
  return { io, calls }
}

const lines = (path: string) => fs.readFileSync(path, "utf8").split("\n").filter(Boolean)

describe("fsync policy", () => {
  it("batch (the default) fsyncs each written batch; none never does", async () => {
    const counts: Array<number> = []
    for (const fsync of [undefined, "batch", "none"] as const) {
      const { io, calls } = countingIo()
      const writer = new LogWriter(freshPath(), { io, fsync })
      writer.enqueue(record(1))
      expect(await writer.flush()).toBe(true)
      await writer.close()
      counts.push(calls.fsyncs)
    }
    expect(counts).toEqual([1, 1, 0])
  })

  it("an fsync error is reported in the health (the bytes are with the OS, so the flush still succeeds)", async () => {
    const io: LogIo = {
      ...nodeIo,
      fsync: (_fd, callback) => callback(Object.assign(new Error("i/o error"), { code: "EIO" }))
    }
    const writer = new LogWriter(freshPath(), { io })
    writer.enqueue(record(1))
    expect(await writer.flush()).toBe(true)
    expect(writer.health()).toMatchObject({ writtenRecords: 1, bufferedRecords: 0, lastError: "EIO" })
    await writer.close()
  })
})

describe("retries while writes fail", () => {
  it("back off 100 ms, doubling to at most 5 s, from the failed attempt; stop when the writer closes", async () => {
    vi.useFakeTimers({ now: 0 })
    const { io, calls } = countingIo()
    const path = freshPath()
    const writer = new LogWriter(path, { io, fsync: "none" })
    calls.failing = true
    writer.enqueue(record(1))
    await vi.advanceTimersByTimeAsync(20_000)
    const gaps = calls.writes.slice(1).map((at, i) => at - calls.writes[i]!)
    expect(calls.writes[0]).toBe(10) // the batch delay
    expect(gaps).toEqual([100, 200, 400, 800, 1600, 3200, 5000, 5000])
    // Space is back: the next retry writes the record.
    calls.failing = false
    await vi.advanceTimersByTimeAsync(5000)
    expect(lines(path)).toHaveLength(1)
    expect(writer.health()).toMatchObject({ writtenRecords: 1, bufferedRecords: 0, lastError: undefined })
    // Failing again: the backoff starts over at 100 ms. Then closed: close makes one last attempt and
    // no timer tries after it.
    calls.failing = true
    writer.enqueue(record(2))
    await vi.advanceTimersByTimeAsync(10)
    const failedAt = calls.writes.at(-1)!
    await vi.advanceTimersByTimeAsync(100)
    expect(calls.writes.at(-1)! - failedAt).toBe(100)
    const closing = writer.close()
    await vi.advanceTimersByTimeAsync(0)
    await closing
    const attemptsAtClose = calls.writes.length
    await vi.advanceTimersByTimeAsync(60_000)
    expect(calls.writes.length).toBe(attemptsAtClose)
    expect(writer.lostRecords).toBe(1)
  })
})

describe("what a short write counts as written", () => {
  it("a record whose newline did not reach the file is not written yet, and is completed by the next write", async () => {
    const path = freshPath()
    const first = Buffer.byteLength(encodeRecord(record(1)))
    let budget = first - 1 // everything of the first line but its newline, then the disk is full
    const io: LogIo = {
      ...nodeIo,
      writeSync: (fd, buffer, offset, length) => {
        if (budget <= 0) throw enospc()
        const bytes = nodeIo.writeSync(fd, buffer, offset, Math.min(length, budget))
        budget -= bytes
        return bytes
      }
    }
    const writer = new LogWriter(path, { io, fsync: "none" })
    writer.enqueue(record(1))
    writer.enqueue(record(2))
    expect(await writer.flush()).toBe(false)
    expect(writer.health()).toMatchObject({ writtenRecords: 0, bufferedRecords: 2, lastError: "ENOSPC" })
    budget = 1 // exactly the newline
    expect(await writer.flush()).toBe(false)
    expect(writer.health()).toMatchObject({ writtenRecords: 1, bufferedRecords: 1 })
    budget = Number.POSITIVE_INFINITY
    expect(await writer.flush()).toBe(true)
    expect(writer.health()).toMatchObject({ writtenRecords: 2, bufferedRecords: 0 })
    expect(lines(path).map((line) => JSON.parse(line).requestId)).toEqual(["req-1", "req-2"])
    await writer.close()
  })
})

describe("flush", () => {
  it("waits for every record accepted before it, across several chunks (2,048 records each)", async () => {
    const path = freshPath()
    const writer = new LogWriter(path, { fsync: "batch" })
    for (let index = 0; index < 5_000; index++) writer.enqueue(record(index))
    expect(await writer.flush()).toBe(true)
    expect(writer.health()).toMatchObject({ writtenRecords: 5_000, bufferedRecords: 0 })
    expect(lines(path)).toHaveLength(5_000)
    await writer.close()
  })

  it("a flush made while an fsync is pending resolves true once its own records are durable, not false", async () => {
    const pending: Array<() => void> = []
    // Completed by hand, in the order the test chooses (a real fsync's completion order is up to the OS).
    const io: LogIo = { ...nodeIo, fsync: (_fd, callback) => void pending.push(() => callback(null)) }
    const writer = new LogWriter(freshPath(), { io, fsync: "batch" })
    writer.enqueue(record(1))
    const first = writer.flush() // writes record 1, waits for its fsync
    writer.enqueue(record(2))
    const second = writer.flush()
    // Newest first: were a second drain running beside the first (it must not), its fsync would finish
    // first and the older one would then move "durable" back, leaving later flushes waiting forever.
    while (pending.length > 0 || writer.health().bufferedRecords > 0) {
      pending.pop()?.()
      await new Promise((resolve) => setTimeout(resolve, 1))
    }
    expect([await first, await second]).toEqual([true, true])
    expect(writer.health()).toMatchObject({ writtenRecords: 2, bufferedRecords: 0 })
    const hung = new Promise((resolve) => setTimeout(() => resolve("still waiting after 1 s"), 1000).unref())
    expect(await Promise.race([writer.flush(), hung])).toBe(true)
    await writer.close()
  })
})

describe("the exit hook's last attempt", () => {
  it("writes what is buffered synchronously, fsyncs it under fsync: batch only, then takes nothing more", () => {
    for (const [fsync, expectedSyncs] of [
      ["batch", 1],
      ["none", 0]
    ] as const) {
      const { io, calls } = countingIo()
      const path = freshPath()
      const writer = new LogWriter(path, { io, fsync })
      writer.enqueue(record(1))
      writer.enqueue(record(2))
      writer.writeAtExit()
      expect(lines(path)).toHaveLength(2)
      expect(calls.fsyncSyncs).toBe(expectedSyncs)
      writer.enqueue(record(3)) // after exit: counted lost, never written
      writer.writeAtExit() // a second call does nothing: no write, no fsync
      expect(lines(path)).toHaveLength(2)
      expect(calls.fsyncSyncs).toBe(expectedSyncs)
      expect(writer.health()).toMatchObject({ writtenRecords: 2, bufferedRecords: 0, lostRecords: 1 })
    }
  })

  it("on a full disk counts the buffered records as lost", () => {
    const { io, calls } = countingIo()
    const writer = new LogWriter(freshPath(), { io })
    calls.failing = true
    writer.enqueue(record(1))
    writer.writeAtExit()
    expect(calls.fsyncSyncs).toBe(0)
    expect(writer.health()).toMatchObject({
      writtenRecords: 0,
      bufferedRecords: 0,
      lostRecords: 1,
      lastError: "ENOSPC"
    })
  })
})

describe("paths and lines", () => {
  it("resolveLogPath: ~ and ~/x are the home directory, other paths resolve against the working directory", () => {
    expect(resolveLogPath("~")).toBe(os.homedir())
    expect(resolveLogPath("~/logs/costs.jsonl")).toBe(nodePath.join(os.homedir(), "logs", "costs.jsonl"))
    expect(resolveLogPath("a/~/costs.jsonl")).toBe(nodePath.resolve("a", "~", "costs.jsonl"))
    expect(resolveLogPath("~costs.jsonl")).toBe(nodePath.resolve("~costs.jsonl"))
  })

  it("encodeRecord writes the optional fields a record has, and only those", () => {
    const full = JSON.parse(
      encodeRecord(record(1, { providerRequestId: "prov-1", usageEstimated: true, errorTag: "TimeoutError" }))
    )
    expect([full.providerRequestId, full.usageEstimated, full.errorTag]).toEqual(["prov-1", true, "TimeoutError"])
    const bare = JSON.parse(encodeRecord(record(1)))
    expect(Object.keys(bare)).toEqual([
      "timestamp",
      "requestId",
      "provider",
      "model",
      "usage",
      "cost",
      "latencyMs",
      "outcome",
      "attempt",
      "stream",
      "metadata"
    ])
  })
})

describe("more write faults", () => {
  it("a write that takes no bytes and raises no error is a failure, not a spin", async () => {
    const io: LogIo = { ...nodeIo, writeSync: () => 0 }
    const writer = new LogWriter(freshPath(), { io, fsync: "none" })
    writer.enqueue(record(1))
    expect(await writer.flush()).toBe(false)
    expect(writer.health()).toMatchObject({ writtenRecords: 0, bufferedRecords: 1 })
    expect(writer.health().lastError).toBe("the file system accepted no bytes")
  })

  it("a torn tail whose newline could not be written at open gets it before the first record", async () => {
    const path = freshPath()
    fs.writeFileSync(path, '{"torn":')
    let refuse = 1 // the disk is full when the writer opens, then has room
    const io: LogIo = {
      ...nodeIo,
      writeSync: (fd, buffer, offset, length) => {
        if (refuse-- > 0) throw enospc()
        return nodeIo.writeSync(fd, buffer, offset, length)
      }
    }
    const writer = new LogWriter(path, { io, fsync: "none" })
    writer.enqueue(record(1))
    expect(await writer.flush()).toBe(true)
    expect(fs.readFileSync(path, "utf8")).toBe(`{"torn":\n${encodeRecord(record(1))}`)
    // Written once: the next batch starts right after the last record, no empty line.
    writer.enqueue(record(2))
    expect(await writer.flush()).toBe(true)
    expect(fs.readFileSync(path, "utf8")).toBe(`{"torn":\n${encodeRecord(record(1))}${encodeRecord(record(2))}`)
    await writer.close()
  })

  it("flush tries at once, even while a retry waits out its backoff", async () => {
    vi.useFakeTimers({ now: 0 })
    const { io, calls } = countingIo()
    const writer = new LogWriter(freshPath(), { io, fsync: "none" })
    calls.failing = true
    writer.enqueue(record(1))
    await vi.advanceTimersByTimeAsync(10 + 100 + 200 + 400) // four failed attempts; the next waits 800 ms
    calls.failing = false
    const flushed = writer.flush()
    await vi.advanceTimersByTimeAsync(0)
    expect(await flushed).toBe(true)
    expect(Date.now()).toBe(710)
    await writer.close()
  })

  it("a flush during a backoff replaces the scheduled retry: the next attempt is a doubled backoff after the flush's", async () => {
    vi.useFakeTimers({ now: 0 })
    const { io, calls } = countingIo()
    const writer = new LogWriter(freshPath(), { io, fsync: "none" })
    calls.failing = true
    writer.enqueue(record(1))
    await vi.advanceTimersByTimeAsync(50) // failed at 10, a retry waits until 110
    expect(await writer.flush()).toBe(false) // failed at 50: the retry moves to 50 + 200
    await vi.advanceTimersByTimeAsync(700)
    expect(calls.writes).toEqual([10, 50, 250, 650])
    await writer.close()
  })

  it("a flush asked while the writer is closing resolves false when records could not be written", async () => {
    const { io, calls } = countingIo()
    const writer = new LogWriter(freshPath(), { io, fsync: "none" })
    calls.failing = true
    writer.enqueue(record(1))
    const closing = writer.close()
    expect(await writer.flush()).toBe(false)
    await closing
    expect(writer.lostRecords).toBe(1)
  })

  it("the loss message names the last write error only when there was one", () => {
    const writer = new LogWriter(freshPath(), { fsync: "none" })
    writer.writeAtExit()
    writer.enqueue(record(1)) // after exit: lost, with no write error
    expect(lostMessage(writer, writer.lostRecords)).toBe(
      `cost log ${writer.path}: 1 record(s) lost; free space on its disk or fix the path (cost_tracking.max_buffered_records bounds what is kept in memory meanwhile)`
    )
  })
})

describe("rotation: when the path names another file", () => {
  it("a new file created at the path after a rename (logrotate's create) gets the next records", async () => {
    const path = freshPath()
    const writer = new LogWriter(path, { fsync: "none" })
    writer.enqueue(record(1))
    expect(await writer.flush()).toBe(true)
    fs.renameSync(path, `${path}.1`)
    fs.writeFileSync(path, "")
    writer.enqueue(record(2))
    expect(await writer.flush()).toBe(true)
    expect(fs.readFileSync(`${path}.1`, "utf8")).toBe(encodeRecord(record(1)))
    expect(fs.readFileSync(path, "utf8")).toBe(encodeRecord(record(2)))
    await writer.close()
  })

  it("the same inode number on another device is another file: the path is opened again", async () => {
    const path = freshPath()
    let opens = 0
    let otherDevice = false
    const io: LogIo = {
      ...nodeIo,
      openSync: (file, flags) => {
        opens++
        return nodeIo.openSync(file, flags)
      },
      statSync: (file) => {
        const stat = nodeIo.statSync(file)
        if (!otherDevice) return stat
        otherDevice = false
        return { ...stat, dev: stat.dev + 1 } as fs.Stats
      }
    }
    const writer = new LogWriter(path, { io, fsync: "none" })
    writer.enqueue(record(1))
    expect(await writer.flush()).toBe(true)
    expect(opens).toBe(1)
    otherDevice = true
    writer.enqueue(record(2))
    expect(await writer.flush()).toBe(true)
    expect(opens).toBe(2)
    expect(lines(path)).toHaveLength(2)
    await writer.close()
  })

  it("a record whose newline alone was missing stays whole in the old file and is not written again", async () => {
    const path = freshPath()
    let budget = Buffer.byteLength(encodeRecord(record(1))) - 1 // all of the first line but its newline
    const io: LogIo = {
      ...nodeIo,
      writeSync: (fd, buffer, offset, length) => {
        if (budget <= 0) throw enospc()
        const bytes = nodeIo.writeSync(fd, buffer, offset, Math.min(length, budget))
        budget -= bytes
        return bytes
      }
    }
    const writer = new LogWriter(path, { io, fsync: "none" })
    writer.enqueue(record(1))
    writer.enqueue(record(2))
    expect(await writer.flush()).toBe(false)
    fs.renameSync(path, `${path}.1`)
    budget = Number.POSITIVE_INFINITY
    expect(await writer.flush()).toBe(true)
    expect(writer.health()).toMatchObject({ writtenRecords: 2, bufferedRecords: 0 })
    expect(fs.readFileSync(`${path}.1`, "utf8")).toBe(encodeRecord(record(1)).slice(0, -1))
    expect(fs.readFileSync(path, "utf8")).toBe(encodeRecord(record(2)))
    await writer.close()
  })
})

describe("opening", () => {
  it("a file that cannot be inspected once opened is closed again, and the error surfaces", () => {
    const path = freshPath()
    fs.writeFileSync(path, encodeRecord(record(1)))
    const closed: Array<number> = []
    let opened = -1
    const io: LogIo = {
      ...nodeIo,
      openSync: (file, flags) => {
        opened = nodeIo.openSync(file, flags)
        return opened
      },
      readSync: () => {
        throw Object.assign(new Error("i/o error"), { code: "EIO" })
      },
      closeSync: (fd) => {
        closed.push(fd)
        nodeIo.closeSync(fd)
      }
    }
    expect(() => new LogWriter(path, { io })).toThrow("i/o error")
    expect(closed).toEqual([opened])
  })
})

describe("the exit hook over every open writer", () => {
  it("makes each writer's last attempt, then writes one stderr line per writer that lost records", () => {
    const { io, calls } = countingIo()
    const healthy = new LogWriter(freshPath(), { io: nodeIo, fsync: "none" })
    const full = new LogWriter(freshPath(), { io, fsync: "none" })
    healthy.enqueue(record(1))
    calls.failing = true
    full.enqueue(record(2))
    full.enqueue(record(3))
    const stderr: Array<string> = []
    writeAllAtExit(
      new Map([
        [healthy.path, healthy],
        [full.path, full]
      ]),
      { write: (text) => stderr.push(text) }
    )
    expect(lines(healthy.path)).toHaveLength(1)
    expect([healthy.lostRecords, full.lostRecords]).toEqual([0, 2])
    expect(stderr).toEqual([`${lostMessage(full, 2)}\n`])
  })
})

describe("reading: the line length bound", () => {
  const line = encodeRecord(record(1))
  const length = Buffer.byteLength(line) - 1 // without its newline
  const read = (text: string, options: { chunkBytes: number; maxLineBytes: number }) => {
    const path = freshPath()
    fs.writeFileSync(path, text)
    return Effect.runPromise(foldCostLog(path, 0, (count) => count + 1, options))
  }

  it("a line of exactly maxLineBytes is read, however the chunks fall; one byte more is skipped as too long", async () => {
    const three = line.repeat(3)
    for (const chunkBytes of [1, length + 5, 4096]) {
      const exact = await read(three, { chunkBytes, maxLineBytes: length })
      expect([chunkBytes, exact.state, exact.badLines]).toEqual([chunkBytes, 3, 0])
    }
    const over = await read(three, { chunkBytes: 1, maxLineBytes: length - 1 })
    expect([over.state, over.badLines]).toEqual([0, 3])
    expect(over.firstBadLines[0]).toEqual({ line: 1, message: `longer than ${length - 1} bytes` })
  })

  it("a last line without its newline is held to the same bound", async () => {
    const over = await read(`${line}${line.slice(0, -1)}`, { chunkBytes: 1, maxLineBytes: length - 1 })
    expect([over.state, over.badLines]).toEqual([0, 2])
    expect(over.firstBadLines[1]).toEqual({ line: 2, message: `longer than ${length - 1} bytes` })
  })
})

describe("a log line and the CostRecord schema", () => {
  const cost = {
    input: 1e-5,
    cacheRead: 0,
    cacheWrite: 0,
    output: 1e-5,
    reasoning: 0,
    total: 2e-5,
    currency: "USD" as const
  }
  const variants: ReadonlyArray<CostRecord> = [
    record(1),
    record(2, { cost, providerRequestId: "chatcmpl-1", errorTag: "ProviderUnavailableError", outcome: "error" }),
    record(3, { usageEstimated: true, outcome: "interrupted", stream: true, metadata: { feature: "chat" } })
  ]

  it("the hand-written encoder writes the schema's encoding, fields in the schema's order, cost null when unpriced", async () => {
    for (const variant of variants) {
      const line = encodeRecord(variant)
      const expected = { ...Schema.encodeSync(CostRecord)(variant), cost: variant.cost ?? null }
      const order = Object.keys(CostRecord.fields).filter((key) => key in expected)
      expect(Object.keys(JSON.parse(line))).toEqual(order)
      expect(JSON.parse(line)).toEqual(expected)
    }
    // and the lines read back as the same records
    const path = freshPath()
    fs.writeFileSync(path, variants.map(encodeRecord).join(""))
    const fold = await Effect.runPromise(foldCostLog(path, [] as Array<CostRecord>, (records, r) => [...records, r]))
    expect(fold.state).toEqual(variants)
  })
})
