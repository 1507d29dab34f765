/**
 * `CostTracking.layer(config)`: the Pricing and CostTracker services the orchestrator records into.
 * State lives in one Ref (running aggregates, see report.ts); every record also goes to the sinks: the
 * JSONL log (log.ts, written off the request path) first, then any given, flushed and closed when the
 * layer's scope closes.
 *
 * Under a budget every attempt reserves its worst case (`worstCaseCostUsd`) before sending and a record
 * settles it, so the session total can pass the budget only by what calls cost beyond their
 * reservations: spent <= budget + the sum, over attempts in flight at the last admitted reservation,
 * of max(0, actual - reserved).
 *
 * A shared budget (`SharedBudget`, from a ledger) is reserved after the session's, with the same amount,
 * and settled or released with it.
 */

import {
  BudgetExceededError,
  type BudgetReservation,
  type ChatRequest,
  ConfigError,
  type ConfigProblem,
  type CostLogError,
  type CostRecord,
  CostSink,
  CostTracker,
  type CostTrackingConfig,
  defaultReserveOutputTokens,
  InvalidRequestError,
  type ModelPrice,
  type PriceSource,
  Pricing,
  type ProviderId,
  SharedBudget,
  type SharedBudgetHold
} from "@llm-orchestrator/core"
import { Context, Effect, Layer, Ref } from "effect"
import { CostLogSink } from "./log.ts"
import { makePriceBook, type PriceBook, roundUsd, worstCaseCostUsd } from "./pricing.ts"
import { addRecord, disabledReport, makeAggregates, toReport } from "./report.ts"

const usd = (amount: number, digits: number): string => `$${amount.toFixed(digits)}`

export const budgetExceeded = (provider: ProviderId, model: string, spentUsd: number, budgetUsd: number) =>
  new BudgetExceededError({
    provider,
    model,
    spentUsd,
    budgetUsd,
    message: `session budget of ${usd(budgetUsd, 2)} is spent (${usd(spentUsd, 4)} used); raise cost_tracking.budget_usd or start a new session`
  })

/** Refused before sending: this request's worst case does not fit in what the budget has left. */
const reservationRefused = (
  provider: ProviderId,
  model: string,
  spentUsd: number,
  reservedUsd: number,
  worstCaseUsd: number,
  budgetUsd: number
) =>
  new BudgetExceededError({
    provider,
    model,
    spentUsd,
    budgetUsd,
    message: `session budget of ${usd(budgetUsd, 6)} cannot cover this request: ${usd(spentUsd, 6)} spent + ${usd(reservedUsd, 6)} reserved by requests in flight + up to ${usd(worstCaseUsd, 6)} for this one (${provider} model ${model}, its input and maxTokens or cost_tracking.reserve_output_tokens); lower maxTokens, raise cost_tracking.budget_usd or start a new session`
  })

export const unpricedModel = (provider: ProviderId, model: string) =>
  new InvalidRequestError({
    provider,
    model,
    message: `${provider} model ${model} has no known price, so a budget cannot bound it; add cost_tracking.prices.${model} (USD per million input and output tokens) or set cost_tracking.allow_unpriced: true`
  })

/** The reservation of an unpriced model allowed by `allow_unpriced`: nothing to hold or give back. */
const nothingReserved: BudgetReservation = { amountUsd: 0 }

const priceProblems = (prices: Readonly<Record<string, ModelPrice>>): Array<ConfigProblem> =>
  Object.entries(prices).flatMap(([model, price]) =>
    (["input", "output", "cacheRead", "cacheWrite", "cacheWrite1h", "webSearchPerThousand"] as const).flatMap(
      (field) => {
        const value = price[field]
        if (value === undefined && field !== "input" && field !== "output") return []
        // Number.isFinite is false for anything but a number (no coercion); the cast is for the compiler.
        return Number.isFinite(value) && (value as number) >= 0
          ? []
          : [
              {
                path: `cost_tracking.prices.${model}.${field}`,
                message: `expected USD per ${field === "webSearchPerThousand" ? "1,000 web searches" : "million tokens"} (a number >= 0)`
              }
            ]
      }
    )
  )

