/**
 * The Promise facade's `runTools` through the real OpenAI SDK against the simulator: async tools run,
 * their results reach the wire, a throwing tool becomes an error result, and aborting the call while a
 * tool runs rejects with `RequestAbortedError` and aborts the tool's own signal.
 */
import { join } from "node:path"
import { type SimulatorFleet, startSimulatorFleet } from "@llm-orchestrator/testing"
import { type AsyncTool, createOrchestrator, RequestAbortedError } from "llm-orchestrator"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { tempDir, writeConfig } from "./support.ts"

let fleet: SimulatorFleet
beforeAll(async () => {
  fleet = await startSimulatorFleet()
})
afterAll(() => fleet.close())

const parameters = { type: "object", properties: { city: { type: "string" } }, required: ["city"] }
const ask = { role: "user" as const, content: "Weather in Paris?" }

const orchestrator = async () => {
  fleet.openai.reset()
  const dir = tempDir()
  return createOrchestrator(writeConfig(fleet, { costLogPath: join(dir, "costs.jsonl") }, dir))
}

/** The bodies of the chat requests the OpenAI simulator received. */
const chatBodies = () =>
  fleet.openai.requests.filter((r) => r.kind !== "models").map((r) => r.body as { messages: Array<unknown> })

describe("runTools (Promise facade)", () => {
  it("runs an async tool, sends its result and returns the answer with both steps' usage", async () => {
    const llm = await orchestrator()
    fleet.openai.script(
      {
        kind: "text",
        text: "",
        toolCalls: [{ id: "call_7", name: "get_weather", arguments: { city: "Paris" } }],
        usage: { inputTokens: 40, outputTokens: 9 }
      },
      { kind: "text", text: "21 degrees.", usage: { inputTokens: 60, outputTokens: 3 } }
    )
    const weather: AsyncTool = {
      name: "get_weather",
      parameters,
      execute: async (args) => ({ city: args.city, celsius: 21 })
    }
    const result = await llm.runTools({ messages: [ask] }, [weather])
    expect(result.response.content).toBe("21 degrees.")
    expect(result.steps).toHaveLength(2)
    expect(result.usage.inputTokens).toBe(100)
    expect(result.usage.outputTokens).toBe(12)
    const [, second] = chatBodies()
    expect(second!.messages).toEqual([
      { role: "user", content: "Weather in Paris?" },
      {
        role: "assistant",
        content: null,
        tool_calls: [
          { id: "call_7", type: "function", function: { name: "get_weather", arguments: '{"city":"Paris"}' } }
        ]
      },
      { role: "tool", tool_call_id: "call_7", content: '{"city":"Paris","celsius":21}' }
    ])
    await llm.close()
  })

  it("a tool that throws is answered with an error result the model reads", async () => {
    const llm = await orchestrator()
    fleet.openai.script(
      { kind: "text", text: "", toolCalls: [{ id: "call_8", name: "get_weather", arguments: { city: "Oslo" } }] },
      { kind: "text", text: "The weather service is down." }
    )
    const broken: AsyncTool = {
      name: "get_weather",
      parameters,
      execute: () => {
        throw new Error("service down")
      }
    }
    const result = await llm.runTools({ messages: [ask] }, [broken])
    expect(result.response.content).toBe("The weather service is down.")
    expect(chatBodies()[1]!.messages.at(-1)).toEqual({
      role: "tool",
      tool_call_id: "call_8",
      content: "the tool failed: service down"
    })
    await llm.close()
  })

  it("aborting while a tool runs rejects with RequestAbortedError and aborts the tool's signal", async () => {
    const llm = await orchestrator()
    fleet.openai.script({
      kind: "text",
      text: "",
      toolCalls: [{ id: "call_9", name: "get_weather", arguments: { city: "Rome" } }]
    })
    let toolSignal: AbortSignal | undefined
    let started!: () => void
    const running = new Promise<void>((resolve) => {
      started = resolve
    })
    const slow: AsyncTool = {
      name: "get_weather",
      parameters,
      execute: (_args, _call, signal) => {
        toolSignal = signal
        started()
        return new Promise(() => {}) // never settles on its own
      }
    }
    const controller = new AbortController()
    const call = llm.runTools({ messages: [ask] }, [slow], { signal: controller.signal })
    await running
    controller.abort()
    await expect(call).rejects.toBeInstanceOf(RequestAbortedError)
    expect(toolSignal?.aborted).toBe(true)
    // The model was asked once: nothing was sent after the abort.
    expect(chatBodies()).toHaveLength(1)
    await llm.close()
  })
})
