/**
 * The idle timeout bounds a stream that stalls after its first text, for every provider: the deltas
 * already sent arrive, then a TimeoutError naming the idle timeout (not the 10 s per-attempt one), and the
 * HTTP request is aborted. The timers are real (sockets), so nothing here is timed: the test timeout
 * only guards against a hang.
 */
import { describe, expect, it } from "@effect/vitest"
import { LLMProvider } from "@llm-orchestrator/core"
import { type FleetProvider, simulatorFleet } from "@llm-orchestrator/testing"
import { Effect, Stream } from "effect"
import { parseConfig, providerSetups } from "llm-orchestrator"

const models: Record<FleetProvider, string> = {
  openai: "gpt-4o-mini",
  anthropic: "claude-sonnet-4-6",
  gemini: "gemini-2.5-flash",
  vertex: "gemini-2.5-flash",
  bedrock: "amazon.nova-lite-v1:0"
}

/** The provider's layer with a 10 s per-attempt timeout and a 300 ms idle timeout. */
const idleSetup = (provider: FleetProvider) =>
  Effect.gen(function* () {
    const fleet = yield* simulatorFleet()
    const config = yield* parseConfig(fleet.configYaml())
    const withTimeout = {
      ...config,
      providers: Object.fromEntries(
        Object.entries(config.providers).map(([id, p]) => [
          id,
          { ...p, settings: { ...p.settings, timeoutMs: 10_000, idleTimeoutMs: 300 } }
        ])
      )
    }
    return { fleet, layer: providerSetups(withTimeout)[provider]!.layer }
  })

/** Streams to the end or the first failure, keeping the non-empty text deltas seen before it. */
const streamDeltas = (provider: FleetProvider) => {
  const deltas: Array<string> = []
  const run = LLMProvider.use((llm) =>
    Stream.runForEach(llm.stream({ messages: [{ role: "user", content: "hi" }] }, models[provider]), (e) =>
      Effect.sync(() => e._tag === "TextDelta" && e.text !== "" && deltas.push(e.text))
    )
  )
  return { deltas, run }
}

describe("stream idle timeout", () => {
  for (const provider of Object.keys(models) as Array<FleetProvider>) {
    it.live(`${provider}: a stream that hangs after two deltas`, () =>
      Effect.gen(function* () {
        const { fleet, layer } = yield* idleSetup(provider)
        fleet[provider].scriptModel(models[provider], {
          kind: "stream-fault",
          text: "one two three four",
          afterChunks: 2,
          fault: "hang"
        })
        const { deltas, run } = streamDeltas(provider)
        const failure = yield* run.pipe(Effect.provide(layer), Effect.flip)
        expect(failure).toMatchObject({ _tag: "TimeoutError", timeoutMs: 300 })
        expect(deltas.join("")).toBe("one two ")
        const request = fleet[provider].requests.at(-1)!
        yield* Effect.promise(() => fleet[provider].waitForAbort(request, 1000))
      }).pipe(Effect.scoped)
    )

    // Order, not time: the 2 s gap would end by itself, so a timer armed for longer than the idle
    // timeout (the 10 s per-attempt one, say) lets the whole answer through instead of failing.
    it.live(`${provider}: a 2 s gap between deltas fails the stream before the next delta arrives`, () =>
      Effect.gen(function* () {
        const { fleet, layer } = yield* idleSetup(provider)
        fleet[provider].scriptModel(models[provider], { kind: "text", text: "one two three", chunkDelayMs: 2_000 })
        const { deltas, run } = streamDeltas(provider)
        const failure = yield* run.pipe(Effect.provide(layer), Effect.flip)
        expect(failure).toMatchObject({ _tag: "TimeoutError", timeoutMs: 300 })
        expect(deltas.join("")).toBe("one ")
        const request = fleet[provider].requests.at(-1)!
        yield* Effect.promise(() => fleet[provider].waitForAbort(request, 1000))
      }).pipe(Effect.scoped)
    )
  }
})
