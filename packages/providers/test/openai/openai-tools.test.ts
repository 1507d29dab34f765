/**
 * Tool calls through `OpenAIProvider` and the real `openai` SDK against the OpenAI simulator, on both
 * APIs: the wire form of tools, tool choice and tool history (as the simulator recorded it, and as its
 * checks of the real API's rules accept it), tool calls read from plain and streamed answers, ids from
 * another provider's history, and arguments that are not JSON.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "@effect/vitest"
import {
  type ChatRequest,
  type LLMError,
  LLMProvider,
  type Message,
  type ProviderStreamEvent,
  type ToolChoice
} from "@llm-orchestrator/core"
import { type RecordedRequest, type Simulator, startOpenAISimulator } from "@llm-orchestrator/testing"
import { Effect, Redacted, Stream } from "effect"
import { OpenAICompatibleProvider, type OpenAIOptions, OpenAIProvider } from "../../src/openai/openai.ts"

let sim: Simulator
beforeAll(async () => {
  sim = await startOpenAISimulator()
})
afterAll(() => sim.close())
beforeEach(() => {
  sim.reset()
})

const layer = (api: "chat" | "responses", options: Partial<OpenAIOptions> = {}) =>
  OpenAIProvider.layer({ apiKey: Redacted.make("sk-test-tools"), baseUrl: `${sim.url}/v1`, api, ...options })

const generate = (api: "chat" | "responses", request: ChatRequest) =>
  LLMProvider.use((p) => p.generate(request, "gpt-4o-mini")).pipe(Effect.provide(layer(api)))

const stream = (api: "chat" | "responses", request: ChatRequest) =>
  Effect.gen(function* () {
    const provider = yield* LLMProvider
    return Array.from(yield* Stream.runCollect(provider.stream(request, "gpt-4o-mini")))
  }).pipe(Effect.provide(layer(api)))

const lastBody = (): Record<string, unknown> => {
  const last: RecordedRequest | undefined = sim.requests.at(-1)
  if (!last) throw new Error("the simulator received no request")
  return last.body as Record<string, unknown>
}

const weather = {
  name: "get_weather",
  description: "Current weather of a city",
  parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] }
}
const clock = { name: "get_time", parameters: { type: "object", properties: {} } }

const ask: Message = { role: "user", content: "Weather in Paris?" }
const firstTurn: ChatRequest = { messages: [ask], tools: [weather, clock] }

/** The history after the model called get_weather and the tool answered. */
const secondTurn = (id: string): ChatRequest => ({
  messages: [
    ask,
    {
      role: "assistant",
      content: [
        { type: "text", text: "Let me look." },
        { type: "tool-call", id, name: "get_weather", arguments: { city: "Paris" } }
      ]
    },
    {
      role: "tool",
      content: [{ type: "tool-result", id, name: "get_weather", result: { tempC: 18, sky: "clear" } }]
    }
  ],
  tools: [weather, clock]
})

const toolEvents = (events: ReadonlyArray<ProviderStreamEvent>) =>
  events.filter((e) => e._tag === "ToolCallStart" || e._tag === "ToolCallDelta" || e._tag === "ToolCall")

