/**
 * A named pipe as the cost log's path (a log shipper reading it): opening it must not read from it,
 * which would block the process until someone writes, and records go through it as lines. The torn-
 * tail check that reads a file's last byte is for regular files only.
 */
import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as nodePath from "node:path"
import type { CostRecord } from "@llm-orchestrator/core"
import { afterAll, describe, expect, it } from "vitest"
import { type LogIo, LogWriter, nodeIo } from "../src/log.ts"

const root = fs.mkdtempSync(nodePath.join(os.tmpdir(), "llm-cost-fifo-"))
afterAll(() => fs.rmSync(root, { recursive: true, force: true }))

const record: CostRecord = {
  timestamp: "2026-12-04T00:00:00.000Z",
  requestId: "req-fifo",
  provider: "openai",
  model: "gpt-4o-mini",
  usage: { inputTokens: 10, outputTokens: 5, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 },
  cost: undefined,
  latencyMs: 1,
  outcome: "success",
  attempt: 1,
  stream: false,
  metadata: {}
}

describe("cost log on a named pipe", () => {
  it("is opened without reading from it, and each record arrives as one line", async () => {
    const path = nodePath.join(root, "costs.fifo")
    execFileSync("mkfifo", [path])
    // The shipper's end, opened first (non-blocking, so this test never waits on the pipe).
    const reader = fs.openSync(path, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK)
    let reads = 0
    // A read of an empty pipe blocks the whole process: fail loudly instead.
    const io: LogIo = {
      ...nodeIo,
      readSync: () => {
        reads++
        throw new Error("the log writer read from the pipe")
      }
    }
    const writer = new LogWriter(path, { io })
    try {
      writer.enqueue(record)
      expect(await writer.flush()).toBe(true)
      const buffer = Buffer.alloc(64 * 1024)
      const received = buffer.subarray(0, fs.readSync(reader, buffer)).toString("utf8")
      expect(received.endsWith("\n")).toBe(true)
      expect(
        received
          .split("\n")
          .filter(Boolean)
          .map((line) => JSON.parse(line).requestId)
      ).toEqual(["req-fifo"])
      expect(reads).toBe(0)
    } finally {
      await writer.close()
      fs.closeSync(reader)
    }
  })
})
