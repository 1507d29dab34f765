/**
 * Tracing and metrics of requests (docs/ARCHITECTURE.md, "Telemetry"): one span per request, one
 * child span per attempt, GenAI metrics, all from what the attempt recorder already knows (tickets,
 * cost records). Off unless `LLMOrchestratorOptions.telemetry` is given: then nothing here is built
 * and the orchestrator's hot path only tests `run.trace === undefined`.
 *
 * Attribute names follow the OpenTelemetry GenAI semantic conventions (incubating); they are plain
 * strings here, and test/telemetry-*.test.ts checks them against `@opentelemetry/semantic-conventions`.
 * Our own attributes and metrics are under `llm_orchestrator.`.
 */
import { Cause, type Clock, Context, Effect, Exit, Metric, Option, Tracer } from "effect"
import type { CostRecord } from "../cost.ts"
import type { ChatRequest, FinishReason, ProviderId, Usage } from "../domain.ts"
import type { LLMError } from "../errors.ts"
import type { AttemptTicket, RequestRun } from "./attempts.ts"
import type { ChainEntry } from "./policy.ts"

export interface TelemetryOptions {
  /**
   * Record prompt and completion content (`gen_ai.input.messages`, `gen_ai.output.messages`) on the
   * request span. Off by default: content never leaves the process through telemetry unless asked.
   */
  readonly captureContent?: boolean | undefined
  /**
   * The tracer for requests whose fiber has only Effect's native tracer (no tracing of its own): the
   * configured exporter's. A caller that installed a tracer (its OpenTelemetry SDK through
   * `@effect/opentelemetry`, or any Effect tracer) keeps it, and the request's spans join its trace.
   * Without either, requests get no spans (metrics are still recorded).
   */
  readonly tracer?: Tracer.Tracer | undefined
  /** Fraction of root requests traced, 0..1 (default 1). A request under a parent span follows the parent. */
  readonly sampleRatio?: number | undefined
  /** The metric registry to record into (default: the one in the orchestrator layer's context). */
  readonly metricRegistry?: Metric.MetricRegistry | undefined
}

/** The prefix of our own attributes and metrics. */
export const attributePrefix = "llm_orchestrator."

/** GenAI semantic-convention names (checked against the constants in test/telemetry-spans.test.ts). */
export const GenAI = {
  operationName: "gen_ai.operation.name",
  providerName: "gen_ai.provider.name",
  requestModel: "gen_ai.request.model",
  requestTemperature: "gen_ai.request.temperature",
  requestMaxTokens: "gen_ai.request.max_tokens",
  requestTopP: "gen_ai.request.top_p",
  requestStopSequences: "gen_ai.request.stop_sequences",
  requestStream: "gen_ai.request.stream",
  responseModel: "gen_ai.response.model",
  responseId: "gen_ai.response.id",
  responseFinishReasons: "gen_ai.response.finish_reasons",
  responseTimeToFirstChunk: "gen_ai.response.time_to_first_chunk",
  usageInputTokens: "gen_ai.usage.input_tokens",
  usageOutputTokens: "gen_ai.usage.output_tokens",
  usageCacheReadInputTokens: "gen_ai.usage.cache_read.input_tokens",
  usageCacheCreationInputTokens: "gen_ai.usage.cache_creation.input_tokens",
  usageReasoningOutputTokens: "gen_ai.usage.reasoning.output_tokens",
  tokenType: "gen_ai.token.type",
  inputMessages: "gen_ai.input.messages",
  outputMessages: "gen_ai.output.messages",
  errorType: "error.type",
  metricTokenUsage: "gen_ai.client.token.usage",
  metricOperationDuration: "gen_ai.client.operation.duration",
  metricTimeToFirstChunk: "gen_ai.client.operation.time_to_first_chunk"
} as const

/** Our own span attributes. */
export const Attr = {
  costUsd: `${attributePrefix}cost_usd`,
  unpriced: `${attributePrefix}unpriced`,
  attempts: `${attributePrefix}attempts`,
  fellBack: `${attributePrefix}fell_back`,
  usageEstimated: `${attributePrefix}usage_estimated`,
  providerInstance: `${attributePrefix}provider.instance`,
  requestId: `${attributePrefix}request_id`,
  outcome: `${attributePrefix}outcome`,
  attemptNumber: `${attributePrefix}attempt.number`,
  attemptTry: `${attributePrefix}attempt.try`,
  attemptOutcome: `${attributePrefix}attempt.outcome`,
  attemptErrorTag: `${attributePrefix}attempt.error_tag`,
  attemptWaitedMs: `${attributePrefix}attempt.waited_ms`,
  attemptRetryAfterMs: `${attributePrefix}attempt.retry_after_ms`
} as const

