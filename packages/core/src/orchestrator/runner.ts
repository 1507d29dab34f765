/**
 * Runs one request down its chain (docs/ARCHITECTURE.md, "Retry and fallback"): retry the same model
 * while the error is retryable and the schedule allows, move on when the policy says so, fail at once
 * otherwise; all of it under the request's deadline. Each try gets its ticket from the attempt
 * recorder and is listed when it ends.
 *
 * The deadline is handed to every provider call (`CallDeadline`) and bounds every backoff sleep, when
 * nothing else on the request's path can wait: then it costs no fiber and no timer of its own.
 * Otherwise a watchdog (a child fiber and a timer) enforces it.
 *
 * Not Effect's `ExecutionPlan`: a plan's steps are fixed when it is built, while our chain is planned
 * per request (the circuit breaker, discovery and the budget skip models), an error can exclude a
 * whole provider, a Retry-After beyond the cap moves on at once, and every try is listed and billed
 * between steps.
 */
import { type Clock, Duration, Effect, Fiber, Option } from "effect"
import type { DiscoveryConfig, RetryConfig } from "../config/types.ts"
import type { CostTracker } from "../cost.ts"
import type { ChatRequest, ProviderId } from "../domain.ts"
import { classifyError, InvalidRequestError, type LLMError, TimeoutError } from "../errors.ts"
import { boundedByDeadline, type CallDeadline, type LLMProviderShape } from "../provider.ts"
import type { AttemptRecorder, AttemptTicket, RequestRun } from "./attempts.ts"
import { planChain } from "./chain.ts"
import type { ModelCatalog } from "./discovery.ts"
import {
  type ChainEntry,
  type CircuitBreaker,
  exceedsRetryAfterCap,
  makeRetryStepper,
  type RetryStepper
} from "./policy.ts"
import type { Telemetry } from "./telemetry.ts"

export interface ChainRunnerContext {
  readonly activeProvider: ProviderId
  readonly activeModel: string
  readonly providers: ReadonlyMap<ProviderId, LLMProviderShape>
  readonly chainFor: (request: ChatRequest) => ReadonlyArray<ChainEntry>
  readonly breaker: CircuitBreaker
  readonly catalog: ModelCatalog
  readonly discovery: DiscoveryConfig
  readonly retry: RetryConfig
  readonly fallbackOnContentFilter: boolean
  readonly fallbackOnInvalidOutput: boolean
  /** `request_timeout` in ms; undefined: no deadline. */
  readonly requestTimeoutMs: number | undefined
  readonly tracker: CostTracker["Service"]
  readonly recorder: AttemptRecorder
  /** Present when telemetry is on: fallbacks and circuit-breaker openings are counted. */
  readonly telemetry?: Telemetry | undefined
}

