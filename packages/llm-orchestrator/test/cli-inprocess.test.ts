/**
 * The same commands as the spawned-process tests, run in this process through `runCli` (so coverage
 * sees the command code) with stdout and stderr captured: one pass over each command's main paths.
 */
import { readFileSync } from "node:fs"
import type { ChatResponse, CostRecord, CostReport, ModelInfo } from "@llm-orchestrator/core"
import { type SimulatorFleet, startSimulatorFleet } from "@llm-orchestrator/testing"
import { Effect } from "effect"
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest"
import { runCli } from "../src/cli/app.ts"
import { fleetSecrets, lines, tempDir } from "./cli-support.ts"

interface Captured {
  readonly code: number
  readonly stdout: string
  readonly stderr: string
}

const capture = async (args: ReadonlyArray<string>): Promise<Captured> => {
  let stdout = ""
  let stderr = ""
  const out = vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
    stdout += String(chunk)
    return true
  })
  const err = vi.spyOn(process.stderr, "write").mockImplementation((chunk: string | Uint8Array) => {
    stderr += String(chunk)
    return true
  })
  try {
    const code = await Effect.runPromise(runCli(args))
    return { code, stdout, stderr }
  } finally {
    out.mockRestore()
    err.mockRestore()
  }
}

describe("runCli in process", { timeout: 60_000 }, () => {
  let fleet: SimulatorFleet
  let dir: ReturnType<typeof tempDir>
  let config: string
  let logPath: string
  const outputs: Array<Captured> = []
  const run = async (args: ReadonlyArray<string>) => {
    const result = await capture(args)
    outputs.push(result)
    return result
  }
  beforeAll(async () => {
    fleet = await startSimulatorFleet()
    dir = tempDir()
    logPath = `${dir.path}/costs.jsonl`
    config = dir.file("config.yaml", fleet.configYaml({ costLogPath: logPath }))
  })
  afterAll(async () => {
    await fleet.close()
    dir.cleanup()
    // Nothing any command printed contains a secret of the config.
    for (const output of outputs)
      for (const secret of fleetSecrets) expect(output.stdout + output.stderr).not.toContain(secret)
  })

  it("models: table and JSON", async () => {
    const table = await run(["models", "gemini", "--config", config])
    expect(table.code).toBe(0)
    const json = await run(["models", "gemini", "--json", "--refresh", "--config", config])
    const listed = JSON.parse(json.stdout) as Array<ModelInfo>
    expect(listed.length).toBeGreaterThan(0)
    expect(
      lines(table.stdout)
        .slice(1)
        .map((row) => row.split(/\s+/)[1])
    ).toEqual(listed.map((m) => m.id))
  })

  it("chat: streamed, --no-stream, --json, and a provider override", async () => {
    fleet.openai.script(
      { kind: "text", text: "streamed text" },
      { kind: "text", text: "plain text" },
      { kind: "text", text: "json text" }
    )
    fleet.gemini.script({ kind: "text", text: "gemini text" })
    const streamed = await run(["chat", "a", "--tag", "feature=test", "--temperature", "0.2", "--config", config])
    expect(streamed).toMatchObject({ code: 0, stdout: "streamed text\n" })
    const plain = await run(["chat", "b", "--no-stream", "--max-tokens", "50", "--config", config])
    expect(plain).toMatchObject({ code: 0, stdout: "plain text\n" })
    const json = await run(["chat", "c", "--json", "--no-stream", "--config", config])
    expect((JSON.parse(json.stdout) as ChatResponse).content).toBe("json text")
    const gemini = await run(["chat", "d", "--provider", "gemini", "--model", "gemini-2.5-pro", "--config", config])
    expect(gemini).toMatchObject({ code: 0, stdout: "gemini text\n" })
    expect(gemini.stderr).toContain("gemini/gemini-2.5-pro |")
    const generate = fleet.openai.requests.filter((r) => r.kind === "generate").map((r) => r.body)
    expect(generate[0]).toMatchObject({ max_completion_tokens: 50 })
    const stream = fleet.openai.requests.find((r) => r.kind === "stream")
    expect(stream?.body).toMatchObject({ temperature: 0.2 })
  })

  it("costs: the report of the log the chats wrote", async () => {
    const records = lines(readFileSync(logPath, "utf8")).map((line) => JSON.parse(line) as CostRecord)
    expect(records).toHaveLength(4)
    const json = await run(["costs", logPath, "--json", "--since", "1h"])
    expect((JSON.parse(json.stdout) as CostReport).calls).toBe(records.length)
    for (const by of ["provider", "model", "tag"]) {
      const table = await run(["costs", logPath, "--by", by])
      expect(table.code).toBe(0)
      expect(lines(table.stdout).at(-1)!.split(/\s+/).slice(0, 2)).toEqual(["TOTAL", String(records.length)])
    }
    const fromConfig = await run(["costs", "--config", config, "--json"])
    expect((JSON.parse(fromConfig.stdout) as CostReport).calls).toBe(records.length)
  })

  it("check: summary and problems; usage and config errors", async () => {
    const ok = await run(["check", config])
    expect(ok.code).toBe(0)
    expect(ok.stdout).toContain(`${config}: OK`)
    const broken = dir.file("broken.yaml", "active_provider: openia\nproviders: {}\n")
    const bad = await run(["check", broken])
    expect(bad.code).toBe(1)
    expect(lines(bad.stderr).length).toBeGreaterThan(1)
    expect((await run(["chat"])).code).toBe(2)
    expect((await run(["costs", logPath, "--since", "soon"])).code).toBe(2)
    const missing = await run(["models", "--config", `${dir.path}/none.yaml`])
    expect(missing).toMatchObject({ code: 1, stdout: "" })
    const noLog = dir.file("no-log.yaml", fleet.configYaml())
    expect((await run(["costs", "--config", noLog])).code).toBe(2)
  })
})
