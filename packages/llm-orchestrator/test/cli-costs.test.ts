/**
 * `llm-orchestrator costs` on a cost log written by real `chat` runs against the simulator fleet:
 * the TOTAL row and `--json` equal the sums of the log's lines; `--by`, `--since`.
 */
import { readFileSync } from "node:fs"
import type { CostRecord, CostReport } from "@llm-orchestrator/core"
import { type SimulatorFleet, startSimulatorFleet } from "@llm-orchestrator/testing"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { cells, lines, runCli, tempDir } from "./cli-support.ts"

const sum = (records: ReadonlyArray<CostRecord>, f: (r: CostRecord) => number) =>
  records.reduce((total, record) => total + f(record), 0)

/** The TOTAL row as the table prints it, computed from the log's lines. */
const expectedTotals = (records: ReadonlyArray<CostRecord>) => [
  String(records.length),
  String(records.filter((r) => r.cost === null || r.cost === undefined).length),
  sum(records, (r) => r.usage.inputTokens).toLocaleString("en-US"),
  sum(records, (r) => r.usage.outputTokens).toLocaleString("en-US"),
  sum(records, (r) => r.usage.cacheReadTokens).toLocaleString("en-US"),
  `$${sum(records, (r) => r.cost?.tools ?? 0).toFixed(6)}`,
  `$${sum(records, (r) => r.cost?.total ?? 0).toFixed(6)}`
]

