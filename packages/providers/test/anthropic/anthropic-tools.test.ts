/**
 * Tool calls through AnthropicProvider with the real `@anthropic-ai/sdk` against the Anthropic simulator,
 * which checks tool requests as the API does (its 400 for a broken pairing, id, name or schema): the
 * two-step tool loop plain and streamed with the wire requests it makes, every toolChoice, parallel
 * calls answered in one user message, ids from another provider, arguments that are not JSON, a stream
 * cut inside a call, and the histories the adapter refuses before any call.
 */
import Anthropic from "@anthropic-ai/sdk"
import { describe, expect, it } from "@effect/vitest"
import {
  type ChatRequest,
  LLMProvider,
  type Message,
  type ProviderStreamEvent,
  type ToolCall,
  type ToolDefinition
} from "@llm-orchestrator/core"
import { AnthropicProvider, nonStreamingMaxTokens } from "@llm-orchestrator/providers"
import { anthropicSimulator, type Simulator } from "@llm-orchestrator/testing"
import { Effect, Redacted, Stream } from "effect"

const apiKey = "sk-ant-test-0000"
const model = "claude-sonnet-4-6"

const withProvider = <A, E>(body: (provider: LLMProvider["Service"], sim: Simulator) => Effect.Effect<A, E>) =>
  Effect.scoped(
    Effect.gen(function* () {
      const sim = yield* anthropicSimulator()
      const layer = AnthropicProvider.layer({ apiKey: Redacted.make(apiKey), baseUrl: sim.url })
      const provider = yield* Effect.provide(Effect.service(LLMProvider), layer)
      return yield* body(provider, sim)
    })
  )

const weather: ToolDefinition = {
  name: "get_weather",
  description: "The weather in a city",
  parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] }
}
const clock: ToolDefinition = { name: "get_time", parameters: { type: "object", properties: {} } }
const wireWeather = { name: "get_weather", description: "The weather in a city", input_schema: weather.parameters }
const wireClock = { name: "get_time", input_schema: clock.parameters }

const ask: Message = { role: "user", content: "Weather in Paris?" }

/** The assistant turn that made `calls`, as the caller puts it back into the history. */
const assistantTurn = (text: string, calls: ReadonlyArray<ToolCall>): Message => ({
  role: "assistant",
  content: [
    ...(text ? [{ type: "text" as const, text }] : []),
    ...calls.map((call) => ({ type: "tool-call" as const, id: call.id, name: call.name, arguments: call.arguments }))
  ]
})

const bodyOf = (sim: Simulator, index: number) =>
  sim.requests[index]!.body as {
    messages: ReadonlyArray<unknown>
    tools?: unknown
    tool_choice?: unknown
  }

const streamed = (provider: LLMProvider["Service"], request: ChatRequest) =>
  Stream.runCollect(provider.stream(request, model)).pipe(Effect.map((events) => [...events]))

const tags = (events: ReadonlyArray<ProviderStreamEvent>) => events.map((e) => e._tag)