const validate = (config: CostTrackingConfig): Effect.Effect<void, ConfigError> => {
  const problems = priceProblems(config.prices)
  const budget = config.budgetUsd
  if (budget !== undefined && !(Number.isFinite(budget) && budget >= 0)) {
    problems.push({ path: "cost_tracking.budget_usd", message: "expected an amount in USD (a number >= 0)" })
  }
  const maxBuffered = config.maxBufferedRecords
  if (maxBuffered !== undefined && !(Number.isInteger(maxBuffered) && maxBuffered >= 1)) {
    problems.push({ path: "cost_tracking.max_buffered_records", message: "expected a whole number of at least 1" })
  }
  const reserve = config.reserveOutputTokens
  if (reserve !== undefined && !(Number.isInteger(reserve) && reserve >= 1)) {
    problems.push({ path: "cost_tracking.reserve_output_tokens", message: "expected a whole number of tokens >= 1" })
  }
  return problems.length === 0 ? Effect.void : Effect.fail(ConfigError.fromProblems(problems))
}

/** A Pricing service over config overrides and the genai-prices catalogue (`sources`: see `makePriceBook`). */
export const makePricing = (
  prices: Readonly<Record<string, ModelPrice>> = {},
  sources: Readonly<Record<ProviderId, PriceSource>> = {}
): Pricing["Service"] => {
  const book = makePriceBook(prices, sources)
  return Pricing.of({ priceOf: book.priceOf, costOf: book.costOf })
}

const disabledTracker = CostTracker.of({
  enabled: false,
  record: () => Effect.void,
  sessionCost: Effect.succeed(0),
  report: Effect.succeed(disabledReport),
  // Nothing is recorded, so nothing can be spent: a budget is only enforced while tracking is on.
  checkBudget: () => Effect.void,
  budgeted: false,
  unpricedRefusal: () => undefined,
  reserve: () => Effect.succeed(nothingReserved),
  release: () => Effect.void,
  flush: Effect.void,
  logHealth: Effect.succeed(undefined)
})

/** Flushes every sink, even after one fails; fails with the first failure. */
const flushAll = (sinks: ReadonlyArray<CostSink["Service"]>): Effect.Effect<void, CostLogError> =>
  Effect.flatMap(
    Effect.forEach(sinks, (sink) => Effect.exit(sink.flush)),
    (exits) => exits.find((exit) => exit._tag === "Failure") ?? Effect.void
  )

/** A reservation of this tracker: the session's part, and the shared budget's hold when there is one. */
interface Reservation extends BudgetReservation {
  shared?: SharedBudgetHold
}

const makeTracker = (
  config: CostTrackingConfig,
  book: PriceBook,
  sinks: ReadonlyArray<CostSink["Service"]>,
  shared: SharedBudget["Service"] | undefined
) =>
  Effect.gen(function* () {
    // The session total, which budgets read, lives in a Ref; the breakdowns for reports are updated in
    // the same synchronous step (JS runs it on one thread, so the two never disagree).
    const spent = yield* Ref.make(0)
    const aggregates = makeAggregates()
    const budgetUsd = config.budgetUsd
    const sessionCost = Ref.get(spent)
    // Budget reservations of attempts in flight. Checking and adding happen in one synchronous step,
    // so concurrent requests cannot all pass the check before any of them counts.
    const outstanding = new Set<Reservation>()
    let reservedUsd = 0
    /** Ends a reservation once: its shared hold is settled with `costUsd`, or released without one. */
    const releaseNow = (reservation: Reservation, costUsd?: number) => {
      if (!outstanding.delete(reservation)) return
      // Reset at zero so float rounding never accumulates across millions of reservations.
      // Stryker disable next-line ConditionalExpression: equivalent but for float rounding, which is the point
      reservedUsd = outstanding.size === 0 ? 0 : reservedUsd - reservation.amountUsd
      const hold = reservation.shared
      if (hold === undefined) return
      if (costUsd === undefined) shared!.release(hold)
      else shared!.settle(hold, costUsd)
    }
    // Either budget makes every attempt reserve first.
    const budgeted = budgetUsd !== undefined || shared !== undefined
    const allowUnpriced = config.allowUnpriced ?? false
    const unpricedRefusal = (provider: ProviderId, model: string) =>
      !budgeted || allowUnpriced || book.ratesOf(provider, model) !== undefined
        ? undefined
        : unpricedModel(provider, model)
    const reserveOutputTokens = config.reserveOutputTokens ?? defaultReserveOutputTokens
    const reserve = (
      provider: ProviderId,
      model: string,
      request: ChatRequest
    ): Effect.Effect<BudgetReservation, BudgetExceededError | InvalidRequestError> =>
      Effect.suspend((): Effect.Effect<BudgetReservation, BudgetExceededError | InvalidRequestError> => {
        if (!budgeted) return Effect.succeed(nothingReserved)
        const total = Ref.getUnsafe(spent)
        const rates = book.ratesOf(provider, model)
        if (rates === undefined)
          return allowUnpriced ? Effect.succeed(nothingReserved) : Effect.fail(unpricedModel(provider, model))
        const amountUsd = worstCaseCostUsd(rates, request, reserveOutputTokens)
        // Stryker disable next-line ConditionalExpression: equivalent for the first operand, total > undefined is false
        if (budgetUsd !== undefined && total + reservedUsd + amountUsd > budgetUsd)
          return Effect.fail(reservationRefused(provider, model, total, reservedUsd, amountUsd, budgetUsd))
        const reservation: Reservation = { amountUsd }
        outstanding.add(reservation)
        reservedUsd += amountUsd
        if (shared === undefined) return Effect.succeed(reservation)
        return shared.reserve(amountUsd, { provider, model, tags: request.metadata }).pipe(
          Effect.map((hold) => {
            reservation.shared = hold
            return reservation
          }),
          // The session's part is given back when the shared budget refuses (or the wait is interrupted).
          Effect.onError(() => Effect.sync(() => releaseNow(reservation)))
        )
      })
    return CostTracker.of({
      enabled: true,
      record: (record: CostRecord, reservation?: BudgetReservation) =>
        Ref.update(spent, (total) => {
          addRecord(aggregates, record)
          for (const sink of sinks) sink.offer(record)
          // Settled in the same step the cost is added: never counted twice, never briefly not at all.
          // Stryker disable next-line ConditionalExpression: equivalent when forced true, releaseNow ignores a reservation it does not hold
          if (reservation !== undefined) releaseNow(reservation, record.cost?.total ?? 0)
          return roundUsd(total + (record.cost?.total ?? 0))
        }),
      sessionCost,
      report: Effect.sync(() => toReport(aggregates)),
      checkBudget: (provider, model) =>
        // Stryker disable next-line ConditionalExpression: equivalent, total >= undefined is false
        budgetUsd === undefined
          ? Effect.void
          : Effect.flatMap(sessionCost, (total) =>
              total >= budgetUsd ? Effect.fail(budgetExceeded(provider, model, total, budgetUsd)) : Effect.void
            ),
      budgeted,
      unpricedRefusal,
      reserve,
      release: (reservation) => Effect.sync(() => releaseNow(reservation)),
      flush: flushAll(sinks),
      // The log is the first sink when there is one; another sink's health is not the log's.
      logHealth: config.logPath === undefined ? Effect.succeed(undefined) : sinks[0]!.health
    })
  })

