/**
 * Bedrock over the transport real AWS uses: the runtime SDK's default HTTP/2 handler over TLS, against
 * the Bedrock simulator serving https:// with a self-signed certificate made here and trusted by the
 * provider's clients only (the `ca` option, never a process-wide setting). Plain and streamed calls,
 * listing, abort and both timeouts; every test checks on the server that the request really came over
 * HTTP/2 and TLS, so none can pass over HTTP/1.1.
 */
import { describe, expect, it } from "@effect/vitest"
import { type ChatRequest, ConfigError, LLMProvider, type ProviderStreamEvent } from "@llm-orchestrator/core"
import {
  bedrockSimulator,
  type RecordedRequest,
  type Simulator,
  selfSignedCertificate
} from "@llm-orchestrator/testing"
import { Effect, Fiber, Layer, Redacted, Stream } from "effect"
import { type BedrockOptions, BedrockProvider } from "../../src/bedrock/bedrock.ts"

const certificate = selfSignedCertificate()
const staticKeys = { accessKeyId: Redacted.make("AKIDBEDROCKH2TEST"), secretAccessKey: Redacted.make("h2-secret-key") }
const hello: ChatRequest = { messages: [{ role: "user", content: "Say hello" }] }
const model = "us.anthropic.claude-sonnet-4-5-20250929-v1:0"

/** A TLS simulator and the provider layer pointed at it, trusting its certificate. */
const withBedrockTls = <A, E>(
  body: (sim: Simulator) => Effect.Effect<A, E, LLMProvider>,
  options: Partial<BedrockOptions> = {}
) =>
  Effect.gen(function* () {
    const sim = yield* bedrockSimulator({ tls: certificate })
    expect(sim.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/)
    return yield* body(sim).pipe(
      Effect.provide(
        BedrockProvider.layer({
          region: "us-east-1",
          baseUrl: sim.url,
          ...staticKeys,
          ca: certificate.cert,
          ...options
        })
      )
    )
  })

/** The simulator's `index`th request, which must have come over HTTP/2 and TLS. */
const h2Request = (sim: Simulator, index: number): RecordedRequest => {
  const request = sim.requests[index]
  if (!request) throw new Error(`no request ${index} recorded`)
  expect({ httpVersion: request.httpVersion, tls: request.tls }).toEqual({ httpVersion: "2.0", tls: true })
  return request
}

/** All events of a stream, and its error when it fails. */
const drain = (stream: Stream.Stream<ProviderStreamEvent, unknown>) =>
  Effect.gen(function* () {
    const events: Array<ProviderStreamEvent> = []
    const error = yield* stream.pipe(
      Stream.runForEach((event) => Effect.sync(() => events.push(event))),
      Effect.match({ onFailure: (e) => e, onSuccess: () => undefined })
    )
    const texts = events.flatMap((e) => (e._tag === "TextDelta" ? [e.text] : []))
    return { events, error, texts }
  })

const usage = { inputTokens: 120, outputTokens: 9, cacheReadTokens: 80, cacheWriteTokens: 15, reasoningTokens: 0 }

