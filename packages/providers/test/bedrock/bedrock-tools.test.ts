/**
 * Tool calling through the Bedrock provider layer and the real SDK, against the Bedrock simulator:
 * the wire requests (toolConfig, toolChoice, toolUse/toolResult history, merged results, ids made
 * valid), the answers plain and streamed, what the adapter refuses before any call, and what the
 * simulator refuses as Bedrock does.
 */
import { describe, expect, it } from "@effect/vitest"
import { type ChatRequest, LLMProvider, type ProviderStreamEvent, type ToolDefinition } from "@llm-orchestrator/core"
import { bedrockEventFrame, bedrockSimulator, type Simulator } from "@llm-orchestrator/testing"
import { Effect, Redacted, Stream } from "effect"
import { BedrockProvider } from "../../src/bedrock/bedrock.ts"

const model = "us.anthropic.claude-sonnet-4-5-20250929-v1:0"
const weather: ToolDefinition = {
  name: "get_weather",
  description: "The weather in a city.",
  parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] }
}
const time: ToolDefinition = { name: "get_time", parameters: { type: "object", properties: {} } }
const ask: ChatRequest = { messages: [{ role: "user", content: "Weather in Paris?" }], tools: [weather] }

const wireTool = {
  toolSpec: {
    name: "get_weather",
    description: "The weather in a city.",
    inputSchema: { json: { type: "object", properties: { city: { type: "string" } }, required: ["city"] } }
  }
}

const withBedrock = <A, E>(body: (sim: Simulator) => Effect.Effect<A, E, LLMProvider>) =>
  Effect.gen(function* () {
    const sim = yield* bedrockSimulator()
    return yield* body(sim).pipe(
      Effect.provide(
        BedrockProvider.layer({
          region: "us-east-1",
          baseUrl: sim.url,
          accessKeyId: Redacted.make("AKIDTOOLS"),
          secretAccessKey: Redacted.make("tools-secret")
        })
      )
    )
  })

const collect = (request: ChatRequest) =>
  LLMProvider.use((llm) => Stream.runCollect(llm.stream(request, model))).pipe(
    Effect.map((events): ReadonlyArray<ProviderStreamEvent> => events)
  )

interface WireBlock {
  readonly toolUse?: { readonly toolUseId: string }
  readonly toolResult?: { readonly toolUseId: string }
}
interface WireBody {
  readonly messages: ReadonlyArray<{ readonly role: string; readonly content: ReadonlyArray<WireBlock> }>
  readonly toolConfig?: unknown
}
const sentBody = (sim: Simulator, index: number) => sim.requests[index]?.body as WireBody

/** The assistant turn and the results answering it, as a caller continues a tool loop. */
const answered = (
  first: ChatRequest,
  text: string,
  calls: ReadonlyArray<{ id: string; name: string; arguments: Record<string, unknown> }>,
  results: ReadonlyArray<unknown>
): ChatRequest => ({
  ...first,
  messages: [
    ...first.messages,
    {
      role: "assistant",
      content: [
        ...(text ? [{ type: "text" as const, text }] : []),
        ...calls.map((call) => ({ type: "tool-call" as const, ...call }))
      ]
    },
    ...calls.map((call, i) => ({
      role: "tool" as const,
      content: [{ type: "tool-result" as const, id: call.id, name: call.name, result: results[i] }]
    }))
  ]
})

