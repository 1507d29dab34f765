/**
 * The kit's tool-call helpers every adapter uses: arguments parsed the same way for all providers,
 * tool-call ids made valid for the provider a conversation continues on, streamed calls assembled,
 * and tool-call events counted as progress by the stream timers.
 */
import { describe, expect, it } from "@effect/vitest"
import { type LLMError, NetworkError, type ProviderStreamEvent } from "@llm-orchestrator/core"
import { Effect, Stream } from "effect"
import { type CallContext, type StreamDecoder, streamSdk } from "../../src/kit/call.ts"
import {
  ToolCallAssembler,
  toolCallFromText,
  toolCallFromValue,
  toolCallIdFor,
  toolResultText
} from "../../src/kit/tools.ts"

describe("tool-call arguments", () => {
  it("parses a JSON object; no text is no arguments; anything else is kept as written beside {}", () => {
    expect(toolCallFromText("c1", "f", '{"city":"Paris","days":[1,2]}')).toEqual({
      id: "c1",
      name: "f",
      arguments: { city: "Paris", days: [1, 2] }
    })
    expect(toolCallFromText("c1", "f", "")).toEqual({ id: "c1", name: "f", arguments: {} })
    expect(toolCallFromText("c1", "f", "  \n")).toEqual({ id: "c1", name: "f", arguments: {} })
    for (const text of ['{"city": "Par', "[1,2]", '"Paris"', "null", "42", "{city: Paris}"])
      expect(toolCallFromText("c1", "f", text), text).toEqual({
        id: "c1",
        name: "f",
        arguments: {},
        rawArguments: text
      })
  })

  it("takes an already decoded object as is; no value is no arguments; another value is kept as JSON", () => {
    expect(toolCallFromValue("c1", "f", { a: 1 })).toEqual({ id: "c1", name: "f", arguments: { a: 1 } })
    expect(toolCallFromValue("c1", "f", undefined)).toEqual({ id: "c1", name: "f", arguments: {} })
    expect(toolCallFromValue("c1", "f", null)).toEqual({ id: "c1", name: "f", arguments: {} })
    expect(toolCallFromValue("c1", "f", [1])).toEqual({ id: "c1", name: "f", arguments: {}, rawArguments: "[1]" })
    expect(toolCallFromValue("c1", "f", "x")).toEqual({ id: "c1", name: "f", arguments: {}, rawArguments: '"x"' })
  })

  it("sends a string result as is and anything else as JSON", () => {
    expect(toolResultText("21 degrees")).toBe("21 degrees")
    expect(toolResultText({ celsius: 21 })).toBe('{"celsius":21}')
    expect(toolResultText(null)).toBe("null")
    expect(toolResultText(undefined)).toBe("null")
    expect(toolResultText(7)).toBe("7")
  })
})

describe("tool-call ids across providers", () => {
  it("keeps an id the provider accepts, at the length limit too", () => {
    for (const id of ["toolu_01A09q90qw90lq917835lq9", "call_abc-DEF_123", "a", "x".repeat(40)])
      expect(toolCallIdFor(id, 40)).toBe(id)
  })

  it("rewrites an id with refused characters or too long into a stable id of the allowed form", () => {
    const refused = ["call_abc|fc_123", "functions.get_weather:0", "x".repeat(41), "id with spaces", "é"]
    const rewritten = refused.map((id) => toolCallIdFor(id, 40))
    for (const [i, id] of rewritten.entries()) {
      expect(id, refused[i]).toMatch(/^call_[A-Za-z0-9_-]+$/)
      expect(id.length, refused[i]).toBeLessThanOrEqual(40)
      // The same id for a call and its result, wherever it is computed.
      expect(toolCallIdFor(refused[i]!, 40)).toBe(id)
    }
    expect(new Set(rewritten).size).toBe(refused.length)
  })

  it("fits a short limit", () => {
    const id = toolCallIdFor("call_abc|fc_123", 9)
    expect(id).toMatch(/^call_[A-Za-z0-9_-]{4}$/)
  })
})

