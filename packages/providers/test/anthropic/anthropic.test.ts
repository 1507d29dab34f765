/**
 * AnthropicProvider through its layer, with the real `@anthropic-ai/sdk` against the Anthropic
 * simulator: text, streams, usage normalisation, listing with pagination, every error row Anthropic
 * can produce, cut/malformed/interrupted/timed-out streams, and every recorded cassette.
 */

import { describe, expect, it } from "@effect/vitest"
import {
  type ChatRequest,
  type LLMError,
  LLMProvider,
  type ProviderStreamEvent,
  type Usage
} from "@llm-orchestrator/core"
import {
  type AnthropicOptions,
  AnthropicProvider,
  defaultMaxTokens,
  nonStreamingMaxTokens
} from "@llm-orchestrator/providers"
import {
  anthropicSimulator,
  cassetteReply,
  defaultAnthropicModels,
  type FaultKind,
  isStreamingCassette,
  loadCassettes,
  type Simulator,
  startAnthropicSimulator
} from "@llm-orchestrator/testing"
import { ConfigProvider, Effect, Fiber, Layer, Redacted, Stream } from "effect"
import type { AnthropicSettings } from "../../src/anthropic/type.ts"

const apiKey = "sk-ant-api03-secret-test-key-0123456789"
const model = "claude-sonnet-4-6"
const hello: ChatRequest = { messages: [{ role: "user", content: "Hello" }] }

// The orchestrator passes the parsed YAML config straight in: it must be assignable to the options.
const fromConfig = (config: AnthropicSettings): AnthropicOptions => config
void fromConfig

const getProvider = Effect.gen(function* () {
  return yield* LLMProvider
})

/** Runs `body` with a fresh simulator and the provider layer pointed at it. */
const withProvider = <A, E>(
  body: (provider: LLMProvider["Service"], sim: Simulator) => Effect.Effect<A, E>,
  options: Partial<AnthropicOptions> = {}
) =>
  Effect.scoped(
    Effect.gen(function* () {
      const sim = yield* anthropicSimulator()
      const layer = AnthropicProvider.layer({ apiKey: Redacted.make(apiKey), baseUrl: sim.url, ...options })
      const provider = yield* Effect.provide(getProvider, layer)
      return yield* body(provider, sim)
    })
  )

const collect = (stream: Stream.Stream<ProviderStreamEvent, LLMError>) => Stream.runCollect(stream)

/** Runs a stream to its failure, keeping what it emitted before. */
const failAfter = (stream: Stream.Stream<ProviderStreamEvent, LLMError>) =>
  Effect.gen(function* () {
    const seen: Array<ProviderStreamEvent> = []
    const error = yield* Effect.flip(Stream.runForEach(stream, (event) => Effect.sync(() => seen.push(event))))
    return { seen, error }
  })

const texts = (events: ReadonlyArray<ProviderStreamEvent>) =>
  events.flatMap((e) => (e._tag === "TextDelta" ? [e.text] : []))

const scriptedUsage: Usage = {
  inputTokens: 1_000,
  cacheReadTokens: 600,
  cacheWriteTokens: 150,
  outputTokens: 40,
  reasoningTokens: 25
}

