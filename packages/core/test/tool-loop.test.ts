/**
 * `runToolLoop`: the model calls tools, the loop runs them and sends their results, until the model
 * answers or `maxSteps` calls were made; usage and cost are the steps' sums. Over fake providers, so the
 * requests each step sent are checked exactly.
 */
import { describe, expect, it } from "@effect/vitest"
import {
  ContextLengthExceededError,
  type ExecutableTool,
  InvalidRequestError,
  type Message,
  runToolLoop,
  type ToolCall
} from "@llm-orchestrator/core"
import { Effect } from "effect"
import { setup } from "./orchestrator-helpers.ts"

const ask: Message = { role: "user", content: "Weather in Paris and Oslo?" }
const parameters = { type: "object", properties: { city: { type: "string" } }, required: ["city"] }

/** A weather tool that records the cities it was asked for. */
const weatherTool = (asked: Array<string>): ExecutableTool => ({
  name: "get_weather",
  description: "The weather in a city",
  parameters,
  execute: (args) =>
    Effect.sync(() => {
      asked.push(String(args.city))
      return { city: args.city, celsius: args.city === "Paris" ? 21 : 9 }
    })
})

const paris: ToolCall = { id: "c1", name: "get_weather", arguments: { city: "Paris" } }
const oslo: ToolCall = { id: "c2", name: "get_weather", arguments: { city: "Oslo" } }

