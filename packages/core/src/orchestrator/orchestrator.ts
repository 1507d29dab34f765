/**
 * The `LLMOrchestrator` service (docs/ARCHITECTURE.md): validation and the budget check, then the
 * chain runner (runner.ts) over the planned chain (chain.ts) with the retry and breaker policy
 * (policy.ts); every try goes through the attempt recorder (attempts.ts), and a stream through the
 * stream gate (stream-gate.ts), which lets it fall back only before its first text.
 */
import { randomUUID } from "node:crypto"
import type { Config } from "effect"
import { Channel, type Clock, Context, Effect, Exit, Layer, Metric, Scope, Stream } from "effect"
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
import { type BudgetReservation, type CostReport, CostTracker, Pricing } from "../cost.ts"
import type { ChatRequest, ChatResponse, ModelInfo, ProviderId, StreamEvent } from "../domain.ts"
import { ConfigError, InvalidRequestError, type LLMError, OutputValidationError } from "../errors.ts"
import { type CallDeadline, LLMProvider, type LLMProviderShape } from "../provider.ts"
import { type AttemptTicket, contentFiltered, makeAttemptRecorder, type RequestRun } from "./attempts.ts"
import { invalidModelIds, makeChainPlanner } from "./chain.ts"
import { makeModelCatalog } from "./discovery.ts"
import { asInstance } from "./instance.ts"
import { structuredOutput } from "./output.ts"
import { makeCircuitBreaker } from "./policy.ts"
import { makeChainRunner } from "./runner.ts"
import { makeStreamGate } from "./stream-gate.ts"
import { makeTelemetry, type TelemetryOptions } from "./telemetry.ts"
import { type ModelIdCheck, validateRequest } from "./validate.ts"

export interface ProviderSetup {
  /** The provider's layer, e.g. `OpenAIProvider.layer({ apiKey })`. */
  readonly layer: Layer.Layer<LLMProvider, ConfigError | Config.ConfigError>
  /** Tried in order after the active model (when this is the active provider). */
  readonly fallbackModels?: ReadonlyArray<string>
  /** Its type's narrowing of model ids (`ProviderType.checkModelId`), applied to configured and requested ids. */
  readonly checkModelId?: ModelIdCheck | undefined
}