export const makeChainRunner = (ctx: ChainRunnerContext) => {
  const { providers, breaker, catalog, discovery, retry, tracker, recorder, telemetry } = ctx
  const classifyOptions = {
    fallbackOnContentFilter: ctx.fallbackOnContentFilter,
    fallbackOnInvalidOutput: ctx.fallbackOnInvalidOutput
  }
  const requestTimeoutMs = ctx.requestTimeoutMs
  // Handed to the calls only when nothing else can wait: a provider that does not honour it, a budget
  // reservation (the shared budget waits on PostgreSQL) or a discovery lookup would outlive it. The
  // watchdog it replaces measured 14-17 us per request (docs/ARCHITECTURE.md, "The request deadline").
  const handsDeadline =
    requestTimeoutMs !== undefined &&
    !tracker.budgeted &&
    !discovery.validate &&
    [...providers.values()].every((provider) => provider.honorsDeadline === true)

  /** Runs `attempt` down the chain; the value and the entry that produced it. */
  const runChain = <A, R>(
    run: RequestRun,
    clock: Clock.Clock,
    attempt: (
      ticket: AttemptTicket,
      provider: LLMProviderShape,
      deadline: CallDeadline | undefined
    ) => Effect.Effect<A, LLMError, R>
  ): Effect.Effect<{ readonly value: A; readonly entry: ChainEntry }, LLMError, R> =>
    Effect.suspend(() => {
      const deadline = handsDeadline ? requestDeadline(run) : undefined
      const plan = planChain(ctx.chainFor(run.request), breaker, clock.currentTimeMillisUnsafe())
      for (const skipped of plan.skipped) recorder.notTried(run, skipped)
      const entries = plan.entries
      const excludedProviders = new Set<ProviderId>()
      let lastError: LLMError | undefined

      const fromEntry = (
        index: number
      ): Effect.Effect<{ readonly value: A; readonly entry: ChainEntry }, LLMError, R> => {
        while (index < entries.length && excludedProviders.has(entries[index]!.provider)) index++
        const entry = entries[index]
        if (entry === undefined) return Effect.fail(lastError ?? emptyChain(run))
        const provider = providers.get(entry.provider)!
        // Under a budget a model with no known price is skipped like an unknown one: nothing is sent.
        const unpriced = tracker.budgeted ? tracker.unpricedRefusal(entry.provider, entry.model) : undefined
        if (unpriced !== undefined) {
          recorder.notTried(run, { ...entry, attempt: 1, outcome: "error", errorTag: unpriced._tag, durationMs: 0 })
          lastError = unpriced
          return fromEntry(index + 1)
        }
        if (!discovery.validate) return tryModel(index, entry, provider, 1, undefined)
        const now = clock.currentTimeMillisUnsafe()
        return Effect.flatMap(catalog.check(entry.provider, entry.model, now), (unknown) => {
          if (unknown === undefined) return tryModel(index, entry, provider, 1, undefined)
          recorder.notTried(run, { ...entry, attempt: 1, outcome: "error", errorTag: unknown._tag, durationMs: 0 })
          lastError = unknown
          return fromEntry(index + 1)
        })
      }

      /** One try of one model; the retry schedule is built only after a first failure. */
      const tryModel = (
        index: number,
        entry: ChainEntry,
        provider: LLMProviderShape,
        tryNumber: number,
        nextDelay: RetryStepper | undefined
      ): Effect.Effect<{ readonly value: A; readonly entry: ChainEntry }, LLMError, R> => {
        const ticket = recorder.start(run, entry, tryNumber, clock.currentTimeMillisUnsafe())
        return Effect.matchEffect(attempt(ticket, provider, deadline), {
          onSuccess: (value) => {
            recorder.listed(run, ticket, clock.currentTimeMillisUnsafe())
            breaker.onSuccess(entry)
            return Effect.succeed({ value, entry })
          },
          onFailure: (failure) =>
            Effect.gen(function* () {
              const endedAt = clock.currentTimeMillisUnsafe()
              // Cut by the deadline: listed as it failed, then no retry and no fallback.
              if (deadline?.error !== undefined) {
                recorder.listed(run, ticket, endedAt, failure)
                return yield* Effect.fail(deadline.error)
              }
              const error = yield* withSuggestions(failure, entry, deadline)
              recorder.listed(run, ticket, endedAt, error)
              const policy = classifyError(error, classifyOptions)
              if (policy.retrySameModel && breaker.onRetryableFailure(entry, endedAt) && telemetry !== undefined)
                telemetry.breakerOpened(entry)
              if (policy.retrySameModel && !exceedsRetryAfterCap(error, retry)) {
                const stepper = nextDelay ?? (yield* makeRetryStepper(retry))
                const delay: Option.Option<Duration.Duration> = yield* stepper(endedAt, error)
                if (Option.isSome(delay)) {
                  if (run.trace !== undefined) {
                    run.trace.waitedMs = Duration.toMillis(delay.value)
                    run.trace.retryAfterMs = "retryAfterMs" in error ? error.retryAfterMs : undefined
                  }
                  const delayMs = Duration.toMillis(delay.value)
                  if (deadline !== undefined && Date.now() + delayMs >= deadline.at) {
                    yield* Effect.sleep(Math.max(0, deadline.at - Date.now()))
                    return yield* Effect.fail(deadline.expired())
                  }
                  yield* Effect.sleep(delay.value)
                  return yield* tryModel(index, entry, provider, tryNumber + 1, stepper)
                }
              }
              lastError = error
              if (policy.fallback === "none") return yield* Effect.fail(error)
              if (policy.fallback === "other-provider") excludedProviders.add(entry.provider)
              if (telemetry !== undefined) telemetry.fellBack(entry, error)
              return yield* fromEntry(index + 1)
            })
        })
      }

      return deadline === undefined ? withDeadline(run, fromEntry(0)) : fromEntry(0)
    })

  /**
   * A 404 without suggestions gets discovery's closest model ids, in its fields and its message. The
   * listing they come from may have to be fetched: under a handed deadline, only until it passes.
   */
  const withSuggestions = (
    error: LLMError,
    entry: ChainEntry,
    deadline: RequestDeadline | undefined
  ): Effect.Effect<LLMError, LLMError> => {
    if (error._tag !== "ModelNotFoundError" || error.suggestions.length > 0) return Effect.succeed(error)
    return Effect.map(
      boundedByDeadline(catalog.suggestionsFor(entry.provider, entry.model), deadline),
      (suggestions) =>
        suggestions.length === 0
          ? error
          : Object.assign(Object.create(Object.getPrototypeOf(error)), error, {
              suggestions,
              message: `${error.message}; did you mean ${suggestions.join(", ")}?`
            })
    )
  }

  /**
   * The request's deadline as its provider calls get it. `expired()` builds the deadline's error once
   * (the attempts so far, without the one it cut) and keeps it, which tells the chain the call was cut.
   */
  const requestDeadline = (run: RequestRun): RequestDeadline => {
    const deadline: RequestDeadline = {
      at: Date.now() + requestTimeoutMs!,
      error: undefined,
      expired: () => {
        deadline.error ??= deadlineError(run)
        return deadline.error
      }
    }
    return deadline
  }

  /**
   * The watchdog: the request's deadline over its whole chain (every attempt, backoff sleep, fallback
   * and lookup, and for a stream everything before its first text; after it, the idle timeout bounds
   * each wait) when it cannot be handed to the calls.
   */
  const withDeadline = <A, R>(run: RequestRun, chain: Effect.Effect<A, LLMError, R>): Effect.Effect<A, LLMError, R> =>
    requestTimeoutMs === undefined
      ? chain
      : // A child fiber and a plain timer: `Effect.timeout` (a race with a sleeping fiber) cost about
        // 30 us per request in a micro-benchmark, this about 7 us.
        // Stryker disable next-line ObjectLiteral,BooleanLiteral: equivalent but for speed, the child starts now instead of on the next scheduler turn
        Effect.flatMap(Effect.forkChild(chain, { startImmediately: true }), (fiber) => {
          let expired = false
          const timer = setTimeout(() => {
            expired = true
            fiber.interruptUnsafe()
          }, requestTimeoutMs)
          fiber.addObserver(() => clearTimeout(timer))
          return Effect.catchCause(Fiber.join(fiber), (cause) =>
            expired ? Effect.fail(deadlineError(run)) : Effect.failCause(cause)
          )
        })

  const deadlineError = (run: RequestRun) => {
    const last = run.attempts.at(-1)
    const tried = run.attempts
      .filter((attempt) => attempt.outcome !== "skipped")
      .map((attempt) => `${attempt.provider}/${attempt.model} ${attempt.errorTag ?? attempt.outcome}`)
    return new TimeoutError({
      provider: last?.provider ?? ctx.activeProvider,
      model: last?.model ?? run.request.model ?? ctx.activeModel,
      timeoutMs: requestTimeoutMs!,
      message: `the request did not ${run.stream ? "start streaming text" : "complete"} within its ${requestTimeoutMs} ms deadline (request_timeout), retries and fallbacks included${
        tried.length > 0 ? ` (attempts so far: ${tried.join(", ")})` : ""
      }; raise request_timeout, or set it to none`
    })
  }

  const emptyChain = (run: RequestRun) =>
    new InvalidRequestError({
      provider: ctx.activeProvider,
      model: run.request.model ?? ctx.activeModel,
      message: `no model to try: the chain is empty; configure providers.${ctx.activeProvider}`
    })

  return runChain
}

export type ChainRunner = ReturnType<typeof makeChainRunner>

interface RequestDeadline extends CallDeadline {
  error: TimeoutError | undefined
}
