/**
 * The cost log across process deaths: a child process records through the public CostTracking layer
 * (fixtures/log-writer-child.ts) and is killed with SIGKILL at random moments, or calls process.exit
 * without closing anything. The same log is reopened by every run.
 */
import { type ChildProcess, spawn } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as nodePath from "node:path"
import { fileURLToPath } from "node:url"
import { readCostLog } from "@llm-orchestrator/cost"
import { Effect } from "effect"
import { afterAll, describe, expect, it } from "vitest"

const root = fs.mkdtempSync(nodePath.join(os.tmpdir(), "llm-cost-crash-"))
afterAll(() => fs.rmSync(root, { recursive: true, force: true }))
const child = fileURLToPath(new URL("./fixtures/log-writer-child.ts", import.meta.url))
// Children start faster with V8's code cache shared between them.
const env = { ...process.env, NODE_COMPILE_CACHE: nodePath.join(root, "compile-cache") }

const start = (logPath: string, runId: string, mode: "load" | "exit"): ChildProcess =>
  spawn(process.execPath, [child, logPath, runId, mode], { env, stdio: ["ignore", "pipe", "pipe"] })

const ended = (process: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> =>
  new Promise((resolve) => process.once("exit", (code, signal) => resolve({ code, signal })))

/** Runs a `load` child until it has written `minWritten` records, kills it after `extraMs`; the last count it printed. */
const runAndKill = async (logPath: string, runId: string, extraMs: number): Promise<number> => {
  const process = start(logPath, runId, "load")
  const exit = ended(process)
  let written = 0
  let killTimer: ReturnType<typeof setTimeout> | undefined
  let buffered = ""
  process.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
    buffered += chunk
    const lines = buffered.split("\n")
    buffered = lines.pop()!
    for (const line of lines) {
      const match = /^written (\d+)$/.exec(line)
      if (match) written = Math.max(written, Number(match[1]))
    }
    if (written > 0 && killTimer === undefined) killTimer = setTimeout(() => process.kill("SIGKILL"), extraMs)
  })
  const { signal } = await exit
  expect(signal).toBe("SIGKILL")
  return written
}

describe("cost log: process deaths", () => {
  it("SIGKILL at 20 random moments under load: every line whole or a skipped fragment, none twice, nothing reported written lost", async () => {
    // Two logs, each reopened by 10 children in turn (the two chains run side by side to halve the time).
    const chains = await Promise.all(
      ["a", "b"].map(async (chain) => {
        const logPath = nodePath.join(root, `killed-${chain}.jsonl`)
        const reported: Array<number> = []
        for (let run = 0; run < 10; run++) {
          reported.push(await runAndKill(logPath, `${chain}${run}`, Math.floor(Math.random() * 60)))
        }
        return { chain, logPath, reported }
      })
    )
    for (const { chain, logPath, reported } of chains) {
      const lines = fs.readFileSync(logPath, "utf8").split("\n")
      const ids = new Map<string, Set<number>>()
      let fragments = 0
      let whole = 0
      for (const line of lines) {
        if (line === "") continue
        let parsed: { requestId: string; attempt: number } | undefined
        try {
          parsed = JSON.parse(line)
        } catch {
          // A line torn by a kill, newline-terminated by the next open: one record's beginning, nothing glued.
          fragments++
          expect(line.startsWith('{"timestamp"')).toBe(true)
          expect(line.split('{"timestamp"').length).toBe(2)
          continue
        }
        whole++
        const [run, index] = parsed!.requestId.split("-") as [string, string]
        const seen = ids.get(run) ?? new Set<number>()
        // No (requestId, attempt) twice.
        expect(seen.has(Number(index))).toBe(false)
        seen.add(Number(index))
        ids.set(run, seen)
      }
      expect(fragments).toBeLessThanOrEqual(10)
      const writtenAfterReport: Array<number> = []
      for (let run = 0; run < 10; run++) {
        const seen = ids.get(`${chain}${run}`) ?? new Set<number>()
        // The writer is FIFO: a run's records in the file are exactly its first ones, with no hole, and
        // include every record the tracker had reported written before the kill. What a kill loses is
        // therefore only records not yet written: the current batch.
        expect(seen.size).toBeGreaterThanOrEqual(reported[run]!)
        for (let index = 0; index < seen.size; index++) expect(seen.has(index)).toBe(true)
        writtenAfterReport.push(seen.size - reported[run]!)
      }
      // The reader takes the repaired log: the fragments are skipped and counted.
      const read = await Effect.runPromise(readCostLog(logPath))
      expect(read.records).toBe(whole)
      expect(read.badLines).toBe(fragments)
      console.log(
        `SIGKILL x10 on ${chain}: ${whole} records, ${fragments} torn line(s); written after the last report: ${writtenAfterReport}`
      )
    }
  }, 240_000)

  it("process.exit right after recording, without closing the layer: every record is written by the exit hook", async () => {
    const logPath = nodePath.join(root, "exit.jsonl")
    const process = start(logPath, "exit", "exit")
    const { code } = await ended(process)
    expect(code).toBe(0)
    const read = await Effect.runPromise(readCostLog(logPath))
    expect(read.state.map((record) => record.requestId)).toEqual(Array.from({ length: 20 }, (_, i) => `exit-${i}`))
    expect(read.badLines).toBe(0)
  }, 60_000)
})