describe("AnthropicProvider: text", () => {
  it.live("generate: text, finish, normalised usage, request id, and the request the API gets", () =>
    withProvider((provider, sim) =>
      Effect.gen(function* () {
        sim.script({ kind: "text", text: "Hi there!", usage: scriptedUsage })
        const request: ChatRequest = {
          messages: [
            { role: "system", content: "Be brief." },
            { role: "system", content: [{ type: "text", text: "Be kind." }] },
            {
              role: "user",
              content: [
                { type: "text", text: "Hel" },
                { type: "text", text: "lo" }
              ]
            },
            { role: "assistant", content: "Hi" },
            { role: "user", content: "Again" }
          ],
          temperature: 0.2,
          topP: 0.9,
          stop: ["END"]
        }
        const response = yield* provider.generate(request, model)
        expect(response).toMatchObject({ content: "Hi there!", provider: "anthropic", model, finishReason: "stop" })
        expect(response.usage).toEqual(scriptedUsage)
        expect(response.requestId).toMatch(/^req_/)
        const sent = sim.requests[0]!
        expect(sent.headers.authorization).toBe(`Bearer ${apiKey}`)
        expect(sent.body).toEqual({
          model,
          max_tokens: defaultMaxTokens(model),
          system: "Be brief.\n\nBe kind.",
          messages: [
            { role: "user", content: "Hello" },
            { role: "assistant", content: "Hi" },
            { role: "user", content: "Again" }
          ],
          temperature: 0.2,
          top_p: 0.9,
          stop_sequences: ["END"]
        })
      })
    )
  )

  it.live("stream: a usage snapshot at message_start, the deltas, then exactly one finish", () =>
    withProvider((provider, sim) =>
      Effect.gen(function* () {
        const chunks = ["The ", "quick ", "fox"]
        sim.script({ kind: "text", text: chunks.join(""), chunks, usage: scriptedUsage })
        const events = yield* collect(provider.stream(hello, model))
        expect(events[0]?._tag).toBe("UsageSnapshot")
        const first = events[0] as Extract<ProviderStreamEvent, { _tag: "UsageSnapshot" }>
        // message_start already tells the input side, so a cut stream can still be billed for it.
        expect(first.usage.inputTokens).toBe(scriptedUsage.inputTokens)
        expect(first.usage.cacheReadTokens).toBe(scriptedUsage.cacheReadTokens)
        expect(first.usage.cacheWriteTokens).toBe(scriptedUsage.cacheWriteTokens)
        expect(texts(events)).toEqual(chunks)
        const finishes = events.filter((e) => e._tag === "ProviderFinish")
        expect(finishes.length).toBe(1)
        expect(events.at(-1)).toEqual({
          _tag: "ProviderFinish",
          finishReason: "stop",
          usage: scriptedUsage,
          model,
          requestId: expect.stringMatching(/^req_/),
          // The scripted reasoning tokens come with a thinking block: its text and signature.
          reasoningParts: [expect.objectContaining({ type: "reasoning", source: "anthropic" })]
        })
        expect((sim.requests[0]!.body as { stream: boolean }).stream).toBe(true)
      })
    )
  )

  it.live("plain and streamed calls of the same exchange report identical usage", () =>
    withProvider((provider, sim) =>
      Effect.gen(function* () {
        const reply = { kind: "text", text: "same words here", usage: scriptedUsage } as const
        sim.script(reply, reply)
        const plain = yield* provider.generate(hello, model)
        const streamed = yield* collect(provider.stream(hello, model))
        const finish = streamed.at(-1) as Extract<ProviderStreamEvent, { _tag: "ProviderFinish" }>
        expect(finish.usage).toEqual(plain.usage)
        expect(texts(streamed).join("")).toBe(plain.content)
      })
    )
  )

  it.live("1-hour cache writes and server tool requests are read, plain and streamed alike", () =>
    withProvider((provider, sim) =>
      Effect.gen(function* () {
        const usage = { ...scriptedUsage, cacheWrite1hTokens: 20, webSearches: 2, webFetches: 1 }
        const reply = { kind: "text", text: "searched", usage } as const
        sim.script(reply, reply)
        const plain = yield* provider.generate(hello, model)
        expect(plain.usage).toEqual(usage)
        const streamed = yield* collect(provider.stream(hello, model))
        expect(streamed.at(-1)).toMatchObject({ _tag: "ProviderFinish", usage })
      })
    )
  )

  it.live("usage is what the served body says by Anthropic's rule, not what the simulator was told", () =>
    withProvider((provider, sim) =>
      Effect.gen(function* () {
        // The simulator renders usage as the adapter's inverse, so a wrong rule shared by both passes the
        // tests above; here the expectation is read from the bytes served (`expectedUsage`, as for cassettes).
        const usage = { ...scriptedUsage, cacheWrite1hTokens: 20, webSearches: 2 }
        const reply = { kind: "text", text: "counted", usage } as const
        sim.script(reply, reply)
        const served = yield* Effect.promise(() =>
          fetch(`${sim.url}/v1/messages`, {
            method: "POST",
            headers: { "content-type": "application/json", "x-api-key": apiKey, "anthropic-version": "2023-06-01" },
            body: JSON.stringify({ model, max_tokens: 64, messages: [{ role: "user", content: "hi" }] })
          }).then((r) => r.json() as Promise<{ usage: RecordedUsage }>)
        )
        // Anthropic's input_tokens leave out cache reads and writes: 1000 - 600 - 150.
        expect(served.usage).toMatchObject({ input_tokens: 250, cache_read_input_tokens: 600 })
        const response = yield* provider.generate(hello, model)
        expect(response.usage).toEqual(expectedUsage(served.usage))
      })
    )
  )

  it.live("usage without cache or thinking normalises to zeros, not undefined", () =>
    withProvider((provider, sim) =>
      Effect.gen(function* () {
        sim.script({ kind: "text", text: "ok", usage: { inputTokens: 9, outputTokens: 2 } })
        const response = yield* provider.generate(hello, model)
        expect(response.usage).toEqual({
          inputTokens: 9,
          outputTokens: 2,
          cacheReadTokens: 0,
          cacheWriteTokens: 0,
          reasoningTokens: 0
        })
      })
    )
  )

  it.live("finish reasons: max_tokens, tool_use, refusal and pause_turn, plain and streamed", () =>
    withProvider((provider, sim) =>
      Effect.gen(function* () {
        for (const finishReason of ["length", "tool-calls", "content-filter", "other"] as const) {
          sim.script({ kind: "text", text: "x y", finishReason }, { kind: "text", text: "x y", finishReason })
          expect((yield* provider.generate(hello, model)).finishReason).toBe(finishReason)
          const events = yield* collect(provider.stream(hello, model))
          expect((events.at(-1) as { finishReason: string }).finishReason).toBe(finishReason)
        }
      })
    )
  )

  it.live("finish reasons: stop_sequence -> stop, model_context_window_exceeded -> length", () =>
    withProvider((provider, sim) =>
      Effect.gen(function* () {
        const rows = [
          ["stop_sequence", "stop"],
          ["model_context_window_exceeded", "length"]
        ] as const
        for (const [stopReason, finishReason] of rows) {
          const body = {
            id: "msg_x",
            type: "message",
            role: "assistant",
            model,
            content: [{ type: "text", text: "t" }],
            stop_reason: stopReason,
            stop_sequence: null,
            usage: { input_tokens: 3, output_tokens: 1 }
          }
          sim.script({
            kind: "cassette",
            status: 200,
            headers: { "content-type": "application/json" },
            body: JSON.stringify(body)
          })
          expect((yield* provider.generate(hello, model)).finishReason).toBe(finishReason)
        }
      })
    )
  )

  it.live("a refusal is a content-filter finish, with the usage billed", () =>
    withProvider((provider, sim) =>
      Effect.gen(function* () {
        sim.script({ kind: "error", fault: "content-filter" }, { kind: "error", fault: "content-filter" })
        const response = yield* provider.generate(hello, model)
        expect(response.finishReason).toBe("content-filter")
        expect(response.usage.inputTokens).toBeGreaterThan(0)
        const events = yield* collect(provider.stream(hello, model))
        expect(events.at(-1)).toMatchObject({ _tag: "ProviderFinish", finishReason: "content-filter" })
      })
    )
  )

  it.live("a large maxTokens runs over a stream inside generate (no 'Streaming is required' surprise)", () =>
    withProvider((provider, sim) =>
      Effect.gen(function* () {
        sim.script({ kind: "text", text: "a long essay", usage: scriptedUsage })
        const maxTokens = 64_000
        expect(maxTokens).toBeGreaterThan(nonStreamingMaxTokens)
        const response = yield* provider.generate({ ...hello, maxTokens }, model)
        expect(response).toMatchObject({ content: "a long essay", finishReason: "stop", usage: scriptedUsage })
        expect(response.requestId).toMatch(/^req_/)
        expect(sim.requests[0]!.body).toMatchObject({ max_tokens: maxTokens, stream: true })
      })
    )
  )

  it.live("a maxTokens at the limit stays a plain request", () =>
    withProvider((provider, sim) =>
      Effect.gen(function* () {
        yield* provider.generate({ ...hello, maxTokens: nonStreamingMaxTokens }, model)
        expect(sim.requests[0]!.body).toMatchObject({ max_tokens: nonStreamingMaxTokens })
        expect((sim.requests[0]!.body as { stream?: boolean }).stream).toBeUndefined()
      })
    )
  )

  it("default max_tokens by model family", () => {
    expect(defaultMaxTokens("claude-3-haiku-20240307")).toBe(4_096)
    expect(defaultMaxTokens("claude-3-5-haiku-20241022")).toBe(8_192)
    expect(defaultMaxTokens("claude-3-7-sonnet-20250219")).toBe(16_384)
    expect(defaultMaxTokens("claude-sonnet-4-5-20250929")).toBe(16_384)
    expect(defaultMaxTokens("claude-opus-5-5")).toBe(16_384)
    expect(defaultMaxTokens("some-proxy-model")).toBe(4_096)
    expect(defaultMaxTokens("claude-opus-5")).toBeLessThanOrEqual(nonStreamingMaxTokens)
  })
})

