/**
 * Answers at the edges of the rules: an empty answer that was not filtered is an answer, not a
 * content-filter error (plain and streamed); a streamed answer of tool calls with text after them is
 * not checked against the requested schema; a cut stream's estimate counts its images; a request
 * with a valid responseFormat still has its tools checked.
 */
import { describe, expect, it } from "@effect/vitest"
import { type ChatRequest, LLMOrchestrator, type StreamEvent } from "@llm-orchestrator/core"
import { Effect, Stream } from "effect"
import { providerFinish, withFallbackModel } from "./orchestrator-helpers.ts"

const ask = { role: "user" as const, content: "sixteen chars!!!" }
const city = { type: "object", properties: { city: { type: "string" } }, required: ["city"] }
const streamOf = (request: ChatRequest) =>
  Stream.unwrap(LLMOrchestrator.use((llm) => Effect.succeed(llm.sendStreamingRequest(request))))
const tags = (events: Iterable<StreamEvent>) => Array.from(events, (e) => e._tag)

describe("answers at the edges", () => {
  it.effect("an empty answer that finished normally is an answer, plain and streamed: no fallback", () => {
    const t = withFallbackModel({ text: "" }, { events: [[providerFinish()]] })
    return Effect.gen(function* () {
      const llm = yield* LLMOrchestrator
      const response = yield* llm.sendRequest({ messages: [ask] })
      expect([response.model, response.content, response.finishReason]).toEqual(["a", "", "stop"])
      const events = yield* Stream.runCollect(streamOf({ messages: [ask] }))
      expect(tags(events)).toEqual(["Finish"])
      expect(t.fake("openai").calls.map((c) => c.model)).toEqual(["a", "a"])
    }).pipe(Effect.provide(t.layer))
  })

  it.effect("a streamed answer of tool calls, text after them, is not checked against the schema", () => {
    const t = withFallbackModel({
      events: [
        [{ _tag: "ToolCallStart", id: "c1", name: "lookup" }],
        [{ _tag: "ToolCall", id: "c1", name: "lookup", arguments: {} }],
        [{ _tag: "TextDelta", text: "Looking it up." }],
        [providerFinish({ finishReason: "tool-calls" })]
      ]
    })
    const request: ChatRequest = {
      messages: [ask],
      tools: [{ name: "lookup", parameters: { type: "object", properties: {} } }],
      responseFormat: { type: "json", schema: city }
    }
    return Effect.gen(function* () {
      const events = yield* Stream.runCollect(streamOf(request))
      const last = events.at(-1)!
      expect(last._tag).toBe("Finish")
      expect(last).not.toHaveProperty("output")
      expect(t.records.map((r) => r.outcome)).toEqual(["success"])
    }).pipe(Effect.provide(t.layer))
  })

  it.effect("a stream cut before any usage is estimated with 6,000 tokens per image", () => {
    const t = withFallbackModel({ text: "12345678abcd", chunks: ["12345678", "abcd", "tail"], usage: {} })
    const image = { type: "image" as const, data: "iVBORw0KGgo=", mediaType: "image/png" as const }
    const request: ChatRequest = {
      messages: [{ role: "user", content: [{ type: "text", text: "sixteen chars!!!" }, image] }]
    }
    return Effect.gen(function* () {
      yield* Stream.runCollect(Stream.take(streamOf(request), 2))
      expect(t.records).toHaveLength(1)
      expect(t.records[0]).toMatchObject({ outcome: "interrupted", usageEstimated: true })
      expect(t.records[0]!.usage).toMatchObject({ inputTokens: 4 + 6_000, outputTokens: 3 })
    }).pipe(Effect.provide(t.layer))
  })

  it.effect("a valid responseFormat does not let broken tools through", () => {
    const t = withFallbackModel()
    return Effect.gen(function* () {
      const llm = yield* LLMOrchestrator
      const failure = yield* Effect.flip(
        llm.sendRequest({ messages: [ask], responseFormat: { type: "json", schema: city }, tools: "lookup" } as never)
      )
      expect(failure.message).toBe(
        "invalid request: request.tools must be an array of { name, description?, parameters }"
      )
      expect(t.fake("openai").calls).toHaveLength(0)
    }).pipe(Effect.provide(t.layer))
  })
})
