/**
 * `llm-orchestrator costs` on logs that are not pristine: a line torn by a crash, tag values with
 * newlines and control characters, and a log far larger than the heap the CLI is given.
 */
import { closeSync, openSync, writeSync } from "node:fs"
import type { CostRecord, CostReport } from "@llm-orchestrator/core"
import { encodeRecord } from "@llm-orchestrator/cost"
import { afterAll, describe, expect, it } from "vitest"
import { cells, lines, runCli, tempDir } from "./cli-support.ts"

const dir = tempDir()
afterAll(() => dir.cleanup())

const record = (index: number, metadata: Record<string, string> = { feature: "search" }): CostRecord => ({
  timestamp: new Date(1_750_000_000_000 + index).toISOString(),
  requestId: `req-${index}`,
  provider: "openai",
  model: "gpt-4o-mini",
  usage: { inputTokens: 100, outputTokens: 10, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 },
  cost: { input: 0.001, output: 0.002, cacheRead: 0, cacheWrite: 0, reasoning: 0, total: 0.003, currency: "USD" },
  latencyMs: 12,
  outcome: "success",
  attempt: 1,
  stream: false,
  metadata
})

describe("llm-orchestrator costs on damaged and large logs", { timeout: 180_000 }, () => {
  it("a torn line (crash) and a non-record are skipped and counted; the rest is summed", async () => {
    const torn = encodeRecord(record(1)).slice(0, 90)
    const log = dir.file(
      "torn.jsonl",
      `${encodeRecord(record(0))}${torn}\n${encodeRecord(record(2))}{"hello": "world"}\n${encodeRecord(record(3))}`
    )
    const [json, table] = await Promise.all([runCli(["costs", log, "--json"]), runCli(["costs", log])])
    expect(json.code, json.stderr).toBe(0)
    const report = JSON.parse(json.stdout) as CostReport & { badLines: number }
    expect(report.calls).toBe(3)
    expect(report.costUsd).toBeCloseTo(0.009, 12)
    expect(report.badLines).toBe(2)
    expect(json.stderr).toContain(`2 bad line(s) skipped in ${log} (first: line 2: not a JSON object`)
    expect(table.code).toBe(0)
    expect(cells(lines(table.stdout).find((row) => row.startsWith("TOTAL"))!).slice(0, 2)).toEqual(["TOTAL", "3"])
    expect(table.stderr).toContain("2 bad line(s) skipped")

    // --strict: the same log is refused, with no report; a whole log still passes.
    const strict = await runCli(["costs", log, "--strict"])
    expect(strict.code).toBe(1)
    expect(strict.stdout).toBe("")
    expect(lines(strict.stderr)).toHaveLength(1)
    expect(strict.stderr).toMatch(
      /^error: 2 bad line\(s\) in .*torn\.jsonl \(first: line 2: not a JSON object .*\); --strict prints no report for a damaged log\n$/
    )
    const whole = dir.file("whole.jsonl", encodeRecord(record(0)))
    expect((await runCli(["costs", whole, "--strict", "--json"])).code).toBe(0)
  })

  it("tag values with newlines and control characters stay on their row, escaped", async () => {
    const log = dir.file(
      "tags.jsonl",
      [
        record(0, { feature: "line1\nTOTAL  999" }),
        record(1, { feature: "bell\u0007esc\u001b[31mred" }),
        record(2, { feature: "rtl\u202eevil" })
      ]
        .map(encodeRecord)
        .join("")
    )
    const run = await runCli(["costs", log, "--by", "tag"])
    expect(run.code).toBe(0)
    const rows = lines(run.stdout)
    // Header, three tag rows, rule, TOTAL: nothing split a row, and only the real TOTAL starts with it.
    expect(rows).toHaveLength(6)
    expect(rows.filter((row) => row.startsWith("TOTAL"))).toHaveLength(1)
    expect(run.stdout).toContain("feature=line1\\nTOTAL  999")
    expect(run.stdout).toContain("feature=bell\\u{7}esc\\u{1b}[31mred")
    expect(run.stdout).toContain("feature=rtl\\u{202e}evil")
    for (const raw of ["\u0007", "\u001b", "\u202e"]) expect(run.stdout).not.toContain(raw)
  })

  it("a 200,000-line log (about 125 MB) is summed by a CLI whose heap is capped at 128 MB: the log is streamed", async () => {
    const path = `${dir.path}/large.jsonl`
    const fd = openSync(path, "w")
    const line = (index: number) => encodeRecord(record(index, { feature: `f${index % 10}`, team: "t".repeat(200) }))
    let bytes = 0
    for (let start = 0; start < 200_000; start += 1_000) {
      let text = ""
      for (let index = start; index < start + 1_000; index++) text += line(index)
      bytes += writeSync(fd, text)
    }
    closeSync(fd)
    expect(bytes).toBeGreaterThan(115 * 1024 * 1024)
    // The file does not fit in this heap: reading it into one string (what `costs` used to do) fails.
    const run = await runCli(["costs", path, "--json", "--by", "tag"], {
      env: { NODE_OPTIONS: "--max-old-space-size=128" }
    })
    expect(run.code, run.stderr).toBe(0)
    const report = JSON.parse(run.stdout) as CostReport & { badLines: number }
    expect(report.calls).toBe(200_000)
    expect(report.badLines).toBe(0)
    expect(report.usage.inputTokens).toBe(200_000 * 100)
    expect(report.byTag["feature=f7"]!.calls).toBe(20_000)
  })
})
