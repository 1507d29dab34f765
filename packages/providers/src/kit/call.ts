/**
 * What every provider adapter needs around an SDK call, written once: the Effect interruption signal
 * passed to the SDK (so interrupting aborts the HTTP request), the per-attempt timeout, turning an SDK
 * async iterable into a `Stream` whose scope aborts the request, and capped paginated listings.
 */
import {
  type CallDeadline,
  type LLMError,
  NetworkError,
  optionalField,
  type ProviderFinish,
  type ProviderId,
  type ProviderStreamEvent,
  ProviderUnavailableError,
  TimeoutError
} from "@llm-orchestrator/core"
import { Cause, Channel, Effect, Scope, Stream } from "effect"
import type { NonEmptyReadonlyArray } from "effect/Array"

/** Which call an error belongs to, and the timeouts it runs under (`resolveAttemptTimeouts`). */
export interface CallContext {
  readonly provider: ProviderId
  readonly model: string
  /** Per-attempt timeout: a whole call, or a stream until its first text; none when undefined. */
  readonly timeoutMs?: number | undefined
  /** Streams: once text has begun, the longest wait for more text or the end; none when undefined. */
  readonly idleTimeoutMs?: number | undefined
  /** The request's deadline (the orchestrator's), when sooner than `timeoutMs` the limit that applies. */
  readonly deadline?: CallDeadline | undefined
}

/**
 * The one limit on a call (a stream: until its first text): the per-attempt timeout or the request's
 * deadline, whichever comes first; `ms` undefined when there is none.
 */
const firstLimit = (ctx: CallContext): { readonly ms: number | undefined; readonly byDeadline: boolean } => {
  const deadline = ctx.deadline
  if (deadline === undefined) return { ms: ctx.timeoutMs, byDeadline: false }
  const remainingMs = Math.max(0, deadline.at - Date.now())
  return ctx.timeoutMs !== undefined && ctx.timeoutMs <= remainingMs
    ? { ms: ctx.timeoutMs, byDeadline: false }
    : { ms: remainingMs, byDeadline: true }
}

/**
 * The timeout handed to an SDK that has one of its own (ours is at most as long, so ours fires
 * first): the longest a Node timer can wait when ours is turned off, since an SDK's cannot be.
 */
export const sdkTimeoutMs = (timeoutMs: number | undefined): number => timeoutMs ?? 2_147_483_647

/** The `TimeoutError` of the per-attempt timeout (`idle`: of the stream idle timeout), naming the key to change. */
const timeoutError = (ctx: CallContext, what: string, idle = false): TimeoutError => {
  const ms = idle ? ctx.idleTimeoutMs! : ctx.timeoutMs!
  const key = `providers.${ctx.provider}.${idle ? "idle_timeout" : "timeout"}`
  return new TimeoutError({
    provider: ctx.provider,
    model: ctx.model,
    timeoutMs: ms,
    message: `${ctx.provider} model ${ctx.model} ${what} ${ms} ms (${key}); raise ${key} if this model is that slow, or set it to none`
  })
}

/**
 * Runs one SDK promise with an abort controller of its own (`run` hands it to the SDK: its signal, or
 * `abortableBy` for an SDK on our transport): interrupting the fiber aborts it, and so does
 * the per-attempt timeout or the request's deadline (a timer; every SDK here rejects at once when
 * aborted). One controller and at most one timer per call: no fiber race, and no second controller
 * linked to the fiber's.
 */
export const callSdk = <A>(
  ctx: CallContext,
  run: (call: AbortController) => Promise<A>,
  mapError: (error: unknown) => LLMError
): Effect.Effect<A, LLMError> =>
  Effect.callback<A, LLMError>((resume) => {
    const controller = new AbortController()
    const limit = firstLimit(ctx)
    let timedOut = false
    const timer =
      limit.ms === undefined
        ? undefined
        : setTimeout(() => {
            timedOut = true
            controller.abort()
          }, limit.ms)
    const settle = (outcome: () => Effect.Effect<A, LLMError>) => {
      clearTimeout(timer)
      try {
        resume(outcome())
      } catch (defect) {
        resume(Effect.die(defect))
      }
    }
    try {
      run(controller).then(
        (value) => settle(() => Effect.succeed(value)),
        (error) =>
          settle(() =>
            Effect.fail(
              !timedOut
                ? mapError(error)
                : limit.byDeadline
                  ? ctx.deadline!.expired()
                  : timeoutError(ctx, "did not answer within")
            )
          )
      )
    } catch (error) {
      // An SDK that throws before returning its promise (bad arguments): the same typed error.
      settle(() => Effect.fail(mapError(error)))
    }
    return Effect.sync(() => {
      clearTimeout(timer)
      controller.abort()
    })
  })

