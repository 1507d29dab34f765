/**
 * `fallback.on_invalid_output`: read only when written (the orchestrator's default is to fall back),
 * a boolean, reported at its key otherwise.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { checkConfig, parseConfig } from "llm-orchestrator"

const withFallback = (fallback: string) =>
  `active_provider: openai\nactive_model: gpt-4o-mini\nproviders:\n  openai:\n    api_key: sk-test\nfallback:\n${fallback}`

describe("fallback.on_invalid_output", () => {
  it.effect("is read when written, and absent otherwise", () =>
    Effect.gen(function* () {
      const off = yield* parseConfig(withFallback("  on_invalid_output: false\n"), { env: {} })
      expect(off.fallback).toStrictEqual({ chain: [], onContentFilter: false, onInvalidOutput: false })
      const on = yield* parseConfig(withFallback("  on_invalid_output: true\n"), { env: {} })
      expect(on.fallback.onInvalidOutput).toBe(true)
      const unset = yield* parseConfig(withFallback("  on_content_filter: true\n"), { env: {} })
      expect(unset.fallback).toStrictEqual({ chain: [], onContentFilter: true })
    })
  )

  it("a value that is not a boolean is a problem at its key", () => {
    const problems = checkConfig(withFallback("  on_invalid_output: sometimes\n"), { env: {} })
    expect(problems.map((p) => p.path)).toEqual(["fallback.on_invalid_output"])
    expect(problems[0]!.message).toBe("expected true or false, got a string")
  })
})
