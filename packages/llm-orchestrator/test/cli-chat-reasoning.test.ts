/**
 * `llm-orchestrator chat --reasoning low|medium|high` and `--reasoning-budget N` against the simulator
 * fleet, as a user runs them: the request reaches Anthropic as `thinking` with its budget, the model's
 * reasoning goes to stderr with each line prefixed "thinking: " (streamed or not) while stdout holds the
 * answer alone, `--json` lists it as `reasoning`, and a bad budget is refused before anything is sent.
 */
import type { SimulatorFleet } from "@llm-orchestrator/testing"
import { startSimulatorFleet } from "@llm-orchestrator/testing"
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest"
import { runCli, tempDir } from "./cli-support.ts"

const thought = "Crossing safely:\nlook both ways."

describe("llm-orchestrator chat with reasoning", { timeout: 60_000 }, () => {
  let fleet: SimulatorFleet
  let dir: ReturnType<typeof tempDir>
  let config: string
  beforeAll(async () => {
    fleet = await startSimulatorFleet()
    dir = tempDir()
    config = dir.file("config.yaml", fleet.configYaml({ costLogPath: `${dir.path}/costs.jsonl` }))
  })
  afterAll(async () => {
    await fleet.close()
    dir.cleanup()
  })
  afterEach(() => fleet.anthropic.reset())

  const anthropic = () => ["--config", config, "--provider", "anthropic", "--model", "claude-sonnet-4-6"]
  const sent = () => fleet.anthropic.requests.filter((r) => r.kind !== "models").at(-1)!.body as Record<string, unknown>

  for (const stream of [true, false]) {
    it(`--reasoning low: thinking on the wire, the reasoning on stderr, the answer on stdout (${stream ? "streamed" : "--no-stream"})`, async () => {
      fleet.anthropic.script({ kind: "text", text: "Look both ways.", reasoning: thought })
      const result = await runCli([
        "chat",
        "How do I cross the street?",
        ...anthropic(),
        "--reasoning",
        "low",
        ...(stream ? [] : ["--no-stream"])
      ])
      expect(result.code).toBe(0)
      expect(result.stdout).toBe("Look both ways.\n")
      expect(result.stderr).toContain("thinking: Crossing safely:\nthinking: look both ways.\n")
      expect(sent().thinking).toEqual({ type: "enabled", budget_tokens: 2048 })
    })
  }

  it("--reasoning-budget N sends that budget; --json lists the reasoning", async () => {
    fleet.anthropic.script({ kind: "text", text: "Look both ways.", reasoning: thought })
    const result = await runCli([
      "chat",
      "How?",
      ...anthropic(),
      "--reasoning-budget",
      "3000",
      "--max-tokens",
      "5000",
      "--json"
    ])
    expect(result.code).toBe(0)
    const json = JSON.parse(result.stdout) as { content: string; reasoning?: string }
    expect(json.content).toBe("Look both ways.")
    expect(json.reasoning).toBe(thought)
    expect(sent().thinking).toEqual({ type: "enabled", budget_tokens: 3000 })
    expect(sent().max_tokens).toBe(5000)
  })

  it("a budget at --max-tokens is refused before anything is sent, saying what to do", async () => {
    const result = await runCli(["chat", "How?", ...anthropic(), "--reasoning-budget", "2000", "--max-tokens", "2000"])
    expect(result.code).not.toBe(0)
    expect(result.stderr).toContain("request.reasoning.budgetTokens (2000) must be below request.maxTokens (2000)")
    expect(fleet.anthropic.requests.filter((r) => r.kind !== "models")).toEqual([])
  })

  it("an unknown effort is a usage error", async () => {
    const result = await runCli(["chat", "How?", ...anthropic(), "--reasoning", "max"])
    expect(result.code).not.toBe(0)
    expect(result.stderr).toContain("max")
  })
})
