/**
 * Reasoning sent back in the history is input too: a budget's worst case counts each reasoning part's
 * text, signature and redacted data byte by byte. Missing them would let a long thinking history
 * (Anthropic signatures alone run to kilobytes) overspend a budget.
 */
import { describe, expect, it } from "@effect/vitest"
import type { ChatRequest } from "@llm-orchestrator/core"
import { inputTokensBound } from "../src/pricing.ts"

describe("input bound with reasoning in the history", () => {
  const ask = { role: "user" as const, content: "abcd" }

  it("counts a reasoning part's text (UTF-8 bytes), its signature and its redacted data, plus the structured-input allowance", () => {
    const request: ChatRequest = {
      messages: [
        ask,
        {
          role: "assistant",
          content: [
            { type: "reasoning", text: "ééé", source: "anthropic", signature: "sig" },
            { type: "reasoning", text: "", source: "anthropic", redacted: "REDACTED" },
            { type: "text", text: "ok" }
          ]
        }
      ]
    }
    // 16 per request, 16 per message with its text bytes ("abcd", "ok"), then the reasoning bytes:
    // "ééé" (6) + "sig" (3) + "REDACTED" (8), and the 1,024-token allowance any structured input gets.
    expect(inputTokensBound(request)).toBe(16 + (4 + 16) + (2 + 16) + (6 + 3 + 8) + 1024)
  })

  it("a reasoning part without a signature counts its text alone", () => {
    const request: ChatRequest = {
      messages: [ask, { role: "assistant", content: [{ type: "reasoning", text: "hmm", source: "gemini" }] }]
    }
    expect(inputTokensBound(request)).toBe(16 + (4 + 16) + 16 + 3 + 1024)
  })
})
