/**
 * Every recorded Bedrock exchange that uses tools (its request has a toolConfig), replayed through the
 * provider layer and the real SDK with the recorded conversation rebuilt as a domain request: the wire
 * request our mapping sends is checked against the recorded one, and the tool calls, text and finish
 * reason against the recorded body (JSON, or event-stream frames decoded here), never against the adapter.
 */
import { describe, expect, it } from "@effect/vitest"
import {
  type ChatRequest,
  type ContentPart,
  LLMProvider,
  type Message,
  type ProviderStreamEvent,
  type ToolCall
} from "@llm-orchestrator/core"
import { bedrockSimulator, cassetteReply, isStreamingCassette, loadCassettes } from "@llm-orchestrator/testing"
import { Effect, Redacted, Stream } from "effect"
import { BedrockProvider } from "../../src/bedrock/bedrock.ts"

interface WireBlock {
  readonly text?: string
  readonly toolUse?: { readonly toolUseId: string; readonly name: string; readonly input: Record<string, unknown> }
  readonly toolResult?: {
    readonly toolUseId: string
    readonly content: ReadonlyArray<{ readonly text?: string; readonly json?: unknown }>
    readonly status?: string
  }
}
interface WireMessage {
  readonly role: "user" | "assistant"
  readonly content: ReadonlyArray<WireBlock>
}
interface WireToolConfig {
  readonly tools: ReadonlyArray<{
    readonly toolSpec: { readonly name: string; readonly description?: string; readonly inputSchema: { json: object } }
  }>
  readonly toolChoice?: { readonly auto?: object; readonly any?: object; readonly tool?: { readonly name: string } }
}
interface WireRequest {
  readonly messages: ReadonlyArray<WireMessage>
  readonly system?: ReadonlyArray<{ readonly text: string }>
  readonly toolConfig?: WireToolConfig
}

/** The events of an `application/vnd.amazon.eventstream` body: [event type, JSON payload]. */
const decodeFrames = (body: Buffer): ReadonlyArray<readonly [string, Record<string, unknown>]> => {
  const frames: Array<readonly [string, Record<string, unknown>]> = []
  for (let offset = 0; offset < body.length; ) {
    const total = body.readUInt32BE(offset)
    const headersLength = body.readUInt32BE(offset + 4)
    const headers = new Map<string, string>()
    for (let at = offset + 12; at < offset + 12 + headersLength; ) {
      const nameLength = body.readUInt8(at)
      const name = body.toString("utf8", at + 1, at + 1 + nameLength)
      at += 1 + nameLength + 1 // name, then the value type (7 = string: all Bedrock headers)
      const valueLength = body.readUInt16BE(at)
      headers.set(name, body.toString("utf8", at + 2, at + 2 + valueLength))
      at += 2 + valueLength
    }
    const payload = body.toString("utf8", offset + 12 + headersLength, offset + total - 4)
    frames.push([headers.get(":event-type") ?? "", JSON.parse(payload)])
    offset += total
  }
  return frames
}

/** The recorded conversation as a domain request: the test's own reading of the Converse wire form. */
const domainRequest = (wire: WireRequest): ChatRequest => {
  const names = new Map<string, string>()
  const messages: Array<Message> = (wire.system ?? []).map((block) => ({ role: "system", content: block.text }))
  for (const message of wire.messages) {
    const parts: Array<ContentPart> = []
    const results: Array<ContentPart> = []
    for (const block of message.content) {
      if (block.text !== undefined) parts.push({ type: "text", text: block.text })
      if (block.toolUse !== undefined) {
        names.set(block.toolUse.toolUseId, block.toolUse.name)
        parts.push({
          type: "tool-call",
          id: block.toolUse.toolUseId,
          name: block.toolUse.name,
          arguments: block.toolUse.input
        })
      }
      if (block.toolResult !== undefined)
        results.push({
          type: "tool-result",
          id: block.toolResult.toolUseId,
          name: names.get(block.toolResult.toolUseId) ?? "",
          result: block.toolResult.content.map((c) => c.text ?? "").join(""),
          ...(block.toolResult.status === "error" ? { isError: true } : {})
        })
    }
    if (results.length > 0) messages.push({ role: "tool", content: results })
    if (parts.length > 0) messages.push({ role: message.role, content: parts })
  }
  const config = wire.toolConfig
  const choice = config?.toolChoice
  return {
    messages,
    ...(config !== undefined
      ? {
          tools: config.tools.map(({ toolSpec }) => ({
            name: toolSpec.name,
            ...(toolSpec.description !== undefined ? { description: toolSpec.description } : {}),
            parameters: toolSpec.inputSchema.json as Record<string, unknown>
          }))
        }
      : {}),
    ...(choice?.auto !== undefined ? { toolChoice: "auto" as const } : {}),
    ...(choice?.any !== undefined ? { toolChoice: "required" as const } : {}),
    ...(choice?.tool !== undefined ? { toolChoice: { tool: choice.tool.name } } : {})
  }
}

