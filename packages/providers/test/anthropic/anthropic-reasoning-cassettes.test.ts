/**
 * Thinking in the recorded Anthropic exchanges, replayed through the real `@anthropic-ai/sdk` and the
 * adapter: every recorded answer with thinking or redacted_thinking blocks gives their text in
 * `response.reasoning` and each block (signature or redacted data as recorded) in `reasoningParts`,
 * plain and streamed; the recorded thinking requests' `thinking` comes out of our mapping as recorded.
 * Expected values are read from the recorded bodies here, never from the adapter.
 */
import { describe, expect, it } from "@effect/vitest"
import {
  type ChatRequest,
  type ContentPart,
  LLMProvider,
  type Message,
  type ReasoningPart
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

const withProvider = <A, E>(body: (provider: LLMProvider["Service"], sim: Simulator) => Effect.Effect<A, E>) =>
  Effect.scoped(
    Effect.gen(function* () {
      const sim = yield* anthropicSimulator()
      const layer = AnthropicProvider.layer({ apiKey: Redacted.make("sk-ant-test-0000"), baseUrl: sim.url })
      const provider = yield* Effect.provide(Effect.service(LLMProvider), layer)
      return yield* body(provider, sim)
    })
  )

interface Block {
  type: string
  thinking?: string
  signature?: string
  data?: string
}

/** The recorded thinking blocks as reasoning parts, by this test's own reading of the body. */
const recordedParts = (cassette: Cassette): Array<ReasoningPart> => {
  const body = cassette.response.body ?? ""
  const blocks: Array<Block> = []
  if (!isStreamingCassette(cassette)) blocks.push(...(JSON.parse(body) as { content: Array<Block> }).content)
  else
    for (const line of body.split("\n")) {
      if (!line.startsWith("data:")) continue
      const event = JSON.parse(line.slice(5)) as {
        type: string
        index: number
        content_block?: Block
        delta?: { type: string; thinking?: string; signature?: string }
      }
      if (event.type === "content_block_start") blocks[event.index] = { ...event.content_block! }
      if (event.type === "content_block_delta" && event.delta!.type === "thinking_delta")
        blocks[event.index]!.thinking += event.delta!.thinking!
      if (event.type === "content_block_delta" && event.delta!.type === "signature_delta")
        blocks[event.index]!.signature += event.delta!.signature!
    }
  return blocks.flatMap(
    (b): Array<ReasoningPart> =>
      b.type === "thinking"
        ? [
            {
              type: "reasoning",
              text: b.thinking!,
              source: "anthropic",
              ...(b.signature ? { signature: b.signature } : {})
            }
          ]
        : b.type === "redacted_thinking"
          ? [{ type: "reasoning", text: "", source: "anthropic", redacted: b.data! }]
          : []
  )
}

const answers = loadCassettes("anthropic").filter((c) => c.response.status === 200 && c.request.path === "/v1/messages")
const withThinking = answers.filter((c) => recordedParts(c).length > 0)
const hello: ChatRequest = { messages: [{ role: "user", content: "Hello" }] }

describe("Anthropic reasoning: every recorded answer with thinking", () => {
  it("the recordings hold thinking answers, plain and streamed, and a redacted one", () => {
    expect(withThinking.length).toBeGreaterThanOrEqual(8)
    expect(withThinking.filter(isStreamingCassette).length).toBeGreaterThanOrEqual(1)
    expect(withThinking.some((c) => recordedParts(c).some((p) => p.redacted !== undefined))).toBe(true)
  })

  for (const cassette of withThinking)
    it.live(cassette.name, () =>
      withProvider((provider, sim) =>
        Effect.gen(function* () {
          sim.script(cassetteReply(cassette))
          const expected = recordedParts(cassette)
          const text = expected.map((p) => p.text).join("")
          if (isStreamingCassette(cassette)) {
            const events = yield* Stream.runCollect(provider.stream(hello, "claude-sonnet-4-0"))
            expect(events.flatMap((e) => (e._tag === "ReasoningDelta" ? [e.text] : [])).join("")).toBe(text)
            const finish = events.at(-1)!
            expect(finish._tag === "ProviderFinish" && finish.reasoningParts).toEqual(expected)
            const firstText = events.findIndex((e) => e._tag === "TextDelta")
            if (firstText >= 0) expect(events.findLastIndex((e) => e._tag === "ReasoningDelta")).toBeLessThan(firstText)
            return
          }
          const response = yield* provider.generate(hello, "claude-sonnet-4-5")
          expect(response.reasoningParts).toEqual(expected)
          if (text === "") expect("reasoning" in response).toBe(false)
          else expect(response.reasoning).toBe(text)
        })
      )
    )
})

describe("Anthropic reasoning: the recorded thinking requests", () => {
  const recorded = answers.filter((c) => {
    const thinking = (c.request.body as { thinking?: { type?: string } }).thinking
    return thinking?.type === "enabled"
  })
  it("there are recorded requests with thinking enabled", () => {
    expect(recorded.length).toBeGreaterThanOrEqual(4)
  })
  for (const cassette of recorded)
    it.live(`${cassette.name}: the budget and max_tokens as recorded`, () =>
      withProvider((provider, sim) =>
        Effect.gen(function* () {
          const body = cassette.request.body as { max_tokens: number; thinking: { budget_tokens: number } }
          yield* provider.generate(
            { ...hello, maxTokens: body.max_tokens, reasoning: { budgetTokens: body.thinking.budget_tokens } },
            "claude-sonnet-4-5"
          )
          const sent = sim.requests.at(-1)!.body as Record<string, unknown>
          expect(sent.thinking).toEqual(body.thinking)
          expect(sent.max_tokens).toBe(body.max_tokens)
        })
      )
    )
})

interface RecordedMessage {
  readonly role: "user" | "assistant"
  readonly content: ReadonlyArray<{
    type: string
    text?: string
    thinking?: string
    signature?: string
    data?: string
    id?: string
    name?: string
    input?: Record<string, unknown>
    tool_use_id?: string
    content?: string
  }>
}

/** The recorded history as domain messages: the test's own reading of the wire form. */
const domainMessages = (messages: ReadonlyArray<RecordedMessage>): Array<Message> => {
  const names = new Map<string, string>()
  return messages.map((message): Message => {
    if (message.content.every((b) => b.type === "tool_result"))
      return {
        role: "tool",
        content: message.content.map((b) => ({
          type: "tool-result" as const,
          id: b.tool_use_id!,
          name: names.get(b.tool_use_id!)!,
          result: b.content!
        }))
      }
    if (message.role === "user") return { role: "user", content: message.content.map((b) => b.text).join("") }
    return {
      role: "assistant",
      content: message.content.map((b): ContentPart => {
        if (b.type === "thinking")
          return { type: "reasoning", text: b.thinking!, source: "anthropic", signature: b.signature! }
        if (b.type === "redacted_thinking")
          return { type: "reasoning", text: "", source: "anthropic", redacted: b.data! }
        if (b.type === "tool_use") {
          names.set(b.id!, b.name!)
          return { type: "tool-call", id: b.id!, name: b.name!, arguments: b.input! }
        }
        return { type: "text", text: b.text! }
      })
    }
  })
}

describe("Anthropic reasoning: the recorded histories with thinking", () => {
  const withHistory = answers.filter((c) =>
    ((c.request.body as { messages: ReadonlyArray<RecordedMessage> }).messages ?? []).some(
      (m) => m.role === "assistant" && Array.isArray(m.content) && m.content.some((b) => b.type.endsWith("thinking"))
    )
  )
  it("there are recorded requests sending thinking, redacted thinking and a tool turn back", () => {
    expect(withHistory.length).toBeGreaterThanOrEqual(3)
  })
  for (const cassette of withHistory)
    it.live(`${cassette.name}: the assistant turns go out as recorded, thinking and signatures unchanged`, () =>
      withProvider((provider, sim) =>
        Effect.gen(function* () {
          const body = cassette.request.body as {
            max_tokens: number
            thinking: { budget_tokens: number }
            messages: ReadonlyArray<RecordedMessage>
            tools?: ReadonlyArray<{ name: string; description?: string; input_schema: Record<string, unknown> }>
          }
          const request: ChatRequest = {
            messages: domainMessages(body.messages),
            maxTokens: body.max_tokens,
            reasoning: { budgetTokens: body.thinking.budget_tokens },
            ...(body.tools
              ? {
                  tools: body.tools.map((t) => ({
                    name: t.name,
                    description: t.description ?? "",
                    parameters: t.input_schema
                  }))
                }
              : {})
          }
          // The simulator cannot verify Anthropic's real signatures (only its own): it refuses them, after
          // recording what was sent, which is what this test compares. Redacted data is opaque: accepted.
          const signed = body.messages.some(
            (m) => Array.isArray(m.content) && m.content.some((b) => b.type === "thinking")
          )
          const outcome = yield* Effect.result(provider.generate(request, "claude-sonnet-4-5-20250929"))
          if (signed) expect(outcome._tag === "Failure" && outcome.failure.message).toContain("Invalid `signature`")
          else expect(outcome._tag).toBe("Success")
          const sent = sim.requests.at(-1)!.body as { messages: ReadonlyArray<RecordedMessage>; thinking: unknown }
          expect(sent.thinking).toEqual(body.thinking)
          const assistant = (messages: ReadonlyArray<RecordedMessage>) => messages.filter((m) => m.role === "assistant")
          expect(assistant(sent.messages)).toEqual(assistant(body.messages))
        })
      )
    )
})
