/**
 * The `LLMOrchestrator` service (DESIGN sections 6, 8, 10): one request runs down a chain of models
 * (the active model, the provider's fallback models, then cross-provider entries), each retried by a
 * `Schedule`, with a circuit breaker per model, discovery-based validation, and one cost record per
 * attempt that consumed tokens. Streams fall back only before their first text.
 */
import { randomUUID } from "node:crypto"
import type { Config, Duration, Types } from "effect"
import {
  Cause,
  Channel,
  type Clock,
  Context,
  Effect,
  type Exit,
  Fiber,
  Layer,
  Option,
  type Pull,
  Scope,
  Stream
} from "effect"
import { isArrayNonEmpty, type NonEmptyReadonlyArray } from "effect/Array"
import {
  type CircuitBreakerConfig,
  type DiscoveryConfig,
  defaultCircuitBreaker,
  defaultDiscovery,
  defaultRetry,
  type FallbackConfig,
  type RetryConfig,
  resolveRequestTimeout
} from "../config/types.ts"
import { type BudgetReservation, type CostRecord, type CostReport, CostTracker, Pricing } from "../cost.ts"
import {
  type Attempt,
  type ChatRequest,
  type ChatResponse,
  type Cost,
  type ModelInfo,
  messageText,
  type ProviderFinish,
  type ProviderId,
  type ProviderStreamEvent,
  type StreamEvent,
  type Usage
} from "../domain.ts"
import {
  ConfigError,
  ContentFilteredError,
  classifyError,
  InvalidRequestError,
  type LLMError,
  TimeoutError
} from "../errors.ts"
import { optionalField } from "../internal/optional.ts"
import { isoTimestamp } from "../internal/timestamp.ts"
import { LLMProvider, type LLMProviderShape } from "../provider.ts"
import { makeModelCatalog } from "./discovery.ts"
import {
  type ChainEntry,
  exceedsRetryAfterCap,
  makeCircuitBreaker,
  makeRetryStepper,
  type RetryStepper
} from "./policy.ts"
import { modelIdProblem, modelIdRule, validateRequest } from "./validate.ts"

export interface ProviderSetup {
  /** The provider's layer, e.g. `OpenAIProvider.layer({ apiKey })`. */
  readonly layer: Layer.Layer<LLMProvider, ConfigError | Config.ConfigError>
  /** Tried in order after the active model (when this is the active provider). */
  readonly fallbackModels?: ReadonlyArray<string>
}

export interface LLMOrchestratorOptions {
  readonly activeProvider: ProviderId
  readonly activeModel: string
  readonly providers: { readonly [P in ProviderId]?: ProviderSetup }
  readonly retry?: Partial<RetryConfig>
  readonly fallback?: Partial<FallbackConfig>
  readonly circuitBreaker?: Partial<CircuitBreakerConfig>
  readonly discovery?: Partial<DiscoveryConfig>
  /** `request_timeout`: one request's deadline across its chain (default 15 min; 0: none). */
  readonly requestTimeoutMs?: number
}

export interface LLMOrchestratorShape {
  readonly activeProvider: ProviderId
  readonly activeModel: string
  readonly sendRequest: (request: ChatRequest) => Effect.Effect<ChatResponse, LLMError>
  /** Text deltas, then exactly one `Finish`. Stopping early aborts the provider's HTTP request. */
  readonly sendStreamingRequest: (request: ChatRequest) => Stream.Stream<StreamEvent, LLMError>
  /** Every configured provider's models, or one provider's. Cached per provider (discovery TTL). */
  readonly getAvailableModels: (provider?: ProviderId) => Effect.Effect<ReadonlyArray<ModelInfo>, LLMError>
  readonly refreshModels: (provider?: ProviderId) => Effect.Effect<ReadonlyArray<ModelInfo>, LLMError>
  /** USD spent by this session so far. */
  readonly getSessionCost: Effect.Effect<number>
  readonly getCostReport: Effect.Effect<CostReport>
}

