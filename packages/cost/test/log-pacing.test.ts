/**
 * The log writer's pace under `fsync: batch`: records that arrive while a batch is written and fsynced
 * wait out the rest of the batch delay (10 ms) like the first record of a batch, so a busy process makes
 * at most one write and one fsync per 10 ms instead of one per fsync (with a fast disk, nearly one per
 * record). A flush or a close does not wait. On vitest's fake timers, with an fsync that takes 1 ms.
 */
import * as fs from "node:fs"
import * as os from "node:os"
import * as nodePath from "node:path"
import type { CostRecord } from "@llm-orchestrator/core"
import { afterAll, afterEach, describe, expect, it, vi } from "vitest"
import { type LogIo, LogWriter, nodeIo } from "../src/log.ts"

const root = fs.mkdtempSync(nodePath.join(os.tmpdir(), "llm-cost-pacing-"))
afterAll(() => fs.rmSync(root, { recursive: true, force: true }))
afterEach(() => void vi.useRealTimers())
let fileCounter = 0
const freshPath = () => nodePath.join(root, `log-${++fileCounter}.jsonl`)

const record = (index: number): CostRecord => ({
  timestamp: "2026-12-05T00:00:00.000Z",
  requestId: `req-${index}`,
  provider: "openai",
  model: "gpt-4o-mini",
  usage: { inputTokens: 10, outputTokens: 5, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 },
  cost: undefined,
  latencyMs: 1,
  outcome: "success",
  attempt: 1,
  stream: false,
  metadata: {}
})

/** node:fs recording when each write and fsync starts; an fsync completes `fsyncMs` (fake time) later. */
const timedIo = (fsyncMs = 1) => {
  const calls = { writes: [] as Array<number>, fsyncs: [] as Array<number> }
  const io: LogIo = {
    ...nodeIo,
    writeSync: (fd, buffer, offset, length) => {
      calls.writes.push(Date.now())
      return nodeIo.writeSync(fd, buffer, offset, length)
    },
    fsync: (fd, callback) => {
      calls.fsyncs.push(Date.now())
      nodeIo.fsyncSync(fd)
      setTimeout(() => callback(null), fsyncMs)
    }
  }
  return { io, calls }
}

