/**
 * `runToolLoop` over three steps and more than one tool: the last answer is the response, every usage
 * field and every cost field is the steps' sum (cache, reasoning and built-in tool fees too, since
 * people bill from them), a tool's failure of any kind reaches the model as readable text, and the
 * tools of one step run together. Over fake providers with a price per usage field.
 */
import { describe, expect, it } from "@effect/vitest"
import {
  type Cost,
  type CostRecord,
  type ExecutableTool,
  LLMOrchestrator,
  type Message,
  Pricing,
  runToolLoop,
  type ToolCall,
  type Usage
} from "@llm-orchestrator/core"
import { makeFakeProvider } from "@llm-orchestrator/testing"
import { Effect, Layer } from "effect"
import { testCost } from "./orchestrator-helpers.ts"

/** A distinct price per usage field, so a field summed wrong (or not at all) shows in the total. */
const costOf = (_provider: unknown, _model: string, usage: Usage): Cost => {
  const input = usage.inputTokens * 1e-6
  const cacheRead = usage.cacheReadTokens * 3e-6
  const cacheWrite = usage.cacheWriteTokens * 5e-6
  const output = usage.outputTokens * 7e-6
  const reasoning = usage.reasoningTokens * 11e-6
  const tools = (usage.webSearches ?? 0) * 0.01
  return {
    input,
    cacheRead,
    cacheWrite,
    output,
    reasoning,
    ...(tools > 0 ? { tools } : {}),
    total: input + cacheRead + cacheWrite + output + reasoning + tools,
    currency: "USD"
  }
}

const setup = () => {
  const fake = makeFakeProvider({ id: "openai", models: [] })
  const records: Array<CostRecord> = []
  const layer = LLMOrchestrator.layer({
    activeProvider: "openai",
    activeModel: "m",
    providers: { openai: { layer: fake.layer } }
  }).pipe(
    Layer.provide(Layer.succeed(Pricing, Pricing.of({ priceOf: () => ({ input: 1, output: 7 }), costOf }))),
    Layer.provide(testCost(records))
  )
  return { fake, layer, records }
}

const ask: Message = { role: "user", content: "Plan my trip" }
const call = (id: string, name: string, args: Record<string, unknown> = {}): ToolCall => ({
  id,
  name,
  arguments: args
})
const tool = (name: string, execute: ExecutableTool["execute"]): ExecutableTool => ({
  name,
  parameters: { type: "object", properties: {} },
  execute
})