export const CostTracking = {
  /**
   * Pricing + CostTracker from `cost_tracking`. Scoped: the log (when `logPath` is set) is opened at
   * build time (an unusable path is a ConfigError here) and flushed and closed when the scope closes.
   */
  layer: (
    config: CostTrackingConfig,
    options: {
      /** More sinks after the JSONL log (`log_path`), e.g. a ledger; each gets every record. */
      readonly sinks?: ReadonlyArray<Layer.Layer<CostSink, ConfigError>>
      /** Budgets shared with other processes (a ledger's), enforced besides `budget_usd`. */
      readonly sharedBudget?: Layer.Layer<SharedBudget, ConfigError>
      /**
       * Where each provider instance's models are in the price catalogue (its type's `price`, as
       * `priceSources(config)` of the main package gives them); others are looked up across it.
       */
      readonly priceSources?: Readonly<Record<ProviderId, PriceSource>>
    } = {}
  ): Layer.Layer<Pricing | CostTracker, ConfigError> =>
    Layer.effectContext(
      Effect.gen(function* () {
        yield* validate(config)
        // One price book for both: what a budget reserves and what a record costs use the same rates.
        const book = makePriceBook(config.prices, options.priceSources)
        const pricing = Pricing.of({ priceOf: book.priceOf, costOf: book.costOf })
        if (!config.enabled) return Context.make(Pricing, pricing).pipe(Context.add(CostTracker, disabledTracker))
        const sinkLayers = [
          ...(config.logPath === undefined
            ? []
            : [
                CostLogSink.layer(config.logPath, {
                  maxBufferedRecords: config.maxBufferedRecords,
                  fsync: config.fsync
                })
              ]),
          ...(options.sinks ?? [])
        ]
        // Opened in order (the log first) in the layer's scope; closing it drains and closes them.
        const sinks: Array<CostSink["Service"]> = []
        for (const layer of sinkLayers) sinks.push(Context.get(yield* Layer.build(layer), CostSink))
        const shared =
          options.sharedBudget === undefined
            ? undefined
            : Context.get(yield* Layer.build(options.sharedBudget), SharedBudget)
        const tracker = yield* makeTracker(config, book, sinks, shared)
        return Context.make(Pricing, pricing).pipe(Context.add(CostTracker, tracker))
      })
    )
}
