/**
 * Tool calls through the orchestrator, over fake providers: the request rules checked before anything
 * is sent, tool calls returned and billed, and the stream rule that a tool call is output like text
 * (the first tool-call event ends the time a fallback is possible).
 */
import { describe, expect, it } from "@effect/vitest"
import {
  type ChatRequest,
  ContextLengthExceededError,
  LLMOrchestrator,
  type ProviderStreamEvent,
  ProviderUnavailableError,
  type StreamEvent,
  type ToolCall
} from "@llm-orchestrator/core"
import { Effect, Stream } from "effect"
import { attemptsOf, setup } from "./orchestrator-helpers.ts"

const weather = {
  name: "get_weather",
  description: "The weather in a city",
  parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] }
}
const ask = { role: "user" as const, content: "Weather in Paris?" }
const call: ToolCall = { id: "call_1", name: "get_weather", arguments: { city: "Paris" } }
const calledWeather = { role: "assistant" as const, content: [{ type: "tool-call" as const, ...call }] }
const weatherResult = {
  role: "tool" as const,
  content: [{ type: "tool-result" as const, id: "call_1", name: "get_weather", result: { celsius: 21 } }]
}

/** [what, request, the message after "invalid request: "] */
const refused: ReadonlyArray<[string, unknown, string]> = [
  [
    "tools that are not a list",
    { messages: [ask], tools: weather },
    "request.tools must be an array of { name, description?, parameters }"
  ],
  [
    "a tool that is not an object",
    { messages: [ask], tools: ["x"] },
    "request.tools[0] must be { name, description?, parameters }"
  ],
  [
    "a tool without a name",
    { messages: [ask], tools: [{ parameters: weather.parameters }] },
    "request.tools[0].name is missing or invalid (tool names are 1 to 64 characters: letters, digits, _ and -, starting with a letter or _)"
  ],
  [
    "a tool name with a dot",
    { messages: [ask], tools: [{ ...weather, name: "weather.get" }] },
    "request.tools[0].name is missing or invalid (tool names are 1 to 64 characters: letters, digits, _ and -, starting with a letter or _)"
  ],
  [
    "a tool name starting with a digit",
    { messages: [ask], tools: [{ ...weather, name: "1weather" }] },
    "request.tools[0].name is missing or invalid (tool names are 1 to 64 characters: letters, digits, _ and -, starting with a letter or _)"
  ],
  [
    "a tool name of 65 characters",
    { messages: [ask], tools: [{ ...weather, name: `a${"b".repeat(64)}` }] },
    "request.tools[0].name is missing or invalid (tool names are 1 to 64 characters: letters, digits, _ and -, starting with a letter or _)"
  ],
  [
    "two tools of one name",
    { messages: [ask], tools: [weather, weather] },
    'request.tools[1].name "get_weather" is defined twice'
  ],
  [
    "a description that is not text",
    { messages: [ask], tools: [{ ...weather, description: 3 }] },
    "request.tools[0].description must be a string"
  ],
  [
    "parameters that are not an object schema",
    { messages: [ask], tools: [{ ...weather, parameters: { type: "string" } }] },
    'request.tools[0].parameters must be a JSON Schema of an object ({ type: "object", properties: {...} })'
  ],
  [
    "no parameters",
    { messages: [ask], tools: [{ name: "now" }] },
    'request.tools[0].parameters must be a JSON Schema of an object ({ type: "object", properties: {...} })'
  ],
  [
    "a tool choice naming an unknown tool",
    { messages: [ask], tools: [weather], toolChoice: { tool: "get_time" } },
    'request.toolChoice names the tool "get_time", which request.tools does not define (get_weather)'
  ],
  [
    "a tool choice naming a tool with no tools",
    { messages: [ask], toolChoice: { tool: "get_time" } },
    'request.toolChoice names the tool "get_time", which request.tools does not define (no tools)'
  ],
  [
    "required with no tools",
    { messages: [ask], toolChoice: "required" },
    'request.toolChoice "required" needs request.tools'
  ],
  [
    "an unknown tool choice",
    { messages: [ask], tools: [weather], toolChoice: "any" },
    'request.toolChoice must be "auto", "none", "required" or { tool: name }'
  ],
  [
    "a tool call in a user message",
    { messages: [{ role: "user", content: [{ type: "tool-call", ...call }] }] },
    "request.messages[0].content[0]: tool-call parts belong in assistant messages"
  ],
  [
    "a tool call without an id",
    { messages: [ask, { role: "assistant", content: [{ type: "tool-call", ...call, id: "" }] }] },
    'request.messages[1].content[0] must be { type: "tool-call", id, name, arguments } with a non-empty id and name'
  ],
  [
    "arguments that are not an object",
    {
      messages: [ask, { role: "assistant", content: [{ type: "tool-call", ...call, arguments: '{"city":"Paris"}' }] }]
    },
    "request.messages[1].content[0].arguments must be an object (the parsed arguments, as response.toolCalls gives them)"
  ],
  [
    "arguments that are a list",
    { messages: [ask, { role: "assistant", content: [{ type: "tool-call", ...call, arguments: ["Paris"] }] }] },
    "request.messages[1].content[0].arguments must be an object (the parsed arguments, as response.toolCalls gives them)"
  ],
  [
    "a tool result in an assistant message",
    { messages: [ask, { role: "assistant", content: weatherResult.content }] },
    'request.messages[1].content[0]: tool-result parts belong in messages of role "tool"'
  ],
  [
    "a tool result answering no call",
    { messages: [ask, weatherResult] },
    'request.messages[1].content[0] answers tool call "call_1", which no earlier assistant message made'
  ],
  [
    "a tool result before its call",
    { messages: [ask, weatherResult, calledWeather] },
    'request.messages[1].content[0] answers tool call "call_1", which no earlier assistant message made'
  ],
  [
    "a tool result without a name",
    { messages: [ask, calledWeather, { role: "tool", content: [{ ...weatherResult.content[0], name: "" }] }] },
    'request.messages[2].content[0] must be { type: "tool-result", id, name, result } with the id and name of the call it answers'
  ],
  [
    "a tool result without a result",
    {
      messages: [
        ask,
        calledWeather,
        { role: "tool", content: [{ type: "tool-result", id: "call_1", name: "get_weather" }] }
      ]
    },
    "request.messages[2].content[0].result is missing (any JSON value, or a string)"
  ],
  [
    "isError that is not a boolean",
    { messages: [ask, calledWeather, { role: "tool", content: [{ ...weatherResult.content[0], isError: "yes" }] }] },
    "request.messages[2].content[0].isError must be a boolean"
  ],
  [
    "a tool message of plain text",
    { messages: [ask, calledWeather, { role: "tool", content: "21 degrees" }] },
    'request.messages[2] has role "tool": its content must be tool-result parts ({ type: "tool-result", id, name, result })'
  ],
  [
    "a tool message with a text part",
    {
      messages: [
        ask,
        calledWeather,
        { role: "tool", content: [...weatherResult.content, { type: "text", text: "ok" }] }
      ]
    },
    'request.messages[2] has role "tool": its content must be tool-result parts ({ type: "tool-result", id, name, result })'
  ],
  [
    "an empty tool message",
    { messages: [ask, calledWeather, { role: "tool", content: [] }] },
    'request.messages[2] has role "tool": its content must be tool-result parts ({ type: "tool-result", id, name, result })'
  ],
  [
    "a role that does not exist",
    { messages: [{ role: "function", content: "x" }] },
    'request.messages[0].role must be "system", "user", "assistant" or "tool" (got "function")'
  ]
]

