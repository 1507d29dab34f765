/**
 * The cost-tracking contract the orchestrator records into (docs/ARCHITECTURE.md, "Attempts and cost records"). The services are
 * declared here, in core, so dependencies point one way (core <- cost): `@llm-orchestrator/cost`
 * implements them over `@pydantic/genai-prices`, a Ref and the JSONL log.
 */
import { Context, type Effect, Schema } from "effect"
import { type ChatRequest, Cost, type ModelPrice, ProviderId, Usage } from "./domain.ts"
import type { BudgetExceededError, InvalidRequestError } from "./errors.ts"

/**
 * One per attempt that consumed tokens (successful calls, and failed or cut streams that were billed):
 * what the tracker aggregates and what every sink (the JSONL log first) receives. The log's line is
 * this schema's JSON, with `cost: null` for an unpriced call.
 */
export const CostRecord = Schema.Struct({
  timestamp: Schema.String,
  /** The orchestrator's id of the user's request: the same for all its attempts. */
  requestId: Schema.String,
  providerRequestId: Schema.optionalKey(Schema.String),
  provider: ProviderId,
  model: Schema.String,
  usage: Usage,
  /**
   * true when the provider never reported usage for this attempt (a stream cut before its usage
   * event): the tokens are estimated from the text sent and received (about 4 characters a token).
   */
  usageEstimated: Schema.optionalKey(Schema.Boolean),
  /** undefined = no known price: counted as unpriced, never as $0. */
  cost: Schema.UndefinedOr(Cost),
  latencyMs: Schema.Number,
  outcome: Schema.Literals(["success", "error", "interrupted"]),
  errorTag: Schema.optionalKey(Schema.String),
  /** 1-based position of this attempt within the request, across the whole chain. */
  attempt: Schema.Number,
  stream: Schema.Boolean,
  metadata: Schema.Record(Schema.String, Schema.String)
})
export type CostRecord = typeof CostRecord.Type

export interface CostBucket {
  readonly costUsd: number
  /** Of `costUsd`, the per-request fees of built-in tools (web searches); the counts are in `usage`. */
  readonly toolsUsd: number
  readonly calls: number
  readonly unpricedCalls: number
  readonly usage: Usage
}

export interface CostReport extends CostBucket {
  /** false when `cost_tracking.enabled` is false: nothing was recorded. */
  readonly enabled: boolean
  readonly byProvider: Readonly<Record<string, CostBucket>>
  /** Keyed `provider/model`. */
  readonly byModel: Readonly<Record<string, CostBucket>>
  /** Keyed `key=value` of the requests' metadata tags. */
  readonly byTag: Readonly<Record<string, CostBucket>>
}

export class Pricing extends Context.Service<
  Pricing,
  {
    /** The model's price (config override, else the catalogue), memoised per provider+model. */
    readonly priceOf: (provider: ProviderId, model: string) => ModelPrice | undefined
    /** The cost of one call's usage; undefined when the model has no known price. */
    readonly costOf: (provider: ProviderId, model: string, usage: Usage) => Cost | undefined
  }
>()("@llm-orchestrator/cost/Pricing") {}

/** How the JSONL cost log is doing: counters since the log was opened by this process. */
export interface CostLogHealth {
  readonly path: string
  /** Records written to the file. */
  readonly writtenRecords: number
  /** Records waiting in memory: the next batch, or everything since a write started failing. */
  readonly bufferedRecords: number
  /** Records that will never be written: dropped beyond `max_buffered_records`, or unwritten at close. */
  readonly lostRecords: number
  /** The error of the last write (`ENOSPC`, `EIO`, ...) while writes fail; undefined once one succeeds. */
  readonly lastError: string | undefined
}

/** The cost log could not take every record: some are still buffered (retried) or were lost. */
export class CostLogError extends Schema.TaggedError<CostLogError>()("CostLogError", {
  path: Schema.String,
  /** Records still in memory, retried with backoff. */
  bufferedRecords: Schema.Number,
  /** Records lost since the previous flush of this tracker. */
  lostRecords: Schema.Number,
  message: Schema.String
}) {}

/**
 * What `reserve` set aside for one attempt: its worst-case cost, held against the budget while the
 * attempt runs, and given back by `release` or replaced by the real cost when `record` settles it.
 */
export interface BudgetReservation {
  readonly amountUsd: number
}

