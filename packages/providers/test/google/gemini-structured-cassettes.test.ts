/**
 * Every recorded Gemini exchange that asked for structured output through `responseJsonSchema`
 * (cassettes/gemini `*native_output*`; the one that used the OpenAPI-subset `responseSchema` is left
 * out), replayed through the real SDK and GeminiProvider: given the recorded schema, the adapter sends
 * `responseMimeType` and `responseJsonSchema` as recorded, and the recorded text comes back exactly
 * (JSON). Expected values are read from the recordings here.
 */

import { describe, expect, it } from "@effect/vitest"
import { LLMProvider } from "@llm-orchestrator/core"
import { GeminiProvider } from "@llm-orchestrator/providers"
import {
  type Cassette,
  cassetteReply,
  geminiSimulator,
  isStreamingCassette,
  loadCassettes
} from "@llm-orchestrator/testing"
import { Effect, Redacted } from "effect"
import { cassetteModel } from "./google-support.ts"

interface RecordedRequest {
  readonly contents: ReadonlyArray<{ readonly role: string; readonly parts: ReadonlyArray<{ readonly text?: string }> }>
  readonly generationConfig?: {
    readonly responseMimeType?: string
    readonly responseJsonSchema?: Record<string, unknown>
    readonly responseSchema?: unknown
  }
}

const requestOf = (cassette: Cassette) => cassette.request.body as RecordedRequest

const nativeOutput = loadCassettes("gemini").filter((c) => c.name.includes("native_output"))
const withJsonSchema = nativeOutput.filter((c) => requestOf(c).generationConfig?.responseJsonSchema !== undefined)

/** The recorded answer's text: the first candidate's text parts that are not thoughts. */
const recordedText = (cassette: Cassette) =>
  (
    JSON.parse(cassette.response.body ?? "") as {
      candidates: ReadonlyArray<{ content: { parts: ReadonlyArray<{ text?: string; thought?: boolean }> } }>
    }
  ).candidates[0]!.content.parts.filter((part) => !part.thought)
    .map((part) => part.text ?? "")
    .join("")

describe("GeminiProvider: every recorded native-output exchange that used responseJsonSchema", () => {
  it("the recordings hold 10 such exchanges (plain, answered 200), and the one that used responseSchema", () => {
    expect(withJsonSchema).toHaveLength(10)
    expect(withJsonSchema.every((c) => c.response.status === 200 && !isStreamingCassette(c))).toBe(true)
    expect(nativeOutput.filter((c) => !withJsonSchema.includes(c)).map((c) => c.name)).toEqual([
      "test_google_native_output_multiple__0"
    ])
  })

  for (const cassette of withJsonSchema)
    it.live(cassette.name, () =>
      Effect.gen(function* () {
        const sim = yield* geminiSimulator()
        sim.script(cassetteReply(cassette))
        const llm = yield* Effect.provide(
          Effect.service(LLMProvider),
          GeminiProvider.layer({ apiKey: Redacted.make("AIzaSy-structured"), baseUrl: sim.url })
        )
        const recorded = requestOf(cassette)
        const question = recorded.contents
          .filter((content) => content.role === "user")
          .flatMap((content) => content.parts.map((part) => part.text ?? ""))
          .join("")
        const response = yield* llm.generate(
          {
            messages: [{ role: "user", content: question }],
            responseFormat: { type: "json", schema: recorded.generationConfig!.responseJsonSchema! }
          },
          cassetteModel(cassette)
        )
        const sent = (sim.requests[0]!.body as RecordedRequest).generationConfig
        // The recording's other settings (responseModalities) are its client's, not the format's.
        expect({ responseMimeType: sent?.responseMimeType, responseJsonSchema: sent?.responseJsonSchema }).toEqual({
          responseMimeType: recorded.generationConfig!.responseMimeType,
          responseJsonSchema: recorded.generationConfig!.responseJsonSchema
        })
        const text = recordedText(cassette)
        expect(response.content).toBe(text)
        expect(response.finishReason).toBe("stop")
        expect(() => JSON.parse(response.content)).not.toThrow()
      }).pipe(Effect.scoped)
    )
})
