/**
 * `OpenAIProvider` through its layer, with the real `openai` SDK against the OpenAI simulator: both
 * APIs (Chat Completions, Responses), plain and streamed, listing, every error row of docs/ARCHITECTURE.md, "Errors"
 * OpenAI can produce, mid-stream failures, interruption, timeouts and usage normalisation.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "@effect/vitest"
import {
  type ChatRequest,
  type LLMError,
  LLMProvider,
  type ProviderStreamEvent,
  type Usage
} from "@llm-orchestrator/core"
import {
  type CassetteReply,
  defaultOpenAIModels,
  type FaultKind,
  type RecordedRequest,
  type Simulator,
  startOpenAISimulator
} from "@llm-orchestrator/testing"
import { ConfigProvider, Effect, Layer, Redacted, Stream } from "effect"
import { type OpenAIOptions, OpenAIProvider } from "../../src/openai/openai.ts"

const apiKey = "sk-proj-TESTKEY-0123456789abcdef"
let sim: Simulator

beforeAll(async () => {
  sim = await startOpenAISimulator()
})
afterAll(() => sim.close())
beforeEach(() => {
  sim.reset()
  sim.setModels(defaultOpenAIModels)
})

const layer = (options: Partial<OpenAIOptions> = {}) =>
  OpenAIProvider.layer({ apiKey: Redacted.make(apiKey), baseUrl: `${sim.url}/v1`, ...options })

const request: ChatRequest = {
  messages: [
    { role: "system", content: "Be brief." },
    {
      role: "user",
      content: [
        { type: "text", text: "Say " },
        { type: "text", text: "hello" }
      ]
    }
  ],
  maxTokens: 50,
  temperature: 0.2
}

const generate = (api: "chat" | "responses", model = "gpt-4o-mini", options: Partial<OpenAIOptions> = {}) =>
  LLMProvider.use((p) => p.generate(request, model)).pipe(Effect.provide(layer({ api, ...options })))

const streamEvents = (api: "chat" | "responses", model = "gpt-4o-mini", options: Partial<OpenAIOptions> = {}) =>
  Effect.gen(function* () {
    const provider = yield* LLMProvider
    return Array.from(yield* Stream.runCollect(provider.stream(request, model)))
  }).pipe(Effect.provide(layer({ api, ...options })))

/** Runs a stream, keeping what arrived before it failed. */
const streamUntilFailure = (api: "chat" | "responses") =>
  Effect.gen(function* () {
    const provider = yield* LLMProvider
    const seen: Array<ProviderStreamEvent> = []
    const error = yield* provider.stream(request, "gpt-4o-mini").pipe(
      Stream.runForEach((event) => Effect.sync(() => seen.push(event))),
      Effect.flip
    )
    return { seen, error }
  }).pipe(Effect.provide(layer({ api })))

const texts = (events: ReadonlyArray<ProviderStreamEvent>) =>
  events.flatMap((e) => (e._tag === "TextDelta" ? [e.text] : []))
const finishes = (events: ReadonlyArray<ProviderStreamEvent>) => events.filter((e) => e._tag === "ProviderFinish")

const lastRequest = (): RecordedRequest => {
  const last = sim.requests.at(-1)
  if (!last) throw new Error("the simulator received no request")
  return last
}

const apis = ["chat", "responses"] as const