const requestIds = (path: string) =>
  fs
    .readFileSync(path, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((line) => (JSON.parse(line) as CostRecord).requestId)

describe("the log writer's pace under fsync: batch", () => {
  it("a record every millisecond for 100 ms: a write and an fsync every 10 ms, not one per fsync; every record written once, in order", async () => {
    vi.useFakeTimers({ now: 0 })
    const { io, calls } = timedIo()
    const path = freshPath()
    const writer = new LogWriter(path, { io, fsync: "batch" })
    for (let index = 0; index < 100; index++) {
      writer.enqueue(record(index))
      await vi.advanceTimersByTimeAsync(1)
    }
    expect(calls.writes).toEqual([10, 20, 30, 40, 50, 60, 70, 80, 90, 100])
    expect(calls.fsyncs).toEqual(calls.writes)
    const flushed = writer.flush()
    await vi.advanceTimersByTimeAsync(1)
    expect(await flushed).toBe(true)
    expect(requestIds(path)).toEqual(Array.from({ length: 100 }, (_, index) => `req-${index}`))
    expect(writer.health()).toMatchObject({ writtenRecords: 100, bufferedRecords: 0, lostRecords: 0 })
    await writer.close()
  })

  it("a record that arrives during an fsync is written 10 ms after the batch before it started, not later", async () => {
    vi.useFakeTimers({ now: 0 })
    const { io, calls } = timedIo()
    const path = freshPath()
    const writer = new LogWriter(path, { io, fsync: "batch" })
    writer.enqueue(record(1))
    await vi.advanceTimersByTimeAsync(10) // written at 10, its fsync ends at 11
    writer.enqueue(record(2))
    await vi.advanceTimersByTimeAsync(30)
    expect(calls.writes).toEqual([10, 20])
    expect(requestIds(path)).toEqual(["req-1", "req-2"])
    await writer.close()
  })

  it("a flush does not wait out the pace: it writes at once", async () => {
    vi.useFakeTimers({ now: 0 })
    const { io, calls } = timedIo()
    const writer = new LogWriter(freshPath(), { io, fsync: "batch" })
    writer.enqueue(record(1))
    await vi.advanceTimersByTimeAsync(12) // written at 10 and fsynced at 11
    writer.enqueue(record(2))
    const flushed = writer.flush()
    await vi.advanceTimersByTimeAsync(1)
    expect(await flushed).toBe(true)
    expect(calls.writes).toEqual([10, 12])
    await writer.close()
  })

  it("a flush waiting for records that came during an fsync gets them written right after it", async () => {
    vi.useFakeTimers({ now: 0 })
    const { io, calls } = timedIo()
    const writer = new LogWriter(freshPath(), { io, fsync: "batch" })
    writer.enqueue(record(1))
    const first = writer.flush() // written at 0, its fsync ends at 1
    writer.enqueue(record(2))
    const second = writer.flush() // waits for record 2: written as soon as the first fsync ends
    await vi.advanceTimersByTimeAsync(2)
    expect([await first, await second]).toEqual([true, true])
    expect(calls.writes).toEqual([0, 1])
    await writer.close()
  })

  it("closing while records wait out the pace writes them at once, and nothing is written after", async () => {
    vi.useFakeTimers({ now: 0 })
    const { io, calls } = timedIo()
    const path = freshPath()
    const writer = new LogWriter(path, { io, fsync: "batch" })
    writer.enqueue(record(1))
    await vi.advanceTimersByTimeAsync(10) // written at 10, fsync until 11
    writer.enqueue(record(2)) // arrives during the fsync: would wait until 20
    await vi.advanceTimersByTimeAsync(2)
    const closing = writer.close()
    await vi.advanceTimersByTimeAsync(1)
    await closing
    expect(calls.writes).toEqual([10, 12])
    await vi.advanceTimersByTimeAsync(50)
    expect(calls.writes).toEqual([10, 12])
    expect(requestIds(path)).toEqual(["req-1", "req-2"])
    expect(writer.health()).toMatchObject({ writtenRecords: 2, lostRecords: 0 })
  })

  it("an fsync that takes the whole batch delay or longer: what came meanwhile is written as soon as it ends", async () => {
    for (const fsyncMs of [10, 15]) {
      vi.useFakeTimers({ now: 0 })
      const { io, calls } = timedIo(fsyncMs)
      const path = freshPath()
      const writer = new LogWriter(path, { io, fsync: "batch" })
      writer.enqueue(record(1))
      await vi.advanceTimersByTimeAsync(11) // written at 10, its fsync runs until 10 + fsyncMs
      writer.enqueue(record(2))
      await vi.advanceTimersByTimeAsync(fsyncMs + 5)
      expect(calls.writes).toEqual([10, 10 + fsyncMs])
      expect(requestIds(path)).toEqual(["req-1", "req-2"])
      const flushed = writer.flush()
      await vi.advanceTimersByTimeAsync(fsyncMs)
      expect(await flushed).toBe(true)
      await writer.close()
      vi.useRealTimers()
    }
  })

  it("an idle writer keeps no timer: the next record waits its own batch delay from when it arrives", async () => {
    vi.useFakeTimers({ now: 0 })
    const { io, calls } = timedIo()
    const writer = new LogWriter(freshPath(), { io, fsync: "batch" })
    writer.enqueue(record(1))
    await vi.advanceTimersByTimeAsync(15) // written at 10, fsynced at 11, then nothing is buffered
    writer.enqueue(record(2))
    await vi.advanceTimersByTimeAsync(20)
    expect(calls.writes).toEqual([10, 25])
    await writer.close()
  })
})
