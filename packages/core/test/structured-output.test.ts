/**
 * Structured output through the orchestrator, over fake providers: the responseFormat rules checked
 * before anything is sent, the answer decoded and checked against the schema (plain and streamed),
 * an answer that does not match billed and then falling back (or not, with on_invalid_output false).
 */
import { describe, expect, it } from "@effect/vitest"
import {
  type ChatRequest,
  classifyError,
  LLMOrchestrator,
  OutputValidationError,
  type StreamEvent,
  type ToolCall
} from "@llm-orchestrator/core"
import { Effect, Stream } from "effect"
import { attemptsOf, setup } from "./orchestrator-helpers.ts"

const city = {
  type: "object",
  properties: { city: { type: "string" }, population: { type: "integer", minimum: 0 } },
  required: ["city", "population"],
  additionalProperties: false
}
const ask = { role: "user" as const, content: "The largest city of Mexico?" }
const asked: ChatRequest = { messages: [ask], responseFormat: { type: "json", schema: city, name: "city" } }
const answer = '{"city":"Mexico City","population":9209944}'

const chainOfTwo = () =>
  setup({
    activeProvider: "openai",
    activeModel: "a",
    providers: { openai: { fallbackModels: ["b"] } },
    retry: { maxAttempts: 1 }
  })

/** [what, responseFormat, the message after "invalid request: "] */
const refused: ReadonlyArray<[string, unknown, string]> = [
  ["a format that is not an object", "json", 'request.responseFormat must be { type: "json", schema, name? }'],
  [
    "another type",
    { type: "json_schema", schema: city },
    'request.responseFormat must be { type: "json", schema, name? }'
  ],
  [
    "no schema",
    { type: "json" },
    `request.responseFormat.schema must be a JSON Schema of an object ({ type: "object", properties: {...} }): every provider's structured output wants an object at the root; wrap a list or a value in a property`
  ],
  [
    "a list at the root",
    { type: "json", schema: { type: "array", items: { type: "string" } } },
    `request.responseFormat.schema must be a JSON Schema of an object ({ type: "object", properties: {...} }): every provider's structured output wants an object at the root; wrap a list or a value in a property`
  ],
  [
    "a name with a space",
    { type: "json", schema: city, name: "the city" },
    "request.responseFormat.name must be 1 to 64 characters: letters, digits, _ and -"
  ],
  [
    "a name of 65 characters",
    { type: "json", schema: city, name: "n".repeat(65) },
    "request.responseFormat.name must be 1 to 64 characters: letters, digits, _ and -"
  ],
  [
    "a name that is not text",
    { type: "json", schema: city, name: 7 },
    "request.responseFormat.name must be 1 to 64 characters: letters, digits, _ and -"
  ]
]

describe("structured output: requests", () => {
  it.effect("each broken responseFormat fails with a message that names the fix, before any call", () => {
    const t = setup({ activeProvider: "openai", activeModel: "m", providers: { openai: {} } })
    return Effect.gen(function* () {
      const llm = yield* LLMOrchestrator
      for (const [what, responseFormat, message] of refused) {
        const request = { messages: [ask], responseFormat } as ChatRequest
        const failure = yield* Effect.flip(llm.sendRequest(request))
        expect(failure._tag, what).toBe("InvalidRequestError")
        expect(failure.message, what).toBe(`invalid request: ${message}`)
        const streamed = yield* Effect.flip(Stream.runDrain(llm.sendStreamingRequest(request)))
        expect(streamed.message, what).toBe(`invalid request: ${message}`)
      }
      expect(t.fake("openai").calls).toHaveLength(0)
    }).pipe(Effect.provide(t.layer))
  })

  it.effect("a schema that is not valid JSON Schema is refused with the validator's reason", () => {
    const t = setup({ activeProvider: "openai", activeModel: "m", providers: { openai: {} } })
    return Effect.gen(function* () {
      const llm = yield* LLMOrchestrator
      const failure = yield* Effect.flip(
        llm.sendRequest({
          messages: [ask],
          responseFormat: { type: "json", schema: { type: "object", properties: { city: { type: "town" } } } }
        })
      )
      expect(failure.message).toMatch(
        /^invalid request: request\.responseFormat\.schema is not a valid JSON Schema: .+/
      )
      expect(t.fake("openai").calls).toHaveLength(0)
    }).pipe(Effect.provide(t.layer))
  })

  it.effect("a valid format reaches the provider as given; a draft-07 $schema and 64-character names are fine", () => {
    const t = setup({ activeProvider: "openai", activeModel: "m", providers: { openai: {} } })
    const draft07 = { $schema: "http://json-schema.org/draft-07/schema#", ...city }
    const requests: Array<ChatRequest> = [
      asked,
      { messages: [ask], responseFormat: { type: "json", schema: draft07, name: `${"a".repeat(63)}9` } },
      { messages: [ask], responseFormat: { type: "json", schema: city, name: "0-city_name" } }
    ]
    return Effect.gen(function* () {
      const llm = yield* LLMOrchestrator
      for (const request of requests) {
        t.fake("openai").script({ text: answer })
        const response = yield* llm.sendRequest(request)
        expect(response.output).toEqual({ city: "Mexico City", population: 9209944 })
      }
      expect(t.fake("openai").calls.map((c) => c.request)).toEqual(requests)
    }).pipe(Effect.provide(t.layer))
  })
})

