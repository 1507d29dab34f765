import { describe, expect, it } from "@effect/vitest"
import {
  AuthenticationError,
  BudgetExceededError,
  ConfigError,
  ContentFilteredError,
  ContextLengthExceededError,
  classifyError,
  InvalidRequestError,
  type LLMError,
  ModelNotFoundError,
  NetworkError,
  ProviderUnavailableError,
  RateLimitError,
  TimeoutError
} from "@llm-orchestrator/core"
import { Effect } from "effect"

const call = { provider: "openai" as const, model: "gpt-4o-mini", message: "m" }

describe("classifyError: the error table of docs/ARCHITECTURE.md, row by row", () => {
  const rows: ReadonlyArray<[LLMError, boolean, "any-model" | "other-provider" | "none"]> = [
    [new RateLimitError({ ...call, retryAfterMs: 1000 }), true, "any-model"],
    [new ProviderUnavailableError(call), true, "any-model"],
    [new TimeoutError(call), true, "any-model"],
    [new NetworkError(call), true, "any-model"],
    [new ModelNotFoundError({ ...call, suggestions: [] }), false, "any-model"],
    [new ContextLengthExceededError(call), false, "any-model"],
    [new ContentFilteredError(call), false, "none"],
    [new AuthenticationError(call), false, "other-provider"],
    [new InvalidRequestError(call), false, "none"],
    [new BudgetExceededError({ ...call, spentUsd: 1, budgetUsd: 1 }), false, "none"]
  ]
  for (const [error, retrySameModel, fallback] of rows) {
    it(error._tag, () => {
      expect(classifyError(error)).toEqual({ retrySameModel, fallback })
    })
  }
  it("content filter falls back when configured", () => {
    expect(classifyError(new ContentFilteredError(call), { fallbackOnContentFilter: true }).fallback).toBe("any-model")
  })
  it.effect("errors are yieldable failures that keep their message", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(Effect.fail(new RateLimitError({ ...call, message: "slow down" })))
      expect(error).toBeInstanceOf(Error)
      expect(error.message).toBe("slow down")
      expect(error._tag).toBe("RateLimitError")
    })
  )
})

describe("ConfigError.fromProblems", () => {
  it("one problem is the message; several are listed, a problem without a path without a prefix; none is 'invalid configuration'", () => {
    expect(ConfigError.fromProblems([{ path: "retry.max_attempts", message: "must be 1 or more" }]).message).toBe(
      "retry.max_attempts: must be 1 or more"
    )
    expect(
      ConfigError.fromProblems([
        { path: "", message: "the config is empty" },
        { path: "active_model", message: "is required" }
      ]).message
    ).toBe("2 problems in the configuration:\n  - the config is empty\n  - active_model: is required")
    const none = ConfigError.fromProblems([])
    expect([none.path, none.message]).toEqual(["", "invalid configuration"])
  })
})
