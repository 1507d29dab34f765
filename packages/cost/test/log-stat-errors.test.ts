/**
 * The log writer checks, before each batch, that its path still names the open file (log rotation).
 * A stat that fails because the file is gone means "rotated": reopen at the path. Any other failure
 * (EACCES, EIO) is a failed write like a refused one: the records are kept and written later, and no
 * new file is opened over a path the writer cannot see.
 */
import * as fs from "node:fs"
import * as os from "node:os"
import * as nodePath from "node:path"
import type { CostRecord } from "@llm-orchestrator/core"
import { afterAll, describe, expect, it } from "vitest"
import { type LogIo, LogWriter, nodeIo } from "../src/log.ts"

const root = fs.mkdtempSync(nodePath.join(os.tmpdir(), "llm-cost-stat-"))
afterAll(() => fs.rmSync(root, { recursive: true, force: true }))

const record = (index: number): CostRecord => ({
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
  metadata: {}
})

describe("a failing stat of the log path", () => {
  it("other than ENOENT is a failed write: nothing reopened, the records written once the stat works again", async () => {
    const path = nodePath.join(root, "costs.jsonl")
    const state = { statError: undefined as NodeJS.ErrnoException | undefined, opens: 0 }
    const io: LogIo = {
      ...nodeIo,
      openSync: (p, flags) => {
        state.opens++
        return nodeIo.openSync(p, flags)
      },
      statSync: (p) => {
        if (state.statError) throw state.statError
        return nodeIo.statSync(p)
      }
    }
    const writer = new LogWriter(path, { io, fsync: "none" })
    const opensAtStart = state.opens
    state.statError = Object.assign(new Error("input/output error"), { code: "EIO" })
    writer.enqueue(record(1))
    expect(await writer.flush()).toBe(false)
    expect(state.opens).toBe(opensAtStart)
    expect(fs.readFileSync(path, "utf8")).toBe("")
    state.statError = undefined
    writer.enqueue(record(2))
    expect(await writer.flush()).toBe(true)
    const written = fs
      .readFileSync(path, "utf8")
      .split("\n")
      .filter(Boolean)
      .map((line) => (JSON.parse(line) as CostRecord).requestId)
    expect(written).toEqual(["req-1", "req-2"])
    await writer.close()
  })
})