describe("structured output: answers", () => {
  it.effect("an answer in the schema comes back decoded in output, content unchanged, billed once", () => {
    const t = setup({ activeProvider: "openai", activeModel: "m", providers: { openai: {} } })
    t.fake("openai").script({ text: answer, usage: { inputTokens: 40, outputTokens: 12 } })
    return Effect.gen(function* () {
      const response = yield* (yield* LLMOrchestrator).sendRequest(asked)
      expect(response.output).toEqual({ city: "Mexico City", population: 9209944 })
      expect(response.content).toBe(answer)
      expect(t.records.map((r) => [r.outcome, r.usage.outputTokens])).toEqual([["success", 12]])
    }).pipe(Effect.provide(t.layer))
  })

  it.effect("without a responseFormat a JSON answer has no output", () => {
    const t = setup({ activeProvider: "openai", activeModel: "m", providers: { openai: {} } })
    t.fake("openai").script({ text: answer })
    return Effect.gen(function* () {
      const response = yield* (yield* LLMOrchestrator).sendRequest({ messages: [ask] })
      expect("output" in response).toBe(false)
    }).pipe(Effect.provide(t.layer))
  })

  it.effect("an answer that is not JSON is billed as failed, and the next model answers", () => {
    const t = chainOfTwo()
    t.fake("openai").scriptModel("a", { text: "Mexico City, of course.", usage: { inputTokens: 40, outputTokens: 6 } })
    t.fake("openai").scriptModel("b", { text: answer, usage: { inputTokens: 40, outputTokens: 12 } })
    return Effect.gen(function* () {
      const response = yield* (yield* LLMOrchestrator).sendRequest(asked)
      expect(response.model).toBe("b")
      expect(response.output).toEqual({ city: "Mexico City", population: 9209944 })
      expect(attemptsOf(response.attempts)).toEqual(["openai/a:error:OutputValidationError", "openai/b:success"])
      expect(t.records.map((r) => [r.model, r.outcome, r.errorTag, r.usage.outputTokens])).toEqual([
        ["a", "error", "OutputValidationError", 6],
        ["b", "success", undefined, 12]
      ])
    }).pipe(Effect.provide(t.layer))
  })

  it.effect("the error names the model, the schema violations and keeps the answer; retried on no model", () => {
    const t = chainOfTwo()
    const wrong = '{"city":"Mexico City","population":-3,"country":"MX"}'
    t.fake("openai").scriptModel("a", { text: wrong })
    t.fake("openai").scriptModel("b", { text: "{}" })
    return Effect.gen(function* () {
      const failure = yield* Effect.flip((yield* LLMOrchestrator).sendRequest(asked))
      expect(failure).toBeInstanceOf(OutputValidationError)
      const error = failure as OutputValidationError
      // The last model's error: b answered {} (both properties missing).
      expect(error.model).toBe("b")
      expect(error.content).toBe("{}")
      expect(error.message).toBe(
        "openai model b did not answer in request.responseFormat's schema: the answer does not match the schema: the answer must have required property 'city'; the answer must have required property 'population'. The answer was billed; the chain tries its next model unless fallback.on_invalid_output is false"
      )
      expect(t.fake("openai").calls.map((c) => c.model)).toEqual(["a", "b"])
      expect(t.records.map((r) => r.errorTag)).toEqual(["OutputValidationError", "OutputValidationError"])
    }).pipe(Effect.provide(t.layer))
  })

  it.effect("violations are listed by path, at most five, with a count of the rest", () => {
    const t = setup({ activeProvider: "openai", activeModel: "m", providers: { openai: {} } })
    const seven = {
      type: "object",
      properties: Object.fromEntries(["a", "b", "c", "d", "e", "f", "g"].map((k) => [k, { type: "integer" }]))
    }
    t.fake("openai").script({ text: JSON.stringify({ a: "1", b: "2", c: "3", d: "4", e: "5", f: "6", g: "7" }) })
    t.fake("openai").script({ text: '{"city":"Mexico City","population":-3}' })
    return Effect.gen(function* () {
      const llm = yield* LLMOrchestrator
      const many = yield* Effect.flip(
        llm.sendRequest({ messages: [ask], responseFormat: { type: "json", schema: seven } })
      )
      expect(many.message).toContain(
        "the answer does not match the schema: /a must be integer; /b must be integer; /c must be integer; /d must be integer; /e must be integer (and 2 more)."
      )
      const one = yield* Effect.flip(llm.sendRequest(asked))
      expect(one.message).toContain("the answer does not match the schema: /population must be >= 0.")
    }).pipe(Effect.provide(t.layer))
  })

  it.effect("an empty answer and an answer cut at maxTokens say so", () => {
    const t = setup({ activeProvider: "openai", activeModel: "m", providers: { openai: {} } })
    t.fake("openai").script({ text: "  " })
    t.fake("openai").script({ text: '{"city":"Mex', finishReason: "length" })
    return Effect.gen(function* () {
      const llm = yield* LLMOrchestrator
      const empty = yield* Effect.flip(llm.sendRequest(asked))
      expect(empty.message).toContain("schema: the answer is empty. The answer was billed")
      const cut = yield* Effect.flip(llm.sendRequest(asked))
      expect(cut.message).toContain(
        "schema: the answer is not JSON (the answer was cut off at maxTokens: raise it). The answer was billed"
      )
    }).pipe(Effect.provide(t.layer))
  })

  it.effect("with fallback.on_invalid_output false the first model's answer fails the request", () => {
    const t = setup({
      activeProvider: "openai",
      activeModel: "a",
      providers: { openai: { fallbackModels: ["b"] } },
      fallback: { onInvalidOutput: false }
    })
    t.fake("openai").scriptModel("a", { text: "not JSON" })
    return Effect.gen(function* () {
      const failure = yield* Effect.flip((yield* LLMOrchestrator).sendRequest(asked))
      expect(failure._tag).toBe("OutputValidationError")
      expect(t.fake("openai").calls.map((c) => c.model)).toEqual(["a"])
    }).pipe(Effect.provide(t.layer))
  })

  it.effect("an answer of tool calls has no output and is not checked: the loop's last step has it", () => {
    const t = setup({ activeProvider: "openai", activeModel: "m", providers: { openai: {} } })
    const call: ToolCall = { id: "call_1", name: "lookup", arguments: { country: "MX" } }
    t.fake("openai").script({ text: "Looking it up.", toolCalls: [call] })
    const tools = [{ name: "lookup", parameters: { type: "object", properties: { country: { type: "string" } } } }]
    return Effect.gen(function* () {
      const response = yield* (yield* LLMOrchestrator).sendRequest({ ...asked, tools })
      expect(response.toolCalls).toEqual([call])
      expect("output" in response).toBe(false)
      expect(t.records.map((r) => r.outcome)).toEqual(["success"])
    }).pipe(Effect.provide(t.layer))
  })

  it("classifyError: an invalid output falls back to any model, or stops when configured so; never retried", () => {
    const error = new OutputValidationError({ provider: "openai", model: "m", message: "x", content: "" })
    expect(classifyError(error)).toEqual({ retrySameModel: false, fallback: "any-model" })
    expect(classifyError(error, { fallbackOnInvalidOutput: true })).toEqual({
      retrySameModel: false,
      fallback: "any-model"
    })
    expect(classifyError(error, { fallbackOnInvalidOutput: false })).toEqual({
      retrySameModel: false,
      fallback: "none"
    })
  })
})