describe("a two-step tool loop, Chat Completions", () => {
  it.live("plain: the call comes back, the result goes out as a tool message with the call's id", () =>
    Effect.gen(function* () {
      sim.script(
        { kind: "text", text: "", toolCalls: [{ id: "call_W1", name: "get_weather", arguments: { city: "Paris" } }] },
        { kind: "text", text: "18 °C and clear." }
      )
      const first = yield* generate("chat", firstTurn)
      expect(first.content).toBe("")
      expect(first.finishReason).toBe("tool-calls")
      expect(first.toolCalls).toEqual([{ id: "call_W1", name: "get_weather", arguments: { city: "Paris" } }])
      expect(lastBody().tools).toEqual([
        {
          type: "function",
          function: {
            name: "get_weather",
            description: "Current weather of a city",
            parameters: weather.parameters
          }
        },
        { type: "function", function: { name: "get_time", parameters: clock.parameters } }
      ])
      expect(lastBody()).not.toHaveProperty("tool_choice")

      const second = yield* generate("chat", secondTurn("call_W1"))
      expect(second).toMatchObject({ content: "18 °C and clear.", finishReason: "stop" })
      expect(second).not.toHaveProperty("toolCalls")
      const messages = lastBody().messages as ReadonlyArray<Record<string, unknown>>
      expect(messages.slice(1)).toEqual([
        {
          role: "assistant",
          content: "Let me look.",
          tool_calls: [
            { id: "call_W1", type: "function", function: { name: "get_weather", arguments: '{"city":"Paris"}' } }
          ]
        },
        { role: "tool", tool_call_id: "call_W1", content: '{"tempC":18,"sky":"clear"}' }
      ])
    })
  )

  it.live("streamed: text, then start, argument pieces and the complete call per index, before the finish", () =>
    Effect.gen(function* () {
      sim.script({
        kind: "text",
        text: "Checking.",
        chunks: ["Check", "ing."],
        toolCalls: [
          { id: "call_A", name: "get_weather", arguments: { city: "Paris" }, argumentsChunks: 3 },
          { id: "call_B", name: "get_time", arguments: {}, argumentsChunks: 1 }
        ]
      })
      const events = yield* stream("chat", firstTurn)
      const json = '{"city":"Paris"}'
      const pieces = toolEvents(events)
        .filter((e) => e._tag === "ToolCallDelta" && e.id === "call_A")
        .map((e) => (e._tag === "ToolCallDelta" ? e.argumentsDelta : ""))
      expect(pieces).toHaveLength(3)
      expect(pieces.join("")).toBe(json)
      expect(events.map((e) => e._tag)).toEqual([
        "TextDelta",
        "TextDelta",
        "ToolCallStart",
        "ToolCallDelta",
        "ToolCallDelta",
        "ToolCallDelta",
        "ToolCallStart",
        "ToolCallDelta",
        "ToolCall",
        "ToolCall",
        "UsageSnapshot",
        "ProviderFinish"
      ])
      expect(events.filter((e) => e._tag === "ToolCallStart")).toEqual([
        { _tag: "ToolCallStart", id: "call_A", name: "get_weather" },
        { _tag: "ToolCallStart", id: "call_B", name: "get_time" }
      ])
      expect(events.filter((e) => e._tag === "ToolCall")).toEqual([
        { _tag: "ToolCall", id: "call_A", name: "get_weather", arguments: { city: "Paris" } },
        { _tag: "ToolCall", id: "call_B", name: "get_time", arguments: {} }
      ])
      expect(events.at(-1)).toMatchObject({ _tag: "ProviderFinish", finishReason: "tool-calls" })

      sim.script({ kind: "text", text: "18 °C." })
      const answer = yield* stream("chat", secondTurn("call_A"))
      expect(toolEvents(answer)).toEqual([])
      expect(answer.at(-1)).toMatchObject({ _tag: "ProviderFinish", finishReason: "stop" })
      const messages = lastBody().messages as ReadonlyArray<Record<string, unknown>>
      expect(messages.at(-1)).toEqual({ role: "tool", tool_call_id: "call_A", content: '{"tempC":18,"sky":"clear"}' })
    })
  )

  it.live("a simulator-made id (none scripted) is the one the next request answers", () =>
    Effect.gen(function* () {
      sim.script(
        { kind: "text", text: "", toolCalls: [{ name: "get_time", arguments: {} }] },
        { kind: "text", text: "Noon." }
      )
      const first = yield* generate("chat", firstTurn)
      const id = first.toolCalls?.[0]?.id ?? ""
      expect(id).toMatch(/^call_[A-Za-z0-9_]+$/)
      yield* generate("chat", {
        messages: [
          ask,
          { role: "assistant", content: [{ type: "tool-call", id, name: "get_time", arguments: {} }] },
          { role: "tool", content: [{ type: "tool-result", id, name: "get_time", result: "12:00" }] }
        ],
        tools: [clock]
      })
      const messages = lastBody().messages as ReadonlyArray<Record<string, unknown>>
      expect(messages.slice(1)).toEqual([
        {
          role: "assistant",
          content: null,
          tool_calls: [{ id, type: "function", function: { name: "get_time", arguments: "{}" } }]
        },
        { role: "tool", tool_call_id: id, content: "12:00" }
      ])
    })
  )
})