const accepted: ReadonlyArray<[string, ChatRequest]> = [
  ["tools and auto", { messages: [ask], tools: [weather], toolChoice: "auto" }],
  ["none with no tools", { messages: [ask], toolChoice: "none" }],
  ["required", { messages: [ask], tools: [weather], toolChoice: "required" }],
  ["one tool by name", { messages: [ask], tools: [weather], toolChoice: { tool: "get_weather" } }],
  ["a 64-character name starting with _", { messages: [ask], tools: [{ ...weather, name: `_${"a".repeat(63)}` }] }],
  ["a whole tool loop", { messages: [ask, calledWeather, weatherResult], tools: [weather] }],
  [
    "an error result with a string",
    {
      messages: [
        ask,
        calledWeather,
        {
          role: "tool",
          content: [{ type: "tool-result", id: "call_1", name: "get_weather", result: "down", isError: true }]
        }
      ]
    }
  ],
  [
    "a result of null",
    { messages: [ask, calledWeather, { role: "tool", content: [{ ...weatherResult.content[0]!, result: null }] }] }
  ]
]

describe("tool requests", () => {
  it.effect("each broken tool rule fails with a message that names the field and the fix, before any call", () => {
    const t = setup({ activeProvider: "openai", activeModel: "m", providers: { openai: {} } })
    return Effect.gen(function* () {
      const llm = yield* LLMOrchestrator
      for (const [what, request, message] of refused) {
        const failure = yield* Effect.flip(llm.sendRequest(request as ChatRequest))
        expect(failure._tag, what).toBe("InvalidRequestError")
        expect(failure.message, what).toBe(`invalid request: ${message}`)
        const streamed = yield* Effect.flip(Stream.runDrain(llm.sendStreamingRequest(request as ChatRequest)))
        expect(streamed.message, what).toBe(`invalid request: ${message}`)
      }
      expect(t.fake("openai").calls).toHaveLength(0)
    }).pipe(Effect.provide(t.layer))
  })

  it.effect("valid tool requests reach the provider as they were given", () => {
    const t = setup({ activeProvider: "openai", activeModel: "m", providers: { openai: {} } })
    return Effect.gen(function* () {
      const llm = yield* LLMOrchestrator
      for (const [what, request] of accepted) {
        const response = yield* Effect.result(llm.sendRequest(request))
        expect(response._tag, what).toBe("Success")
      }
      expect(t.fake("openai").calls.map((c) => c.request)).toEqual(accepted.map(([, request]) => request))
    }).pipe(Effect.provide(t.layer))
  })

  it.effect("a plain call returns the tool calls with finish reason tool-calls, billed like any answer", () => {
    const t = setup({ activeProvider: "openai", activeModel: "m", providers: { openai: {} } })
    t.fake("openai").script({ text: "", toolCalls: [call], usage: { inputTokens: 100, outputTokens: 20 } })
    return Effect.gen(function* () {
      const llm = yield* LLMOrchestrator
      const response = yield* llm.sendRequest({ messages: [ask], tools: [weather] })
      expect(response.toolCalls).toEqual([call])
      expect(response.finishReason).toBe("tool-calls")
      expect(response.content).toBe("")
      // $1 per million in, $2 per million out (orchestrator-helpers).
      expect(response.cost?.total).toBeCloseTo((100 * 1 + 20 * 2) / 1e6, 12)
      expect(t.records.map((r) => [r.outcome, r.usage.outputTokens])).toEqual([["success", 20]])
    }).pipe(Effect.provide(t.layer))
  })

  it.effect("a filtered answer that still called a tool is an answer, not a content-filter error", () => {
    const t = setup({ activeProvider: "openai", activeModel: "m", providers: { openai: {} } })
    t.fake("openai").script({ text: "", toolCalls: [call], finishReason: "content-filter" })
    return Effect.gen(function* () {
      const llm = yield* LLMOrchestrator
      const response = yield* llm.sendRequest({ messages: [ask], tools: [weather] })
      expect(response.finishReason).toBe("content-filter")
      expect(response.toolCalls).toEqual([call])
    }).pipe(Effect.provide(t.layer))
  })

  it.effect("a stream gives the tool-call events in order, then one Finish", () => {
    const t = setup({ activeProvider: "openai", activeModel: "m", providers: { openai: {} } })
    t.fake("openai").script({ text: "Checking.", chunks: 1, toolCalls: [call] })
    return Effect.gen(function* () {
      const llm = yield* LLMOrchestrator
      const events = yield* Stream.runCollect(llm.sendStreamingRequest({ messages: [ask], tools: [weather] }))
      expect(events.map((e) => e._tag)).toEqual([
        "TextDelta",
        "ToolCallStart",
        "ToolCallDelta",
        "ToolCallDelta",
        "ToolCall",
        "Finish"
      ])
      const args = events.flatMap((e) => (e._tag === "ToolCallDelta" ? [e.argumentsDelta] : [])).join("")
      expect(JSON.parse(args)).toEqual({ city: "Paris" })
      expect(events[4]).toEqual({ _tag: "ToolCall", ...call })
      const finish = events[5] as StreamEvent & { _tag: "Finish" }
      expect(finish.finishReason).toBe("tool-calls")
      expect(t.records).toHaveLength(1)
    }).pipe(Effect.provide(t.layer))
  })

  const usageOnly: ProviderStreamEvent = {
    _tag: "UsageSnapshot",
    usage: { inputTokens: 50, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 }
  }
  const failure = new ProviderUnavailableError({ provider: "openai", model: "a", message: "down", status: 503 })

  it.effect("a stream that fails after a tool call started does not fall back: the call was output", () => {
    const t = setup({ activeProvider: "openai", activeModel: "a", providers: { openai: { fallbackModels: ["b"] } } })
    t.fake("openai").scriptModel("a", {
      events: [[usageOnly], [{ _tag: "ToolCallStart", id: "call_1", name: "get_weather" }]],
      failWith: failure
    })
    const started: Array<StreamEvent> = []
    return Effect.gen(function* () {
      const llm = yield* LLMOrchestrator
      const exit = yield* Effect.exit(
        Stream.runForEach(llm.sendStreamingRequest({ messages: [ask], tools: [weather] }), (event) =>
          Effect.sync(() => void started.push(event))
        )
      )
      expect(started).toEqual([{ _tag: "ToolCallStart", id: "call_1", name: "get_weather" }])
      expect(exit._tag === "Failure" && exit.cause.toString()).toContain("ProviderUnavailableError")
      // Model b was never asked, and the started try is billed once, as failed.
      expect(t.fake("openai").calls.map((c) => c.model)).toEqual(["a"])
      expect(t.records.map((r) => [r.model, r.outcome, r.usage.inputTokens])).toEqual([["a", "error", 50]])
    }).pipe(Effect.provide(t.layer))
  })

  it.effect("a stream that fails before any text or tool call falls back, and the failed try is billed", () => {
    const t = setup({ activeProvider: "openai", activeModel: "a", providers: { openai: { fallbackModels: ["b"] } } })
    // Not retried on the same model (no backoff to wait through): the next model at once.
    const tooLong = new ContextLengthExceededError({ provider: "openai", model: "a", message: "too long" })
    t.fake("openai").scriptModel("a", { text: "", failAfterChunks: 0, error: tooLong, usage: { inputTokens: 50 } })
    t.fake("openai").scriptModel("b", { text: "", toolCalls: [call] })
    return Effect.gen(function* () {
      const llm = yield* LLMOrchestrator
      const events = yield* Stream.runCollect(llm.sendStreamingRequest({ messages: [ask], tools: [weather] }))
      const finish = events.at(-1) as StreamEvent & { _tag: "Finish" }
      expect(finish.model).toBe("b")
      expect(attemptsOf(finish.attempts)).toEqual(["openai/a:error:ContextLengthExceededError", "openai/b:success"])
      expect(events.filter((e) => e._tag === "ToolCall")).toEqual([{ _tag: "ToolCall", ...call }])
      expect(t.records.map((r) => [r.model, r.outcome])).toEqual([
        ["a", "error"],
        ["b", "success"]
      ])
    }).pipe(Effect.provide(t.layer))
  })
})