describe("structured output: streams", () => {
  const finishOf = (events: ReadonlyArray<StreamEvent>) => events.at(-1) as StreamEvent & { _tag: "Finish" }

  it.effect("the text streams as it comes; Finish carries the decoded output", () => {
    const t = setup({ activeProvider: "openai", activeModel: "m", providers: { openai: {} } })
    t.fake("openai").script({ text: answer, chunks: ['{"city":', '"Mexico City",', '"population":9209944}'] })
    return Effect.gen(function* () {
      const events = yield* Stream.runCollect((yield* LLMOrchestrator).sendStreamingRequest(asked))
      expect(events.filter((e) => e._tag === "TextDelta").map((e) => e.text)).toEqual([
        '{"city":',
        '"Mexico City",',
        '"population":9209944}'
      ])
      expect(finishOf(events).output).toEqual({ city: "Mexico City", population: 9209944 })
      expect(t.records.map((r) => r.outcome)).toEqual(["success"])
    }).pipe(Effect.provide(t.layer))
  })

  it.effect("without a responseFormat the Finish has no output", () => {
    const t = setup({ activeProvider: "openai", activeModel: "m", providers: { openai: {} } })
    t.fake("openai").script({ text: answer })
    return Effect.gen(function* () {
      const events = yield* Stream.runCollect((yield* LLMOrchestrator).sendStreamingRequest({ messages: [ask] }))
      expect("output" in finishOf(events)).toBe(false)
    }).pipe(Effect.provide(t.layer))
  })

  it.effect(
    "an answer not in the schema ends the stream with OutputValidationError after its text, billed once as failed",
    () => {
      const t = chainOfTwo()
      t.fake("openai").scriptModel("a", {
        text: '{"city": 5}',
        chunks: ['{"city":', " 5}"],
        usage: { outputTokens: 4 }
      })
      const seen: Array<StreamEvent> = []
      return Effect.gen(function* () {
        const failure = yield* Effect.flip(
          Stream.runForEach((yield* LLMOrchestrator).sendStreamingRequest(asked), (event) =>
            Effect.sync(() => void seen.push(event))
          )
        )
        expect(failure._tag).toBe("OutputValidationError")
        expect((failure as OutputValidationError).content).toBe('{"city": 5}')
        expect(failure.message).toContain("/city must be string")
        // After the first text there is no fallback: b is never asked.
        expect(seen.map((e) => e._tag)).toEqual(["TextDelta", "TextDelta"])
        expect(t.fake("openai").calls.map((c) => c.model)).toEqual(["a"])
        expect(t.records.map((r) => [r.model, r.outcome, r.errorTag, r.usage.outputTokens])).toEqual([
          ["a", "error", "OutputValidationError", 4]
        ])
      }).pipe(Effect.provide(t.layer))
    }
  )

  it.effect("a stream of tool calls under a responseFormat finishes without output", () => {
    const t = setup({ activeProvider: "openai", activeModel: "m", providers: { openai: {} } })
    const call: ToolCall = { id: "call_1", name: "lookup", arguments: { country: "MX" } }
    t.fake("openai").script({ text: "Looking.", toolCalls: [call] })
    const tools = [{ name: "lookup", parameters: { type: "object", properties: {} } }]
    return Effect.gen(function* () {
      const events = yield* Stream.runCollect((yield* LLMOrchestrator).sendStreamingRequest({ ...asked, tools }))
      const finish = finishOf(events)
      expect(finish.finishReason).toBe("tool-calls")
      expect("output" in finish).toBe(false)
      expect(t.records.map((r) => r.outcome)).toEqual(["success"])
    }).pipe(Effect.provide(t.layer))
  })
})