describe("a two-step tool loop, Responses API", () => {
  it.live("plain: function_call items out, function_call and function_call_output items back", () =>
    Effect.gen(function* () {
      sim.script(
        { kind: "text", text: "", toolCalls: [{ id: "call_R1", name: "get_weather", arguments: { city: "Paris" } }] },
        { kind: "text", text: "18 °C." }
      )
      const first = yield* generate("responses", {
        ...firstTurn,
        messages: [{ role: "system", content: "Be brief." }, ask]
      })
      expect(first).toMatchObject({ content: "", finishReason: "tool-calls" })
      expect(first.toolCalls).toEqual([{ id: "call_R1", name: "get_weather", arguments: { city: "Paris" } }])
      expect(lastBody()).toMatchObject({
        instructions: "Be brief.",
        input: [{ role: "user", content: "Weather in Paris?" }],
        tools: [
          {
            type: "function",
            name: "get_weather",
            description: "Current weather of a city",
            parameters: weather.parameters,
            strict: false
          },
          { type: "function", name: "get_time", parameters: clock.parameters, strict: false }
        ]
      })

      const second = yield* generate("responses", secondTurn("call_R1"))
      expect(second).toMatchObject({ content: "18 °C.", finishReason: "stop" })
      expect(lastBody().input).toEqual([
        { role: "user", content: "Weather in Paris?" },
        { role: "assistant", content: "Let me look." },
        { type: "function_call", call_id: "call_R1", name: "get_weather", arguments: '{"city":"Paris"}' },
        { type: "function_call_output", call_id: "call_R1", output: '{"tempC":18,"sky":"clear"}' }
      ])
    })
  )

  it.live("streamed: calls keyed by item id, exposed by call_id, in wire order after the text", () =>
    Effect.gen(function* () {
      sim.script({
        kind: "text",
        text: "One moment.",
        toolCalls: [
          { id: "call_X", name: "get_weather", arguments: { city: "Oslo" }, argumentsChunks: 2 },
          { name: "get_time", arguments: {} }
        ]
      })
      const events = yield* stream("responses", firstTurn)
      const calls = events.filter((e) => e._tag === "ToolCall")
      expect(calls).toHaveLength(2)
      expect(calls[0]).toEqual({ _tag: "ToolCall", id: "call_X", name: "get_weather", arguments: { city: "Oslo" } })
      expect(calls[1]).toMatchObject({ _tag: "ToolCall", name: "get_time", arguments: {} })
      expect((calls[1] as { id: string }).id).toMatch(/^call_/)
      const firstTool = events.findIndex((e) => e._tag === "ToolCallStart")
      expect(events.findLastIndex((e) => e._tag === "TextDelta")).toBeLessThan(firstTool)
      expect(
        events
          .filter((e) => e._tag === "ToolCallDelta" && e.id === "call_X")
          .map((e) => (e._tag === "ToolCallDelta" ? e.argumentsDelta : ""))
      ).toEqual(['{"city":', '"Oslo"}'])
      // Each call: start, deltas, complete, before the next one starts.
      const order = toolEvents(events).map((e) => `${e._tag}:${e.id}`)
      expect(order.indexOf(`ToolCall:call_X`)).toBeLessThan(
        order.findIndex((e) => e.startsWith("ToolCallStart:call_") && !e.endsWith("call_X"))
      )
      expect(events.at(-1)).toMatchObject({ _tag: "ProviderFinish", finishReason: "tool-calls" })
    })
  )
})

