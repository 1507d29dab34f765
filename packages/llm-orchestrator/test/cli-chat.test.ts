/**
 * `llm-orchestrator chat` against the simulator fleet: streamed text on stdout as it arrives, the
 * cost line on stderr (equal to the cost log's record), `--json`, `--no-stream`, `--provider` /
 * `--model` overrides, fallback attempts, and one-line typed errors.
 */

import { readFileSync } from "node:fs"
import type { ChatResponse, CostRecord, OrchestratorConfig } from "@llm-orchestrator/core"
import { type SimulatorFleet, startSimulatorFleet } from "@llm-orchestrator/testing"
import { Effect } from "effect"
import { parseConfig } from "llm-orchestrator"
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest"
import { seeds } from "../../core/test/config-support.ts"
import { leakedSecrets, lines, runCli, tempDir } from "./cli-support.ts"

const readLog = (path: string): Array<CostRecord> =>
  lines(readFileSync(path, "utf8")).map((line) => JSON.parse(line) as CostRecord)

describe("llm-orchestrator chat", { timeout: 60_000 }, () => {
  let fleet: SimulatorFleet
  let dir: ReturnType<typeof tempDir>
  let config: string
  let logPath: string
  let run = 0
  // What the fleet's config says (active model, fallbacks): the expectations follow it.
  let fleetConfig: OrchestratorConfig
  beforeAll(async () => {
    fleet = await startSimulatorFleet()
    dir = tempDir()
    fleetConfig = Effect.runSync(parseConfig(fleet.configYaml()))
  })
  afterAll(async () => {
    await fleet.close()
    dir.cleanup()
  })
  // Each test gets its own cost log, so its records are exactly that run's.
  const freshConfig = (extra: Parameters<SimulatorFleet["configYaml"]>[0] = {}) => {
    run += 1
    logPath = `${dir.path}/costs-${run}.jsonl`
    config = dir.file(`config-${run}.yaml`, fleet.configYaml({ costLogPath: logPath, ...extra }))
    return config
  }
  afterEach(() => {
    for (const sim of [fleet.openai, fleet.anthropic, fleet.gemini, fleet.vertex, fleet.bedrock]) sim.reset()
  })

  it("streams the answer to stdout as it arrives and prints the cost line on stderr", async () => {
    const pieces = ["The ", "answer ", "arrives ", "in ", "pieces."]
    fleet.openai.script({ kind: "text", text: pieces.join(""), chunks: pieces, chunkDelayMs: 150 })
    const result = await runCli(["chat", "hi", "--config", freshConfig()])
    expect(result.code).toBe(0)
    expect(result.stdout).toBe(`${pieces.join("")}\n`)
    // Streamed: stdout was read in parts, the first holding the start of the answer and not its end
    // (the pieces are 150 ms apart; printed at the end, the answer would come as one write).
    expect(result.stdoutChunks.length).toBeGreaterThan(1)
    expect(result.stdoutChunks[0]!.startsWith(pieces[0]!)).toBe(true)
    expect(result.stdoutChunks[0]).not.toContain(pieces.at(-1))
    expect(fleet.openai.requests.at(-1)?.kind).toBe("stream")
    const [record] = readLog(logPath)
    const active = fleetConfig.activeModel
    expect(record).toMatchObject({ provider: "openai", model: active, outcome: "success", stream: true })
    expect(lines(result.stderr)).toHaveLength(1)
    expect(result.stderr).toContain(`openai/${active} |`)
    expect(result.stderr).toContain(`tokens ${record!.usage.inputTokens} in, ${record!.usage.outputTokens} out`)
    expect(result.stderr).toContain(`cost $${record!.cost!.total.toFixed(6)}`)
    // https://openai.com/api/pricing: gpt-4o-mini $0.15 input, $0.60 output per 1M (no cache here).
    expect(active).toBe("gpt-4o-mini")
    expect(record!.cost!.total).toBeCloseTo(
      (record!.usage.inputTokens * 0.15 + record!.usage.outputTokens * 0.6) / 1e6,
      12
    )
    expect(leakedSecrets(result)).toEqual([])
  })

  it("--json prints one ChatResponse whose content is the scripted answer", async () => {
    const text = "A scripted answer for the JSON test."
    const usage = { inputTokens: 21, outputTokens: 9, cacheReadTokens: 4 }
    fleet.openai.script({ kind: "text", text, usage })
    const result = await runCli(["chat", "hello", "--json", "--config", freshConfig()])
    expect(result.code).toBe(0)
    const response = JSON.parse(result.stdout) as ChatResponse
    const [record] = readLog(logPath)
    expect(response).toMatchObject({
      content: text,
      provider: "openai",
      model: fleetConfig.activeModel,
      finishReason: "stop",
      usage: { ...usage, cacheWriteTokens: 0, reasoningTokens: 0 },
      cost: record!.cost
    })
    expect(response.attempts).toEqual([expect.objectContaining({ model: fleetConfig.activeModel, outcome: "success" })])
    expect(typeof response.latencyMs).toBe("number")
    // Only the JSON on stdout: no cost line there, and none on stderr either in JSON mode.
    expect(result.stderr).toBe("")
  })

  it("--no-stream sends one non-streamed request and prints its answer", async () => {
    fleet.openai.script({ kind: "text", text: "Not streamed." })
    const result = await runCli(["chat", "hi", "--no-stream", "--config", freshConfig()])
    expect(result.code).toBe(0)
    expect(result.stdout).toBe("Not streamed.\n")
    expect(fleet.openai.requests.filter((r) => r.kind !== "models").map((r) => r.kind)).toEqual(["generate"])
    expect(readLog(logPath)).toEqual([expect.objectContaining({ stream: false, outcome: "success" })])
  })

  it("--provider anthropic switches provider (its first fallback model); --model picks the model", async () => {
    fleet.anthropic.script({ kind: "text", text: "Anthropic here." }, { kind: "text", text: "Haiku here." })
    const [firstFallback, secondFallback] = seeds(fleetConfig).anthropic!.fallbackModels
    const switched = await runCli(["chat", "hi", "--provider", "anthropic", "--config", freshConfig()])
    expect(switched.code).toBe(0)
    expect(switched.stdout).toBe("Anthropic here.\n")
    expect(switched.stderr).toContain(`anthropic/${firstFallback} |`)
    const chosen = await runCli([
      "chat",
      "hi",
      "--provider",
      "anthropic",
      "--model",
      secondFallback!,
      "--system",
      "Be brief.",
      "--config",
      config
    ])
    expect(chosen.code).toBe(0)
    expect(chosen.stdout).toBe("Haiku here.\n")
    const calls = fleet.anthropic.requests.filter((r) => r.kind !== "models")
    expect(calls.map((r) => r.model)).toEqual([firstFallback, secondFallback])
    // The system prompt went in Anthropic's own field (a string or text blocks), not among the messages.
    const body = calls[1]!.body as { system?: unknown; messages: Array<{ role: string }> }
    expect(JSON.stringify(body.system)).toContain("Be brief.")
    expect(body.messages.map((m) => m.role)).toEqual(["user"])
    expect(fleet.openai.requests).toEqual([])
  })

  it("shows the attempts when the request fell back to another model", async () => {
    const active = fleetConfig.activeModel
    const next = seeds(fleetConfig).openai!.fallbackModels.find((model) => model !== active)!
    fleet.openai.scriptModel(active, { kind: "error", fault: "model-not-found" })
    fleet.openai.scriptModel(next, { kind: "text", text: "From the fallback." })
    const result = await runCli(["chat", "hi", "--config", freshConfig()])
    expect(result.code).toBe(0)
    expect(result.stdout).toBe("From the fallback.\n")
    expect(result.stderr).toContain(`openai/${next} |`)
    expect(result.stderr).toContain(`attempts openai/${active}#1 ModelNotFoundError, openai/${next}#1 ok`)
  })

  it("a provider error is one line naming the error, exit code 1, no stack trace", async () => {
    fleet.openai.script({ kind: "error", fault: "auth" }, { kind: "error", fault: "auth" })
    const result = await runCli(["chat", "hi", "--config", freshConfig()])
    expect(result.code).toBe(1)
    expect(result.stdout).toBe("")
    expect(lines(result.stderr)).toHaveLength(1)
    expect(
      result.stderr.startsWith(`error: AuthenticationError from openai/${fleetConfig.activeModel} (HTTP 401): `)
    ).toBe(true)
    expect(result.stderr).not.toMatch(/\n\s+at /)
    expect(leakedSecrets(result)).toEqual([])
  })

  it("an unknown or unconfigured provider is a one-line error listing the configured ones", async () => {
    const unknown = await runCli(["chat", "hi", "--provider", "opnai", "--config", freshConfig()])
    expect(unknown.code).toBe(1)
    expect(lines(unknown.stderr)).toEqual([
      'error: unknown provider "opnai"; did you mean openai? Configured providers: openai, anthropic, gemini, vertex, bedrock'
    ])
    // A config with only openai: asking for anthropic names what is configured.
    const onlyOpenAI = dir.file(
      "only-openai.yaml",
      fleet
        .configYaml()
        .split("\n")
        .filter((_, i, all) => {
          const start = all.indexOf("  anthropic:")
          const end = all.indexOf("cost_tracking:")
          return i < start || i >= end
        })
        .join("\n")
    )
    const unconfigured = await runCli(["chat", "hi", "--provider", "anthropic", "--config", onlyOpenAI])
    expect(unconfigured.code).toBe(1)
    expect(lines(unconfigured.stderr)).toEqual([
      "error: provider anthropic is not configured; add providers.anthropic to the config (configured: openai)"
    ])
    expect(fleet.anthropic.requests).toEqual([])
  })

  it("Ctrl-C during a stream stops it, exits 130 and still logs the interrupted call", async () => {
    const text = "one two three four five six seven eight"
    fleet.openai.script({ kind: "text", text, chunkDelayMs: 300 })
    const result = await runCli(["chat", "hi", "--config", freshConfig()], { interruptOnFirstOutput: true })
    expect(result.code).toBe(130)
    // Only the start of the answer was printed, and its line was ended.
    expect(text.startsWith(result.stdout.trimEnd())).toBe(true)
    expect(result.stdout.length).toBeLessThan(text.length)
    expect(result.stdout.endsWith("\n")).toBe(true)
    expect(readLog(logPath)).toEqual([
      expect.objectContaining({ provider: "openai", model: fleetConfig.activeModel, outcome: "interrupted" })
    ])
    // The simulator saw the client close the stream early.
    expect(fleet.openai.requests.find((r) => r.kind === "stream")?.abortedAt).toBeDefined()
  })

  it("a missing prompt is a usage error (exit code 2)", async () => {
    const result = await runCli(["chat", "--config", freshConfig()])
    expect(result.code).toBe(2)
    expect(result.stdout).toBe("")
    expect(result.stderr).toContain("Missing required argument: prompt")
  })
})