describe("Chat Completions (default)", () => {
  it.live("plain call: text, finish reason, usage, request id, and the request it sent", () =>
    Effect.gen(function* () {
      sim.script({ kind: "text", text: "Hello!", usage: { inputTokens: 21, outputTokens: 3 } })
      const response = yield* generate("chat")
      expect(response).toMatchObject({
        content: "Hello!",
        provider: "openai",
        model: "gpt-4o-mini",
        finishReason: "stop"
      })
      expect(response.usage).toEqual({
        inputTokens: 21,
        outputTokens: 3,
        cacheReadTokens: 0,
        cacheWriteTokens: 0,
        reasoningTokens: 0
      })
      expect(response.requestId).toMatch(/^req_/)
      const sent = lastRequest()
      expect(sent.path).toBe("/v1/chat/completions")
      expect(sent.headers.authorization).toBe(`Bearer ${apiKey}`)
      expect(sent.headers["x-stainless-retry-count"]).toBe("0")
      expect(sent.body).toEqual({
        model: "gpt-4o-mini",
        messages: [
          { role: "system", content: "Be brief." },
          { role: "user", content: "Say hello" }
        ],
        temperature: 0.2,
        max_completion_tokens: 50
      })
    })
  )

  it.live("streamed call: deltas, a usage snapshot, then exactly one finish; include_usage is requested", () =>
    Effect.gen(function* () {
      const pieces = ["Hel", "lo", ", ", "world"]
      sim.script({ kind: "text", text: pieces.join(""), chunks: pieces, usage: { inputTokens: 30, outputTokens: 4 } })
      const events = yield* streamEvents("chat")
      expect(texts(events)).toEqual(pieces)
      const snapshot = events.findIndex((e) => e._tag === "UsageSnapshot")
      expect(snapshot).toBeGreaterThan(events.findLastIndex((e) => e._tag === "TextDelta"))
      expect(finishes(events)).toHaveLength(1)
      expect(events.at(-1)).toMatchObject({
        _tag: "ProviderFinish",
        finishReason: "stop",
        model: "gpt-4o-mini",
        usage: { inputTokens: 30, outputTokens: 4 }
      })
      expect(events.at(-1)).toHaveProperty("requestId", expect.stringMatching(/^req_/))
      expect(lastRequest().body).toMatchObject({ stream: true, stream_options: { include_usage: true } })
    })
  )

  it.live("finish reasons: length and tool calls", () =>
    Effect.gen(function* () {
      sim.script(
        { kind: "text", text: "cut", finishReason: "length" },
        { kind: "text", text: "", finishReason: "tool-calls" }
      )
      expect((yield* generate("chat")).finishReason).toBe("length")
      const tools = yield* generate("chat")
      expect(tools).toMatchObject({ finishReason: "tool-calls", content: "" })
    })
  )
})

describe("Responses API (api: responses)", () => {
  it.live("plain call: system messages become instructions, output text and usage", () =>
    Effect.gen(function* () {
      const usage = { inputTokens: 40, outputTokens: 12, reasoningTokens: 8 }
      sim.script({ kind: "text", text: "Bonjour", usage })
      const response = yield* generate("responses", "gpt-5")
      expect(response).toMatchObject({ content: "Bonjour", model: "gpt-5", finishReason: "stop" })
      expect(response.usage).toEqual({ ...usage, cacheReadTokens: 0, cacheWriteTokens: 0 })
      const sent = lastRequest()
      expect(sent.path).toBe("/v1/responses")
      expect(sent.body).toEqual({
        model: "gpt-5",
        input: [{ role: "user", content: "Say hello" }],
        instructions: "Be brief.",
        temperature: 0.2,
        max_output_tokens: 50
      })
    })
  )

  it.live("streamed call: deltas, usage from response.completed, one finish", () =>
    Effect.gen(function* () {
      const pieces = ["Bon", "jour"]
      sim.script({ kind: "text", text: "Bonjour", chunks: pieces, usage: { inputTokens: 7, reasoningTokens: 2 } })
      const events = yield* streamEvents("responses", "gpt-5")
      expect(texts(events)).toEqual(pieces)
      expect(events.filter((e) => e._tag === "UsageSnapshot")).toHaveLength(1)
      expect(events.at(-1)).toMatchObject({
        _tag: "ProviderFinish",
        finishReason: "stop",
        usage: { inputTokens: 7, outputTokens: pieces.length + 2, reasoningTokens: 2 }
      })
    })
  )

  it.live("max_output_tokens -> length, function call -> tool-calls (plain and streamed)", () =>
    Effect.gen(function* () {
      for (const finishReason of ["length", "tool-calls"] as const) {
        sim.script({ kind: "text", text: "abc", finishReason }, { kind: "text", text: "abc", finishReason })
        expect((yield* generate("responses", "gpt-5")).finishReason).toBe(finishReason)
        expect(finishes(yield* streamEvents("responses", "gpt-5"))[0]?.finishReason).toBe(finishReason)
      }
    })
  )

  it.live("stop sequences are refused before anything is sent (the Responses API has none)", () =>
    Effect.gen(function* () {
      const withStop = { ...request, stop: ["\n"] }
      const program = Effect.gen(function* () {
        const provider = yield* LLMProvider
        const plain = yield* Effect.flip(provider.generate(withStop, "gpt-5"))
        const streamed = yield* Effect.flip(Stream.runDrain(provider.stream(withStop, "gpt-5")))
        return [plain, streamed]
      })
      for (const error of yield* program.pipe(Effect.provide(layer({ api: "responses" })))) {
        expect(error._tag).toBe("InvalidRequestError")
        expect(error.message).toContain("api: chat")
      }
      expect(sim.requests).toHaveLength(0)
      sim.script({ kind: "text", text: "ok" })
      yield* LLMProvider.use((p) => p.generate(withStop, "gpt-4o")).pipe(Effect.provide(layer({ api: "chat" })))
      expect(lastRequest().body).toMatchObject({ stop: ["\n"] })
    })
  )

  it.live("a failed response maps its error code (server_error -> ProviderUnavailableError)", () =>
    Effect.gen(function* () {
      sim.script({ kind: "text", text: "x", finishReason: "error" }, { kind: "text", text: "x", finishReason: "error" })
      expect((yield* Effect.flip(generate("responses")))._tag).toBe("ProviderUnavailableError")
      const { seen, error } = yield* streamUntilFailure("responses")
      expect(error._tag).toBe("ProviderUnavailableError")
      // The usage of the failed response is still reported before the error.
      expect(seen.some((e) => e._tag === "UsageSnapshot")).toBe(true)
    })
  )
})