/** Turns SDK chunks into provider stream events; one decoder per stream holds that stream's state. */
export interface StreamDecoder<Chunk> {
  /** Events for one SDK chunk (often none or one). Throwing an `LLMError` fails the stream. */
  readonly onChunk: (chunk: Chunk) => ReadonlyArray<ProviderStreamEvent>
  /**
   * Once the SDK iterable ends: the `ProviderFinish`, or `streamCut(...)` when the provider's final
   * event never came (the connection was cut). Throwing an `LLMError` fails the stream.
   */
  readonly onEnd: () => ProviderFinish | StreamCut
}

/** A stream that ended before its final event: what it lacked, and the request id if known. */
export interface StreamCut {
  readonly _tag: "StreamCut"
  readonly before: string
  readonly requestId?: string | undefined
}

/** The decoder's answer for a stream that ended before `before` (e.g. "message_stop"). */
export const streamCut = (before: string, requestId?: string | null): StreamCut => ({
  _tag: "StreamCut",
  before,
  ...optionalField("requestId", requestId ?? undefined)
})

/** The one error for a stream that ended before `before` (its final event, or its start). */
export const streamEndedError = (ctx: CallContext, before: string, requestId?: string): NetworkError =>
  new NetworkError({
    provider: ctx.provider,
    model: ctx.model,
    ...optionalField("requestId", requestId),
    message: `${ctx.provider} model ${ctx.model}: the stream ended before ${before}; the connection was probably cut`
  })

/**
 * A provider stream over an SDK async iterable. The request is opened when the stream starts, with
 * an AbortController owned by the stream's scope: when the consumer stops, fails or is interrupted
 * before the SDK has finished, the HTTP request is aborted at once (a finished one is left alone:
 * aborting costs an exception object and events on every linked signal). Two timers bound it: the
 * per-attempt timeout until the first text (the time a fallback is still possible), then the idle
 * timeout between two outputs. Only output (text or a tool call) counts as progress: empty deltas,
 * usage and keep-alive events do not, so a stream that sends only those still ends with a `TimeoutError`.
 *
 * The SDK iterator is read by a plain async loop that pushes decoded events into an `EventFeed`;
 * the consumer takes whatever has arrived as one chunk. One channel, no queue fiber: an Effect step
 * or a stream operator per chunk was the largest per-chunk cost measured in bench/. The feed holds
 * at most `maxBufferedEvents`: past that the loop stops reading (and the SDK stops reading the
 * socket) until the consumer takes them.
 */
export const streamSdk = <Chunk>(
  ctx: CallContext,
  open: (call: AbortController) => Promise<AsyncIterable<Chunk>>,
  mapError: (error: unknown) => LLMError,
  makeDecoder: () => StreamDecoder<Chunk>
): Stream.Stream<ProviderStreamEvent, LLMError> =>
  Stream.fromChannel(
    Channel.fromTransform((_upstream, scope) =>
      Effect.suspend(() => {
        const feed = new EventFeed()
        const controller = new AbortController()
        const timer = new StreamTimer(ctx, controller)
        const toError = (error: unknown): LLMError =>
          timer.fired === "deadline"
            ? ctx.deadline!.expired()
            : timer.fired === "start"
              ? timeoutError(ctx, "sent no text within")
              : timer.fired === "idle"
                ? timeoutError(ctx, "stalled mid-stream: no text for", true)
                : mapError(error)
        const fail = (error: unknown) => feed.finish(Effect.fail(toError(error)))
        try {
          open(controller).then((iterable) => pump(ctx, iterable, makeDecoder(), timer, feed, toError), fail)
        } catch (error) {
          fail(error)
        }
        return Effect.as(
          Scope.addFinalizer(
            scope,
            Effect.sync(() => {
              // Stryker disable next-line CallExpression: equivalent, frees the timer early; a late one only aborts this aborted request again
              timer.clear()
              if (!feed.complete) controller.abort()
              feed.close()
            })
          ),
          feed.pull
        )
      })
    )
  )