describe("AnthropicProvider: listModels", () => {
  it.live("lists chat models (retired ones dropped) with the API's fields", () =>
    withProvider((provider) =>
      Effect.gen(function* () {
        const models = yield* provider.listModels
        const expected = defaultAnthropicModels.filter((m) => m.chat !== false)
        expect(models.map((m) => m.id)).toEqual(expected.map((m) => m.id))
        expect(models[0]).toEqual({
          id: expected[0]!.id,
          provider: "anthropic",
          displayName: expected[0]!.displayName,
          contextWindow: expected[0]!.contextWindow,
          maxOutputTokens: expected[0]!.maxOutputTokens,
          deprecated: false
        })
      })
    )
  )

  it.live("follows every page (after_id) until has_more is false", () =>
    withProvider((provider, sim) =>
      Effect.gen(function* () {
        // Pages of 1,000 (the API's largest), so a listing of a few dozen models is one request.
        const many = Array.from({ length: 2500 }, (_, i) => ({ id: `claude-test-${String(i).padStart(4, "0")}` }))
        sim.setModels(many)
        const models = yield* provider.listModels
        expect(models.map((m) => m.id)).toEqual(many.map((m) => m.id))
        expect(sim.requests.length).toBe(3)
        expect(sim.requests.map((r) => r.query.get("after_id"))).toEqual([null, "claude-test-0999", "claude-test-1999"])
      })
    )
  )

  it.live("a listing failure is typed", () =>
    withProvider(
      (provider, sim) =>
        Effect.gen(function* () {
          yield* Effect.promise(() => sim.close())
          const error = yield* Effect.flip(provider.listModels)
          expect(error._tag).toBe("NetworkError")
        }),
      {}
    )
  )
})