const validId = /^[A-Za-z0-9_-]{1,64}$/

/**
 * The recorded messages as our rules send them: a recorded id outside Bedrock's safe shape is replaced
 * by what was sent in its place (checked valid and the same for the call and its result), and a
 * success status is left out (its absence means success).
 */
const expectedMessages = (recorded: ReadonlyArray<WireMessage>, sent: ReadonlyArray<WireMessage>) => {
  const replaced = new Map<string, string>()
  return recorded.map((message, m) => ({
    role: message.role,
    content: message.content.map((block, b) => {
      const sentBlock = sent[m]?.content[b]
      const idFor = (id: string, sentId: string | undefined) => {
        if (validId.test(id)) return id
        expect(sentId, `the id sent for ${id}`).toMatch(validId)
        const earlier = replaced.get(id)
        if (earlier !== undefined) expect(sentId, `call and result of ${id} keep one id`).toBe(earlier)
        replaced.set(id, sentId ?? "")
        return sentId
      }
      if (block.toolUse !== undefined)
        return {
          toolUse: { ...block.toolUse, toolUseId: idFor(block.toolUse.toolUseId, sentBlock?.toolUse?.toolUseId) }
        }
      if (block.toolResult !== undefined) {
        const { status, ...rest } = block.toolResult
        return {
          toolResult: {
            ...rest,
            toolUseId: idFor(block.toolResult.toolUseId, sentBlock?.toolResult?.toolUseId),
            ...(status === "error" ? { status } : {})
          }
        }
      }
      return block
    })
  }))
}

/** The recorded answer: text, tool calls (ids, names, arguments) in order, and the stop reason. */
const recordedAnswer = (body: string | undefined, bodyBase64: string | undefined) => {
  if (bodyBase64 === undefined) {
    const parsed = JSON.parse(body ?? "{}") as { output: { message: WireMessage }; stopReason: string }
    return {
      text: parsed.output.message.content.map((block) => block.text ?? "").join(""),
      toolCalls: parsed.output.message.content.flatMap((block) =>
        block.toolUse === undefined
          ? []
          : [{ id: block.toolUse.toolUseId, name: block.toolUse.name, arguments: block.toolUse.input }]
      ),
      order: [] as Array<string>,
      stopReason: parsed.stopReason
    }
  }
  let text = ""
  let stopReason = ""
  const open = new Map<number, { id: string; name: string; input: string }>()
  const toolCalls: Array<ToolCall> = []
  // The order the events must come in: "text" per text delta, "start:id", "delta:id", "call:id".
  const order: Array<string> = []
  for (const [type, payload] of decodeFrames(Buffer.from(bodyBase64, "base64"))) {
    const index = payload.contentBlockIndex as number
    if (type === "contentBlockStart") {
      const toolUse = (payload.start as { toolUse?: { toolUseId: string; name: string } }).toolUse
      if (toolUse !== undefined) {
        open.set(index, { id: toolUse.toolUseId, name: toolUse.name, input: "" })
        order.push(`start:${toolUse.toolUseId}`)
      }
    }
    if (type === "contentBlockDelta") {
      const delta = payload.delta as { text?: string; toolUse?: { input: string } }
      if (delta.text) {
        text += delta.text
        order.push("text")
      }
      const call = open.get(index)
      if (delta.toolUse !== undefined && call !== undefined) {
        call.input += delta.toolUse.input
        order.push(`delta:${call.id}`)
      }
    }
    if (type === "contentBlockStop") {
      const call = open.get(index)
      if (call !== undefined) {
        toolCalls.push({ id: call.id, name: call.name, arguments: JSON.parse(call.input) })
        order.push(`call:${call.id}`)
      }
    }
    if (type === "messageStop") stopReason = payload.stopReason as string
  }
  return { text, toolCalls, order, stopReason }
}

