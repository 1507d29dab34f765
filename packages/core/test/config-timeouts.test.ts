/**
 * The timeouts a config resolves to: every attempt and every request has a limit unless the config
 * turns it off explicitly with `0` or `none` (README "Guarantees: timeouts").
 */

import { describe, expect, it } from "@effect/vitest"
import { defaultTimeouts, resolveAttemptTimeouts, resolveRequestTimeout } from "@llm-orchestrator/core"
import { Effect } from "effect"
import { parseConfig } from "llm-orchestrator"
import { seeds } from "./config-support.ts"

const config = (openai: string, top = "") =>
  parseConfig(
    `active_provider: openai\nactive_model: gpt-4o-mini\nproviders:\n  openai:\n    api_key: sk-test\n${openai}${top}`
  )

describe("timeouts in the config", () => {
  it.effect("none configured: 10 min per attempt, 60 s idle, 15 min per request", () =>
    Effect.gen(function* () {
      const parsed = yield* config("")
      expect(defaultTimeouts).toEqual({ attemptMs: 600_000, idleMs: 60_000, requestMs: 900_000 })
      expect(resolveAttemptTimeouts(seeds(parsed).openai!)).toEqual({ timeoutMs: 600_000, idleTimeoutMs: 60_000 })
      expect(resolveRequestTimeout(parsed.requestTimeoutMs)).toBe(900_000)
    })
  )

  it.effect("`0` and `none` turn each one off", () =>
    Effect.gen(function* () {
      const parsed = yield* config("    timeout: none\n    idle_timeout: 0\n", "request_timeout: NONE\n")
      expect(seeds(parsed).openai).toMatchObject({ timeoutMs: 0, idleTimeoutMs: 0 })
      expect(resolveAttemptTimeouts(seeds(parsed).openai!)).toEqual({
        timeoutMs: undefined,
        idleTimeoutMs: undefined
      })
      expect(resolveRequestTimeout(parsed.requestTimeoutMs)).toBeUndefined()
    })
  )

  it.effect("a `timeout` shorter than 60 s is also the idle limit, unless idle_timeout says otherwise", () =>
    Effect.gen(function* () {
      const short = yield* config("    timeout: 30s\n", "request_timeout: 2m\n")
      expect(resolveAttemptTimeouts(seeds(short).openai!)).toEqual({ timeoutMs: 30_000, idleTimeoutMs: 30_000 })
      expect(resolveRequestTimeout(short.requestTimeoutMs)).toBe(120_000)
      const both = yield* config("    timeout: 30s\n    idle_timeout: 90s\n")
      expect(resolveAttemptTimeouts(seeds(both).openai!)).toEqual({ timeoutMs: 30_000, idleTimeoutMs: 90_000 })
      const noAttemptLimit = yield* config("    timeout: 0\n")
      expect(resolveAttemptTimeouts(seeds(noAttemptLimit).openai!)).toEqual({
        timeoutMs: undefined,
        idleTimeoutMs: 60_000
      })
    })
  )
})