describe("usage normalisation", () => {
  const usage: Usage = {
    inputTokens: 1200,
    outputTokens: 300,
    cacheReadTokens: 1024,
    cacheWriteTokens: 64,
    reasoningTokens: 200
  }
  for (const api of apis) {
    it.live(`cached, cache-write and reasoning tokens are read from the wire (${api}); plain == streamed`, () =>
      Effect.gen(function* () {
        sim.script({ kind: "text", text: "same exchange", usage }, { kind: "text", text: "same exchange", usage })
        const plain = yield* generate(api)
        const streamed = finishes(yield* streamEvents(api))[0]
        expect(plain.usage).toEqual(usage)
        expect(streamed?.usage).toEqual(plain.usage)
      })
    )
  }
})

describe("model listing", () => {
  it.live("keeps chat-capable models only (from one /v1/models call)", () =>
    Effect.gen(function* () {
      const models = yield* LLMProvider.use((p) => p.listModels).pipe(Effect.provide(layer()))
      expect(models.map((m) => m.id)).toEqual(defaultOpenAIModels.filter((m) => m.chat !== false).map((m) => m.id))
      expect(models.every((m) => m.provider === "openai")).toBe(true)
      expect(sim.requests.filter((r) => r.kind === "models")).toHaveLength(1)
    })
  )

  it.live("an OpenAI-compatible server's own model names stay in, its embedders go", () =>
    Effect.gen(function* () {
      sim.setModels([
        { id: "meta-llama/Llama-3.1-8B-Instruct" },
        { id: "qwen2.5:7b" },
        { id: "nomic-embed-text", chat: false },
        { id: "ft:gpt-4o-mini-2024-07-18:acme::abc123" }
      ])
      const models = yield* LLMProvider.use((p) => p.listModels).pipe(Effect.provide(layer()))
      expect(models.map((m) => m.id)).toEqual([
        "meta-llama/Llama-3.1-8B-Instruct",
        "qwen2.5:7b",
        "ft:gpt-4o-mini-2024-07-18:acme::abc123"
      ])
    })
  )

  it.live("a listing failure is a typed error", () =>
    Effect.gen(function* () {
      const error = yield* LLMProvider.use((p) => p.listModels).pipe(
        Effect.provide(layer({ apiKey: Redacted.make("") })),
        Effect.flip
      )
      expect(error._tag).toBe("ConfigError")
    })
  )
})

