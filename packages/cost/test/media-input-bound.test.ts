/**
 * A budget reserves the worst case of a call before sending it; images and files are input too. The
 * bound adds 6,000 tokens per image and, per inline file, a token per byte plus 6,000 per PDF page
 * object (README "Guarantees: budgets"): leaving them out would let a request with images overspend.
 */
import { describe, expect, it } from "@effect/vitest"
import type { ChatRequest } from "@llm-orchestrator/core"
import { inputTokensBound } from "../src/pricing.ts"

describe("input bound with images and files", () => {
  const text = { type: "text" as const, text: "abcd" }
  // 16 tokens per request, 16 per message, and the text's 4 bytes.
  const textBound = 16 + 16 + 4

  it("adds 6,000 tokens per image to the text's bound", () => {
    const image = { type: "image" as const, data: "iVBORw0KGgo=", mediaType: "image/png" as const }
    const request: ChatRequest = { messages: [{ role: "user", content: [text, image, image] }] }
    expect(inputTokensBound(request)).toBe(textBound + 2 * 6_000)
  })

  it("adds a PDF's bytes and 6,000 tokens per page object", () => {
    const pdf = Buffer.from("%PDF-1.4\n1 0 obj << /Type /Page >>\n2 0 obj << /Type /Page >>\n%%EOF\n")
    const file = { type: "file" as const, data: new Uint8Array(pdf), mediaType: "application/pdf" as const }
    const request: ChatRequest = { messages: [{ role: "user", content: [text, file] }] }
    expect(inputTokensBound(request)).toBe(textBound + pdf.length + 2 * 6_000)
  })
})