describe("BedrockProvider tool loop", () => {
  it.live("plain: the call, then its result answered; the wire requests as Converse wants them", () =>
    withBedrock((sim) =>
      Effect.gen(function* () {
        sim.script(
          { kind: "text", text: "Let me check.", toolCalls: [{ name: "get_weather", arguments: { city: "Paris" } }] },
          { kind: "text", text: "Sunny, 24 degrees." }
        )
        const llm = yield* LLMProvider
        const first = yield* llm.generate(ask, model)
        expect(first.content).toBe("Let me check.")
        expect(first.finishReason).toBe("tool-calls")
        expect(first.toolCalls).toHaveLength(1)
        const call = first.toolCalls?.[0]
        expect(call).toMatchObject({ name: "get_weather", arguments: { city: "Paris" } })
        expect(call?.id).toMatch(/^tooluse_[A-Za-z0-9_-]{22}$/)
        expect(sentBody(sim, 0)).toEqual({
          messages: [{ role: "user", content: [{ text: "Weather in Paris?" }] }],
          toolConfig: { tools: [wireTool] }
        })
        const id = call?.id ?? ""
        const second = yield* llm.generate(
          answered(ask, "Let me check.", [{ id, name: "get_weather", arguments: { city: "Paris" } }], ["24 C, sunny"]),
          model
        )
        expect(second).toMatchObject({ content: "Sunny, 24 degrees.", finishReason: "stop" })
        expect(second).not.toHaveProperty("toolCalls")
        expect(sentBody(sim, 1)).toEqual({
          messages: [
            { role: "user", content: [{ text: "Weather in Paris?" }] },
            {
              role: "assistant",
              content: [
                { text: "Let me check." },
                { toolUse: { toolUseId: id, name: "get_weather", input: { city: "Paris" } } }
              ]
            },
            { role: "user", content: [{ toolResult: { toolUseId: id, content: [{ text: "24 C, sunny" }] } }] }
          ],
          toolConfig: { tools: [wireTool] }
        })
      })
    )
  )

  it.live("streamed: text, then the call's start, argument pieces and call, then the finish; then the answer", () =>
    withBedrock((sim) =>
      Effect.gen(function* () {
        const args = { city: "Paris", units: "metric" }
        sim.script(
          {
            kind: "text",
            text: "Checking now.",
            chunks: ["Checking ", "now."],
            toolCalls: [{ id: "tooluse_stream1", name: "get_weather", arguments: args, argumentsChunks: 4 }]
          },
          { kind: "text", text: "Sunny." }
        )
        const events = yield* collect(ask)
        expect(events.filter((e) => e._tag !== "UsageSnapshot").map((e) => e._tag)).toEqual([
          "TextDelta",
          "TextDelta",
          "ToolCallStart",
          "ToolCallDelta",
          "ToolCallDelta",
          "ToolCallDelta",
          "ToolCallDelta",
          "ToolCall",
          "ProviderFinish"
        ])
        expect(events.find((e) => e._tag === "ToolCallStart")).toEqual({
          _tag: "ToolCallStart",
          id: "tooluse_stream1",
          name: "get_weather"
        })
        const pieces = events.flatMap((e) => (e._tag === "ToolCallDelta" ? [e.argumentsDelta] : []))
        expect(pieces.join("")).toBe(JSON.stringify(args))
        expect(events.filter((e) => e._tag === "ToolCallDelta").every((e) => e.id === "tooluse_stream1")).toBe(true)
        expect(events.find((e) => e._tag === "ToolCall")).toEqual({
          _tag: "ToolCall",
          id: "tooluse_stream1",
          name: "get_weather",
          arguments: args
        })
        expect(events.at(-1)).toMatchObject({ _tag: "ProviderFinish", finishReason: "tool-calls" })
        expect(sentBody(sim, 0).toolConfig).toEqual({ tools: [wireTool] })

        const next = yield* collect(
          answered(ask, "Checking now.", [{ id: "tooluse_stream1", name: "get_weather", arguments: args }], ["sunny"])
        )
        expect(next.flatMap((e) => (e._tag === "TextDelta" ? [e.text] : [])).join("")).toBe("Sunny.")
        expect(next.some((e) => e._tag.startsWith("ToolCall"))).toBe(false)
        expect(next.at(-1)).toMatchObject({ _tag: "ProviderFinish", finishReason: "stop" })
        expect(sentBody(sim, 1).messages.slice(1)).toEqual([
          {
            role: "assistant",
            content: [
              { text: "Checking now." },
              { toolUse: { toolUseId: "tooluse_stream1", name: "get_weather", input: args } }
            ]
          },
          { role: "user", content: [{ toolResult: { toolUseId: "tooluse_stream1", content: [{ text: "sunny" }] } }] }
        ])
      })
    )
  )

  it.live("a reply that only calls a tool: no text, no text block, the call alone (plain and streamed)", () =>
    withBedrock((sim) =>
      Effect.gen(function* () {
        const reply = {
          kind: "text",
          text: "",
          toolCalls: [{ id: "tooluse_only", name: "get_time", arguments: {} }]
        } as const
        sim.script(reply, reply)
        const request = { ...ask, tools: [time] }
        const plain = yield* LLMProvider.use((llm) => llm.generate(request, model))
        expect(plain).toMatchObject({
          content: "",
          finishReason: "tool-calls",
          toolCalls: [{ id: "tooluse_only", name: "get_time", arguments: {} }]
        })
        const events = yield* collect(request)
        expect(events.filter((e) => e._tag !== "UsageSnapshot").map((e) => e._tag)).toEqual([
          "ToolCallStart",
          "ToolCallDelta",
          "ToolCallDelta",
          "ToolCall",
          "ProviderFinish"
        ])
        expect(events.find((e) => e._tag === "ToolCall")).toEqual({
          _tag: "ToolCall",
          id: "tooluse_only",
          name: "get_time",
          arguments: {}
        })
      })
    )
  )
})