describe("AnthropicProvider: errors", () => {
  const rows: ReadonlyArray<{
    fault: FaultKind
    status?: number
    tag: LLMError["_tag"]
    expectedStatus: number
    retryAfterSeconds?: number
  }> = [
    { fault: "rate-limit", tag: "RateLimitError", expectedStatus: 429, retryAfterSeconds: 7 },
    { fault: "overloaded", tag: "ProviderUnavailableError", expectedStatus: 529 },
    { fault: "server-error", tag: "ProviderUnavailableError", expectedStatus: 500 },
    { fault: "unavailable", tag: "ProviderUnavailableError", expectedStatus: 503 },
    { fault: "auth", tag: "AuthenticationError", expectedStatus: 401 },
    { fault: "permission", tag: "AuthenticationError", expectedStatus: 403 },
    { fault: "model-not-found", tag: "ModelNotFoundError", expectedStatus: 404 },
    { fault: "context-length", tag: "ContextLengthExceededError", expectedStatus: 400 },
    { fault: "invalid-request", tag: "InvalidRequestError", expectedStatus: 400 },
    { fault: "invalid-request", status: 402, tag: "AuthenticationError", expectedStatus: 402 },
    { fault: "invalid-request", status: 413, tag: "ContextLengthExceededError", expectedStatus: 413 }
  ]
  for (const row of rows) {
    it.live(`${row.fault}${row.status ? ` (${row.status})` : ""} -> ${row.tag}, plain and streamed`, () =>
      withProvider((provider, sim) =>
        Effect.gen(function* () {
          const reply = {
            kind: "error",
            fault: row.fault,
            headers: { "request-id": "req_fixed_0001" },
            ...(row.status ? { status: row.status } : {}),
            ...(row.retryAfterSeconds ? { retryAfterSeconds: row.retryAfterSeconds } : {})
          } as const
          sim.script(reply, reply)
          const plain = yield* Effect.flip(provider.generate(hello, model))
          const streamed = (yield* failAfter(provider.stream(hello, model))).error
          for (const error of [plain, streamed]) {
            expect(error._tag).toBe(row.tag)
            expect(error).toMatchObject({ provider: "anthropic", model, status: row.expectedStatus })
            expect(error.requestId).toBe("req_fixed_0001")
            if (row.retryAfterSeconds) expect(error).toMatchObject({ retryAfterMs: row.retryAfterSeconds * 1000 })
            if (error._tag === "ModelNotFoundError") expect(error.suggestions).toEqual([])
            expect(error.message).not.toContain(apiKey)
          }
          expect(sim.requests.length).toBe(2) // no SDK retries
        })
      )
    )
  }

  it.live("retry-after-ms wins over retry-after", () =>
    withProvider((provider, sim) =>
      Effect.gen(function* () {
        sim.script({ kind: "error", fault: "rate-limit", retryAfterSeconds: 30, headers: { "retry-after-ms": "1500" } })
        const error = yield* Effect.flip(provider.generate(hello, model))
        expect(error).toMatchObject({ _tag: "RateLimitError", retryAfterMs: 1500 })
      })
    )
  )

  it.live("the API key never appears in an error, even when the API echoes it", () =>
    withProvider((provider, sim) =>
      Effect.gen(function* () {
        sim.script({ kind: "error", fault: "auth", message: `invalid x-api-key: ${apiKey}` })
        const error = yield* Effect.flip(provider.generate(hello, model))
        expect(error._tag).toBe("AuthenticationError")
        expect(error.message).not.toContain(apiKey)
        expect(error.message).toContain("[redacted]")
      })
    )
  )

  it.live("mid-stream overloaded error: the deltas before it arrive, then ProviderUnavailableError (no status)", () =>
    withProvider((provider, sim) =>
      Effect.gen(function* () {
        sim.script({ kind: "stream-fault", text: "one two three four", afterChunks: 2, fault: "error-event" })
        const { seen, error } = yield* failAfter(provider.stream(hello, model))
        expect(texts(seen)).toEqual(["one ", "two "])
        expect(seen[0]?._tag).toBe("UsageSnapshot")
        expect(error._tag).toBe("ProviderUnavailableError")
        expect(error.status).toBeUndefined()
        expect(error.requestId).toMatch(/^req_/)
      })
    )
  )

  it.live("mid-stream errors of other types keep their meaning", () =>
    withProvider((provider, sim) =>
      Effect.gen(function* () {
        const rows = [
          ["rate-limit", "RateLimitError"],
          ["invalid-request", "InvalidRequestError"],
          ["server-error", "ProviderUnavailableError"]
        ] as const
        for (const [errorFault, tag] of rows) {
          sim.script({ kind: "stream-fault", text: "a b c", afterChunks: 1, fault: "error-event", errorFault })
          const { seen, error } = yield* failAfter(provider.stream(hello, model))
          expect(texts(seen)).toEqual(["a "])
          expect(error._tag).toBe(tag)
        }
      })
    )
  )

  it.live("a dropped connection is a NetworkError, plain and mid-stream", () =>
    withProvider((provider, sim) =>
      Effect.gen(function* () {
        const reply = { kind: "stream-fault", text: "a b c", afterChunks: 1, fault: "drop" } as const
        sim.script(reply, reply)
        expect((yield* Effect.flip(provider.generate(hello, model)))._tag).toBe("NetworkError")
        const { seen, error } = yield* failAfter(provider.stream(hello, model))
        expect(texts(seen)).toEqual(["a "])
        expect(error._tag).toBe("NetworkError")
      })
    )
  )

  it.live("a malformed frame is a typed NetworkError, never a defect", () =>
    withProvider((provider, sim) =>
      Effect.gen(function* () {
        const reply = { kind: "stream-fault", text: "a b c", afterChunks: 2, fault: "malformed" } as const
        sim.script(reply, reply)
        expect((yield* Effect.flip(provider.generate(hello, model)))._tag).toBe("NetworkError")
        const { seen, error } = yield* failAfter(provider.stream(hello, model))
        expect(texts(seen)).toEqual(["a ", "b "])
        expect(error._tag).toBe("NetworkError")
      })
    )
  )

  it.live("a stream that ends without message_stop is a NetworkError, after its usage snapshot", () =>
    withProvider((provider, sim) =>
      Effect.gen(function* () {
        const cut = [
          "event: message_start",
          `data: ${JSON.stringify({ type: "message_start", message: { id: "m", type: "message", role: "assistant", model, content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: 11, output_tokens: 1 } } })}`,
          "",
          "event: content_block_delta",
          `data: ${JSON.stringify({ type: "content_block_delta", index: 0, delta: { type: "text_delta", text: "partial" } })}`,
          "",
          ""
        ].join("\n")
        sim.script({ kind: "cassette", status: 200, headers: { "content-type": "text/event-stream" }, body: cut })
        const { seen, error } = yield* failAfter(provider.stream(hello, model))
        expect(seen).toEqual([
          {
            _tag: "UsageSnapshot",
            usage: { inputTokens: 11, outputTokens: 1, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 }
          },
          { _tag: "TextDelta", text: "partial" }
        ])
        expect(error._tag).toBe("NetworkError")
      })
    )
  )

  it.live("connection refused is a NetworkError", () =>
    Effect.gen(function* () {
      const sim = yield* Effect.promise(() => startAnthropicSimulator())
      const url = sim.url
      yield* Effect.promise(() => sim.close())
      const layer = AnthropicProvider.layer({ apiKey: Redacted.make(apiKey), baseUrl: url })
      const provider = yield* Effect.provide(getProvider, layer)
      const error = yield* Effect.flip(provider.generate(hello, model))
      expect(error._tag).toBe("NetworkError")
      expect(error.message).toContain("ECONNREFUSED")
    })
  )
})