/** What one user request accumulates while it runs down the chain. */
interface RequestRun {
  readonly requestId: string
  readonly request: ChatRequest
  readonly stream: boolean
  readonly metadata: Readonly<Record<string, string>>
  readonly attempts: Array<Attempt>
}

/** Usage seen so far on one streamed attempt, so a failed or cut stream is billed exactly once. */
interface StreamAttemptState {
  readonly entry: ChainEntry
  readonly startedAt: number
  usage: Usage | undefined
  finish: ProviderFinish | undefined
  recorded: boolean
  /** Characters of text delivered, to estimate usage when the provider never reported any. */
  deliveredChars: number
  /** What a budget holds for this attempt until it is billed or ends (undefined without a budget). */
  reservation: BudgetReservation | undefined
}

/** A provider stream read up to its first text: the events read, and the rest to pull. */
interface OpenedStream {
  readonly head: ReadonlyArray<ProviderStreamEvent>
  readonly pull: Pull.Pull<NonEmptyReadonlyArray<ProviderStreamEvent>, LLMError>
}

const newAttemptState = (entry: ChainEntry, startedAt: number): StreamAttemptState => ({
  entry,
  startedAt,
  usage: undefined,
  finish: undefined,
  recorded: false,
  deliveredChars: 0,
  reservation: undefined
})

/** About four characters a token: only for streams cut before the provider reported usage. */
const estimateUsage = (request: ChatRequest, deliveredChars: number): Usage => {
  const requestChars = request.messages.reduce((sum, m) => sum + messageText(m).length, 0)
  return {
    inputTokens: Math.ceil(requestChars / 4),
    outputTokens: Math.ceil(deliveredChars / 4),
    cacheReadTokens: 0,
    cacheWriteTokens: 0,
    reasoningTokens: 0
  }
}

const consumedTokens = (usage: Usage | undefined): usage is Usage =>
  usage !== undefined && usage.inputTokens + usage.outputTokens > 0

export class LLMOrchestrator extends Context.Service<LLMOrchestrator, LLMOrchestratorShape>()(
  "@llm-orchestrator/LLMOrchestrator"
) {
  /** Builds the orchestrator from explicit provider layers; needs the cost services (CostTracking.layer). */
  static layer(
    options: LLMOrchestratorOptions
  ): Layer.Layer<LLMOrchestrator, ConfigError | Config.ConfigError, Pricing | CostTracker> {
    return Layer.effect(LLMOrchestrator, make(options))
  }
}

/** Every configured model id checked once, so no chain entry can carry an id that leaves the model's URL path. */
const invalidModelIds = (options: LLMOrchestratorOptions) => {
  const problems: Array<{ readonly path: string; readonly message: string }> = []
  const check = (path: string, model: string, provider: ProviderId): void => {
    const problem = modelIdProblem(model, provider)
    if (problem !== undefined)
      problems.push({ path, message: `is not a valid ${provider} model id: ${problem}; ${modelIdRule}` })
  }
  check("activeModel", options.activeModel, options.activeProvider)
  for (const [id, setup] of Object.entries(options.providers) as Array<[ProviderId, ProviderSetup | undefined]>)
    for (const [i, model] of (setup?.fallbackModels ?? []).entries())
      check(`providers.${id}.fallbackModels[${i}]`, model, id)
  for (const [i, entry] of (options.fallback?.chain ?? []).entries())
    check(`fallback.chain[${i}].model`, entry.model, entry.provider)
  return problems
}

