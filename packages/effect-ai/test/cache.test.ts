/**
 * Prompt caching through effect/ai: cache markers in a prompt's per-part and per-message `options`
 * (`anthropic.cacheControl`, `bedrock.cachePoint`) reach each API's wire as the orchestrator's
 * `providerOptions`; other providers' option keys are left out; a bad marker is refused before any call.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { AiError, LanguageModel, Prompt } from "effect/ai"
import { fleetLanguageModel } from "./support.ts"

const chatBodies = (requests: ReadonlyArray<{ readonly kind: string; readonly body: unknown }>) =>
  requests.filter((r) => r.kind !== "models").map((r) => r.body as Record<string, unknown>)

const longRules = "Answer in one word. ".repeat(50)

describe("effect/ai prompt options as prompt caching markers", () => {
  it.live("anthropic: a system message's and a text part's cacheControl go on their blocks", () =>
    Effect.gen(function* () {
      const { fleet, layer } = yield* fleetLanguageModel({ activeProvider: "anthropic" })
      fleet.anthropic.script({ kind: "text", text: "Yes." })
      const prompt = Prompt.make([
        {
          role: "system",
          content: longRules,
          options: { anthropic: { cacheControl: { type: "ephemeral", ttl: "1h" } } }
        },
        {
          role: "user",
          content: [
            { type: "text", text: "Shared context.", options: { anthropic: { cacheControl: { type: "ephemeral" } } } },
            // An option of effect/ai's own OpenAI provider: not ours to send, and no error.
            { type: "text", text: "Question?", options: { openai: { imageDetail: "low" } } }
          ]
        }
      ])
      const response = yield* Effect.provide(LanguageModel.generateText({ prompt }), layer)
      expect(response.text).toBe("Yes.")
      const [body] = chatBodies(fleet.anthropic.requests)
      expect(body!.system).toEqual([{ type: "text", text: longRules, cache_control: { type: "ephemeral", ttl: "1h" } }])
      expect(body!.messages).toEqual([
        {
          role: "user",
          content: [
            { type: "text", text: "Shared context.", cache_control: { type: "ephemeral" } },
            { type: "text", text: "Question?" }
          ]
        }
      ])
    })
  )

  it.live("bedrock: a message's cachePoint adds a cache point after it; anthropic markers are not sent there", () =>
    Effect.gen(function* () {
      const { fleet, layer } = yield* fleetLanguageModel({ activeProvider: "bedrock" })
      fleet.bedrock.script({ kind: "text", text: "Yes." })
      const prompt = Prompt.make([
        {
          role: "user",
          content: [{ type: "text", text: longRules, options: { anthropic: { cacheControl: { type: "ephemeral" } } } }],
          options: { bedrock: { cachePoint: { type: "default" } } }
        }
      ])
      yield* Effect.provide(LanguageModel.generateText({ prompt }), layer)
      const [body] = chatBodies(fleet.bedrock.requests)
      expect(body!.messages).toEqual([
        { role: "user", content: [{ text: longRules }, { cachePoint: { type: "default" } }] }
      ])
      expect(JSON.stringify(body)).not.toContain("cache_control")
    })
  )

  it.live("a bad marker is an InvalidRequestError reason before any call", () =>
    Effect.gen(function* () {
      const { fleet, layer } = yield* fleetLanguageModel({ activeProvider: "anthropic" })
      const prompt = Prompt.make([
        { role: "user", content: "Hi", options: { anthropic: { cacheControl: { type: "ephemeral", ttl: "2h" } } } }
      ])
      const error = yield* Effect.flip(Effect.provide(LanguageModel.generateText({ prompt }), layer))
      expect(AiError.isAiError(error)).toBe(true)
      expect((error as AiError.AiError).reason._tag).toBe("InvalidRequestError")
      expect(error.message).toContain("ttl")
      expect(chatBodies(fleet.anthropic.requests)).toHaveLength(0)
    })
  )
})
