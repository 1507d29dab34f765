/**
 * Reasoning across providers through the public API, the real SDKs and the simulators (each checks
 * what its API checks): a two-step tool loop with thinking on Anthropic (`runToolLoop` carries the
 * signed thinking back, the simulator refuses it otherwise); and a conversation started on Anthropic
 * with thinking and tool calls that continues on OpenAI, Gemini 3 and Claude on Bedrock after a
 * fallback, each wire request valid for its API: Anthropic's signed thinking never reaches another
 * provider, and reasoning stays requested in each one's own form.
 */
import { describe, expect, it } from "@effect/vitest"
import { type ExecutableTool, type Message, runToolLoop } from "@llm-orchestrator/core"
import { reasoningSignature } from "@llm-orchestrator/testing"
import { Effect, Stream } from "effect"
import { LLMOrchestrator, type StreamEvent } from "llm-orchestrator"
import { fleetOrchestrator } from "./support.ts"

const weather = {
  name: "get_weather",
  description: "The weather in a city",
  parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] }
}
const ask: Message = { role: "user", content: "What is the weather in Paris?" }
const anthropicId = "toolu_01A09q90qw90lq917835lq9"
const thought = "The user wants the weather: call get_weather for Paris."

describe("a tool loop with thinking on Anthropic", () => {
  it.effect("two steps: the signed thinking goes back first in the assistant turn, and the simulator takes it", () =>
    Effect.gen(function* () {
      const { fleet, layer } = yield* fleetOrchestrator({ activeProvider: "anthropic" })
      fleet.anthropic.script(
        {
          kind: "text",
          text: "",
          reasoning: thought,
          toolCalls: [{ id: anthropicId, name: "get_weather", arguments: { city: "Paris" } }]
        },
        { kind: "text", text: "It is 21 degrees in Paris.", reasoning: "Now I can answer." }
      )
      const tool: ExecutableTool = { ...weather, execute: () => Effect.succeed({ celsius: 21 }) }
      const result = yield* runToolLoop({ messages: [ask], reasoning: { effort: "low" } }, [tool]).pipe(
        Effect.provide(layer)
      )
      expect(result.response.content).toBe("It is 21 degrees in Paris.")
      expect(result.response.reasoning).toBe("Now I can answer.")
      const sent = fleet.anthropic.requests
        .filter((r) => r.kind !== "models")
        .map((r) => r.body as Record<string, unknown>)
      expect(sent).toHaveLength(2)
      for (const body of sent) expect(body.thinking).toEqual({ type: "enabled", budget_tokens: 2048 })
      const turn = (sent[1]!.messages as Array<{ role: string; content: Array<Record<string, unknown>> }>)[1]!
      expect(turn.content.map((block) => block.type)).toEqual(["thinking", "tool_use"])
      expect(turn.content[0]).toEqual({
        type: "thinking",
        thinking: thought,
        signature: reasoningSignature("anthropic", thought)
      })
    }).pipe(Effect.scoped)
  )
})

const targets = [
  ["openai", "gpt-5", { reasoning_effort: "low" }],
  ["gemini", "gemini-3-pro-preview", {}],
  ["bedrock", "us.anthropic.claude-sonnet-4-5-20250929-v1:0", {}]
] as const

describe("a conversation with thinking across providers", () => {
  for (const [target, model, wireReasoning] of targets) {
    for (const streamed of [false, true]) {
      it.effect(
        `begun on Anthropic with thinking, continued on ${target} after a fallback (${streamed ? "streamed" : "plain"})`,
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
                reasoning: thought,
                toolCalls: [{ id: anthropicId, name: "get_weather", arguments: { city: "Paris" } }]
              })
              const first = yield* llm.sendRequest({ messages: [ask], tools: [weather], reasoning: { effort: "low" } })
              expect(first.provider).toBe("anthropic")
              expect(first.reasoningParts?.[0]?.source).toBe("anthropic")

              // Anthropic now refuses the key: the next provider of the chain gets the whole history.
              fleet.anthropic.script({ kind: "error", fault: "auth" })
              fleet[target].script({ kind: "text", text: "It is 21 degrees in Paris." })
              const history: Array<Message> = [
                ask,
                {
                  role: "assistant",
                  content: [
                    ...first.reasoningParts!,
                    { type: "text", text: first.content },
                    ...first.toolCalls!.map((call) => ({ type: "tool-call" as const, ...call }))
                  ]
                },
                {
                  role: "tool",
                  content: [{ type: "tool-result", id: anthropicId, name: "get_weather", result: { celsius: 21 } }]
                }
              ]
              const request = { messages: history, tools: [weather], reasoning: { effort: "low" as const } }
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
              // The simulator took the history (each refuses what its API refuses); Anthropic's thinking
              // and its signature did not travel, the call and its result did.
              const sent = fleet[target].requests.filter((r) => r.kind !== "models").at(-1)!
              const wire = JSON.stringify(sent.body)
              expect(wire).not.toContain(thought)
              expect(wire).not.toContain(reasoningSignature("anthropic", thought))
              expect(wire.split(anthropicId).length - 1).toBe(2)
              expect(sent.body).toMatchObject(wireReasoning)
              // Claude on Bedrock with thinking refuses a tool turn without its own reasoning first
              // (its simulator checks it): thinking is left off for this request, not refused.
              if (target === "bedrock") expect(sent.body).not.toHaveProperty("additionalModelRequestFields")
              if (target === "gemini")
                expect(wire).toContain('"thinkingConfig":{"includeThoughts":true,"thinkingLevel":"LOW"}')
            }).pipe(Effect.provide(layer))
          }).pipe(Effect.scoped)
      )
    }
  }
})
