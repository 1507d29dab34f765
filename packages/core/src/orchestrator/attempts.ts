/**
 * The attempt recorder (docs/ARCHITECTURE.md, "Attempts and cost records"): every try of a model
 * passes through here. It numbers the attempt when it starts, lists it in the request's attempts
 * when it ends, and writes its cost record when it consumed tokens. Tracing hooks in here too.
 */
import type { Tracer, Types } from "effect"
import { Effect } from "effect"
import type { BudgetReservation, CostRecord, CostTracker, Pricing } from "../cost.ts"
import type { Attempt, ChatRequest, Cost, Usage } from "../domain.ts"
import { ContentFilteredError, type LLMError } from "../errors.ts"
import { optionalField } from "../internal/optional.ts"
import { isoTimestamp } from "../internal/timestamp.ts"
import type { ChainEntry } from "./policy.ts"
import type { RequestTrace, Telemetry } from "./telemetry.ts"

/** What one user request accumulates while it runs down the chain. */
export interface RequestRun {
  readonly requestId: string
  readonly request: ChatRequest
  readonly stream: boolean
  readonly metadata: Readonly<Record<string, string>>
  readonly attempts: Array<Attempt>
  /** Its span and totals when telemetry is on; undefined otherwise (then no telemetry work at all). */
  readonly trace: RequestTrace | undefined
}

/** One try of one model, numbered when it starts. */
export interface AttemptTicket {
  readonly entry: ChainEntry
  /** 1-based position within the request, across the whole chain (the cost record's `attempt`). */
  readonly number: number
  /** 1-based try of this model (the listed attempt's `attempt`). */
  readonly tryNumber: number
  readonly startedAt: number
  /** The attempt's span (a child of the request's), when the request is traced. */
  readonly span: Tracer.Span | undefined
}

export interface BillingDetails {
  readonly errorTag?: string | undefined
  readonly providerRequestId?: string | undefined
  readonly usageEstimated?: boolean
  /** The attempt's budget reservation, settled by this record. */
  readonly reservation?: BudgetReservation | undefined
}

export const consumedTokens = (usage: Usage | undefined): usage is Usage =>
  usage !== undefined && usage.inputTokens + usage.outputTokens > 0

/** The failure of an attempt whose answer the provider's safety filter blocked before any text. */
export const contentFiltered = (entry: ChainEntry, requestId: string | undefined) =>
  new ContentFilteredError({
    provider: entry.provider,
    model: entry.model,
    ...optionalField("requestId", requestId),
    message: `${entry.provider} model ${entry.model} returned no text: its safety filter blocked the response. Rephrase the request, or set fallback.on_content_filter to try the next model`
  })

export const makeAttemptRecorder = (
  tracker: CostTracker["Service"],
  pricing: Pricing["Service"],
  telemetry?: Telemetry | undefined
) => ({
  /** Numbers the next attempt of `run`: attempts of one request run one after another. */
  start: (run: RequestRun, entry: ChainEntry, tryNumber: number, now: number): AttemptTicket => {
    const ticket: AttemptTicket = { entry, number: run.attempts.length + 1, tryNumber, startedAt: now, span: undefined }
    if (run.trace === undefined) return ticket
    return { ...ticket, span: telemetry!.startAttempt(run, ticket) }
  },

  /**
   * Lists an ended attempt in the request's attempts (`error` when it failed). A streamed winner's
   * span stays open until its stream ends (`endAttemptSpan`).
   */
  listed: (run: RequestRun, ticket: AttemptTicket, endedAt: number, error?: LLMError): void => {
    const errorTag = error?._tag
    if (run.trace !== undefined) telemetry!.attemptEnded(run, ticket, error, run.stream)
    run.attempts.push(
      errorTag === undefined
        ? { ...ticket.entry, attempt: ticket.tryNumber, outcome: "success", durationMs: endedAt - ticket.startedAt }
        : {
            ...ticket.entry,
            attempt: ticket.tryNumber,
            outcome: "error",
            errorTag,
            durationMs: endedAt - ticket.startedAt
          }
    )
  },

  /** Lists a model that was not tried (circuit open, unknown model, no price under a budget). */
  notTried: (run: RequestRun, attempt: Attempt): void => {
    run.attempts.push(attempt)
  },

  /** The attempt's cost record; its cost (undefined when the model has no known price). */
  bill: (
    run: RequestRun,
    ticket: AttemptTicket,
    usage: Usage,
    outcome: CostRecord["outcome"],
    latencyMs: number,
    details: BillingDetails
  ): Effect.Effect<Cost | undefined> => {
    const { entry } = ticket
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
      attempt: ticket.number,
      stream: run.stream,
      metadata: run.metadata
    }
    // Stryker disable next-line ConditionalExpression: equivalent when forced true, an undefined errorTag is no errorTag
    if (details.errorTag !== undefined) record.errorTag = details.errorTag
    // Stryker disable next-line ConditionalExpression: equivalent when forced true, an undefined providerRequestId is no providerRequestId
    if (details.providerRequestId !== undefined) record.providerRequestId = details.providerRequestId
    if (details.usageEstimated) record.usageEstimated = true
    if (run.trace !== undefined) telemetry!.billed(run, ticket, record)
    return Effect.as(tracker.record(record, details.reservation), cost)
  }
})

export type AttemptRecorder = ReturnType<typeof makeAttemptRecorder>