describe("AnthropicProvider: cancellation and timeouts", () => {
  it.live("stopping a stream after two deltas closes the connection at once", () =>
    withProvider((provider, sim) =>
      Effect.gen(function* () {
        const chunks = Array.from({ length: 20 }, (_, i) => `w${i} `)
        sim.script({ kind: "text", text: chunks.join(""), chunks, chunkDelayMs: 20 })
        const taken = yield* collect(
          provider.stream(hello, model).pipe(
            Stream.filter((e) => e._tag === "TextDelta"),
            Stream.take(2)
          )
        )
        expect(texts(taken)).toEqual(chunks.slice(0, 2))
        yield* Effect.promise(() => sim.waitForAbort(sim.requests[0]!, 50))
      })
    )
  )

  it.live("interrupting generate aborts the HTTP request", () =>
    withProvider((provider, sim) =>
      Effect.gen(function* () {
        sim.script({ kind: "hang" })
        const fiber = yield* Effect.forkChild(provider.generate(hello, model))
        while (sim.requests.length === 0) yield* Effect.sleep(2)
        yield* Fiber.interrupt(fiber)
        yield* Effect.promise(() => sim.waitForAbort(sim.requests[0]!, 50))
      })
    )
  )

  it.live("timeoutMs: a hung request fails with TimeoutError and is aborted, plain and streamed", () =>
    withProvider(
      (provider, sim) =>
        Effect.gen(function* () {
          sim.script({ kind: "hang" }, { kind: "hang" })
          const plain = yield* Effect.flip(provider.generate(hello, model))
          expect(plain).toMatchObject({ _tag: "TimeoutError", timeoutMs: 100 })
          yield* Effect.promise(() => sim.waitForAbort(sim.requests[0]!, 50))
          const streamed = (yield* failAfter(provider.stream(hello, model))).error
          expect(streamed).toMatchObject({ _tag: "TimeoutError", timeoutMs: 100 })
          yield* Effect.promise(() => sim.waitForAbort(sim.requests[1]!, 50))
        }),
      { timeoutMs: 100 }
    )
  )
})

