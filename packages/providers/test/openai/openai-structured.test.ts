/**
 * Structured output through `OpenAIProvider` and the real `openai` SDK against the OpenAI simulator, on
 * both APIs, plain and streamed: `responseFormat` goes out as Chat's `response_format` and the
 * Responses API's `text.format` (name defaulting to "response"), with `strict` true exactly when the
 * schema is one OpenAI's strict mode takes (the simulator refuses strict with any other, as OpenAI
 * does); the answer's JSON text comes back as written; a request without a format carries none.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "@effect/vitest"
import { type ChatRequest, LLMProvider, type ResponseFormat } from "@llm-orchestrator/core"
import { type Simulator, startOpenAISimulator } from "@llm-orchestrator/testing"
import { Effect, Redacted, Stream } from "effect"
import { OpenAICompatibleProvider, OpenAIProvider } from "../../src/openai/openai.ts"

let sim: Simulator
beforeAll(async () => {
  sim = await startOpenAISimulator()
})
afterAll(() => sim.close())
beforeEach(() => {
  sim.reset()
})

type Api = "chat" | "responses"
type Json = Record<string, unknown>

const layer = (api: Api) =>
  OpenAIProvider.layer({ apiKey: Redacted.make("sk-test-structured"), baseUrl: `${sim.url}/v1`, api })

const generate = (api: Api, request: ChatRequest) =>
  LLMProvider.use((p) => p.generate(request, "gpt-4o-mini")).pipe(Effect.provide(layer(api)))

const stream = (api: Api, request: ChatRequest) =>
  Effect.gen(function* () {
    const provider = yield* LLMProvider
    return Array.from(yield* Stream.runCollect(provider.stream(request, "gpt-4o-mini")))
  }).pipe(Effect.provide(layer(api)))

const lastBody = (): Json => sim.requests.at(-1)?.body as Json

/** Every object closed and fully required: what strict mode takes. */
const city = {
  type: "object",
  properties: { city: { type: "string" }, country: { type: "string" } },
  required: ["city", "country"],
  additionalProperties: false
}
/** A plain JSON Schema: `country` optional, extra keys allowed. */
const loose = { type: "object", properties: { city: { type: "string" }, country: { type: "string" } } }

const ask = (responseFormat: ResponseFormat): ChatRequest => ({
  messages: [{ role: "user", content: "Where is the Eiffel Tower?" }],
  responseFormat
})

/** The format field each API reads (Chat `response_format`, Responses `text`), as it must be, exactly. */
const wireFormat = (api: Api, name: string, schema: Json, strict: boolean) =>
  api === "chat"
    ? { type: "json_schema", json_schema: { name, schema, strict } }
    : { format: { type: "json_schema", name, schema, strict } }
const sentFormat = (api: Api) => lastBody()[api === "chat" ? "response_format" : "text"]

const answer = '{"city":"Paris","country":"France"}'

for (const api of ["chat", "responses"] as const) {
  describe(`${api}: the format on the wire`, () => {
    it.live("plain, a strict-compatible schema: strict true, the name given, the JSON text back as written", () =>
      Effect.gen(function* () {
        sim.script({ kind: "text", text: answer })
        const response = yield* generate(api, ask({ type: "json", schema: city, name: "city_location" }))
        expect(response.content).toBe(answer)
        expect(response.finishReason).toBe("stop")
        expect(sentFormat(api)).toEqual(wireFormat(api, "city_location", city, true))
        expect(JSON.parse(response.content)).toEqual({ city: "Paris", country: "France" })
      })
    )

    it.live("streamed, a plain schema: strict false, the name defaults to response, the deltas make the JSON", () =>
      Effect.gen(function* () {
        sim.script({ kind: "text", text: answer, chunks: ['{"city":"Par', 'is","country"', ':"France"}'] })
        const events = yield* stream(api, ask({ type: "json", schema: loose }))
        const deltas = events.flatMap((e) => (e._tag === "TextDelta" ? [e.text] : []))
        expect(deltas).toHaveLength(3)
        expect(deltas.join("")).toBe(answer)
        expect(events.at(-1)).toMatchObject({ _tag: "ProviderFinish", finishReason: "stop" })
        expect(lastBody().stream).toBe(true)
        expect(sentFormat(api)).toEqual(wireFormat(api, "response", loose, false))
      })
    )

    it.live("streamed, a strict-compatible schema: strict true", () =>
      Effect.gen(function* () {
        sim.script({ kind: "text", text: answer })
        yield* stream(api, ask({ type: "json", schema: city, name: "city" }))
        expect(sentFormat(api)).toEqual(wireFormat(api, "city", city, true))
      })
    )

    it.live("no format: neither response_format nor text goes out", () =>
      Effect.gen(function* () {
        sim.script({ kind: "text", text: "Paris." }, { kind: "text", text: "Paris." })
        yield* generate(api, { messages: [{ role: "user", content: "Where?" }] })
        expect(lastBody()).not.toHaveProperty("response_format")
        expect(lastBody()).not.toHaveProperty("text")
        yield* stream(api, { messages: [{ role: "user", content: "Where?" }] })
        expect(lastBody()).not.toHaveProperty("response_format")
        expect(lastBody()).not.toHaveProperty("text")
      })
    )

    it.live("a name OpenAI refuses comes back as its 400, an InvalidRequestError naming the parameter", () =>
      Effect.gen(function* () {
        sim.script({ kind: "text", text: "never served" })
        // The orchestrator would refuse this name first; the provider alone sends what it is given.
        const error = yield* Effect.flip(generate(api, ask({ type: "json", schema: city, name: "city location" })))
        expect(error).toMatchObject({ _tag: "InvalidRequestError", status: 400 })
        expect(error.message).toContain(api === "chat" ? "response_format.json_schema.name" : "text.format.name")
      })
    )
  })
}

