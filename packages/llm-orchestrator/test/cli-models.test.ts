/**
 * `llm-orchestrator models` against the simulator fleet: the table and `--json` list what the
 * simulators list (chat models only), one provider or all.
 */
import type { ModelInfo } from "@llm-orchestrator/core"
import { defaultAnthropicModels, type SimulatorFleet, startSimulatorFleet } from "@llm-orchestrator/testing"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { cells, leakedSecrets, lines, runCli, tempDir } from "./cli-support.ts"

describe("llm-orchestrator models", { timeout: 60_000 }, () => {
  let fleet: SimulatorFleet
  let dir: ReturnType<typeof tempDir>
  let config: string
  beforeAll(async () => {
    fleet = await startSimulatorFleet()
    dir = tempDir()
    config = dir.file("config.yaml", fleet.configYaml())
  })
  afterAll(async () => {
    await fleet.close()
    dir.cleanup()
  })

  const anthropicChatModels = defaultAnthropicModels.filter((model) => model.chat !== false)

  it("prints a table of every configured provider's models, the same ones --json lists", async () => {
    const [table, json] = await Promise.all([
      runCli(["models", "--config", config]),
      runCli(["models", "--json", "--config", config])
    ])
    expect(table.code).toBe(0)
    expect(json.code).toBe(0)
    const [header, ...rows] = lines(table.stdout)
    expect(cells(header!)).toEqual(["PROVIDER", "MODEL", "NAME", "CONTEXT", "IN", "$/1M", "OUT", "$/1M"])
    const listed = JSON.parse(json.stdout) as Array<ModelInfo>
    expect(rows.map((row) => cells(row).slice(0, 2).join("/")).sort()).toEqual(
      listed.map((model) => `${model.provider}/${model.id}`).sort()
    )
    // Every configured provider answered, and Anthropic's rows are exactly the simulator's chat models.
    expect(new Set(listed.map((model) => model.provider))).toEqual(
      new Set(["openai", "anthropic", "gemini", "bedrock", "vertex"])
    )
    const anthropicRows = rows.filter((row) => cells(row)[0] === "anthropic").map((row) => cells(row)[1])
    expect(anthropicRows).toEqual(anthropicChatModels.map((model) => model.id))
    // The display name and the context window are printed ("Claude Haiku 4.5 ... 200k").
    const haiku = rows.find((row) => cells(row)[1] === "claude-haiku-4-5-20251001")!
    expect(haiku).toContain("Claude Haiku 4.5")
    expect(haiku).toMatch(/\s200k\s/)
    expect(leakedSecrets(table)).toEqual([])
  })

  it("models anthropic --json prints the simulator's chat models as ModelInfo", async () => {
    const run = await runCli(["models", "anthropic", "--json", "--refresh", "--config", config])
    expect(run.code).toBe(0)
    expect(run.stderr).toBe("")
    const listed = JSON.parse(run.stdout) as Array<ModelInfo>
    expect(listed.map((model) => model.id)).toEqual(anthropicChatModels.map((model) => model.id))
    for (const [i, model] of listed.entries()) {
      const simulated = anthropicChatModels[i]!
      expect(model).toMatchObject({
        provider: "anthropic",
        displayName: simulated.displayName,
        contextWindow: simulated.contextWindow
      })
    }
    // The listing went to the simulator (the CLI asked the provider's API).
    expect(fleet.anthropic.requests.some((request) => request.kind === "models")).toBe(true)
  })

  it("an unknown provider is a one-line error with exit code 1", async () => {
    const run = await runCli(["models", "anthropc", "--config", config])
    expect(run.code).toBe(1)
    expect(run.stdout).toBe("")
    expect(lines(run.stderr)).toEqual([
      'error: unknown provider "anthropc"; did you mean anthropic? Configured providers: openai, anthropic, gemini, vertex, bedrock'
    ])
  })

  it("a config path that does not exist is a one-line error with exit code 1", async () => {
    const missing = `${dir.path}/nowhere.yaml`
    const run = await runCli(["models", "--config", missing])
    expect(run.code).toBe(1)
    expect(lines(run.stderr)).toHaveLength(1)
    expect(run.stderr).toContain(missing)
    expect(run.stderr).not.toMatch(/\n\s+at /)
  })
})
