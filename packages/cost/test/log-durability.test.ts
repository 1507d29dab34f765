/**
 * The JSONL cost log as a record people bill from: a full disk (injected short writes, a real small
 * tmpfs, /dev/full), a torn tail left by a crash, log rotation. Every scenario ends with the same
 * checks: every line is a whole record or a skipped fragment, no (requestId, attempt) twice, nothing
 * that was acknowledged is missing.
 */
import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as nodePath from "node:path"
import { afterAll, describe, expect, it } from "@effect/vitest"
import type { CostRecord, CostTrackingConfig } from "@llm-orchestrator/core"
import { CostTracker, CostTracking, encodeRecord, readCostLog } from "@llm-orchestrator/cost"
import { Effect, Logger } from "effect"
import { type LogIo, LogWriter, nodeIo } from "../src/log.ts"

const root = fs.mkdtempSync(nodePath.join(os.tmpdir(), "llm-cost-durability-"))
afterAll(() => fs.rmSync(root, { recursive: true, force: true }))
let dirCounter = 0
const freshDir = () => {
  const dir = nodePath.join(root, `case-${++dirCounter}`)
  fs.mkdirSync(dir)
  return dir
}

/** A record of about 730 bytes; `attempt` varies so (requestId, attempt) is the identity checked. */
const makeRecord = (index: number, prefix = "req"): CostRecord => ({
  timestamp: new Date(1_750_000_000_000 + index).toISOString(),
  requestId: `${prefix}-${index}`,
  provider: "openai",
  model: "gpt-4o-mini",
  usage: { inputTokens: 100 + index, outputTokens: 10, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 },
  cost: { input: 0.001, output: 0.002, cacheRead: 0, cacheWrite: 0, reasoning: 0, total: 0.003, currency: "USD" },
  latencyMs: 12,
  outcome: "success",
  attempt: 1 + (index % 2),
  stream: false,
  metadata: { feature: "billing", padding: "p".repeat(300) }
})

const config = (logPath: string, extra: Partial<CostTrackingConfig> = {}): CostTrackingConfig => ({
  enabled: true,
  prices: {},
  logPath,
  ...extra
})

/**
 * The file's lines split into whole records and fragments. A fragment must be a single torn line (one
 * record's beginning), never a torn line with another record glued to it.
 */
const inspect = (path: string) => {
  const text = fs.readFileSync(path, "utf8")
  const records: Array<CostRecord> = []
  const fragments: Array<string> = []
  for (const line of text.split("\n")) {
    if (line === "") continue
    try {
      records.push(JSON.parse(line) as CostRecord)
    } catch {
      fragments.push(line)
    }
  }
  for (const fragment of fragments) expect(fragment.split('{"timestamp"').length - 1).toBeLessThanOrEqual(1)
  const keys = records.map((record) => `${record.requestId}#${record.attempt}`)
  return { text, records, fragments, keys, duplicates: keys.length - new Set(keys).size }
}

const enospc = () => Object.assign(new Error("ENOSPC: no space left on device, write"), { code: "ENOSPC" })

/** node:fs with a file system of `capacity.bytes`: a write that does not fit is cut short, the next fails. */
const limitedIo = (capacity: { bytes: number }, calls = { writes: 0 }): LogIo => ({
  ...nodeIo,
  writeSync: (fd, buffer, offset, length) => {
    calls.writes++
    const room = capacity.bytes - fs.fstatSync(fd).size
    if (room <= 0) throw enospc()
    return fs.writeSync(fd, buffer, offset, Math.min(length, room))
  }
})

