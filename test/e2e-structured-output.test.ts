/**
 * Structured output end to end, for every provider through its real SDK against its simulator (which
 * checks the format's wire form as the API does): a JSON answer comes back decoded in `output`; an
 * answer that is not in the schema is billed and the chain's next model answers; a stream's Finish
 * carries the output, and a stream whose answer is not in the schema ends with OutputValidationError.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Stream } from "effect"
import { type ChatRequest, LLMOrchestrator, type StreamEvent } from "llm-orchestrator"
import { fleetOrchestrator, readLog } from "./support.ts"

const city = {
  type: "object",
  properties: { city: { type: "string" }, country: { type: "string" } },
  required: ["city", "country"],
  additionalProperties: false
}
const request: ChatRequest = {
  messages: [{ role: "user", content: "The largest city of Mexico, and its country?" }],
  responseFormat: { type: "json", schema: city, name: "city" }
}
const json = '{"city":"Mexico City","country":"Mexico"}'
const prose = "Mexico City, in Mexico."

/** Each provider's two chain models (the fleet's active model, then the next of its fallback_models). */
const providers = [
  ["openai", "gpt-4o-mini", "gpt-4o"],
  ["anthropic", "claude-sonnet-4-6", "claude-haiku-4-5-20251001"],
  ["gemini", "gemini-2.5-flash", "gemini-2.5-flash-lite"],
  ["vertex", "gemini-2.5-flash", "gemini-2.5-pro"],
  ["bedrock", "us.anthropic.claude-sonnet-4-5-20250929-v1:0", "amazon.nova-lite-v1:0"]
] as const

/** The structured-output field of each API's request body. */
const formatOf = (provider: string, body: Record<string, unknown>): unknown => {
  switch (provider) {
    case "openai":
      return body.response_format
    case "anthropic":
      return body.output_config
    case "bedrock":
      return body.outputConfig
    default:
      return (body.generationConfig as Record<string, unknown> | undefined)?.responseJsonSchema
  }
}

describe("structured output through every provider", () => {
  for (const [provider, first, second] of providers) {
    it.effect(`${provider}: prose from ${first} is billed and falls back; ${second}'s JSON comes back decoded`, () =>
      Effect.gen(function* () {
        const { fleet, layer, logPath } = yield* fleetOrchestrator({ activeProvider: provider })
        fleet[provider].scriptModel(first, { kind: "text", text: prose })
        fleet[provider].scriptModel(second, { kind: "text", text: json })
        const response = yield* Effect.provide(
          Effect.flatMap(LLMOrchestrator, (llm) => llm.sendRequest(request)),
          layer
        )
        expect(response.output).toEqual({ city: "Mexico City", country: "Mexico" })
        expect(response.attempts.map((a) => `${a.model}:${a.outcome}:${a.errorTag ?? ""}`)).toEqual([
          `${first}:error:OutputValidationError`,
          `${second}:success:`
        ])
        const sent = fleet[provider].requests.filter((r) => r.kind !== "models")
        expect(sent).toHaveLength(2)
        for (const r of sent) expect(formatOf(provider, r.body as Record<string, unknown>)).toBeDefined()
        expect(readLog(logPath).map((r) => [r.model, r.outcome, r.errorTag])).toEqual([
          [first, "error", "OutputValidationError"],
          [second, "success", undefined]
        ])
      })
    )

    it.effect(
      `${provider}: streamed, the Finish carries the output; prose ends the stream with OutputValidationError`,
      () =>
        Effect.gen(function* () {
          const { fleet, layer } = yield* fleetOrchestrator({ activeProvider: provider })
          fleet[provider].scriptModel(first, { kind: "text", text: json }, { kind: "text", text: prose })
          yield* Effect.provide(
            Effect.gen(function* () {
              const llm = yield* LLMOrchestrator
              const events: ReadonlyArray<StreamEvent> = yield* Stream.runCollect(llm.sendStreamingRequest(request))
              const finish = events.at(-1)
              expect(finish?._tag === "Finish" && finish.output).toEqual({ city: "Mexico City", country: "Mexico" })
              const failure = yield* Effect.flip(Stream.runDrain(llm.sendStreamingRequest(request)))
              expect(failure._tag).toBe("OutputValidationError")
              expect(failure.model).toBe(first)
            }),
            layer
          )
        })
    )
  }
})
