/**
 * Tool calls in the recorded Anthropic exchanges, replayed through the real `@anthropic-ai/sdk` and the
 * adapter: every recorded `tool_use` answer gives exactly its calls (ids, names, inputs, in order) and
 * finish reason; `server_tool_use` blocks (run at Anthropic) are never client calls, plain or streamed;
 * and the recorded requests' tools, tool_choice and tool history come out of our mapping as recorded.
 * Expected values are read from the recorded bodies here, never from the adapter.
 */
import { describe, expect, it } from "@effect/vitest"
import {
  type ChatRequest,
  type ContentPart,
  LLMProvider,
  type Message,
  type ProviderStreamEvent,
  type ToolChoice
} from "@llm-orchestrator/core"
import { AnthropicProvider } from "@llm-orchestrator/providers"
import {
  anthropicSimulator,
  type Cassette,
  cassetteReply,
  isStreamingCassette,
  loadCassettes,
  type Simulator
} from "@llm-orchestrator/testing"
import { Effect, Redacted, Stream } from "effect"

const model = "claude-sonnet-4-6"
const hello: ChatRequest = { messages: [{ role: "user", content: "Hello" }] }

const withProvider = <A, E>(body: (provider: LLMProvider["Service"], sim: Simulator) => Effect.Effect<A, E>) =>
  Effect.scoped(
    Effect.gen(function* () {
      const sim = yield* anthropicSimulator()
      const layer = AnthropicProvider.layer({ apiKey: Redacted.make("sk-ant-test-0000"), baseUrl: sim.url })
      const provider = yield* Effect.provide(Effect.service(LLMProvider), layer)
      return yield* body(provider, sim)
    })
  )

interface RecordedBlock {
  readonly type: string
  readonly text?: string
  readonly id?: string
  readonly name?: string
  readonly input?: unknown
  readonly tool_use_id?: string
  readonly content?: string | ReadonlyArray<{ readonly type: string; readonly text?: string }>
  readonly is_error?: boolean
}

/** The content blocks of a recorded answer and its stop reason: from the JSON, or rebuilt from the SSE events. */
const recordedAnswer = (cassette: Cassette): { blocks: Array<RecordedBlock>; stopReason: string } => {
  const body = cassette.response.body ?? ""
  if (!isStreamingCassette(cassette)) {
    const message = JSON.parse(body) as { content: Array<RecordedBlock>; stop_reason: string }
    return { blocks: message.content, stopReason: message.stop_reason }
  }
  const blocks: Array<RecordedBlock & { json?: string }> = []
  let stopReason = ""
  for (const line of body.split("\n")) {
    if (!line.startsWith("data:")) continue
    const event = JSON.parse(line.slice(5)) as {
      type: string
      index: number
      content_block?: RecordedBlock
      delta?: { type?: string; text?: string; partial_json?: string; stop_reason?: string }
    }
    if (event.type === "content_block_start") blocks[event.index] = { ...event.content_block!, json: "" }
    if (event.type === "content_block_delta") {
      const block = blocks[event.index]!
      if (event.delta!.type === "text_delta") blocks[event.index] = { ...block, text: block.text + event.delta!.text! }
      if (event.delta!.type === "input_json_delta") block.json += event.delta!.partial_json!
    }
    if (event.type === "content_block_stop" && blocks[event.index]!.type === "tool_use") {
      const block = blocks[event.index]!
      blocks[event.index] = { ...block, input: block.json ? JSON.parse(block.json) : {} }
    }
    if (event.type === "message_delta") stopReason = event.delta!.stop_reason!
  }
  return { blocks, stopReason }
}

const isAnswered = (cassette: Cassette) => cassette.response.status === 200 && cassette.request.path === "/v1/messages"
const answers = loadCassettes("anthropic").filter(isAnswered)
const withToolUse = answers.filter((c) => recordedAnswer(c).blocks.some((b) => b.type === "tool_use"))
const withServerTools = answers.filter((c) => recordedAnswer(c).blocks.some((b) => b.type === "server_tool_use"))

