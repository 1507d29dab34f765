/**
 * The request's deadline as the kit's calls honour it (`CallDeadline`): one timer for whichever comes
 * first, the per-attempt timeout or the deadline; the deadline's own error when it is the one that
 * fires; for a stream only until its first text. Driven by scripted promises and iterables.
 */
import { describe, expect, it } from "@effect/vitest"
import { type CallDeadline, type LLMError, NetworkError, TimeoutError } from "@llm-orchestrator/core"
import { Effect, Stream } from "effect"
import { type CallContext, callSdk, type StreamDecoder, streamSdk } from "../../src/kit/call.ts"

const ctx: CallContext = { provider: "openai", model: "gpt-4o-mini" }
const mapError = (error: unknown): LLMError =>
  new NetworkError({ provider: "openai", model: "gpt-4o-mini", message: `mapped: ${String(error)}` })

/** A deadline `inMs` from now whose error is a recognisable TimeoutError; counts how often it was asked for. */
const deadlineIn = (inMs: number) => {
  const error = new TimeoutError({
    provider: "openai",
    model: "gpt-4o-mini",
    timeoutMs: inMs,
    message: "the request's deadline passed"
  })
  const deadline = {
    at: Date.now() + inMs,
    expiredCalls: 0,
    expired: () => {
      deadline.expiredCalls++
      return error
    }
  }
  return { deadline: deadline as CallDeadline & { readonly expiredCalls: number }, error }
}

/** An SDK call that answers `value` after `ms`, or rejects at once when aborted; records its signal. */
const answerAfter = <A>(ms: number, value: A) => {
  const seen: { signal?: AbortSignal } = {}
  const run = ({ signal }: AbortController): Promise<A> =>
    new Promise((resolve, reject) => {
      seen.signal = signal
      const timer = setTimeout(() => resolve(value), ms)
      signal.addEventListener("abort", () => {
        clearTimeout(timer)
        reject(new Error("aborted"))
      })
    })
  return { seen, run }
}

describe("callSdk under a request deadline", () => {
  it.live("a deadline sooner than the per-attempt timeout aborts the call and fails with the deadline's error", () =>
    Effect.gen(function* () {
      const { deadline, error } = deadlineIn(30)
      const call = answerAfter(5_000, "never")
      const failure = yield* Effect.flip(callSdk({ ...ctx, timeoutMs: 10_000, deadline }, call.run, mapError))
      expect(failure).toBe(error)
      expect(call.seen.signal!.aborted).toBe(true)
      expect(deadline.expiredCalls).toBe(1)
    })
  )

  it.live("with no per-attempt timeout at all, the deadline still bounds the call", () =>
    Effect.gen(function* () {
      const { deadline, error } = deadlineIn(30)
      const call = answerAfter(5_000, "never")
      expect(yield* Effect.flip(callSdk({ ...ctx, deadline }, call.run, mapError))).toBe(error)
      expect(call.seen.signal!.aborted).toBe(true)
    })
  )

  it.live("a per-attempt timeout sooner than the deadline fails with its own TimeoutError, naming its key", () =>
    Effect.gen(function* () {
      const { deadline } = deadlineIn(10_000)
      const call = answerAfter(5_000, "never")
      const failure = yield* Effect.flip(callSdk({ ...ctx, timeoutMs: 30, deadline }, call.run, mapError))
      expect(failure).toMatchObject({ _tag: "TimeoutError", timeoutMs: 30 })
      expect(failure.message).toContain("(providers.openai.timeout)")
      expect(deadline.expiredCalls).toBe(0)
    })
  )

  it.live("a deadline already passed cuts the call at once", () =>
    Effect.gen(function* () {
      const { deadline, error } = deadlineIn(-1_000)
      const call = answerAfter(5_000, "never")
      expect(yield* Effect.flip(callSdk({ ...ctx, timeoutMs: 10_000, deadline }, call.run, mapError))).toBe(error)
    })
  )

  it.live("a call that answers before both keeps its value", () =>
    Effect.gen(function* () {
      const { deadline } = deadlineIn(10_000)
      const call = answerAfter(5, "answer")
      expect(yield* callSdk({ ...ctx, timeoutMs: 20_000, deadline }, call.run, mapError)).toBe("answer")
      expect(call.seen.signal!.aborted).toBe(false)
      expect(deadline.expiredCalls).toBe(0)
    })
  )

  it.live("an SDK error before the deadline is the SDK's, mapped", () =>
    Effect.gen(function* () {
      const { deadline } = deadlineIn(10_000)
      const failure = yield* Effect.flip(
        callSdk({ ...ctx, deadline }, () => Promise.reject(new Error("503")), mapError)
      )
      expect(failure.message).toBe("mapped: Error: 503")
      expect(deadline.expiredCalls).toBe(0)
    })
  )
})

