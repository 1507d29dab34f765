/**
 * Bedrock through the orchestrator over the transport real AWS uses (HTTP/2 over TLS), built in code
 * with the provider's `ca` option trusting a self-signed certificate made here: a streamed request is
 * answered and billed from its usage, and a stream stopped early or stalled closes its HTTP/2 stream
 * and leaves no connection open while the orchestrator and the simulator still run.
 * packages/providers/test/bedrock/bedrock-http2.test.ts covers the provider layer (timeouts, listing, ...).
 */
import { describe, expect, it } from "@effect/vitest"
import { CostTracking } from "@llm-orchestrator/cost"
import { BedrockProvider, priceSourcesByType } from "@llm-orchestrator/providers"
import { bedrockSimulator, type Simulator, selfSignedCertificate } from "@llm-orchestrator/testing"
import { Effect, Layer, Redacted, Stream } from "effect"
import { LLMOrchestrator } from "llm-orchestrator"
import { baselineCensus, expectNoLeaks, guardUnhandledRejections } from "./reliability-support.ts"

guardUnhandledRejections()
const certificate = selfSignedCertificate()
const model = "us.anthropic.claude-sonnet-4-5-20250929-v1:0"
const ask = { messages: [{ role: "user" as const, content: "Say hello" }] }

const orchestratorOver = (sim: Simulator, idleTimeoutMs?: number) =>
  LLMOrchestrator.layer({
    activeProvider: "bedrock",
    activeModel: model,
    providers: {
      bedrock: {
        layer: BedrockProvider.layer({
          region: "us-east-1",
          baseUrl: sim.url,
          accessKeyId: Redacted.make("AKIDORCHESTRATORH2"),
          secretAccessKey: Redacted.make("orchestrator-h2-secret"),
          ca: [certificate.cert], // a list, as for a chain of private CAs
          ...(idleTimeoutMs !== undefined ? { idleTimeoutMs } : {})
        })
      }
    },
    retry: { maxAttempts: 1 }
  }).pipe(Layer.provide(CostTracking.layer({ enabled: true, prices: {} }, { priceSources: priceSourcesByType })))

describe("the orchestrator over Bedrock's HTTP/2 + TLS transport", () => {
  it.live("a streamed request: every delta in order, one Finish with the usage and its cost", () =>
    Effect.gen(function* () {
      const sim = yield* bedrockSimulator({ tls: certificate })
      const chunks = ["Hello", " over", " HTTP/2"]
      const usage = { inputTokens: 1200, outputTokens: 90, cacheReadTokens: 800, cacheWriteTokens: 150 }
      sim.script({ kind: "text", text: chunks.join(""), chunks, usage, chunkDelayMs: 5 })
      const events = yield* LLMOrchestrator.use((llm) => Stream.runCollect(llm.sendStreamingRequest(ask))).pipe(
        Effect.provide(orchestratorOver(sim))
      )
      expect(events.map((e) => (e._tag === "TextDelta" ? e.text : e._tag))).toEqual([...chunks, "Finish"])
      const finish = events.at(-1)
      if (finish?._tag !== "Finish") throw new Error("no Finish event")
      expect(finish).toMatchObject({
        provider: "bedrock",
        model,
        finishReason: "stop",
        usage: { ...usage, reasoningTokens: 0 }
      })
      // https://aws.amazon.com/bedrock/pricing/: Claude Sonnet 4.5 through a us. profile (10% over the
      // global rate), USD per million tokens: input 3.30, output 16.50, cache write 4.125, cache read
      // 0.33. Uncached input is 1200 - 800 - 150 = 250.
      const expected = (250 * 3.3 + 800 * 0.33 + 150 * 4.125 + 90 * 16.5) / 1_000_000
      expect(finish.cost?.total).toBeCloseTo(expected, 12)
      expect(sim.requests.map((r) => [r.path, r.httpVersion, r.tls])).toEqual([
        [`/model/${encodeURIComponent(model)}/converse-stream`, "2.0", true]
      ])
    }).pipe(Effect.scoped)
  )

  /**
   * Runs `body` against an orchestrator over a fresh simulator, then, with both still running (so no
   * client or server teardown can close what the request left open), expects no socket beyond the
   * test's start: the stopped request's connection must have been closed by the stop itself.
   */
  const noConnectionLeftAfter = <A, E>(
    body: (sim: Simulator) => Effect.Effect<A, E, LLMOrchestrator>,
    idleTimeoutMs?: number
  ) =>
    Effect.gen(function* () {
      const before = yield* Effect.promise(() => baselineCensus())
      const sim = yield* bedrockSimulator({ tls: certificate })
      yield* Effect.gen(function* () {
        yield* body(sim)
        yield* Effect.promise(() => expectNoLeaks({ ...before, TCPServerWrap: before.TCPServerWrap + 1 }))
      }).pipe(Effect.provide(orchestratorOver(sim, idleTimeoutMs)))
    }).pipe(Effect.scoped)

  it.live("a consumer that stops after the first delta closes the HTTP/2 stream and its connection", () =>
    noConnectionLeftAfter((sim) =>
      Effect.gen(function* () {
        sim.script({ kind: "text", text: "a b c d e f g h", chunkDelayMs: 40 })
        const taken = yield* LLMOrchestrator.use((llm) =>
          llm.sendStreamingRequest(ask).pipe(Stream.take(1), Stream.runCollect)
        )
        expect(taken).toEqual([{ _tag: "TextDelta", text: "a " }])
        const request = sim.requests[0]
        expect(request && [request.httpVersion, request.tls]).toEqual(["2.0", true])
        yield* Effect.promise(() => sim.waitForAbort(request!, 1000))
      })
    )
  )

  it.live("a stream that stalls mid-way fails with the idle TimeoutError and closes its connection", () =>
    noConnectionLeftAfter(
      (sim) =>
        Effect.gen(function* () {
          sim.script({ kind: "stream-fault", text: "one two three four", afterChunks: 2, fault: "hang" })
          const texts: Array<string> = []
          const error = yield* Effect.flip(
            LLMOrchestrator.use((llm) =>
              Stream.runForEach(llm.sendStreamingRequest(ask), (e) =>
                Effect.sync(() => e._tag === "TextDelta" && texts.push(e.text))
              )
            )
          )
          expect(texts).toEqual(["one ", "two "])
          expect(error).toMatchObject({ _tag: "TimeoutError", provider: "bedrock", timeoutMs: 150 })
          const request = sim.requests[0]
          expect(request && [request.httpVersion, request.tls]).toEqual(["2.0", true])
          yield* Effect.promise(() => sim.waitForAbort(request!, 1000))
        }),
      150
    )
  )
})
