/**
 * Thinking in the recorded Anthropic exchanges, replayed through the real `@anthropic-ai/sdk` and the
 * adapter: every recorded answer with thinking or redacted_thinking blocks gives their text in
 * `response.reasoning` and each block (signature or redacted data as recorded) in `reasoningParts`,
 * plain and streamed; the recorded thinking requests' `thinking` comes out of our mapping as recorded.
 * Expected values are read from the recorded bodies here, never from the adapter.
 */
import { describe, expect, it } from "@effect/vitest"
import { type ChatRequest, LLMProvider, type ReasoningPart } from "@llm-orchestrator/core"
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
