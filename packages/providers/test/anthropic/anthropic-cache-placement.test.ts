/**
 * Which block carries `cache_control` on the Anthropic wire, through the real `@anthropic-ai/sdk` and
 * the simulator: a message's marker goes on its last block that can carry one (never a thinking or
 * redacted-thinking block: Anthropic refuses `cache_control` there, and a turn of thinking only gets
 * no marker); the system prompt becomes blocks when any system message is marked, one per non-empty
 * text, each keeping its own marker; and empty texts send no block (Anthropic refuses empty text
 * blocks), in system, user and assistant content alike.
 */
import { describe, expect, it } from "@effect/vitest"
import { type ChatRequest, LLMProvider } from "@llm-orchestrator/core"
import { AnthropicProvider } from "@llm-orchestrator/providers"
import { anthropicSimulator, reasoningSignature } from "@llm-orchestrator/testing"
import { Effect, Redacted } from "effect"

const model = "claude-sonnet-4-5-20250929"
const fiveMinutes = { type: "ephemeral" } as const
const marker = { anthropic: { cacheControl: fiveMinutes } } as const
const tool = { name: "lookup", description: "Looks up a word.", parameters: { type: "object", properties: {} } }

/** The body the simulator received for `request`. */
const sent = (request: ChatRequest) =>
  Effect.scoped(
    Effect.gen(function* () {
      const sim = yield* anthropicSimulator()
      const llm = yield* Effect.provide(
        Effect.service(LLMProvider),
        AnthropicProvider.layer({ apiKey: Redacted.make("sk-ant-test-0000"), baseUrl: sim.url })
      )
      sim.script({ kind: "text", text: "Fine." })
      yield* llm.generate(request, model)
      return sim.requests[0]!.body as {
        system?: unknown
        messages: ReadonlyArray<{ role: string; content: unknown }>
      }
    })
  )

describe("Anthropic: a message's marker is never put on thinking", () => {
  it.live("it goes on the last block that is not thinking; a turn of thinking only carries none", () =>
    Effect.gen(function* () {
      const thought = "The user wants a definition."
      const signature = reasoningSignature("anthropic", thought)
      const body = yield* sent({
        messages: [
          { role: "user", content: "Define lemma." },
          {
            role: "assistant",
            content: [
              { type: "text", text: "A headword." },
              { type: "reasoning", text: thought, source: "anthropic", signature }
            ],
            providerOptions: marker
          },
          { role: "user", content: "And stem?" },
          {
            role: "assistant",
            content: [
              { type: "reasoning", text: "", source: "anthropic", redacted: "EmwKAhgBEgy3va" },
              { type: "text", text: "" }
            ],
            providerOptions: marker
          },
          { role: "user", content: "Go on." }
        ]
      })
      expect(body.messages[1]!.content).toEqual([
        { type: "text", text: "A headword.", cache_control: fiveMinutes },
        { type: "thinking", thinking: thought, signature }
      ])
      expect(body.messages[3]!.content).toEqual([{ type: "redacted_thinking", data: "EmwKAhgBEgy3va" }])
    })
  )
})

describe("Anthropic: the system prompt as blocks", () => {
  it.live("one marked system message among others turns every system text into a block, each with its own marker", () =>
    Effect.gen(function* () {
      const body = yield* sent({
        messages: [
          { role: "system", content: "Answer briefly." },
          { role: "system", content: "The glossary: ...", providerOptions: marker },
          { role: "user", content: "What is a lemma?" }
        ]
      })
      expect(body.system).toEqual([
        { type: "text", text: "Answer briefly." },
        { type: "text", text: "The glossary: ...", cache_control: fiveMinutes }
      ])
    })
  )

  it.live("an empty system text sends no block, and its part's marker none either", () =>
    Effect.gen(function* () {
      const body = yield* sent({
        messages: [
          {
            role: "system",
            content: [
              { type: "text", text: "", providerOptions: marker },
              { type: "text", text: "The glossary: ...", providerOptions: marker }
            ]
          },
          { role: "user", content: "What is a lemma?" }
        ]
      })
      expect(body.system).toEqual([{ type: "text", text: "The glossary: ...", cache_control: fiveMinutes }])
    })
  )
})

describe("Anthropic: empty texts send no block", () => {
  it.live("in a marked user message: the marker goes on the last text that is sent", () =>
    Effect.gen(function* () {
      const body = yield* sent({
        messages: [
          {
            role: "user",
            content: [
              { type: "text", text: "What is a lemma?" },
              { type: "text", text: "" }
            ],
            providerOptions: marker
          }
        ]
      })
      expect(body.messages).toEqual([
        { role: "user", content: [{ type: "text", text: "What is a lemma?", cache_control: fiveMinutes }] }
      ])
    })
  )

  it.live("in an assistant message with a tool call: only the call is sent", () =>
    Effect.gen(function* () {
      const body = yield* sent({
        messages: [
          { role: "user", content: "Look up lemma." },
          {
            role: "assistant",
            content: [
              { type: "text", text: "" },
              { type: "tool-call", id: "toolu_01", name: "lookup", arguments: { word: "lemma" } }
            ]
          },
          { role: "tool", content: [{ type: "tool-result", id: "toolu_01", name: "lookup", result: "a headword" }] }
        ],
        tools: [tool]
      })
      expect(body.messages[1]!.content).toEqual([
        { type: "tool_use", id: "toolu_01", name: "lookup", input: { word: "lemma" } }
      ])
    })
  )
})
