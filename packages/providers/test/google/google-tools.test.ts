/**
 * Tool calls through GeminiProvider and VertexProvider, with the real `@google/genai` SDK against the
 * simulators, which check tool requests as the real API does (a response turn must answer the call
 * turn right before it, by name and id; function names; results as JSON objects).
 */

import { describe, expect, it } from "@effect/vitest"
import {
  type ChatRequest,
  LLMProvider,
  type Message,
  type ProviderStreamEvent,
  type ToolDefinition
} from "@llm-orchestrator/core"
import { GeminiProvider, VertexProvider } from "@llm-orchestrator/providers"
import { geminiSimulator, type Simulator, vertexSimulator } from "@llm-orchestrator/testing"
import { Effect, Redacted } from "effect"
import { OAuth2Client } from "google-auth-library"
import { collect } from "./google-support.ts"

const model = "gemini-2.5-flash"

const flavors = [
  {
    name: "Gemini",
    simulator: geminiSimulator,
    provider: (sim: Simulator) =>
      Effect.gen(function* () {
        return yield* LLMProvider
      }).pipe(Effect.provide(GeminiProvider.layer({ apiKey: Redacted.make("AIzaSy-tools-test"), baseUrl: sim.url })))
  },
  {
    name: "Vertex",
    simulator: vertexSimulator,
    provider: (sim: Simulator) => {
      const authClient = new OAuth2Client()
      authClient.setCredentials({ access_token: "ya29.tools-test" })
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

const weather: ToolDefinition = {
  name: "get_weather",
  description: "The weather in a city.",
  parameters: {
    type: "object",
    properties: { city: { $ref: "#/$defs/city" } },
    required: ["city"],
    $defs: { city: { type: "string" } }
  }
}
const time: ToolDefinition = { name: "get_time", parameters: { type: "object", properties: {} } }

const question: Message = { role: "user", content: "Weather in Paris?" }

interface WirePart {
  readonly text?: string
  readonly functionCall?: { readonly id?: string; readonly name: string; readonly args: Record<string, unknown> }
  readonly functionResponse?: { readonly id?: string; readonly name: string; readonly response: unknown }
}
interface WireBody {
  readonly contents: ReadonlyArray<{ readonly role: string; readonly parts: ReadonlyArray<WirePart> }>
  readonly tools?: unknown
  readonly toolConfig?: unknown
}
const bodyOf = (sim: Simulator, index: number) => sim.requests[index]!.body as WireBody

const toolEvents = (events: ReadonlyArray<ProviderStreamEvent>) =>
  events.filter((e) => e._tag === "ToolCallStart" || e._tag === "ToolCallDelta" || e._tag === "ToolCall")

for (const flavor of flavors) {
  describe(`${flavor.name}: tool calls`, () => {
    it.live("a two-step tool loop, plain: declarations, the call turn and the result turn on the wire", () =>
      Effect.gen(function* () {
        const sim = yield* flavor.simulator()
        sim.script(
          { kind: "text", text: "", toolCalls: [{ id: "fc_w1", name: "get_weather", arguments: { city: "Paris" } }] },
          { kind: "text", text: "Sunny in Paris." }
        )
        const llm = yield* flavor.provider(sim)
        const first = yield* llm.generate({ messages: [question], tools: [weather, time], toolChoice: "auto" }, model)
        expect(first.toolCalls).toEqual([{ id: "fc_w1", name: "get_weather", arguments: { city: "Paris" } }])
        expect(first.finishReason).toBe("tool-calls")
        expect(first.content).toBe("")
        expect(bodyOf(sim, 0).tools).toEqual([
          {
            functionDeclarations: [
              { name: "get_weather", description: "The weather in a city.", parametersJsonSchema: weather.parameters },
              { name: "get_time", parametersJsonSchema: time.parameters }
            ]
          }
        ])
        expect(bodyOf(sim, 0).toolConfig).toEqual({ functionCallingConfig: { mode: "AUTO" } })

        const second = yield* llm.generate(
          {
            messages: [
              question,
              { role: "assistant", content: first.toolCalls!.map((call) => ({ type: "tool-call" as const, ...call })) },
              { role: "tool", content: [{ type: "tool-result", id: "fc_w1", name: "get_weather", result: "sunny" }] }
            ],
            tools: [weather, time]
          },
          model
        )
        expect(second).toMatchObject({ content: "Sunny in Paris.", finishReason: "stop" })
        expect(second.toolCalls).toBeUndefined()
        expect(bodyOf(sim, 1).contents).toEqual([
          { role: "user", parts: [{ text: "Weather in Paris?" }] },
          { role: "model", parts: [{ functionCall: { id: "fc_w1", name: "get_weather", args: { city: "Paris" } } }] },
          {
            role: "user",
            parts: [{ functionResponse: { id: "fc_w1", name: "get_weather", response: { result: "sunny" } } }]
          }
        ])
        expect(bodyOf(sim, 1).toolConfig).toBeUndefined()
      })
    )

    it.live("a two-step tool loop, streamed: text, then each call whole, then the finish", () =>
      Effect.gen(function* () {
        const sim = yield* flavor.simulator()
        sim.script(
          {
            kind: "text",
            text: "Let me check.",
            chunks: ["Let me ", "check."],
            toolCalls: [{ id: "fc_s1", name: "get_weather", arguments: { city: "Paris" } }],
            usage: { inputTokens: 30, outputTokens: 12 }
          },
          { kind: "text", text: "Sunny.", chunks: ["Sun", "ny."] }
        )
        const llm = yield* flavor.provider(sim)
        const first = yield* collect(llm.stream({ messages: [question], tools: [weather] }, model))
        expect(first.error).toBeUndefined()
        expect(first.events.filter((e) => e._tag !== "UsageSnapshot").map((e) => e._tag)).toEqual([
          "TextDelta",
          "TextDelta",
          "ToolCallStart",
          "ToolCallDelta",
          "ToolCall",
          "ProviderFinish"
        ])
        expect(toolEvents(first.events)).toEqual([
          { _tag: "ToolCallStart", id: "fc_s1", name: "get_weather" },
          { _tag: "ToolCallDelta", id: "fc_s1", argumentsDelta: '{"city":"Paris"}' },
          { _tag: "ToolCall", id: "fc_s1", name: "get_weather", arguments: { city: "Paris" } }
        ])
        expect(first.events.at(-1)).toMatchObject({
          _tag: "ProviderFinish",
          finishReason: "tool-calls",
          usage: { inputTokens: 30, outputTokens: 12, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 }
        })

        const second = yield* collect(
          llm.stream(
            {
              messages: [
                question,
                {
                  role: "assistant",
                  content: [
                    { type: "text", text: "Let me check." },
                    { type: "tool-call", id: "fc_s1", name: "get_weather", arguments: { city: "Paris" } }
                  ]
                },
                {
                  role: "tool",
                  content: [
                    { type: "tool-result", id: "fc_s1", name: "get_weather", result: { sky: "clear", celsius: 24 } }
                  ]
                }
              ],
              tools: [weather]
            },
            model
          )
        )
        expect(second.error).toBeUndefined()
        expect(toolEvents(second.events)).toEqual([])
        expect(second.events.at(-1)).toMatchObject({ _tag: "ProviderFinish", finishReason: "stop" })
        expect(bodyOf(sim, 1).contents.slice(1)).toEqual([
          {
            role: "model",
            parts: [
              { text: "Let me check." },
              { functionCall: { id: "fc_s1", name: "get_weather", args: { city: "Paris" } } }
            ]
          },
          {
            role: "user",
            parts: [{ functionResponse: { id: "fc_s1", name: "get_weather", response: { sky: "clear", celsius: 24 } } }]
          }
        ])
      })
    )

    it.live("a chunk mixing text, thoughts and signed calls: events in the order of its parts", () =>
      Effect.gen(function* () {
        const sim = yield* flavor.simulator()
        const chunk = {
          candidates: [
            {
              content: {
                role: "model",
                parts: [
                  { text: "pondering", thought: true },
                  { text: "Checking " },
                  { text: "Paris." },
                  { functionCall: { name: "get_weather", args: { city: "Paris" } }, thoughtSignature: "c2lnbmVk" },
                  { text: " And Rome." },
                  { functionCall: { id: "fc_given", name: "get_weather", args: { city: "Rome" } } }
                ]
              },
              finishReason: "STOP"
            }
          ],
          usageMetadata: { promptTokenCount: 10, candidatesTokenCount: 7, totalTokenCount: 17 },
          responseId: "resp_mixed"
        }
        const sse = (body: unknown) => `data: ${JSON.stringify(body)}\r\n\r\n`
        sim.script(
          { kind: "cassette", status: 200, headers: { "content-type": "text/event-stream" }, body: sse(chunk) },
          {
            kind: "cassette",
            status: 200,
            headers: { "content-type": "application/json" },
            body: JSON.stringify(chunk)
          }
        )
        const llm = yield* flavor.provider(sim)
        const streamed = yield* collect(llm.stream({ messages: [question], tools: [weather] }, model))
        expect(streamed.error).toBeUndefined()
        const paris = { id: "resp_mixed_0", name: "get_weather", arguments: { city: "Paris" } }
        const rome = { id: "fc_given", name: "get_weather", arguments: { city: "Rome" } }
        expect(streamed.events.filter((e) => e._tag === "TextDelta" || e._tag === "ToolCall")).toEqual([
          { _tag: "TextDelta", text: "Checking Paris." },
          { _tag: "ToolCall", ...paris },
          { _tag: "TextDelta", text: " And Rome." },
          { _tag: "ToolCall", ...rome }
        ])
        const plain = yield* llm.generate({ messages: [question], tools: [weather] }, model)
        expect(plain).toMatchObject({ content: "Checking Paris. And Rome.", finishReason: "tool-calls" })
        expect(plain.toolCalls).toEqual([paris, rome])
      })
    )

    it.live("each toolChoice as functionCallingConfig; none without toolConfig when unset", () =>
      Effect.gen(function* () {
        const sim = yield* flavor.simulator()
        const llm = yield* flavor.provider(sim)
        const choices = ["auto", "none", "required", { tool: "get_time" }] as const
        for (const toolChoice of choices)
          yield* llm.generate({ messages: [question], tools: [weather, time], toolChoice }, model)
        yield* llm.generate({ messages: [question], tools: [weather, time] }, model)
        expect(sim.requests.map((r) => (r.body as WireBody).toolConfig)).toEqual([
          { functionCallingConfig: { mode: "AUTO" } },
          { functionCallingConfig: { mode: "NONE" } },
          { functionCallingConfig: { mode: "ANY" } },
          { functionCallingConfig: { mode: "ANY", allowedFunctionNames: ["get_time"] } },
          undefined
        ])
      })
    )

    it.live("two parallel calls of one function without ids: distinct ids, results matched to their calls", () =>
      Effect.gen(function* () {
        const sim = yield* flavor.simulator()
        const parallel = {
          kind: "text",
          text: "",
          toolCalls: [
            { name: "get_weather", arguments: { city: "Paris" } },
            { name: "get_weather", arguments: { city: "Rome" } }
          ]
        } as const
        // Plain, then the same answer streamed, then the answer to the results.
        sim.script(parallel, parallel, { kind: "text", text: "Both sunny." })
        const llm = yield* flavor.provider(sim)
        const first = yield* llm.generate({ messages: [question], tools: [weather] }, model)
        const calls = first.toolCalls ?? []
        expect(calls.map((c) => [c.name, c.arguments])).toEqual([
          ["get_weather", { city: "Paris" }],
          ["get_weather", { city: "Rome" }]
        ])
        expect(new Set(calls.map((c) => c.id)).size).toBe(2)
        for (const call of calls) expect(call.id).toMatch(/^[A-Za-z0-9_-]{1,64}$/)
        // The same answer streamed gets the same kind of ids: distinct, valid.
        const streamed = yield* collect(llm.stream({ messages: [question], tools: [weather] }, model))
        const streamedIds = streamed.events.flatMap((e) => (e._tag === "ToolCall" ? [e.id] : []))
        expect(streamedIds).toHaveLength(2)
        expect(new Set(streamedIds).size).toBe(2)

        // Results in reverse order, one tool message each: one user turn, each answer on its call's id.
        const [paris, rome] = calls
        const second = yield* llm.generate(
          {
            messages: [
              question,
              { role: "assistant", content: calls.map((call) => ({ type: "tool-call" as const, ...call })) },
              { role: "tool", content: [{ type: "tool-result", id: rome!.id, name: "get_weather", result: "rain" }] },
              { role: "tool", content: [{ type: "tool-result", id: paris!.id, name: "get_weather", result: "sun" }] }
            ],
            tools: [weather]
          },
          model
        )
        expect(second.content).toBe("Both sunny.")
        const sent = bodyOf(sim, 2).contents
        expect(sent).toHaveLength(3)
        const callIds = sent[1]!.parts.map((p) => [p.functionCall?.id, p.functionCall?.args])
        expect(callIds).toEqual([
          [paris!.id, { city: "Paris" }],
          [rome!.id, { city: "Rome" }]
        ])
        expect(sent[2]!.role).toBe("user")
        expect(sent[2]!.parts.map((p) => [p.functionResponse?.id, p.functionResponse?.response])).toEqual([
          [rome!.id, { result: "rain" }],
          [paris!.id, { result: "sun" }]
        ])
      })
    )

    it.live("ids from other providers reach the API valid, the same on the call and its result", () =>
      Effect.gen(function* () {
        const sim = yield* flavor.simulator()
        const llm = yield* flavor.provider(sim)
        const anthropicId = "toolu_01A09q90qw90lq917835lq9"
        const openaiId = "call_abc|fc_1"
        const response = yield* llm.generate(
          {
            messages: [
              question,
              {
                role: "assistant",
                content: [
                  { type: "tool-call", id: anthropicId, name: "get_weather", arguments: { city: "Paris" } },
                  { type: "tool-call", id: openaiId, name: "get_time", arguments: {} }
                ]
              },
              {
                role: "tool",
                content: [
                  { type: "tool-result", id: anthropicId, name: "get_weather", result: "sun" },
                  { type: "tool-result", id: openaiId, name: "get_time", result: "noon" }
                ]
              }
            ],
            tools: [weather, time]
          },
          model
        )
        expect(response.finishReason).toBe("stop")
        const [, callTurn, resultTurn] = bodyOf(sim, 0).contents
        const callIds = callTurn!.parts.map((p) => p.functionCall!.id!)
        expect(callIds[0]).toBe(anthropicId) // already valid: unchanged
        expect(callIds[1]).not.toBe(openaiId)
        for (const id of callIds) expect(id).toMatch(/^[A-Za-z0-9_-]{1,64}$/)
        expect(resultTurn!.parts.map((p) => p.functionResponse!.id)).toEqual(callIds)
      })
    )

    it.live("a failed tool as {error}; an array result wrapped as {result}", () =>
      Effect.gen(function* () {
        const sim = yield* flavor.simulator()
        const llm = yield* flavor.provider(sim)
        yield* llm.generate(
          {
            messages: [
              question,
              {
                role: "assistant",
                content: [
                  { type: "tool-call", id: "a", name: "get_weather", arguments: { city: "Paris" } },
                  { type: "tool-call", id: "b", name: "get_time", arguments: {} }
                ]
              },
              {
                role: "tool",
                content: [
                  { type: "tool-result", id: "a", name: "get_weather", result: { code: 503 }, isError: true },
                  { type: "tool-result", id: "b", name: "get_time", result: [12, 0] }
                ]
              }
            ],
            tools: [weather, time]
          },
          model
        )
        expect(bodyOf(sim, 0).contents[2]!.parts).toEqual([
          { functionResponse: { id: "a", name: "get_weather", response: { error: '{"code":503}' } } },
          { functionResponse: { id: "b", name: "get_time", response: { result: [12, 0] } } }
        ])
      })
    )

    it.live("histories Gemini cannot take are refused before any request: typed InvalidRequestError", () =>
      Effect.gen(function* () {
        const sim = yield* flavor.simulator()
        const llm = yield* flavor.provider(sim)
        const twoCalls: Message = {
          role: "assistant",
          content: [
            { type: "tool-call", id: "c1", name: "get_weather", arguments: { city: "Paris" } },
            { type: "tool-call", id: "c2", name: "get_weather", arguments: { city: "Rome" } }
          ]
        }
        const result = (id: string): Message => ({
          role: "tool",
          content: [{ type: "tool-result", id, name: "get_weather", result: "sun" }]
        })
        const histories: ReadonlyArray<ReadonlyArray<Message>> = [
          // One call left unanswered.
          [question, twoCalls, result("c1")],
          // Results after a user message instead of right after the call turn.
          [question, twoCalls, { role: "user", content: "well?" }, result("c1"), result("c2")]
        ]
        for (const messages of histories) {
          const plain = yield* Effect.flip(llm.generate({ messages, tools: [weather] }, model))
          expect(plain).toMatchObject({ _tag: "InvalidRequestError", provider: flavor.name.toLowerCase() })
          expect(plain.message).toMatch(/tool results? .*(answer each|right after)/)
          const streamed = yield* collect(llm.stream({ messages, tools: [weather] }, model))
          expect(streamed.error).toMatchObject({ _tag: "InvalidRequestError", message: plain.message })
        }
        expect(sim.requests).toHaveLength(0)
      })
    )

    it.live("the simulator refuses what the API refuses: 400 INVALID_ARGUMENT as InvalidRequestError", () =>
      Effect.gen(function* () {
        const sim = yield* flavor.simulator()
        const llm = yield* flavor.provider(sim)
        const call: Message = {
          role: "assistant",
          content: [{ type: "tool-call", id: "c1", name: "get_weather", arguments: { city: "Paris" } }]
        }
        const answer = (id: string, name: string): Message => ({
          role: "tool",
          content: [{ type: "tool-result", id, name, result: 1 }]
        })
        const refused = (request: ChatRequest) => Effect.flip(llm.generate(request, model))
        // The provider called directly skips the orchestrator's validation, so the wire rules are reached.
        const wrongName = yield* refused({
          messages: [question, call, answer("c1", "get_time")],
          tools: [weather, time]
        })
        expect(wrongName).toMatchObject({ _tag: "InvalidRequestError", status: 400 })
        expect(wrongName.message).toContain("INVALID_ARGUMENT")
        expect(wrongName.message).toContain("does not match any function call")
        const twoCallTurns = yield* refused({ messages: [question, call, call], tools: [weather] })
        expect(twoCallTurns.message).toContain("function call turn comes immediately after a user turn")
        const badName = yield* refused({
          messages: [question],
          tools: [{ name: "get weather", parameters: { type: "object" } }]
        })
        expect(badName.message).toContain("Invalid function name")
        expect(sim.requests).toHaveLength(3)
        // And a valid loop passes the same checks.
        const ok = yield* llm.generate(
          { messages: [question, call, answer("c1", "get_weather")], tools: [weather] },
          model
        )
        expect(ok.finishReason).toBe("stop")
      })
    )

    it.live("the simulator refuses response turns the adapter never sends (raw HTTP)", () =>
      Effect.gen(function* () {
        const sim = yield* flavor.simulator()
        const path =
          flavor.name === "Gemini"
            ? `/v1beta/models/${model}:generateContent`
            : `/v1beta1/projects/acme-prod/locations/us-central1/publishers/google/models/${model}:generateContent`
        const post = (contents: unknown) =>
          Effect.promise(async () => {
            const response = await fetch(`${sim.url}${path}`, {
              method: "POST",
              headers: { "content-type": "application/json", "x-goog-api-key": "AIzaSy-raw" },
              body: JSON.stringify({ contents })
            })
            return {
              status: response.status,
              body: (await response.json()) as { error?: { status: string; message: string } }
            }
          })
        const user = { role: "user", parts: [{ text: "hi" }] }
        const calls = {
          role: "model",
          parts: [
            { functionCall: { id: "a", name: "f", args: {} } },
            { functionCall: { id: "b", name: "f", args: {} } }
          ]
        }
        const response = (id: string, value: unknown = { ok: true }) => ({
          functionResponse: { id, name: "f", response: value }
        })
        const cases = [
          {
            contents: [user, { role: "user", parts: [response("a")] }],
            says: "function response turn comes immediately after a function call turn"
          },
          {
            contents: [user, calls, { role: "user", parts: [response("a")] }],
            says: "number of function response parts is equal to the number of function call parts"
          },
          {
            contents: [user, calls, { role: "user", parts: [response("a"), response("c")] }],
            says: 'with id "c" does not match any function call'
          },
          {
            contents: [user, calls, { role: "user", parts: [response("a"), response("b", "text")] }],
            says: "type.googleapis.com/google.protobuf.Struct"
          }
        ]
        for (const { contents, says } of cases) {
          const { status, body } = yield* post(contents)
          expect(status).toBe(400)
          expect(body.error?.status).toBe("INVALID_ARGUMENT")
          expect(body.error?.message).toContain(says)
        }
        const fine = yield* post([user, calls, { role: "user", parts: [response("b"), response("a")] }])
        expect(fine.status).toBe(200)
      })
    )
  })
}
