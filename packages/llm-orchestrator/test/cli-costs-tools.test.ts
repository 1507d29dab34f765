/**
 * Built-in tool usage in the cost log and in `costs`: real `chat` runs replay a recorded Anthropic
 * web-search answer (plain and streamed) and a Gemini answer with tool-use prompt tokens (a grounded
 * answer: the recorded body with `toolUsePromptTokenCount` added), each appending to a real log file.
 * The log must carry the searches, their fee and the tool-use input; `costs` must total them.
 */
import { readFileSync } from "node:fs"
import type { CostRecord, CostReport } from "@llm-orchestrator/core"
import {
  type Cassette,
  cassetteReply,
  loadCassettes,
  type SimulatorFleet,
  startSimulatorFleet,
  withEditedUsage
} from "@llm-orchestrator/testing"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { cells, lines, runCli, tempDir } from "./cli-support.ts"

const recorded = (folder: "anthropic" | "gemini", name: string): Cassette =>
  loadCassettes(folder).find((c) => c.name === name)!

/** Google bills tool results fed back to the model (grounding, code execution) as input. */
const toolUsePromptTokens = 1_200
const grounded = (cassette: Cassette) =>
  withEditedUsage(cassette, `${cassette.name}-grounded`, (usage) => {
    usage.toolUsePromptTokenCount = toolUsePromptTokens
    usage.totalTokenCount = (usage.totalTokenCount as number) + toolUsePromptTokens
  })

/** A counter of the recorded Gemini usage (the body's last usageMetadata; 0 when absent). */
const recordedCount = (cassette: Cassette, field: string): number =>
  Number([...(cassette.response.body ?? "").matchAll(new RegExp(`"${field}": ?(\\d+)`, "g"))].at(-1)?.[1] ?? 0)

