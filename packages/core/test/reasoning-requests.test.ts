/**
 * Reasoning through the orchestrator, over fake providers: `request.reasoning` and reasoning parts
 * checked before anything is sent, the reasoning returned plain and streamed, the stream rule that
 * reasoning is held until the first text or tool call (a model that fails while thinking still falls
 * back, and its reasoning is never shown), and the tool loop carrying each step's reasoning parts.
 */
import { describe, expect, it } from "@effect/vitest"
import {
  type ChatRequest,
  ContextLengthExceededError,
  type ExecutableTool,
  LLMOrchestrator,
  runToolLoop,
  type StreamEvent,
  type ToolCall
} from "@llm-orchestrator/core"
import { Effect, Stream } from "effect"
import { attemptsOf, setup } from "./orchestrator-helpers.ts"

const ask = { role: "user" as const, content: "Weather in Paris?" }
const call: ToolCall = { id: "call_1", name: "get_weather", arguments: { city: "Paris" } }
const reasoningPart = { type: "reasoning" as const, text: "Think.", source: "anthropic", signature: "c2ln" }

/** [what, request, the message after "invalid request: "] */
const refused: ReadonlyArray<[string, unknown, string]> = [
  [
    "reasoning that is not an object",
    { messages: [ask], reasoning: "high" },
    'request.reasoning must be { effort: "low" | "medium" | "high" } and/or { budgetTokens: a positive integer }'
  ],
  [
    "empty reasoning",
    { messages: [ask], reasoning: {} },
    'request.reasoning must be { effort: "low" | "medium" | "high" } and/or { budgetTokens: a positive integer }'
  ],
  [
    "an unknown effort",
    { messages: [ask], reasoning: { effort: "max" } },
    'request.reasoning.effort must be "low", "medium" or "high" (got "max")'
  ],
  [
    "a budget that is not an integer",
    { messages: [ask], reasoning: { budgetTokens: 1500.5 } },
    "request.reasoning.budgetTokens must be a positive integer (got 1500.5)"
  ],
  [
    "a zero budget",
    { messages: [ask], reasoning: { budgetTokens: 0 } },
    "request.reasoning.budgetTokens must be a positive integer (got 0)"
  ],
  [
    "a budget at maxTokens",
    { messages: [ask], maxTokens: 2000, reasoning: { budgetTokens: 2000 } },
    "request.reasoning.budgetTokens (2000) must be below request.maxTokens (2000): the thinking is part of the output; raise maxTokens or lower the budget"
  ],
  [
    "an unknown reasoning setting",
    { messages: [ask], reasoning: { effort: "low", summary: "auto" } },
    "request.reasoning.summary is not a reasoning setting (effort, budgetTokens)"
  ],
  [
    "a reasoning part in a user message",
    { messages: [{ role: "user", content: [reasoningPart] }] },
    "request.messages[0].content[0]: reasoning parts belong in assistant messages"
  ],
  [
    "a reasoning part without its source",
    { messages: [ask, { role: "assistant", content: [{ type: "reasoning", text: "x" }] }] },
    'request.messages[1].content[0] must be { type: "reasoning", text, source, signature?, redacted?, id? } as response.reasoningParts gives them'
  ],
  [
    "a reasoning part with a signature that is not a string",
    { messages: [ask, { role: "assistant", content: [{ ...reasoningPart, signature: 42 }] }] },
    "request.messages[1].content[0].signature must be a string"
  ]
]

