/**
 * effect/ai's documented usage, unchanged, through our layer against each provider's simulator (the
 * real SDKs): generateText, streamText, generateObject with a Schema, a Toolkit with handlers over
 * two steps, and Chat with history. Usage and cost seen through effect/ai equal the cost log's records.
 */

import { describe, expect, it } from "@effect/vitest"
import { orchestratorMetadata } from "@llm-orchestrator/effect-ai"
import { fleetProviders } from "@llm-orchestrator/testing"
import { Effect, Schema, Stream } from "effect"
import { Chat, LanguageModel, Prompt, Tool, Toolkit } from "effect/ai"
import { activeModels, fleetLanguageModel, readLog } from "./support.ts"

const GetWeather = Tool.make("get_weather", {
  description: "The weather in a city",
  parameters: Schema.Struct({ city: Schema.String }),
  success: Schema.Struct({ celsius: Schema.Number })
})
const GetTime = Tool.make("get_time", {
  description: "The local time in a city",
  parameters: Schema.Struct({ city: Schema.String }),
  success: Schema.String
})
const CityTools = Toolkit.make(GetWeather, GetTime)
const cityHandlers = CityTools.toLayer({
  get_weather: ({ city }) => Effect.succeed({ celsius: city === "Paris" ? 21 : 9 }),
  get_time: ({ city }) => Effect.succeed(`${city}: 14:05`)
})

const Capital = Schema.Struct({ city: Schema.String, country: Schema.String })

/** Where each API carries a structured-output schema in its request body. */
const formatField = {
  openai: "response_format",
  anthropic: "output_config",
  gemini: "responseJsonSchema",
  vertex: "responseJsonSchema",
  bedrock: "outputConfig"
} as const

/** Body text of every chat request a simulator received (listings excluded). */
const sentBodies = (requests: ReadonlyArray<{ readonly kind: string; readonly body: unknown }>) =>
  requests.filter((r) => r.kind !== "models").map((r) => JSON.stringify(r.body))

