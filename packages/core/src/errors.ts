/**
 * The one error union of the library (docs/ARCHITECTURE.md, "Errors"). Every provider maps every SDK error to
 * exactly one of these; the retry/fallback code decides only through `classifyError`.
 * Messages say what went wrong and what to do, and never contain a secret.
 */
import { Schema } from "effect"
import { ProviderId } from "./domain.ts"

const callFields = {
  provider: ProviderId,
  model: Schema.String,
  message: Schema.String,
  status: Schema.optionalKey(Schema.Number),
  requestId: Schema.optionalKey(Schema.String)
}

/** 429, Bedrock ThrottlingException, Gemini RESOURCE_EXHAUSTED. */
export class RateLimitError extends Schema.TaggedError<RateLimitError>()("RateLimitError", {
  ...callFields,
  /** The provider's Retry-After (`retry-after-ms`, `retry-after`, Gemini RetryInfo), in milliseconds. */
  retryAfterMs: Schema.optionalKey(Schema.Number)
}) {}

/** 5xx, Anthropic 529 overloaded, a mid-stream overloaded or server error event. */
export class ProviderUnavailableError extends Schema.TaggedError<ProviderUnavailableError>()(
  "ProviderUnavailableError",
  callFields
) {}

/** The per-attempt timeout elapsed. */
export class TimeoutError extends Schema.TaggedError<TimeoutError>()("TimeoutError", {
  ...callFields,
  timeoutMs: Schema.optionalKey(Schema.Number)
}) {}

/** Connection refused or reset, DNS failure, a dropped stream, an unreadable frame. */
export class NetworkError extends Schema.TaggedError<NetworkError>()("NetworkError", callFields) {}

/** 404, or a model missing from the provider's discovered list. */
export class ModelNotFoundError extends Schema.TaggedError<ModelNotFoundError>()("ModelNotFoundError", {
  ...callFields,
  /** Close model ids the provider does list ("did you mean ...?"). */
  suggestions: Schema.Array(Schema.String)
}) {}

export class ContextLengthExceededError extends Schema.TaggedError<ContextLengthExceededError>()(
  "ContextLengthExceededError",
  callFields
) {}

/** Safety block, refusal or content filter. */
export class ContentFilteredError extends Schema.TaggedError<ContentFilteredError>()(
  "ContentFilteredError",
  callFields
) {}

/**
 * A request with a `responseFormat` got an answer that is not JSON matching its schema (or was cut
 * off). The answer was billed. The chain moves on to the next model unless
 * `fallback.on_invalid_output` is false; `content` is the answer as the model wrote it.
 */
export class OutputValidationError extends Schema.TaggedError<OutputValidationError>()("OutputValidationError", {
  ...callFields,
  content: Schema.String
}) {}

/** 401/403, bad AWS or GCP credentials. */
export class AuthenticationError extends Schema.TaggedError<AuthenticationError>()("AuthenticationError", callFields) {}

/** Any other 400/422, and requests rejected by validation before anything is sent. */
export class InvalidRequestError extends Schema.TaggedError<InvalidRequestError>()("InvalidRequestError", callFields) {}

/** The session budget is spent; raised before anything is sent. */
export class BudgetExceededError extends Schema.TaggedError<BudgetExceededError>()("BudgetExceededError", {
  ...callFields,
  spentUsd: Schema.Number,
  budgetUsd: Schema.Number
}) {}

/**
 * Where a call was headed when it was cut off: the provider and model the request asked for (the chain
 * may have moved on to a fallback by then); absent for calls that name no model.
 */
const cutOffFields = {
  provider: Schema.optionalKey(ProviderId),
  model: Schema.optionalKey(Schema.String),
  message: Schema.String
}

/**
 * The caller's AbortSignal fired: the Promise facade's call was cancelled and its HTTP request aborted.
 * Not an `LLMError`: in the Effect API cancelling is fiber interruption, which the chain never retries
 * or falls back on, so `classifyError` never sees it. A stream cut this way is still billed.
 */
export class RequestAbortedError extends Schema.TaggedError<RequestAbortedError>()(
  "RequestAbortedError",
  cutOffFields
) {}