const recordedCalls = (cassette: Cassette) =>
  recordedAnswer(cassette).blocks.flatMap((b) =>
    b.type === "tool_use" ? [{ id: b.id, name: b.name, arguments: b.input }] : []
  )
const recordedText = (cassette: Cassette) =>
  recordedAnswer(cassette)
    .blocks.flatMap((b) => (b.type === "text" ? [b.text ?? ""] : []))
    .join("")

describe("Anthropic tool calls: every recorded tool_use answer", () => {
  it("the recordings hold the tool_use answers and server tool answers this file replays", () => {
    // 7 answers with client tool calls (some with thinking first), 4 with server tools (2 of them streamed).
    expect(withToolUse.length).toBeGreaterThanOrEqual(7)
    expect(withServerTools.length).toBeGreaterThanOrEqual(4)
    expect(withServerTools.filter(isStreamingCassette).length).toBeGreaterThanOrEqual(2)
    expect(withToolUse.some((c) => recordedAnswer(c).blocks.some((b) => b.type === "thinking"))).toBe(true)
  })

  for (const cassette of withToolUse)
    it.live(cassette.name, () =>
      withProvider((provider, sim) =>
        Effect.gen(function* () {
          sim.script(cassetteReply(cassette))
          const expected = recordedCalls(cassette)
          expect(expected.length).toBeGreaterThan(0)
          if (isStreamingCassette(cassette)) {
            const events = yield* Stream.runCollect(provider.stream(hello, model))
            const calls = events.flatMap((e) => (e._tag === "ToolCall" ? [e] : []))
            expect(calls.map(({ _tag, ...call }) => call)).toEqual(expected)
            expect(events.at(-1)).toMatchObject({ _tag: "ProviderFinish", finishReason: "tool-calls" })
            return
          }
          const response = yield* provider.generate(hello, model)
          expect(response.toolCalls).toEqual(expected)
          expect(recordedAnswer(cassette).stopReason).toBe("tool_use")
          expect(response.finishReason).toBe("tool-calls")
          expect(response.content).toBe(recordedText(cassette))
        })
      )
    )
})

describe("Anthropic tool calls: server tools are not client calls", () => {
  for (const cassette of withServerTools)
    it.live(cassette.name, () =>
      withProvider((provider, sim) =>
        Effect.gen(function* () {
          sim.script(cassetteReply(cassette))
          if (isStreamingCassette(cassette)) {
            const events: ReadonlyArray<ProviderStreamEvent> = yield* Stream.runCollect(provider.stream(hello, model))
            expect(events.filter((e) => e._tag.startsWith("ToolCall"))).toEqual([])
            expect(events.flatMap((e) => (e._tag === "TextDelta" ? [e.text] : [])).join("")).toBe(
              recordedText(cassette)
            )
            return
          }
          const response = yield* provider.generate(hello, model)
          expect("toolCalls" in response).toBe(false)
          expect(response.content).toBe(recordedText(cassette))
        })
      )
    )
})

// The request side: the recorded requests rebuilt as domain requests, sent through our mapping.

interface RecordedRequestBody {
  readonly system?: string | ReadonlyArray<{ readonly text: string }>
  readonly messages: ReadonlyArray<{ readonly role: string; readonly content: string | ReadonlyArray<RecordedBlock> }>
  readonly tools?: ReadonlyArray<Record<string, unknown>>
  readonly tool_choice?: { readonly type: string; readonly name?: string }
}

const recordedRequest = (cassette: Cassette) => cassette.request.body as RecordedRequestBody
/** Function tools only: server tools (`type` set) are not part of the domain. */
const customTools = (body: RecordedRequestBody) =>
  (body.tools ?? []).filter((tool) => tool.type === undefined || tool.type === "custom")

const toolChoiceOf = (choice: { type: string; name?: string }): ToolChoice =>
  choice.type === "any" ? "required" : choice.type === "tool" ? { tool: choice.name! } : (choice.type as ToolChoice)

