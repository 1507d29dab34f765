/**
 * The three recorded prompt-caching exchanges (cassettes anthropic/test_anthropic_cache_real_api__1 and
 * bedrock/test_bedrock_cache_point_adds_cache_control_*) replayed through the real SDKs and our layer:
 * the recorded request, written with `providerOptions`, reaches the wire with the recorded markers, and
 * the recorded usage comes back normalised. Expected values are read from the recordings here.
 */
import { describe, expect, it } from "@effect/vitest"
import { type ChatRequest, LLMProvider, type Message } from "@llm-orchestrator/core"
import { AnthropicProvider, BedrockProvider } from "@llm-orchestrator/providers"
import { anthropicSimulator, bedrockSimulator, cassetteReply, loadCassettes } from "@llm-orchestrator/testing"
import { Effect, Redacted } from "effect"

const point = { bedrock: { cachePoint: { type: "default" } } } as const

describe("Anthropic: the recorded automatic-caching exchange", () => {
  const cassette = loadCassettes("anthropic").find((c) => c.name === "test_anthropic_cache_real_api__1")!
  interface Recorded {
    readonly model: string
    readonly max_tokens: number
    readonly system: string
    readonly cache_control: { readonly type: "ephemeral"; readonly ttl: "5m" | "1h" }
    readonly messages: ReadonlyArray<{
      readonly role: "user" | "assistant"
      readonly content: ReadonlyArray<{ readonly text: string }>
    }>
  }
  const recorded = cassette.request.body as Recorded

  it.live("sends the recorded top-level cache_control and reads the recorded cache usage", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const sim = yield* anthropicSimulator()
        const llm = yield* Effect.provide(
          Effect.service(LLMProvider),
          AnthropicProvider.layer({ apiKey: Redacted.make("sk-ant-test-0000"), baseUrl: sim.url })
        )
        sim.script(cassetteReply(cassette))
        const request: ChatRequest = {
          messages: [
            { role: "system", content: recorded.system },
            ...recorded.messages.map(
              (m): Message => ({ role: m.role, content: m.content.map((block) => block.text).join("") })
            )
          ],
          maxTokens: recorded.max_tokens,
          providerOptions: { anthropic: { cacheControl: recorded.cache_control }, ...point }
        }
        const response = yield* llm.generate(request, recorded.model)
        const sent = sim.requests[0]!.body as Record<string, unknown>
        expect(sent.cache_control).toEqual(recorded.cache_control)
        expect(sent.system).toBe(recorded.system)
        expect(sent.max_tokens).toBe(recorded.max_tokens)
        expect((sent.messages as ReadonlyArray<{ content: string }>).map((m) => m.content)).toEqual(
          recorded.messages.map((m) => m.content.map((block) => block.text).join(""))
        )
        const wire = JSON.parse(cassette.response.body ?? "{}") as {
          content: ReadonlyArray<{ text: string }>
          usage: {
            input_tokens: number
            output_tokens: number
            cache_read_input_tokens: number
            cache_creation_input_tokens: number
            cache_creation: { ephemeral_1h_input_tokens: number }
          }
        }
        // The recording wrote 5-minute entries only: no 1-hour count may appear.
        expect(wire.usage.cache_creation.ephemeral_1h_input_tokens).toBe(0)
        expect(response.content).toBe(wire.content[0]!.text)
        expect(response.usage).toEqual({
          inputTokens:
            wire.usage.input_tokens + wire.usage.cache_read_input_tokens + wire.usage.cache_creation_input_tokens,
          outputTokens: wire.usage.output_tokens,
          cacheReadTokens: wire.usage.cache_read_input_tokens,
          cacheWriteTokens: wire.usage.cache_creation_input_tokens,
          reasoningTokens: 0
        })
      })
    )
  )
})

describe("Bedrock: the recorded cache-point exchanges", () => {
  const cassettes = loadCassettes("bedrock").filter((c) =>
    c.name.startsWith("test_bedrock_cache_point_adds_cache_control")
  )
  interface Block {
    readonly text?: string
    readonly cachePoint?: unknown
  }
  interface Recorded {
    readonly system: ReadonlyArray<Block>
    readonly messages: ReadonlyArray<{ readonly role: "user"; readonly content: ReadonlyArray<Block> }>
  }

  it("holds the two recorded models, Claude and Nova", () => {
    expect(cassettes.map((c) => c.name)).toEqual([
      "test_bedrock_cache_point_adds_cache_control_claude-sonnet-4-5___0",
      "test_bedrock_cache_point_adds_cache_control_nova-lite___0"
    ])
  })

  /** The recorded blocks as domain parts: a text followed by a cachePoint carries the marker. */
  const partsOf = (blocks: ReadonlyArray<Block>) =>
    blocks.flatMap((block, i) =>
      block.text === undefined
        ? []
        : [
            {
              type: "text" as const,
              text: block.text,
              ...(blocks[i + 1]?.cachePoint !== undefined ? { providerOptions: point } : {})
            }
          ]
    )

  for (const cassette of cassettes)
    it.live(cassette.name, () =>
      Effect.gen(function* () {
        const sim = yield* bedrockSimulator()
        sim.script(cassetteReply(cassette))
        const model = decodeURIComponent(cassette.request.path.split("/")[2] ?? "")
        const recorded = cassette.request.body as Recorded
        const request: ChatRequest = {
          messages: [
            { role: "system", content: partsOf(recorded.system) },
            ...recorded.messages.map((m): Message => ({ role: m.role, content: partsOf(m.content) }))
          ],
          // Anthropic's marker rides along and must not reach Bedrock.
          providerOptions: { anthropic: { cacheControl: { type: "ephemeral" } } }
        }
        const response = yield* LLMProvider.use((llm) => llm.generate(request, model)).pipe(
          Effect.provide(
            BedrockProvider.layer({
              region: "us-east-1",
              baseUrl: sim.url,
              accessKeyId: Redacted.make("AKIDCASSETTE"),
              secretAccessKey: Redacted.make("cassette-secret")
            })
          )
        )
        const sent = sim.requests[0]!.body as Recorded
        expect(sent.system).toEqual(recorded.system)
        expect(sent.messages).toEqual(recorded.messages)
        const wire = JSON.parse(cassette.response.body ?? "{}") as {
          output: { message: { content: ReadonlyArray<{ text: string }> } }
          usage: {
            inputTokens: number
            outputTokens: number
            cacheReadInputTokens: number
            cacheWriteInputTokens: number
          }
        }
        expect(wire.usage.cacheWriteInputTokens).toBeGreaterThan(0)
        expect(response.content).toBe(wire.output.message.content[0]!.text)
        expect(response.usage).toEqual({
          inputTokens: wire.usage.inputTokens + wire.usage.cacheReadInputTokens + wire.usage.cacheWriteInputTokens,
          outputTokens: wire.usage.outputTokens,
          cacheReadTokens: wire.usage.cacheReadInputTokens,
          cacheWriteTokens: wire.usage.cacheWriteInputTokens,
          reasoningTokens: 0
        })
      })
    )
})
