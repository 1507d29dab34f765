/**
 * `streamSdk` with tool-call streams, driven by a scripted async iterable: a call's start and then its
 * first arguments are each handed over at once (a reader shows them as they come), and the rest of a
 * burst travels as one chunk, as for text.
 */
import { describe, expect, it } from "@effect/vitest"
import { type LLMError, NetworkError, type ProviderStreamEvent } from "@llm-orchestrator/core"
import { Effect, Stream } from "effect"
import { type CallContext, type StreamDecoder, streamSdk } from "../../src/kit/call.ts"

const ctx: CallContext = { provider: "openai", model: "gpt-4o-mini" }
const mapError = (error: unknown): LLMError =>
  new NetworkError({ provider: "openai", model: "gpt-4o-mini", message: `mapped: ${String(error)}` })

const usage = { inputTokens: 1, outputTokens: 1, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 }

/** Chunk "start" opens call c1; any other chunk is a piece of its arguments ("" a keep-alive piece). */
const decoder = (): StreamDecoder<string> => ({
  onChunk: (chunk) =>
    chunk === "start"
      ? [{ _tag: "ToolCallStart", id: "c1", name: "lookup" }]
      : [{ _tag: "ToolCallDelta", id: "c1", argumentsDelta: chunk }],
  onEnd: () => ({ _tag: "ProviderFinish", finishReason: "tool-calls", model: "m", usage })
})

/** An SDK stream yielding these chunks in one burst (no I/O between them). */
const burst =
  (chunks: ReadonlyArray<string>) =>
  async (_call: AbortController): Promise<AsyncIterable<string>> =>
    (async function* () {
      yield* chunks
    })()

const shape = (chunk: ReadonlyArray<ProviderStreamEvent>) =>
  chunk.map((e) => (e._tag === "ToolCallDelta" ? e.argumentsDelta : e._tag))

const pieces = Array.from({ length: 50 }, (_, i) => `p${i}`)

describe("streamSdk with tool calls", () => {
  it.live("hands the call's start over on its own, then its first arguments, then the rest of the burst", () =>
    Effect.gen(function* () {
      const chunks = yield* Stream.runCollect(
        Stream.chunks(streamSdk(ctx, burst(["start", ...pieces]), mapError, decoder))
      )
      expect(shape(chunks[0]!)).toEqual(["ToolCallStart"])
      expect(shape(chunks[1]!)).toEqual(["p0"])
      // The other 49 pieces and the finish: whatever arrived together travels together.
      expect(chunks.length).toBeLessThanOrEqual(4)
      expect(
        chunks
          .flat()
          .map((e) => e._tag)
          .at(-1)
      ).toBe("ProviderFinish")
      expect(chunks.flat().filter((e) => e._tag === "ToolCallDelta")).toHaveLength(50)
    })
  )

  it.live("an empty arguments piece is not the first arguments: the hurry lasts until a real one", () =>
    Effect.gen(function* () {
      const chunks = yield* Stream.runCollect(
        Stream.chunks(streamSdk(ctx, burst(["start", "", "p0", ...pieces.slice(1)]), mapError, decoder))
      )
      expect(shape(chunks[0]!)).toEqual(["ToolCallStart"])
      // The empty piece waits with the first real one, which is handed over at once.
      expect(shape(chunks[1]!)).toEqual(["", "p0"])
      expect(chunks.length).toBeLessThanOrEqual(4)
    })
  )
})