/** What a shared budget holds for one attempt: its worst-case cost, on every budget the call counts in. */
export interface SharedBudgetHold {
  readonly amountUsd: number
}

/**
 * Budgets held outside this process, shared by every process on one ledger (`cost_tracking.ledger.budgets`,
 * the `@llm-orchestrator/ledger` package). The tracker reserves here after its own budget, with the same
 * worst-case amount; the hold counts against the budget until its settle or release is written, so a
 * cost is never briefly counted nowhere.
 */
export class SharedBudget extends Context.Service<
  SharedBudget,
  {
    /**
     * Holds `amountUsd` on every budget the call counts in (by its metadata tags); fails when one cannot
     * take it, or when the budgets cannot be read in time (it fails closed: nothing is sent).
     */
    readonly reserve: (
      amountUsd: number,
      call: {
        readonly provider: ProviderId
        readonly model: string
        readonly tags: Readonly<Record<string, string>> | undefined
      }
    ) => Effect.Effect<SharedBudgetHold, BudgetExceededError>
    /** Replaces the hold by the attempt's real cost; written off the request path. */
    readonly settle: (hold: SharedBudgetHold, costUsd: number) => void
    /** Gives the hold back (the attempt was never billed); written off the request path. */
    readonly release: (hold: SharedBudgetHold) => void
  }
>()("@llm-orchestrator/cost/SharedBudget") {}

/**
 * Where cost records go besides the tracker's totals (docs/ARCHITECTURE.md, "Attempts and cost
 * records"): the JSONL log first (`cost_tracking.log_path`); a SQL ledger or a tracing exporter is one
 * more sink. A sink is a layer: building it opens the sink, closing its scope drains and closes it.
 */
export class CostSink extends Context.Service<
  CostSink,
  {
    /** Names the sink in messages (the log's path). */
    readonly name: string
    /** Takes one record without waiting: a sink queues it and writes off the request path. */
    readonly offer: (record: CostRecord) => void
    /** Everything offered before the call written; fails naming what could not be (it is retried). */
    readonly flush: Effect.Effect<void, CostLogError>
    /** The sink's counters and last error; undefined when it has none to report. */
    readonly health: Effect.Effect<CostLogHealth | undefined>
  }
>()("@llm-orchestrator/cost/CostSink") {}

export class CostTracker extends Context.Service<
  CostTracker,
  {
    readonly enabled: boolean
    /**
     * Records one entry; never waits for the log file. With the attempt's `reservation` it also settles
     * it: the real cost replaces the reservation in the same step.
     */
    readonly record: (record: CostRecord, reservation?: BudgetReservation) => Effect.Effect<void>
    /** USD spent this session (priced records only). */
    readonly sessionCost: Effect.Effect<number>
    readonly report: Effect.Effect<CostReport>
    /** Fails before anything is sent once the session budget is spent. */
    readonly checkBudget: (provider: ProviderId, model: string) => Effect.Effect<void, BudgetExceededError>
    /** true when a budget is enforced: every attempt then reserves before sending (`reserve`). */
    readonly budgeted: boolean
    /**
     * Under a budget, the refusal of a model with no known price (unless `cost_tracking.allow_unpriced`);
     * undefined otherwise. The chain skips such a model without sending anything.
     */
    readonly unpricedRefusal: (provider: ProviderId, model: string) => InvalidRequestError | undefined
    /**
     * Sets aside the attempt's worst-case cost before anything is sent; fails when spent + reserved +
     * this would pass the budget. Release it with `release`, or settle it with `record`.
     */
    readonly reserve: (
      provider: ProviderId,
      model: string,
      request: ChatRequest
    ) => Effect.Effect<BudgetReservation, BudgetExceededError | InvalidRequestError>
    /** Gives a reservation back; a reservation already settled or released is left alone. */
    readonly release: (reservation: BudgetReservation) => Effect.Effect<void>
    /**
     * Writes every record recorded before the call to every sink (the log fsyncs it with `fsync: batch`).
     * Fails with the first sink's CostLogError when some of them could not be written (they stay
     * buffered and are retried) or records were lost since the previous flush; every sink is flushed.
     */
    readonly flush: Effect.Effect<void, CostLogError>
    /** The JSONL log's counters and last write error; undefined without a log (no `log_path`, or disabled). */
    readonly logHealth: Effect.Effect<CostLogHealth | undefined>
  }
>()("@llm-orchestrator/cost/CostTracker") {}