describe("errors (the error table of docs/ARCHITECTURE.md)", () => {
  const rows: ReadonlyArray<[FaultKind, LLMError["_tag"], number]> = [
    ["rate-limit", "RateLimitError", 429],
    ["overloaded", "ProviderUnavailableError", 503],
    ["server-error", "ProviderUnavailableError", 500],
    ["unavailable", "ProviderUnavailableError", 503],
    ["auth", "AuthenticationError", 401],
    ["permission", "AuthenticationError", 403],
    ["model-not-found", "ModelNotFoundError", 404],
    ["context-length", "ContextLengthExceededError", 400],
    ["invalid-request", "InvalidRequestError", 400]
  ]
  for (const api of apis) {
    for (const [fault, tag, status] of rows) {
      it.live(`${fault} -> ${tag} (${api}, plain and streamed)`, () =>
        Effect.gen(function* () {
          sim.script({ kind: "error", fault }, { kind: "error", fault })
          const plain = yield* Effect.flip(generate(api))
          const streamed = (yield* streamUntilFailure(api)).error
          for (const error of [plain, streamed]) {
            expect(error._tag).toBe(tag)
            expect(error).toMatchObject({ provider: "openai", model: "gpt-4o-mini", status })
            expect(error).toHaveProperty("requestId", expect.stringMatching(/^req_/))
            expect(error.message).not.toContain(apiKey)
            if (error._tag === "ModelNotFoundError") expect(error.suggestions).toEqual([])
          }
        })
      )
    }
  }

  it.live("429 Retry-After: retry-after-ms wins, plain retry-after (seconds) otherwise", () =>
    Effect.gen(function* () {
      sim.script(
        { kind: "error", fault: "rate-limit", retryAfterSeconds: 2.5 },
        { kind: "error", fault: "rate-limit", headers: { "retry-after": "7" } },
        { kind: "error", fault: "rate-limit" }
      )
      expect(yield* Effect.flip(generate("chat"))).toMatchObject({ _tag: "RateLimitError", retryAfterMs: 2500 })
      expect(yield* Effect.flip(generate("chat"))).toMatchObject({ _tag: "RateLimitError", retryAfterMs: 7000 })
      expect(yield* Effect.flip(generate("chat"))).not.toHaveProperty("retryAfterMs")
    })
  )

  const cassette = (status: number, error: object): CassetteReply => ({
    kind: "cassette",
    status,
    headers: { "content-type": "application/json", "x-request-id": "req_custom" },
    body: JSON.stringify({ error })
  })

  it.live("a key echoed by the server never reaches the error message", () =>
    Effect.gen(function* () {
      sim.script(
        cassette(401, {
          message: `Incorrect API key provided: ${apiKey}.`,
          type: "invalid_request_error",
          code: "invalid_api_key"
        }),
        cassette(401, {
          message: "Incorrect API key provided: sk-proj-****cdef.",
          type: "invalid_request_error",
          code: "invalid_api_key"
        })
      )
      for (const _ of [1, 2]) {
        const error = yield* Effect.flip(generate("chat"))
        expect(error._tag).toBe("AuthenticationError")
        expect(error.message).not.toContain("sk-proj")
        expect(error.message).toContain("[redacted]")
      }
    })
  )

  it.live("OpenAI-compatible servers: a context overflow worded without a code, a wrong base URL, no quota", () =>
    Effect.gen(function* () {
      sim.script(
        cassette(400, {
          message: "This model's maximum context length is 4096 tokens. However, you requested 5000 tokens.",
          type: "BadRequestError",
          code: 400
        }),
        cassette(404, { message: "Invalid URL (POST /chat/completions)", type: "invalid_request_error", code: null }),
        cassette(429, {
          message: "You exceeded your current quota.",
          type: "insufficient_quota",
          code: "insufficient_quota"
        })
      )
      expect(yield* Effect.flip(generate("chat"))).toMatchObject({ _tag: "ContextLengthExceededError", status: 400 })
      const url = yield* Effect.flip(generate("chat"))
      expect(url).toMatchObject({ _tag: "InvalidRequestError", status: 404, requestId: "req_custom" })
      expect(url.message).toContain("base_url")
      expect(yield* Effect.flip(generate("chat"))).toMatchObject({ _tag: "AuthenticationError", status: 429 })
    })
  )

  it.live("a refusal instead of an answer is a content-filter finish with its usage (chat and responses)", () =>
    Effect.gen(function* () {
      const json = (body: unknown): CassetteReply => ({
        kind: "cassette",
        status: 200,
        headers: { "content-type": "application/json", "x-request-id": "req_refusal" },
        body: JSON.stringify(body)
      })
      sim.script(
        json({
          id: "chatcmpl-refusal",
          object: "chat.completion",
          created: 1,
          model: "gpt-4o-mini",
          choices: [
            {
              index: 0,
              message: { role: "assistant", content: null, refusal: "I can't help with that." },
              logprobs: null,
              finish_reason: "stop"
            }
          ],
          usage: { prompt_tokens: 50, completion_tokens: 9, total_tokens: 59 }
        }),
        json({
          id: "resp_refusal",
          object: "response",
          created_at: 1,
          status: "completed",
          model: "gpt-4o-mini",
          output: [
            {
              id: "msg_1",
              type: "message",
              role: "assistant",
              status: "completed",
              content: [{ type: "refusal", refusal: "I can't help with that." }]
            }
          ],
          usage: { input_tokens: 50, output_tokens: 9, total_tokens: 59 }
        })
      )
      for (const api of apis)
        expect(yield* generate(api)).toMatchObject({
          content: "",
          finishReason: "content-filter",
          usage: { inputTokens: 50, outputTokens: 9 },
          requestId: "req_refusal"
        })
    })
  )

  for (const api of apis) {
    it.live(
      `content filter with nothing produced -> finishReason content-filter and its usage (${api}, plain and streamed)`,
      () =>
        Effect.gen(function* () {
          // The adapter reports; the orchestrator bills it and fails with ContentFilteredError
          // (test/content-filter.test.ts).
          const usage = {
            inputTokens: 1200,
            outputTokens: 35,
            cacheReadTokens: 0,
            cacheWriteTokens: 0,
            reasoningTokens: 0
          }
          const filtered = { kind: "error", fault: "content-filter", usage } as const
          sim.script(filtered, filtered)
          expect(yield* generate(api)).toMatchObject({
            content: "",
            finishReason: "content-filter",
            usage,
            requestId: expect.stringMatching(/^req_/)
          })
          const events = yield* streamEvents(api)
          expect(texts(events)).toEqual([])
          expect(finishes(events)).toEqual([
            expect.objectContaining({
              finishReason: "content-filter",
              usage,
              requestId: expect.stringMatching(/^req_/)
            })
          ])
        })
    )

    it.live(`content filter after some text -> finishReason content-filter, not an error (${api})`, () =>
      Effect.gen(function* () {
        const text = "The first part "
        sim.script(
          { kind: "text", text, finishReason: "content-filter" },
          { kind: "text", text, finishReason: "content-filter" }
        )
        expect(yield* generate(api)).toMatchObject({ content: text, finishReason: "content-filter" })
        const events = yield* streamEvents(api)
        expect(texts(events).join("")).toBe(text)
        expect(finishes(events)[0]?.finishReason).toBe("content-filter")
      })
    )

    it.live(`mid-stream error after text: the deltas, then the typed error (${api})`, () =>
      Effect.gen(function* () {
        const cases: ReadonlyArray<[FaultKind, LLMError["_tag"]]> = [
          ["server-error", "ProviderUnavailableError"],
          ["rate-limit", "RateLimitError"],
          ["context-length", "ContextLengthExceededError"]
        ]
        for (const [errorFault, tag] of cases) {
          sim.script({
            kind: "stream-fault",
            text: "one two three four",
            afterChunks: 2,
            fault: "error-event",
            errorFault
          })
          const { seen, error } = yield* streamUntilFailure(api)
          expect(texts(seen)).toEqual(["one ", "two "])
          expect(finishes(seen)).toEqual([])
          expect(error._tag).toBe(tag)
          expect(error.status).toBeUndefined()
          if (api === "chat") expect(error.requestId).toMatch(/^req_/)
        }
      })
    )

    it.live(`a dropped connection is a NetworkError, mid-stream and before the answer (${api})`, () =>
      Effect.gen(function* () {
        sim.script(
          { kind: "stream-fault", text: "one two three", afterChunks: 1, fault: "drop" },
          { kind: "stream-fault", text: "one two three", afterChunks: 1, fault: "drop" }
        )
        const { seen, error } = yield* streamUntilFailure(api)
        expect(texts(seen)).toEqual(["one "])
        expect(error._tag).toBe("NetworkError")
        expect((yield* Effect.flip(generate(api)))._tag).toBe("NetworkError")
      })
    )

    it.live(`a malformed frame is a NetworkError, never a defect (${api})`, () =>
      Effect.gen(function* () {
        sim.script(
          { kind: "stream-fault", text: "one two three", afterChunks: 1, fault: "malformed" },
          { kind: "stream-fault", text: "one two three", afterChunks: 1, fault: "malformed" }
        )
        const { seen, error } = yield* streamUntilFailure(api)
        expect(texts(seen)).toEqual(["one "])
        expect(error._tag).toBe("NetworkError")
        expect(error.message).toContain("unreadable")
        expect((yield* Effect.flip(generate(api)))._tag).toBe("NetworkError")
      })
    )

    it.live(`interrupting a stream closes the connection at once (${api})`, () =>
      Effect.gen(function* () {
        sim.script({ kind: "text", text: "a b c d e f g h", chunkDelayMs: 30 })
        const provider = yield* LLMProvider
        const taken = yield* provider.stream(request, "gpt-4o-mini").pipe(
          Stream.filter((e) => e._tag === "TextDelta"),
          Stream.take(2),
          Stream.runCollect
        )
        expect(texts(Array.from(taken))).toEqual(["a ", "b "])
        yield* Effect.promise(() => sim.waitForAbort(lastRequest(), 50))
      }).pipe(Effect.provide(layer({ api })))
    )

    it.live(`the per-attempt timeout is a TimeoutError and aborts the request (${api})`, () =>
      Effect.gen(function* () {
        sim.script({ kind: "hang" }, { kind: "hang" })
        const plain = yield* Effect.flip(generate(api, "gpt-4o-mini", { timeoutMs: 100 }))
        expect(plain).toMatchObject({ _tag: "TimeoutError", timeoutMs: 100 })
        yield* Effect.promise(() => sim.waitForAbort(lastRequest(), 100))
        const streamed = yield* Effect.flip(streamEvents(api, "gpt-4o-mini", { timeoutMs: 100 }))
        expect(streamed).toMatchObject({ _tag: "TimeoutError", timeoutMs: 100 })
        yield* Effect.promise(() => sim.waitForAbort(lastRequest(), 100))
      })
    )
  }

  it.live("a stream closed cleanly before its finish is a NetworkError after the text it carried", () =>
    Effect.gen(function* () {
      const sse = (data: object, event?: string) =>
        `${event ? `event: ${event}\n` : ""}data: ${JSON.stringify(data)}\n\n`
      const chunk = { id: "c", object: "chat.completion.chunk", created: 1, model: "gpt-4o-mini" }
      const cut = (body: string): CassetteReply => ({
        kind: "cassette",
        status: 200,
        headers: { "content-type": "text/event-stream" },
        body
      })
      sim.script(
        cut(sse({ ...chunk, choices: [{ index: 0, delta: { content: "partial" }, finish_reason: null }] })),
        cut(
          sse(
            { type: "response.output_text.delta", delta: "partial", item_id: "m", output_index: 0, content_index: 0 },
            "response.output_text.delta"
          )
        )
      )
      for (const api of apis) {
        const { seen, error } = yield* streamUntilFailure(api)
        expect(texts(seen)).toEqual(["partial"])
        expect(error._tag).toBe("NetworkError")
        expect(error.message).toContain("ended before")
      }
    })
  )

  it.live("a refused connection is a NetworkError", () =>
    Effect.gen(function* () {
      const closed = yield* Effect.promise(() => startOpenAISimulator())
      const url = `${closed.url}/v1`
      yield* Effect.promise(() => closed.close())
      const error = yield* Effect.flip(generate("chat", "gpt-4o-mini", { baseUrl: url }))
      expect(error._tag).toBe("NetworkError")
      expect(error.message).toContain("ECONNREFUSED")
    })
  )
})

