/**
 * Structured output through GeminiProvider and VertexProvider, with the real `@google/genai` SDK against
 * the simulators, which check `generationConfig` as the API does (a JSON Schema only with the JSON mime
 * type): `responseFormat` goes out as `responseMimeType: "application/json"` and `responseJsonSchema`
 * (the schema as given: `$ref`, `anyOf` and all), plain and streamed; the answer's JSON text comes back
 * as written; a request without a format carries neither field.
 */

import { describe, expect, it } from "@effect/vitest"
import { type ChatRequest, LLMProvider } from "@llm-orchestrator/core"
import { GeminiProvider, VertexProvider } from "@llm-orchestrator/providers"
import { geminiSimulator, type Simulator, vertexSimulator } from "@llm-orchestrator/testing"
import { Effect, Redacted } from "effect"
import { OAuth2Client } from "google-auth-library"
import { collect, deltas, finishes } from "./google-support.ts"

const model = "gemini-2.5-flash"

const flavors = [
  {
    name: "Gemini",
    simulator: geminiSimulator,
    provider: (sim: Simulator) =>
      Effect.gen(function* () {
        return yield* LLMProvider
      }).pipe(Effect.provide(GeminiProvider.layer({ apiKey: Redacted.make("AIzaSy-structured"), baseUrl: sim.url })))
  },
  {
    name: "Vertex",
    simulator: vertexSimulator,
    provider: (sim: Simulator) => {
      const authClient = new OAuth2Client()
      authClient.setCredentials({ access_token: "ya29.structured-test" })
      return Effect.gen(function* () {
        return yield* LLMProvider
      }).pipe(
        Effect.provide(
          VertexProvider.layer({
            project: "acme-prod",
            location: "us-central1",
            baseUrl: sim.url,
            googleAuthOptions: { authClient }
          })
        )
      )
    }
  }
] as const

/** A schema Google's OpenAPI subset could not say as is: a `$ref` into `$defs`, a nullable `anyOf`. */
const place = {
  type: "object",
  properties: {
    city: { $ref: "#/$defs/name" },
    population: { anyOf: [{ type: "integer" }, { type: "null" }] }
  },
  required: ["city"],
  $defs: { name: { type: "string", minLength: 1 } }
}
const answer = '{"city":"Paris","population":2100000}'

const ask: ChatRequest = {
  messages: [
    { role: "system", content: "Answer in JSON." },
    { role: "user", content: "Which city has the Eiffel Tower?" }
  ],
  temperature: 0,
  responseFormat: { type: "json", schema: place, name: "place" }
}

interface WireBody {
  readonly generationConfig?: Record<string, unknown>
}
const configOf = (sim: Simulator) => (sim.requests.at(-1)!.body as WireBody).generationConfig

for (const flavor of flavors) {
  describe(`${flavor.name}: structured output on the wire`, () => {
    it.live("plain: the JSON mime type and the schema as given, beside the other settings; the JSON text back", () =>
      Effect.gen(function* () {
        const sim = yield* flavor.simulator()
        sim.script({ kind: "text", text: answer })
        const llm = yield* flavor.provider(sim)
        const response = yield* llm.generate(ask, model)
        expect(response.content).toBe(answer)
        expect(response.finishReason).toBe("stop")
        expect(JSON.parse(response.content)).toEqual({ city: "Paris", population: 2_100_000 })
        expect(configOf(sim)).toEqual({
          temperature: 0,
          responseMimeType: "application/json",
          responseJsonSchema: place
        })
        // Not the OpenAPI-subset field: the SDK must not have moved or translated the schema.
        expect(configOf(sim)).not.toHaveProperty("responseSchema")
      })
    )

    it.live("streamed: the same generationConfig on streamGenerateContent, the deltas make the JSON", () =>
      Effect.gen(function* () {
        const sim = yield* flavor.simulator()
        sim.script({ kind: "text", text: answer, chunks: ['{"city":"Pa', 'ris","population"', ":2100000}"] })
        const llm = yield* flavor.provider(sim)
        const { events, error } = yield* collect(llm.stream(ask, model))
        expect(error).toBeUndefined()
        expect(deltas(events)).toHaveLength(3)
        expect(deltas(events).join("")).toBe(answer)
        expect(finishes(events).map((f) => f.finishReason)).toEqual(["stop"])
        expect(sim.requests.at(-1)!.path).toMatch(/:streamGenerateContent$/)
        expect(configOf(sim)).toEqual({
          temperature: 0,
          responseMimeType: "application/json",
          responseJsonSchema: place
        })
      })
    )

    it.live("no format: neither responseMimeType nor responseJsonSchema", () =>
      Effect.gen(function* () {
        const sim = yield* flavor.simulator()
        sim.script({ kind: "text", text: "Paris." }, { kind: "text", text: "Paris." })
        const llm = yield* flavor.provider(sim)
        const plain: ChatRequest = { messages: [{ role: "user", content: "Where?" }], temperature: 0 }
        yield* llm.generate(plain, model)
        expect(configOf(sim)).toEqual({ temperature: 0 })
        yield* collect(llm.stream(plain, model))
        expect(configOf(sim)).toEqual({ temperature: 0 })
      })
    )
  })
}