/** Our own metrics (Prometheus: dots become underscores). */
export const MetricName = {
  tokens: `${attributePrefix}tokens`,
  costUsd: `${attributePrefix}cost_usd`,
  costUsdByTag: `${attributePrefix}cost_usd_by_tag`,
  attempts: `${attributePrefix}attempts`,
  fallbacks: `${attributePrefix}fallbacks`,
  circuitBreakerOpenings: `${attributePrefix}circuit_breaker.openings`
} as const

/** Provider types under their GenAI `gen_ai.provider.name`; other types keep their own name. */
const providerNames: Readonly<Record<string, string>> = {
  openai: "openai",
  "openai-compatible": "openai",
  anthropic: "anthropic",
  gemini: "gcp.gemini",
  vertex: "gcp.vertex_ai",
  bedrock: "aws.bedrock"
}

const finishReasonNames: Readonly<Record<FinishReason, string>> = {
  stop: "stop",
  length: "length",
  "content-filter": "content_filter",
  "tool-calls": "tool_calls",
  error: "error",
  other: "other"
}

// Advised bucket boundaries of the GenAI conventions.
const tokenBoundaries = [1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864]
const secondsBoundaries = [0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92]

/**
 * A metric of the telemetry: one Effect `Metric` per series (attribute set), made on the series' first
 * update. Not `Metric.withAttributes` over one shared metric: the shared metric keeps the key of one
 * attribute set only, so alternating series rebuilt their registry key (a sorted JSON string) on every
 * update, 11 updates a request (bench/profile.ts, Prometheus arm).
 */
interface MetricDefinition {
  readonly name: string
  readonly series: (attributes: Record<string, string>) => Metric.Metric<number, unknown>
}

const histogram = (name: string, description: string, boundaries: ReadonlyArray<number>): MetricDefinition => ({
  name,
  series: (attributes) => Metric.histogram(name, { description, boundaries, attributes })
})

const counter = (name: string, description: string): MetricDefinition => ({
  name,
  series: (attributes) => Metric.counter(name, { description, incremental: true, attributes })
})

const metrics = {
  tokenUsage: histogram(GenAI.metricTokenUsage, "Number of input and output tokens used", tokenBoundaries),
  duration: histogram(
    GenAI.metricOperationDuration,
    "GenAI operation duration (s): one request, its retries and fallbacks included",
    secondsBoundaries
  ),
  timeToFirstChunk: histogram(
    GenAI.metricTimeToFirstChunk,
    "Time to the first chunk of a streamed answer (s)",
    secondsBoundaries
  ),
  tokens: counter(
    MetricName.tokens,
    "Tokens billed, by type (input, output, cache_read, cache_write, reasoning), as in the cost log"
  ),
  cost: counter(MetricName.costUsd, "USD billed, as in the cost log"),
  costByTag: counter(MetricName.costUsdByTag, "USD billed per metadata tag (key=value), as the cost report's byTag"),
  attempts: counter(MetricName.attempts, "Attempts, by outcome"),
  fallbacks: counter(MetricName.fallbacks, "Moves to the next model of the chain after a failure"),
  breakerOpenings: counter(MetricName.circuitBreakerOpenings, "Circuit breaker openings per model")
}

/** What one traced request accumulates (RequestRun.trace). */
export interface RequestTrace {
  /** undefined: no tracer for this request (metrics only). */
  readonly span: Tracer.Span | undefined
  readonly tracer: Tracer.Tracer | undefined
  /** The request's clock: every span time and duration is read from it. */
  readonly clock: Clock.Clock
  readonly startedAt: number
  costUsd: number
  unpriced: boolean
  usageEstimated: boolean
  /** The wait before the next attempt, set by the runner (ms) and the Retry-After that asked for it. */
  waitedMs: number | undefined
  retryAfterMs: number | undefined
  /** Every billed attempt's usage added up: what the request consumed (its cost is `costUsd`). */
  usage: Usage | undefined
  /** The winner's answer, set when it is billed or returned. */
  finishReason: FinishReason | undefined
  responseModel: string | undefined
  responseId: string | undefined
  winner: ChainEntry | undefined
  firstChunkAt: number | undefined
  /** The winner's text, collected only with captureContent. */
  output: string | undefined
}