describe("tool choice on the wire", () => {
  const choices: ReadonlyArray<{ choice: ToolChoice; chat: unknown; responses: unknown }> = [
    { choice: "auto", chat: "auto", responses: "auto" },
    { choice: "none", chat: "none", responses: "none" },
    { choice: "required", chat: "required", responses: "required" },
    {
      choice: { tool: "get_time" },
      chat: { type: "function", function: { name: "get_time" } },
      responses: { type: "function", name: "get_time" }
    }
  ]
  for (const { choice, chat, responses } of choices) {
    it.live(`${JSON.stringify(choice)}`, () =>
      Effect.gen(function* () {
        sim.script({ kind: "text", text: "ok" }, { kind: "text", text: "ok" })
        yield* generate("chat", { ...firstTurn, toolChoice: choice })
        expect(lastBody().tool_choice).toEqual(chat)
        yield* generate("responses", { ...firstTurn, toolChoice: choice })
        expect(lastBody().tool_choice).toEqual(responses)
      })
    )
  }

  it.live("a tool choice without tools is not sent (OpenAI refuses tool_choice without tools)", () =>
    Effect.gen(function* () {
      sim.script({ kind: "text", text: "ok" }, { kind: "text", text: "ok" })
      yield* generate("chat", { messages: [ask], toolChoice: "none" })
      expect(lastBody()).not.toHaveProperty("tool_choice")
      expect(lastBody()).not.toHaveProperty("tools")
      yield* generate("responses", { messages: [ask], tools: [], toolChoice: "auto" })
      expect(lastBody()).not.toHaveProperty("tool_choice")
      expect(lastBody()).not.toHaveProperty("tools")
    })
  )
})

describe("history from another provider", () => {
  const foreignIds = [
    "toolu_01A09q90qw90lq917835lq9",
    "call_abc|fc_123",
    "toolu_bdrk_01ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789",
    "tooluse_kZJMlvQmRJ6eAyJE5GIl7Q"
  ]
  const history = (id: string): ChatRequest => ({
    messages: [
      ask,
      { role: "assistant", content: [{ type: "tool-call", id, name: "get_weather", arguments: { city: "Rome" } }] },
      { role: "tool", content: [{ type: "tool-result", id, name: "get_weather", result: "sunny", isError: false }] }
    ],
    tools: [weather]
  })

  for (const api of ["chat", "responses"] as const) {
    it.live(`${api}: ids valid for OpenAI (<= 40 of [A-Za-z0-9_-]), the call and its result still matching`, () =>
      Effect.gen(function* () {
        for (const id of foreignIds) {
          sim.script({ kind: "text", text: "It is sunny." })
          const answer = yield* generate(api, history(id))
          expect(answer.content).toBe("It is sunny.")
          const body = lastBody() as {
            messages?: Array<{ tool_calls?: Array<{ id: string }>; tool_call_id?: string }>
            input?: Array<{ call_id?: string }>
          }
          const [callId, resultId] =
            api === "chat"
              ? [body.messages?.[1]?.tool_calls?.[0]?.id, body.messages?.[2]?.tool_call_id]
              : [body.input?.[1]?.call_id, body.input?.[2]?.call_id]
          expect(callId).toMatch(/^[A-Za-z0-9_-]{1,40}$/)
          expect(resultId).toBe(callId)
          // An id OpenAI accepts as it is is sent as it is.
          if (/^[A-Za-z0-9_-]{1,40}$/.test(id)) expect(callId).toBe(id)
          else expect(callId).not.toBe(id)
        }
      })
    )
  }

  it.live("isError has no OpenAI field: the result's text goes as it is, with nothing added", () =>
    Effect.gen(function* () {
      sim.script({ kind: "text", text: "Sorry." }, { kind: "text", text: "Sorry." })
      const failed: ChatRequest = {
        messages: [
          ask,
          { role: "assistant", content: [{ type: "tool-call", id: "call_E", name: "get_weather", arguments: {} }] },
          {
            role: "tool",
            content: [{ type: "tool-result", id: "call_E", name: "get_weather", result: "city unknown", isError: true }]
          }
        ],
        tools: [weather]
      }
      yield* generate("chat", failed)
      expect((lastBody().messages as Array<unknown>)[2]).toEqual({
        role: "tool",
        tool_call_id: "call_E",
        content: "city unknown"
      })
      yield* generate("responses", failed)
      expect((lastBody().input as Array<unknown>)[2]).toEqual({
        type: "function_call_output",
        call_id: "call_E",
        output: "city unknown"
      })
    })
  )
})

