/**
 * Structured output through AnthropicProvider with the real `@anthropic-ai/sdk` against the Anthropic
 * simulator, which checks `output_config` as the API does: `responseFormat` goes out as
 * `output_config.format` (a json_schema format; Anthropic has no name for it, and no beta header is
 * needed), plain, streamed and on a long generation run over a stream; the answer's JSON text comes
 * back as written; a request without a format carries none; objects are closed (additionalProperties
 * false) as Anthropic requires, and a schema that explicitly opens one comes back as Anthropic's 400.
 */
import { describe, expect, it } from "@effect/vitest"
import { type ChatRequest, LLMProvider } from "@llm-orchestrator/core"
import { AnthropicProvider, nonStreamingMaxTokens } from "@llm-orchestrator/providers"
import { anthropicSimulator, type Simulator } from "@llm-orchestrator/testing"
import { Effect, Redacted, Stream } from "effect"

const model = "claude-sonnet-4-6"

const withProvider = <A, E>(body: (provider: LLMProvider["Service"], sim: Simulator) => Effect.Effect<A, E>) =>
  Effect.scoped(
    Effect.gen(function* () {
      const sim = yield* anthropicSimulator()
      const layer = AnthropicProvider.layer({ apiKey: Redacted.make("sk-ant-test-0000"), baseUrl: sim.url })
      const provider = yield* Effect.provide(Effect.service(LLMProvider), layer)
      return yield* body(provider, sim)
    })
  )

/** Every object closed, as Anthropic requires of a structured-output schema. */
const city = {
  type: "object",
  properties: { city: { type: "string" }, country: { type: "string" } },
  required: ["city"],
  additionalProperties: false
}
const answer = '{"city":"Paris","country":"France"}'

const ask = (extra: Partial<ChatRequest> = {}): ChatRequest => ({
  messages: [{ role: "user", content: "Where is the Eiffel Tower?" }],
  responseFormat: { type: "json", schema: city, name: "city_location" },
  ...extra
})

const sent = (sim: Simulator) => sim.requests.at(-1)!

describe("Anthropic structured output on the wire", () => {
  it.live("plain: output_config.format json_schema with the schema as given, the JSON text back as written", () =>
    withProvider((provider, sim) =>
      Effect.gen(function* () {
        sim.script({ kind: "text", text: answer })
        const response = yield* provider.generate(ask(), model)
        expect(response.content).toBe(answer)
        expect(response.finishReason).toBe("stop")
        expect(JSON.parse(response.content)).toEqual({ city: "Paris", country: "France" })
        const body = sent(sim).body as Record<string, unknown>
        // No name: Anthropic's format has none.
        expect(body.output_config).toEqual({ format: { type: "json_schema", schema: city } })
        expect(body).not.toHaveProperty("output_format")
        // Generally available: no beta header.
        expect(sent(sim).headers["anthropic-beta"]).toBeUndefined()
      })
    )
  )

  it.live("streamed: the same output_config, the deltas make the JSON", () =>
    withProvider((provider, sim) =>
      Effect.gen(function* () {
        sim.script({ kind: "text", text: answer, chunks: ['{"city":', '"Paris","country":"', 'France"}'] })
        const events = [...(yield* Stream.runCollect(provider.stream(ask(), model)))]
        const deltas = events.flatMap((e) => (e._tag === "TextDelta" ? [e.text] : []))
        expect(deltas).toHaveLength(3)
        expect(deltas.join("")).toBe(answer)
        expect(events.at(-1)).toMatchObject({ _tag: "ProviderFinish", finishReason: "stop" })
        const body = sent(sim).body as Record<string, unknown>
        expect(body.stream).toBe(true)
        expect(body.output_config).toEqual({ format: { type: "json_schema", schema: city } })
      })
    )
  )

  it.live("a long generation (run over a stream) carries it too", () =>
    withProvider((provider, sim) =>
      Effect.gen(function* () {
        sim.script({ kind: "text", text: answer })
        const response = yield* provider.generate(ask({ maxTokens: nonStreamingMaxTokens + 1 }), model)
        expect(response.content).toBe(answer)
        const body = sent(sim).body as Record<string, unknown>
        expect(body.stream).toBe(true)
        expect(body.output_config).toEqual({ format: { type: "json_schema", schema: city } })
      })
    )
  )

  it.live("no format: no output_config", () =>
    withProvider((provider, sim) =>
      Effect.gen(function* () {
        sim.script({ kind: "text", text: "Paris." }, { kind: "text", text: "Paris." })
        const plain = { messages: [{ role: "user" as const, content: "Where?" }] }
        yield* provider.generate(plain, model)
        expect(sent(sim).body).not.toHaveProperty("output_config")
        yield* Stream.runDrain(provider.stream(plain, model))
        expect(sent(sim).body).not.toHaveProperty("output_config")
      })
    )
  )

  it.live("open objects are closed before sending, at every depth; an explicit additionalProperties is kept", () =>
    withProvider((provider, sim) =>
      Effect.gen(function* () {
        sim.script({ kind: "text", text: '{"city":"Paris"}' })
        const open = {
          type: "object",
          properties: {
            city: { type: "string" },
            tags: { type: "array", items: { type: "object", properties: { k: { type: "string" } } } },
            where: { anyOf: [{ $ref: "#/$defs/place" }, { type: "null" }] }
          },
          $defs: { place: { properties: { lat: { type: "number" } } } }
        }
        const response = yield* provider.generate(ask({ responseFormat: { type: "json", schema: open } }), model)
        expect(response.content).toBe('{"city":"Paris"}')
        const sent = (sim.requests.at(-1)!.body as { output_config: { format: { schema: unknown } } }).output_config
        expect(sent.format.schema).toEqual({
          ...open,
          additionalProperties: false,
          properties: {
            ...open.properties,
            tags: { type: "array", items: { ...open.properties.tags.items, additionalProperties: false } }
          },
          $defs: { place: { ...open.$defs.place, additionalProperties: false } }
        })
        // The caller's schema object is not changed.
        expect("additionalProperties" in open).toBe(false)

        // An object that says it allows extra keys is sent as written: Anthropic's 400 says why.
        const allowing = { type: "object", properties: { city: { type: "string" } }, additionalProperties: true }
        const error = yield* Effect.flip(
          provider.generate(ask({ responseFormat: { type: "json", schema: allowing } }), model)
        )
        expect(error).toMatchObject({ _tag: "InvalidRequestError", status: 400 })
        expect(error.message).toContain(
          "output_config.format.schema: For 'object' type, 'additionalProperties' must be explicitly set to false"
        )
      })
    )
  )
})
