/**
 * Structured output as the five simulators check it, posted as raw HTTP (no adapter in between): each
 * provider's field is accepted in its valid form and refused, malformed, with the provider's own 400;
 * every recorded structured-output request is accepted (the real APIs accepted them); and the parsed
 * format reaches `defaultReply` (and OpenAI's Responses API echoes it), while the reply text stays
 * what the script says.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest"
import {
  loadCassettes,
  type RequestedFormat,
  type Simulator,
  startAnthropicSimulator,
  startBedrockSimulator,
  startGeminiSimulator,
  startOpenAISimulator,
  startVertexSimulator
} from "../src/index.ts"

type Json = Record<string, unknown>

/** What each simulator's `defaultReply` saw, in order. */
const seen: Array<RequestedFormat | undefined> = []
const defaultReply = (_model: string, _call: unknown, format: RequestedFormat | undefined) => {
  seen.push(format)
  return { kind: "text" as const, text: format === undefined ? "plain" : `{"for":"${format.name ?? "?"}"}` }
}

let openai: Simulator
let anthropic: Simulator
let gemini: Simulator
let vertex: Simulator
let bedrock: Simulator
beforeAll(async () => {
  ;[openai, anthropic, gemini, vertex, bedrock] = await Promise.all([
    startOpenAISimulator({ defaultReply }),
    startAnthropicSimulator({ defaultReply }),
    startGeminiSimulator({ defaultReply }),
    startVertexSimulator({ defaultReply }),
    startBedrockSimulator({ defaultReply })
  ])
})
afterAll(() => Promise.all([openai, anthropic, gemini, vertex, bedrock].map((sim) => sim.close())))
beforeEach(() => {
  seen.length = 0
  for (const sim of [openai, anthropic, gemini, vertex, bedrock]) sim.reset()
})

interface Answer {
  readonly status: number
  readonly headers: Headers
  readonly body: Json
}

const post = async (url: string, headers: Record<string, string>, body: unknown): Promise<Answer> => {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body)
  })
  return { status: response.status, headers: response.headers, body: (await response.json()) as Json }
}

const closed = {
  type: "object",
  properties: { city: { type: "string" }, country: { type: "string" } },
  required: ["city", "country"],
  additionalProperties: false
}
/** Open at depth: the nested object allows extra keys and leaves `zip` optional. */
const openInside = {
  type: "object",
  properties: { address: { type: "object", properties: { street: { type: "string" }, zip: { type: "string" } } } },
  required: ["address"],
  additionalProperties: false
}

// ---- OpenAI --------------------------------------------------------------------------------------------

const chat = (extra: Json) =>
  post(
    `${openai.url}/v1/chat/completions`,
    { authorization: "Bearer sk-test" },
    { model: "gpt-4o", messages: [{ role: "user", content: "Where?" }], ...extra }
  )
const responses = (extra: Json) =>
  post(
    `${openai.url}/v1/responses`,
    { authorization: "Bearer sk-test" },
    { model: "gpt-4o", input: "Where?", ...extra }
  )
const openaiError = (answer: Answer) =>
  answer.body.error as { message: string; type: string; param: string; code: string }
const jsonSchema = (spec: Json) => ({ response_format: { type: "json_schema", json_schema: spec } })
const textFormat = (spec: Json) => ({ text: { format: { type: "json_schema", ...spec } } })