describe("the simulator refuses what the real API refuses", () => {
  // Bodies the adapter never sends, posted straight to the simulator: proof its checks bite, so the
  // tests above that pass through them say something.
  const post = async (path: string, body: unknown) => {
    const response = await fetch(`${sim.url}/v1/${path}`, {
      method: "POST",
      headers: { authorization: "Bearer sk-test", "content-type": "application/json" },
      body: JSON.stringify(body)
    })
    return { status: response.status, body: (await response.json()) as { error?: { message: string; param: string } } }
  }

  it("a tool message answering no call, an unanswered call, a 41-character id, tool_choice without tools", async () => {
    const orphan = await post("chat/completions", {
      model: "gpt-4o",
      messages: [ask, { role: "tool", tool_call_id: "call_1", content: "x" }]
    })
    expect(orphan.status).toBe(400)
    expect(orphan.body.error?.message).toMatch(/must be a response to a preceeding message with 'tool_calls'/)
    const unanswered = await post("chat/completions", {
      model: "gpt-4o",
      messages: [
        ask,
        {
          role: "assistant",
          content: null,
          tool_calls: [{ id: "call_1", type: "function", function: { name: "f", arguments: "{}" } }]
        },
        { role: "user", content: "and?" }
      ]
    })
    expect(unanswered.status).toBe(400)
    expect(unanswered.body.error?.message).toMatch(/did not have response messages: call_1/)
    const long = "c".repeat(41)
    const tooLong = await post("chat/completions", {
      model: "gpt-4o",
      messages: [
        ask,
        {
          role: "assistant",
          content: null,
          tool_calls: [{ id: long, type: "function", function: { name: "f", arguments: "{}" } }]
        },
        { role: "tool", tool_call_id: long, content: "x" }
      ]
    })
    expect(tooLong.status).toBe(400)
    expect(tooLong.body.error?.param).toBe("messages[1].tool_calls[0].id")
    const choiceAlone = await post("chat/completions", { model: "gpt-4o", messages: [ask], tool_choice: "none" })
    expect(choiceAlone.status).toBe(400)
    expect(choiceAlone.body.error?.param).toBe("tool_choice")
    const output = await post("responses", {
      model: "gpt-4o",
      input: [ask, { type: "function_call_output", call_id: "call_9", output: "x" }]
    })
    expect(output.status).toBe(400)
    expect(output.body.error?.message).toBe("No tool call found for function call output with call_id call_9.")
    const badName = await post("responses", {
      model: "gpt-4o",
      input: [ask],
      tools: [{ type: "function", name: "has space", parameters: { type: "object" }, strict: false }]
    })
    expect(badName.status).toBe(400)
    expect(badName.body.error?.param).toBe("tools[0].name")
  })
})

