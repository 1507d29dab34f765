/**
 * The reasoning helpers every adapter shares (kit/reasoning.ts), at the edges the adapter tests do not
 * reach: which history parts count as wire parts for a provider type, Anthropic's `max_tokens` raise at
 * exactly the thinking budget, and the stream assembler's handling of empty deltas, split signatures
 * and blocks that are not thinking.
 */
import { describe, expect, it } from "@effect/vitest"
import type { ChatRequest, ContentPart, ReasoningPart } from "@llm-orchestrator/core"
import type { CallContext } from "../../src/kit/call.ts"
import {
  anthropicThinking,
  hasWireParts,
  isOwnReasoning,
  reasoningFields,
  ThinkingAssembler
} from "../../src/kit/reasoning.ts"

const ctx: CallContext = { provider: "anthropic", model: "claude-sonnet-4-6" }
const text = (t: string): ContentPart => ({ type: "text", text: t })
const thought = (source: string, t = "thinking"): ReasoningPart => ({ type: "reasoning", text: t, source })
const withBudget = (budgetTokens: number): ChatRequest => ({
  messages: [{ role: "user", content: "Hi" }],
  reasoning: { budgetTokens }
})

describe("which history parts a provider type sends", () => {
  it("its own reasoning only", () => {
    expect(isOwnReasoning(thought("anthropic"), "anthropic")).toBe(true)
    expect(isOwnReasoning(thought("openai"), "anthropic")).toBe(false)
    expect(isOwnReasoning(text("anthropic"), "anthropic")).toBe(false)
  })

  it("an assistant message of text and another type's reasoning is plain text; its own reasoning or a call is not", () => {
    expect(hasWireParts("plain", "anthropic")).toBe(false)
    expect(hasWireParts([text("a"), text("b")], "anthropic")).toBe(false)
    expect(hasWireParts([thought("openai"), text("answer")], "anthropic")).toBe(false)
    expect(hasWireParts([thought("anthropic"), text("answer")], "anthropic")).toBe(true)
    expect(
      hasWireParts([text("calling"), { type: "tool-call", id: "c1", name: "f", arguments: {} }], "anthropic")
    ).toBe(true)
  })
})

describe("Anthropic's thinking budget", () => {
  it("max_tokens above the budget is kept; at or below it, the budget is added so the answer keeps its room", () => {
    const above = anthropicThinking(withBudget(2_048), 2_049, ctx)
    expect(above).toEqual({ thinking: { type: "enabled", budget_tokens: 2_048 }, maxTokens: 2_049 })
    const equal = anthropicThinking(withBudget(2_048), 2_048, ctx)
    expect(equal).toEqual({ thinking: { type: "enabled", budget_tokens: 2_048 }, maxTokens: 4_096 })
    const below = anthropicThinking(withBudget(4_000), 1_000, ctx)
    expect(below).toEqual({ thinking: { type: "enabled", budget_tokens: 4_000 }, maxTokens: 5_000 })
  })

  it("a budget below 1,024 is refused, naming the model and the fix; 1,024 is taken", () => {
    const refused = anthropicThinking(withBudget(1_023), 8_000, ctx)
    expect(refused).toMatchObject({ _tag: "InvalidRequestError", provider: "anthropic", model: "claude-sonnet-4-6" })
    expect((refused as { message: string }).message).toContain("budgetTokens is 1023")
    expect((refused as { message: string }).message).toContain("raise budgetTokens to 1024 or more")
    expect(anthropicThinking(withBudget(1_024), 8_000, ctx)).toMatchObject({ thinking: { budget_tokens: 1_024 } })
  })
})

describe("an answer's reasoning fields", () => {
  it("no parts: nothing; parts: their text joined, and no reasoning text when it is all redacted", () => {
    expect(reasoningFields([])).toEqual({})
    const parts = [thought("anthropic", "first. "), thought("anthropic", "second.")]
    expect(reasoningFields(parts)).toEqual({ reasoning: "first. second.", reasoningParts: parts })
    const redacted: ReasoningPart = { type: "reasoning", text: "", source: "anthropic", redacted: "ZGF0YQ==" }
    expect(reasoningFields([redacted])).toStrictEqual({ reasoningParts: [redacted] })
  })
})

describe("ThinkingAssembler (streamed thinking blocks)", () => {
  it("emits a delta per non-empty piece, joins split signatures and lists the block when it ends", () => {
    const thinking = new ThinkingAssembler("anthropic")
    expect(thinking.start(0, "", undefined)).toEqual([])
    expect(thinking.text(0, "")).toEqual([])
    expect(thinking.text(0, "Let me ")).toEqual([{ _tag: "ReasoningDelta", text: "Let me " }])
    expect(thinking.text(0, "think.")).toEqual([{ _tag: "ReasoningDelta", text: "think." }])
    thinking.sign(0, "sig-part-1.")
    thinking.sign(0, "sig-part-2")
    expect(thinking.isOpen(0)).toBe(true)
    expect(thinking.end(0)).toBe(true)
    expect(thinking.isOpen(0)).toBe(false)
    expect(thinking.parts).toStrictEqual([
      { type: "reasoning", text: "Let me think.", source: "anthropic", signature: "sig-part-1.sig-part-2" }
    ])
  })

  it("a block that starts with text emits it; a redacted block keeps its data and no signature", () => {
    const thinking = new ThinkingAssembler("bedrock")
    expect(thinking.start(2, "Opening.", undefined)).toEqual([{ _tag: "ReasoningDelta", text: "Opening." }])
    expect(thinking.start(3, "", "cmVkYWN0ZWQ=")).toEqual([])
    expect(thinking.end(3)).toBe(true)
    expect(thinking.end(2)).toBe(true)
    expect(thinking.parts).toStrictEqual([
      { type: "reasoning", text: "", source: "bedrock", redacted: "cmVkYWN0ZWQ=" },
      { type: "reasoning", text: "Opening.", source: "bedrock" }
    ])
  })

  it("pieces, signatures and ends for a block that is not thinking are ignored", () => {
    const thinking = new ThinkingAssembler("anthropic")
    expect(thinking.text(5, "not thinking")).toEqual([])
    thinking.sign(5, "stray")
    expect(thinking.isOpen(5)).toBe(false)
    expect(thinking.end(5)).toBe(false)
    expect(thinking.parts).toStrictEqual([])
  })
})
