/**
 * Discovery's rules (docs/ARCHITECTURE.md, "Discovery"): which ids a listing accepts, the not-found
 * message, the listing's time to live and refresh, what a failed listing does, and the bounded memo of
 * verdicts. Through the orchestrator's public API, on fake providers and the TestClock.
 */
import { describe, expect, it } from "@effect/vitest"
import { LLMOrchestrator, ModelNotFoundError, ProviderUnavailableError } from "@llm-orchestrator/core"
import { Effect } from "effect"
import { TestClock } from "effect/testing"
import { setup, user } from "./orchestrator-helpers.ts"

const ask = (model: string) => ({ ...user("hi"), model })
const listsTheModels = "(`llm-orchestrator models openai` lists the models)"

describe("discovery", () => {
  it.effect("accepts a listed id and an alias of a dated one (`-date` or `@date`), not a mere prefix", () => {
    const t = setup({
      activeProvider: "openai",
      activeModel: "gpt-4o",
      providers: { openai: {} },
      discovery: { validate: true },
      models: { openai: ["gpt-4o", "gpt-4o-mini-2024-07-18", "claude-sonnet-4-5@20250929"] }
    })
    return Effect.gen(function* () {
      const llm = yield* LLMOrchestrator
      for (const model of ["gpt-4o", "gpt-4o-mini", "gpt-4o-mini-2024-07-18", "claude-sonnet-4-5"])
        expect((yield* llm.sendRequest(ask(model))).model, model).toBe(model)
      const prefix = yield* Effect.flip(llm.sendRequest(ask("gpt-4")))
      expect(prefix).toBeInstanceOf(ModelNotFoundError)
      const suggestions = (prefix as ModelNotFoundError).suggestions
      expect(suggestions).toContain("gpt-4o")
      expect(prefix.message).toBe(
        `openai model gpt-4 not found; did you mean ${suggestions.join(", ")}? ${listsTheModels}`
      )
      const unrelated = yield* Effect.flip(llm.sendRequest(ask("zzzzzzzz")))
      expect(unrelated).toMatchObject({ suggestions: [], message: `openai model zzzzzzzz not found ${listsTheModels}` })
      expect(t.fake("openai").calls.map((c) => c.model)).toEqual([
        "gpt-4o",
        "gpt-4o-mini",
        "gpt-4o-mini-2024-07-18",
        "claude-sonnet-4-5"
      ])
    }).pipe(Effect.provide(t.layer))
  })

  it.effect("a listing is kept for the TTL, then asked again: a model added meanwhile is accepted", () => {
    const t = setup({
      activeProvider: "openai",
      activeModel: "a",
      providers: { openai: {} },
      discovery: { validate: true, ttlMs: 60_000 },
      models: { openai: ["a"] }
    })
    return Effect.gen(function* () {
      const llm = yield* LLMOrchestrator
      expect((yield* Effect.flip(llm.sendRequest(ask("b"))))._tag).toBe("ModelNotFoundError")
      t.fake("openai").setModels(["a", "b"])
      yield* TestClock.adjust("59 seconds")
      expect((yield* Effect.flip(llm.sendRequest(ask("b"))))._tag).toBe("ModelNotFoundError")
      expect(t.fake("openai").listCalls).toBe(1)
      yield* TestClock.adjust("1 second")
      expect((yield* llm.sendRequest(ask("b"))).model).toBe("b")
      expect(t.fake("openai").listCalls).toBe(2)
    }).pipe(Effect.provide(t.layer))
  })

  it.effect("refreshModels lists the named provider again (or every provider), and checks use the new listing", () => {
    const t = setup({
      activeProvider: "openai",
      activeModel: "a",
      providers: { openai: {}, anthropic: {} },
      discovery: { validate: true },
      models: { openai: ["a"], anthropic: ["c"] }
    })
    return Effect.gen(function* () {
      const llm = yield* LLMOrchestrator
      expect((yield* llm.getAvailableModels()).map((m) => m.id)).toEqual(["a", "c"])
      expect((yield* Effect.flip(llm.sendRequest(ask("b"))))._tag).toBe("ModelNotFoundError")
      t.fake("openai").setModels(["a", "b"])
      expect((yield* llm.refreshModels("openai")).map((m) => m.id)).toEqual(["a", "b"])
      expect([t.fake("openai").listCalls, t.fake("anthropic").listCalls]).toEqual([2, 1])
      expect((yield* llm.sendRequest(ask("b"))).model).toBe("b")
      yield* llm.refreshModels()
      expect([t.fake("openai").listCalls, t.fake("anthropic").listCalls]).toEqual([3, 2])
    }).pipe(Effect.provide(t.layer))
  })

  it.effect("a failed listing never blocks a request, and a 404 then gets no suggestions", () => {
    const t = setup({
      activeProvider: "openai",
      activeModel: "gpt-4o-mni",
      providers: { openai: {} },
      discovery: { validate: true },
      listErrors: {
        openai: new ProviderUnavailableError({ provider: "openai", model: "", message: "down", status: 503 })
      }
    })
    return Effect.gen(function* () {
      const llm = yield* LLMOrchestrator
      t.fake("openai").script({ text: "fine" })
      expect((yield* llm.sendRequest(user("hi"))).content).toBe("fine")
      t.fake("openai").script({
        error: new ModelNotFoundError({
          provider: "openai",
          model: "gpt-4o-mni",
          message: "no such model",
          suggestions: []
        })
      })
      const failure = yield* Effect.flip(llm.sendRequest(user("hi")))
      expect(failure).toMatchObject({ _tag: "ModelNotFoundError", suggestions: [], message: "no such model" })
      expect(t.fake("openai").calls).toHaveLength(2)
    }).pipe(Effect.provide(t.layer))
  })

  it.effect("a provider's own price in its listing wins over the catalogue's", () => {
    const t = setup({
      activeProvider: "openai",
      activeModel: "a",
      providers: { openai: {} },
      models: { openai: [{ id: "a", provider: "openai", price: { input: 5, output: 6 } }, "b"] }
    })
    return Effect.gen(function* () {
      const models = yield* (yield* LLMOrchestrator).getAvailableModels("openai")
      // The test pricing prices every model at $1 / $2 per million tokens.
      expect(models.map((m) => m.price)).toEqual([
        { input: 5, output: 6 },
        { input: 1, output: 2 }
      ])
    }).pipe(Effect.provide(t.layer))
  })

  it.effect("verdicts are kept per listing, at most 1,000: many unknown names cannot grow memory", () => {
    const t = setup({
      activeProvider: "openai",
      activeModel: "a",
      providers: { openai: {} },
      discovery: { validate: true },
      models: { openai: ["a"] }
    })
    return Effect.gen(function* () {
      const llm = yield* LLMOrchestrator
      const verdict = (model: string) => Effect.flip(llm.sendRequest(ask(model)))
      // A kept verdict is the same error object the next time.
      const first = yield* verdict("unknown-0")
      expect(yield* verdict("unknown-0")).toBe(first)
      for (let i = 1; i < 1_000; i++) yield* verdict(`unknown-${i}`)
      // The 1,001st name is judged afresh each time; the first ones are still kept.
      const extra = yield* verdict("unknown-1000")
      expect(yield* verdict("unknown-1000")).not.toBe(extra)
      expect(yield* verdict("unknown-999")).toBe(yield* verdict("unknown-999"))
      expect(yield* verdict("unknown-0")).toBe(first)
      expect(t.fake("openai").calls).toHaveLength(0)
    }).pipe(Effect.provide(t.layer))
  })
})