describe("OpenAI simulator: response_format (Chat) and text.format (Responses)", () => {
  it("accepts a JSON Schema format, strict or not, and json_object and text", async () => {
    for (const answer of [
      await chat(jsonSchema({ name: "city", schema: closed, strict: true })),
      await chat(jsonSchema({ name: "city", schema: openInside, strict: false })),
      await chat(jsonSchema({ name: "city", schema: openInside })),
      await chat({ response_format: { type: "json_object" } }),
      await chat({ response_format: { type: "text" } }),
      await responses(textFormat({ name: "city", schema: closed, strict: true })),
      await responses(textFormat({ name: "city", schema: openInside, strict: false })),
      await responses({ text: { format: { type: "json_object" } } })
    ])
      expect(answer.status, JSON.stringify(answer.body)).toBe(200)
  })

  const refusals: ReadonlyArray<readonly [string, () => Promise<Answer>, Partial<ReturnType<typeof openaiError>>]> = [
    [
      "a name outside ^[a-zA-Z0-9_-]+$",
      () => chat(jsonSchema({ name: "city location", schema: closed })),
      {
        param: "response_format.json_schema.name",
        code: "invalid_value",
        message:
          "Invalid 'response_format.json_schema.name': string does not match pattern. Expected a string that matches the pattern '^[a-zA-Z0-9_-]+$'."
      }
    ],
    [
      "a name over 64 characters",
      () => responses(textFormat({ name: "n".repeat(65), schema: closed })),
      { param: "text.format.name", code: "string_above_max_length" }
    ],
    [
      "no name",
      () => chat(jsonSchema({ schema: closed })),
      {
        param: "response_format.json_schema.name",
        code: "missing_required_parameter",
        message: "Missing required parameter: 'response_format.json_schema.name'."
      }
    ],
    [
      "a schema that is not an object",
      () => chat(jsonSchema({ name: "city", schema: '{"type":"object"}' })),
      {
        param: "response_format.json_schema.schema",
        code: "invalid_type",
        message: "Invalid type for 'response_format.json_schema.schema': expected an object, but got a string instead."
      }
    ],
    [
      "no schema (Responses)",
      () => responses(textFormat({ name: "city" })),
      { param: "text.format.schema", code: "missing_required_parameter" }
    ],
    [
      "json_schema without its json_schema object",
      () => chat({ response_format: { type: "json_schema" } }),
      { param: "response_format.json_schema", code: "missing_required_parameter" }
    ],
    [
      "an unknown format type",
      () => responses({ text: { format: { type: "xml" } } }),
      {
        param: "text.format.type",
        code: "invalid_value",
        message: "Invalid value: 'xml'. Supported values are: 'text', 'json_object', and 'json_schema'."
      }
    ],
    [
      "strict with an object that allows extra keys",
      () => chat(jsonSchema({ name: "place", schema: openInside, strict: true })),
      {
        param: "response_format",
        code: "invalid_json_schema",
        message:
          "Invalid schema for response_format 'place': In context=('properties', 'address'), 'additionalProperties' is required to be supplied and to be false."
      }
    ],
    [
      "strict with a property left optional",
      () => responses(textFormat({ name: "place", schema: { ...closed, required: ["city"] }, strict: true })),
      {
        param: "text.format.schema",
        code: "invalid_json_schema",
        message:
          "Invalid schema for response_format 'place': In context=(), 'required' is required to be supplied and to be an array including every key in properties. Missing 'country'."
      }
    ],
    [
      "Chat's response_format sent to the Responses API",
      () => responses(jsonSchema({ name: "city", schema: closed })),
      { param: "response_format", code: "unsupported_parameter" }
    ]
  ]
  for (const [what, send, expected] of refusals)
    it(`refuses ${what} with OpenAI's invalid_request_error`, async () => {
      const answer = await send()
      expect(answer.status).toBe(400)
      expect(openaiError(answer)).toMatchObject({ type: "invalid_request_error", ...expected })
      expect(seen).toEqual([]) // refused before any reply is chosen
    })

  it("hands the format to defaultReply and the Responses API echoes it; the text is the reply's", async () => {
    const plain = await chat(jsonSchema({ name: "city", schema: closed, strict: true }))
    expect((plain.body.choices as ReadonlyArray<{ message: { content: string } }>)[0]?.message.content).toBe(
      '{"for":"city"}'
    )
    const echoed = await responses(textFormat({ name: "where", schema: openInside, strict: false }))
    expect(echoed.body.text).toEqual({
      format: { type: "json_schema", description: null, name: "where", schema: openInside, strict: false }
    })
    const none = await responses({})
    expect(none.body.text).toEqual({ format: { type: "text" } })
    expect(seen).toEqual([
      { schema: closed, name: "city", strict: true },
      { schema: openInside, name: "where", strict: false },
      undefined
    ])
  })
})

// ---- Anthropic -----------------------------------------------------------------------------------------

const messages = (extra: Json) =>
  post(
    `${anthropic.url}/v1/messages`,
    { "x-api-key": "sk-ant-test" },
    { model: "claude-sonnet-4-6", max_tokens: 100, messages: [{ role: "user", content: "Where?" }], ...extra }
  )
const outputFormat = (format: unknown) => ({ output_config: { format } })

