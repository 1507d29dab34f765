/**
 * Reasoning on the Anthropic wire, through the real `@anthropic-ai/sdk` against the simulator (which
 * checks `thinking` and the thinking blocks sent back as the API does): `request.reasoning` as
 * `thinking` with its budget and a `max_tokens` above it, bad budgets refused before any network call,
 * thinking text and signature returned plain and streamed (deltas before the text), and the thinking
 * of a tool call sent back unchanged while another provider's reasoning is dropped.
 */
import { describe, expect, it } from "@effect/vitest"
import {
  type ChatRequest,
  InvalidRequestError,
  LLMProvider,
  type Message,
  type ReasoningPart
} from "@llm-orchestrator/core"
import { AnthropicProvider } from "@llm-orchestrator/providers"
import { anthropicSimulator, reasoningSignature, type Simulator } from "@llm-orchestrator/testing"
import { Effect, Redacted, Stream } from "effect"

const model = "claude-sonnet-4-6"
const ask: Message = { role: "user", content: "How do I cross the street?" }
const thought = "Pedestrian safety: look both ways."

const withProvider = <A, E>(body: (provider: LLMProvider["Service"], sim: Simulator) => Effect.Effect<A, E>) =>
  Effect.scoped(
    Effect.gen(function* () {
      const sim = yield* anthropicSimulator()
      const layer = AnthropicProvider.layer({ apiKey: Redacted.make("sk-ant-test-0000"), baseUrl: sim.url })
      const provider = yield* Effect.provide(Effect.service(LLMProvider), layer)
      return yield* body(provider, sim)
    })
  )

const sentBody = (sim: Simulator) =>
  sim.requests.filter((r) => r.kind !== "models").at(-1)!.body as Record<string, unknown>

describe("Anthropic reasoning: the request", () => {
  const cases: ReadonlyArray<[string, ChatRequest["reasoning"], number | undefined, unknown, number]> = [
    // effort -> the documented budget; the model default max_tokens (16,384) is above it
    ["effort low", { effort: "low" }, undefined, { type: "enabled", budget_tokens: 2048 }, 16_384],
    ["effort medium", { effort: "medium" }, undefined, { type: "enabled", budget_tokens: 8192 }, 16_384],
    // high's budget is above the default: max_tokens is raised to budget + default
    ["effort high", { effort: "high" }, undefined, { type: "enabled", budget_tokens: 24_576 }, 24_576 + 16_384],
    ["a budget below maxTokens", { budgetTokens: 3000 }, 5000, { type: "enabled", budget_tokens: 3000 }, 5000],
    // an effort whose budget is not below maxTokens: raised, the answer keeps its maxTokens
    ["effort with a small maxTokens", { effort: "low" }, 1000, { type: "enabled", budget_tokens: 2048 }, 3048]
  ]
  for (const [name, reasoning, maxTokens, thinking, wireMax] of cases)
    it.live(`${name} reaches the wire as thinking`, () =>
      withProvider((provider, sim) =>
        Effect.gen(function* () {
          sim.script({ kind: "text", text: "Look both ways.", reasoning: thought })
          const request: ChatRequest = {
            messages: [ask],
            ...(reasoning ? { reasoning } : {}),
            ...(maxTokens ? { maxTokens } : {})
          }
          const response = yield* provider.generate(request, model)
          expect(response.content).toBe("Look both ways.")
          const body = sentBody(sim)
          expect(body.thinking).toEqual(thinking)
          expect(body.max_tokens).toBe(wireMax)
        })
      )
    )

  it.live("no reasoning: no thinking on the wire", () =>
    withProvider((provider, sim) =>
      Effect.gen(function* () {
        yield* provider.generate({ messages: [ask] }, model)
        expect("thinking" in sentBody(sim)).toBe(false)
      })
    )
  )

  it.live("a budget under 1,024 is refused before any network call, saying what to do", () =>
    withProvider((provider, sim) =>
      Effect.gen(function* () {
        const error = yield* Effect.flip(
          provider.generate({ messages: [ask], reasoning: { budgetTokens: 500 } }, model)
        )
        expect(error).toBeInstanceOf(InvalidRequestError)
        expect(error.message).toContain("raise budgetTokens to 1024 or more")
        const streamed = yield* Effect.flip(
          Stream.runDrain(provider.stream({ messages: [ask], reasoning: { budgetTokens: 1023 } }, model))
        )
        expect(streamed).toBeInstanceOf(InvalidRequestError)
        expect(sim.requests.filter((r) => r.kind !== "models")).toEqual([])
      })
    )
  )
})