describe("BedrockProvider parallel calls", () => {
  const paris = { id: "tooluse_a", name: "get_weather", arguments: { city: "Paris" } }
  const calls = [paris, { id: "tooluse_b", name: "get_weather", arguments: { city: "Rome" } }]

  it.live("two calls come back in order, plain and streamed, each streamed call whole before the next", () =>
    withBedrock((sim) =>
      Effect.gen(function* () {
        const reply = { kind: "text", text: "", toolCalls: calls } as const
        sim.script(reply, reply)
        const plain = yield* LLMProvider.use((llm) => llm.generate(ask, model))
        expect(plain.toolCalls).toEqual(calls)
        const events = yield* collect(ask)
        expect(events.flatMap((e) => (e._tag === "ToolCall" ? [e] : []))).toEqual(
          calls.map((call) => ({ _tag: "ToolCall", ...call }))
        )
        const order = events.flatMap((e) =>
          e._tag === "ToolCallStart" || e._tag === "ToolCall" ? [`${e._tag}:${e.id}`] : []
        )
        expect(order).toEqual([
          "ToolCallStart:tooluse_a",
          "ToolCall:tooluse_a",
          "ToolCallStart:tooluse_b",
          "ToolCall:tooluse_b"
        ])
      })
    )
  )

  it.live("two role tool messages answering one turn reach Bedrock as one user message with two results", () =>
    withBedrock((sim) =>
      Effect.gen(function* () {
        sim.script({ kind: "text", text: "Paris is sunny; Rome failed." })
        const request: ChatRequest = {
          ...ask,
          messages: [
            ...ask.messages,
            { role: "assistant", content: calls.map((call) => ({ type: "tool-call" as const, ...call })) },
            {
              role: "tool",
              content: [
                { type: "tool-result", id: "tooluse_a", name: "get_weather", result: { temp: 24, sky: "clear" } }
              ]
            },
            {
              role: "tool",
              content: [
                { type: "tool-result", id: "tooluse_b", name: "get_weather", result: "service down", isError: true }
              ]
            }
          ]
        }
        const response = yield* LLMProvider.use((llm) => llm.generate(request, model))
        expect(response.content).toBe("Paris is sunny; Rome failed.")
        expect(sentBody(sim, 0).messages).toEqual([
          { role: "user", content: [{ text: "Weather in Paris?" }] },
          {
            role: "assistant",
            content: calls.map((call) => ({ toolUse: { toolUseId: call.id, name: call.name, input: call.arguments } }))
          },
          {
            role: "user",
            content: [
              { toolResult: { toolUseId: "tooluse_a", content: [{ json: { temp: 24, sky: "clear" } }] } },
              { toolResult: { toolUseId: "tooluse_b", content: [{ text: "service down" }], status: "error" } }
            ]
          }
        ])
      })
    )
  )

  it.live("a result followed by a user message: both in the one user message, results first", () =>
    withBedrock((sim) =>
      Effect.gen(function* () {
        sim.script({ kind: "text", text: "ok" })
        const base = answered(ask, "", [paris], [[1, 2]])
        const request = { ...base, messages: [...base.messages, { role: "user" as const, content: "Thanks." }] }
        yield* LLMProvider.use((llm) => llm.generate(request, model))
        expect(sentBody(sim, 0).messages.at(-1)).toEqual({
          role: "user",
          // An array result is not a JSON object: it goes as its JSON text.
          content: [{ toolResult: { toolUseId: "tooluse_a", content: [{ text: "[1,2]" }] } }, { text: "Thanks." }]
        })
      })
    )
  )
})