describe("strict: true exactly when every object schema is closed and fully required", () => {
  const object = (properties: Json, extra: Json = {}) => ({
    type: "object",
    properties,
    required: Object.keys(properties),
    additionalProperties: false,
    ...extra
  })
  const open = { type: "object", properties: { a: { type: "string" } }, required: ["a"] }
  const optional = { type: "object", properties: { a: { type: "string" } }, additionalProperties: false }
  const rows: ReadonlyArray<readonly [string, Json, boolean]> = [
    ["closed, every property required", city, true],
    ["no properties at all, closed", object({}), true],
    ["additionalProperties left out", { ...city, additionalProperties: undefined }, false],
    ["additionalProperties true", { ...city, additionalProperties: true }, false],
    ["a property not required", { ...city, required: ["city"] }, false],
    ["no required list", { ...city, required: undefined }, false],
    ["a nullable object type ([object, null]) left open", { ...open, type: ["object", "null"] }, false],
    ["an open object under properties", object({ inner: open }), false],
    ["an optional property under properties", object({ inner: optional }), false],
    [
      "closed objects under properties, items and anyOf",
      object({
        list: { type: "array", items: object({ x: { type: "number" } }) },
        either: { anyOf: [object({ y: { type: "string" } }), { type: "null" }] }
      }),
      true
    ],
    ["an open object in items", object({ list: { type: "array", items: open } }), false],
    [
      "an open object in tuple-form items",
      object({ pair: { type: "array", items: [{ type: "string" }, open] } }),
      false
    ],
    [
      "an open object in prefixItems",
      object({ pair: { type: "array", prefixItems: [{ type: "string" }, open] } }),
      false
    ],
    ["an open object in anyOf", object({ either: { anyOf: [{ type: "string" }, open] } }), false],
    ["an open object in oneOf", object({ either: { oneOf: [open, { type: "null" }] } }), false],
    ["an open object in allOf", object({ both: { allOf: [open] } }), false],
    ["an open object in $defs", object({ node: { $ref: "#/$defs/node" } }, { $defs: { node: open } }), false],
    [
      "an open object in definitions",
      object({ node: { $ref: "#/definitions/node" } }, { definitions: { node: open } }),
      false
    ],
    [
      "closed objects in $defs",
      object({ node: { $ref: "#/$defs/node" } }, { $defs: { node: object({ v: { type: "string" } }) } }),
      true
    ],
    // A map's value schema: the object itself allows extra keys already, and the value is checked too.
    [
      "a schema as additionalProperties",
      { type: "object", properties: {}, required: [], additionalProperties: open },
      false
    ]
  ]
  for (const [what, schema, strict] of rows)
    it.live(`${what}: strict ${strict}`, () =>
      Effect.gen(function* () {
        sim.script({ kind: "text", text: "{}" }, { kind: "text", text: "{}" })
        yield* generate("chat", ask({ type: "json", schema, name: "r" }))
        expect((lastBody().response_format as { json_schema: { strict: boolean } }).json_schema.strict).toBe(strict)
        yield* generate("responses", ask({ type: "json", schema, name: "r" }))
        expect((lastBody().text as { format: { strict: boolean } }).format.strict).toBe(strict)
      })
    )
})

describe("an OpenAI-compatible server", () => {
  it.live("gets the same response_format (Chat Completions)", () =>
    Effect.gen(function* () {
      sim.script({ kind: "text", text: answer })
      const response = yield* LLMProvider.use((p) =>
        p.generate(ask({ type: "json", schema: loose, name: "place" }), "gpt-4o-mini")
      ).pipe(Effect.provide(OpenAICompatibleProvider.layer({ baseUrl: `${sim.url}/v1`, apiKey: Redacted.make("k") })))
      expect(response.content).toBe(answer)
      expect(sentFormat("chat")).toEqual(wireFormat("chat", "place", loose, false))
    })
  )
})
