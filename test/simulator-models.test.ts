/**
 * The simulators serve only the models their provider does: through each provider's real SDK and
 * our layer, a model id the catalogue lacks is refused in the provider's own form (ModelNotFoundError
 * as the attempt's error, then the configured fallback answers), while the names the real APIs
 * resolve (aliases, dated snapshots, Bedrock inference profiles and ARNs) are served.
 */
import { describe, expect, it } from "@effect/vitest"
import { type FleetProvider, simulatorFleet } from "@llm-orchestrator/testing"
import { Effect } from "effect"
import { LLMOrchestrator, layerFromConfig, parseConfig } from "llm-orchestrator"
import { fastRetry, user } from "./support.ts"

const ask = (provider: FleetProvider, model: string) =>
  Effect.gen(function* () {
    const fleet = yield* simulatorFleet()
    const config = yield* parseConfig(fleet.configYaml({ activeProvider: provider, extraYaml: fastRetry }))
    const response = yield* Effect.gen(function* () {
      const llm = yield* LLMOrchestrator
      return yield* llm.sendRequest({ ...user("hi"), model })
    }).pipe(Effect.provide(layerFromConfig(config)))
    return { response, requests: fleet[provider].requests.map((request) => request.model) }
  })

describe("simulator model catalogues", () => {
  const unknown: ReadonlyArray<readonly [FleetProvider, string, string]> = [
    ["openai", "gpt-4o-mnii", "gpt-4o-mini"],
    ["anthropic", "claude-sonet-4-6", "claude-sonnet-4-6"],
    ["gemini", "gemini-2.5-flsh", "gemini-2.5-flash"],
    ["vertex", "gemini-2.5-flsh", "gemini-2.5-flash"],
    ["bedrock", "us.anthropic.claude-sonet-4-5-20250929-v1:0", "us.anthropic.claude-sonnet-4-5-20250929-v1:0"]
  ]
  it.effect.each(unknown)(
    "%s: %s is refused as an unknown model, then the fallback answers",
    ([provider, typo, fallback]) =>
      Effect.gen(function* () {
        const { response, requests } = yield* ask(provider, typo)
        expect(response.attempts[0]).toMatchObject({ model: typo, outcome: "error", errorTag: "ModelNotFoundError" })
        expect(response.model).toBe(fallback)
        expect(requests).toContain(typo)
      }).pipe(Effect.scoped)
  )

  const resolved: ReadonlyArray<readonly [FleetProvider, string]> = [
    ["openai", "gpt-4o-mini-2024-07-18"],
    ["anthropic", "claude-sonnet-4-5"],
    ["gemini", "gemini-2.0-flash-001"],
    ["bedrock", "anthropic.claude-haiku-4-5-20251001-v1:0"],
    ["bedrock", "arn:aws:bedrock:us-east-1:123456789012:inference-profile/eu.anthropic.claude-haiku-4-5-20251001-v1:0"]
  ]
  it.effect.each(resolved)("%s: %s is served, as the real API resolves it", ([provider, model]) =>
    Effect.gen(function* () {
      const { response } = yield* ask(provider, model)
      expect(response.attempts.map((attempt) => attempt.outcome)).toEqual(["success"])
      expect(response.content).toContain("simulator")
    }).pipe(Effect.scoped)
  )
})