describe("AnthropicProvider: layers", () => {
  it.live("layer rejects an empty key and a bad base URL with ConfigError", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(
        Effect.provide(
          getProvider,
          AnthropicProvider.layer({ apiKey: Redacted.make(" "), baseUrl: "not a url", timeoutMs: -1 })
        )
      )
      expect(error._tag).toBe("ConfigError")
      expect(error.problems.map((p) => p.path)).toEqual([
        "providers.anthropic.api_key",
        "providers.anthropic.base_url",
        "providers.anthropic.timeout"
      ])
    })
  )

  it.live("layerConfig reads ANTHROPIC_API_KEY and ANTHROPIC_BASE_URL", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const sim = yield* anthropicSimulator()
        sim.script({ kind: "text", text: "from env" })
        const env = ConfigProvider.layer(
          ConfigProvider.fromUnknown({ ANTHROPIC_API_KEY: "sk-ant-from-env", ANTHROPIC_BASE_URL: sim.url })
        )
        const provider = yield* Effect.provide(getProvider, AnthropicProvider.layerConfig.pipe(Layer.provide(env)))
        expect((yield* provider.generate(hello, model)).content).toBe("from env")
        expect(sim.requests[0]!.headers.authorization).toBe("Bearer sk-ant-from-env")
      })
    )
  )

  it.live("layerConfig without ANTHROPIC_API_KEY fails with Config's error", () =>
    Effect.gen(function* () {
      const env = ConfigProvider.layer(ConfigProvider.fromUnknown({}))
      const error = yield* Effect.flip(
        Effect.provide(getProvider, AnthropicProvider.layerConfig.pipe(Layer.provide(env)))
      )
      expect(error._tag).toBe("ConfigError")
      expect(String(error)).toContain("ANTHROPIC_API_KEY")
    })
  )
})

