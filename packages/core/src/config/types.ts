/**
 * The validated, typed configuration (docs/ARCHITECTURE.md, "Config"). YAML keys are snake_case; these fields are
 * their camelCase forms. Durations are milliseconds; prices are USD per million tokens.
 * Every secret is a `Redacted` from the moment it is read. A provider's own settings are its type's
 * (provider-type.ts).
 */
import type { Redacted } from "effect"
import type { ModelPrice, ProviderId } from "../domain.ts"
import type { ProviderInstance } from "../provider-type.ts"

/** `providers:`: the configured instances by name (a name is also the default type). */
export type ProvidersConfig = Readonly<Record<string, ProviderInstance>>

export interface RetryConfig {
  /** `max_attempts` per model, the first try included (default 3). */
  readonly maxAttempts: number
  /** `initial_delay` of the exponential backoff (default 500 ms). */
  readonly initialDelayMs: number
  /** `max_delay` cap of one backoff step (default 10 s). */
  readonly maxDelayMs: number
  /** `max_retry_after`: a longer Retry-After moves on to the next model at once (default 60 s). */
  readonly maxRetryAfterMs: number
}

export interface ChainEntry {
  readonly provider: ProviderId
  readonly model: string
}

export interface FallbackConfig {
  /** `fallback.chain`: tried after the active provider's models, in order. */
  readonly chain: ReadonlyArray<ChainEntry>
  /** `fallback.on_content_filter` (default false). */
  readonly onContentFilter: boolean
  /** `fallback.on_invalid_output`: an answer not matching the request's responseFormat moves on (default true). */
  readonly onInvalidOutput?: boolean
}

export interface CircuitBreakerConfig {
  /** `circuit_breaker.failure_threshold`: consecutive retryable failures that open it (default 5). */
  readonly failureThreshold: number
  /** `circuit_breaker.cooldown` (default 30 s). */
  readonly cooldownMs: number
}

export interface DiscoveryConfig {
  /** `discovery.validate`: reject models the provider does not list (default false). */
  readonly validate: boolean
  /** `discovery.ttl` of the per-provider model list cache (default 10 min). */
  readonly ttlMs: number
}

/** The span of time a shared budget counts: all time, or the current UTC day or month. */
export type BudgetWindow = "total" | "day" | "month"

/** One entry of `cost_tracking.ledger.budgets`: a limit every process on the ledger shares. */
export interface SharedBudgetConfig {
  /** `name`: identifies the budget in the database (and in refusals); renaming it starts from $0. */
  readonly name: string
  /** `usd`: the limit. */
  readonly usd: number
  /** `window` (default `total`). */
  readonly window: BudgetWindow
  /** `per_tag`: one budget per value of this metadata tag (per tenant, say); requests without it are not counted. */
  readonly perTag?: string
}

/** `cost_tracking.ledger`: a PostgreSQL ledger shared by every process (the `@llm-orchestrator/ledger` package). */
export interface LedgerConfig {
  readonly url: Redacted.Redacted<string>
  readonly table?: string
  readonly schema?: string
  readonly budgets: ReadonlyArray<SharedBudgetConfig>
}

export interface CostTrackingConfig {
  readonly enabled: boolean
  readonly logPath?: string
  readonly budgetUsd?: number
  /** `cost_tracking.allow_unpriced`: under a budget, still call models with no known price (default false). */
  readonly allowUnpriced?: boolean
  /**
   * `cost_tracking.reserve_output_tokens`: under a budget, the output tokens reserved for a request
   * that sets no `maxTokens` (default `defaultReserveOutputTokens`).
   */
  readonly reserveOutputTokens?: number
  /** `cost_tracking.prices`: per-model overrides, keyed by model id. */
  readonly prices: Readonly<Record<string, ModelPrice>>
  /**
   * `cost_tracking.max_buffered_records`: records kept in memory while the log cannot be written (disk
   * full, path gone); beyond it new records are dropped and counted as lost. Default 100,000.
   */
  readonly maxBufferedRecords?: number
  /**
   * `cost_tracking.fsync`: `batch` (default) fsyncs after every batch written, so a record whose `flush`
   * completed survives a power loss; `none` leaves that to the OS (a crash of the process loses nothing
   * more, a power loss can lose the last seconds).
   */
  readonly fsync?: "batch" | "none"
  /** `cost_tracking.ledger`: cost records (and shared budgets) in PostgreSQL as well. */
  readonly ledger?: LedgerConfig
}