describe("BedrockProvider toolChoice", () => {
  const cases: ReadonlyArray<readonly [ChatRequest["toolChoice"], unknown]> = [
    [undefined, { tools: [wireTool] }],
    ["auto", { tools: [wireTool], toolChoice: { auto: {} } }],
    ["required", { tools: [wireTool], toolChoice: { any: {} } }],
    [{ tool: "get_weather" }, { tools: [wireTool], toolChoice: { tool: { name: "get_weather" } } }]
  ]
  for (const [choice, toolConfig] of cases)
    it.live(`${JSON.stringify(choice) ?? "absent"} is sent as ${JSON.stringify(toolConfig)}`, () =>
      withBedrock((sim) =>
        Effect.gen(function* () {
          sim.script({ kind: "text", text: "ok" }, { kind: "text", text: "ok" })
          const request = { ...ask, ...(choice !== undefined ? { toolChoice: choice } : {}) }
          yield* LLMProvider.use((llm) => llm.generate(request, model))
          yield* collect(request)
          expect(sentBody(sim, 0).toolConfig).toEqual(toolConfig)
          expect(sentBody(sim, 1).toolConfig).toEqual(toolConfig)
        })
      )
    )

  it.live('"none" without tool calls in the history: no tools are sent, so the model cannot call one', () =>
    withBedrock((sim) =>
      Effect.gen(function* () {
        sim.script({ kind: "text", text: "Paris is in France." })
        const response = yield* LLMProvider.use((llm) => llm.generate({ ...ask, toolChoice: "none" }, model))
        expect(response.content).toBe("Paris is in France.")
        expect(sentBody(sim, 0)).not.toHaveProperty("toolConfig")
      })
    )
  )

  const history = answered(ask, "", [{ id: "tooluse_h", name: "get_weather", arguments: { city: "Paris" } }], ["sunny"])
  const refused: ReadonlyArray<readonly [string, ChatRequest, RegExp]> = [
    ['"none" with tool calls in the history', { ...history, toolChoice: "none" }, /toolChoice "none"/],
    ["a tool history without tools", { messages: history.messages }, /pass the same request\.tools/],
    ["a tool history with an empty tool list", { messages: history.messages, tools: [] }, /defines no tools/]
  ]
  for (const [what, request, message] of refused)
    it.live(`${what} is an InvalidRequestError before any call, plain and streamed`, () =>
      withBedrock((sim) =>
        Effect.gen(function* () {
          const llm = yield* LLMProvider
          const plain = yield* Effect.flip(llm.generate(request, model))
          const streamed = yield* Effect.flip(Stream.runCollect(llm.stream(request, model)))
          for (const error of [plain, streamed]) {
            expect(error).toMatchObject({ _tag: "InvalidRequestError", provider: "bedrock", model })
            expect(error.message).toMatch(message)
          }
          expect(sim.requests).toHaveLength(0)
        })
      )
    )
})

describe("BedrockProvider tool-call ids from another provider", () => {
  it.live("ids Bedrock would refuse are made valid, the same for the call and its result", () =>
    withBedrock((sim) =>
      Effect.gen(function* () {
        sim.script({ kind: "text", text: "Done." }, { kind: "text", text: "Done." })
        const long = `toolu_${"x".repeat(70)}`
        const foreign = answered(
          ask,
          "",
          [
            { id: "call_abc|fc_1", name: "get_weather", arguments: { city: "Paris" } },
            { id: long, name: "get_weather", arguments: { city: "Oslo" } }
          ],
          ["sunny", "snow"]
        )
        const response = yield* LLMProvider.use((llm) => llm.generate(foreign, model))
        expect(response.content).toBe("Done.") // the simulator checked each result answers a call
        yield* collect(foreign)
        for (const index of [0, 1]) {
          const [, assistant, results] = sentBody(sim, index).messages
          const useIds = (assistant?.content ?? []).map((block) => block.toolUse?.toolUseId)
          const resultIds = (results?.content ?? []).map((block) => block.toolResult?.toolUseId)
          expect(useIds).toHaveLength(2)
          for (const id of useIds) expect(id).toMatch(/^[A-Za-z0-9_-]{1,64}$/)
          expect(new Set(useIds).size).toBe(2)
          expect(resultIds).toEqual(useIds)
        }
      })
    )
  )
})