describe("effect/ai through the orchestrator, on every provider", () => {
  for (const provider of fleetProviders) {
    const modelId = activeModels[provider]

    it.live(`${provider}: generateText, usage and cost as the cost log recorded them`, () =>
      Effect.gen(function* () {
        const { fleet, layer, logPath } = yield* fleetLanguageModel({ activeProvider: provider })
        fleet[provider].script({
          kind: "text",
          text: "Hello from effect/ai.",
          usage: { inputTokens: 1_200, outputTokens: 40, cacheReadTokens: provider === "gemini" ? 0 : 200 }
        })
        const response = yield* Effect.provide(LanguageModel.generateText({ prompt: "Say hello" }), layer)
        expect(response.text).toBe("Hello from effect/ai.")
        expect(response.finishReason).toBe("stop")
        const meta = response.content.find((p) => p.type === "response-metadata")
        expect(meta?.modelId).toBe(modelId)
        const ours = orchestratorMetadata(response)!
        expect(ours.provider).toBe(provider)
        const [record] = readLog(logPath)
        expect(record).toBeDefined()
        expect(ours.cost?.total).toBe(record!.cost?.total)
        expect(ours.usage).toEqual(record!.usage)
        // effect/ai's Usage: totals as billed, cache reads inside the input total, text = output - reasoning.
        expect(response.usage.inputTokens.total).toBe(record!.usage.inputTokens)
        expect(response.usage.inputTokens.cacheRead).toBe(record!.usage.cacheReadTokens)
        expect(response.usage.inputTokens.cacheWrite).toBe(record!.usage.cacheWriteTokens)
        expect(response.usage.inputTokens.uncached).toBe(
          record!.usage.inputTokens - record!.usage.cacheReadTokens - record!.usage.cacheWriteTokens
        )
        expect(response.usage.outputTokens.total).toBe(record!.usage.outputTokens)
        expect(response.usage.outputTokens.reasoning).toBe(record!.usage.reasoningTokens)
        expect(response.usage.outputTokens.text).toBe(record!.usage.outputTokens - record!.usage.reasoningTokens)
        expect(record!.usage.inputTokens).toBe(1_200)
        expect(ours.attempts.map((a) => `${a.provider}/${a.model}:${a.outcome}`)).toEqual([
          `${provider}/${modelId}:success`
        ])
      })
    )

    it.live(`${provider}: streamText emits text blocks, who answered, and a finish with usage and cost`, () =>
      Effect.gen(function* () {
        const { fleet, layer, logPath } = yield* fleetLanguageModel({ activeProvider: provider })
        fleet[provider].script({ kind: "text", text: "Bytes arrive in streams.", chunks: 3 })
        const parts = yield* Effect.provide(Stream.runCollect(LanguageModel.streamText({ prompt: "A haiku" })), layer)
        const types = parts.map((p) => p.type)
        expect(types[0]).toBe("text-start")
        expect(types.slice(-3)).toEqual(["text-end", "response-metadata", "finish"])
        expect(types.filter((t) => t === "text-start")).toHaveLength(1)
        const text = parts.flatMap((p) => (p.type === "text-delta" ? [p.delta] : [])).join("")
        expect(text).toBe("Bytes arrive in streams.")
        const finish = parts.find((p) => p.type === "finish")!
        const [record] = readLog(logPath)
        expect(orchestratorMetadata(parts)?.cost?.total).toBe(record!.cost?.total)
        expect(finish.usage.inputTokens.total).toBe(record!.usage.inputTokens)
        expect(finish.usage.outputTokens.total).toBe(record!.usage.outputTokens)
        expect(record!.stream).toBe(true)
      })
    )

    it.live(`${provider}: generateObject decodes the answer with a Schema sent as the response format`, () =>
      Effect.gen(function* () {
        const { fleet, layer } = yield* fleetLanguageModel({ activeProvider: provider })
        fleet[provider].script({ kind: "text", text: '{"city":"Mexico City","country":"Mexico"}' })
        const response = yield* Effect.provide(
          LanguageModel.generateObject({ prompt: "The capital of Mexico?", schema: Capital, objectName: "capital" }),
          layer
        )
        expect(response.value).toEqual({ city: "Mexico City", country: "Mexico" })
        // The schema reached the wire in the API's own structured-output field.
        const [body] = sentBodies(fleet[provider].requests)
        expect(body).toContain(formatField[provider])
        expect(body).toMatch(/\\?"required\\?":\[\\?"city\\?",\\?"country\\?"\]/)
      })
    )

    it.live(`${provider}: a Toolkit with handlers over two steps`, () =>
      Effect.gen(function* () {
        const { fleet, layer, logPath } = yield* fleetLanguageModel({ activeProvider: provider })
        fleet[provider].script(
          {
            kind: "text",
            text: "",
            toolCalls: [
              { name: "get_weather", arguments: { city: "Paris" } },
              { name: "get_time", arguments: { city: "Oslo" } }
            ]
          },
          { kind: "text", text: "Paris is at 21 degrees; it is 14:05 in Oslo." }
        )
        const answer = yield* Effect.gen(function* () {
          let prompt = Prompt.make("Weather in Paris and time in Oslo?")
          for (let step = 0; step < 4; step++) {
            const response = yield* LanguageModel.generateText({ prompt, toolkit: CityTools })
            if (response.toolCalls.length === 0) return { response, step }
            expect(response.finishReason).toBe("tool-calls")
            expect(response.toolResults.map((r) => r.result)).toEqual([{ celsius: 21 }, "Oslo: 14:05"])
            prompt = Prompt.concat(prompt, Prompt.fromResponseParts(response.content))
          }
          throw new Error("no answer after 4 steps")
        }).pipe(Effect.provide(cityHandlers), Effect.provide(layer))
        expect(answer.step).toBe(1)
        expect(answer.response.text).toBe("Paris is at 21 degrees; it is 14:05 in Oslo.")
        // The second request carried both results back to the model.
        const second = sentBodies(fleet[provider].requests)[1]!
        expect(second).toContain("14:05")
        expect(second).toContain("21")
        expect(readLog(logPath)).toHaveLength(2)
      })
    )

    it.live(`${provider}: streamText with a Toolkit streams the calls' parameters, then runs the handlers`, () =>
      Effect.gen(function* () {
        const { fleet, layer } = yield* fleetLanguageModel({ activeProvider: provider })
        fleet[provider].script({
          kind: "text",
          text: "Checking.",
          toolCalls: [{ name: "get_weather", arguments: { city: "Paris" }, argumentsChunks: 2 }]
        })
        const parts = yield* Stream.runCollect(
          LanguageModel.streamText({ prompt: "Weather in Paris?", toolkit: CityTools })
        ).pipe(Effect.provide(cityHandlers), Effect.provide(layer))
        const types = parts.map((p) => p.type)
        // The text block closes before the call's parameters start; the call's parameters, whole, then the call.
        expect(types.indexOf("text-end")).toBeLessThan(types.indexOf("tool-params-start"))
        expect(types.indexOf("tool-params-start")).toBeLessThan(types.indexOf("tool-params-end"))
        expect(types.indexOf("tool-params-end")).toBeLessThan(types.indexOf("tool-call"))
        const deltas = parts.flatMap((p) => (p.type === "tool-params-delta" ? [p.delta] : [])).join("")
        // On every provider the deltas add up to the parameters as JSON text.
        expect(JSON.parse(deltas)).toEqual({ city: "Paris" })
        const call = parts.find((p) => p.type === "tool-call")
        expect(call?.params).toEqual({ city: "Paris" })
        const result = parts.find((p) => p.type === "tool-result")
        expect(result?.result).toEqual({ celsius: 21 })
        expect(parts.find((p) => p.type === "finish")?.reason).toBe("tool-calls")
      })
    )

    it.live(`${provider}: Chat keeps the history across turns`, () =>
      Effect.gen(function* () {
        const { fleet, layer } = yield* fleetLanguageModel({ activeProvider: provider })
        fleet[provider].script(
          { kind: "text", text: "Nice to meet you, Ada." },
          { kind: "text", text: "Your name is Ada." }
        )
        const second = yield* Effect.gen(function* () {
          const chat = yield* Chat.empty
          yield* chat.generateText({ prompt: "My name is Ada." })
          return yield* chat.generateText({ prompt: "What is my name?" })
        }).pipe(Effect.provide(layer))
        expect(second.text).toBe("Your name is Ada.")
        const body = sentBodies(fleet[provider].requests)[1]!
        expect(body).toContain("My name is Ada.")
        expect(body).toContain("Nice to meet you, Ada.")
        expect(body).toContain("What is my name?")
      })
    )
  }
})