describe("tool usage in the cost log and in `costs`", { timeout: 180_000 }, () => {
  const webSearch = recorded("anthropic", "test_anthropic_text_parts_ahead_of_built_in_tool_call__0")
  const webSearchStream = recorded("anthropic", "test_anthropic_text_parts_ahead_of_built_in_tool_call__1")
  const geminiPlain = recorded("gemini", "test_google_decimal_native_output__0")
  const geminiStream = recorded("gemini", "test_google_stream_usage_is_live_mid_stream__0")
  let fleet: SimulatorFleet
  let dir: ReturnType<typeof tempDir>
  let logPath: string
  let records: Array<CostRecord>
  const stderrs: Array<string> = []
  beforeAll(async () => {
    fleet = await startSimulatorFleet()
    dir = tempDir()
    logPath = `${dir.path}/costs.jsonl`
    const config = dir.file("config.yaml", fleet.configYaml({ costLogPath: logPath }))
    fleet.anthropic.script(cassetteReply(webSearch), cassetteReply(webSearchStream))
    fleet.gemini.script(cassetteReply(grounded(geminiPlain)), cassetteReply(grounded(geminiStream)))
    for (const args of [
      ["--provider", "anthropic", "--model", "claude-sonnet-4-5", "--no-stream"],
      ["--provider", "anthropic", "--model", "claude-sonnet-4-5"],
      ["--provider", "gemini", "--model", "gemini-2.5-flash", "--no-stream"],
      ["--provider", "gemini", "--model", "gemini-2.5-flash"]
    ]) {
      const run = await runCli(["chat", "search the web", ...args, "--config", config])
      expect(run.code, run.stderr).toBe(0)
      stderrs.push(run.stderr)
    }
    records = lines(readFileSync(logPath, "utf8")).map((line) => JSON.parse(line) as CostRecord)
  }, 180_000)
  afterAll(async () => {
    await fleet.close()
    dir.cleanup()
  })

  it("an Anthropic web-search call records the search and its $10-per-1,000 fee, plain and streamed", () => {
    const anthropic = records.filter((r) => r.provider === "anthropic")
    expect(anthropic.map((r) => r.stream)).toEqual([false, true])
    for (const record of anthropic) {
      expect(record.usage.webSearches).toBe(1)
      expect(record.cost?.tools).toBeCloseTo(0.01, 12)
      const { tools, total, input, cacheRead, cacheWrite, output, reasoning } = record.cost!
      expect(total).toBeCloseTo(input + cacheRead + cacheWrite + output + reasoning + tools!, 12)
    }
    // The recorded plain answer's usage: input_tokens 16083, output_tokens 165, no cache, one web search.
    // https://docs.anthropic.com/en/docs/about-claude/pricing: Claude Sonnet 4.5 $3 input, $15 output per
    // 1M; web search $10 per 1,000 searches. That is $0.060724, as the reference (genai-prices) says.
    expect(anthropic[0]!.usage).toMatchObject({ inputTokens: 16_083, outputTokens: 165, cacheReadTokens: 0 })
    expect(anthropic[0]!.cost!.total).toBeCloseTo((16_083 * 3 + 165 * 15) / 1e6 + 10 / 1000, 12)
    // `chat` says so on its cost line.
    expect(stderrs[0]).toContain("1 web search)")
    expect(stderrs[0]).toContain("cost $0.060724 (tools $0.010000)")
  })

  it("a grounded Gemini call records the tool-use prompt tokens as input and prices them", () => {
    const gemini = records.filter((r) => r.provider === "gemini")
    expect(gemini.map((r) => r.stream)).toEqual([false, true])
    const sources = [grounded(geminiPlain), grounded(geminiStream)]
    gemini.forEach((record, i) => {
      const count = (field: string) => recordedCount(sources[i]!, field)
      expect(count("cachedContentTokenCount")).toBe(0) // no cache rate needed below
      // The recorded parts add up to the recorded total: the usage below is the whole of it.
      const [prompt, toolUse, candidates, thoughts] = [
        count("promptTokenCount"),
        count("toolUsePromptTokenCount"),
        count("candidatesTokenCount"),
        count("thoughtsTokenCount")
      ]
      expect(toolUse).toBe(toolUsePromptTokens)
      expect(prompt + toolUse + candidates + thoughts).toBe(count("totalTokenCount"))
      expect(record.usage.inputTokens).toBe(prompt + toolUse)
      expect(record.usage.outputTokens).toBe(candidates + thoughts)
      expect(record.usage.reasoningTokens).toBe(thoughts)
      // https://ai.google.dev/gemini-api/docs/pricing: Gemini 2.5 Flash $0.30 per 1M text input (tool-use
      // prompt tokens included), $2.50 per 1M output (thinking tokens included).
      expect(record.cost!.total).toBeCloseTo(((prompt + toolUse) * 0.3 + (candidates + thoughts) * 2.5) / 1e6, 12)
      expect(record.cost).not.toHaveProperty("tools")
    })
  })

  it("`costs` totals include the tool fees, in their own column and in --json", async () => {
    const [table, json] = await Promise.all([
      runCli(["costs", logPath, "--by", "provider"]),
      runCli(["costs", logPath, "--json"])
    ])
    expect(table.code, table.stderr).toBe(0)
    const rows = lines(table.stdout)
    const header = cells(rows[0]!)
    const toolsColumn = header.indexOf("TOOLS")
    expect(header.slice(toolsColumn, toolsColumn + 2)).toEqual(["TOOLS", "USD"])
    const total = records.reduce((sum, r) => sum + (r.cost?.total ?? 0), 0)
    expect(cells(rows.find((row) => row.startsWith("TOTAL"))!).slice(-2)).toEqual(["$0.020000", `$${total.toFixed(6)}`])
    expect(cells(rows.find((row) => row.startsWith("gemini"))!).at(-2)).toBe("$0.000000")
    const report = JSON.parse(json.stdout) as CostReport
    expect(report.toolsUsd).toBeCloseTo(0.02, 12)
    expect(report.costUsd).toBeCloseTo(total, 12)
    expect(report.usage.webSearches).toBe(2)
    expect(report.byProvider.anthropic?.usage.webSearches).toBe(2)
    expect(report.byProvider.gemini?.usage).not.toHaveProperty("webSearches")
    expect(report.usage.inputTokens).toBe(records.reduce((sum, r) => sum + r.usage.inputTokens, 0))
  })
})