const resultText = (content: RecordedBlock["content"]) =>
  typeof content === "string" ? content : (content ?? []).map((b) => b.text ?? "").join("")

/** The recorded history as domain messages, or undefined when it holds blocks the domain has no part for. */
const domainMessages = (body: RecordedRequestBody): Array<Message> | undefined => {
  const names = new Map<string, string>()
  const messages: Array<Message> = []
  for (const message of body.messages) {
    if (message.role !== "user" && message.role !== "assistant") return undefined
    if (typeof message.content === "string") {
      messages.push({ role: message.role, content: message.content })
      continue
    }
    const results: Array<ContentPart> = []
    const parts: Array<ContentPart> = []
    for (const block of message.content) {
      if (block.type === "text") parts.push({ type: "text", text: block.text! })
      else if (block.type === "tool_use") {
        names.set(block.id!, block.name!)
        parts.push({
          type: "tool-call",
          id: block.id!,
          name: block.name!,
          arguments: block.input as Record<string, unknown>
        })
      } else if (block.type === "tool_result")
        results.push({
          type: "tool-result",
          id: block.tool_use_id!,
          name: names.get(block.tool_use_id!)!,
          result: resultText(block.content),
          ...(block.is_error !== undefined ? { isError: block.is_error } : {})
        })
      else return undefined
    }
    if (results.length > 0) messages.push({ role: "tool", content: results })
    if (parts.length > 0) messages.push({ role: message.role, content: parts })
  }
  return messages
}

/** A message's content as blocks: the API reads a string as one text block. */
const asBlocks = (content: unknown) => (typeof content === "string" ? [{ type: "text", text: content }] : content)
const normalised = (messages: ReadonlyArray<{ role: string; content: unknown }>) =>
  messages.map((m) => ({
    role: m.role,
    content: (asBlocks(m.content) as ReadonlyArray<RecordedBlock>).map((b) =>
      b.type === "tool_result" ? { ...b, content: resultText(b.content) } : b
    )
  }))

/** What our mapping makes of a recorded tool: the keys the domain has (name, description, schema). */
const domainTool = (tool: Record<string, unknown>) => ({
  name: tool.name as string,
  ...(tool.description !== undefined ? { description: tool.description as string } : {}),
  parameters: tool.input_schema as Record<string, unknown>
})

const withTools = loadCassettes("anthropic").filter((c) => customTools(recordedRequest(c)).length > 0)

describe("Anthropic tool calls: the recorded requests come out of our mapping as recorded", () => {
  it("the recordings hold requests with function tools, several with a tool history", () => {
    expect(withTools.length).toBeGreaterThanOrEqual(12)
    const histories = withTools.filter((c) => {
      const messages = domainMessages(recordedRequest(c))
      return messages?.some((m) => m.role === "tool") === true
    })
    expect(histories.length).toBeGreaterThanOrEqual(2)
  })

  for (const cassette of withTools)
    it.live(cassette.name, () =>
      withProvider((provider, sim) =>
        Effect.gen(function* () {
          const body = recordedRequest(cassette)
          const tools = customTools(body)
          const history = domainMessages(body)
          sim.script({ kind: "text", text: "ok" })
          yield* provider.generate(
            {
              messages: history ?? [{ role: "user", content: "Hello" }],
              tools: tools.map(domainTool),
              ...(body.tool_choice ? { toolChoice: toolChoiceOf(body.tool_choice) } : {})
            },
            model
          )
          const sent = sim.requests[0]!.body as RecordedRequestBody
          // Keys of the recording that the domain does not model (strict, defer_loading) are left out.
          expect(sent.tools).toEqual(
            tools.map(({ name, description, input_schema }) => ({
              name,
              ...(description !== undefined ? { description } : {}),
              input_schema
            }))
          )
          if (body.tool_choice) expect(sent.tool_choice).toEqual(body.tool_choice)
          if (history !== undefined) expect(normalised(sent.messages)).toEqual(normalised(body.messages))
        })
      )
    )
})
