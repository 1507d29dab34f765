/**
 * The stream gate (docs/ARCHITECTURE.md, "Streams"): a streamed attempt is read up to its first output
 * (text or a tool call; reasoning before it is held and replayed with it) before the caller sees anything, so any failure before it can still retry or
 * fall back; from the first output on, the winner's events are the public stream, billed once however it ends.
 */
import { Cause, Channel, type Clock, Effect, type Exit, type Pull, Scope, Stream } from "effect"
import { isArrayNonEmpty, type NonEmptyReadonlyArray } from "effect/Array"
import type { BudgetReservation, CostTracker, Pricing } from "../cost.ts"
import {
  type ChatRequest,
  mediaInputTokens,
  messageText,
  type ProviderFinish,
  type ProviderStreamEvent,
  type StreamEvent,
  structuredInputText,
  type Usage
} from "../domain.ts"
import { type LLMError, OutputValidationError } from "../errors.ts"
import { optionalField } from "../internal/optional.ts"
import type { CallDeadline, LLMProviderShape } from "../provider.ts"
import {
  type AttemptRecorder,
  type AttemptTicket,
  consumedTokens,
  contentFiltered,
  type RequestRun
} from "./attempts.ts"
import { structuredOutput } from "./output.ts"
import type { ChainRunner } from "./runner.ts"
import type { Telemetry } from "./telemetry.ts"

/** Usage seen so far on one streamed attempt, so a failed or cut stream is billed exactly once. */
interface StreamAttemptState {
  readonly ticket: AttemptTicket
  usage: Usage | undefined
  finish: ProviderFinish | undefined
  recorded: boolean
  /** Characters of text and tool arguments delivered, to estimate usage when the provider never reported any. */
  deliveredChars: number
  /** What a budget holds for this attempt until it is billed or ends (undefined without a budget). */
  reservation: BudgetReservation | undefined
  /** With a responseFormat: the winner's text so far, decoded at its finish (undefined: not collected). */
  text: string | undefined
  /** The winner's answer did not match the responseFormat: the stream fails with it after its last text. */
  outputError: OutputValidationError | undefined
}

/** A provider stream read up to its first output (text or a tool call): the events read, and the rest to pull. */
interface OpenedStream {
  readonly head: ReadonlyArray<ProviderStreamEvent>
  readonly pull: Pull.Pull<NonEmptyReadonlyArray<ProviderStreamEvent>, LLMError>
}

/** About four characters a token: only for streams cut before the provider reported usage. */
const estimateUsage = (request: ChatRequest, deliveredChars: number): Usage => {
  const requestChars = request.messages.reduce(
    (sum, m) => sum + messageText(m).length,
    structuredInputText(request).length
  )
  return {
    inputTokens: Math.ceil(requestChars / 4) + mediaInputTokens(request),
    outputTokens: Math.ceil(deliveredChars / 4),
    cacheReadTokens: 0,
    cacheWriteTokens: 0,
    reasoningTokens: 0
  }
}

export interface StreamGateContext {
  readonly runChain: ChainRunner
  readonly recorder: AttemptRecorder
  readonly tracker: CostTracker["Service"]
  readonly pricing: Pricing["Service"]
  readonly telemetry?: Telemetry | undefined
}