describe("Anthropic reasoning: the answer", () => {
  it.live("plain: the thinking text in response.reasoning, with its signature in reasoningParts", () =>
    withProvider((provider, sim) =>
      Effect.gen(function* () {
        sim.script({ kind: "text", text: "Look both ways.", reasoning: thought })
        const response = yield* provider.generate({ messages: [ask], reasoning: { effort: "low" } }, model)
        expect(response.content).toBe("Look both ways.")
        expect(response.reasoning).toBe(thought)
        expect(response.reasoningParts).toEqual([
          { type: "reasoning", text: thought, source: "anthropic", signature: reasoningSignature("anthropic", thought) }
        ])
      })
    )
  )

  it.live("streamed: reasoning deltas before the text, the parts on the finish", () =>
    withProvider((provider, sim) =>
      Effect.gen(function* () {
        sim.script({ kind: "text", text: "Look both ways.", reasoning: thought })
        const events = yield* Stream.runCollect(
          provider.stream({ messages: [ask], reasoning: { effort: "low" } }, model)
        )
        const tags = events.map((e) => e._tag).filter((t) => t === "ReasoningDelta" || t === "TextDelta")
        expect(tags.indexOf("TextDelta")).toBeGreaterThan(tags.lastIndexOf("ReasoningDelta"))
        expect(events.flatMap((e) => (e._tag === "ReasoningDelta" ? [e.text] : [])).join("")).toBe(thought)
        expect(events.flatMap((e) => (e._tag === "TextDelta" ? [e.text] : [])).join("")).toBe("Look both ways.")
        const finish = events.at(-1)!
        expect(finish._tag === "ProviderFinish" && finish.reasoningParts).toEqual([
          { type: "reasoning", text: thought, source: "anthropic", signature: reasoningSignature("anthropic", thought) }
        ])
      })
    )
  )

  it.live("an answer without thinking has no reasoning fields", () =>
    withProvider((provider) =>
      Effect.gen(function* () {
        const response = yield* provider.generate({ messages: [ask] }, model)
        expect("reasoning" in response).toBe(false)
        expect("reasoningParts" in response).toBe(false)
      })
    )
  )
})

describe("Anthropic reasoning: history", () => {
  const weather = { name: "get_weather", parameters: { type: "object", properties: { city: { type: "string" } } } }
  const result: Message = {
    role: "tool",
    content: [{ type: "tool-result", id: "toolu_01", name: "get_weather", result: "21 C" }]
  }
  const assistant = (reasoning: ReadonlyArray<ReasoningPart>): Message =>
    ({
      role: "assistant",
      content: [...reasoning, { type: "tool-call", id: "toolu_01", name: "get_weather", arguments: { city: "Paris" } }]
    }) as Message

  it.live("its own thinking goes back first, unchanged with its signature; redacted thinking as its data", () =>
    withProvider((provider, sim) =>
      Effect.gen(function* () {
        const signature = reasoningSignature("anthropic", thought)
        yield* provider.generate(
          {
            messages: [
              ask,
              assistant([
                { type: "reasoning", text: thought, source: "anthropic", signature },
                { type: "reasoning", text: "", source: "anthropic", redacted: "EmwKAhgBEgy3va" }
              ]),
              result
            ],
            tools: [weather],
            reasoning: { effort: "low" }
          },
          model
        )
        const messages = sentBody(sim).messages as Array<{ content: Array<Record<string, unknown>> }>
        expect(messages[1]!.content.slice(0, 2)).toEqual([
          { type: "thinking", thinking: thought, signature },
          { type: "redacted_thinking", data: "EmwKAhgBEgy3va" }
        ])
        expect(sentBody(sim).thinking).toEqual({ type: "enabled", budget_tokens: 2048 })
      })
    )
  )

  it.live("the simulator refuses a thinking block whose signature is not its own, as the API does", () =>
    withProvider((provider, sim) =>
      Effect.gen(function* () {
        const error = yield* Effect.flip(
          provider.generate(
            {
              messages: [
                ask,
                assistant([
                  {
                    type: "reasoning",
                    text: thought,
                    source: "anthropic",
                    signature: reasoningSignature("bedrock", thought)
                  }
                ]),
                result
              ],
              tools: [weather],
              reasoning: { effort: "low" }
            },
            model
          )
        )
        expect(error).toBeInstanceOf(InvalidRequestError)
        expect(error.message).toContain("Invalid `signature` in `thinking` block")
        expect(sim.requests.length).toBe(1)
      })
    )
  )

  it.live("another provider's reasoning is dropped, and thinking is left off for that tool turn", () =>
    withProvider((provider, sim) =>
      Effect.gen(function* () {
        sim.script({ kind: "text", text: "21 C in Paris." })
        const response = yield* provider.generate(
          {
            messages: [
              ask,
              assistant([{ type: "reasoning", text: "Gemini thought", source: "gemini", signature: "c2tpcA==" }]),
              result
            ],
            tools: [weather],
            reasoning: { effort: "low" }
          },
          model
        )
        expect(response.content).toBe("21 C in Paris.")
        const body = sentBody(sim)
        expect(JSON.stringify(body)).not.toContain("Gemini thought")
        expect((body.messages as Array<{ content: Array<{ type: string }> }>)[1]!.content.map((b) => b.type)).toEqual([
          "tool_use"
        ])
        // With thinking on, the API refuses a tool turn that does not start with thinking.
        expect("thinking" in body).toBe(false)
      })
    )
  )
})