export interface LLMOrchestratorOptions {
  readonly activeProvider: ProviderId
  readonly activeModel: string
  /** By instance name: errors, model lists and cost records name the instance. */
  readonly providers: Readonly<Record<ProviderId, ProviderSetup | undefined>>
  readonly retry?: Partial<RetryConfig>
  readonly fallback?: Partial<FallbackConfig>
  readonly circuitBreaker?: Partial<CircuitBreakerConfig>
  readonly discovery?: Partial<DiscoveryConfig>
  /** `request_timeout`: one request's deadline across its chain (default 15 min; 0: none). */
  readonly requestTimeoutMs?: number
  /**
   * Spans and metrics of every request (README "Telemetry"); absent: off, and the request path does
   * no telemetry work at all.
   */
  readonly telemetry?: TelemetryOptions | undefined
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

const make = (options: LLMOrchestratorOptions) =>
  Effect.gen(function* () {
    const badModelIds = invalidModelIds(options)
    if (badModelIds.length > 0) return yield* Effect.fail(ConfigError.fromProblems(badModelIds))

    // Each provider layer is built once, in the orchestrator's scope (SDK clients live as long as it).
    const providers = new Map<ProviderId, LLMProviderShape>()
    const typeOf = new Map<ProviderId, string>()
    for (const [id, setup] of Object.entries(options.providers)) {
      if (!setup) continue
      const context = yield* Layer.build(setup.layer)
      const provider = Context.get(context, LLMProvider)
      typeOf.set(id, provider.id)
      providers.set(id, asInstance(id, provider))
    }

    const activeModelCheck = options.providers[options.activeProvider]?.checkModelId
    const tracker = yield* CostTracker
    const pricing = yield* Pricing
    const discovery: DiscoveryConfig = { ...defaultDiscovery, ...options.discovery }
    const catalog = yield* makeModelCatalog(providers, pricing, discovery.ttlMs)
    const telemetry =
      options.telemetry === undefined
        ? undefined
        : makeTelemetry(options.telemetry, typeOf, yield* Metric.MetricRegistry)
    const recorder = makeAttemptRecorder(tracker, pricing, telemetry)
    const runChain = makeChainRunner({
      activeProvider: options.activeProvider,
      activeModel: options.activeModel,
      providers,
      chainFor: makeChainPlanner(options, new Set(providers.keys())),
      breaker: makeCircuitBreaker({ ...defaultCircuitBreaker, ...options.circuitBreaker }),
      catalog,
      discovery,
      retry: { ...defaultRetry, ...options.retry },
      fallbackOnContentFilter: options.fallback?.onContentFilter ?? false,
      // Stryker disable next-line LogicalOperator: equivalent, classifyError treats an unset value as true
      fallbackOnInvalidOutput: options.fallback?.onInvalidOutput ?? true,
      requestTimeoutMs: resolveRequestTimeout(options.requestTimeoutMs),
      tracker,
      recorder,
      telemetry
    })
    const streamRun = makeStreamGate({ runChain, recorder, tracker, pricing, telemetry })

    /** Ends a traced request's span and records its duration. */
    const endRequest = (run: RequestRun, exit: Exit.Exit<unknown, unknown>) =>
      Effect.sync(() => telemetry!.endRequest(run, options.activeProvider, options.activeModel, exit))

    /** Validation and budget: both fail before anything is sent. */
    const begin = (request: ChatRequest, stream: boolean, clock: Clock.Clock): Effect.Effect<RequestRun, LLMError> => {
      const model = request?.model ?? options.activeModel
      const invalid = validateRequest(request, options.activeProvider, model, activeModelCheck)
      if (invalid) return Effect.fail(invalid)
      const budget = tracker.checkBudget(options.activeProvider, model)
      if (telemetry === undefined)
        return Effect.as(budget, {
          requestId: randomUUID(),
          request,
          stream,
          metadata: request.metadata ?? {},
          attempts: [],
          trace: undefined
        })
      // Traced: the span starts before the budget check, so a refused request has its span too.
      return Effect.flatMap(telemetry.startRequest(request, stream, options.activeProvider, model, clock), (trace) => {
        const run: RequestRun = {
          requestId: randomUUID(),
          request,
          stream,
          metadata: request.metadata ?? {},
          attempts: [],
          trace
        }
        return Effect.as(
          Effect.onError(budget, (cause) => endRequest(run, Exit.failCause(cause))),
          run
        )
      })
    }

    /**
     * One plain call: billed when it returns, also when it then fails (a content-filtered empty answer,
     * an answer not in the requested schema).
     */
    const generate = (
      run: RequestRun,
      clock: Clock.Clock,
      ticket: AttemptTicket,
      provider: LLMProviderShape,
      deadline: CallDeadline | undefined,
      reservation?: BudgetReservation
    ) =>
      Effect.flatMap(provider.generate(run.request, ticket.entry.model, deadline), (response) => {
        const latencyMs = clock.currentTimeMillisUnsafe() - ticket.startedAt
        const billedFailure = (error: LLMError) =>
          Effect.andThen(
            recorder.bill(run, ticket, response.usage, "error", latencyMs, {
              errorTag: error._tag,
              providerRequestId: response.requestId,
              reservation
            }),
            Effect.fail(error)
          )
        if (response.finishReason === "content-filter" && response.content === "" && response.toolCalls === undefined)
          // Nothing to show: one rule for every provider (docs/ARCHITECTURE.md, "Errors").
          return billedFailure(contentFiltered(ticket.entry, response.requestId))
        // An answer of tool calls has no structured output yet: the tool loop's last step has it.
        const format = response.toolCalls === undefined ? run.request.responseFormat : undefined
        const checked = format === undefined ? undefined : structuredOutput(format, ticket.entry, response)
        if (checked instanceof OutputValidationError) return billedFailure(checked)
        return Effect.map(
          recorder.bill(run, ticket, response.usage, "success", latencyMs, {
            providerRequestId: response.requestId,
            reservation
          }),
          (cost) => ({ response: checked === undefined ? response : { ...response, output: checked.output }, cost })
        )
      })

    const sendRequest = (request: ChatRequest): Effect.Effect<ChatResponse, LLMError> =>
      Effect.clockWith((clock) => {
        const startedAt = clock.currentTimeMillisUnsafe()
        return begin(request, false, clock).pipe(
          Effect.flatMap((run) => {
            const response = runChain(
              run,
              clock,
              // Under a budget each attempt holds its worst case until its cost is recorded or it
              // fails; without one, no reservation work at all. The reservation may wait (a shared
              // budget's row locked by another instance): that wait is interruptible, so the
              // deadline ends it (an interrupted reservation gives back what it held).
              tracker.budgeted
                ? (ticket, provider, deadline) =>
                    Effect.acquireUseRelease(
                      Effect.interruptible(tracker.reserve(ticket.entry.provider, ticket.entry.model, request)),
                      (reservation) => generate(run, clock, ticket, provider, deadline, reservation),
                      tracker.release
                    )
                : (ticket, provider, deadline) => generate(run, clock, ticket, provider, deadline)
            ).pipe(
              Effect.map(
                ({ value }): ChatResponse => ({
                  ...value.response,
                  cost: value.cost,
                  attempts: run.attempts,
                  latencyMs: clock.currentTimeMillisUnsafe() - startedAt
                })
              )
            )
            if (run.trace === undefined) return response
            return Effect.onExit(response, (exit) => {
              if (exit._tag === "Success") telemetry!.answered(run, exit.value)
              return endRequest(run, exit)
            })
          })
        )
      })

    const sendStreamingRequest = (request: ChatRequest): Stream.Stream<StreamEvent, LLMError> =>
      Stream.fromChannel(
        Channel.fromTransform((_upstream, scope) =>
          Effect.clockWith((clock) =>
            Effect.flatMap(begin(request, true, clock), (run) =>
              run.trace === undefined
                ? streamRun(run, scope, clock)
                : // Added first, so it runs last: after the winner is billed and its span ended.
                  Effect.andThen(
                    Scope.addFinalizerExit(scope, (exit) => endRequest(run, exit)),
                    streamRun(run, scope, clock)
                  )
            )
          )
        )
      )

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