describe("BedrockProvider over HTTP/2 and TLS", () => {
  it.live("Converse: text, finish reason, usage and request id, over HTTP/2 + TLS", () =>
    withBedrockTls((sim) =>
      Effect.gen(function* () {
        sim.script({ kind: "text", text: "Hello over h2!", usage, finishReason: "length" })
        const response = yield* (yield* LLMProvider).generate(hello, model)
        expect(response).toMatchObject({
          content: "Hello over h2!",
          provider: "bedrock",
          model,
          finishReason: "length",
          usage
        })
        expect(response.requestId).toMatch(/^req_/)
        const request = h2Request(sim, 0)
        expect(request.path).toBe(`/model/${encodeURIComponent(model)}/converse`)
        expect(request.body).toEqual({ messages: [{ role: "user", content: [{ text: "Say hello" }] }] })
        expect(String(request.headers.authorization)).toContain("Credential=AKIDBEDROCKH2TEST/")
        expect(request.abortedAt).toBeUndefined()
        expect(sim.requests).toHaveLength(1)
      })
    )
  )

  it.live("ConverseStream: every delta in order, the usage snapshot, then one ProviderFinish", () =>
    withBedrockTls((sim) =>
      Effect.gen(function* () {
        const chunks = ["Hel", "lo ", "over ", "h2"]
        sim.script({ kind: "text", text: chunks.join(""), chunks, usage, chunkDelayMs: 5 })
        const { events, error, texts } = yield* drain((yield* LLMProvider).stream(hello, model))
        expect(error).toBeUndefined()
        expect(texts).toEqual(chunks)
        expect(events.map((e) => e._tag)).toEqual([
          "TextDelta",
          "TextDelta",
          "TextDelta",
          "TextDelta",
          "UsageSnapshot",
          "ProviderFinish"
        ])
        expect(events.at(-1)).toMatchObject({ _tag: "ProviderFinish", finishReason: "stop", usage, model })
        expect(events.find((e) => e._tag === "UsageSnapshot")).toEqual({ _tag: "UsageSnapshot", usage })
        const request = h2Request(sim, 0)
        expect(request.path).toBe(`/model/${encodeURIComponent(model)}/converse-stream`)
        expect(request.abortedAt).toBeUndefined()
        expect(sim.requests).toHaveLength(1)
      })
    )
  )

  it.live("four concurrent streams each get their own text and usage", () =>
    withBedrockTls((sim) =>
      Effect.gen(function* () {
        const models = [
          "amazon.nova-micro-v1:0",
          "amazon.nova-lite-v1:0",
          "amazon.nova-pro-v1:0",
          "qwen.qwen3-32b-v1:0"
        ]
        for (const [index, id] of models.entries())
          sim.scriptModel(id, {
            kind: "text",
            text: `answer ${index} from ${id}`,
            chunks: 3,
            chunkDelayMs: 5,
            usage: { inputTokens: 10 + index, outputTokens: 3 }
          })
        const llm = yield* LLMProvider
        const results = yield* Effect.all(
          models.map((id) => drain(llm.stream(hello, id))),
          { concurrency: "unbounded" }
        )
        results.forEach(({ error, texts, events }, index) => {
          expect(error).toBeUndefined()
          expect(texts.join("")).toBe(`answer ${index} from ${models[index]}`)
          expect(events.at(-1)).toMatchObject({
            _tag: "ProviderFinish",
            model: models[index],
            usage: { inputTokens: 10 + index, outputTokens: 3 }
          })
        })
        expect(sim.requests).toHaveLength(4)
        for (const index of models.keys()) h2Request(sim, index)
      })
    )
  )

  it.live("a mid-stream exception frame over HTTP/2 is the typed error, after the text already sent", () =>
    withBedrockTls((sim) =>
      Effect.gen(function* () {
        sim.script({ kind: "stream-fault", text: "one two three", afterChunks: 2, fault: "error-event" })
        const { error, texts } = yield* drain((yield* LLMProvider).stream(hello, model))
        expect(texts).toEqual(["one ", "two "])
        expect(error).toMatchObject({ _tag: "ProviderUnavailableError", provider: "bedrock", model })
        h2Request(sim, 0)
      })
    )
  )

  it.live("the control plane (HTTP/1.1 over TLS) trusts the same certificate: listing works", () =>
    withBedrockTls((sim) =>
      Effect.gen(function* () {
        const models = yield* (yield* LLMProvider).listModels
        expect(models.map((m) => m.id)).toContain(model)
        expect(models.map((m) => m.id)).toContain("amazon.nova-lite-v1:0")
        // The SDK's default control-plane handler is HTTP/1.1 (no ALPN h2); TLS all the same. The
        // inference profiles come in pages of 5, so that listing takes more than one request.
        expect(new Set(sim.requests.map((r) => `${r.path} HTTP/${r.httpVersion} tls=${r.tls}`))).toEqual(
          new Set(["/foundation-models HTTP/1.1 tls=true", "/inference-profiles HTTP/1.1 tls=true"])
        )
        expect(sim.requests.filter((r) => r.path === "/inference-profiles").length).toBeGreaterThan(1)
      })
    )
  )

  it.live("without the certificate as `ca` the TLS handshake fails: NetworkError, nothing reaches the server", () =>
    Effect.gen(function* () {
      const sim = yield* bedrockSimulator({ tls: certificate })
      const layer = BedrockProvider.layer({ region: "us-east-1", baseUrl: sim.url, ...staticKeys })
      const use = <A>(f: (llm: LLMProvider["Service"]) => Effect.Effect<A, unknown>) =>
        Effect.flip(LLMProvider.use(f).pipe(Effect.provide(layer)))
      const plain = yield* use((llm) => llm.generate(hello, model))
      const streamed = yield* use((llm) => Stream.runDrain(llm.stream(hello, model)))
      for (const error of [plain, streamed]) {
        expect(error).toMatchObject({ _tag: "NetworkError", provider: "bedrock", model })
        expect((error as Error).message).toMatch(/self[- ]signed certificate/i)
      }
      expect(sim.requests).toHaveLength(0)
    })
  )

  it.live("`ca` with an http:// base_url is a ConfigError (it would trust nothing)", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(
        Layer.build(
          BedrockProvider.layer({ region: "us-east-1", baseUrl: "http://127.0.0.1:1", ca: certificate.cert })
        ).pipe(Effect.scoped)
      )
      expect(error).toBeInstanceOf(ConfigError)
      expect(error.message).toContain("providers.bedrock.ca")
    })
  )
})

