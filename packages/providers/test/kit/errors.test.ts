/**
 * The error side every adapter shares, rule by rule: Retry-After in its four spellings, the HTTP
 * status table (docs/ARCHITECTURE.md, "Errors") with each message word for word, connection codes
 * found on a cause chain, what the redactor masks, and header values checked at layer build.
 */
import { describe, expect, it } from "@effect/vitest"
import {
  connectionErrorCode,
  errorFromHttp,
  type HttpFailure,
  networkError,
  redactor,
  retryAfterMsFromHeaders,
  unsafeHeaderValues
} from "../../src/kit/index.ts"

const headers =
  (values: Record<string, string>) =>
  (name: string): string | undefined =>
    values[name]

describe("retryAfterMsFromHeaders", () => {
  it.each([
    ["retry-after-ms in milliseconds", { "retry-after-ms": "1500" }, 1500],
    ["retry-after-ms of 0: retry at once", { "retry-after-ms": "0" }, 0],
    ["a negative retry-after-ms is ignored for the next header", { "retry-after-ms": "-5", "retry-after": "2" }, 2000],
    ["retry-after in seconds", { "retry-after": "2.5" }, 2500],
    ["retry-after of 0 seconds", { "retry-after": "0" }, 0],
    // "-1" is not a delay; Date.parse reads it as the year 2001: a date in the past, so no wait.
    ["a negative retry-after is no wait", { "retry-after": "-1" }, 0],
    ["retry-after as an HTTP date in the past: no wait", { "retry-after": "Wed, 21 Oct 2015 07:28:00 GMT" }, 0],
    [
      "unreadable retry-after falls through to AWS's header",
      { "retry-after": "soon", "x-amz-retry-after": "700" },
      700
    ],
    ["x-amz-retry-after of 0", { "x-amz-retry-after": "0" }, 0],
    ["a negative x-amz-retry-after is no hint", { "x-amz-retry-after": "-3" }, undefined],
    ["no header: no hint", {}, undefined]
  ])("%s", (_, values, expected) => {
    expect(retryAfterMsFromHeaders(headers(values))).toBe(expected)
  })

  it("retry-after as an HTTP date in the future: the time until then", () => {
    const at = new Date(Date.now() + 60_000).toUTCString()
    const ms = retryAfterMsFromHeaders(headers({ "retry-after": at }))!
    // HTTP dates have whole seconds: up to one second less than a minute, never more.
    expect(ms).toBeGreaterThan(58_000)
    expect(ms).toBeLessThanOrEqual(60_000)
  })
})

describe("errorFromHttp", () => {
  const ctx = { provider: "openai", model: "gpt-4o-mini" }
  const where = "openai model gpt-4o-mini"
  const check = "Check the model id (`llm-orchestrator models openai` lists them)"
  const cases: ReadonlyArray<readonly [string, HttpFailure, string, string]> = [
    [
      "context-length",
      { status: 400, message: "too long", kind: "context-length" },
      "ContextLengthExceededError",
      `${where}: the prompt is longer than the model's context window: too long. Shorten the messages or use a model with a larger context`
    ],
    [
      "content-filter",
      { status: 400, message: "flagged", kind: "content-filter" },
      "ContentFilteredError",
      `${where} refused the content (safety filter): flagged`
    ],
    [
      "model-not-found",
      { status: 400, message: "no such model", kind: "model-not-found" },
      "ModelNotFoundError",
      `${where} not found: no such model. ${check}`
    ],
    [
      "rate-limit",
      { status: 400, message: "slow down", kind: "rate-limit", retryAfterMs: 250 },
      "RateLimitError",
      `${where} is rate limited (HTTP 400): slow down`
    ],
    [
      "overloaded",
      { status: 529, message: "busy", kind: "overloaded" },
      "ProviderUnavailableError",
      `${where} is overloaded: busy`
    ],
    [
      "401",
      { status: 401, message: "bad key" },
      "AuthenticationError",
      `${where}: authentication failed (HTTP 401): bad key. Check the provider's credentials in the config`
    ],
    [
      "403",
      { status: 403, message: "" },
      "AuthenticationError",
      `${where}: authentication failed (HTTP 403). Check the provider's credentials in the config`
    ],
    ["404", { status: 404, message: "gone" }, "ModelNotFoundError", `${where} not found (HTTP 404): gone. ${check}`],
    ["408", { status: 408, message: "slow" }, "TimeoutError", `${where}: the provider timed out (HTTP 408): slow`],
    [
      "413",
      { status: 413, message: "big" },
      "ContextLengthExceededError",
      `${where}: request too large (HTTP 413): big`
    ],
    ["429", { status: 429, message: "later" }, "RateLimitError", `${where} is rate limited (HTTP 429): later`],
    ["500", { status: 500, message: "oops" }, "ProviderUnavailableError", `${where} is unavailable (HTTP 500): oops`],
    ["503", { status: 503, message: "" }, "ProviderUnavailableError", `${where} is unavailable (HTTP 503)`],
    [
      "422",
      { status: 422, message: "bad field" },
      "InvalidRequestError",
      `${where} rejected the request (HTTP 422): bad field`
    ]
  ]

  it.each(cases)("%s", (_, failure, tag, message) => {
    const error = errorFromHttp(ctx, { ...failure, requestId: "req_1" })
    expect(error).toMatchObject({ _tag: tag, provider: "openai", model: "gpt-4o-mini", requestId: "req_1", message })
  })

  it("a rate limit carries the Retry-After hint; a model not found suggests nothing yet", () => {
    expect(errorFromHttp(ctx, { status: 429, message: "", retryAfterMs: 750 })).toMatchObject({ retryAfterMs: 750 })
    expect(errorFromHttp(ctx, { status: 404, message: "" })).toMatchObject({ suggestions: [] })
    expect(errorFromHttp(ctx, { status: 400, message: "", kind: "model-not-found" })).toMatchObject({ suggestions: [] })
  })
})