const make = (options: LLMOrchestratorOptions) =>
  Effect.gen(function* () {
    const retry: RetryConfig = { ...defaultRetry, ...options.retry }
    const breakerConfig: CircuitBreakerConfig = { ...defaultCircuitBreaker, ...options.circuitBreaker }
    const discovery: DiscoveryConfig = { ...defaultDiscovery, ...options.discovery }
    // Stryker disable next-line ArrayDeclaration: equivalent, buildChain skips an entry whose provider is not configured
    const fallbackChain = options.fallback?.chain ?? []
    const fallbackOnContentFilter = options.fallback?.onContentFilter ?? false
    const requestTimeoutMs = resolveRequestTimeout(options.requestTimeoutMs)
    const badModelIds = invalidModelIds(options)
    if (badModelIds.length > 0) return yield* Effect.fail(ConfigError.fromProblems(badModelIds))

    // Each provider layer is built once, in the orchestrator's scope (SDK clients live as long as it).
    const providers = new Map<ProviderId, LLMProviderShape>()
    for (const [id, setup] of Object.entries(options.providers) as Array<[ProviderId, ProviderSetup | undefined]>) {
      if (!setup) continue
      const context = yield* Layer.build(setup.layer)
      providers.set(id, Context.get(context, LLMProvider))
    }

    const tracker = yield* CostTracker
    const pricing = yield* Pricing
    const breaker = makeCircuitBreaker(breakerConfig)
    const catalog = yield* makeModelCatalog(providers, pricing, discovery.ttlMs)

    /** The active model, the active provider's fallbacks, then the cross-provider chain; no repeats. */
    const buildChain = (activeModel: string): ReadonlyArray<ChainEntry> => {
      const entries: Array<ChainEntry> = []
      const seen = new Set<string>()
      const add = (entry: ChainEntry) => {
        const key = `${entry.provider}/${entry.model}`
        if (seen.has(key) || !providers.has(entry.provider)) return
        seen.add(key)
        entries.push(entry)
      }
      add({ provider: options.activeProvider, model: activeModel })
      for (const model of options.providers[options.activeProvider]?.fallbackModels ?? [])
        add({ provider: options.activeProvider, model })
      for (const entry of fallbackChain) add(entry)
      return entries
    }
    // Built once: only a request that names another model needs a chain of its own.
    const configuredChain = buildChain(options.activeModel)
    const chainFor = (request: ChatRequest): ReadonlyArray<ChainEntry> =>
      // Stryker disable next-line ConditionalExpression,LogicalOperator,EqualityOperator: equivalent, buildChain(activeModel) is configuredChain
      request.model === undefined || request.model === options.activeModel ? configuredChain : buildChain(request.model)

    const recordCost = (
      run: RequestRun,
      entry: ChainEntry,
      usage: Usage,
      outcome: CostRecord["outcome"],
      attempt: number,
      latencyMs: number,
      extra: {
        readonly errorTag?: string | undefined
        readonly providerRequestId?: string | undefined
        readonly usageEstimated?: boolean
        /** The attempt's budget reservation, settled by this record. */
        readonly reservation?: BudgetReservation | undefined
      }
    ): Effect.Effect<Cost | undefined> => {
      const cost = pricing.costOf(entry.provider, entry.model, usage)
      // Optional fields are set, not spread: one object shape for every record is cheaper to build
      // and to encode for the log (this runs on every call).
      const record: Types.Mutable<CostRecord> = {
        timestamp: isoTimestamp(),
        requestId: run.requestId,
        provider: entry.provider,
        model: entry.model,
        usage,
        cost,
        latencyMs,
        outcome,
        attempt,
        stream: run.stream,
        metadata: run.metadata
      }
      // Stryker disable next-line ConditionalExpression: equivalent when forced true, an undefined errorTag is no errorTag
      if (extra.errorTag !== undefined) record.errorTag = extra.errorTag
      // Stryker disable next-line ConditionalExpression: equivalent when forced true, an undefined providerRequestId is no providerRequestId
      if (extra.providerRequestId !== undefined) record.providerRequestId = extra.providerRequestId
      if (extra.usageEstimated) record.usageEstimated = true
      return Effect.as(tracker.record(record, extra.reservation), cost)
    }

    /** Orders the chain by the circuit breaker: cooling models are skipped unless all are cooling. */
    const planChain = (run: RequestRun, entries: ReadonlyArray<ChainEntry>, now: number): ReadonlyArray<ChainEntry> => {
      const open = entries.map((entry) => breaker.isOpen(entry, now))
      if (!open.includes(true)) return entries
      if (!open.includes(false)) {
        // Every model is cooling: rather than fail blind, try the one that failed longest ago.
        const lastFailures = entries.map(breaker.lastFailureAt)
        return [entries[lastFailures.indexOf(Math.min(...lastFailures))]!]
      }
      return entries.filter((entry, i) => {
        if (!open[i]) return true
        run.attempts.push({ ...entry, attempt: 0, outcome: "skipped", errorTag: "CircuitOpen", durationMs: 0 })
        return false
      })
    }

    /**
     * Runs `attempt` down the chain (DESIGN sections 5 and 6): retry the same model while the error
     * is retryable and the schedule allows, move on when the table says so, fail at once otherwise.
     * Written as plain combinators rather than a generator: this runs on every request, and the
     * common case (the first model answers) should cost a handful of Effect steps.
     */
    const runChain = <A, R>(
      run: RequestRun,
      clock: Clock.Clock,
      attempt: (entry: ChainEntry, provider: LLMProviderShape) => Effect.Effect<A, LLMError, R>
    ): Effect.Effect<{ readonly value: A; readonly entry: ChainEntry }, LLMError, R> =>
      Effect.suspend(() => {
        const entries = planChain(run, chainFor(run.request), clock.currentTimeMillisUnsafe())
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
            run.attempts.push({ ...entry, attempt: 1, outcome: "error", errorTag: unpriced._tag, durationMs: 0 })
            lastError = unpriced
            return fromEntry(index + 1)
          }
          if (!discovery.validate) return tryModel(index, entry, provider, 1, undefined)
          const now = clock.currentTimeMillisUnsafe()
          return Effect.flatMap(catalog.check(entry.provider, entry.model, now), (unknown) => {
            if (unknown === undefined) return tryModel(index, entry, provider, 1, undefined)
            run.attempts.push({ ...entry, attempt: 1, outcome: "error", errorTag: unknown._tag, durationMs: 0 })
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
          const startedAt = clock.currentTimeMillisUnsafe()
          return Effect.matchEffect(attempt(entry, provider), {
            onSuccess: (value) => {
              const durationMs = clock.currentTimeMillisUnsafe() - startedAt
              run.attempts.push({ ...entry, attempt: tryNumber, outcome: "success", durationMs })
              breaker.onSuccess(entry)
              return Effect.succeed({ value, entry })
            },
            onFailure: (failure) =>
              Effect.gen(function* () {
                const endedAt = clock.currentTimeMillisUnsafe()
                let error = failure
                if (error._tag === "ModelNotFoundError" && error.suggestions.length === 0) {
                  const suggestions = yield* catalog.suggestionsFor(entry.provider, entry.model)
                  if (suggestions.length > 0)
                    error = Object.assign(Object.create(Object.getPrototypeOf(error)), error, {
                      suggestions,
                      message: `${error.message}; did you mean ${suggestions.join(", ")}?`
                    })
                }
                run.attempts.push({
                  ...entry,
                  attempt: tryNumber,
                  outcome: "error",
                  errorTag: error._tag,
                  durationMs: endedAt - startedAt
                })
                const policy = classifyError(error, { fallbackOnContentFilter })
                if (policy.retrySameModel) breaker.onRetryableFailure(entry, endedAt)
                if (policy.retrySameModel && !exceedsRetryAfterCap(error, retry)) {
                  const stepper = nextDelay ?? (yield* makeRetryStepper(retry))
                  const delay: Option.Option<Duration.Duration> = yield* stepper(endedAt, error)
                  if (Option.isSome(delay)) {
                    yield* Effect.sleep(delay.value)
                    return yield* tryModel(index, entry, provider, tryNumber + 1, stepper)
                  }
                }
                lastError = error
                if (policy.fallback === "none") return yield* Effect.fail(error)
                if (policy.fallback === "other-provider") excludedProviders.add(entry.provider)
                return yield* fromEntry(index + 1)
              })
          })
        }

        return withDeadline(run, fromEntry(0))
      })

    /**
     * The request's deadline over its whole chain: every attempt, backoff sleep and fallback, and for
     * a stream everything before its first text (after it, the idle timeout bounds each wait).
     */
    const withDeadline = <A, R>(
      run: RequestRun,
      chain: Effect.Effect<A, LLMError, R>
    ): Effect.Effect<A, LLMError, R> =>
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
        provider: last?.provider ?? options.activeProvider,
        model: last?.model ?? run.request.model ?? options.activeModel,
        timeoutMs: requestTimeoutMs!,
        message: `the request did not ${run.stream ? "start streaming text" : "complete"} within its ${requestTimeoutMs} ms deadline (request_timeout), retries and fallbacks included${
          tried.length > 0 ? ` (attempts so far: ${tried.join(", ")})` : ""
        }; raise request_timeout, or set it to none`
      })
    }

    const emptyChain = (run: RequestRun) =>
      new InvalidRequestError({
        provider: options.activeProvider,
        model: run.request.model ?? options.activeModel,
        message: `no model to try: the chain is empty; configure providers.${options.activeProvider}`
      })

    /** Validation and budget: both fail before anything is sent. */
    const begin = (request: ChatRequest, stream: boolean): Effect.Effect<RequestRun, LLMError> => {
      const model = request?.model ?? options.activeModel
      const invalid = validateRequest(request, options.activeProvider, model)
      if (invalid) return Effect.fail(invalid)
      return Effect.as(tracker.checkBudget(options.activeProvider, model), {
        requestId: randomUUID(),
        request,
        stream,
        metadata: request.metadata ?? {},
        attempts: []
      })
    }

    const sendRequest = (request: ChatRequest): Effect.Effect<ChatResponse, LLMError> =>
      Effect.clockWith((clock) => {
        const startedAt = clock.currentTimeMillisUnsafe()
        return begin(request, false).pipe(
          Effect.flatMap((run) => {
            const generate = (entry: ChainEntry, provider: LLMProviderShape, reservation?: BudgetReservation) => {
              const attemptStart = clock.currentTimeMillisUnsafe()
              return Effect.flatMap(provider.generate(request, entry.model), (response) => {
                const latencyMs = clock.currentTimeMillisUnsafe() - attemptStart
                // runChain lists this attempt right after it returns: it will be number length + 1.
                const attempt = run.attempts.length + 1
                if (response.finishReason === "content-filter" && response.content === "") {
                  // Billed, but nothing to show: one rule for every provider (DESIGN section 5).
                  return Effect.andThen(
                    recordCost(run, entry, response.usage, "error", attempt, latencyMs, {
                      errorTag: "ContentFilteredError",
                      providerRequestId: response.requestId,
                      reservation
                    }),
                    Effect.fail(contentFiltered(entry, response.requestId))
                  )
                }
                return Effect.map(
                  recordCost(run, entry, response.usage, "success", attempt, latencyMs, {
                    providerRequestId: response.requestId,
                    reservation
                  }),
                  (cost) => ({ response, cost })
                )
              })
            }
            // Under a budget each attempt holds its worst case until its cost is recorded or it fails;
            // without one, no reservation work at all.
            const attempt = tracker.budgeted
              ? (entry: ChainEntry, provider: LLMProviderShape) =>
                  Effect.acquireUseRelease(
                    tracker.reserve(entry.provider, entry.model, request),
                    (reservation) => generate(entry, provider, reservation),
                    tracker.release
                  )
              : generate
            return runChain(run, clock, attempt).pipe(
              Effect.map(
                ({ value }): ChatResponse => ({
                  ...value.response,
                  cost: value.cost,
                  attempts: run.attempts,
                  latencyMs: clock.currentTimeMillisUnsafe() - startedAt
                })
              )
            )
          })
        )
      })

    /**
     * Opens one provider stream in the public stream's scope and reads it up to its first text (or
     * its end). Failing here is still "before the first text": the chain may retry or fall back.
     * What was read is replayed.
     */
    const openStream = (
      run: RequestRun,
      provider: LLMProviderShape,
      state: StreamAttemptState,
      scope: Scope.Scope,
      clock: Clock.Clock
    ): Effect.Effect<OpenedStream, LLMError> => {
      const entry = state.entry
      // runChain lists this attempt right after it ends: it will be number length + 1.
      const billFailure = (usage: Usage, errorTag: string, providerRequestId?: string) => {
        state.recorded = true
        const latencyMs = clock.currentTimeMillisUnsafe() - state.startedAt
        return recordCost(run, entry, usage, "error", run.attempts.length + 1, latencyMs, {
          errorTag,
          providerRequestId,
          reservation: state.reservation
        })
      }
      return Effect.flatMap(
        Channel.toPullScoped(Stream.toChannel(provider.stream(run.request, entry.model)), scope),
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
                sawTextOrEnd = true
                if (event._tag === "TextDelta") {
                  if (event.text !== "") sawText = true
                  else sawTextOrEnd = sawText
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
     * One channel for the whole public stream: validation, the chain up to a first text, then a pull
     * that maps provider events to public ones chunk by chunk. Written as one pull rather than a
     * pipeline of stream operators: every operator is a channel of its own, on every chunk.
     */
    const sendStreamingRequest = (request: ChatRequest): Stream.Stream<StreamEvent, LLMError> =>
      Stream.fromChannel(
        Channel.fromTransform((_upstream, scope) =>
          Effect.clockWith((clock) =>
            Effect.flatMap(begin(request, true), (run) => {
              let current: StreamAttemptState | undefined
              let won = false
              // Whatever the stream consumed and nobody billed yet is billed when it closes: an attempt
              // interrupted before its first text after the provider reported usage (Anthropic's
              // message_start), or the winner stopped early or interrupted after its first text.
              const bill = (exit: Exit.Exit<unknown, unknown>, state: StreamAttemptState): Effect.Effect<unknown> => {
                if (won)
                  return billWinner(run, state, clock, exit._tag === "Failure" ? errorTagOf(exit.cause) : undefined)
                if (state.recorded || !consumedTokens(state.usage)) return Effect.void
                state.recorded = true
                const latencyMs = clock.currentTimeMillisUnsafe() - state.startedAt
                // Stryker disable next-line ObjectLiteral: equivalent at rest, without the reservation the record does not settle it and the release right after does
                return recordCost(run, state.entry, state.usage, "interrupted", run.attempts.length + 1, latencyMs, {
                  reservation: state.reservation
                })
              }
              // The winner's reservation is held until here, however the stream ends; billing settles
              // it, and what was never billed (no usage) is released after.
              const billOnClose = Scope.addFinalizerExit(scope, (exit) => {
                if (current === undefined) return Effect.void
                const state = current
                if (state.reservation === undefined) return bill(exit, state)
                return Effect.ensuring(bill(exit, state), tracker.release(state.reservation))
              })
              const open = (entry: ChainEntry, provider: LLMProviderShape, reservation?: BudgetReservation) => {
                current = newAttemptState(entry, clock.currentTimeMillisUnsafe())
                current.reservation = reservation
                return openStream(run, provider, current, scope, clock)
              }
              // Under a budget each attempt reserves first. One that ends before its first text is billed
              // (if interrupted after usage) and then gives its reservation back, so the next attempt
              // reserves its own; the winner's passes to billOnClose.
              const chain = runChain(
                run,
                clock,
                tracker.budgeted
                  ? (entry, provider) =>
                      Effect.acquireUseRelease(
                        tracker.reserve(entry.provider, entry.model, request),
                        (reservation) => open(entry, provider, reservation),
                        (reservation, exit) => {
                          if (exit._tag === "Success") return Effect.void
                          const release = tracker.release(reservation)
                          // Stryker disable next-line ConditionalExpression,EqualityOperator,OptionalChaining: current is another attempt only if an interruption lands between reserve and open (no test can schedule that); billOnClose bills the current attempt either way
                          return current?.reservation === reservation
                            ? Effect.ensuring(bill(exit, current), release)
                            : release
                        }
                      )
                  : open
              )
              return Effect.andThen(
                billOnClose,
                Effect.map(chain, ({ value: opened }) => {
                  won = true
                  return publicPull(run, opened, current!, clock)
                })
              )
            })
          )
        )
      )

    /** The winning attempt's events as public ones: text, then exactly one Finish; billed at its end. */
    const publicPull = (
      run: RequestRun,
      opened: OpenedStream,
      state: StreamAttemptState,
      clock: Clock.Clock
    ): Pull.Pull<NonEmptyReadonlyArray<StreamEvent>, LLMError> => {
      const entry = state.entry
      const toPublic = (event: ProviderStreamEvent): StreamEvent | undefined => {
        switch (event._tag) {
          case "TextDelta":
            if (event.text === "") return undefined
            state.deliveredChars += event.text.length
            return event
          case "UsageSnapshot":
            state.usage = event.usage
            return undefined
          case "ProviderFinish":
            state.finish = event
            state.usage = event.usage
            return {
              _tag: "Finish",
              finishReason: event.finishReason,
              usage: event.usage,
              cost: pricing.costOf(entry.provider, entry.model, event.usage),
              provider: entry.provider,
              model: event.model || entry.model,
              attempts: run.attempts,
              ...optionalField("requestId", event.requestId)
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
        // The end, or an error after text: billed now, so the record's latency is the stream's own.
        onFailure: (error) =>
          Effect.andThen(
            billWinner(run, state, clock, Cause.isDone(error) ? undefined : error._tag),
            Effect.fail(error)
          )
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
      const latency = clock.currentTimeMillisUnsafe() - state.startedAt
      const attempt = run.attempts.length
      if (state.finish) {
        return recordCost(run, state.entry, state.finish.usage, "success", attempt, latency, {
          providerRequestId: state.finish.requestId,
          reservation: state.reservation
        })
      }
      // Cut short after text was delivered: bill the usage known so far, once; when the provider
      // reported none yet (OpenAI and Bedrock report it last), an estimate, flagged.
      const known = consumedTokens(state.usage)
      const usage = known ? state.usage! : estimateUsage(run.request, state.deliveredChars)
      if (!consumedTokens(usage)) return Effect.void
      return recordCost(run, state.entry, usage, errorTag ? "error" : "interrupted", attempt, latency, {
        errorTag,
        usageEstimated: !known,
        reservation: state.reservation
      })
    }

    const knownProvider = (provider: ProviderId | undefined) =>
      provider === undefined || providers.has(provider)
        ? Effect.void
        : Effect.fail(
            new InvalidRequestError({
              provider,
              model: "",
              message: `provider ${provider} is not configured; add providers.${provider} to the config (configured: ${[...providers.keys()].join(", ")})`
            })
          )

    return LLMOrchestrator.of({
      activeProvider: options.activeProvider,
      activeModel: options.activeModel,
      sendRequest,
      sendStreamingRequest,
      getAvailableModels: (provider) => Effect.andThen(knownProvider(provider), catalog.list(provider)),
      refreshModels: (provider) => Effect.andThen(knownProvider(provider), catalog.refresh(provider)),
      getSessionCost: tracker.sessionCost,
      getCostReport: tracker.report
    })
  })

const contentFiltered = (entry: ChainEntry, requestId: string | undefined) =>
  new ContentFilteredError({
    provider: entry.provider,
    model: entry.model,
    ...optionalField("requestId", requestId),
    message: `${entry.provider} model ${entry.model} returned no text: its safety filter blocked the response. Rephrase the request, or set fallback.on_content_filter to try the next model`
  })

const errorTagOf = (cause: Cause.Cause<unknown>): string | undefined => {
  for (const reason of cause.reasons)
    if (reason._tag === "Fail" && !Cause.isDone(reason.error)) return (reason.error as LLMError)._tag
  return undefined
}