const finishFor: Record<string, string> = { tool_use: "tool-calls", end_turn: "stop", max_tokens: "length" }

const toolCassettes = loadCassettes("bedrock").filter((c) => (c.request.body as WireRequest).toolConfig !== undefined)
const answersWithTools = (c: (typeof toolCassettes)[number]) =>
  recordedAnswer(c.response.body, c.response.bodyBase64).toolCalls.length > 0

describe("BedrockProvider replays every recorded tool exchange", () => {
  it("the recordings hold the tool exchanges counted here", () => {
    expect(toolCassettes.length).toBeGreaterThanOrEqual(11)
    // Tool calls in the answer: four plain, one streamed.
    expect(toolCassettes.filter((c) => answersWithTools(c) && !isStreamingCassette(c)).length).toBeGreaterThanOrEqual(4)
    expect(toolCassettes.filter((c) => answersWithTools(c) && isStreamingCassette(c)).length).toBeGreaterThanOrEqual(1)
    // toolUse and toolResult blocks in the history: seven.
    expect(
      toolCassettes.filter((c) =>
        (c.request.body as WireRequest).messages.some((m) => m.content.some((b) => b.toolResult))
      ).length
    ).toBeGreaterThanOrEqual(6)
  })

  for (const cassette of toolCassettes) {
    it.live(cassette.name, () =>
      Effect.gen(function* () {
        const sim = yield* bedrockSimulator({ unknownModels: "answer" })
        sim.script(cassetteReply(cassette))
        const model = decodeURIComponent(cassette.request.path.split("/")[2] ?? "")
        const wire = cassette.request.body as WireRequest
        const request = domainRequest(wire)
        const expected = recordedAnswer(cassette.response.body, cassette.response.bodyBase64)
        yield* Effect.gen(function* () {
          const llm = yield* LLMProvider
          if (isStreamingCassette(cassette)) {
            const events: ReadonlyArray<ProviderStreamEvent> = yield* Stream.runCollect(llm.stream(request, model))
            expect(events.flatMap((e) => (e._tag === "TextDelta" ? [e.text] : [])).join("")).toBe(expected.text)
            expect(events.flatMap((e) => (e._tag === "ToolCall" ? [e] : []))).toEqual(
              expected.toolCalls.map((call) => ({ _tag: "ToolCall", ...call }))
            )
            const order = events.flatMap((e) =>
              e._tag === "TextDelta"
                ? ["text"]
                : e._tag === "ToolCallStart"
                  ? [`start:${e.id}`]
                  : e._tag === "ToolCallDelta"
                    ? [`delta:${e.id}`]
                    : e._tag === "ToolCall"
                      ? [`call:${e.id}`]
                      : []
            )
            expect(order).toEqual(expected.order)
            expect(events.at(-1)).toMatchObject({
              _tag: "ProviderFinish",
              finishReason: finishFor[expected.stopReason]
            })
          } else {
            const response = yield* llm.generate(request, model)
            expect(response.content).toBe(expected.text)
            expect(response.finishReason).toBe(finishFor[expected.stopReason])
            if (expected.toolCalls.length > 0) expect(response.toolCalls).toEqual(expected.toolCalls)
            else expect(response).not.toHaveProperty("toolCalls")
          }
        }).pipe(
          Effect.provide(
            BedrockProvider.layer({
              region: "us-east-1",
              baseUrl: sim.url,
              accessKeyId: Redacted.make("AKIDCASSETTE"),
              secretAccessKey: Redacted.make("cassette-secret")
            })
          )
        )
        // The same tools and history give the recorded wire form.
        const sent = sim.requests.at(-1)?.body as WireRequest
        expect(sent.toolConfig).toEqual(wire.toolConfig)
        expect(sent.messages).toEqual(expectedMessages(wire.messages, sent.messages))
      })
    )
  }
})