export interface OrchestratorConfig {
  readonly activeProvider: ProviderId
  readonly activeModel: string
  readonly providers: ProvidersConfig
  readonly retry: RetryConfig
  readonly fallback: FallbackConfig
  readonly circuitBreaker: CircuitBreakerConfig
  readonly discovery: DiscoveryConfig
  readonly costTracking: CostTrackingConfig
  /**
   * `request_timeout`: one request's deadline across its whole chain (every attempt, backoff sleep and
   * fallback; for a stream, until its first text). Absent: `defaultTimeouts.requestMs`; 0: off.
   */
  readonly requestTimeoutMs?: number
  /** `telemetry`: spans and metrics (README "Telemetry"); absent: off. */
  readonly telemetry?: TelemetryConfig
}

/** `telemetry:` (README "Telemetry"). */
export interface TelemetryConfig {
  /** `telemetry.enabled` (default true when the section is present). */
  readonly enabled: boolean
  /** `telemetry.service_name`: the OTLP resource's `service.name` (default "llm-orchestrator"). */
  readonly serviceName: string
  /** `telemetry.sample_ratio`: fraction of root requests traced, 0..1 (default 1). */
  readonly sampleRatio: number
  /** `telemetry.capture_content`: prompts and completions on spans (default false). */
  readonly captureContent: boolean
  /** `telemetry.otlp`: an OTLP/HTTP (JSON) endpoint for spans and metrics. */
  readonly otlp?: {
    /** Base URL; `/v1/traces` and `/v1/metrics` are appended. */
    readonly endpoint: string
    /** Sent with every export; secrets, never logged nor recorded. */
    readonly headers: Readonly<Record<string, Redacted.Redacted<string>>>
    /** `telemetry.otlp.export_interval` in ms (default 5 s). */
    readonly exportIntervalMs?: number
  }
  /** `telemetry.prometheus`: a scrape endpoint (`GET /metrics`) served by the orchestrator. */
  readonly prometheus?: { readonly host: string; readonly port: number }
}

export const defaultRetry: RetryConfig = {
  maxAttempts: 3,
  initialDelayMs: 500,
  maxDelayMs: 10_000,
  maxRetryAfterMs: 60_000
}
export const defaultCircuitBreaker: CircuitBreakerConfig = { failureThreshold: 5, cooldownMs: 30_000 }
export const defaultDiscovery: DiscoveryConfig = { validate: false, ttlMs: 600_000 }
export const defaultReserveOutputTokens = 4096

/**
 * The defaults that make every attempt and every request end (README "Guarantees: timeouts"):
 * - attemptMs (`timeout`, 10 min): the OpenAI and Anthropic SDKs' own default per request; a long
 *   non-streamed generation or a reasoning model thinking before its first text fits in it.
 * - idleMs (`idle_timeout`, 60 s): once text flows, a minute without any is a stalled connection,
 *   not a slow model (providers send text, or at least keep-alives we ignore, far more often).
 * - requestMs (`request_timeout`, 15 min): one full attempt plus room for retries and a fallback.
 */
export const defaultTimeouts = { attemptMs: 600_000, idleMs: 60_000, requestMs: 900_000 } as const

/** A configured timeout as the timers use it: undefined when turned off (0), the default when absent. */
const effectiveTimeout = (configured: number | undefined, fallback: number): number | undefined =>
  configured === undefined ? fallback : configured > 0 ? configured : undefined

/** A provider's per-attempt and idle timeouts in milliseconds, defaults applied; undefined: off. */
export const resolveAttemptTimeouts = (options: {
  readonly timeoutMs?: number | undefined
  readonly idleTimeoutMs?: number | undefined
}): { readonly timeoutMs: number | undefined; readonly idleTimeoutMs: number | undefined } => {
  const timeoutMs = effectiveTimeout(options.timeoutMs, defaultTimeouts.attemptMs)
  // A `timeout` shorter than the idle default also bounds the gaps (what `timeout` alone used to do).
  const idleDefault = timeoutMs === undefined ? defaultTimeouts.idleMs : Math.min(timeoutMs, defaultTimeouts.idleMs)
  return { timeoutMs, idleTimeoutMs: effectiveTimeout(options.idleTimeoutMs, idleDefault) }
}

/** The request deadline in milliseconds, default applied; undefined: off. */
export const resolveRequestTimeout = (requestTimeoutMs: number | undefined): number | undefined =>
  effectiveTimeout(requestTimeoutMs, defaultTimeouts.requestMs)
