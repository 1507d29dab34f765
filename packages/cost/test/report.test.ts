/**
 * The cost report's arithmetic, checked against sums worked out by hand in this file (never against
 * the tracker or the pricing code): every usage counter and cost field is added up per provider,
 * `provider/model` and `key=value` tag; two tag pairs that spell the same key share one bucket; ties
 * are ordered by key; a report from a log file keeps only what `include` accepts. Amounts are binary
 * fractions so that sums are exact.
 */
import * as fs from "node:fs"
import * as os from "node:os"
import * as nodePath from "node:path"
import type { CostRecord } from "@llm-orchestrator/core"
import { reportFromLog, reportFromRecords } from "@llm-orchestrator/cost"
import { Effect } from "effect"
import { afterAll, describe, expect, it } from "vitest"

const root = fs.mkdtempSync(nodePath.join(os.tmpdir(), "llm-cost-report-"))
afterAll(() => fs.rmSync(root, { recursive: true, force: true }))

const base = {
  timestamp: "2026-12-03T00:00:00.000Z",
  latencyMs: 1,
  outcome: "success",
  attempt: 1,
  stream: false
} as const

// A: priced, no tool fees, no optional counters. Its tag `a` = `b=c` spells the same key as B's and C's `a=b` = `c`.
const a: CostRecord = {
  ...base,
  requestId: "req-a",
  provider: "openai",
  model: "gpt-a",
  usage: { inputTokens: 100, outputTokens: 50, cacheReadTokens: 10, cacheWriteTokens: 0, reasoningTokens: 5 },
  cost: { input: 0.125, cacheRead: 0, cacheWrite: 0, output: 0.125, reasoning: 0, total: 0.25, currency: "USD" },
  metadata: { team: "x", a: "b=c" }
}
// B: priced with a web-search fee and every optional counter.
const b: CostRecord = {
  ...base,
  requestId: "req-b",
  provider: "anthropic",
  model: "claude-b",
  usage: {
    inputTokens: 200,
    outputTokens: 20,
    cacheReadTokens: 30,
    cacheWriteTokens: 40,
    reasoningTokens: 7,
    cacheWrite1hTokens: 15,
    webSearches: 2,
    webFetches: 1
  },
  cost: {
    input: 0.125,
    cacheRead: 0.0625,
    cacheWrite: 0.0625,
    output: 0.125,
    reasoning: 0,
    tools: 0.125,
    total: 0.5,
    currency: "USD"
  },
  metadata: { team: "x", "a=b": "c" }
}
// C: unpriced (no known price), with every optional counter.
const c: CostRecord = {
  ...base,
  requestId: "req-c",
  provider: "openai",
  model: "gpt-a",
  usage: {
    inputTokens: 1,
    outputTokens: 2,
    cacheReadTokens: 3,
    cacheWriteTokens: 4,
    reasoningTokens: 6,
    cacheWrite1hTokens: 1,
    webSearches: 1,
    webFetches: 3
  },
  cost: undefined,
  metadata: { team: "y", "a=b": "c" }
}

const usageOfB = b.usage
const usageOfC = c.usage
const usageOfAll = {
  inputTokens: 301,
  outputTokens: 72,
  cacheReadTokens: 43,
  cacheWriteTokens: 44,
  reasoningTokens: 18,
  cacheWrite1hTokens: 16,
  webSearches: 3,
  webFetches: 4
}
const bucketOfAll = { costUsd: 0.75, toolsUsd: 0.125, calls: 3, unpricedCalls: 1, usage: usageOfAll }

describe("cost report", () => {
  it("adds every counter and cost field per provider, model and tag", () => {
    const report = reportFromRecords([a, b, c])
    expect(report).toEqual({
      enabled: true,
      ...bucketOfAll,
      byProvider: {
        anthropic: { costUsd: 0.5, toolsUsd: 0.125, calls: 1, unpricedCalls: 0, usage: usageOfB },
        openai: {
          costUsd: 0.25,
          toolsUsd: 0,
          calls: 2,
          unpricedCalls: 1,
          usage: {
            inputTokens: 101,
            outputTokens: 52,
            cacheReadTokens: 13,
            cacheWriteTokens: 4,
            reasoningTokens: 11,
            cacheWrite1hTokens: 1,
            webSearches: 1,
            webFetches: 3
          }
        }
      },
      byModel: {
        "anthropic/claude-b": { costUsd: 0.5, toolsUsd: 0.125, calls: 1, unpricedCalls: 0, usage: usageOfB },
        "openai/gpt-a": expect.objectContaining({ costUsd: 0.25, calls: 2, unpricedCalls: 1 })
      },
      byTag: {
        // `a`=`b=c` (A) and `a=b`=`c` (B, C) both read "a=b=c": one bucket holding all three calls.
        "a=b=c": bucketOfAll,
        "team=x": {
          costUsd: 0.75,
          toolsUsd: 0.125,
          calls: 2,
          unpricedCalls: 0,
          usage: {
            inputTokens: 300,
            outputTokens: 70,
            cacheReadTokens: 40,
            cacheWriteTokens: 40,
            reasoningTokens: 12,
            cacheWrite1hTokens: 15,
            webSearches: 2,
            webFetches: 1
          }
        },
        "team=y": { costUsd: 0, toolsUsd: 0, calls: 1, unpricedCalls: 1, usage: usageOfC }
      }
    })
    // Most expensive first; "a=b=c" and "team=x" cost the same, so the key decides.
    expect(Object.keys(report.byTag)).toEqual(["a=b=c", "team=x", "team=y"])
    expect(Object.keys(report.byProvider)).toEqual(["anthropic", "openai"])
  })

  it("shows the optional counters only when some call had them", () => {
    const report = reportFromRecords([a])
    expect(report.usage).toEqual(a.usage)
    expect(Object.keys(report.usage)).not.toContain("webSearches")
    expect(reportFromRecords([]).calls).toBe(0)
  })

  it("orders buckets of equal cost by key, however many there are", () => {
    // 40 unpriced calls (cost 0 each), tagged in a scrambled order.
    const keys = Array.from({ length: 40 }, (_, i) => `k${String((i * 17) % 40).padStart(2, "0")}`)
    const report = reportFromRecords(keys.map((key, i) => ({ ...c, requestId: `r${i}`, metadata: { n: key } })))
    expect(Object.keys(report.byTag)).toEqual([...keys].sort().map((key) => `n=${key}`))
  })

  it("a report from a log file keeps what `include` accepts and counts the bad lines", async () => {
    const path = nodePath.join(root, "costs.jsonl")
    const line = (record: CostRecord) => JSON.stringify({ ...record, cost: record.cost ?? null })
    fs.writeFileSync(path, `${line(a)}\nnot a record\n${line(b)}\n${line(c)}\n`)
    const all = await Effect.runPromise(reportFromLog(path))
    expect(all).toMatchObject({ records: 3, badLines: 1, state: bucketOfAll })
    const teamX = await Effect.runPromise(reportFromLog(path, (record) => record.metadata.team === "x"))
    expect(teamX.records).toBe(3)
    expect(teamX.state).toMatchObject({ costUsd: 0.75, calls: 2, unpricedCalls: 0 })
    expect(Object.keys(teamX.state.byTag)).toEqual(["a=b=c", "team=x"])
  })
})