describe("cost log: disk full", () => {
  it("a short write then ENOSPC, then space returns: every line whole, none twice, none lost", async () => {
    const path = nodePath.join(freshDir(), "costs.jsonl")
    const capacity = { bytes: 3_000 }
    const writer = new LogWriter(path, { io: limitedIo(capacity), fsync: "none" })
    for (let index = 0; index < 100; index++) writer.enqueue(makeRecord(index))
    expect(await writer.flush()).toBe(false)
    // The disk holds 3,000 bytes: the last line is torn, the records before it are counted as written.
    const full = inspect(path)
    expect(full.text.length).toBe(3_000)
    expect(full.fragments).toHaveLength(1)
    expect(writer.health()).toMatchObject({
      writtenRecords: full.records.length,
      bufferedRecords: 100 - full.records.length,
      lostRecords: 0,
      lastError: "ENOSPC"
    })
    // More records while the disk is full: kept, encoded only when their turn comes.
    for (let index = 100; index < 150; index++) writer.enqueue(makeRecord(index))
    expect(await writer.flush()).toBe(false)

    capacity.bytes = 10_000_000
    expect(await writer.flush()).toBe(true)
    await writer.close()
    const after = inspect(path)
    // The torn line was completed by the retry (it resumed at the byte the disk refused).
    expect(after.fragments).toEqual([])
    expect(after.duplicates).toBe(0)
    expect(after.records.map((record) => record.requestId)).toEqual(
      Array.from({ length: 150 }, (_, index) => `req-${index}`)
    )
    expect(writer.health()).toMatchObject({ writtenRecords: 150, bufferedRecords: 0, lostRecords: 0 })
    expect(writer.encodedRecords).toBe(150)
  })

  const tmpfs = nodePath.join(root, "tmpfs")
  const mounted = (() => {
    if (process.platform !== "linux" || process.getuid?.() !== 0) return false
    try {
      fs.mkdirSync(tmpfs)
      execFileSync("mount", ["-t", "tmpfs", "-o", "size=1m", "tmpfs", tmpfs], { stdio: "ignore" })
      return true
    } catch {
      return false
    }
  })()
  afterAll(() => {
    if (mounted) execFileSync("umount", [tmpfs], { stdio: "ignore" })
  })

  // The same fault on a real file system (needs root to mount a 1 MiB tmpfs; the injected test above
  // covers machines where it cannot).
  it.live.skipIf(!mounted)("a real 1 MiB tmpfs filled up, then space freed: the tracker reports, then recovers", () =>
    Effect.gen(function* () {
      const path = nodePath.join(tmpfs, "costs.jsonl")
      const filler = nodePath.join(tmpfs, "filler")
      fs.writeFileSync(filler, Buffer.alloc(900 * 1024))
      yield* Effect.gen(function* () {
        const tracker = yield* CostTracker
        // 1,000 records of ~730 bytes: far more than the ~120 KiB left.
        for (let index = 0; index < 1_000; index++) yield* tracker.record(makeRecord(index))
        const error = yield* Effect.flip(tracker.flush)
        expect(error._tag).toBe("CostLogError")
        expect(error.bufferedRecords).toBeGreaterThan(0)
        expect(error.lostRecords).toBe(0)
        expect(error.message).toContain("ENOSPC")
        expect(error.message).toContain("free space")
        const health = (yield* tracker.logHealth)!
        expect(health.lastError).toBe("ENOSPC")
        expect(health.writtenRecords + health.bufferedRecords).toBe(1_000)
        fs.rmSync(filler)
        for (let index = 1_000; index < 1_100; index++) yield* tracker.record(makeRecord(index))
        yield* tracker.flush
        expect(yield* tracker.logHealth).toMatchObject({
          writtenRecords: 1_100,
          bufferedRecords: 0,
          lastError: undefined
        })
      }).pipe(Effect.provide(CostTracking.layer(config(path))))
      const after = inspect(path)
      expect(after.fragments).toEqual([])
      expect(after.duplicates).toBe(0)
      expect(after.records).toHaveLength(1_100)
    })
  )

  it.live(
    "/dev/full: the tracker's flush fails with the counts, records beyond the bound are dropped and counted, close logs the loss",
    () => {
      const logged: Array<unknown> = []
      return Effect.gen(function* () {
        yield* Effect.gen(function* () {
          const tracker = yield* CostTracker
          for (let index = 0; index < 50_000; index++) yield* tracker.record(makeRecord(index))
          const error = yield* Effect.flip(tracker.flush)
          expect(error).toMatchObject({
            _tag: "CostLogError",
            path: "/dev/full",
            bufferedRecords: 10_000,
            lostRecords: 40_000
          })
          expect(error.message).toContain("10000 record(s) not written yet (ENOSPC)")
          expect(error.message).toContain("40000 record(s) lost")
          expect(yield* tracker.logHealth).toEqual({
            path: "/dev/full",
            writtenRecords: 0,
            bufferedRecords: 10_000,
            lostRecords: 40_000,
            lastError: "ENOSPC"
          })
          // A loss is reported once per tracker; the buffered records are still reported.
          const again = yield* Effect.flip(tracker.flush)
          expect(again).toMatchObject({ bufferedRecords: 10_000, lostRecords: 0 })
        }).pipe(Effect.provide(CostTracking.layer(config("/dev/full", { maxBufferedRecords: 10_000 }))))
        // Closing gives up on the buffered records: all 50,000 are lost, and the release says so.
        expect(logged.map(String).join("\n")).toContain(
          "cost log /dev/full: 50000 record(s) lost (last write error: ENOSPC)"
        )
      }).pipe(Effect.provide(Logger.layer([Logger.make((options) => void logged.push(options.message))])))
    }
  )

  it("/dev/full under sustained load: each record encoded at most once, writes retried with backoff, not per batch", async () => {
    const calls = { writes: 0 }
    const io: LogIo = {
      ...nodeIo,
      writeSync: (...args) => {
        calls.writes++
        return nodeIo.writeSync(...args)
      }
    }
    const writer = new LogWriter("/dev/full", { io, fsync: "none", maxBufferedRecords: 100_000 })
    // 50,000 records in 200 bursts spread over more than 200 batch delays.
    for (let burst = 0; burst < 200; burst++) {
      for (let index = 0; index < 250; index++) writer.enqueue(makeRecord(burst * 250 + index))
      await new Promise((resolve) => setTimeout(resolve, 2))
    }
    expect(writer.health()).toMatchObject({ writtenRecords: 0, bufferedRecords: 50_000, lastError: "ENOSPC" })
    // Only the first chunk was ever encoded (the rest wait for it), and attempts back off from 100 ms to 5 s:
    // a handful of writes, where retrying on every batch would make hundreds, each re-encoding everything.
    expect(writer.encodedRecords).toBeLessThanOrEqual(2_048)
    expect(calls.writes).toBeLessThan(25)
    await writer.close()
    expect(writer.health().lostRecords).toBe(50_000)
    // After close: records are counted as lost, a flush answers at once.
    writer.enqueue(makeRecord(0))
    expect(await writer.flush()).toBe(true)
    expect(writer.health()).toMatchObject({ lostRecords: 50_001, bufferedRecords: 0 })
  })
})

