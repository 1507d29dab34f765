/**
 * Refreshing a listing (added after discovery.test.ts was measured by mutation testing): a refresh of
 * one provider leaves the others cached, and after a failed refresh validation stops blocking rather
 * than trust the old listing.
 */
import { describe, expect, it } from "@effect/vitest"
import { LLMOrchestrator, ProviderUnavailableError } from "@llm-orchestrator/core"
import { Effect } from "effect"
import { setup, user } from "./orchestrator-helpers.ts"

const ask = (model: string) => ({ ...user("hi"), model })

describe("discovery refresh", () => {
  it.effect("refreshModels of one provider leaves the other providers' listings cached", () => {
    const t = setup({
      activeProvider: "openai",
      activeModel: "a",
      providers: { openai: {}, anthropic: {} },
      models: { openai: ["a"], anthropic: ["c"] }
    })
    return Effect.gen(function* () {
      const llm = yield* LLMOrchestrator
      yield* llm.getAvailableModels()
      yield* llm.refreshModels("openai")
      yield* llm.getAvailableModels()
      expect([t.fake("openai").listCalls, t.fake("anthropic").listCalls]).toEqual([2, 1])
    }).pipe(Effect.provide(t.layer))
  })

  it.effect("after a failed refresh, validation stops blocking rather than trust the old listing", () => {
    const t = setup({
      activeProvider: "openai",
      activeModel: "a",
      providers: { openai: {} },
      discovery: { validate: true },
      models: { openai: ["a"] }
    })
    return Effect.gen(function* () {
      const llm = yield* LLMOrchestrator
      expect((yield* Effect.flip(llm.sendRequest(ask("b"))))._tag).toBe("ModelNotFoundError")
      t.fake("openai").setListError(
        new ProviderUnavailableError({ provider: "openai", model: "", message: "down", status: 503 })
      )
      expect((yield* Effect.flip(llm.refreshModels("openai")))._tag).toBe("ProviderUnavailableError")
      expect((yield* llm.sendRequest(ask("b"))).model).toBe("b")
    }).pipe(Effect.provide(t.layer))
  })
})