// Cassettes: expected values computed here from the recorded bodies, independently of the adapter.
const recordedFinish: Record<string, string> = {
  end_turn: "stop",
  stop_sequence: "stop",
  max_tokens: "length",
  tool_use: "tool-calls",
  refusal: "content-filter",
  pause_turn: "other"
}

interface RecordedUsage {
  input_tokens?: number
  output_tokens?: number
  cache_read_input_tokens?: number | null
  cache_creation_input_tokens?: number | null
  output_tokens_details?: { thinking_tokens?: number } | null
  cache_creation?: { ephemeral_1h_input_tokens?: number } | null
  server_tool_use?: { web_search_requests?: number; web_fetch_requests?: number } | null
}

/** The optional counters appear only when non-zero. */
const expectedUsage = (u: RecordedUsage): Usage => ({
  inputTokens: (u.input_tokens ?? 0) + (u.cache_read_input_tokens ?? 0) + (u.cache_creation_input_tokens ?? 0),
  outputTokens: u.output_tokens ?? 0,
  cacheReadTokens: u.cache_read_input_tokens ?? 0,
  cacheWriteTokens: u.cache_creation_input_tokens ?? 0,
  reasoningTokens: u.output_tokens_details?.thinking_tokens ?? 0,
  ...(u.cache_creation?.ephemeral_1h_input_tokens
    ? { cacheWrite1hTokens: u.cache_creation.ephemeral_1h_input_tokens }
    : {}),
  ...(u.server_tool_use?.web_search_requests ? { webSearches: u.server_tool_use.web_search_requests } : {}),
  ...(u.server_tool_use?.web_fetch_requests ? { webFetches: u.server_tool_use.web_fetch_requests } : {})
})