describe("cost log: torn tail and rotation", () => {
  it.live(
    "a log ending in a torn line (a crash mid-write) is repaired on open: the next record gets its own line",
    () =>
      Effect.gen(function* () {
        const path = nodePath.join(freshDir(), "costs.jsonl")
        const whole = encodeRecord(makeRecord(1))
        const torn = encodeRecord(makeRecord(2)).slice(0, 120)
        fs.writeFileSync(path, whole + torn)
        yield* CostTracker.use((tracker) => tracker.record(makeRecord(3))).pipe(
          Effect.provide(CostTracking.layer(config(path)))
        )
        expect(fs.readFileSync(path, "utf8")).toBe(`${whole}${torn}\n${encodeRecord(makeRecord(3))}`)
        const read = yield* readCostLog(path)
        expect(read.state.map((record) => record.requestId)).toEqual(["req-1", "req-3"])
        expect(read.badLines).toBe(1)
        expect(read.firstBadLines[0]!.line).toBe(2)
      })
  )

  it.live("the log renamed (logrotate) and then deleted while in use: new records land at the configured path", () =>
    Effect.gen(function* () {
      const dir = freshDir()
      const path = nodePath.join(dir, "costs.jsonl")
      const ids = (file: string) => inspect(file).records.map((record) => record.requestId)
      yield* Effect.gen(function* () {
        const tracker = yield* CostTracker
        const recordRange = (from: number) =>
          Effect.forEach(
            Array.from({ length: 5 }, (_, i) => makeRecord(from + i)),
            (record) => tracker.record(record),
            { discard: true }
          )
        yield* recordRange(0)
        yield* tracker.flush
        fs.renameSync(path, `${path}.1`)
        yield* recordRange(5)
        yield* tracker.flush
        expect(ids(`${path}.1`)).toEqual(["req-0", "req-1", "req-2", "req-3", "req-4"])
        expect(ids(path)).toEqual(["req-5", "req-6", "req-7", "req-8", "req-9"])
        fs.unlinkSync(path)
        yield* recordRange(10)
      }).pipe(Effect.provide(CostTracking.layer(config(path))))
      expect(ids(path)).toEqual(["req-10", "req-11", "req-12", "req-13", "req-14"])
    })
  )

  it("a record cut by a short write just before a rotation is written whole in the new file, never twice", async () => {
    const path = nodePath.join(freshDir(), "costs.jsonl")
    const capacity = { bytes: 1_000 }
    const writer = new LogWriter(path, { io: limitedIo(capacity), fsync: "none" })
    for (let index = 0; index < 3; index++) writer.enqueue(makeRecord(index))
    expect(await writer.flush()).toBe(false)
    fs.renameSync(path, `${path}.1`)
    capacity.bytes = 10_000_000
    expect(await writer.flush()).toBe(true)
    await writer.close()
    const old = inspect(`${path}.1`)
    const current = inspect(path)
    expect(old.records.map((record) => record.requestId)).toEqual(["req-0"])
    expect(old.fragments).toHaveLength(1)
    expect(current.records.map((record) => record.requestId)).toEqual(["req-1", "req-2"])
    expect(current.fragments).toEqual([])
  })
})
