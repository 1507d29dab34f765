/**
 * Structured output through the Bedrock provider layer and the real SDK, against the Bedrock simulator
 * (which checks `outputConfig` as Bedrock does): `responseFormat` goes out as Converse's
 * `outputConfig.textFormat`, a json_schema structure whose schema is the JSON Schema as a JSON string
 * and whose name defaults to "response", on Converse and ConverseStream; the answer's JSON text comes
 * back as written; a request without a format carries no outputConfig; open objects are closed.
 */
import { describe, expect, it } from "@effect/vitest"
import { type ChatRequest, LLMProvider } from "@llm-orchestrator/core"
import { bedrockSimulator, type Simulator } from "@llm-orchestrator/testing"
import { Effect, Redacted, Stream } from "effect"
import { BedrockProvider } from "../../src/bedrock/bedrock.ts"

const model = "us.anthropic.claude-sonnet-4-5-20250929-v1:0"

const withBedrock = <A, E>(body: (sim: Simulator) => Effect.Effect<A, E, LLMProvider>) =>
  Effect.gen(function* () {
    const sim = yield* bedrockSimulator()
    return yield* body(sim).pipe(
      Effect.provide(
        BedrockProvider.layer({
          region: "us-east-1",
          baseUrl: sim.url,
          accessKeyId: Redacted.make("AKIDSTRUCTURED"),
          secretAccessKey: Redacted.make("structured-secret")
        })
      )
    )
  })

const city = {
  type: "object",
  properties: { city: { type: "string" }, country: { type: "string" } },
  required: ["city", "country"],
  additionalProperties: false
}
const answer = '{"city":"Paris","country":"France"}'
const question = { role: "user" as const, content: "Where is the Eiffel Tower?" }

/** The outputConfig Converse must receive. */
const wireOutputConfig = (name: string) => ({
  textFormat: { type: "json_schema", structure: { jsonSchema: { schema: JSON.stringify(city), name } } }
})

interface WireBody {
  readonly outputConfig?: { textFormat: { structure: { jsonSchema: { schema: string } } } }
}
const sentBody = (sim: Simulator) => sim.requests.at(-1)?.body as WireBody

describe("BedrockProvider structured output", () => {
  it.live("Converse: outputConfig.textFormat with the schema as a JSON string and the name; the JSON text back", () =>
    withBedrock((sim) =>
      Effect.gen(function* () {
        sim.script({ kind: "text", text: answer })
        const llm = yield* LLMProvider
        const response = yield* llm.generate(
          { messages: [question], responseFormat: { type: "json", schema: city, name: "city_location" } },
          model
        )
        expect(response.content).toBe(answer)
        expect(response.finishReason).toBe("stop")
        expect(JSON.parse(response.content)).toEqual({ city: "Paris", country: "France" })
        expect(sentBody(sim)).toEqual({
          messages: [{ role: "user", content: [{ text: "Where is the Eiffel Tower?" }] }],
          outputConfig: wireOutputConfig("city_location")
        })
        // The string is the schema itself.
        expect(JSON.parse(sentBody(sim).outputConfig!.textFormat.structure.jsonSchema.schema)).toEqual(city)
      })
    )
  )

  it.live("ConverseStream: the same outputConfig, name defaulting to response; the deltas make the JSON", () =>
    withBedrock((sim) =>
      Effect.gen(function* () {
        sim.script({ kind: "text", text: answer, chunks: ['{"city":"Paris",', '"country":', '"France"}'] })
        const llm = yield* LLMProvider
        const events = [
          ...(yield* Stream.runCollect(
            llm.stream({ messages: [question], responseFormat: { type: "json", schema: city } }, model)
          ))
        ]
        const deltas = events.flatMap((e) => (e._tag === "TextDelta" ? [e.text] : []))
        expect(deltas).toHaveLength(3)
        expect(deltas.join("")).toBe(answer)
        expect(events.at(-1)).toMatchObject({ _tag: "ProviderFinish", finishReason: "stop" })
        expect(sim.requests.at(-1)?.path).toMatch(/\/converse-stream$/)
        expect(sentBody(sim).outputConfig).toEqual(wireOutputConfig("response"))
      })
    )
  )

  it.live("no format: no outputConfig, plain or streamed", () =>
    withBedrock((sim) =>
      Effect.gen(function* () {
        sim.script({ kind: "text", text: "Paris." }, { kind: "text", text: "Paris." })
        const llm = yield* LLMProvider
        const plain: ChatRequest = { messages: [question] }
        yield* llm.generate(plain, model)
        expect(sentBody(sim)).not.toHaveProperty("outputConfig")
        yield* Stream.runDrain(llm.stream(plain, model))
        expect(sentBody(sim)).not.toHaveProperty("outputConfig")
      })
    )
  )

  it.live(
    "open objects are closed before sending (Claude on Bedrock refuses them), the caller's schema untouched",
    () =>
      withBedrock((sim) =>
        Effect.gen(function* () {
          sim.script({ kind: "text", text: answer })
          const open = {
            type: "object",
            properties: { city: { type: "string" }, where: { type: "object", properties: { lat: { type: "number" } } } }
          }
          yield* (yield* LLMProvider).generate(
            { messages: [question], responseFormat: { type: "json", schema: open } },
            model
          )
          expect(JSON.parse(sentBody(sim).outputConfig!.textFormat.structure.jsonSchema.schema)).toEqual({
            ...open,
            additionalProperties: false,
            properties: { ...open.properties, where: { ...open.properties.where, additionalProperties: false } }
          })
          expect("additionalProperties" in open).toBe(false)
        })
      )
  )
})
