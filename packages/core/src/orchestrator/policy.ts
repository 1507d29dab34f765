/**
 * Retry and circuit-breaker policy (docs/ARCHITECTURE.md, "The request's path"). The retry schedule is an Effect `Schedule`;
 * the chain runner steps it by hand (`Schedule.toStep`) so one decision procedure serves both plain
 * calls and streams, and every attempt can be recorded between steps.
 */
import { Duration, Effect, Option, Pull, Schedule } from "effect"
import type { CircuitBreakerConfig, RetryConfig } from "../config/types.ts"
import type { ProviderId } from "../domain.ts"
import type { LLMError } from "../errors.ts"

/**
 * Exponential backoff with jitter, each step capped at `maxDelayMs`, at most `maxAttempts - 1`
 * retries; a Retry-After sent by the provider lengthens the step to at least that long.
 */
export const retrySchedule = (config: RetryConfig): Schedule.Schedule<unknown, LLMError> =>
  Schedule.exponential(Duration.millis(config.initialDelayMs)).pipe(
    Schedule.jittered,
    Schedule.setInputType<LLMError>(),
    Schedule.modifyDelay(({ duration, input }) => {
      const capped = Math.min(Duration.toMillis(duration), config.maxDelayMs)
      // Stryker disable next-line ConditionalExpression: equivalent, only a RateLimitError has retryAfterMs
      const retryAfter = input._tag === "RateLimitError" ? (input.retryAfterMs ?? 0) : 0
      return Effect.succeed(Duration.millis(Math.max(capped, retryAfter)))
    }),
    Schedule.upTo({ times: config.maxAttempts - 1 })
  )

/** A retry-after longer than the cap means "not this model now": move on at once (docs/ARCHITECTURE.md, "The request's path"). */
export const exceedsRetryAfterCap = (error: LLMError, config: RetryConfig): boolean =>
  // Stryker disable next-line ConditionalExpression,LogicalOperator: equivalent, only a RateLimitError has retryAfterMs and undefined > n is false
  error._tag === "RateLimitError" && error.retryAfterMs !== undefined && error.retryAfterMs > config.maxRetryAfterMs

/** A per-model retry driver: the delay before the next try, or none when the schedule is spent. */
export const makeRetryStepper = (config: RetryConfig) =>
  Effect.map(
    Schedule.toStep(retrySchedule(config)),
    (step) => (now: number, error: LLMError) =>
      step(now, error).pipe(
        Effect.map(([, delay]) => Option.some(delay)),
        Pull.catchDone(() => Effect.succeed(Option.none<Duration.Duration>()))
      )
  )

export type RetryStepper = Effect.Success<ReturnType<typeof makeRetryStepper>>

interface BreakerState {
  readonly consecutiveFailures: number
  readonly openUntil: number
  readonly lastFailureAt: number
}

export interface ChainEntry {
  readonly provider: ProviderId
  readonly model: string
}

const keyOf = (entry: ChainEntry) => `${entry.provider}/${entry.model}`

/**
 * A circuit breaker per provider+model: `failureThreshold` consecutive retryable failures open it for
 * `cooldownMs`; requests then skip the model. Shared by all requests of one orchestrator. Plain
 * synchronous state: it is read on every request, each read and update is atomic on the JS thread,
 * and with no failure recorded the check is one empty-map lookup.
 */
export const makeCircuitBreaker = (config: CircuitBreakerConfig) => {
  const states = new Map<string, BreakerState>()
  return {
    /** Whether the model is cooling down at `now`. */
    isOpen: (entry: ChainEntry, now: number): boolean => {
      // Stryker disable next-line ConditionalExpression,EqualityOperator: equivalent, only skips building a key for an empty map
      if (states.size === 0) return false
      return (states.get(keyOf(entry))?.openUntil ?? 0) > now
    },
    /** When the model last failed (0 if never): the least recent is tried when every model is cooling. */
    // Stryker disable next-line OptionalChaining: equivalent, only asked about models that are cooling (so have failed)
    lastFailureAt: (entry: ChainEntry): number => states.get(keyOf(entry))?.lastFailureAt ?? 0,
    onSuccess: (entry: ChainEntry): void => {
      // Stryker disable next-line ConditionalExpression,EqualityOperator: equivalent, deleting from an empty map does nothing
      if (states.size > 0) states.delete(keyOf(entry))
    },
    /** Counts a retryable failure; true when it opened the breaker. */
    onRetryableFailure: (entry: ChainEntry, now: number): boolean => {
      const previous = states.get(keyOf(entry))
      const consecutiveFailures = (previous?.consecutiveFailures ?? 0) + 1
      const opens = consecutiveFailures >= config.failureThreshold
      states.set(keyOf(entry), {
        consecutiveFailures: opens ? 0 : consecutiveFailures,
        openUntil: opens ? now + config.cooldownMs : (previous?.openUntil ?? 0),
        lastFailureAt: now
      })
      return opens
    }
  }
}

export type CircuitBreaker = ReturnType<typeof makeCircuitBreaker>