describe("connectionErrorCode", () => {
  /** An error whose `code` sits `depth` causes down. */
  const nested = (depth: number, code: string): unknown => {
    let error: { code?: string; cause?: unknown } = { code }
    for (let i = 0; i < depth; i++) error = { cause: error }
    return error
  }

  it("finds a connection code up to five causes down, and looks no deeper", () => {
    expect(connectionErrorCode(nested(0, "ECONNRESET"))).toBe("ECONNRESET")
    expect(connectionErrorCode(nested(5, "ECONNREFUSED"))).toBe("ECONNREFUSED")
    expect(connectionErrorCode(nested(6, "ECONNREFUSED"))).toBeUndefined()
  })

  it("ignores codes that are not connection failures, and non-objects", () => {
    expect(connectionErrorCode(nested(1, "ERR_INVALID_ARG_TYPE"))).toBeUndefined()
    expect(connectionErrorCode("ECONNRESET")).toBeUndefined()
    expect(connectionErrorCode(null)).toBeUndefined()
  })

  it("without a code the network error says only what failed", () => {
    const error = networkError({ provider: "gemini", model: "gemini-2.5-flash" }, new Error("socket hang up"), (t) => t)
    expect(error.message).toBe("gemini model gemini-2.5-flash: connection failed: socket hang up")
  })

  it("the network error names the code found and redacts the message", () => {
    const error = networkError(
      { provider: "openai", model: "gpt-4o-mini" },
      Object.assign(new Error("fetch failed for sk-secret-123"), { cause: { code: "ECONNRESET" } }),
      redactor(["sk-secret-123"])
    )
    expect(error).toMatchObject({
      _tag: "NetworkError",
      message: "openai model gpt-4o-mini: connection failed (ECONNRESET): fetch failed for [redacted]"
    })
  })
})

describe("redactor", () => {
  it("masks each secret of six characters or more, wherever it appears, and nothing shorter", () => {
    const redact = redactor([undefined, "abcdef", "xyz12"])
    expect(redact("key abcdef and abcdef; id xyz12")).toBe("key [redacted] and [redacted]; id xyz12")
  })

  it("masks what the patterns match", () => {
    expect(redactor([], /sk-\*+\w{4}/g)("Incorrect API key provided: sk-****abcd.")).toBe(
      "Incorrect API key provided: [redacted]."
    )
  })
})

describe("unsafeHeaderValues", () => {
  it("an unset value is fine; a value with a line break is a ConfigError at its path that does not repeat it", () => {
    expect(unsafeHeaderValues([["providers.openai.api_key", undefined]])).toBeUndefined()
    const error = unsafeHeaderValues([
      ["providers.openai.api_key", "sk-good"],
      ["providers.openai.organization", "org-1\r\n"]
    ])
    expect(error?.problems.map((p) => p.path)).toEqual(["providers.openai.organization"])
    expect(error?.message).not.toContain("org-1")
  })
})
