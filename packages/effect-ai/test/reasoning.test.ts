/**
 * Reasoning through effect/ai: `reasoning` settings reach the wire, the model's reasoning comes back as
 * effect/ai reasoning parts (whole, or as a streamed block), and the next turn built by effect/ai's own
 * history (`Prompt.fromResponseParts`, Chat) sends it back signed. The simulators check what the real
 * APIs check: Anthropic and Claude on Bedrock refuse a tool turn whose thinking block is missing or
 * unsigned, Gemini 3 a function call without its thought signature.
 */

import { describe, expect, it } from "@effect/vitest"
import { OrchestratorLanguageModel } from "@llm-orchestrator/effect-ai"
import { reasoningSignature } from "@llm-orchestrator/testing"
import { Effect, Schema, Stream } from "effect"
import { Chat, LanguageModel, Prompt, Tool, Toolkit } from "effect/ai"
import { fleetLanguageModel } from "./support.ts"

const GetWeather = Tool.make("get_weather", {
  description: "The weather in a city",
  parameters: Schema.Struct({ city: Schema.String }),
  success: Schema.Struct({ celsius: Schema.Number })
})
const WeatherTools = Toolkit.make(GetWeather)
const weatherHandlers = WeatherTools.toLayer({ get_weather: () => Effect.succeed({ celsius: 21 }) })

const thought = "The user wants Paris; call the weather tool first."

/** The providers whose next turn needs the reasoning back, the model that does, and the signing protocol. */
const cases = [
  { provider: "anthropic", model: "claude-sonnet-4-6", protocol: "anthropic" },
  { provider: "bedrock", model: "us.anthropic.claude-sonnet-4-5-20250929-v1:0", protocol: "bedrock" },
  { provider: "gemini", model: "gemini-3-pro-preview", protocol: "gemini" },
  { provider: "vertex", model: "gemini-3-pro-preview", protocol: "vertex" }
] as const

const chatBodies = (requests: ReadonlyArray<{ readonly kind: string; readonly body: unknown }>) =>
  requests.filter((r) => r.kind !== "models").map((r) => JSON.stringify(r.body))

const toolTurn = {
  kind: "text",
  text: "",
  reasoning: thought,
  toolCalls: [{ name: "get_weather", arguments: { city: "Paris" } }]
} as const
const answerTurn = { kind: "text", text: "It is 21 degrees in Paris." } as const

describe("effect/ai reasoning through the orchestrator", () => {
  for (const { provider, model, protocol } of cases) {
    const settings = OrchestratorLanguageModel.withSettings({ model, reasoning: { effort: "low" } })

    it.live(`${provider}: generateText returns the reasoning and the next tool turn sends it back signed`, () =>
      Effect.gen(function* () {
        const { fleet, layer } = yield* fleetLanguageModel({ activeProvider: provider })
        fleet[provider].script(toolTurn, answerTurn)
        const [first, second] = yield* Effect.gen(function* () {
          const prompt = Prompt.make("Weather in Paris?")
          const first = yield* LanguageModel.generateText({ prompt, toolkit: WeatherTools })
          const next = Prompt.concat(prompt, Prompt.fromResponseParts(first.content))
          return [first, yield* LanguageModel.generateText({ prompt: next, toolkit: WeatherTools })] as const
        }).pipe(settings, Effect.provide(weatherHandlers), Effect.provide(layer))
        expect(first.reasoningText).toBe(thought)
        // The reasoning comes before the call it led to, as the model wrote it.
        const types = first.content.map((p) => p.type)
        expect(types.indexOf("reasoning")).toBeLessThan(types.indexOf("tool-call"))
        expect(second.text).toBe("It is 21 degrees in Paris.")
        const bodies = chatBodies(fleet[provider].requests)
        // The settings reached the wire (each API's own field), and the signature went back.
        expect(bodies[0]).toMatch(provider === "gemini" || provider === "vertex" ? /"thinkingConfig"/ : /"thinking":/)
        expect(bodies[1]).toContain(reasoningSignature(protocol, thought))
      })
    )

    it.live(`${provider}: Chat.streamText streams the reasoning as a block and the next turn sends it back`, () =>
      Effect.gen(function* () {
        const { fleet, layer } = yield* fleetLanguageModel({ activeProvider: provider })
        fleet[provider].script(toolTurn, answerTurn)
        const [parts, second] = yield* Effect.gen(function* () {
          const chat = yield* Chat.empty
          const parts = yield* Stream.runCollect(
            chat.streamText({ prompt: "Weather in Paris?", toolkit: WeatherTools })
          )
          const second = yield* chat.generateText({ prompt: [], toolkit: WeatherTools })
          return [parts, second] as const
        }).pipe(settings, Effect.provide(weatherHandlers), Effect.provide(layer))
        const types = parts.map((p) => p.type)
        expect(types[0]).toBe("reasoning-start")
        const streamed = parts.flatMap((p) => (p.type === "reasoning-delta" ? [p.delta] : [])).join("")
        expect(streamed).toBe(thought)
        // The block ends at the finish, the first point that has its signature.
        expect(types.indexOf("reasoning-end")).toBeGreaterThan(types.indexOf("tool-call"))
        expect(types.indexOf("reasoning-end")).toBeLessThan(types.indexOf("finish"))
        expect(second.text).toBe("It is 21 degrees in Paris.")
        expect(chatBodies(fleet[provider].requests)[1]).toContain(reasoningSignature(protocol, thought))
      })
    )
  }

  it.live("reasoning in the history that this library did not write is dropped, not sent as text", () =>
    Effect.gen(function* () {
      const { fleet, layer } = yield* fleetLanguageModel({ activeProvider: "anthropic" })
      fleet.anthropic.script({ kind: "text", text: "Noted." })
      const prompt = Prompt.make([
        { role: "user", content: "Hello" },
        {
          role: "assistant",
          content: [
            { type: "reasoning", text: "a summary from elsewhere" },
            { type: "text", text: "Hi." }
          ]
        },
        { role: "user", content: "Bye" }
      ])
      const response = yield* Effect.provide(LanguageModel.generateText({ prompt }), layer)
      expect(response.text).toBe("Noted.")
      const [body] = chatBodies(fleet.anthropic.requests)
      expect(body).toContain("Hi.")
      expect(body).not.toContain("a summary from elsewhere")
    })
  )

  it.live("an answer with no reasoning has no reasoning parts, whole or streamed", () =>
    Effect.gen(function* () {
      const { fleet, layer } = yield* fleetLanguageModel({ activeProvider: "anthropic" })
      fleet.anthropic.script({ kind: "text", text: "Plain." }, { kind: "text", text: "Plain too." })
      const [whole, streamed] = yield* Effect.gen(function* () {
        const whole = yield* LanguageModel.generateText({ prompt: "Hi" })
        const streamed = yield* Stream.runCollect(LanguageModel.streamText({ prompt: "Hi" }))
        return [whole, streamed] as const
      }).pipe(Effect.provide(layer))
      expect(whole.content.filter((p) => p.type === "reasoning")).toEqual([])
      expect(streamed.filter((p) => p.type.startsWith("reasoning"))).toEqual([])
      expect(chatBodies(fleet.anthropic.requests)[0]).not.toContain("thinking")
    })
  )
})