/**
 * How many windows the idle timeout is watched in: a stall is noticed between `idleTimeoutMs` and an
 * eighth of it more after the last text, never sooner (under 8 ms, Node's 1 ms timer floor makes it 8).
 */
const idleWindows = 8

/**
 * The one timer of a stream: the per-attempt timeout (or the request's deadline, when sooner) from the
 * start until the first text, then the idle timeout. After the first text it fires every eighth of the
 * idle timeout; a text only raises a flag, which the next firing reads and clears, and eight firings in a
 * row without one are the stall: at least the idle timeout without text, at most an eighth more. A
 * clock read per text cost 7-23 us per 200-delta stream over the real SDKs without sockets (README
 * "Where the time goes"), re-arming the timer per text more. When it fires for good the request is
 * aborted and `fired` says which limit it was.
 */
class StreamTimer {
  private handle: ReturnType<typeof setTimeout> | undefined
  private idle = false
  /** A text arrived since the last firing (once idle). */
  // Stryker disable next-line BooleanLiteral: equivalent, the switch to the idle watch sets it before it is read
  private sawText = false
  /** Firings in a row that found no text (once idle). */
  private quietWindows = 0
  private readonly ctx: CallContext
  private readonly controller: AbortController
  private readonly byDeadline: boolean
  fired: "start" | "deadline" | "idle" | undefined

  constructor(ctx: CallContext, controller: AbortController) {
    this.ctx = ctx
    this.controller = controller
    const limit = firstLimit(ctx)
    this.byDeadline = limit.byDeadline
    if (limit.ms !== undefined) this.arm(limit.ms)
  }

  private readonly expire = () => {
    if (this.idle) {
      if (this.sawText) {
        this.sawText = false
        this.quietWindows = 0
      } else this.quietWindows++
      if (this.quietWindows < idleWindows) return this.arm(this.ctx.idleTimeoutMs! / idleWindows)
    }
    this.fired = this.idle ? "idle" : this.byDeadline ? "deadline" : "start"
    this.controller.abort()
  }

  private arm(ms: number): void {
    this.handle = setTimeout(this.expire, ms)
    this.handle.unref()
  }

  /** Text arrived: the first switches to the idle timeout, every later one only raises the flag. */
  onText(): void {
    // Stryker disable next-line ConditionalExpression,BlockStatement: equivalent, restarting the watch on every text calls a stall as surely, a timer per text slower
    if (this.idle) {
      this.sawText = true
      return
    }
    this.idle = true
    clearTimeout(this.handle)
    this.handle = undefined
    this.watchIdle()
  }

  /** The idle watch from now (the first text, or the consumer catching up): texts before it do not count. */
  private watchIdle(): void {
    this.sawText = false
    this.quietWindows = 0
    if (this.ctx.idleTimeoutMs !== undefined) this.arm(this.ctx.idleTimeoutMs / idleWindows)
  }

  /** The consumer is behind and nothing is read: the provider is not idle, its silence is ours. */
  pause(): void {
    if (!this.idle) return
    clearTimeout(this.handle)
    this.handle = undefined
  }

  resume(): void {
    // Stryker disable next-line ConditionalExpression: equivalent for `fired`, a fired timer has aborted the request already
    if (this.idle && this.fired === undefined) this.watchIdle()
  }

  clear(): void {
    clearTimeout(this.handle)
  }
}

/** The most events a stream buffers ahead of its consumer before it stops reading the SDK. */
export const maxBufferedEvents = 1024

type FeedEnd = Effect.Effect<never, LLMError | Cause.Done>

/**
 * The hand-off between the SDK's async iterator and the stream's consumer: events are buffered and
 * taken all at once. A waiting consumer is woken at once for the first content (text, or a tool
 * call's arguments), for any preamble before it (a call's start, reasoning), and for the end (time to first token), and
 * otherwise once per event-loop turn (setImmediate), so a burst the SDK parses in one go travels as
 * one chunk. `push` says when the buffer is full; `space` resolves once the
 * consumer has taken it.
 */
