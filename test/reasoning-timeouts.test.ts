/**
 * Reasoning is progress for a stream's timers (kit `carriesOutput`): a model that thinks before its first
 * text is not held to the per-attempt timeout's "no text yet" limit once its reasoning flows; the idle
 * timeout takes over, as after a first text. Real Anthropic SDK against the simulator: the first text
 * comes 600 ms after the start, past a 300 ms per-attempt timeout, with and without reasoning before it.
 */
import { describe, expect, it } from "@effect/vitest"
import { LLMProvider, TimeoutError } from "@llm-orchestrator/core"
import { AnthropicProvider } from "@llm-orchestrator/providers"
import { anthropicSimulator } from "@llm-orchestrator/testing"
import { Effect, Redacted, Stream } from "effect"

const run = (reasoning: string | undefined) =>
  Effect.scoped(
    Effect.gen(function* () {
      const sim = yield* anthropicSimulator()
      // An empty first piece (sent at once, not text), then the text after 600 ms.
      sim.script({
        kind: "text",
        text: "Look both ways.",
        chunks: ["", "Look both ways."],
        chunkDelayMs: 600,
        ...(reasoning !== undefined ? { reasoning } : {})
      })
      const layer = AnthropicProvider.layer({
        apiKey: Redacted.make("sk-ant-test-0000"),
        baseUrl: sim.url,
        timeoutMs: 300,
        idleTimeoutMs: 10_000
      })
      const provider = yield* Effect.provide(Effect.service(LLMProvider), layer)
      return yield* Effect.result(
        Stream.runCollect(provider.stream({ messages: [{ role: "user", content: "How?" }] }, "claude-sonnet-4-6"))
      )
    })
  )

describe("reasoning and the stream timers", () => {
  it.live("without reasoning, no text within the per-attempt timeout is a TimeoutError", () =>
    Effect.gen(function* () {
      const result = yield* run(undefined)
      expect(result._tag).toBe("Failure")
      if (result._tag === "Failure") {
        expect(result.failure).toBeInstanceOf(TimeoutError)
        expect(result.failure.message).toContain("sent no text within")
      }
    })
  )

  it.live("with reasoning first, the idle timeout applies and the late text arrives", () =>
    Effect.gen(function* () {
      const result = yield* run("Thinking it over.")
      expect(result._tag).toBe("Success")
      if (result._tag === "Success")
        expect(result.success.flatMap((e) => (e._tag === "TextDelta" ? [e.text] : [])).join("")).toBe("Look both ways.")
    })
  )
})