describe("runToolLoop totals", () => {
  it.effect("three steps: the last answer is the response, and every usage and cost field is the sum", () => {
    const t = setup()
    t.fake.script(
      {
        text: "",
        toolCalls: [call("a1", "flights")],
        usage: { inputTokens: 100, outputTokens: 10, cacheReadTokens: 40, reasoningTokens: 4 }
      },
      {
        text: "",
        toolCalls: [call("b1", "hotels")],
        usage: { inputTokens: 200, outputTokens: 20, cacheWriteTokens: 60, webSearches: 2 }
      },
      {
        text: "Fly Tuesday, stay at the Grand.",
        usage: { inputTokens: 300, outputTokens: 30, cacheReadTokens: 150, reasoningTokens: 9 }
      }
    )
    const tools = [tool("flights", () => Effect.succeed("Tuesday")), tool("hotels", () => Effect.succeed("Grand"))]
    return Effect.gen(function* () {
      const result = yield* runToolLoop({ messages: [ask] }, tools)
      expect(result.steps).toHaveLength(3)
      expect(result.response).toBe(result.steps[2])
      expect(result.response.content).toBe("Fly Tuesday, stay at the Grand.")
      expect(result.usage).toEqual({
        inputTokens: 600,
        outputTokens: 60,
        cacheReadTokens: 190,
        cacheWriteTokens: 60,
        reasoningTokens: 13,
        webSearches: 2
      })
      const perStep = result.steps.map((step) => step.cost!)
      const sum = (field: "input" | "cacheRead" | "cacheWrite" | "output" | "reasoning" | "total") =>
        perStep.reduce((s, c) => s + c[field], 0)
      expect(result.cost?.currency).toBe("USD")
      for (const field of ["input", "cacheRead", "cacheWrite", "output", "reasoning", "total"] as const)
        expect(result.cost?.[field], field).toBeCloseTo(sum(field), 12)
      expect(result.cost?.cacheRead).toBeCloseTo(190 * 3e-6, 12)
      expect(result.cost?.cacheWrite).toBeCloseTo(60 * 5e-6, 12)
      expect(result.cost?.output).toBeCloseTo(60 * 7e-6, 12)
      expect(result.cost?.reasoning).toBeCloseTo(13 * 11e-6, 12)
      expect(result.cost?.tools).toBeCloseTo(0.02, 12)
      // The loop's total is what the cost records add up to: nothing counted twice, nothing left out.
      expect(result.cost?.total).toBeCloseTo(
        t.records.reduce((s, r) => s + (r.cost?.total ?? 0), 0),
        12
      )
    }).pipe(Effect.provide(t.layer))
  })

  it.effect("no step with built-in tool fees: the summed cost has no tools field", () => {
    const t = setup()
    t.fake.script({ text: "", toolCalls: [call("a1", "flights")] }, { text: "Tuesday." })
    return Effect.gen(function* () {
      const result = yield* runToolLoop({ messages: [ask] }, [tool("flights", () => Effect.succeed("Tuesday"))])
      expect(result.cost).toBeDefined()
      expect(result.cost).not.toHaveProperty("tools")
    }).pipe(Effect.provide(t.layer))
  })

  it.effect("a tool failing with a string or an object is sent as readable text, and unknown tools list all", () => {
    const t = setup()
    t.fake.script(
      {
        text: "",
        toolCalls: [call("a1", "flights"), call("a2", "hotels"), call("a3", "trains"), call("a4", "cars")]
      },
      { text: "Sorry." }
    )
    const tools = [
      tool("flights", () => Effect.fail("no seats")),
      tool("hotels", () => Effect.fail({ code: 7, reason: "full" })),
      tool("cars", () => Effect.succeed(undefined))
    ]
    return Effect.gen(function* () {
      const result = yield* runToolLoop({ messages: [ask] }, tools)
      // The model called tools without saying anything: no empty text part in its message.
      expect(result.messages[1]).toEqual({
        role: "assistant",
        content: ["a1", "a2", "a3", "a4"].map((id, i) => ({
          type: "tool-call",
          id,
          name: ["flights", "hotels", "trains", "cars"][i],
          arguments: {}
        }))
      })
      expect(result.messages.slice(2).map((m) => (m.content as ReadonlyArray<unknown>)[0])).toEqual([
        { type: "tool-result", id: "a1", name: "flights", result: "the tool failed: no seats", isError: true },
        {
          type: "tool-result",
          id: "a2",
          name: "hotels",
          result: 'the tool failed: {"code":7,"reason":"full"}',
          isError: true
        },
        {
          type: "tool-result",
          id: "a3",
          name: "trains",
          result: 'there is no tool named "trains"; the tools are: flights, hotels, cars',
          isError: true
        },
        // A tool that returns nothing answers null: a result the model can read.
        { type: "tool-result", id: "a4", name: "cars", result: null }
      ])
    }).pipe(Effect.provide(t.layer))
  })

  it.effect("definitions without a description carry none, and no tool choice is sent when none was asked", () => {
    const t = setup()
    t.fake.script({ text: "Nothing to do." })
    return Effect.gen(function* () {
      yield* runToolLoop({ messages: [ask] }, [tool("flights", () => Effect.succeed("Tuesday"))])
      const [request] = t.fake.calls.map((c) => c.request)
      expect(request!.tools).toEqual([{ name: "flights", parameters: { type: "object", properties: {} } }])
      expect(request).not.toHaveProperty("toolChoice")
    }).pipe(Effect.provide(t.layer))
  })

  it.effect("the tools one step called run together, not one after another", () => {
    const t = setup()
    t.fake.script({ text: "", toolCalls: [call("a1", "flights"), call("a2", "hotels")] }, { text: "Done." })
    let running = 0
    let mostAtOnce = 0
    const counted = (name: string) =>
      tool(name, () =>
        Effect.gen(function* () {
          running += 1
          mostAtOnce = Math.max(mostAtOnce, running)
          yield* Effect.yieldNow
          running -= 1
          return name
        })
      )
    return Effect.gen(function* () {
      yield* runToolLoop({ messages: [ask] }, [counted("flights"), counted("hotels")])
      expect(mostAtOnce).toBe(2)
    }).pipe(Effect.provide(t.layer))
  })
})