describe("arguments the model wrote badly", () => {
  for (const api of ["chat", "responses"] as const) {
    it.live(`${api}: arguments that are not a JSON object give {} and rawArguments, plain and streamed`, () =>
      Effect.gen(function* () {
        // A cassette-like reply the simulator serves as is: the model's arguments cut mid-string.
        const raw = '{"city": "Par'
        const plain =
          api === "chat"
            ? {
                id: "chatcmpl-1",
                object: "chat.completion",
                created: 1,
                model: "gpt-4o-mini",
                choices: [
                  {
                    index: 0,
                    message: {
                      role: "assistant",
                      content: null,
                      tool_calls: [
                        { id: "call_bad", type: "function", function: { name: "get_weather", arguments: raw } }
                      ]
                    },
                    finish_reason: "tool_calls"
                  }
                ],
                usage: { prompt_tokens: 5, completion_tokens: 4, total_tokens: 9 }
              }
            : {
                id: "resp_1",
                object: "response",
                created_at: 1,
                status: "completed",
                model: "gpt-4o-mini",
                output: [
                  {
                    id: "fc_1",
                    type: "function_call",
                    status: "completed",
                    call_id: "call_bad",
                    name: "get_weather",
                    arguments: raw
                  }
                ],
                usage: { input_tokens: 5, output_tokens: 4, total_tokens: 9 }
              }
        sim.script({
          kind: "cassette",
          status: 200,
          headers: { "content-type": "application/json" },
          body: JSON.stringify(plain)
        })
        const answer = yield* generate(api, firstTurn)
        expect(answer.toolCalls).toEqual([{ id: "call_bad", name: "get_weather", arguments: {}, rawArguments: raw }])
        expect(answer.finishReason).toBe("tool-calls")

        const sse = (data: unknown, event?: string) =>
          `${event ? `event: ${event}\n` : ""}data: ${JSON.stringify(data)}\n\n`
        const streamed =
          api === "chat"
            ? [
                sse({
                  id: "c",
                  object: "chat.completion.chunk",
                  created: 1,
                  model: "gpt-4o-mini",
                  choices: [
                    {
                      index: 0,
                      delta: {
                        tool_calls: [
                          {
                            index: 0,
                            id: "call_bad",
                            type: "function",
                            function: { name: "get_weather", arguments: "" }
                          }
                        ]
                      },
                      finish_reason: null
                    }
                  ]
                }),
                sse({
                  id: "c",
                  object: "chat.completion.chunk",
                  created: 1,
                  model: "gpt-4o-mini",
                  choices: [
                    {
                      index: 0,
                      delta: { tool_calls: [{ index: 0, function: { arguments: raw } }] },
                      finish_reason: null
                    }
                  ]
                }),
                sse({
                  id: "c",
                  object: "chat.completion.chunk",
                  created: 1,
                  model: "gpt-4o-mini",
                  choices: [{ index: 0, delta: {}, finish_reason: "tool_calls" }]
                }),
                "data: [DONE]\n\n"
              ].join("")
            : [
                sse(
                  {
                    type: "response.output_item.added",
                    output_index: 0,
                    item: {
                      id: "fc_1",
                      type: "function_call",
                      status: "in_progress",
                      call_id: "call_bad",
                      name: "get_weather",
                      arguments: ""
                    }
                  },
                  "response.output_item.added"
                ),
                sse(
                  { type: "response.function_call_arguments.delta", item_id: "fc_1", output_index: 0, delta: raw },
                  "response.function_call_arguments.delta"
                ),
                sse(
                  { type: "response.function_call_arguments.done", item_id: "fc_1", output_index: 0, arguments: raw },
                  "response.function_call_arguments.done"
                ),
                sse({ type: "response.completed", response: plain }, "response.completed")
              ].join("")
        sim.script({ kind: "cassette", status: 200, headers: { "content-type": "text/event-stream" }, body: streamed })
        const events = yield* stream(api, firstTurn)
        expect(events.filter((e) => e._tag === "ToolCall")).toEqual([
          { _tag: "ToolCall", id: "call_bad", name: "get_weather", arguments: {}, rawArguments: raw }
        ])
        expect(events.at(-1)).toMatchObject({ _tag: "ProviderFinish", finishReason: "tool-calls" })
      })
    )
  }
})