class EventFeed {
  private buffer: Array<ProviderStreamEvent> = []
  private end: FeedEnd | undefined
  private waiting:
    | ((effect: Effect.Effect<NonEmptyReadonlyArray<ProviderStreamEvent>, LLMError | Cause.Done>) => void)
    | undefined
  private wakeScheduled = false
  private sawContent = false
  private spaceWaiter: (() => void) | undefined
  /** The SDK read the response to its end: there is no request left to abort. */
  complete = false
  /** The consumer has gone: later events and errors are dropped. */
  private closed = false

  // No canceller: the one consumer is interrupted only when the stream ends, and the stream's
  // finalizer closes the feed, which forgets the waiting consumer.
  private readonly wait = Effect.callback<NonEmptyReadonlyArray<ProviderStreamEvent>, LLMError | Cause.Done>(
    (resume) => {
      this.waiting = resume
    }
  )

  readonly pull: Effect.Effect<NonEmptyReadonlyArray<ProviderStreamEvent>, LLMError | Cause.Done> = Effect.suspend(
    () => (this.buffer.length > 0 ? Effect.succeed(this.take()) : (this.end ?? this.wait))
  )

  /** Buffers the events (`output`: what they carry); true when the buffer is full and the reader should await `space()`. */
  push(events: ReadonlyArray<ProviderStreamEvent>, output: Output | undefined): boolean {
    if (this.closed) return false
    for (const event of events) this.buffer.push(event)
    // A preamble alone does not end the hurry: the content after it is what a reader shows next.
    if (!this.sawContent && output !== undefined) {
      this.sawContent = output === "content"
      this.wake()
    } else this.scheduleWake()
    return this.buffer.length >= maxBufferedEvents
  }

  /** A wake on the next event-loop turn, at most one pending, and only for a waiting consumer. */
  private scheduleWake(): void {
    // Stryker disable next-line ConditionalExpression,LogicalOperator: equivalent, only changes how many setImmediate calls a burst costs (bench/)
    if (this.wakeScheduled || this.waiting === undefined) return
    // Stryker disable next-line BooleanLiteral: equivalent, as above
    this.wakeScheduled = true
    setImmediate(this.scheduledWake)
  }

  space(): Promise<void> {
    return new Promise((resolve) => {
      this.spaceWaiter = resolve
    })
  }

  /** The end, once: each path of `streamSdk` and `pump` calls it exactly once. */
  finish(end: FeedEnd): void {
    this.end = end
    this.wake()
  }

  close(): void {
    this.closed = true
    this.waiting = undefined
    // Stryker disable next-line ArrayDeclaration: equivalent, frees the buffered events early; nothing reads them again
    this.buffer = []
    this.releaseReader()
  }

  private readonly scheduledWake = () => {
    this.wakeScheduled = false
    this.wake()
  }

  private wake(): void {
    const resume = this.waiting
    if (resume === undefined) return
    if (this.buffer.length > 0) {
      this.waiting = undefined
      resume(Effect.succeed(this.take()))
    } else if (this.end !== undefined) {
      this.waiting = undefined
      resume(this.end)
    }
  }

  private take(): NonEmptyReadonlyArray<ProviderStreamEvent> {
    const events = this.buffer as unknown as NonEmptyReadonlyArray<ProviderStreamEvent>
    this.buffer = []
    this.releaseReader()
    return events
  }

  private releaseReader(): void {
    const resolve = this.spaceWaiter
    if (resolve === undefined) return
    this.spaceWaiter = undefined
    resolve()
  }
}

/**
 * Output a stream's events carry: content (text, a tool call's arguments or a whole call), or only a
 * preamble to it (a tool call's start, or reasoning, which the orchestrator holds until the content).
 */
type Output = "content" | "preamble"

/**
 * The output the events carry, undefined when none: output is the only progress that restarts a
 * stream's timer (usage, keep-alives and empty deltas do not). A model thinking for minutes is not stalled.
 */
const outputIn = (events: ReadonlyArray<ProviderStreamEvent>): Output | undefined => {
  let output: Output | undefined
  for (const event of events) {
    switch (event._tag) {
      case "TextDelta":
        if (event.text !== "") return "content"
        break
      case "ReasoningDelta":
        if (event.text !== "") output = "preamble"
        break
      case "ToolCallDelta":
        if (event.argumentsDelta !== "") return "content"
        break
      // Stryker disable next-line ConditionalExpression,StringLiteral: equivalent in the events delivered, a whole call taken for a preamble only batches the rest of its burst differently
      case "ToolCall":
        // Stryker disable next-line StringLiteral: equivalent, as above
        return "content"
      case "ToolCallStart":
        // Stryker disable next-line StringLiteral: equivalent, any value is output and only "content" is compared
        output = "preamble"
    }
  }
  return output
}