describe("BedrockProvider over HTTP/2 and TLS: abort and timeouts", () => {
  it.live("a consumer that stops after one delta closes the HTTP/2 stream at once", () =>
    withBedrockTls((sim) =>
      Effect.gen(function* () {
        sim.script({ kind: "text", text: "a b c d e f g h", chunkDelayMs: 40 })
        const taken = yield* (yield* LLMProvider).stream(hello, model).pipe(
          Stream.filter((e) => e._tag === "TextDelta"),
          Stream.take(1),
          Stream.runCollect
        )
        expect(taken).toEqual([{ _tag: "TextDelta", text: "a " }])
        yield* Effect.promise(() => sim.waitForAbort(h2Request(sim, 0), 1000))
      })
    )
  )

  it.live("interrupting a streamed request mid-stream closes its HTTP/2 stream", () =>
    withBedrockTls((sim) =>
      Effect.gen(function* () {
        sim.script({ kind: "stream-fault", text: "one two three", afterChunks: 1, fault: "hang" })
        const deltas: Array<string> = []
        const fiber = yield* (yield* LLMProvider).stream(hello, model).pipe(
          Stream.runForEach((e) => Effect.sync(() => e._tag === "TextDelta" && deltas.push(e.text))),
          Effect.forkChild
        )
        // Interrupt once the first text has arrived, so the request is cut mid-stream.
        while (deltas.length === 0) yield* Effect.sleep(5)
        yield* Fiber.interrupt(fiber)
        expect(deltas).toEqual(["one "])
        yield* Effect.promise(() => sim.waitForAbort(h2Request(sim, 0), 1000))
      })
    )
  )

  it.live("interrupting a plain call closes its HTTP/2 stream", () =>
    withBedrockTls((sim) =>
      Effect.gen(function* () {
        sim.script({ kind: "hang" })
        const fiber = yield* Effect.forkChild((yield* LLMProvider).generate(hello, model))
        while (sim.requests.length === 0) yield* Effect.sleep(5)
        yield* Fiber.interrupt(fiber)
        yield* Effect.promise(() => sim.waitForAbort(h2Request(sim, 0), 1000))
      })
    )
  )

  it.live("a stream that stalls mid-way ends with the idle TimeoutError and its HTTP/2 stream is closed", () =>
    withBedrockTls(
      (sim) =>
        Effect.gen(function* () {
          sim.script({ kind: "stream-fault", text: "one two three four", afterChunks: 2, fault: "hang" })
          const { error, texts } = yield* drain((yield* LLMProvider).stream(hello, model))
          expect(texts).toEqual(["one ", "two "])
          expect(error).toMatchObject({ _tag: "TimeoutError", provider: "bedrock", model, timeoutMs: 150 })
          expect((error as Error).message).toContain("providers.bedrock.idle_timeout")
          yield* Effect.promise(() => sim.waitForAbort(h2Request(sim, 0), 1000))
        }),
      { timeoutMs: 10_000, idleTimeoutMs: 150 }
    )
  )

  it.live("a call that never answers ends with the per-attempt TimeoutError, plain and streamed", () =>
    withBedrockTls(
      (sim) =>
        Effect.gen(function* () {
          sim.script({ kind: "hang" }, { kind: "hang" })
          const llm = yield* LLMProvider
          const plain = yield* Effect.flip(llm.generate(hello, model))
          expect(plain).toMatchObject({ _tag: "TimeoutError", provider: "bedrock", timeoutMs: 150 })
          yield* Effect.promise(() => sim.waitForAbort(h2Request(sim, 0), 1000))
          const streamed = yield* drain(llm.stream(hello, model))
          expect(streamed.error).toMatchObject({ _tag: "TimeoutError", provider: "bedrock", timeoutMs: 150 })
          expect((streamed.error as Error).message).toContain("providers.bedrock.timeout")
          yield* Effect.promise(() => sim.waitForAbort(h2Request(sim, 1), 1000))
        }),
      { timeoutMs: 150 }
    )
  )
})