describe("Anthropic tool calls: the two-step tool loop", () => {
  it.live("plain: the call, then its result sent back as a tool_result of the next user message", () =>
    withProvider((provider, sim) =>
      Effect.gen(function* () {
        sim.script(
          { kind: "text", text: "Let me check.", toolCalls: [{ name: "get_weather", arguments: { city: "Paris" } }] },
          { kind: "text", text: "Sunny, 21 degrees." }
        )
        const first = yield* provider.generate({ messages: [ask], tools: [weather], toolChoice: "auto" }, model)
        expect(first.content).toBe("Let me check.")
        expect(first.finishReason).toBe("tool-calls")
        expect(first.toolCalls).toEqual([
          { id: expect.stringMatching(/^toolu_01/), name: "get_weather", arguments: { city: "Paris" } }
        ])
        const call = first.toolCalls![0]!
        expect(bodyOf(sim, 0)).toMatchObject({ tools: [wireWeather], tool_choice: { type: "auto" } })

        const second = yield* provider.generate(
          {
            messages: [
              ask,
              assistantTurn(first.content, first.toolCalls!),
              { role: "tool", content: [{ type: "tool-result", id: call.id, name: call.name, result: { temp: 21 } }] }
            ],
            tools: [weather]
          },
          model
        )
        expect(second).toMatchObject({ content: "Sunny, 21 degrees.", finishReason: "stop" })
        expect("toolCalls" in second).toBe(false)
        expect(sim.requests[1]!.kind).toBe("generate") // the simulator took it: no 400
        expect(bodyOf(sim, 1).messages).toEqual([
          { role: "user", content: "Weather in Paris?" },
          {
            role: "assistant",
            content: [
              { type: "text", text: "Let me check." },
              { type: "tool_use", id: call.id, name: "get_weather", input: { city: "Paris" } }
            ]
          },
          { role: "user", content: [{ type: "tool_result", tool_use_id: call.id, content: '{"temp":21}' }] }
        ])
        expect(bodyOf(sim, 1).tools).toEqual([wireWeather])
        expect("tool_choice" in bodyOf(sim, 1)).toBe(false)
      })
    )
  )

  it.live("streamed: text, then the call's start, its argument pieces and the call; a failed tool as is_error", () =>
    withProvider((provider, sim) =>
      Effect.gen(function* () {
        sim.script(
          {
            kind: "text",
            text: "Let me check.",
            chunks: ["Let me ", "check."],
            toolCalls: [{ id: "toolu_scripted_1", name: "get_weather", arguments: { city: "Paris" } }]
          },
          { kind: "text", text: "The tool failed." }
        )
        const events = yield* streamed(provider, { messages: [ask], tools: [weather] })
        const json = JSON.stringify({ city: "Paris" })
        expect(tags(events).filter((t) => t !== "UsageSnapshot")).toEqual([
          "TextDelta",
          "TextDelta",
          "ToolCallStart",
          "ToolCallDelta",
          "ToolCallDelta",
          "ToolCallDelta",
          "ToolCall",
          "ProviderFinish"
        ])
        expect(events.find((e) => e._tag === "ToolCallStart")).toEqual({
          _tag: "ToolCallStart",
          id: "toolu_scripted_1",
          name: "get_weather"
        })
        const pieces = events.flatMap((e) => (e._tag === "ToolCallDelta" ? [e.argumentsDelta] : []))
        expect(pieces.join("")).toBe(json)
        expect(events.filter((e) => e._tag === "ToolCallDelta").every((e) => e.id === "toolu_scripted_1")).toBe(true)
        expect(events.find((e) => e._tag === "ToolCall")).toEqual({
          _tag: "ToolCall",
          id: "toolu_scripted_1",
          name: "get_weather",
          arguments: { city: "Paris" }
        })
        const finish = events.at(-1)!
        expect(finish).toMatchObject({ _tag: "ProviderFinish", finishReason: "tool-calls" })
        // Usage is as the simulator rendered it: the output counts the two text pieces.
        expect(finish._tag === "ProviderFinish" && finish.usage.outputTokens).toBe(2)

        const again = yield* streamed(provider, {
          messages: [
            ask,
            assistantTurn("Let me check.", [
              { id: "toolu_scripted_1", name: "get_weather", arguments: { city: "Paris" } }
            ]),
            {
              role: "tool",
              content: [
                { type: "tool-result", id: "toolu_scripted_1", name: "get_weather", result: "timeout", isError: true }
              ]
            }
          ],
          tools: [weather]
        })
        expect(tags(again).filter((t) => t.startsWith("ToolCall"))).toEqual([])
        expect(again.at(-1)).toMatchObject({ _tag: "ProviderFinish", finishReason: "stop" })
        expect(bodyOf(sim, 1).messages[2]).toEqual({
          role: "user",
          content: [{ type: "tool_result", tool_use_id: "toolu_scripted_1", content: "timeout", is_error: true }]
        })
      })
    )
  )

  it.live("a reply with only a tool call has no text block; a long generation folds its streamed calls", () =>
    withProvider((provider, sim) =>
      Effect.gen(function* () {
        const calls = [{ id: "toolu_a", name: "get_time", arguments: {} }]
        sim.script({ kind: "text", text: "", toolCalls: calls }, { kind: "text", text: "", toolCalls: calls })
        const plain = yield* provider.generate({ messages: [ask], tools: [clock] }, model)
        expect(plain).toMatchObject({ content: "", finishReason: "tool-calls", toolCalls: calls })
        // Above the SDK's non-streaming limit `generate` streams: the calls still come back whole.
        const long = yield* provider.generate(
          { messages: [ask], tools: [clock], maxTokens: nonStreamingMaxTokens + 1 },
          model
        )
        expect(sim.requests[1]!.kind).toBe("stream")
        expect(long).toMatchObject({ content: "", finishReason: "tool-calls", toolCalls: calls })
      })
    )
  )
})