describe("reasoning requests", () => {
  it.effect("each broken reasoning rule fails with a message that names the field and the fix, before any call", () => {
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

  it.effect("valid reasoning requests reach the provider as they were given", () => {
    const accepted: ReadonlyArray<ChatRequest> = [
      { messages: [ask], reasoning: { effort: "low" } },
      { messages: [ask], reasoning: { budgetTokens: 1024 } },
      { messages: [ask], maxTokens: 4000, reasoning: { effort: "high", budgetTokens: 3999 } },
      { messages: [ask, { role: "assistant", content: [reasoningPart, { type: "text", text: "Sunny." }] }, ask] },
      {
        messages: [
          ask,
          { role: "assistant", content: [{ type: "reasoning", text: "", source: "anthropic", redacted: "abc" }] },
          ask
        ]
      }
    ]
    const t = setup({ activeProvider: "openai", activeModel: "m", providers: { openai: {} } })
    return Effect.gen(function* () {
      const llm = yield* LLMOrchestrator
      for (const request of accepted) yield* llm.sendRequest(request)
      expect(t.fake("openai").calls.map((c) => c.request)).toEqual(accepted)
    }).pipe(Effect.provide(t.layer))
  })

  it.effect("a plain answer carries the reasoning text and its parts", () => {
    const t = setup({ activeProvider: "openai", activeModel: "m", providers: { openai: {} } })
    t.fake("openai").script({ text: "Sunny.", reasoning: "Look outside." })
    return Effect.gen(function* () {
      const llm = yield* LLMOrchestrator
      const response = yield* llm.sendRequest({ messages: [ask], reasoning: { effort: "low" } })
      expect(response.reasoning).toBe("Look outside.")
      expect(response.reasoningParts).toEqual([
        { type: "reasoning", text: "Look outside.", source: "openai", signature: "sig:Look outside." }
      ])
    }).pipe(Effect.provide(t.layer))
  })

  it.effect("a stream gives the reasoning deltas before the text, and the parts on its Finish", () => {
    const t = setup({ activeProvider: "openai", activeModel: "m", providers: { openai: {} } })
    t.fake("openai").script({ text: "Sunny.", chunks: 1, reasoning: "Look outside." })
    return Effect.gen(function* () {
      const llm = yield* LLMOrchestrator
      const events = yield* Stream.runCollect(llm.sendStreamingRequest({ messages: [ask] }))
      expect(events.map((e) => e._tag)).toEqual(["ReasoningDelta", "ReasoningDelta", "TextDelta", "Finish"])
      expect(events.flatMap((e) => (e._tag === "ReasoningDelta" ? [e.text] : [])).join("")).toBe("Look outside.")
      const finish = events.at(-1) as StreamEvent & { _tag: "Finish" }
      expect(finish.reasoningParts).toEqual([
        { type: "reasoning", text: "Look outside.", source: "openai", signature: "sig:Look outside." }
      ])
    }).pipe(Effect.provide(t.layer))
  })

  it.effect("a stream without reasoning has no reasoning parts on its Finish", () => {
    const t = setup({ activeProvider: "openai", activeModel: "m", providers: { openai: {} } })
    t.fake("openai").script({ text: "Sunny." })
    return Effect.gen(function* () {
      const llm = yield* LLMOrchestrator
      const events = yield* Stream.runCollect(llm.sendStreamingRequest({ messages: [ask] }))
      expect("reasoningParts" in events.at(-1)!).toBe(false)
    }).pipe(Effect.provide(t.layer))
  })

  it.effect("a stream that fails while reasoning falls back, and the failed model's reasoning is never shown", () => {
    const t = setup({ activeProvider: "openai", activeModel: "a", providers: { openai: { fallbackModels: ["b"] } } })
    // Not retried on the same model (no backoff to wait through): the next model at once.
    const failure = new ContextLengthExceededError({ provider: "openai", model: "a", message: "too long" })
    t.fake("openai").scriptModel("a", {
      events: [[{ _tag: "ReasoningDelta", text: "Model a thinks" }], [{ _tag: "ReasoningDelta", text: " more." }]],
      failWith: failure
    })
    t.fake("openai").scriptModel("b", { text: "Sunny.", chunks: 1, reasoning: "Model b." })
    return Effect.gen(function* () {
      const llm = yield* LLMOrchestrator
      const events = yield* Stream.runCollect(llm.sendStreamingRequest({ messages: [ask] }))
      const finish = events.at(-1) as StreamEvent & { _tag: "Finish" }
      expect(attemptsOf(finish.attempts)).toEqual(["openai/a:error:ContextLengthExceededError", "openai/b:success"])
      expect(events.flatMap((e) => (e._tag === "ReasoningDelta" ? [e.text] : [])).join("")).toBe("Model b.")
      expect(events.flatMap((e) => (e._tag === "TextDelta" ? [e.text] : [])).join("")).toBe("Sunny.")
    }).pipe(Effect.provide(t.layer))
  })

  it.effect("the tool loop puts each step's reasoning parts first in its assistant message", () => {
    const t = setup({ activeProvider: "openai", activeModel: "m", providers: { openai: {} } })
    t.fake("openai").script(
      { text: "Checking.", toolCalls: [call], reasoning: "I need the weather." },
      { text: "21 C.", reasoning: "Now answer." }
    )
    const tool: ExecutableTool = {
      name: "get_weather",
      parameters: { type: "object", properties: { city: { type: "string" } } },
      execute: () => Effect.succeed({ celsius: 21 })
    }
    return Effect.gen(function* () {
      const result = yield* runToolLoop({ messages: [ask], reasoning: { effort: "low" } }, [tool])
      expect(result.response.reasoning).toBe("Now answer.")
      const second = t.fake("openai").calls[1]!.request
      expect(second.reasoning).toEqual({ effort: "low" })
      expect(second.messages[1]).toEqual({
        role: "assistant",
        content: [
          { type: "reasoning", text: "I need the weather.", source: "openai", signature: "sig:I need the weather." },
          { type: "text", text: "Checking." },
          { type: "tool-call", ...call }
        ]
      })
      expect(result.messages[1]).toEqual(second.messages[1])
    }).pipe(Effect.provide(t.layer))
  })
})