const fromRecordedStream = (body: string) => {
  let text = ""
  let usage: RecordedUsage = {}
  let stopReason = ""
  for (const frame of body.split("\n\n")) {
    const data = frame.split("\n").find((line) => line.startsWith("data:"))
    if (!data) continue
    const event = JSON.parse(data.slice(5))
    if (event.type === "message_start") usage = event.message.usage
    if (event.type === "content_block_delta" && event.delta.type === "text_delta") text += event.delta.text
    if (event.type === "message_delta") {
      usage = { ...usage, ...Object.fromEntries(Object.entries(event.usage).filter(([, v]) => v !== null)) }
      stopReason = event.delta.stop_reason
    }
  }
  return { text, usage: expectedUsage(usage), finishReason: recordedFinish[stopReason] }
}

describe("AnthropicProvider: every recorded cassette", () => {
  for (const cassette of loadCassettes("anthropic")) {
    it.live(cassette.name, () =>
      withProvider((provider, sim) =>
        Effect.gen(function* () {
          sim.script(cassetteReply(cassette))
          const body = cassette.response.body!
          if (cassette.response.status >= 400) {
            const recorded = JSON.parse(body) as { error: { type: string; message: string } }
            const error = yield* Effect.flip(provider.generate(hello, model))
            expect(error._tag).toBe(
              recorded.error.type === "invalid_request_error" ? "InvalidRequestError" : "unexpected error type"
            )
            expect(error.status).toBe(cassette.response.status)
            expect(error.message).toContain(recorded.error.message)
            return
          }
          if (isStreamingCassette(cassette)) {
            const expected = fromRecordedStream(body)
            const events = yield* collect(provider.stream(hello, model))
            expect(texts(events).join("")).toBe(expected.text)
            expect(events.at(-1)).toMatchObject({
              _tag: "ProviderFinish",
              finishReason: expected.finishReason,
              usage: expected.usage
            })
            return
          }
          const recorded = JSON.parse(body) as {
            model: string
            content: ReadonlyArray<{ type: string; text?: string }>
            stop_reason: string
            usage: RecordedUsage
          }
          const response = yield* provider.generate(hello, model)
          expect(response.content).toBe(
            recorded.content.flatMap((b) => (b.type === "text" ? [b.text ?? ""] : [])).join("")
          )
          expect(response.finishReason).toBe(recordedFinish[recorded.stop_reason])
          expect(response.usage).toEqual(expectedUsage(recorded.usage))
          expect(response.model).toBe(recorded.model)
        })
      )
    )
  }
})
