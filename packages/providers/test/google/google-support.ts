/** Helpers shared by the Gemini and Vertex provider tests (not a test file itself). */
import { expect } from "@effect/vitest"
import type { FinishReason, LLMError, ProviderStreamEvent, Usage } from "@llm-orchestrator/core"
import { type Cassette, isStreamingCassette } from "@llm-orchestrator/testing"
import { Effect, Stream } from "effect"

/** Runs a provider stream to its end, keeping the events emitted before any failure. */
export const collect = (stream: Stream.Stream<ProviderStreamEvent, LLMError>) =>
  Effect.gen(function* () {
    const events: Array<ProviderStreamEvent> = []
    // A defect is not caught here: it fails the test, as it should.
    const error: LLMError | undefined = yield* stream.pipe(
      Stream.runForEach((event) => Effect.sync(() => events.push(event))),
      Effect.map(() => undefined),
      Effect.catch((e: LLMError) => Effect.succeed(e))
    )
    return { events, error }
  })

export const deltas = (events: ReadonlyArray<ProviderStreamEvent>) =>
  events.flatMap((e) => (e._tag === "TextDelta" ? [e.text] : []))

export const finishes = (events: ReadonlyArray<ProviderStreamEvent>) =>
  events.filter((e) => e._tag === "ProviderFinish")

/**
 * A blocked prompt or answer, plain and streamed: reported as `finishReason: "content-filter"` with no
 * text and the usage the response carried, for the orchestrator to bill and turn into
 * `ContentFilteredError` (test/content-filter.test.ts).
 */
export const expectContentFilterReported = (
  generate: Effect.Effect<
    { readonly content: string; readonly finishReason: FinishReason; readonly usage: Usage },
    LLMError
  >,
  stream: Stream.Stream<ProviderStreamEvent, LLMError>,
  usage: Usage
) =>
  Effect.gen(function* () {
    expect(yield* generate).toMatchObject({ content: "", finishReason: "content-filter", usage })
    const streamed = yield* collect(stream)
    expect(streamed.error).toBeUndefined()
    expect(deltas(streamed.events)).toEqual([])
    expect(finishes(streamed.events)).toEqual([expect.objectContaining({ finishReason: "content-filter", usage })])
  })

interface RecordedPart {
  readonly text?: string
  readonly thought?: boolean
  readonly functionCall?: unknown
}
interface RecordedFrame {
  readonly candidates?: ReadonlyArray<{ content?: { parts?: ReadonlyArray<RecordedPart> }; finishReason?: string }>
  readonly usageMetadata?: Record<string, number>
  readonly responseId?: string
  readonly modelVersion?: string
}

/**
 * The normalised usage of a served or recorded `usageMetadata` (thoughts added to output, tool-use
 * prompt tokens to input, cached tokens already inside the prompt), after checking that the parts add
 * up to its `totalTokenCount`: what the adapter reports must account for every token Google counted.
 */
export const expectedGoogleUsage = (meta: Readonly<Record<string, number>>) => {
  const thoughts = meta.thoughtsTokenCount ?? 0
  const inputTokens = (meta.promptTokenCount ?? 0) + (meta.toolUsePromptTokenCount ?? 0)
  const totalTokens = meta.totalTokenCount
  expect(totalTokens, "every answer states its totalTokenCount").toBeTypeOf("number")
  expect(inputTokens + (meta.candidatesTokenCount ?? 0) + thoughts, "usage parts vs totalTokenCount").toBe(totalTokens)
  const usage: Usage = {
    inputTokens,
    outputTokens: (meta.candidatesTokenCount ?? 0) + thoughts,
    cacheReadTokens: meta.cachedContentTokenCount ?? 0,
    cacheWriteTokens: 0,
    reasoningTokens: thoughts
  }
  return { usage, totalTokens: totalTokens! }
}

/**
 * What a recorded Google exchange must become, read straight from the recorded body: the non-thought
 * text, the usage (`expectedGoogleUsage`) and the finish reason.
 */
export const expectedFromCassette = (cassette: Cassette) => {
  const body = cassette.response.body ?? ""
  const frames: ReadonlyArray<RecordedFrame> = isStreamingCassette(cassette)
    ? body
        .split("\r\n\r\n")
        .filter((frame) => frame.startsWith("data:"))
        .map((frame) => JSON.parse(frame.slice("data:".length)))
    : [JSON.parse(body)]
  const parts = frames.flatMap((f) => f.candidates?.[0]?.content?.parts ?? [])
  const text = parts
    .filter((p) => typeof p.text === "string" && !p.thought)
    .map((p) => p.text)
    .join("")
  const last = frames.at(-1)!
  const { usage, totalTokens } = expectedGoogleUsage(last.usageMetadata ?? {})
  const wireReason = frames.map((f) => f.candidates?.[0]?.finishReason).findLast((r) => r !== undefined)
  const toolCall = parts.some((p) => p.functionCall !== undefined)
  const finishReason: FinishReason =
    wireReason === "STOP" ? (toolCall ? "tool-calls" : "stop") : wireReason === "MAX_TOKENS" ? "length" : "other"
  return { text, usage, totalTokens, finishReason, responseId: frames[0]?.responseId, modelVersion: last.modelVersion }
}

/** The model id a recorded request named (`.../models/{id}:generateContent`). */
export const cassetteModel = (cassette: Cassette) =>
  /models\/([^/:]+):/.exec(cassette.request.path)?.[1] ?? "gemini-2.5-flash"