describe("runToolLoop", () => {
  it.effect(
    "runs the called tools, sends their results and returns the final answer with summed usage and cost",
    () => {
      const t = setup({ activeProvider: "openai", activeModel: "m", providers: { openai: {} } })
      t.fake("openai").script(
        { text: "Let me look.", toolCalls: [paris, oslo], usage: { inputTokens: 100, outputTokens: 30 } },
        { text: "Paris 21, Oslo 9.", usage: { inputTokens: 180, outputTokens: 12 } }
      )
      const asked: Array<string> = []
      return Effect.gen(function* () {
        const result = yield* runToolLoop({ messages: [ask], metadata: { feature: "weather" } }, [weatherTool(asked)])
        expect(result.response.content).toBe("Paris 21, Oslo 9.")
        expect(result.steps.map((s) => s.finishReason)).toEqual(["tool-calls", "stop"])
        expect(asked.sort()).toEqual(["Oslo", "Paris"])
        const expectedHistory: Array<Message> = [
          ask,
          {
            role: "assistant",
            content: [
              { type: "text", text: "Let me look." },
              { type: "tool-call", ...paris },
              { type: "tool-call", ...oslo }
            ]
          },
          {
            role: "tool",
            content: [{ type: "tool-result", id: "c1", name: "get_weather", result: { city: "Paris", celsius: 21 } }]
          },
          {
            role: "tool",
            content: [{ type: "tool-result", id: "c2", name: "get_weather", result: { city: "Oslo", celsius: 9 } }]
          }
        ]
        expect(result.messages).toEqual(expectedHistory)
        const requests = t.fake("openai").calls.map((c) => c.request)
        expect(requests).toHaveLength(2)
        // Both steps carry the definitions (no `execute`) and the request's own fields.
        for (const request of requests) {
          expect(request.tools).toEqual([{ name: "get_weather", description: "The weather in a city", parameters }])
          expect(request.metadata).toEqual({ feature: "weather" })
        }
        expect(requests[0]!.messages).toEqual([ask])
        expect(requests[1]!.messages).toEqual(expectedHistory)
        expect(result.usage).toEqual({
          inputTokens: 280,
          outputTokens: 42,
          cacheReadTokens: 0,
          cacheWriteTokens: 0,
          reasoningTokens: 0
        })
        // $1 per million in, $2 per million out (orchestrator-helpers), both steps.
        expect(result.cost?.total).toBeCloseTo((280 * 1 + 42 * 2) / 1e6, 12)
        expect(result.cost?.input).toBeCloseTo(280 / 1e6, 12)
        expect(t.records).toHaveLength(2)
      }).pipe(Effect.provide(t.layer))
    }
  )

  it.effect(
    "a failing tool, an unknown tool and unreadable arguments become error results, and the loop goes on",
    () => {
      const t = setup({ activeProvider: "openai", activeModel: "m", providers: { openai: {} } })
      const broken: ToolCall = { id: "c3", name: "get_weather", arguments: {}, rawArguments: "{city: Paris" }
      const unknown: ToolCall = { id: "c4", name: "get_time", arguments: {} }
      t.fake("openai").script({ text: "", toolCalls: [paris, broken, unknown] }, { text: "Sorry." })
      const failing: ExecutableTool = {
        name: "get_weather",
        parameters,
        execute: () => Effect.fail(new Error("the weather service is down"))
      }
      let executed = 0
      const counted: ExecutableTool = {
        ...failing,
        execute: (args, call) => {
          executed += 1
          return failing.execute(args, call)
        }
      }
      return Effect.gen(function* () {
        const result = yield* runToolLoop({ messages: [ask] }, [counted])
        expect(result.response.content).toBe("Sorry.")
        expect(executed).toBe(1)
        expect(result.messages.slice(2)).toEqual([
          {
            role: "tool",
            content: [
              {
                type: "tool-result",
                id: "c1",
                name: "get_weather",
                result: "the tool failed: the weather service is down",
                isError: true
              }
            ]
          },
          {
            role: "tool",
            content: [
              {
                type: "tool-result",
                id: "c3",
                name: "get_weather",
                result: "the arguments were not a JSON object: {city: Paris",
                isError: true
              }
            ]
          },
          {
            role: "tool",
            content: [
              {
                type: "tool-result",
                id: "c4",
                name: "get_time",
                result: 'there is no tool named "get_time"; the tools are: get_weather',
                isError: true
              }
            ]
          }
        ])
      }).pipe(Effect.provide(t.layer))
    }
  )

  it.effect("stops after maxSteps model calls, returning the last calls unexecuted", () => {
    const t = setup({ activeProvider: "openai", activeModel: "m", providers: { openai: {} } })
    t.fake("openai").script(
      { text: "", toolCalls: [paris] },
      { text: "", toolCalls: [{ ...paris, id: "c5" }] },
      { text: "", toolCalls: [{ ...paris, id: "c6" }] }
    )
    const asked: Array<string> = []
    return Effect.gen(function* () {
      const result = yield* runToolLoop({ messages: [ask] }, [weatherTool(asked)], { maxSteps: 2 })
      expect(result.steps).toHaveLength(2)
      expect(t.fake("openai").calls).toHaveLength(2)
      expect(result.response.toolCalls).toEqual([{ ...paris, id: "c5" }])
      // Only the first step's call ran; the history ends with its result, valid to continue from.
      expect(asked).toEqual(["Paris"])
      expect(result.messages.map((m) => m.role)).toEqual(["user", "assistant", "tool"])
    }).pipe(Effect.provide(t.layer))
  })

  it.effect("the request's tool choice applies to the first call only", () => {
    const t = setup({ activeProvider: "openai", activeModel: "m", providers: { openai: {} } })
    t.fake("openai").script({ text: "", toolCalls: [paris] }, { text: "21." })
    return Effect.gen(function* () {
      yield* runToolLoop({ messages: [ask], toolChoice: { tool: "get_weather" } }, [weatherTool([])])
      const [first, second] = t.fake("openai").calls.map((c) => c.request)
      expect(first!.toolChoice).toEqual({ tool: "get_weather" })
      expect(second).not.toHaveProperty("toolChoice")
    }).pipe(Effect.provide(t.layer))
  })

  it.effect("a step that fails fails the loop with its error", () => {
    const t = setup({ activeProvider: "openai", activeModel: "m", providers: { openai: {} } })
    const refused = new InvalidRequestError({ provider: "openai", model: "m", message: "bad schema" })
    t.fake("openai").script({ text: "", toolCalls: [paris] }, { error: refused })
    return Effect.gen(function* () {
      const error = yield* Effect.flip(runToolLoop({ messages: [ask] }, [weatherTool([])]))
      expect(error).toBe(refused)
    }).pipe(Effect.provide(t.layer))
  })

  it.effect("the cost is undefined when a step was answered by a model with no known price", () => {
    const t = setup({
      activeProvider: "openai",
      activeModel: "m",
      providers: { openai: { fallbackModels: ["unpriced"] } }
    })
    const tooLong = new ContextLengthExceededError({ provider: "openai", model: "m", message: "too long" })
    t.fake("openai").scriptModel("m", { text: "", toolCalls: [paris] }, { error: tooLong })
    t.fake("openai").scriptModel("unpriced", { text: "21." })
    return Effect.gen(function* () {
      const result = yield* runToolLoop({ messages: [ask] }, [weatherTool([])])
      expect(result.steps.map((s) => [s.model, s.cost === undefined])).toEqual([
        ["m", false],
        ["unpriced", true]
      ])
      expect(result.cost).toBeUndefined()
    }).pipe(Effect.provide(t.layer))
  })
})