/**
 * Reads the SDK iterator to its end into the feed, pausing while the feed is full. A decoder's
 * throw, an SDK error or a timeout end the stream with a typed error; once the consumer has gone
 * (the request aborted), whatever the SDK still throws is dropped by the feed.
 */
const pump = async <Chunk>(
  ctx: CallContext,
  iterable: AsyncIterable<Chunk>,
  decoder: StreamDecoder<Chunk>,
  timer: StreamTimer,
  feed: EventFeed,
  toError: (error: unknown) => LLMError
): Promise<void> => {
  try {
    for await (const chunk of iterable) {
      const events = decoder.onChunk(chunk)
      // Stryker disable next-line ConditionalExpression: equivalent, skips an empty push (a scheduled wake that finds nothing)
      if (events.length === 0) continue
      const output = outputIn(events)
      if (output !== undefined) timer.onText()
      if (feed.push(events, output)) {
        timer.pause()
        await feed.space()
        timer.resume()
      }
    }
    timer.clear()
    // Some SDKs end their iterator quietly when aborted: the timeout must still surface.
    if (timer.fired !== undefined) return feed.finish(Effect.fail(toError(undefined)))
    feed.complete = true
    const end = decoder.onEnd()
    if (end._tag === "StreamCut") return feed.finish(Effect.fail(streamEndedError(ctx, end.before, end.requestId)))
    feed.push([end], undefined)
    feed.finish(Cause.done())
  } catch (error) {
    // The timer is left to the stream's finalizer, which also aborts the failed request.
    feed.finish(Effect.fail(toError(error)))
  }
}

/** The most pages and models one provider's listing reads (README "Guarantees: timeouts"). */
export const listingLimits = { maxPages: 50, maxModels: 10_000 } as const

/** One page of a listing: its items, and the cursor of the next page (undefined: the last). */
export interface ListingPage<Item, Cursor> {
  readonly items: ReadonlyArray<Item>
  readonly next: Cursor | undefined
}

/**
 * A paginated listing, read page by page, each page one `callSdk` (its own abort signal, so
 * interrupting the listing aborts the page in flight, and the per-attempt timeout applies to each
 * page). A listing longer than `limits` is a server that pages forever (real providers list a few
 * hundred models at most): it fails with a `ProviderUnavailableError` rather than growing without
 * bound, and discovery's validation then lets requests through as for any failed listing.
 */
export const listPages = <Item, Cursor>(
  ctx: CallContext,
  fetchPage: (cursor: Cursor | undefined, signal: AbortSignal) => Promise<ListingPage<Item, Cursor>>,
  mapError: (error: unknown) => LLMError,
  limits: { readonly maxPages: number; readonly maxModels: number } = listingLimits
): Effect.Effect<ReadonlyArray<Item>, LLMError> =>
  Effect.suspend(() => {
    const items: Array<Item> = []
    const cursors = new Set<Cursor>()
    const fromPage = (cursor: Cursor | undefined, pageNumber: number): Effect.Effect<ReadonlyArray<Item>, LLMError> =>
      Effect.flatMap(
        callSdk(ctx, (call) => fetchPage(cursor, call.signal), mapError),
        (page): Effect.Effect<ReadonlyArray<Item>, LLMError> => {
          for (const item of page.items) items.push(item)
          if (items.length > limits.maxModels || (page.next !== undefined && pageNumber >= limits.maxPages))
            return Effect.fail(
              new ProviderUnavailableError({
                provider: ctx.provider,
                model: ctx.model,
                message: `${ctx.provider}: the model listing did not end within ${limits.maxPages} pages and ${limits.maxModels} models (read ${pageNumber} pages, ${items.length} models); stopped reading. Check base_url: a proxy or server that pages forever`
              })
            )
          // A server that repeats a cursor would otherwise page forever.
          if (page.next === undefined || cursors.has(page.next)) return Effect.succeed(items)
          cursors.add(page.next)
          return fromPage(page.next, pageNumber + 1)
        }
      )
    return fromPage(undefined, 1)
  })
