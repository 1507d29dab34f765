/**
 * `streamSdk`, the plumbing every provider stream runs on, driven by a scripted async iterable instead
 * of an SDK: how events are handed over (first text at once, a burst as one chunk), when the request is
 * aborted (the consumer left before the end: yes; the SDK read it to the end: no), and what an SDK that
 * throws before returning its promise becomes.
 */
import { describe, expect, it } from "@effect/vitest"
import { type LLMError, NetworkError, type ProviderStreamEvent } from "@llm-orchestrator/core"
import { Cause, Effect, type Exit, Stream } from "effect"
import { type CallContext, maxBufferedEvents, type StreamDecoder, streamSdk } from "../../src/kit/call.ts"

const ctx: CallContext = { provider: "openai", model: "gpt-4o-mini" }
const mapError = (error: unknown): LLMError =>
  new NetworkError({ provider: "openai", model: "gpt-4o-mini", message: `mapped: ${String(error)}` })

/** One text delta per chunk; the finish names how many chunks were decoded. */
const decoder = (): StreamDecoder<string> => {
  let seen = 0
  return {
    onChunk: (chunk) => {
      seen++
      return [{ _tag: "TextDelta", text: chunk }]
    },
    onEnd: () => ({
      _tag: "ProviderFinish",
      finishReason: "stop",
      model: `decoded ${seen}`,
      usage: { inputTokens: 1, outputTokens: seen, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 }
    })
  }
}

/** An SDK stream that yields `count` chunks in one burst (no I/O between them), recording its signal. */
const burst = (count: number) => {
  const seen: { signal?: AbortSignal } = {}
  const open = async (signal: AbortSignal): Promise<AsyncIterable<string>> => {
    seen.signal = signal
    return (async function* () {
      for (let i = 0; i < count; i++) yield `w${i} `
    })()
  }
  return { seen, open }
}

const texts = (events: ReadonlyArray<ProviderStreamEvent>) =>
  events.flatMap((event) => (event._tag === "TextDelta" ? [event.text] : []))