describe("Anthropic tool calls: toolChoice on the wire", () => {
  const cases = [
    ["auto", { type: "auto" }],
    ["none", { type: "none" }],
    ["required", { type: "any" }],
    [{ tool: "get_time" }, { type: "tool", name: "get_time" }]
  ] as const
  for (const [choice, wire] of cases)
    it.live(`${JSON.stringify(choice)} is tool_choice ${JSON.stringify(wire)}`, () =>
      withProvider((provider, sim) =>
        Effect.gen(function* () {
          yield* provider.generate({ messages: [ask], tools: [weather, clock], toolChoice: choice }, model)
          expect(bodyOf(sim, 0).tool_choice).toEqual(wire)
          expect(bodyOf(sim, 0).tools).toEqual([wireWeather, wireClock])
        })
      )
    )

  it.live("no toolChoice and no tools: neither key is sent", () =>
    withProvider((provider, sim) =>
      Effect.gen(function* () {
        yield* provider.generate({ messages: [ask] }, model)
        expect("tools" in bodyOf(sim, 0)).toBe(false)
        expect("tool_choice" in bodyOf(sim, 0)).toBe(false)
      })
    )
  )
})

describe("Anthropic tool calls: history", () => {
  it.live("two parallel calls (after thinking) answered by two tool messages and a user note: one user message", () =>
    withProvider((provider, sim) =>
      Effect.gen(function* () {
        sim.script(
          {
            kind: "text",
            text: "",
            usage: { reasoningTokens: 12 },
            toolCalls: [
              { name: "get_weather", arguments: { city: "Paris" } },
              { name: "get_time", arguments: {}, argumentsChunks: 1 }
            ]
          },
          { kind: "text", text: "Done." }
        )
        const events = yield* streamed(provider, { messages: [ask], tools: [weather, clock] })
        const calls = events.flatMap((e) =>
          e._tag === "ToolCall" ? [{ id: e.id, name: e.name, arguments: e.arguments }] : []
        )
        expect(calls.map((c) => [c.name, c.arguments])).toEqual([
          ["get_weather", { city: "Paris" }],
          ["get_time", {}]
        ])
        expect(new Set(calls.map((c) => c.id)).size).toBe(2)
        // Each call's events stay together and in order: start, deltas, call.
        const perCall = calls.map((c) => events.flatMap((e) => ("id" in e && e.id === c.id ? [e._tag] : [])))
        expect(perCall).toEqual([
          ["ToolCallStart", "ToolCallDelta", "ToolCallDelta", "ToolCallDelta", "ToolCall"],
          ["ToolCallStart", "ToolCallDelta", "ToolCall"]
        ])

        yield* provider.generate(
          {
            messages: [
              ask,
              assistantTurn("", calls),
              {
                role: "tool",
                content: [{ type: "tool-result", id: calls[0]!.id, name: "get_weather", result: "sunny" }]
              },
              { role: "tool", content: [{ type: "tool-result", id: calls[1]!.id, name: "get_time", result: 1200 }] },
              { role: "user", content: "Short answer please." }
            ],
            tools: [weather, clock]
          },
          model
        )
        expect(sim.requests[1]!.kind).toBe("generate")
        expect(bodyOf(sim, 1).messages.slice(1)).toEqual([
          {
            role: "assistant",
            content: [
              { type: "tool_use", id: calls[0]!.id, name: "get_weather", input: { city: "Paris" } },
              { type: "tool_use", id: calls[1]!.id, name: "get_time", input: {} }
            ]
          },
          {
            role: "user",
            content: [
              { type: "tool_result", tool_use_id: calls[0]!.id, content: "sunny" },
              { type: "tool_result", tool_use_id: calls[1]!.id, content: "1200" },
              { type: "text", text: "Short answer please." }
            ]
          }
        ])
      })
    )
  )

  it.live(
    "ids another provider made (OpenAI Responses' call_abc|fc_123) reach the API valid, call and result alike",
    () =>
      withProvider((provider, sim) =>
        Effect.gen(function* () {
          const foreign = "call_abc|fc_123"
          yield* provider.generate(
            {
              messages: [
                ask,
                assistantTurn("", [{ id: foreign, name: "get_weather", arguments: { city: "Paris" } }]),
                { role: "tool", content: [{ type: "tool-result", id: foreign, name: "get_weather", result: "sunny" }] }
              ],
              tools: [weather]
            },
            model
          )
          expect(sim.requests[0]!.kind).toBe("generate") // accepted: the simulator refuses `|` (below)
          const [, assistant, results] = bodyOf(sim, 0).messages as ReadonlyArray<{
            content: ReadonlyArray<{ id?: string; tool_use_id?: string }>
          }>
          const id = assistant!.content[0]!.id!
          expect(id).toMatch(/^[A-Za-z0-9_-]{1,64}$/)
          expect(id).not.toBe(foreign)
          expect(results!.content[0]!.tool_use_id).toBe(id)
        })
      )
  )

  it.live("a history whose calls lack results right after them is refused before any call", () =>
    withProvider((provider, sim) =>
      Effect.gen(function* () {
        const call = { id: "toolu_x", name: "get_weather", arguments: { city: "Paris" } }
        const unanswered = yield* Effect.flip(
          provider.generate(
            { messages: [ask, assistantTurn("", [call]), { role: "user", content: "Never mind." }], tools: [weather] },
            model
          )
        )
        expect(unanswered._tag).toBe("InvalidRequestError")
        expect(unanswered.message).toContain("get_weather of an assistant message have no result right after it")
        const late = yield* Effect.flip(
          Stream.runDrain(
            provider.stream(
              {
                messages: [
                  ask,
                  assistantTurn("", [call]),
                  {
                    role: "tool",
                    content: [{ type: "tool-result", id: "toolu_x", name: "get_weather", result: "sunny" }]
                  },
                  { role: "assistant", content: "Sunny." },
                  {
                    role: "tool",
                    content: [{ type: "tool-result", id: "toolu_x", name: "get_weather", result: "again" }]
                  }
                ],
                tools: [weather]
              },
              model
            )
          )
        )
        expect(late._tag).toBe("InvalidRequestError")
        expect(late.message).toContain("does not directly follow the assistant message whose call it answers")
        expect(sim.requests).toEqual([])
      })
    )
  )
})