export const makeStreamGate = ({ runChain, recorder, tracker, pricing, telemetry }: StreamGateContext) => {
  /**
   * Opens one provider stream in `scope` (the attempts' scope, closed when the public stream ends) and
   * reads it up to its first text (or its end). Failing here is still "before the first text": the
   * chain may retry or fall back. What was read is replayed.
   */
  const openStream = (
    run: RequestRun,
    provider: LLMProviderShape,
    deadline: CallDeadline | undefined,
    state: StreamAttemptState,
    scope: Scope.Scope,
    clock: Clock.Clock
  ): Effect.Effect<OpenedStream, LLMError> => {
    const { entry } = state.ticket
    const billFailure = (usage: Usage, errorTag: string, providerRequestId?: string) => {
      state.recorded = true
      const latencyMs = clock.currentTimeMillisUnsafe() - state.ticket.startedAt
      return recorder.bill(run, state.ticket, usage, "error", latencyMs, {
        errorTag,
        providerRequestId,
        reservation: state.reservation
      })
    }
    return Effect.flatMap(
      Channel.toPullScoped(Stream.toChannel(provider.stream(run.request, entry.model, deadline)), scope),
      (pull) => {
        // Stryker disable next-line ArrayDeclaration: equivalent, toPublic drops anything that is not a provider event
        const head: Array<ProviderStreamEvent> = []
        const opened: OpenedStream = { head, pull }
        let sawText = false
        const readHead: Effect.Effect<OpenedStream, LLMError> = Effect.matchEffect(pull, {
          onFailure: (error) => {
            if (Cause.isDone(error)) return Effect.succeed(opened)
            if (!consumedTokens(state.usage)) return Effect.fail(error)
            return Effect.andThen(billFailure(state.usage, error._tag), Effect.fail(error))
          },
          onSuccess: (chunk) => {
            let sawTextOrEnd = false
            for (const event of chunk) {
              head.push(event)
              if (event._tag === "UsageSnapshot") {
                state.usage = event.usage
                continue
              }
              // Reasoning is held with the head, not output: a model that fails while thinking still
              // falls back, and the caller never sees the reasoning of a model that did not answer.
              if (event._tag === "ReasoningDelta") continue
              sawTextOrEnd = true
              if (event._tag === "TextDelta") {
                if (event.text !== "") sawText = true
                else sawTextOrEnd = sawText
              } else if (event._tag !== "ProviderFinish") {
                // A tool call (its start, arguments or whole) is output like text: no fallback after it.
                sawText = true
              } else if (event.finishReason === "content-filter" && !sawText) {
                // Filtered before any text: an error like a plain call's, so the chain decides.
                state.usage = event.usage
                return Effect.andThen(
                  billFailure(event.usage, "ContentFilteredError", event.requestId),
                  Effect.fail(contentFiltered(entry, event.requestId))
                )
              }
            }
            return sawTextOrEnd ? Effect.succeed(opened) : readHead
          }
        })
        return readHead
      }
    )
  }

  /**
   * The whole public stream after validation: the chain up to a first text, then a pull that maps
   * provider events to public ones chunk by chunk. Written as one pull rather than a pipeline of
   * stream operators: every operator is a channel of its own, on every chunk.
   */
  const streamRun = (
    run: RequestRun,
    scope: Scope.Scope,
    clock: Clock.Clock
  ): Effect.Effect<Pull.Pull<NonEmptyReadonlyArray<StreamEvent>, LLMError>, LLMError> => {
    let current: StreamAttemptState | undefined
    let won = false
    // Whatever the stream consumed and nobody billed yet is billed when it closes: an attempt
    // interrupted before its first text after the provider reported usage (Anthropic's
    // message_start), or the winner stopped early or interrupted after its first text.
    const bill = (exit: Exit.Exit<unknown, unknown>, state: StreamAttemptState): Effect.Effect<unknown> => {
      if (won) return billWinner(run, state, clock, exit._tag === "Failure" ? errorTagOf(exit.cause) : undefined)
      if (state.recorded || !consumedTokens(state.usage)) return Effect.void
      state.recorded = true
      const latencyMs = clock.currentTimeMillisUnsafe() - state.ticket.startedAt
      // Stryker disable next-line ObjectLiteral: equivalent at rest, without the reservation the record does not settle it and the release right after does
      return recorder.bill(run, state.ticket, state.usage, "interrupted", latencyMs, {
        reservation: state.reservation
      })
    }
    // The attempts' provider streams are opened in a scope of their own, which the public stream's one
    // finalizer closes: a scope with one finalizer closes on Effect's short path, and the public scope
    // holding each attempt's finalizer beside this one took the general one (a Map, a generator):
    // 5-20 us more per stream (README "Where the time goes").
    const attempts = Scope.makeUnsafe()
    // The winner's reservation is held until here, however the stream ends; billing settles
    // it, and what was never billed (no usage) is released after.
    const billOnClose = Scope.addFinalizerExit(scope, (exit) => {
      // First the attempts' own finalizers (an unfinished request is aborted, its timer stopped), then the bill.
      const closeAttempts = Scope.close(attempts, exit)
      if (current === undefined) return closeAttempts
      const state = current
      const billed =
        run.trace !== undefined && won
          ? Effect.ensuring(
              bill(exit, state),
              Effect.sync(() => telemetry!.streamEnded(run, state.ticket, exit))
            )
          : bill(exit, state)
      const settled =
        // Stryker disable next-line ConditionalExpression: equivalent, releasing no reservation does nothing
        state.reservation === undefined ? billed : Effect.ensuring(billed, tracker.release(state.reservation))
      return Effect.ensuring(closeAttempts, settled)
    })
    const open = (
      ticket: AttemptTicket,
      provider: LLMProviderShape,
      deadline: CallDeadline | undefined,
      reservation?: BudgetReservation
    ) => {
      current = {
        ticket,
        usage: undefined,
        finish: undefined,
        recorded: false,
        deliveredChars: 0,
        reservation,
        text: undefined,
        outputError: undefined
      }
      return openStream(run, provider, deadline, current, attempts, clock)
    }
    // Under a budget each attempt reserves first. One that ends before its first text is billed
    // (if interrupted after usage) and then gives its reservation back, so the next attempt
    // reserves its own; the winner's passes to billOnClose.
    const chain = runChain(
      run,
      clock,
      tracker.budgeted
        ? (ticket, provider, deadline) =>
            Effect.acquireUseRelease(
              // Interruptible, as for plain calls (orchestrator.ts): the deadline ends a reservation's wait.
              Effect.interruptible(tracker.reserve(ticket.entry.provider, ticket.entry.model, run.request)),
              (reservation) => open(ticket, provider, deadline, reservation),
              (reservation, exit) => {
                if (exit._tag === "Success") return Effect.void
                const release = tracker.release(reservation)
                // Stryker disable next-line ConditionalExpression,EqualityOperator,OptionalChaining: current is another attempt only if an interruption lands between reserve and open (no test can schedule that); billOnClose bills the current attempt either way
                return current?.reservation === reservation ? Effect.ensuring(bill(exit, current), release) : release
              }
            )
        : open
    )
    return Effect.andThen(
      billOnClose,
      Effect.map(chain, ({ value: opened }) => {
        won = true
        if (run.trace !== undefined) telemetry!.firstChunk(run, current!.ticket)
        return publicPull(run, opened, current!, clock)
      })
    )
  }

  /** The winning attempt's events as public ones: text, then exactly one Finish; billed at its end. */
  const publicPull = (
    run: RequestRun,
    opened: OpenedStream,
    state: StreamAttemptState,
    clock: Clock.Clock
  ): Pull.Pull<NonEmptyReadonlyArray<StreamEvent>, LLMError> => {
    const { entry } = state.ticket
    const format = run.request.responseFormat
    // Stryker disable next-line ConditionalExpression: equivalent, without a format the text is never decoded
    if (format !== undefined || (run.trace !== undefined && telemetry!.captureContent)) state.text = ""
    const toPublic = (event: ProviderStreamEvent): StreamEvent | undefined => {
      switch (event._tag) {
        case "ReasoningDelta":
          if (event.text === "") return undefined
          state.deliveredChars += event.text.length
          return event
        case "TextDelta":
          if (event.text === "") return undefined
          state.deliveredChars += event.text.length
          if (state.text !== undefined) state.text += event.text
          return event
        case "ToolCallDelta":
          state.deliveredChars += event.argumentsDelta.length
          return event
        case "ToolCallStart":
          // An answer of tool calls has no structured output yet: the tool loop's last step has it.
          state.text = undefined
          return event
        case "ToolCall":
          return event
        case "UsageSnapshot":
          state.usage = event.usage
          return undefined
        case "ProviderFinish": {
          state.finish = event
          state.usage = event.usage
          const checked =
            format === undefined || state.text === undefined
              ? undefined
              : structuredOutput(format, entry, { ...event, content: state.text })
          if (run.trace !== undefined)
            telemetry!.answered(run, {
              model: event.model || entry.model,
              finishReason: event.finishReason,
              requestId: event.requestId,
              content: state.text
            })
          if (checked instanceof OutputValidationError) {
            state.outputError = checked
            return undefined
          }
          return {
            _tag: "Finish",
            finishReason: event.finishReason,
            usage: event.usage,
            cost: pricing.costOf(entry.provider, entry.model, event.usage),
            provider: entry.provider,
            model: event.model || entry.model,
            attempts: run.attempts,
            ...optionalField("requestId", event.requestId),
            ...(checked === undefined ? {} : { output: checked.output }),
            ...optionalField("reasoningParts", event.reasoningParts)
          }
        }
      }
    }
    const toPublicChunk = (events: ReadonlyArray<ProviderStreamEvent>): Array<StreamEvent> => {
      const out: Array<StreamEvent> = []
      for (const event of events) {
        const publicEvent = toPublic(event)
        if (publicEvent !== undefined) out.push(publicEvent)
      }
      return out
    }
    let head: ReadonlyArray<ProviderStreamEvent> | undefined = opened.head
    const next: Pull.Pull<NonEmptyReadonlyArray<StreamEvent>, LLMError> = Effect.matchEffect(opened.pull, {
      onSuccess: (events) => {
        const out = toPublicChunk(events)
        return isArrayNonEmpty(out) ? Effect.succeed(out) : next
      },
      // The end, or an error after text: billed now, so the record's latency is the stream's own. An
      // answer not in the requested schema ends the stream with its error instead of a Finish.
      onFailure: (error) => {
        const failure = Cause.isDone(error) ? state.outputError : error
        return Effect.andThen(billWinner(run, state, clock, failure?._tag), Effect.fail(failure ?? error))
      }
    })
    return Effect.suspend(() => {
      if (head === undefined) return next
      const out = toPublicChunk(head)
      head = undefined
      return isArrayNonEmpty(out) ? Effect.succeed(out) : next
    })
  }

  /** Bills the winning attempt once, however the stream ended (`errorTag` when it failed). */
  const billWinner = (
    run: RequestRun,
    state: StreamAttemptState,
    clock: Clock.Clock,
    errorTag: string | undefined
  ): Effect.Effect<unknown> => {
    if (state.recorded) return Effect.void
    state.recorded = true
    const latency = clock.currentTimeMillisUnsafe() - state.ticket.startedAt
    if (state.finish) {
      // Finished: a success, unless the answer was not in the requested schema.
      const outputError = state.outputError?._tag
      return recorder.bill(run, state.ticket, state.finish.usage, outputError ? "error" : "success", latency, {
        errorTag: outputError,
        providerRequestId: state.finish.requestId,
        reservation: state.reservation
      })
    }
    // Cut short after text was delivered: bill the usage known so far, once; when the provider
    // reported none yet (OpenAI and Bedrock report it last), an estimate, flagged.
    const known = consumedTokens(state.usage)
    const usage = known ? state.usage! : estimateUsage(run.request, state.deliveredChars)
    if (!consumedTokens(usage)) return Effect.void
    return recorder.bill(run, state.ticket, usage, errorTag ? "error" : "interrupted", latency, {
      errorTag,
      usageEstimated: !known,
      reservation: state.reservation
    })
  }

  return streamRun
}

const errorTagOf = (cause: Cause.Cause<unknown>): string | undefined => {
  for (const reason of cause.reasons)
    if (reason._tag === "Fail" && !Cause.isDone(reason.error)) return (reason.error as LLMError)._tag
  return undefined
}