describe("streamSdk", () => {
  it.live("hands the first text over on its own, then the rest of a burst as one chunk", () =>
    Effect.gen(function* () {
      const { seen, open } = burst(100)
      const chunks = yield* Stream.runCollect(Stream.chunks(streamSdk(ctx, open, mapError, decoder)))
      expect(chunks[0]!.map((e) => e._tag)).toEqual(["TextDelta"])
      // The other 99 deltas and the finish: whatever arrived together travels together.
      expect(chunks.length).toBeLessThanOrEqual(3)
      const events = chunks.flat()
      expect(texts(events)).toEqual(Array.from({ length: 100 }, (_, i) => `w${i} `))
      expect(events.at(-1)).toMatchObject({ _tag: "ProviderFinish", model: "decoded 100" })
      // Read to the end by the SDK: nothing to abort (an abort would only cost an exception and events).
      expect(seen.signal!.aborted).toBe(false)
    })
  )

  it.live("aborts the request when the consumer stops before the end, and ignores what comes after", () =>
    Effect.gen(function* () {
      let signal: AbortSignal | undefined
      let yielded = 0
      // Chunks one event-loop turn apart, like a network stream; this one ignores the abort.
      const open = async (s: AbortSignal): Promise<AsyncIterable<string>> => {
        signal = s
        return (async function* () {
          for (let i = 0; i < 50; i++) {
            await new Promise((resolve) => setImmediate(resolve))
            yielded++
            yield `w${i} `
          }
        })()
      }
      const first = yield* Stream.runCollect(Stream.take(streamSdk(ctx, open, mapError, decoder), 2))
      expect(texts(first)).toEqual(["w0 ", "w1 "])
      expect(signal!.aborted).toBe(true)
      // It keeps yielding into a closed feed: no error, no hang.
      const before = yielded
      yield* Effect.sleep("20 millis")
      expect(yielded).toBeGreaterThan(before)
    })
  )

  it.live("an SDK that throws instead of returning its promise fails the stream with the mapped error", () =>
    Effect.gen(function* () {
      const open = (): Promise<AsyncIterable<string>> => {
        throw new Error("bad arguments")
      }
      const error = yield* Stream.runCollect(streamSdk(ctx, open, mapError, decoder)).pipe(Effect.flip)
      expect(error).toMatchObject({ _tag: "NetworkError", message: "mapped: Error: bad arguments" })
    })
  )

  it.live("an SDK iterator that fails after some text fails the stream after delivering that text", () =>
    Effect.gen(function* () {
      const open = async (): Promise<AsyncIterable<string>> =>
        (async function* () {
          yield "one "
          yield "two "
          throw new Error("connection reset")
        })()
      const delivered: Array<string> = []
      const error = yield* Stream.runForEach(streamSdk(ctx, open, mapError, decoder), (event) =>
        Effect.sync(() => {
          if (event._tag === "TextDelta") delivered.push(event.text)
        })
      ).pipe(Effect.flip)
      expect(delivered).toEqual(["one ", "two "])
      expect(error.message).toBe("mapped: Error: connection reset")
    })
  )

  describe("timeouts and backpressure", () => {
    /** Chunks `gapMs` apart (real timers, like a network stream); "" is an empty delta. */
    const paced = (chunks: ReadonlyArray<string>, gapMs: number) => {
      const seen: { signal?: AbortSignal } = {}
      const open = async (signal: AbortSignal): Promise<AsyncIterable<string>> => {
        seen.signal = signal
        return (async function* () {
          for (const chunk of chunks) {
            await new Promise<void>((resolve, reject) => {
              const timer = setTimeout(resolve, gapMs)
              signal.addEventListener("abort", () => {
                clearTimeout(timer)
                reject(new Error("aborted"))
              })
            })
            yield chunk
          }
        })()
      }
      return { seen, open }
    }
    /** Empty deltas decode to a `TextDelta` with "" (as some SDK chunks do), not to nothing. */
    const run = (timeouts: Partial<CallContext>, chunks: ReadonlyArray<string>, gapMs: number) => {
      const { seen, open } = paced(chunks, gapMs)
      const delivered: Array<string> = []
      return Effect.map(
        Effect.exit(
          Stream.runForEach(streamSdk({ ...ctx, ...timeouts }, open, mapError, decoder), (event) =>
            Effect.sync(() => {
              if (event._tag === "TextDelta" && event.text !== "") delivered.push(event.text)
            })
          )
        ),
        (exit) => ({ exit, delivered, signal: seen.signal! })
      )
    }

    it.live("text every 30 ms for 900 ms with a 300 ms idle timeout completes: each text restarts the timer", () =>
      Effect.gen(function* () {
        const words = Array.from({ length: 30 }, (_, i) => `w${i} `)
        const { exit, delivered } = yield* run({ timeoutMs: 300, idleTimeoutMs: 300 }, words, 30)
        expect(exit._tag).toBe("Success")
        expect(delivered).toEqual(words)
      })
    )

    it.live("empty deltas are no progress: before any text the attempt timeout ends the stream", () =>
      Effect.gen(function* () {
        const { exit, delivered, signal } = yield* run({ timeoutMs: 150, idleTimeoutMs: 150 }, Array(40).fill(""), 30)
        expect(delivered).toEqual([])
        expect(exit).toMatchObject({ _tag: "Failure" })
        const error = Cause.squash((exit as Exit.Failure<void, LLMError>).cause) as LLMError
        expect(error).toMatchObject({ _tag: "TimeoutError", timeoutMs: 150 })
        expect(error.message).toContain("providers.openai.timeout")
        expect(signal.aborted).toBe(true)
      })
    )

    it.live("empty deltas are no progress: after the first text the idle timeout ends the stream", () =>
      Effect.gen(function* () {
        const { exit, delivered } = yield* run(
          { timeoutMs: 5000, idleTimeoutMs: 150 },
          ["first ", ...Array(40).fill("")],
          30
        )
        expect(delivered).toEqual(["first "])
        const error = Cause.squash((exit as Exit.Failure<void, LLMError>).cause) as LLMError
        expect(error).toMatchObject({ _tag: "TimeoutError", timeoutMs: 150 })
        expect(error.message).toContain("providers.openai.idle_timeout")
      })
    )

    it.live("a slow consumer of 100,000 chunks: the SDK is read at most a bounded number of events ahead", () =>
      Effect.gen(function* () {
        const total = 100_000
        let yielded = 0
        let consumed = 0
        let maxAhead = 0
        const open = async (): Promise<AsyncIterable<string>> =>
          (async function* () {
            for (let i = 0; i < total; i++) {
              yielded++
              yield "x"
            }
          })()
        yield* Stream.runForEach(streamSdk(ctx, open, mapError, decoder), (event) => {
          if (event._tag !== "TextDelta") return Effect.void
          consumed++
          maxAhead = Math.max(maxAhead, yielded - consumed)
          // Slow: a real timer turn every 500 events (about 200 of them).
          return consumed % 500 === 0 ? Effect.sleep("1 millis") : Effect.void
        })
        expect(consumed).toBe(total)
        // What the feed buffers, plus the chunk the consumer is working through, plus one in the SDK's hands.
        expect(maxAhead).toBeLessThanOrEqual(2 * maxBufferedEvents + 1)
      })
    )

    it.live("while the consumer is behind the idle timer is paused: a slow consumer is not a stalled provider", () =>
      Effect.gen(function* () {
        const open = async (): Promise<AsyncIterable<string>> =>
          (async function* () {
            for (let i = 0; i < 3 * maxBufferedEvents; i++) yield "x"
          })()
        let consumed = 0
        yield* Stream.runForEach(
          streamSdk({ ...ctx, timeoutMs: 100, idleTimeoutMs: 100 }, open, mapError, decoder),
          (event) => {
            if (event._tag !== "TextDelta") return Effect.void
            consumed++
            // Twice the idle timeout per 1,000 events, while the SDK has everything ready.
            return consumed % 1000 === 0 ? Effect.sleep("200 millis") : Effect.void
          }
        )
        expect(consumed).toBe(3 * maxBufferedEvents)
      })
    )
  })
})