/** A streamed answer, as SSE text: message_start, the given content block events, a tool_use stop. */
const sseBody = (events: ReadonlyArray<object>, stop = true) =>
  [
    {
      type: "message_start",
      message: {
        id: "msg_1",
        type: "message",
        role: "assistant",
        model,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: { input_tokens: 5, output_tokens: 1 }
      }
    },
    ...events,
    ...(stop
      ? [
          {
            type: "message_delta",
            delta: { stop_reason: "tool_use", stop_sequence: null },
            usage: { output_tokens: 7 }
          },
          { type: "message_stop" }
        ]
      : [])
  ]
    .map((event) => `event: ${(event as { type: string }).type}\ndata: ${JSON.stringify(event)}\n\n`)
    .join("")

const toolBlock = (index: number, id: string, pieces: ReadonlyArray<string>, close = true) => [
  { type: "content_block_start", index, content_block: { type: "tool_use", id, name: "get_weather", input: {} } },
  ...pieces.map((partial_json) => ({
    type: "content_block_delta",
    index,
    delta: { type: "input_json_delta", partial_json }
  })),
  ...(close ? [{ type: "content_block_stop", index }] : [])
]

describe("Anthropic tool calls: arguments that are not a JSON object, and cut streams", () => {
  it.live("streamed input that is not JSON keeps its text in rawArguments; empty input is {}", () =>
    withProvider((provider, sim) =>
      Effect.gen(function* () {
        const body = sseBody([...toolBlock(0, "toolu_bad", ['{"city": ', "Par"]), ...toolBlock(1, "toolu_empty", [""])])
        sim.script({ kind: "cassette", status: 200, headers: { "content-type": "text/event-stream" }, body })
        const events = yield* streamed(provider, { messages: [ask], tools: [weather] })
        expect(events.filter((e) => e._tag === "ToolCall")).toEqual([
          { _tag: "ToolCall", id: "toolu_bad", name: "get_weather", arguments: {}, rawArguments: '{"city": Par' },
          { _tag: "ToolCall", id: "toolu_empty", name: "get_weather", arguments: {} }
        ])
      })
    )
  )

  it.live("plain input that is not an object keeps its JSON in rawArguments", () =>
    withProvider((provider, sim) =>
      Effect.gen(function* () {
        const message = {
          id: "msg_1",
          type: "message",
          role: "assistant",
          model,
          content: [{ type: "tool_use", id: "toolu_list", name: "get_weather", input: ["Paris"] }],
          stop_reason: "tool_use",
          stop_sequence: null,
          usage: { input_tokens: 5, output_tokens: 7 }
        }
        sim.script({
          kind: "cassette",
          status: 200,
          headers: { "content-type": "application/json" },
          body: JSON.stringify(message)
        })
        const response = yield* provider.generate({ messages: [ask], tools: [weather] }, model)
        expect(response.toolCalls).toEqual([
          { id: "toolu_list", name: "get_weather", arguments: {}, rawArguments: '["Paris"]' }
        ])
      })
    )
  )

  it.live("a stream cut inside a tool call is the 'ended before its final event' error, the call never completed", () =>
    withProvider((provider, sim) =>
      Effect.gen(function* () {
        const body = sseBody(toolBlock(0, "toolu_cut", ['{"ci'], false), false)
        sim.script({ kind: "cassette", status: 200, headers: { "content-type": "text/event-stream" }, body })
        const seen: Array<ProviderStreamEvent> = []
        const error = yield* Effect.flip(
          Stream.runForEach(provider.stream({ messages: [ask], tools: [weather] }, model), (event) =>
            Effect.sync(() => seen.push(event))
          )
        )
        expect(tags(seen)).toEqual(["UsageSnapshot", "ToolCallStart", "ToolCallDelta"])
        expect(error._tag).toBe("NetworkError")
        expect(error.message).toContain("the stream ended before message_stop")
      })
    )
  )
})