describe("BedrockProvider tool streams that go wrong", () => {
  it.live("a stream cut inside a tool call is the stream-ended error; the started call never completes", () =>
    withBedrock((sim) =>
      Effect.gen(function* () {
        const frames = Buffer.concat([
          bedrockEventFrame("messageStart", { role: "assistant" }),
          bedrockEventFrame("contentBlockStart", {
            contentBlockIndex: 0,
            start: { toolUse: { toolUseId: "tooluse_cut", name: "get_weather" } }
          }),
          bedrockEventFrame("contentBlockDelta", { contentBlockIndex: 0, delta: { toolUse: { input: '{"city":' } } })
        ])
        sim.script({
          kind: "cassette",
          status: 200,
          headers: { "content-type": "application/vnd.amazon.eventstream" },
          bodyBase64: frames.toString("base64")
        })
        const events: Array<ProviderStreamEvent> = []
        const error = yield* LLMProvider.use((llm) =>
          llm.stream(ask, model).pipe(
            Stream.runForEach((event) => Effect.sync(() => events.push(event))),
            Effect.flip
          )
        )
        expect(events.map((e) => e._tag)).toEqual(["ToolCallStart", "ToolCallDelta"])
        expect(error).toMatchObject({ _tag: "NetworkError", provider: "bedrock" })
        expect(error.message).toMatch(/the stream ended before messageStop/)
      })
    )
  )

  it.live("a tool name Bedrock refuses comes back as its 400, mapped as any ValidationException", () =>
    withBedrock((sim) =>
      Effect.gen(function* () {
        sim.script({ kind: "text", text: "never served" })
        // The orchestrator's validation would refuse this name first; the provider alone sends it.
        const request = { ...ask, tools: [{ ...weather, name: "get.weather" }] }
        const error = yield* Effect.flip(LLMProvider.use((llm) => llm.generate(request, model)))
        expect(error).toMatchObject({ _tag: "InvalidRequestError", status: 400 })
        expect(error.message).toContain("toolConfig.tools.1.member.toolSpec.name")
      })
    )
  )
})

describe("the simulator refuses tool requests as Bedrock does", () => {
  const post = (sim: Simulator, body: unknown) =>
    Effect.promise(() =>
      fetch(`${sim.url}/model/${encodeURIComponent(model)}/converse`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body)
      }).then(async (r) => ({
        status: r.status,
        type: r.headers.get("x-amzn-errortype"),
        body: (await r.json()) as { message?: string; output?: unknown }
      }))
    )
  const user = { role: "user", content: [{ text: "hi" }] }
  const use = { role: "assistant", content: [{ toolUse: { toolUseId: "tooluse_1", name: "get_weather", input: {} } }] }
  const result = (id: string) => ({
    role: "user",
    content: [{ toolResult: { toolUseId: id, content: [{ text: "ok" }] } }]
  })
  const toolConfig = { tools: [wireTool] }
  const cases: ReadonlyArray<readonly [string, unknown, RegExp]> = [
    [
      "a toolResult answering no toolUse of the previous message",
      { messages: [user, use, result("tooluse_2")], toolConfig },
      /messages\.2\.content\.0: unexpected `tool_use_id`.*tooluse_2/
    ],
    [
      "toolUse and toolResult blocks without toolConfig",
      { messages: [user, use, result("tooluse_1")] },
      /The toolConfig field must be defined when using toolUse and toolResult content blocks/
    ],
    [
      "an invalid tool name",
      { messages: [user], toolConfig: { tools: [{ toolSpec: { ...wireTool.toolSpec, name: "get weather" } }] } },
      /Value 'get weather' at 'toolConfig\.tools\.1\.member\.toolSpec\.name' failed to satisfy constraint/
    ],
    ["an empty tool list", { messages: [user], toolConfig: { tools: [] } }, /toolConfig\.tools/]
  ]
  for (const [what, body, message] of cases)
    it.live(what, () =>
      Effect.gen(function* () {
        const sim = yield* bedrockSimulator()
        sim.script({ kind: "text", text: "kept for the valid request" })
        const refused = yield* post(sim, body)
        expect(refused.status).toBe(400)
        expect(refused.type).toMatch(/^ValidationException:/)
        expect(refused.body.message).toMatch(message)
        // The refusal used no scripted reply: the valid request after it gets it.
        const valid = yield* post(sim, { messages: [user, use, result("tooluse_1")], toolConfig })
        expect(valid.status).toBe(200)
        expect(JSON.stringify(valid.body.output)).toContain("kept for the valid request")
      })
    )
})