/**
 * `close()` was called on the Promise facade: calls still running are interrupted (streams billed for
 * what they consumed), calls made afterwards are refused. Create a new orchestrator to go on.
 */
export class OrchestratorClosedError extends Schema.TaggedError<OrchestratorClosedError>()(
  "OrchestratorClosedError",
  cutOffFields
) {}

export const ConfigProblem = Schema.Struct({ path: Schema.String, message: Schema.String })
export type ConfigProblem = typeof ConfigProblem.Type

/** A bad config file or environment. `path` is the first problem's key path; `problems` lists all. */
export class ConfigError extends Schema.TaggedError<ConfigError>()("ConfigError", {
  path: Schema.String,
  message: Schema.String,
  problems: Schema.Array(ConfigProblem)
}) {
  static fromProblems(problems: ReadonlyArray<ConfigProblem>): ConfigError {
    const first = problems[0] ?? { path: "", message: "invalid configuration" }
    const message =
      problems.length <= 1
        ? `${first.path ? `${first.path}: ` : ""}${first.message}`
        : `${problems.length} problems in the configuration:\n${problems
            .map((p) => `  - ${p.path ? `${p.path}: ` : ""}${p.message}`)
            .join("\n")}`
    return new ConfigError({ path: first.path, message, problems })
  }
}

/** Every error a call can fail with. */
export type LLMError =
  | RateLimitError
  | ProviderUnavailableError
  | TimeoutError
  | NetworkError
  | ModelNotFoundError
  | ContextLengthExceededError
  | ContentFilteredError
  | OutputValidationError
  | AuthenticationError
  | InvalidRequestError
  | BudgetExceededError

export const LLMError = Schema.Union([
  RateLimitError,
  ProviderUnavailableError,
  TimeoutError,
  NetworkError,
  ModelNotFoundError,
  ContextLengthExceededError,
  ContentFilteredError,
  OutputValidationError,
  AuthenticationError,
  InvalidRequestError,
  BudgetExceededError
])

const llmErrorTags = new Set<string>([
  "RateLimitError",
  "ProviderUnavailableError",
  "TimeoutError",
  "NetworkError",
  "ModelNotFoundError",
  "ContextLengthExceededError",
  "ContentFilteredError",
  "OutputValidationError",
  "AuthenticationError",
  "InvalidRequestError",
  "BudgetExceededError"
])

export const isLLMError = (u: unknown): u is LLMError =>
  typeof u === "object" && u !== null && llmErrorTags.has((u as { _tag?: string })._tag ?? "")

/**
 * What to do after an error (docs/ARCHITECTURE.md, "Errors"):
 * - `retrySameModel`: try this model again (governed by the retry schedule);
 * - `fallback`: once retries are exhausted (or at once when not retryable), whether the chain moves on
 *   to any next model, only to a model of another provider (credentials are per provider), or stops.
 */
export interface ErrorPolicy {
  readonly retrySameModel: boolean
  readonly fallback: "any-model" | "other-provider" | "none"
}

export interface ClassifyOptions {
  /** Content filters usually fire again on another model; opt in to fall back anyway. */
  readonly fallbackOnContentFilter?: boolean
  /** Another model may well answer in the schema; opt out to fail at once (default true). */
  readonly fallbackOnInvalidOutput?: boolean
}

export const classifyError = (error: LLMError, options: ClassifyOptions = {}): ErrorPolicy => {
  switch (error._tag) {
    case "RateLimitError":
    case "ProviderUnavailableError":
    case "TimeoutError":
    case "NetworkError":
      return { retrySameModel: true, fallback: "any-model" }
    case "ModelNotFoundError":
    case "ContextLengthExceededError":
      return { retrySameModel: false, fallback: "any-model" }
    case "ContentFilteredError":
      return { retrySameModel: false, fallback: options.fallbackOnContentFilter ? "any-model" : "none" }
    case "OutputValidationError":
      return { retrySameModel: false, fallback: options.fallbackOnInvalidOutput === false ? "none" : "any-model" }
    case "AuthenticationError":
      return { retrySameModel: false, fallback: "other-provider" }
    case "InvalidRequestError":
    case "BudgetExceededError":
      return { retrySameModel: false, fallback: "none" }
  }
}