describe("a stream cut inside a tool call", () => {
  for (const api of ["chat", "responses"] as const) {
    it.live(`${api}: the call never completes and the stream fails as cut`, () =>
      Effect.gen(function* () {
        // A reply whose tool call begins and the connection ends before the call does.
        const start =
          api === "chat"
            ? `data: ${JSON.stringify({
                id: "c",
                object: "chat.completion.chunk",
                created: 1,
                model: "gpt-4o-mini",
                choices: [
                  {
                    index: 0,
                    delta: {
                      tool_calls: [
                        {
                          index: 0,
                          id: "call_cut",
                          type: "function",
                          function: { name: "get_weather", arguments: '{"ci' }
                        }
                      ]
                    },
                    finish_reason: null
                  }
                ]
              })}\n\n`
            : `event: response.output_item.added\ndata: ${JSON.stringify({
                type: "response.output_item.added",
                output_index: 0,
                item: {
                  id: "fc_c",
                  type: "function_call",
                  status: "in_progress",
                  call_id: "call_cut",
                  name: "get_weather",
                  arguments: ""
                }
              })}\n\nevent: response.function_call_arguments.delta\ndata: ${JSON.stringify({
                type: "response.function_call_arguments.delta",
                item_id: "fc_c",
                output_index: 0,
                delta: '{"ci'
              })}\n\n`
        sim.script({ kind: "cassette", status: 200, headers: { "content-type": "text/event-stream" }, body: start })
        const seen: Array<ProviderStreamEvent> = []
        const error: LLMError = yield* LLMProvider.use((p) =>
          p.stream(firstTurn, "gpt-4o-mini").pipe(
            Stream.runForEach((event) => Effect.sync(() => seen.push(event))),
            Effect.flip
          )
        ).pipe(Effect.provide(layer(api)))
        expect(seen.map((e) => e._tag)).toEqual(["ToolCallStart", "ToolCallDelta"])
        expect(error._tag).toBe("NetworkError")
        expect(error.message).toMatch(/ended before/)
      })
    )
  }
})

describe("finish reasons with tool calls", () => {
  it.live(
    "Chat: a compatible server that says stop after tool calls is reported as tool-calls (length stays length)",
    () =>
      Effect.gen(function* () {
        sim.script(
          {
            kind: "text",
            text: "",
            toolCalls: [{ id: "call_S", name: "get_time", arguments: {} }],
            finishReason: "stop"
          },
          {
            kind: "text",
            text: "",
            toolCalls: [{ id: "call_L", name: "get_time", arguments: {} }],
            finishReason: "length"
          }
        )
        const stopped = yield* generate("chat", firstTurn)
        expect(stopped).toMatchObject({ finishReason: "tool-calls", toolCalls: [{ id: "call_S" }] })
        const cut = yield* stream("chat", firstTurn)
        expect(cut.at(-1)).toMatchObject({ _tag: "ProviderFinish", finishReason: "length" })
        expect(cut.filter((e) => e._tag === "ToolCall")).toHaveLength(1)
      })
  )
})

describe("OpenAI-compatible servers", () => {
  const compatible = () =>
    OpenAICompatibleProvider.layer({ baseUrl: `${sim.url}/v1`, apiKey: Redacted.make("sk-local") })

  it.live("the compatible provider speaks Chat tools: the call out, the result back with its id", () =>
    Effect.gen(function* () {
      sim.script(
        { kind: "text", text: "", toolCalls: [{ id: "call_c1", name: "get_time", arguments: {} }] },
        { kind: "text", text: "Noon." }
      )
      const provider = yield* LLMProvider
      const first = yield* provider.generate({ ...firstTurn, toolChoice: "required" }, "llama-3.1-8b")
      expect(first.toolCalls).toEqual([{ id: "call_c1", name: "get_time", arguments: {} }])
      expect(lastBody()).toMatchObject({ tool_choice: "required", tools: [{ type: "function" }, { type: "function" }] })
      const events = Array.from(yield* Stream.runCollect(provider.stream(secondTurn("call_c1"), "llama-3.1-8b")))
      expect(events.at(-1)).toMatchObject({ _tag: "ProviderFinish", finishReason: "stop" })
      expect((lastBody().messages as Array<unknown>).at(-1)).toEqual({
        role: "tool",
        tool_call_id: "call_c1",
        content: '{"tempC":18,"sky":"clear"}'
      })
    }).pipe(Effect.provide(compatible()))
  )

  it.live("a server that repeats the id on every delta and reuses index 0 for the next call", () =>
    Effect.gen(function* () {
      const chunk = (delta: unknown, finish: string | null = null) =>
        `data: ${JSON.stringify({
          id: "c",
          object: "chat.completion.chunk",
          created: 1,
          model: "llama-3.1-8b",
          choices: [{ index: 0, delta, finish_reason: finish }]
        })}\n\n`
      const call = (id: string, name: string, args: string) => ({
        tool_calls: [{ index: 0, id, type: "function", function: { name, arguments: args } }]
      })
      const body = [
        chunk(call("call_1", "get_weather", '{"city":')),
        chunk(call("call_1", "get_weather", '"Lima"}')),
        chunk(call("call_2", "get_time", "{}")),
        chunk({}, "tool_calls"),
        "data: [DONE]\n\n"
      ].join("")
      sim.script({ kind: "cassette", status: 200, headers: { "content-type": "text/event-stream" }, body })
      const provider = yield* LLMProvider
      const events = Array.from(yield* Stream.runCollect(provider.stream(firstTurn, "llama-3.1-8b")))
      expect(toolEvents(events)).toEqual([
        { _tag: "ToolCallStart", id: "call_1", name: "get_weather" },
        { _tag: "ToolCallDelta", id: "call_1", argumentsDelta: '{"city":' },
        { _tag: "ToolCallDelta", id: "call_1", argumentsDelta: '"Lima"}' },
        { _tag: "ToolCall", id: "call_1", name: "get_weather", arguments: { city: "Lima" } },
        { _tag: "ToolCallStart", id: "call_2", name: "get_time" },
        { _tag: "ToolCallDelta", id: "call_2", argumentsDelta: "{}" },
        { _tag: "ToolCall", id: "call_2", name: "get_time", arguments: {} }
      ])
      expect(events.at(-1)).toMatchObject({ _tag: "ProviderFinish", finishReason: "tool-calls" })
    }).pipe(Effect.provide(compatible()))
  )
})

