/**
 * `runTools` (Promise facade) with reasoning, against the simulator fleet through the real Anthropic
 * SDK: the first step's signed thinking goes back first in the assistant turn of the second step
 * (the simulator refuses a thinking tool turn without it, or with a changed signature), and the
 * result's messages keep it for the next turn.
 */
import { join } from "node:path"
import { reasoningSignature, type SimulatorFleet, startSimulatorFleet } from "@llm-orchestrator/testing"
import { type AsyncTool, createOrchestrator } from "llm-orchestrator"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { tempDir, writeConfig } from "./support.ts"

let fleet: SimulatorFleet
beforeAll(async () => {
  fleet = await startSimulatorFleet()
})
afterAll(() => fleet.close())

const thought = "The weather tool knows."

describe("runTools (Promise facade) with reasoning", () => {
  it("carries the signed thinking from step to step on Anthropic", async () => {
    const dir = tempDir()
    const llm = await createOrchestrator(
      writeConfig(fleet, { activeProvider: "anthropic", costLogPath: join(dir, "costs.jsonl") }, dir)
    )
    fleet.anthropic.script(
      {
        kind: "text",
        text: "",
        reasoning: thought,
        toolCalls: [{ id: "toolu_07", name: "get_weather", arguments: { city: "Paris" } }]
      },
      { kind: "text", text: "21 degrees.", reasoning: "Answer now." }
    )
    const weather: AsyncTool = {
      name: "get_weather",
      parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
      execute: async () => ({ celsius: 21 })
    }
    const result = await llm.runTools(
      { messages: [{ role: "user", content: "Weather in Paris?" }], reasoning: { effort: "low" } },
      [weather]
    )
    expect(result.response.content).toBe("21 degrees.")
    expect(result.response.reasoning).toBe("Answer now.")
    const part = {
      type: "reasoning",
      text: thought,
      source: "anthropic",
      signature: reasoningSignature("anthropic", thought)
    }
    expect(result.messages[1]).toEqual({
      role: "assistant",
      content: [part, { type: "tool-call", id: "toolu_07", name: "get_weather", arguments: { city: "Paris" } }]
    })
    const second = fleet.anthropic.requests.filter((r) => r.kind !== "models").at(-1)!.body as {
      messages: Array<{ content: Array<{ type: string }> }>
    }
    expect(second.messages[1]!.content.map((block) => block.type)).toEqual(["thinking", "tool_use"])
    await llm.close()
  })
})
