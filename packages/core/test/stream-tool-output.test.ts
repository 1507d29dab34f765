/**
 * A tool call in a stream is output like text: a content filter after it ends the answer instead of
 * failing over (the caller has seen the call), and a stream cut after argument deltas is billed on an
 * estimate that counts those arguments. Also the exact message for a provider that is not configured.
 */
import { describe, expect, it } from "@effect/vitest"
import { LLMOrchestrator, type ProviderStreamEvent, type StreamEvent } from "@llm-orchestrator/core"
import { Effect, Stream } from "effect"
import { providerFinish, setup, user, withFallbackModel } from "./orchestrator-helpers.ts"

const start: ProviderStreamEvent = { _tag: "ToolCallStart", id: "c1", name: "lookup" }
const delta = (argumentsDelta: string): ProviderStreamEvent => ({ _tag: "ToolCallDelta", id: "c1", argumentsDelta })

const streamOf = () =>
  Stream.unwrap(LLMOrchestrator.use((llm) => Effect.succeed(llm.sendStreamingRequest(user("sixteen chars!!!")))))
const tags = (events: Iterable<StreamEvent>) =>
  Array.from(events, (e) => (e._tag === "Finish" ? `Finish:${e.finishReason}:${e.model}` : e._tag))

describe("tool calls as stream output", () => {
  it.effect("a content filter after a tool call's start, in the same chunk, ends the answer: no fallback", () => {
    const t = withFallbackModel({
      events: [[start, delta('{"q":1}'), providerFinish({ finishReason: "content-filter" })]]
    })
    return Effect.gen(function* () {
      const events = yield* Stream.runCollect(streamOf())
      expect(tags(events)).toEqual(["ToolCallStart", "ToolCallDelta", "Finish:content-filter:a"])
      expect(t.fake("openai").calls.map((c) => c.model)).toEqual(["a"])
      expect(t.records.map((r) => [r.model, r.outcome])).toEqual([["a", "success"]])
    }).pipe(Effect.provide(t.layer))
  })

  it.effect("a content filter after a whole tool call ends the answer too", () => {
    const t = withFallbackModel({
      events: [
        [{ _tag: "ToolCall", id: "c1", name: "lookup", arguments: { q: 1 } }],
        [providerFinish({ finishReason: "content-filter" })]
      ]
    })
    return Effect.gen(function* () {
      const events = yield* Stream.runCollect(streamOf())
      expect(tags(events)).toEqual(["ToolCall", "Finish:content-filter:a"])
      expect(t.fake("openai").calls.map((c) => c.model)).toEqual(["a"])
    }).pipe(Effect.provide(t.layer))
  })

  it.effect("a stream cut after argument deltas, before any usage, is billed on an estimate counting them", () => {
    // 16 characters of prompt (4 tokens); 15 characters of arguments delivered (4 tokens).
    const t = withFallbackModel({ events: [[start], [delta('{"city":')], [delta('"Oslo"}')], [providerFinish()]] })
    return Effect.gen(function* () {
      const events = yield* Stream.runCollect(Stream.take(streamOf(), 3))
      expect(tags(events)).toEqual(["ToolCallStart", "ToolCallDelta", "ToolCallDelta"])
      expect(t.records).toHaveLength(1)
      expect(t.records[0]).toMatchObject({ outcome: "interrupted", usageEstimated: true })
      expect(t.records[0]!.usage).toMatchObject({ inputTokens: 4, outputTokens: 4 })
    }).pipe(Effect.provide(t.layer))
  })
})

describe("providers that are not configured", () => {
  it.effect("a request naming one fails with the fix and the configured providers", () => {
    const t = setup({ activeProvider: "openai", activeModel: "a", providers: { openai: {}, anthropic: {} } })
    return Effect.gen(function* () {
      const llm = yield* LLMOrchestrator
      const error = yield* Effect.flip(llm.getAvailableModels("bedrock"))
      expect(error.message).toBe(
        "provider bedrock is not configured; add providers.bedrock to the config (configured: openai, anthropic)"
      )
    }).pipe(Effect.provide(t.layer))
  })
})
