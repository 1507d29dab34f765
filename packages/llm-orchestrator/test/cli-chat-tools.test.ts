/**
 * `llm-orchestrator chat --tools FILE [--tool-choice ...]` against the simulator fleet: the tools reach
 * the wire, the calls the model makes are printed (streamed and not) and listed in `--json`, and a bad
 * tools file is a usage error before any request.
 */
import type { SimulatorFleet } from "@llm-orchestrator/testing"
import { startSimulatorFleet } from "@llm-orchestrator/testing"
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest"
import { runCli, tempDir } from "./cli-support.ts"

const weather = {
  name: "get_weather",
  description: "The weather in a city",
  parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] }
}
const call = { id: "call_42", name: "get_weather", arguments: { city: "Paris" } }

describe("llm-orchestrator chat with tools", { timeout: 60_000 }, () => {
  let fleet: SimulatorFleet
  let dir: ReturnType<typeof tempDir>
  let config: string
  let toolsFile: string
  beforeAll(async () => {
    fleet = await startSimulatorFleet()
    dir = tempDir()
    config = dir.file("config.yaml", fleet.configYaml({ costLogPath: `${dir.path}/costs.jsonl` }))
    toolsFile = dir.file("tools.json", JSON.stringify([weather]))
  })
  afterAll(async () => {
    await fleet.close()
    dir.cleanup()
  })
  afterEach(() => fleet.openai.reset())

  const chatBody = () =>
    fleet.openai.requests.filter((r) => r.kind !== "models").at(-1)!.body as Record<string, unknown>

  for (const stream of [true, false]) {
    it(`prints the text and then each tool call on a line of its own (${stream ? "streamed" : "--no-stream"})`, async () => {
      fleet.openai.script({ kind: "text", text: "Checking.", toolCalls: [call] })
      const result = await runCli([
        "chat",
        "Weather in Paris?",
        "--config",
        config,
        "--tools",
        toolsFile,
        "--tool-choice",
        "get_weather",
        ...(stream ? [] : ["--no-stream"])
      ])
      expect(result.code).toBe(0)
      expect(result.stdout).toBe('Checking.\ntool call: get_weather({"city":"Paris"}) [call_42]\n')
      const body = chatBody()
      expect(body.tools).toEqual([{ type: "function", function: weather }])
      expect(body.tool_choice).toEqual({ type: "function", function: { name: "get_weather" } })
    })
  }

  it("--json lists the tool calls", async () => {
    fleet.openai.script({ kind: "text", text: "", toolCalls: [call] })
    const result = await runCli(["chat", "Weather?", "--config", config, "--tools", toolsFile, "--json"])
    expect(result.code).toBe(0)
    const printed = JSON.parse(result.stdout) as { toolCalls: unknown; finishReason: string; content: string }
    expect(printed.toolCalls).toEqual([call])
    expect(printed.finishReason).toBe("tool-calls")
    expect(printed.content).toBe("")
  })

  it("a tools file that is not a JSON array is a usage error (exit 2) before any request", async () => {
    const notArray = dir.file("tool.json", JSON.stringify(weather))
    const broken = dir.file("broken.json", "[{")
    for (const [file, message] of [
      [notArray, "it must hold a JSON array of { name, description?, parameters }"],
      [broken, "JSON"],
      [`${dir.path}/missing.json`, "ENOENT"]
    ] as const) {
      const result = await runCli(["chat", "hi", "--config", config, "--tools", file])
      expect(result.code, file).toBe(2)
      expect(result.stderr, file).toContain(`--tools ${file}: `)
      expect(result.stderr, file).toContain(message)
    }
    expect(fleet.openai.requests.filter((r) => r.kind !== "models")).toHaveLength(0)
  })

  it("a tool the request rules refuse fails with the InvalidRequestError naming the field", async () => {
    const badName = dir.file("bad-name.json", JSON.stringify([{ ...weather, name: "get.weather" }]))
    const result = await runCli(["chat", "hi", "--config", config, "--tools", badName])
    expect(result.code).toBe(1)
    expect(result.stderr).toContain("InvalidRequestError")
    expect(result.stderr).toContain("request.tools[0].name is missing or invalid")
    expect(fleet.openai.requests.filter((r) => r.kind !== "models")).toHaveLength(0)
  })
})
