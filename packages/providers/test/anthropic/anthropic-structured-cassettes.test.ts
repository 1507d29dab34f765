/**
 * The recorded Anthropic structured-output exchange (cassettes/anthropic `test_anthropic_native_output*`)
 * replayed through the real `@anthropic-ai/sdk` and the adapter: given the recorded schema, the adapter
 * sends `output_config` as recorded, and the recorded text comes back exactly (JSON). Expected values are
 * read from the recording here.
 */
import { describe, expect, it } from "@effect/vitest"
import { LLMProvider } from "@llm-orchestrator/core"
import { AnthropicProvider } from "@llm-orchestrator/providers"
import { anthropicSimulator, cassetteReply, isStreamingCassette, loadCassettes } from "@llm-orchestrator/testing"
import { Effect, Redacted } from "effect"

interface RecordedRequest {
  readonly model: string
  readonly messages: ReadonlyArray<{ readonly role: string; readonly content: unknown }>
  readonly output_config: { readonly format: { readonly type: string; readonly schema: Record<string, unknown> } }
}

const cassettes = loadCassettes("anthropic").filter((c) => c.name.startsWith("test_anthropic_native_output"))

/** The recorded answer's text: its text blocks, in order. */
const recordedText = (body: string) =>
  (JSON.parse(body) as { content: ReadonlyArray<{ type: string; text?: string }> }).content
    .filter((block) => block.type === "text")
    .map((block) => block.text)
    .join("")

/** The recorded question: the first user message's text. */
const question = (request: RecordedRequest) => {
  const content = request.messages.find((m) => m.role === "user")?.content
  return typeof content === "string"
    ? content
    : (content as ReadonlyArray<{ text?: string }>).map((block) => block.text ?? "").join("")
}

describe("Anthropic: the recorded structured-output exchanges", () => {
  it("holds the one recorded native-output exchange, plain and answered 200", () => {
    expect(cassettes.map((c) => c.name)).toEqual(["test_anthropic_native_output_decimal_strict__0"])
    expect(cassettes.every((c) => c.response.status === 200 && !isStreamingCassette(c))).toBe(true)
  })

  for (const cassette of cassettes)
    it.live(cassette.name, () =>
      Effect.scoped(
        Effect.gen(function* () {
          const sim = yield* anthropicSimulator()
          const provider = yield* Effect.provide(
            Effect.service(LLMProvider),
            AnthropicProvider.layer({ apiKey: Redacted.make("sk-ant-test-0000"), baseUrl: sim.url })
          )
          const recorded = cassette.request.body as RecordedRequest
          sim.script(cassetteReply(cassette))
          const response = yield* provider.generate(
            {
              messages: [{ role: "user", content: question(recorded) }],
              responseFormat: { type: "json", schema: recorded.output_config.format.schema }
            },
            recorded.model
          )
          const sent = sim.requests[0]!.body as Partial<RecordedRequest>
          expect(sent.output_config).toEqual(recorded.output_config)
          const text = recordedText(cassette.response.body ?? "")
          expect(response.content).toBe(text)
          expect(response.finishReason).toBe("stop")
          expect(() => JSON.parse(response.content)).not.toThrow()
        })
      )
    )
})