/** One text delta per chunk; the finish at the end. */
const decoder = (): StreamDecoder<string> => ({
  onChunk: (chunk) => [{ _tag: "TextDelta", text: chunk }],
  onEnd: () => ({
    _tag: "ProviderFinish",
    finishReason: "stop",
    model: "gpt-4o-mini",
    usage: { inputTokens: 1, outputTokens: 1, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 }
  })
})

/** An SDK stream that waits `firstMs` before its first chunk, then sends the rest `everyMs` apart. */
const slowStream = (chunks: ReadonlyArray<string>, firstMs: number, everyMs: number) => {
  const seen: { signal?: AbortSignal } = {}
  const open = async ({ signal }: AbortController): Promise<AsyncIterable<string>> => {
    seen.signal = signal
    const wait = (ms: number) =>
      new Promise<void>((resolve, reject) => {
        const timer = setTimeout(resolve, ms)
        signal.addEventListener("abort", () => {
          clearTimeout(timer)
          reject(new Error("aborted"))
        })
      })
    return (async function* () {
      for (const [i, chunk] of chunks.entries()) {
        await wait(i === 0 ? firstMs : everyMs)
        yield chunk
      }
    })()
  }
  return { seen, open }
}

describe("streamSdk under a request deadline", () => {
  it.live("no text by the deadline: the request is aborted and the stream fails with the deadline's error", () =>
    Effect.gen(function* () {
      const { deadline, error } = deadlineIn(40)
      const sdk = slowStream(["late"], 5_000, 0)
      const failure = yield* Effect.flip(
        Stream.runCollect(streamSdk({ ...ctx, timeoutMs: 10_000, deadline }, sdk.open, mapError, decoder))
      )
      expect(failure).toBe(error)
      expect(sdk.seen.signal!.aborted).toBe(true)
    })
  )

  it.live("a per-attempt timeout sooner than the deadline is the stream's own 'sent no text' error", () =>
    Effect.gen(function* () {
      const { deadline } = deadlineIn(10_000)
      const sdk = slowStream(["late"], 5_000, 0)
      const failure = yield* Effect.flip(
        Stream.runCollect(streamSdk({ ...ctx, timeoutMs: 40, deadline }, sdk.open, mapError, decoder))
      )
      expect(failure.message).toBe(
        "openai model gpt-4o-mini sent no text within 40 ms (providers.openai.timeout); raise providers.openai.timeout if this model is that slow, or set it to none"
      )
      expect(deadline.expiredCalls).toBe(0)
    })
  )

  it.live("once text has come the deadline no longer applies: a stream that keeps flowing runs past it", () =>
    Effect.gen(function* () {
      const { deadline } = deadlineIn(60)
      const sdk = slowStream(["a ", "b ", "c ", "d ", "e "], 0, 40)
      const events = yield* Stream.runCollect(streamSdk({ ...ctx, deadline }, sdk.open, mapError, decoder))
      expect(events.flatMap((e) => (e._tag === "TextDelta" ? [e.text] : []))).toEqual(["a ", "b ", "c ", "d ", "e "])
      expect(deadline.expiredCalls).toBe(0)
    })
  )

  it.live("after the first text the idle timeout, not the deadline, bounds each wait", () =>
    Effect.gen(function* () {
      const { deadline } = deadlineIn(10_000)
      const sdk = slowStream(["a ", "b "], 0, 5_000)
      const failure = yield* Effect.flip(
        Stream.runCollect(streamSdk({ ...ctx, idleTimeoutMs: 40, deadline }, sdk.open, mapError, decoder))
      )
      expect(failure.message).toContain("stalled mid-stream: no text for 40 ms (providers.openai.idle_timeout)")
      expect(deadline.expiredCalls).toBe(0)
    })
  )
})
