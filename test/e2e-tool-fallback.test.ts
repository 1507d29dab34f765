/**
 * A tool conversation begun on one provider goes on on another after a fallback (README "Requests and
 * responses", message parts): the history Anthropic made (its `toolu_` ids, text beside the call) is
 * sent to OpenAI, Gemini and Bedrock in each one's own wire form, through the real SDKs, and each
 * simulator checks it as its API does (every result answering a call of the turn before, by id or name).
 */
import { describe, expect, it } from "@effect/vitest"
import type { Message } from "@llm-orchestrator/core"
import { Effect, Stream } from "effect"
import { LLMOrchestrator, type StreamEvent } from "llm-orchestrator"
import { fleetOrchestrator } from "./support.ts"

const weather = {
  name: "get_weather",
  description: "The weather in a city",
  parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] }
}
const ask: Message = { role: "user", content: "What is the weather in Paris?" }
/** An id as Anthropic makes them. */
const anthropicId = "toolu_01A09q90qw90lq917835lq9"

const targets = [
  ["openai", "gpt-4o-mini"],
  ["gemini", "gemini-2.5-flash"],
  ["bedrock", "amazon.nova-lite-v1:0"]
] as const

describe("a tool conversation across providers", () => {
  for (const [target, model] of targets) {
    for (const streamed of [false, true]) {
      it.effect(
        `begun on Anthropic, continued on ${target} after a fallback (${streamed ? "streamed" : "plain"})`,
        () =>
          Effect.gen(function* () {
            const { fleet, layer } = yield* fleetOrchestrator({
              activeProvider: "anthropic",
              extraYaml: `retry:\n  max_attempts: 1\nfallback:\n  chain:\n    - { provider: ${target}, model: "${model}" }`
            })
            yield* Effect.gen(function* () {
              const llm = yield* LLMOrchestrator
              fleet.anthropic.script({
                kind: "text",
                text: "Let me check.",
                toolCalls: [{ id: anthropicId, name: "get_weather", arguments: { city: "Paris" } }]
              })
              const first = yield* llm.sendRequest({ messages: [ask], tools: [weather] })
              expect(first.provider).toBe("anthropic")
              expect(first.toolCalls).toEqual([{ id: anthropicId, name: "get_weather", arguments: { city: "Paris" } }])

              // Anthropic now refuses the key: the next provider of the chain gets the whole history.
              fleet.anthropic.script({ kind: "error", fault: "auth" })
              fleet[target].script({ kind: "text", text: "It is 21 degrees in Paris." })
              const history: Array<Message> = [
                ask,
                {
                  role: "assistant",
                  content: [
                    { type: "text", text: first.content },
                    ...first.toolCalls!.map((call) => ({ type: "tool-call" as const, ...call }))
                  ]
                },
                {
                  role: "tool",
                  content: [{ type: "tool-result", id: anthropicId, name: "get_weather", result: { celsius: 21 } }]
                }
              ]
              const request = { messages: history, tools: [weather] }
              let text: string
              let provider: string
              if (streamed) {
                const events: ReadonlyArray<StreamEvent> = yield* Stream.runCollect(llm.sendStreamingRequest(request))
                text = events.map((e) => (e._tag === "TextDelta" ? e.text : "")).join("")
                const finish = events.at(-1)
                provider = finish?._tag === "Finish" ? finish.provider : "(no finish)"
              } else {
                const second = yield* llm.sendRequest(request)
                text = second.content
                provider = second.provider
                expect(second.attempts.map((a) => `${a.provider}:${a.outcome}:${a.errorTag ?? ""}`)).toEqual([
                  "anthropic:error:AuthenticationError",
                  `${target}:success:`
                ])
              }
              expect(provider).toBe(target)
              expect(text).toBe("It is 21 degrees in Paris.")
              // The simulator took the history (it answers 400 to a result that answers no call); the
              // call and its result travelled with the same id, valid for this provider as it was.
              const sent = fleet[target].requests.filter((r) => r.kind !== "models").at(-1)!
              const wire = JSON.stringify(sent.body)
              expect(wire.split(anthropicId).length - 1).toBe(2)
              expect(wire).toContain("Paris")
              expect(wire).toContain("21")
            }).pipe(Effect.provide(layer))
          }).pipe(Effect.scoped)
      )
    }
  }
})