describe("llm-orchestrator costs", { timeout: 60_000 }, () => {
  let fleet: SimulatorFleet
  let dir: ReturnType<typeof tempDir>
  let logPath: string
  let config: string
  let records: Array<CostRecord>
  beforeAll(async () => {
    fleet = await startSimulatorFleet()
    dir = tempDir()
    logPath = `${dir.path}/costs.jsonl`
    config = dir.file("config.yaml", fleet.configYaml({ costLogPath: logPath }))
    fleet.openai.script(
      { kind: "text", text: "First answer.", usage: { inputTokens: 120, outputTokens: 30, cacheReadTokens: 64 } },
      { kind: "text", text: "Second answer.", usage: { inputTokens: 80, outputTokens: 12 } }
    )
    fleet.anthropic.script({ kind: "text", text: "Third answer.", usage: { inputTokens: 40, outputTokens: 25 } })
    // Sequential runs: each appends its record(s) to the same log, as a user's shell session would.
    for (const args of [
      ["chat", "one", "--tag", "feature=search"],
      ["chat", "two", "--no-stream", "--tag", "feature=summary", "--tag", "tenant=acme"],
      ["chat", "three", "--provider", "anthropic", "--tag", "feature=search"]
    ]) {
      const run = await runCli([...args, "--config", config])
      expect(run.code, run.stderr).toBe(0)
    }
    records = lines(readFileSync(logPath, "utf8")).map((line) => JSON.parse(line) as CostRecord)
  }, 60_000)
  afterAll(async () => {
    await fleet.close()
    dir.cleanup()
  })

  it("the log has one line per chat run", () => {
    expect(records.map((r) => r.provider)).toEqual(["openai", "openai", "anthropic"])
  })

  it("prints a table by provider and model whose TOTAL row is the sum of the log's lines", async () => {
    const run = await runCli(["costs", logPath])
    expect(run.code).toBe(0)
    const rows = lines(run.stdout)
    expect(cells(rows[0]!)).toEqual([
      "PROVIDER",
      "MODEL",
      "CALLS",
      "UNPRICED",
      "INPUT",
      "OUTPUT",
      "CACHED",
      "TOOLS",
      "USD",
      "COST",
      "USD"
    ])
    const total = rows.find((row) => row.startsWith("TOTAL"))!
    expect(cells(total)).toEqual(["TOTAL", ...expectedTotals(records)])
    // One row per provider/model of the log, with that model's own sums.
    const groups = new Map<string, Array<CostRecord>>()
    for (const r of records)
      groups.set(`${r.provider} ${r.model}`, [...(groups.get(`${r.provider} ${r.model}`) ?? []), r])
    for (const [key, group] of groups) {
      const row = rows.find((line) => cells(line).slice(0, 2).join(" ") === key)!
      expect(cells(row).slice(2)).toEqual(expectedTotals(group))
    }
  })

  it("--by provider and --by tag group the same records", async () => {
    const [byProvider, byTag] = await Promise.all([
      runCli(["costs", logPath, "--by", "provider"]),
      runCli(["costs", logPath, "--by", "tag"])
    ])
    expect(byProvider.code).toBe(0)
    const openaiRow = lines(byProvider.stdout).find((line) => cells(line)[0] === "openai")!
    expect(cells(openaiRow).slice(1)).toEqual(expectedTotals(records.filter((r) => r.provider === "openai")))
    expect(byTag.code).toBe(0)
    const searchRow = lines(byTag.stdout).find((line) => cells(line)[0] === "feature=search")!
    expect(cells(searchRow).slice(1)).toEqual(expectedTotals(records.filter((r) => r.metadata.feature === "search")))
    expect(lines(byTag.stdout).some((line) => cells(line)[0] === "tenant=acme")).toBe(true)
    // Overlapping tag rows do not change the TOTAL: it is still the whole log.
    expect(cells(lines(byTag.stdout).find((row) => row.startsWith("TOTAL"))!).slice(1)).toEqual(expectedTotals(records))
  })

  it("--json prints the report, its totals equal to the log's sums", async () => {
    const run = await runCli(["costs", logPath, "--json", "--by", "model"])
    expect(run.code).toBe(0)
    const report = JSON.parse(run.stdout) as CostReport
    expect(report.calls).toBe(records.length)
    expect(report.usage.inputTokens).toBe(sum(records, (r) => r.usage.inputTokens))
    expect(report.usage.outputTokens).toBe(sum(records, (r) => r.usage.outputTokens))
    expect(report.usage.cacheReadTokens).toBe(sum(records, (r) => r.usage.cacheReadTokens))
    expect(report.costUsd).toBeCloseTo(
      sum(records, (r) => r.cost?.total ?? 0),
      12
    )
    expect(Object.keys(report.byModel).sort()).toEqual(
      [...new Set(records.map((r) => `${r.provider}/${r.model}`))].sort()
    )
  })

  it("--since keeps only the calls inside the window (duration or ISO date)", async () => {
    // A copy of the log plus an old call from 2020: only a window reaching back that far counts it.
    const old = { ...records[0]!, timestamp: "2020-01-01T00:00:00.000Z", requestId: "old" }
    const withOld = dir.file("with-old.jsonl", `${readFileSync(logPath, "utf8")}${JSON.stringify(old)}\n`)
    const [recent, sinceDate, all, future] = await Promise.all([
      runCli(["costs", withOld, "--since", "24h", "--json"]),
      runCli(["costs", withOld, "--since", "2019-12-31", "--json"]),
      runCli(["costs", withOld, "--json"]),
      runCli(["costs", withOld, "--since", "2999-01-01"])
    ])
    expect((JSON.parse(recent.stdout) as CostReport).calls).toBe(records.length)
    expect((JSON.parse(sinceDate.stdout) as CostReport).calls).toBe(records.length + 1)
    expect((JSON.parse(all.stdout) as CostReport).calls).toBe(records.length + 1)
    expect(cells(lines(future.stdout).find((row) => row.startsWith("TOTAL"))!)).toEqual([
      "TOTAL",
      ...expectedTotals([])
    ])
  })

  it("without a path it reads the config's cost_tracking.log_path", async () => {
    const run = await runCli(["costs", "--json"], { env: { LLM_ORCHESTRATOR_CONFIG: config } })
    expect(run.code).toBe(0)
    expect((JSON.parse(run.stdout) as CostReport).calls).toBe(records.length)
  })

  it("a bad --since or --by is a usage error; a missing log is a one-line error", async () => {
    const [since, by, missing] = await Promise.all([
      runCli(["costs", logPath, "--since", "yesterday"]),
      runCli(["costs", logPath, "--by", "colour"]),
      runCli(["costs", `${dir.path}/no-such.jsonl`])
    ])
    expect(since.code).toBe(2)
    expect(since.stderr).toContain("--since yesterday")
    expect(by.code).toBe(2)
    expect(by.stderr).toContain("colour")
    expect(missing.code).toBe(1)
    expect(lines(missing.stderr)).toHaveLength(1)
    expect(missing.stderr).toContain("no-such.jsonl")
  })
})