describe("layers", () => {
  it.live("layerConfig reads OPENAI_API_KEY, OPENAI_BASE_URL and OPENAI_API from the environment", () =>
    Effect.gen(function* () {
      sim.script({ kind: "text", text: "from env" })
      const response = yield* LLMProvider.use((p) => p.generate(request, "gpt-5")).pipe(
        Effect.provide(
          OpenAIProvider.layerConfig.pipe(
            Layer.provide(
              ConfigProvider.layer(
                ConfigProvider.fromUnknown({
                  OPENAI_API_KEY: apiKey,
                  OPENAI_BASE_URL: `${sim.url}/v1`,
                  OPENAI_API: "responses",
                  OPENAI_PROJECT_ID: "proj_sim"
                })
              )
            )
          )
        )
      )
      expect(response.content).toBe("from env")
      expect(lastRequest().path).toBe("/v1/responses")
      expect(lastRequest().headers["openai-project"]).toBe("proj_sim")
    })
  )

  it.live("layerConfig without OPENAI_API_KEY fails with a config error naming it", () =>
    Effect.gen(function* () {
      const error = yield* LLMProvider.use((p) => p.listModels).pipe(
        Effect.provide(
          OpenAIProvider.layerConfig.pipe(Layer.provide(ConfigProvider.layer(ConfigProvider.fromUnknown({}))))
        ),
        Effect.flip
      )
      expect(error._tag).toBe("ConfigError")
      expect(String(error.message)).toContain("OPENAI_API_KEY")
    })
  )

  it.live("organization and project headers are sent", () =>
    Effect.gen(function* () {
      sim.script({ kind: "text", text: "ok" })
      yield* generate("chat", "gpt-4o", { organization: "org-sim", project: "proj_x" })
      expect(lastRequest().headers["openai-organization"]).toBe("org-sim")
      expect(lastRequest().headers["openai-project"]).toBe("proj_x")
    })
  )
})
