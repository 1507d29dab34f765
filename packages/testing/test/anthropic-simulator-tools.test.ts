/**
 * Scripted tool calls as the Anthropic simulator serves them, read as raw bytes (not through an adapter):
 * the `tool_use` blocks of a plain message, and a stream's `tool_use` block start, an empty then the
 * scripted pieces of `input_json_delta`, and its stop, at content indices after thinking and text; the
 * SDK's own stream accumulator rebuilds the same message. Replies without tool calls are unchanged.
 */
import Anthropic from "@anthropic-ai/sdk"
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "@effect/vitest"
import { type Simulator, startAnthropicSimulator } from "@llm-orchestrator/testing"

let sim: Simulator
beforeAll(async () => {
  sim = await startAnthropicSimulator()
})
afterAll(() => sim.close())
beforeEach(() => sim.reset())

const model = "claude-sonnet-4-6"
const post = (stream: boolean) =>
  fetch(`${sim.url}/v1/messages`, {
    method: "POST",
    headers: { "x-api-key": "sk-ant-test", "content-type": "application/json" },
    body: JSON.stringify({ model, max_tokens: 100, stream, messages: [{ role: "user", content: "Hi" }] })
  })

const events = (text: string) =>
  text
    .split("\n")
    .filter((line) => line.startsWith("data: "))
    .map((line) => JSON.parse(line.slice(6)) as Record<string, unknown> & { type: string })

describe("Anthropic simulator: scripted tool calls", () => {
  it("plain: text, then tool_use blocks with the input object, stop_reason tool_use, ids toolu_ when not scripted", async () => {
    sim.script({
      kind: "text",
      text: "Checking.",
      toolCalls: [
        { name: "get_weather", arguments: { city: "Paris" } },
        { id: "toolu_mine", name: "get_time", arguments: {} }
      ]
    })
    const message = (await (await post(false)).json()) as {
      content: Array<Record<string, unknown>>
      stop_reason: string
    }
    expect(message.stop_reason).toBe("tool_use")
    expect(message.content).toEqual([
      { type: "text", text: "Checking." },
      {
        type: "tool_use",
        id: expect.stringMatching(/^toolu_01[A-Za-z0-9]{22}$/),
        name: "get_weather",
        input: { city: "Paris" },
        caller: { type: "direct" }
      },
      { type: "tool_use", id: "toolu_mine", name: "get_time", input: {}, caller: { type: "direct" } }
    ])
  })

  it("streamed after thinking and without text: block indices, an empty first piece, then near-equal pieces", async () => {
    sim.script({
      kind: "text",
      text: "",
      usage: { reasoningTokens: 5 },
      toolCalls: [{ id: "toolu_a", name: "get_weather", arguments: { city: "Paris" }, argumentsChunks: 2 }]
    })
    const all = events(await (await post(true)).text())
    const blocks = all.filter((e) => e.type.startsWith("content_block"))
    const toolEvents = blocks.filter((e) => e.index === 1)
    expect(blocks.filter((e) => e.type === "content_block_start").map((e) => e.index)).toEqual([0, 1])
    expect(toolEvents).toEqual([
      {
        type: "content_block_start",
        index: 1,
        content_block: { type: "tool_use", id: "toolu_a", name: "get_weather", input: {}, caller: { type: "direct" } }
      },
      { type: "content_block_delta", index: 1, delta: { type: "input_json_delta", partial_json: "" } },
      { type: "content_block_delta", index: 1, delta: { type: "input_json_delta", partial_json: '{"city":' } },
      { type: "content_block_delta", index: 1, delta: { type: "input_json_delta", partial_json: '"Paris"}' } },
      { type: "content_block_stop", index: 1 }
    ])
    expect(all.find((e) => e.type === "message_delta")).toMatchObject({ delta: { stop_reason: "tool_use" } })
    expect(all.at(-1)).toEqual({ type: "message_stop" })
  })

  it("the SDK's stream accumulator rebuilds the streamed message as the plain one", async () => {
    const reply = {
      kind: "text" as const,
      text: "Let me look.",
      toolCalls: [
        { id: "toolu_1", name: "a", arguments: { x: [1, 2], y: "z" } },
        { id: "toolu_2", name: "b", arguments: {} }
      ]
    }
    sim.script(reply, reply)
    const client = new Anthropic({ apiKey: "sk-ant-test", baseURL: sim.url, maxRetries: 0 })
    const plain = await client.messages.create({ model, max_tokens: 100, messages: [{ role: "user", content: "Hi" }] })
    const streamed = await client.messages
      .stream({ model, max_tokens: 100, messages: [{ role: "user", content: "Hi" }] })
      .finalMessage()
    expect(streamed.content).toEqual(plain.content)
    expect(streamed.stop_reason).toBe("tool_use")
    expect(plain.content.map((block) => (block.type === "tool_use" ? block.input : block.type))).toEqual([
      "text",
      { x: [1, 2], y: "z" },
      {}
    ])
  })

  it("a reply without tool calls keeps its text block and end_turn", async () => {
    sim.script({ kind: "text", text: "" })
    const message = (await (await post(false)).json()) as { content: unknown; stop_reason: string }
    expect(message).toMatchObject({ content: [{ type: "text", text: "" }], stop_reason: "end_turn" })
  })
})