describe("a call cut by the output limit", () => {
  it.live("Responses: a call whose item never closed completes as written, and the finish says length", () =>
    Effect.gen(function* () {
      const sse = (data: Record<string, unknown>) => `event: ${String(data.type)}\ndata: ${JSON.stringify(data)}\n\n`
      const item = { id: "fc_9", type: "function_call", status: "in_progress", call_id: "call_9", name: "get_weather" }
      const body = [
        sse({ type: "response.output_item.added", output_index: 0, item: { ...item, arguments: "" } }),
        sse({ type: "response.function_call_arguments.delta", item_id: "fc_9", output_index: 0, delta: '{"ci' }),
        sse({
          type: "response.incomplete",
          response: {
            id: "resp_9",
            object: "response",
            status: "incomplete",
            incomplete_details: { reason: "max_output_tokens" },
            model: "gpt-4o-mini",
            output: [{ ...item, status: "incomplete", arguments: '{"ci' }],
            usage: { input_tokens: 5, output_tokens: 3, total_tokens: 8 }
          }
        })
      ].join("")
      sim.script({ kind: "cassette", status: 200, headers: { "content-type": "text/event-stream" }, body })
      const events = yield* stream("responses", firstTurn)
      expect(toolEvents(events).map((e) => e._tag)).toEqual(["ToolCallStart", "ToolCallDelta", "ToolCall"])
      expect(events.find((e) => e._tag === "ToolCall")).toEqual({
        _tag: "ToolCall",
        id: "call_9",
        name: "get_weather",
        arguments: {},
        rawArguments: '{"ci'
      })
      expect(events.at(-1)).toMatchObject({ _tag: "ProviderFinish", finishReason: "length" })
    })
  )

  it.live("Chat: the finish closes the call with what was written", () =>
    Effect.gen(function* () {
      sim.script({
        kind: "text",
        text: "",
        toolCalls: [{ id: "call_L", name: "get_weather", arguments: { city: "Paris" } }],
        finishReason: "length"
      })
      const events = yield* stream("chat", firstTurn)
      expect(events.filter((e) => e._tag === "ToolCall")).toEqual([
        { _tag: "ToolCall", id: "call_L", name: "get_weather", arguments: { city: "Paris" } }
      ])
      expect(events.at(-1)).toMatchObject({ _tag: "ProviderFinish", finishReason: "length" })
    })
  )
})