const addUsage = (a: Usage, b: Usage): Usage => ({
  inputTokens: a.inputTokens + b.inputTokens,
  outputTokens: a.outputTokens + b.outputTokens,
  cacheReadTokens: a.cacheReadTokens + b.cacheReadTokens,
  cacheWriteTokens: a.cacheWriteTokens + b.cacheWriteTokens,
  reasoningTokens: a.reasoningTokens + b.reasoningTokens
})

/** The request's error when `exit` failed with one (not an interruption, not a stream's normal end). */
export const failureOf = (exit: Exit.Exit<unknown, unknown>): LLMError | undefined => {
  if (exit._tag === "Success") return undefined
  for (const reason of exit.cause.reasons)
    if (reason._tag === "Fail" && !Cause.isDone(reason.error)) return reason.error as LLMError
  return undefined
}

export type Telemetry = ReturnType<typeof makeTelemetry>

/**
 * Built once per orchestrator when telemetry is on. `typeOf` maps an instance name to its provider
 * type (the adapter's own id).
 */
export const makeTelemetry = (
  options: TelemetryOptions,
  typeOf: ReadonlyMap<ProviderId, string>,
  registry: Metric.MetricRegistry
) => {
  const captureContent = options.captureContent === true
  const sampleRatio = options.sampleRatio ?? 1
  const fallbackTracer = options.tracer
  const metricContext = Context.make(Metric.MetricRegistry, options.metricRegistry ?? registry)
  const seriesCache = new Map<string, Metric.Metric<number, unknown>>()
  /** Adds `value` to the series `key` of `metric`; its attributes are built only for a new series. */
  const update = (
    metric: MetricDefinition,
    key: string,
    attributes: () => Record<string, string>,
    value: number
  ): void => {
    const cacheKey = `${metric.name}\u0000${key}`
    let series = seriesCache.get(cacheKey)
    if (series === undefined) {
      series = metric.series(attributes())
      seriesCache.set(cacheKey, series)
    }
    series.updateUnsafe(value, metricContext)
  }

  const providerName = (provider: ProviderId): string => {
    const type = typeOf.get(provider) ?? provider
    return providerNames[type] ?? type
  }

  const requestModel = (run: RequestRun, activeModel: string) => run.request.model ?? activeModel

  const requestAttributes = (request: ChatRequest, model: string, stream: boolean, provider: ProviderId) => {
    const attributes: Record<string, unknown> = {
      [GenAI.operationName]: "chat",
      [GenAI.providerName]: providerName(provider),
      [GenAI.requestModel]: model,
      [GenAI.requestStream]: stream
    }
    if (request.temperature !== undefined) attributes[GenAI.requestTemperature] = request.temperature
    if (request.maxTokens !== undefined) attributes[GenAI.requestMaxTokens] = request.maxTokens
    if (request.topP !== undefined) attributes[GenAI.requestTopP] = request.topP
    if (request.stop !== undefined) attributes[GenAI.requestStopSequences] = [...request.stop]
    if (captureContent) attributes[GenAI.inputMessages] = JSON.stringify(request.messages)
    return attributes
  }

  const newTrace = (
    span: Tracer.Span | undefined,
    tracer: Tracer.Tracer | undefined,
    clock: Clock.Clock,
    now: number
  ): RequestTrace => ({
    span,
    tracer,
    clock,
    startedAt: now,
    costUsd: 0,
    unpriced: false,
    usageEstimated: false,
    waitedMs: undefined,
    retryAfterMs: undefined,
    finishReason: undefined,
    responseModel: undefined,
    responseId: undefined,
    usage: undefined,
    winner: undefined,
    firstChunkAt: undefined,
    output: undefined
  })

  /**
   * The request's trace: its span under the fiber's tracer (joining the caller's trace), or under the
   * configured exporter's when the fiber has none.
   */
  const startRequest = (
    request: ChatRequest,
    stream: boolean,
    provider: ProviderId,
    model: string,
    clock: Clock.Clock
  ): Effect.Effect<RequestTrace> =>
    Effect.flatMap(Effect.tracer, (current) => {
      const now = clock.currentTimeMillisUnsafe()
      const tracer = current === Tracer.nativeTracer ? fallbackTracer : current
      if (tracer === undefined) return Effect.succeed(newTrace(undefined, undefined, clock, now))
      return Effect.flatMap(Effect.serviceOption(Tracer.ParentSpan), (parent) => {
        const options: Tracer.SpanOptionsNoTrace = {
          kind: "client",
          attributes: requestAttributes(request, model, stream, provider),
          ...(sampleRatio < 1 && Option.isNone(parent) ? { sampled: Math.random() < sampleRatio } : {})
        }
        const make = Effect.makeSpan(`chat ${model}`, options)
        return Effect.map(tracer === current ? make : Effect.withTracer(make, tracer), (span) =>
          newTrace(span, tracer, clock, now)
        )
      })
    })

  /** The attempt's child span, made synchronously with the request's tracer. */
  const startAttempt = (run: RequestRun, ticket: AttemptTicket): Tracer.Span | undefined => {
    const trace = run.trace
    if (trace?.span === undefined) return undefined
    const { entry } = ticket
    const span = trace.tracer!.span({
      name: `chat ${entry.model}`,
      parent: Option.some(trace.span),
      annotations: Context.empty(),
      links: [],
      startTime: trace.clock.currentTimeNanosUnsafe(),
      kind: "client",
      root: false,
      sampled: trace.span.sampled
    })
    span.attribute(GenAI.operationName, "chat")
    span.attribute(GenAI.providerName, providerName(entry.provider))
    span.attribute(GenAI.requestModel, entry.model)
    span.attribute(Attr.providerInstance, entry.provider)
    span.attribute(Attr.attemptNumber, ticket.number)
    span.attribute(Attr.attemptTry, ticket.tryNumber)
    if (trace.waitedMs !== undefined) {
      span.attribute(Attr.attemptWaitedMs, trace.waitedMs)
      if (trace.retryAfterMs !== undefined) span.attribute(Attr.attemptRetryAfterMs, trace.retryAfterMs)
      trace.waitedMs = undefined
      trace.retryAfterMs = undefined
    }
    return span
  }

  const usageAttributes = (span: Tracer.Span, usage: Usage) => {
    span.attribute(GenAI.usageInputTokens, usage.inputTokens)
    span.attribute(GenAI.usageOutputTokens, usage.outputTokens)
    span.attribute(GenAI.usageCacheReadInputTokens, usage.cacheReadTokens)
    span.attribute(GenAI.usageCacheCreationInputTokens, usage.cacheWriteTokens)
    span.attribute(GenAI.usageReasoningOutputTokens, usage.reasoningTokens)
  }

  /** An attempt ended (as the request's attempts list it): its span's outcome, the attempts counter. */
  const attemptEnded = (
    run: RequestRun,
    ticket: AttemptTicket,
    error: LLMError | undefined,
    keepOpen: boolean
  ): void => {
    const { entry } = ticket
    update(
      metrics.attempts,
      `${entry.provider}\u0000${entry.model}\u0000${error?._tag ?? "success"}`,
      () => ({
        [GenAI.providerName]: providerName(entry.provider),
        [Attr.providerInstance]: entry.provider,
        [GenAI.requestModel]: entry.model,
        outcome: error === undefined ? "success" : "error",
        ...(error === undefined ? {} : { [GenAI.errorType]: error._tag })
      }),
      1
    )
    const span = ticket.span
    if (span === undefined) return
    if (error === undefined) {
      span.attribute(Attr.attemptOutcome, "success")
      if (run.trace !== undefined) run.trace.winner = entry
      if (!keepOpen) span.end(run.trace!.clock.currentTimeNanosUnsafe(), Exit.void)
      return
    }
    endAttemptSpan(run, span, error)
  }

  const endAttemptSpan = (run: RequestRun, span: Tracer.Span, error: LLMError | undefined): void => {
    if (error !== undefined) {
      span.attribute(Attr.attemptOutcome, "error")
      span.attribute(Attr.attemptErrorTag, error._tag)
      span.attribute(GenAI.errorType, error._tag)
    }
    span.end(run.trace!.clock.currentTimeNanosUnsafe(), error === undefined ? Exit.void : Exit.fail(error))
  }

  /** A streamed winner's span ends with its stream: `exit` is the stream's. */
  const streamEnded = (run: RequestRun, ticket: AttemptTicket, exit: Exit.Exit<unknown, unknown>): void => {
    if (ticket.span !== undefined) endAttemptSpan(run, ticket.span, failureOf(exit))
  }

  /** A cost record was made: the attempt's usage and cost on its span, the token and cost metrics. */
  const billed = (run: RequestRun, ticket: AttemptTicket, record: CostRecord): void => {
    const trace = run.trace!
    const { usage } = record
    const cost = record.cost?.total
    if (cost === undefined) trace.unpriced = true
    else trace.costUsd += cost
    if (record.usageEstimated) trace.usageEstimated = true
    trace.usage = trace.usage === undefined ? usage : addUsage(trace.usage, usage)
    const span = ticket.span
    if (span !== undefined) {
      usageAttributes(span, usage)
      if (cost !== undefined) span.attribute(Attr.costUsd, cost)
      if (record.usageEstimated) span.attribute(Attr.usageEstimated, true)
      if (record.providerRequestId !== undefined) span.attribute(GenAI.responseId, record.providerRequestId)
      span.attribute(Attr.attemptOutcome, record.outcome)
    }
    const provider = providerName(record.provider)
    const base = `${record.provider}\u0000${record.model}`
    const conventional = (tokenType: string) => ({
      [GenAI.operationName]: "chat",
      [GenAI.providerName]: provider,
      [GenAI.requestModel]: record.model,
      [GenAI.tokenType]: tokenType
    })
    update(metrics.tokenUsage, `${base}\u0000input`, () => conventional("input"), usage.inputTokens)
    update(metrics.tokenUsage, `${base}\u0000output`, () => conventional("output"), usage.outputTokens)
    const ours = (type: string) => ({
      [Attr.providerInstance]: record.provider,
      [GenAI.requestModel]: record.model,
      type
    })
    update(metrics.tokens, `${base}\u0000input`, () => ours("input"), usage.inputTokens)
    update(metrics.tokens, `${base}\u0000output`, () => ours("output"), usage.outputTokens)
    update(metrics.tokens, `${base}\u0000cache_read`, () => ours("cache_read"), usage.cacheReadTokens)
    update(metrics.tokens, `${base}\u0000cache_write`, () => ours("cache_write"), usage.cacheWriteTokens)
    update(metrics.tokens, `${base}\u0000reasoning`, () => ours("reasoning"), usage.reasoningTokens)
    if (cost !== undefined) {
      update(
        metrics.cost,
        base,
        () => ({ [Attr.providerInstance]: record.provider, [GenAI.requestModel]: record.model }),
        cost
      )
      for (const key in record.metadata) {
        const tag = `${key}=${record.metadata[key]}`
        update(metrics.costByTag, tag, () => ({ tag }), cost)
      }
    }
  }

  /** The chain moved on from `entry` after `error`. */
  const fellBack = (entry: ChainEntry, error: LLMError): void =>
    update(
      metrics.fallbacks,
      `${entry.provider}\u0000${entry.model}\u0000${error._tag}`,
      () => ({
        [Attr.providerInstance]: entry.provider,
        [GenAI.requestModel]: entry.model,
        [GenAI.errorType]: error._tag
      }),
      1
    )

  const breakerOpened = (entry: ChainEntry): void =>
    update(
      metrics.breakerOpenings,
      `${entry.provider}\u0000${entry.model}`,
      () => ({ [Attr.providerInstance]: entry.provider, [GenAI.requestModel]: entry.model }),
      1
    )

  /** The stream's first output reached the caller. */
  const firstChunk = (run: RequestRun, ticket: AttemptTicket): void => {
    const trace = run.trace!
    const now = trace.clock.currentTimeMillisUnsafe()
    trace.firstChunkAt = now
    const seconds = (now - trace.startedAt) / 1000
    trace.span?.attribute(GenAI.responseTimeToFirstChunk, seconds)
    ticket.span?.attribute(GenAI.responseTimeToFirstChunk, (now - ticket.startedAt) / 1000)
    const { entry } = ticket
    update(
      metrics.timeToFirstChunk,
      `${entry.provider}\u0000${entry.model}`,
      () => ({
        [GenAI.operationName]: "chat",
        [GenAI.providerName]: providerName(entry.provider),
        [GenAI.requestModel]: entry.model
      }),
      seconds
    )
  }

  /** The winner's answer, before the request ends. */
  const answered = (
    run: RequestRun,
    answer: {
      readonly model: string
      readonly finishReason: FinishReason
      readonly requestId?: string | undefined
      readonly content?: string | undefined
    }
  ): void => {
    const trace = run.trace!
    trace.responseModel = answer.model
    trace.finishReason = answer.finishReason
    trace.responseId = answer.requestId
    if (captureContent && answer.content !== undefined) trace.output = answer.content
  }

  /** Ends the request: its span's response, usage and cost attributes; the duration metric. */
  const endRequest = (
    run: RequestRun,
    activeProvider: ProviderId,
    activeModel: string,
    exit: Exit.Exit<unknown, unknown>
  ): void => {
    const trace = run.trace!
    const error = failureOf(exit)
    const now = trace.clock.currentTimeMillisUnsafe()
    const winner = error === undefined ? trace.winner : undefined
    const tried = run.attempts.filter((attempt) => attempt.outcome !== "skipped")
    const first = tried[0]
    const last = tried.at(-1)
    const fellBack =
      first !== undefined &&
      tried.some((attempt) => attempt.provider !== first.provider || attempt.model !== first.model)
    const answering = winner ?? last ?? { provider: activeProvider, model: requestModel(run, activeModel) }
    update(
      metrics.duration,
      `${answering.provider}\u0000${answering.model}\u0000${error?._tag ?? ""}`,
      () => ({
        [GenAI.operationName]: "chat",
        [GenAI.providerName]: providerName(answering.provider),
        [GenAI.requestModel]: answering.model,
        ...(error === undefined ? {} : { [GenAI.errorType]: error._tag })
      }),
      (now - trace.startedAt) / 1000
    )
    const span = trace.span
    if (span === undefined) return
    span.attribute(Attr.requestId, run.requestId)
    span.attribute(Attr.attempts, tried.length)
    span.attribute(Attr.fellBack, fellBack)
    span.attribute(Attr.costUsd, trace.costUsd)
    if (trace.unpriced) span.attribute(Attr.unpriced, true)
    if (trace.usageEstimated) span.attribute(Attr.usageEstimated, true)
    if (trace.usage !== undefined) usageAttributes(span, trace.usage)
    if (winner !== undefined) {
      span.attribute(GenAI.providerName, providerName(winner.provider))
      span.attribute(Attr.providerInstance, winner.provider)
    }
    if (trace.responseModel !== undefined) span.attribute(GenAI.responseModel, trace.responseModel)
    if (trace.responseId !== undefined) span.attribute(GenAI.responseId, trace.responseId)
    if (trace.finishReason !== undefined)
      span.attribute(GenAI.responseFinishReasons, [finishReasonNames[trace.finishReason]])
    if (trace.output !== undefined)
      span.attribute(
        GenAI.outputMessages,
        JSON.stringify([
          {
            role: "assistant",
            parts: [{ type: "text", content: trace.output }],
            ...(trace.finishReason === undefined ? {} : { finish_reason: finishReasonNames[trace.finishReason] })
          }
        ])
      )
    if (error !== undefined) span.attribute(GenAI.errorType, error._tag)
    // Without an error the exit is a success, a stream's normal end (its only failures are Cause.Done,
    // as failureOf found no other) or an interruption.
    const ended = exit._tag === "Success" || exit.cause.reasons.every((reason) => reason._tag === "Fail")
    span.attribute(Attr.outcome, error !== undefined ? "error" : ended ? "success" : "interrupted")
    span.end(trace.clock.currentTimeNanosUnsafe(), error === undefined ? Exit.void : Exit.fail(error))
  }

  return {
    captureContent,
    startRequest,
    startAttempt,
    attemptEnded,
    streamEnded,
    billed,
    fellBack,
    breakerOpened,
    firstChunk,
    answered,
    endRequest
  }
}
