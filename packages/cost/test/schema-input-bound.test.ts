/**
 * A budget reserves the worst case of a call before sending it; a request's output schema is input
 * too (every provider renders it into the prompt, with instructions around it). Missing it would let a
 * request with a large schema overspend a budget (fail open).
 */
import { describe, expect, it } from "@effect/vitest"
import type { ChatRequest } from "@llm-orchestrator/core"
import { inputTokensBound } from "../src/pricing.ts"

describe("input bound with a responseFormat", () => {
  const ask = { role: "user" as const, content: "abcd" }
  const schema = { type: "object", properties: { é: { type: "string" } } }

  it("counts the schema's JSON byte by byte (UTF-8), plus 1,024 tokens of instructions", () => {
    const request: ChatRequest = { messages: [ask], responseFormat: { type: "json", schema, name: "n" } }
    const schemaBytes = Buffer.byteLength(JSON.stringify(schema))
    expect(schemaBytes).toBe(JSON.stringify(schema).length + 1)
    expect(inputTokensBound(request)).toBe(16 + (4 + 16) + schemaBytes + 1024)
  })

  it("with tools too, both are counted and the instructions once", () => {
    const tools = [{ name: "f", parameters: { type: "object" } }]
    const request: ChatRequest = { messages: [ask], tools, responseFormat: { type: "json", schema } }
    const bytes = JSON.stringify(tools).length + Buffer.byteLength(JSON.stringify(schema))
    expect(inputTokensBound(request)).toBe(16 + (4 + 16) + bytes + 1024)
  })
})