describe("ToolCallAssembler", () => {
  it("turns keyed pieces into a start, deltas and a complete call, in the order the calls started", () => {
    const calls = new ToolCallAssembler()
    const events = [
      ...calls.start(0, "c1", "get_weather"),
      ...calls.delta(0, '{"city":'),
      ...calls.start(1, "c2", "get_time"),
      ...calls.delta(1, "{}"),
      ...calls.delta(0, '"Paris"}'),
      ...calls.delta(0, ""),
      ...calls.delta(7, "dropped: never started"),
      ...calls.endAll()
    ]
    expect(events).toEqual([
      { _tag: "ToolCallStart", id: "c1", name: "get_weather" },
      { _tag: "ToolCallDelta", id: "c1", argumentsDelta: '{"city":' },
      { _tag: "ToolCallStart", id: "c2", name: "get_time" },
      { _tag: "ToolCallDelta", id: "c2", argumentsDelta: "{}" },
      { _tag: "ToolCallDelta", id: "c1", argumentsDelta: '"Paris"}' },
      { _tag: "ToolCall", id: "c1", name: "get_weather", arguments: { city: "Paris" } },
      { _tag: "ToolCall", id: "c2", name: "get_time", arguments: {} }
    ])
    expect(calls.calls.map((c) => c.id)).toEqual(["c1", "c2"])
    expect(calls.isOpen(0)).toBe(false)
    expect(calls.end(0)).toEqual([])
  })

  it("takes the whole arguments at the end over the pieces when the provider repeats them", () => {
    const calls = new ToolCallAssembler()
    calls.start("item_1", "c1", "f")
    calls.delta("item_1", '{"a":')
    expect(calls.isOpen("item_1")).toBe(true)
    expect(calls.end("item_1", '{"a":2}')).toEqual([{ _tag: "ToolCall", id: "c1", name: "f", arguments: { a: 2 } }])
  })

  it("streams a call that arrives whole as its start, its JSON as one delta, and the call", () => {
    const calls = new ToolCallAssembler()
    expect(calls.whole({ id: "c1", name: "f", arguments: { a: 1 } })).toEqual([
      { _tag: "ToolCallStart", id: "c1", name: "f" },
      { _tag: "ToolCallDelta", id: "c1", argumentsDelta: '{"a":1}' },
      { _tag: "ToolCall", id: "c1", name: "f", arguments: { a: 1 } }
    ])
    expect(calls.whole({ id: "c2", name: "f", arguments: {}, rawArguments: "[1]" })[1]).toEqual({
      _tag: "ToolCallDelta",
      id: "c2",
      argumentsDelta: "[1]"
    })
    expect(calls.calls).toHaveLength(2)
  })
})

describe("stream timers and tool calls", () => {
  const ctx: CallContext = { provider: "openai", model: "gpt-4o-mini" }
  const mapError = (error: unknown): LLMError =>
    new NetworkError({ provider: "openai", model: "gpt-4o-mini", message: `mapped: ${String(error)}` })

  /** Chunks `gapMs` apart; each decodes to the events `decode` gives it. */
  const run = (
    timeouts: Partial<CallContext>,
    chunks: ReadonlyArray<string>,
    gapMs: number,
    decode: (chunk: string, index: number) => ReadonlyArray<ProviderStreamEvent>
  ) => {
    const open = async (): Promise<AsyncIterable<string>> =>
      (async function* () {
        for (const chunk of chunks) {
          await new Promise((resolve) => setTimeout(resolve, gapMs))
          yield chunk
        }
      })()
    let index = 0
    const decoder = (): StreamDecoder<string> => ({
      onChunk: (chunk) => decode(chunk, index++),
      onEnd: () => ({
        _tag: "ProviderFinish",
        finishReason: "tool-calls",
        model: "m",
        usage: { inputTokens: 1, outputTokens: 1, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 }
      })
    })
    return Effect.exit(Stream.runDrain(streamSdk({ ...ctx, ...timeouts }, open, mapError, decoder)))
  }

  it.live("arguments every 25 ms for 750 ms with a 400 ms idle timeout complete: each piece is progress", () =>
    Effect.gen(function* () {
      const pieces = Array.from({ length: 30 }, (_, i) => `"k${i}":1,`)
      const exit = yield* run({ timeoutMs: 400, idleTimeoutMs: 400 }, ["start", ...pieces], 25, (chunk, i) =>
        i === 0
          ? [{ _tag: "ToolCallStart", id: "c1", name: "f" }]
          : [{ _tag: "ToolCallDelta", id: "c1", argumentsDelta: chunk }]
      )
      expect(exit._tag).toBe("Success")
    })
  )

  it.live("a tool call's start ends the wait for first output; empty argument pieces are no progress after it", () =>
    Effect.gen(function* () {
      const exit = yield* run(
        { timeoutMs: 5000, idleTimeoutMs: 150 },
        ["start", ...Array(20).fill("")],
        30,
        (chunk, i) =>
          i === 0
            ? [{ _tag: "ToolCallStart", id: "c1", name: "f" }]
            : [{ _tag: "ToolCallDelta", id: "c1", argumentsDelta: chunk }]
      )
      expect(exit).toMatchObject({ _tag: "Failure" })
      expect(String(exit._tag === "Failure" ? exit.cause : "")).toContain("idle_timeout")
    })
  )
})
