/**
 * The error side every adapter shares: HTTP status -> `LLMError` defaults that each provider refines
 * with its own error shapes, Retry-After parsing, connection failures, secret redaction, and checks
 * of values that go into HTTP headers.
 */
import {
  AuthenticationError,
  ConfigError,
  type ConfigProblem,
  ContentFilteredError,
  ContextLengthExceededError,
  headerValueProblem,
  InvalidRequestError,
  type LLMError,
  ModelNotFoundError,
  NetworkError,
  optionalField,
  ProviderUnavailableError,
  RateLimitError,
  TimeoutError
} from "@llm-orchestrator/core"
import type { CallContext } from "./call.ts"

/**
 * Retry-After from response headers, in milliseconds: `retry-after-ms` (OpenAI, Anthropic), then
 * `retry-after` in seconds or as an HTTP date, then AWS's `x-amz-retry-after` (ms).
 */
export const retryAfterMsFromHeaders = (get: (name: string) => string | null | undefined): number | undefined => {
  // Stryker disable next-line StringLiteral: equivalent, any text without a number reads as NaN
  const ms = Number.parseFloat(get("retry-after-ms") ?? "")
  if (Number.isFinite(ms) && ms >= 0) return ms
  // Stryker disable next-line StringLiteral: equivalent, as above (and Date.parse of it is NaN too)
  const raw = get("retry-after") ?? ""
  const seconds = Number.parseFloat(raw)
  // Stryker disable next-line EqualityOperator: equivalent, "0" read as a date is in the past: 0 ms as well
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000
  const date = Date.parse(raw)
  if (Number.isFinite(date)) return Math.max(0, date - Date.now())
  // Stryker disable next-line StringLiteral: equivalent, as above
  const amz = Number.parseFloat(get("x-amz-retry-after") ?? "")
  if (Number.isFinite(amz) && amz >= 0) return amz
  return undefined
}

export interface HttpFailure {
  readonly status: number
  /** The provider's own message (never the request headers: they hold the key). */
  readonly message: string
  readonly requestId?: string | undefined
  readonly retryAfterMs?: number | undefined
  /** Provider-specific recognition, decided by the adapter from the error body. */
  readonly kind?: "context-length" | "content-filter" | "model-not-found" | "rate-limit" | "overloaded" | undefined
}

/** The error table (docs/ARCHITECTURE.md, "Errors") for an HTTP failure, refined by the adapter's `kind`. */
export const errorFromHttp = (ctx: CallContext, failure: HttpFailure): LLMError => {
  const base = {
    provider: ctx.provider,
    model: ctx.model,
    status: failure.status,
    ...optionalField("requestId", failure.requestId)
  }
  const where = `${ctx.provider} model ${ctx.model}`
  const said = failure.message ? `: ${failure.message}` : ""
  switch (failure.kind) {
    case "context-length":
      return new ContextLengthExceededError({
        ...base,
        message: `${where}: the prompt is longer than the model's context window${said}. Shorten the messages or use a model with a larger context`
      })
    case "content-filter":
      return new ContentFilteredError({ ...base, message: `${where} refused the content (safety filter)${said}` })
    case "model-not-found":
      return new ModelNotFoundError({
        ...base,
        suggestions: [],
        message: `${where} not found${said}. Check the model id (\`llm-orchestrator models ${ctx.provider}\` lists them)`
      })
    case "rate-limit":
      return new RateLimitError({
        ...base,
        ...optionalField("retryAfterMs", failure.retryAfterMs),
        message: `${where} is rate limited (HTTP ${failure.status})${said}`
      })
    case "overloaded":
      return new ProviderUnavailableError({ ...base, message: `${where} is overloaded${said}` })
    case undefined:
      break
  }
  const status = failure.status
  if (status === 401 || status === 403)
    return new AuthenticationError({
      ...base,
      message: `${where}: authentication failed (HTTP ${status})${said}. Check the provider's credentials in the config`
    })
  if (status === 404)
    return new ModelNotFoundError({
      ...base,
      suggestions: [],
      message: `${where} not found (HTTP 404)${said}. Check the model id (\`llm-orchestrator models ${ctx.provider}\` lists them)`
    })
  if (status === 408)
    return new TimeoutError({ ...base, message: `${where}: the provider timed out (HTTP 408)${said}` })
  if (status === 413)
    return new ContextLengthExceededError({ ...base, message: `${where}: request too large (HTTP 413)${said}` })
  if (status === 429)
    return new RateLimitError({
      ...base,
      ...optionalField("retryAfterMs", failure.retryAfterMs),
      message: `${where} is rate limited (HTTP 429)${said}`
    })
  if (status >= 500)
    return new ProviderUnavailableError({ ...base, message: `${where} is unavailable (HTTP ${status})${said}` })
  return new InvalidRequestError({ ...base, message: `${where} rejected the request (HTTP ${status})${said}` })
}

const connectionCodes = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "EPIPE",
  "ETIMEDOUT",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "UND_ERR_SOCKET",
  "UND_ERR_CLOSED",
  "ERR_STREAM_PREMATURE_CLOSE",
  "ECONNABORTED"
])

/** The first system error code (ECONNRESET, ...) found on an error or its `cause` chain. */
export const connectionErrorCode = (error: unknown): string | undefined => {
  let current: unknown = error
  for (let depth = 0; depth < 6 && typeof current === "object" && current !== null; depth++) {
    const code = (current as { code?: unknown }).code
    if (connectionCodes.has(code as string)) return code as string
    current = (current as { cause?: unknown }).cause
  }
  return undefined
}

/**
 * The one way secrets are kept out of messages: a function that masks `secrets` (the keys an adapter
 * was given; some providers and SDKs echo them) and whatever `patterns` match (key-shaped text, such as
 * the masked key OpenAI quotes). Short strings are skipped so ordinary words are never masked.
 */
export const redactor = (
  secrets: ReadonlyArray<string | undefined>,
  ...patterns: ReadonlyArray<RegExp>
): ((text: string) => string) => {
  const masked = secrets.filter((secret): secret is string => secret !== undefined && secret.length >= 6)
  return (text) => {
    let out = text
    for (const secret of masked) out = out.split(secret).join("[redacted]")
    for (const pattern of patterns) out = out.replace(pattern, "[redacted]")
    return out
  }
}

/** A transport failure (no HTTP answer, or the connection died mid-response), its message redacted. */
export const networkError = (ctx: CallContext, error: unknown, redact: (text: string) => string): NetworkError => {
  const code = connectionErrorCode(error)
  const detail = error instanceof Error ? error.message : String(error)
  return new NetworkError({
    provider: ctx.provider,
    model: ctx.model,
    message: redact(`${ctx.provider} model ${ctx.model}: connection failed${code ? ` (${code})` : ""}: ${detail}`)
  })
}

/**
 * A `ConfigError` when a value the SDK will put in an HTTP header cannot go there (a key from the
 * environment with a CRLF): found when the layer is built, not as a network error on every request.
 * `fields` pairs each config path with its value; the message never repeats the value.
 */
export const unsafeHeaderValues = (
  fields: ReadonlyArray<readonly [path: string, value: string | undefined]>
): ConfigError | undefined => {
  const problems: Array<ConfigProblem> = []
  for (const [path, value] of fields) {
    // Stryker disable next-line ConditionalExpression: equivalent, an unset value has no problem either way
    const problem = value === undefined ? undefined : headerValueProblem(value)
    if (problem !== undefined)
      problems.push({ path, message: `${problem}; check where it comes from (a key file read with its newline?)` })
  }
  return problems.length > 0 ? ConfigError.fromProblems(problems) : undefined
}