describe("Anthropic simulator: output_config.format", () => {
  it("accepts a JSON Schema format whose objects are all closed, and output_config without a format", async () => {
    expect((await messages(outputFormat({ type: "json_schema", schema: closed }))).status).toBe(200)
    expect((await messages({ output_config: { effort: "low" } })).status).toBe(200)
    expect(seen).toEqual([{ schema: closed }, undefined])
  })

  const refusals: ReadonlyArray<readonly [string, Json, string]> = [
    [
      "another format type",
      outputFormat({ type: "json", schema: closed }),
      "output_config.format.type: Input should be 'json_schema'"
    ],
    ["no schema", outputFormat({ type: "json_schema" }), "output_config.format.schema: Field required"],
    [
      "a schema that is not an object",
      outputFormat({ type: "json_schema", schema: "{}" }),
      "output_config.format.schema: Input should be a valid dictionary"
    ],
    [
      "an object schema that allows extra keys, at any depth",
      outputFormat({ type: "json_schema", schema: openInside }),
      "output_config.format.schema: For 'object' type, 'additionalProperties' must be explicitly set to false"
    ],
    [
      "the beta's top-level output_format",
      { output_format: { type: "json_schema", schema: closed } },
      "output_format: Extra inputs are not permitted"
    ]
  ]
  for (const [what, extra, message] of refusals)
    it(`refuses ${what} with Anthropic's invalid_request_error`, async () => {
      const answer = await messages(extra)
      expect(answer.status).toBe(400)
      expect(answer.body).toMatchObject({ type: "error", error: { type: "invalid_request_error", message } })
      expect(seen).toEqual([])
    })
})

// ---- Gemini and Vertex ---------------------------------------------------------------------------------

const google = [
  { name: "Gemini", sim: () => gemini, path: "/v1beta/models/gemini-2.5-flash:generateContent" },
  {
    name: "Vertex",
    sim: () => vertex,
    path: "/v1beta1/projects/acme-prod/locations/us-central1/publishers/google/models/gemini-2.5-flash:generateContent"
  }
] as const

for (const flavor of google) {
  const generate = (generationConfig: Json) =>
    post(
      `${flavor.sim().url}${flavor.path}`,
      { "x-goog-api-key": "AIzaSy-raw" },
      { contents: [{ role: "user", parts: [{ text: "Where?" }] }], generationConfig }
    )

  describe(`${flavor.name} simulator: generationConfig.responseJsonSchema`, () => {
    it("accepts a JSON Schema with the JSON mime type, and the mime type alone", async () => {
      expect((await generate({ responseMimeType: "application/json", responseJsonSchema: openInside })).status).toBe(
        200
      )
      expect((await generate({ responseMimeType: "application/json" })).status).toBe(200)
      expect(seen).toEqual([{ schema: openInside }, undefined])
    })

    const refusals: ReadonlyArray<readonly [string, Json, string]> = [
      [
        "a JSON Schema without a mime type",
        { responseJsonSchema: closed },
        "response_json_schema: only allowed for response_mime_type `application/json`, got `text/plain`"
      ],
      [
        "a JSON Schema with another mime type",
        { responseMimeType: "text/plain", responseJsonSchema: closed },
        "response_json_schema: only allowed for response_mime_type `application/json`"
      ],
      [
        "a mime type the API does not know",
        { responseMimeType: "application/schema+json", responseJsonSchema: closed },
        "* GenerateContentRequest.generation_config.response_mime_type: allowed mimetypes are `text/plain`, `application/json`, `application/xml`, `application/yaml` and `text/x.enum`."
      ],
      [
        "a JSON Schema that is not an object",
        { responseMimeType: "application/json", responseJsonSchema: "object" },
        "response_json_schema: must be a JSON Schema object"
      ],
      [
        "both schema fields",
        { responseMimeType: "application/json", responseJsonSchema: closed, responseSchema: { type: "OBJECT" } },
        "response_schema and response_json_schema cannot both be set"
      ]
    ]
    for (const [what, config, message] of refusals)
      it(`refuses ${what} with Google's 400 INVALID_ARGUMENT`, async () => {
        const answer = await generate(config)
        expect(answer.status).toBe(400)
        expect(answer.body.error).toMatchObject({ code: 400, status: "INVALID_ARGUMENT" })
        expect((answer.body.error as { message: string }).message).toContain(message)
        expect(seen).toEqual([])
      })
  })
}

// ---- Bedrock -------------------------------------------------------------------------------------------

const converse = (outputConfig: unknown) =>
  post(
    `${bedrock.url}/model/${encodeURIComponent("us.anthropic.claude-sonnet-4-5-20250929-v1:0")}/converse`,
    {},
    { messages: [{ role: "user", content: [{ text: "Where?" }] }], outputConfig }
  )
