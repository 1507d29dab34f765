/**
 * A budget reserves the worst case of a call before sending it; with tools, the definitions, the tool
 * calls and results of the history and the provider's tool instructions are input too. Missing them
 * would let a request with large tool schemas or results overspend a budget (fail open).
 */
import { describe, expect, it } from "@effect/vitest"
import type { ChatRequest } from "@llm-orchestrator/core"
import { inputTokensBound } from "../src/pricing.ts"

describe("input bound with tools", () => {
  const ask = { role: "user" as const, content: "abcd" }

  it("counts each tool definition's JSON byte by byte, plus 1,024 tokens of tool instructions", () => {
    const request: ChatRequest = { messages: [ask], tools: [{ name: "f", parameters: { type: "object" } }] }
    const definitions = '[{"name":"f","parameters":{"type":"object"}}]'
    expect(inputTokensBound(request)).toBe(16 + (4 + 16) + definitions.length + 1024)
  })

  it("counts the calls and results of the history: names, argument JSON and result text (UTF-8 bytes)", () => {
    const request: ChatRequest = {
      messages: [
        ask,
        { role: "assistant", content: [{ type: "tool-call", id: "c1", name: "f", arguments: { x: 1 } }] },
        { role: "tool", content: [{ type: "tool-result", id: "c1", name: "f", result: "é!" }] },
        { role: "tool", content: [{ type: "tool-result", id: "c1", name: "f", result: { ok: true } }] }
      ]
    }
    // Four messages of 16 tokens each (the three with no text add no text bytes), then the tool text:
    // f{"x":1} + f + "é!" (3 bytes) + f{"ok":true}.
    const toolBytes = 'f{"x":1}'.length + 1 + 3 + 'f{"ok":true}'.length
    expect(inputTokensBound(request)).toBe(16 + 4 + 4 * 16 + toolBytes + 1024)
  })

  it("adds nothing for a request without tools", () => {
    expect(inputTokensBound({ messages: [ask] })).toBe(16 + 4 + 16)
  })
})
