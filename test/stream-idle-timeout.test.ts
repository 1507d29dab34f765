/**
 * The idle timeout bounds a stream that stalls after its first text, for every provider: the deltas
 * already sent arrive, then a TimeoutError naming the idle timeout (not the 10 s per-attempt one), and the
 * HTTP request is aborted. The timers are real (sockets), so nothing here is timed: the test timeout
 * only guards against a hang.
 */
import { describe, expect, it } from "@effect/vitest"
import { LLMProvider, type ProviderId, parseConfig } from "@llm-orchestrator/core"
import { simulatorFleet } from "@llm-orchestrator/testing"
import { Effect, Stream } from "effect"
import { providerSetups } from "llm-orchestrator"

const models: Record<ProviderId, string> = {
  openai: "gpt-4o-mini",
  anthropic: "claude-sonnet-4-6",
  gemini: "gemini-2.5-flash",
  vertex: "gemini-2.5-flash",
  bedrock: "amazon.nova-lite-v1:0"
}

describe("stream idle timeout", () => {
  for (const provider of Object.keys(models) as Array<ProviderId>) {
    it.live(provider, () =>
      Effect.gen(function* () {
        const fleet = yield* simulatorFleet()
        const config = yield* parseConfig(fleet.configYaml())
        const withTimeout = {
          ...config,
          providers: Object.fromEntries(
            Object.entries(config.providers).map(([id, p]) => [id, { ...p, timeoutMs: 10_000, idleTimeoutMs: 300 }])
          )
        }
        const setup = providerSetups(withTimeout)[provider]!
        fleet[provider].scriptModel(models[provider], {
          kind: "stream-fault",
          text: "one two three four",
          afterChunks: 2,
          fault: "hang"
        })
        const deltas: Array<string> = []
        const failure = yield* LLMProvider.use((llm) =>
          Stream.runForEach(llm.stream({ messages: [{ role: "user", content: "hi" }] }, models[provider]), (e) =>
            Effect.sync(() => e._tag === "TextDelta" && e.text !== "" && deltas.push(e.text))
          )
        ).pipe(Effect.provide(setup.layer), Effect.flip)
        expect(failure).toMatchObject({ _tag: "TimeoutError", timeoutMs: 300 })
        expect(deltas.join("")).toBe("one two ")
        const request = fleet[provider].requests.at(-1)!
        yield* Effect.promise(() => fleet[provider].waitForAbort(request, 1000))
      }).pipe(Effect.scoped)
    )
  }
})