const textFormatOf = (jsonSchema: unknown, type = "json_schema") => ({
  textFormat: { type, structure: { jsonSchema } }
})

describe("Bedrock simulator: outputConfig.textFormat", () => {
  it("accepts a JSON Schema sent as a JSON string, and parses it for defaultReply", async () => {
    const answer = await converse(textFormatOf({ schema: JSON.stringify(closed), name: "city" }))
    expect(answer.status).toBe(200)
    expect(JSON.stringify(answer.body.output)).toContain('{\\"for\\":\\"city\\"}')
    expect(seen).toEqual([{ schema: closed, name: "city" }])
  })

  const refusals: ReadonlyArray<readonly [string, unknown, RegExp]> = [
    [
      "a schema sent as an object",
      textFormatOf({ schema: closed, name: "city" }),
      /outputConfig\.textFormat\.structure\.jsonSchema\.schema' is not a valid JSON schema/
    ],
    [
      "a schema string that is not JSON",
      textFormatOf({ schema: "{type: object}" }),
      /outputConfig\.textFormat\.structure\.jsonSchema\.schema' is not a valid JSON schema/
    ],
    [
      "a schema string holding a JSON array",
      textFormatOf({ schema: "[]" }),
      /outputConfig\.textFormat\.structure\.jsonSchema\.schema' is not a valid JSON schema/
    ],
    [
      "no schema",
      textFormatOf({ name: "city" }),
      /Value null at 'outputConfig\.textFormat\.structure\.jsonSchema\.schema' failed to satisfy constraint/
    ],
    [
      "another format type",
      textFormatOf({ schema: "{}" }, "json_object"),
      /Value 'json_object' at 'outputConfig\.textFormat\.type' failed to satisfy constraint: Member must satisfy enum value set: \[json_schema\]/
    ],
    [
      "no jsonSchema structure",
      { textFormat: { type: "json_schema", structure: {} } },
      /Value null at 'outputConfig\.textFormat\.structure\.jsonSchema'/
    ]
  ]
  for (const [what, outputConfig, message] of refusals)
    it(`refuses ${what} with a ValidationException`, async () => {
      const answer = await converse(outputConfig)
      expect(answer.status).toBe(400)
      expect(answer.headers.get("x-amzn-errortype")).toMatch(/^ValidationException:/)
      expect(answer.body.message).toMatch(message)
      expect(seen).toEqual([])
    })
})

// ---- What the real APIs accepted -----------------------------------------------------------------------

/** Recorded requests that asked for structured output (by the field each API reads) and were answered. */
const recorded = [
  ...loadCassettes("openai-chat").filter((c) => (c.request.body as Json).response_format !== undefined),
  ...loadCassettes("openai-responses").filter((c) => ((c.request.body as Json).text as Json | undefined)?.format),
  ...loadCassettes("anthropic").filter((c) => (c.request.body as Json).output_config !== undefined),
  ...loadCassettes("gemini").filter((c) => {
    const config = (c.request.body as Json).generationConfig as Json | undefined
    return config?.responseJsonSchema !== undefined || config?.responseMimeType !== undefined
  })
].filter((c) => c.response.status === 200)

describe("every recorded structured-output request passes the simulator's checks", () => {
  it("the recordings hold such requests for OpenAI (both APIs), Anthropic and Gemini", () => {
    expect(new Set(recorded.map((c) => c.folder))).toEqual(
      new Set(["openai-chat", "openai-responses", "anthropic", "gemini"])
    )
    expect(recorded.length).toBeGreaterThanOrEqual(20)
  })

  for (const cassette of recorded)
    it(`${cassette.folder}/${cassette.name}`, async () => {
      const body = cassette.request.body as Json
      const answer =
        cassette.folder === "gemini"
          ? await post(
              `${gemini.url}/v1beta/models/gemini-2.5-flash:generateContent`,
              { "x-goog-api-key": "AIzaSy-raw" },
              body
            )
          : cassette.folder === "anthropic"
            ? await post(`${anthropic.url}/v1/messages`, { "x-api-key": "sk-ant-test" }, { ...body, stream: false })
            : await post(
                `${openai.url}${cassette.folder === "openai-chat" ? "/v1/chat/completions" : "/v1/responses"}`,
                { authorization: "Bearer sk-test" },
                { ...body, stream: false }
              )
      expect(answer.status, JSON.stringify(answer.body)).toBe(200)
    })
})
