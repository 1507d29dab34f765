/**
 * `streamSdk`, the plumbing every provider stream runs on, driven by a scripted async iterable instead
 * of an SDK: how events are handed over (first text at once, a burst as one chunk), when the request is
 * aborted (the consumer left before the end: yes; the SDK read it to the end: no), and what an SDK that
 * throws before returning its promise becomes.
 */
import { describe, expect, it } from "@effect/vitest"
import { type LLMError, NetworkError, type ProviderStreamEvent } from "@llm-orchestrator/core"
import { Cause, Effect, type Exit, Stream } from "effect"
import { type CallContext, maxBufferedEvents, type StreamDecoder, streamCut, streamSdk } from "../../src/kit/call.ts"

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
  const open = async ({ signal }: AbortController): Promise<AsyncIterable<string>> => {
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
      const open = async ({ signal: s }: AbortController): Promise<AsyncIterable<string>> => {
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
      const open = async ({ signal }: AbortController): Promise<AsyncIterable<string>> => {
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

    it.live("texts 740 ms apart with an 800 ms idle timeout complete: no stall is called before the idle timeout", () =>
      Effect.gen(function* () {
        // The timer watches the idle timeout in eighths (100 ms here): a gap of seven and a half of them
        // is no stall, however the gap falls across them.
        const words = ["a ", "b ", "c ", "d "]
        const { exit, delivered } = yield* run({ timeoutMs: 5000, idleTimeoutMs: 800 }, words, 740)
        expect(exit._tag).toBe("Success")
        expect(delivered).toEqual(words)
      })
    )

    /**
     * `texts` 10 ms apart (from the first), then silence until aborted, with a 1,600 ms idle timeout
     * (watched in eighths of 200 ms from the first text): how long after the last text the stream
     * failed, and with what.
     */
    const quietAfterLastText = (texts: ReadonlyArray<string>) =>
      Effect.gen(function* () {
        const open = async ({ signal }: AbortController): Promise<AsyncIterable<string>> =>
          (async function* () {
            for (const [index, text] of texts.entries()) {
              if (index > 0) await new Promise((resolve) => setTimeout(resolve, 10))
              yield text
            }
            await new Promise((_, reject) => signal.addEventListener("abort", () => reject(new Error("aborted"))))
          })()
        let lastTextAt = 0
        const exit = yield* Effect.exit(
          Stream.runForEach(
            streamSdk({ ...ctx, timeoutMs: 5000, idleTimeoutMs: 1600 }, open, mapError, decoder),
            (event) =>
              Effect.sync(() => {
                if (event._tag === "TextDelta") lastTextAt = performance.now()
              })
          )
        )
        const quietMs = performance.now() - lastTextAt
        expect(exit._tag).toBe("Failure")
        expect(Cause.squash((exit as Exit.Failure<void, LLMError>).cause)).toMatchObject({
          _tag: "TimeoutError",
          timeoutMs: 1600
        })
        return quietMs
      })

    it.live("one text, then silence: the stall is called the idle timeout after it, not a window later", () =>
      Effect.gen(function* () {
        const quietMs = yield* quietAfterLastText(["only "])
        // Eight quiet windows from the text: 1,600 ms. A ninth window, or the text counted as seen in
        // the first window after it, would make it 1,800.
        expect(quietMs).toBeGreaterThanOrEqual(1590)
        expect(quietMs).toBeLessThan(1750)
      })
    )

    it.live("the idle timeout ends a stream its length after the last text, not after the first", () =>
      Effect.gen(function* () {
        // The second text falls in the first window, so the eight quiet ones follow it: 1,790 ms after
        // it. A timer blind to later texts ends it 1,590 ms after the second (1,600 after the first); a
        // ninth quiet window, 1,990.
        const quietMs = yield* quietAfterLastText(["first ", "second "])
        expect(quietMs).toBeGreaterThanOrEqual(1650)
        expect(quietMs).toBeLessThan(1900)
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

    it.live("before any text only the attempt timeout applies, however long the idle timeout", () =>
      Effect.gen(function* () {
        const { exit, delivered } = yield* run({ timeoutMs: 150, idleTimeoutMs: 3_600_000 }, Array(40).fill(""), 30)
        expect(delivered).toEqual([])
        const error = Cause.squash((exit as Exit.Failure<void, LLMError>).cause) as LLMError
        expect(error).toMatchObject({ _tag: "TimeoutError", timeoutMs: 150 })
        expect(error.message).toContain("sent no text within")
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

  describe("hand-over, timers and the end of the feed, rule by rule", () => {
    /**
     * An SDK stream that yields `chunks` with no I/O between them, then (with `hang`) waits until it
     * is aborted. It ignores the abort while it has chunks left, as a parser draining its buffer does.
     */
    const scripted = (chunks: ReadonlyArray<string>, hang = false) => {
      const state = { yielded: 0, finished: false, signal: undefined as AbortSignal | undefined }
      const open = async ({ signal }: AbortController): Promise<AsyncIterable<string>> => {
        state.signal = signal
        return (async function* () {
          try {
            for (const chunk of chunks) {
              state.yielded++
              yield chunk
            }
            if (hang)
              await new Promise((_, reject) => signal.addEventListener("abort", () => reject(new Error("aborted"))))
          } finally {
            state.finished = true
          }
        })()
      }
      return { state, open }
    }
    const failure = (exit: Exit.Exit<unknown, LLMError>) =>
      exit._tag === "Failure" ? (Cause.squash(exit.cause) as LLMError) : undefined
    /** Waits (real time, at most `ms`) until `done()`; the test then asserts what it found. */
    const until = (done: () => boolean, ms = 2000) =>
      Effect.promise(async () => {
        const deadline = Date.now() + ms
        while (!done() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5))
      })
    const many = (n: number) => Array.from({ length: n }, (_, i) => `w${i} `)
    /** A consumer that takes `ms` over the first event it is handed, and no time over the rest. */
    const slowOnFirst = (ms: number) => {
      let first = true
      return () => {
        if (!first) return Effect.void
        first = false
        return Effect.sleep(`${ms} millis`)
      }
    }
    /** How a stream under `timeouts` ends for `consumer` (bounded: a hang fails the test, not the run). */
    const endOf = (
      timeouts: Partial<CallContext>,
      open: (call: AbortController) => Promise<AsyncIterable<string>>,
      consumer: () => Effect.Effect<void>
    ) =>
      Effect.exit(Stream.runForEach(streamSdk({ ...ctx, ...timeouts }, open, mapError, decoder), consumer)).pipe(
        Effect.timeout("3 seconds")
      )

    it.live(
      "the first text is handed over at once even with other events in its chunk; an empty delta alone is not text",
      () =>
        Effect.gen(function* () {
          const withEmptyFirst: () => StreamDecoder<string> = () => {
            const inner = decoder()
            return {
              onChunk: (chunk) => [{ _tag: "TextDelta", text: "" }, ...inner.onChunk(chunk)],
              onEnd: inner.onEnd
            }
          }
          const { open } = scripted(many(50))
          const chunks = yield* Stream.runCollect(Stream.chunks(streamSdk(ctx, open, mapError, withEmptyFirst)))
          expect(chunks[0]!.map((e) => (e._tag === "TextDelta" ? e.text : e._tag))).toEqual(["", "w0 "])

          // An empty delta first: nothing to hurry for, so it waits for the rest of the burst.
          const emptyFirst = scripted(["", ...many(50)])
          const later = yield* Stream.runCollect(Stream.chunks(streamSdk(ctx, emptyFirst.open, mapError, decoder)))
          expect(texts(later[0]!)).toContain("w0 ")
        })
    )

    it.live("a consumer that does not take: the SDK is read exactly the buffer's size ahead", () =>
      Effect.gen(function* () {
        const { state, open } = scripted(many(3 * maxBufferedEvents))
        let ahead = -1
        yield* Stream.runForEach(streamSdk(ctx, open, mapError, decoder), () =>
          ahead === -1
            ? Effect.andThen(
                Effect.sleep("50 millis"),
                Effect.sync(() => {
                  ahead = state.yielded
                })
              )
            : Effect.void
        )
        // The first text went to the consumer, then the feed filled up and reading stopped.
        expect(ahead).toBe(1 + maxBufferedEvents)
      })
    )

    it.live("without timeouts, or with no idle timeout, a slow stream is waited for", () =>
      Effect.gen(function* () {
        const paced = (timeouts: Partial<CallContext>) => {
          const open = async ({ signal }: AbortController): Promise<AsyncIterable<string>> =>
            (async function* () {
              for (const word of many(4)) {
                await new Promise((resolve) => setTimeout(resolve, 25))
                if (signal.aborted) throw new Error("aborted")
                yield word
              }
            })()
          return Effect.exit(Stream.runDrain(streamSdk({ ...ctx, ...timeouts }, open, mapError, decoder)))
        }
        expect((yield* paced({}))._tag).toBe("Success")
        expect((yield* paced({ idleTimeoutMs: 1000 }))._tag).toBe("Success")
        expect((yield* paced({ timeoutMs: 1000 }))._tag).toBe("Success")
      })
    )

    it.live("with no idle timeout, a consumer that falls behind and catches up again is no stall", () =>
      Effect.gen(function* () {
        const { open } = scripted(many(3 * maxBufferedEvents))
        let consumed = 0
        yield* Stream.runForEach(streamSdk({ ...ctx, timeoutMs: 1000 }, open, mapError, decoder), (event) => {
          if (event._tag !== "TextDelta") return Effect.void
          consumed++
          return consumed === 1 ? Effect.sleep("20 millis") : Effect.void
        })
        expect(consumed).toBe(3 * maxBufferedEvents)
      })
    )

    it.live("usage snapshots are no progress: after the first text only text restarts the idle timer", () =>
      Effect.gen(function* () {
        const usage = { inputTokens: 1, outputTokens: 1, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 }
        const withUsage: () => StreamDecoder<string> = () => {
          const inner = decoder()
          return {
            onChunk: (chunk) => (chunk === "usage" ? [{ _tag: "UsageSnapshot", usage }] : inner.onChunk(chunk)),
            onEnd: inner.onEnd
          }
        }
        const open = async ({ signal }: AbortController): Promise<AsyncIterable<string>> =>
          (async function* () {
            yield "first "
            for (let i = 0; i < 40; i++) {
              await new Promise((resolve) => setTimeout(resolve, 30))
              if (signal.aborted) throw new Error("aborted")
              yield "usage"
            }
          })()
        const error = yield* Effect.flip(
          Stream.runDrain(streamSdk({ ...ctx, timeoutMs: 5000, idleTimeoutMs: 150 }, open, mapError, withUsage))
        )
        expect(error).toMatchObject({ _tag: "TimeoutError", timeoutMs: 150 })
      })
    )
    it.live("a provider that stalls after the consumer caught up is still caught by the idle timeout", () =>
      Effect.gen(function* () {
        const { open } = scripted(many(2 * maxBufferedEvents), true)
        // Longer than the idle timeout, while the feed is full: our silence, not the provider's.
        const exit = yield* endOf({ timeoutMs: 5000, idleTimeoutMs: 100 }, open, slowOnFirst(150))
        expect(failure(exit)).toMatchObject({ _tag: "TimeoutError", timeoutMs: 100 })
        expect(failure(exit)!.message).toContain("stalled mid-stream")
      })
    )

    it.live("a full buffer of non-text events before any text does not stop the attempt timeout", () =>
      Effect.gen(function* () {
        const { open } = scripted(Array(maxBufferedEvents + 10).fill(""), true)
        const exit = yield* endOf({ timeoutMs: 100, idleTimeoutMs: 100 }, open, slowOnFirst(20))
        expect(failure(exit)).toMatchObject({ _tag: "TimeoutError", timeoutMs: 100 })
        expect(failure(exit)!.message).toContain("sent no text within")

        // And the idle timeout does not start early: text 100 ms in is within the 300 ms attempt timeout.
        const late = async (): Promise<AsyncIterable<string>> =>
          (async function* () {
            for (let i = 0; i < maxBufferedEvents + 10; i++) yield ""
            await new Promise((resolve) => setTimeout(resolve, 100))
            yield "finally "
          })()
        const delivered: Array<string> = []
        yield* Stream.runForEach(
          streamSdk({ ...ctx, timeoutMs: 300, idleTimeoutMs: 30 }, late, mapError, decoder),
          (event) =>
            event._tag === "TextDelta" && event.text !== ""
              ? Effect.sync(() => delivered.push(event.text))
              : Effect.sleep("1 millis")
        )
        expect(delivered).toEqual(["finally "])
      })
    )

    it.live(
      "a consumer that leaves while the reader waits for space releases it: the SDK iterator runs to its end",
      () =>
        Effect.gen(function* () {
          const { state, open } = scripted(many(4 * maxBufferedEvents))
          // Slow over both events taken, so the reader has filled the feed again when the consumer leaves.
          const taken = yield* Stream.runCollect(
            Stream.take(
              Stream.tap(streamSdk(ctx, open, mapError, decoder), () => Effect.sleep("20 millis")),
              2
            )
          )
          expect(texts(taken)).toEqual(["w0 ", "w1 "])
          expect(state.signal!.aborted).toBe(true)
          // What the SDK still yields goes nowhere, and nothing waits for a consumer that has gone.
          yield* until(() => state.finished)
          // More than a full buffer was left after the consumer went: a closed feed takes no more.
          expect(state.yielded).toBe(4 * maxBufferedEvents)
        })
    )

    it.live("no timer outlives the SDK: a request read to its end is not aborted while the consumer finishes", () =>
      Effect.gen(function* () {
        const { state, open } = scripted(many(5))
        let abortedWhileFinishing: boolean | undefined
        yield* Stream.runForEach(
          streamSdk({ ...ctx, timeoutMs: 30, idleTimeoutMs: 30 }, open, mapError, decoder),
          (event) =>
            event._tag === "ProviderFinish"
              ? // The SDK is done; a consumer slower than the idle timeout over the last event is no stall.
                Effect.andThen(
                  Effect.sleep("80 millis"),
                  Effect.sync(() => {
                    abortedWhileFinishing = state.signal!.aborted
                  })
                )
              : Effect.void
        )
        expect(abortedWhileFinishing).toBe(false)
      })
    )

    it.live("a stream's timers never keep the process alive", () =>
      Effect.gen(function* () {
        const pendingTimers = () => process.getActiveResourcesInfo().filter((kind) => kind === "Timeout").length
        const before = pendingTimers()
        let during = -1
        const { open } = scripted(many(3))
        yield* Stream.runForEach(
          streamSdk({ ...ctx, timeoutMs: 60_000, idleTimeoutMs: 60_000 }, open, mapError, decoder),
          () =>
            Effect.sync(() => {
              during = Math.max(during, pendingTimers())
            })
        )
        expect(during).toBe(before)
      })
    )

    it.live("the end reaches a waiting consumer as the end, never as an empty chunk", () =>
      Effect.gen(function* () {
        const cut: () => StreamDecoder<string> = () => ({
          onChunk: (chunk) => [{ _tag: "TextDelta", text: chunk }],
          onEnd: () => streamCut("message_stop", "req_9")
        })
        const open = async (): Promise<AsyncIterable<string>> =>
          (async function* () {
            yield "partial "
            await new Promise((resolve) => setTimeout(resolve, 20))
          })()
        const sizes: Array<number> = []
        const error = yield* Effect.flip(
          Stream.runForEach(Stream.chunks(streamSdk(ctx, open, mapError, cut)), (chunk) =>
            Effect.sync(() => {
              sizes.push(chunk.length)
            })
          )
        )
        expect(sizes).toEqual([1])
        expect(error).toMatchObject({ _tag: "NetworkError", requestId: "req_9" })
        expect(error.message).toBe(
          "openai model gpt-4o-mini: the stream ended before message_stop; the connection was probably cut"
        )
      })
    )
  })
})