describe("the simulator refuses tool requests the real API refuses (so accepted requests above are valid)", () => {
  const callThrough = (sim: Simulator, params: Record<string, unknown>) =>
    Effect.promise(() =>
      new Anthropic({ apiKey, baseURL: sim.url, maxRetries: 0 }).messages
        .create({ model, max_tokens: 100, ...params } as never)
        .then(
          () => undefined,
          (error: unknown) => error as InstanceType<typeof Anthropic.APIError>
        )
    )
  const call = { type: "tool_use", id: "toolu_1", name: "get_weather", input: {} }
  const result = (id: string) => ({ type: "tool_result", tool_use_id: id, content: "sunny" })
  const user = { role: "user", content: "Hi" }
  const cases: ReadonlyArray<readonly [string, Record<string, unknown>, string]> = [
    [
      "an id with |",
      {
        messages: [
          user,
          { role: "assistant", content: [{ ...call, id: "call_abc|fc_123" }] },
          { role: "user", content: [result("call_abc|fc_123")] }
        ]
      },
      "messages.1.content.0.tool_use.id: String should match pattern '^[a-zA-Z0-9_-]+$'"
    ],
    [
      "a result answering no call of the message before",
      {
        messages: [
          user,
          { role: "assistant", content: [call] },
          { role: "user", content: [result("toolu_1"), result("toolu_2")] }
        ]
      },
      "messages.2.content.1: unexpected `tool_use_id` found in `tool_result` blocks: toolu_2."
    ],
    [
      "results after text",
      {
        messages: [
          user,
          { role: "assistant", content: [call] },
          { role: "user", content: [{ type: "text", text: "here" }, result("toolu_1")] }
        ]
      },
      "messages.1: `tool_use` ids were found without `tool_result` blocks immediately after: toolu_1."
    ],
    [
      "a call never answered",
      { messages: [user, { role: "assistant", content: [call] }, user] },
      "messages.1: `tool_use` ids were found without `tool_result` blocks immediately after: toolu_1."
    ],
    [
      "an invalid tool name",
      { messages: [user], tools: [{ name: "get weather", input_schema: { type: "object" } }] },
      "tools.0.custom.name: String should match pattern '^[a-zA-Z0-9_-]{1,128}$'"
    ],
    [
      "an input_schema that is not an object schema",
      { messages: [user], tools: [{ name: "get_weather", input_schema: { type: "string" } }] },
      "tools.0.custom.input_schema.type: Input should be 'object'"
    ]
  ]
  for (const [what, params, message] of cases)
    it.live(what, () =>
      Effect.scoped(
        Effect.gen(function* () {
          const sim = yield* anthropicSimulator()
          const error = yield* callThrough(sim, params)
          expect(error?.status).toBe(400)
          expect(error?.type).toBe("invalid_request_error")
          expect(error?.message).toContain(message)
        })
      )
    )

  it.live("a valid tool exchange is answered", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const sim = yield* anthropicSimulator()
        const error = yield* callThrough(sim, {
          messages: [
            user,
            { role: "assistant", content: [call] },
            { role: "user", content: [result("toolu_1"), { type: "text", text: "ok" }] }
          ],
          tools: [
            { name: "get_weather", input_schema: { type: "object" } },
            { type: "web_search_20250305", name: "web_search" }
          ]
        })
        expect(error).toBeUndefined()
      })
    )
  )
})
