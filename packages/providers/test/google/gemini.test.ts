/**
 * GeminiProvider through its layer, with the real `@google/genai` SDK against the Gemini simulator.
 */

import { createServer } from "node:net"
import { describe, expect, it } from "@effect/vitest"
import { type ChatRequest, LLMProvider, type Usage } from "@llm-orchestrator/core"
import { type GeminiOptions, GeminiProvider } from "@llm-orchestrator/providers"
import {
  cassetteReply,
  defaultGeminiModels,
  type FaultKind,
  geminiSimulator,
  isStreamingCassette,
  loadCassettes,
  type Simulator
} from "@llm-orchestrator/testing"
import { ConfigProvider, Effect, Redacted, Stream } from "effect"
import type { GeminiSettings } from "../../src/google/type.ts"
import {
  cassetteModel,
  collect,
  deltas,
  expectContentFilterReported,
  expectedFromCassette,
  expectedGoogleUsage,
  finishes
} from "./google-support.ts"

const API_KEY = "AIzaSy-gemini-test-key-0123456789"

// The orchestrator passes the parsed YAML config straight in.
const fromConfig = (config: GeminiSettings): GeminiOptions => config
void fromConfig

/** The provider service built by `GeminiProvider.layer`, pointed at the simulator. */
const gemini = (sim: Simulator, options: Partial<GeminiOptions> = {}) =>
  Effect.gen(function* () {
    return yield* LLMProvider
  }).pipe(Effect.provide(GeminiProvider.layer({ apiKey: Redacted.make(API_KEY), baseUrl: sim.url, ...options })))

const ask = (text: string): ChatRequest => ({ messages: [{ role: "user", content: text }] })

const hello: ChatRequest = {
  messages: [
    { role: "system", content: "You are terse." },
    { role: "user", content: "Say hello" },
    {
      role: "assistant",
      content: [
        { type: "text", text: "Hel" },
        { type: "text", text: "lo?" }
      ]
    },
    { role: "user", content: "Again" }
  ],
  temperature: 0.3,
  maxTokens: 64,
  topP: 0.9,
  stop: ["END"]
}

const usage: Usage = { inputTokens: 40, outputTokens: 25, cacheReadTokens: 16, cacheWriteTokens: 0, reasoningTokens: 9 }

describe("GeminiProvider: calls", () => {
  it.live("generate: text, normalised usage, request mapping, exactly one HTTP call", () =>
    Effect.gen(function* () {
      const sim = yield* geminiSimulator()
      sim.script({ kind: "text", text: "Hello there!", usage })
      const llm = yield* gemini(sim)
      const response = yield* llm.generate(hello, "gemini-2.5-flash")
      expect(response).toMatchObject({
        content: "Hello there!",
        provider: "gemini",
        model: "gemini-2.5-flash",
        finishReason: "stop",
        usage
      })
      expect(response.requestId).toMatch(/^req_/)
      expect(sim.requests.length).toBe(1)
      const [request] = sim.requests
      expect(request?.headers["x-goog-api-key"]).toBe(API_KEY)
      expect(request?.body).toMatchObject({
        systemInstruction: { parts: [{ text: "You are terse." }] },
        contents: [
          { role: "user", parts: [{ text: "Say hello" }] },
          { role: "model", parts: [{ text: "Hello?" }] },
          { role: "user", parts: [{ text: "Again" }] }
        ],
        generationConfig: { temperature: 0.3, maxOutputTokens: 64, topP: 0.9, stopSequences: ["END"] }
      })
    })
  )

  it.live("the model version the wire reports is the response's model", () =>
    Effect.gen(function* () {
      const sim = yield* geminiSimulator()
      sim.script({ kind: "text", text: "ok", model: "gemini-2.5-flash-preview-09-2025" })
      const response = yield* (yield* gemini(sim)).generate(ask("x"), "gemini-flash-latest")
      expect(response.model).toBe("gemini-2.5-flash-preview-09-2025")
      expect(sim.requests[0]?.path).toBe("/v1/models/gemini-flash-latest:generateContent")
    })
  )

  it.live("finish reasons: MAX_TOKENS -> length, OTHER -> other, an output block with text -> content-filter", () =>
    Effect.gen(function* () {
      const sim = yield* geminiSimulator()
      sim.script(
        { kind: "text", text: "cut", finishReason: "length" },
        { kind: "text", text: "odd", finishReason: "other" },
        { kind: "text", text: "partly said", finishReason: "content-filter" }
      )
      const llm = yield* gemini(sim)
      expect((yield* llm.generate(ask("x"), "gemini-2.5-flash")).finishReason).toBe("length")
      expect((yield* llm.generate(ask("x"), "gemini-2.5-flash")).finishReason).toBe("other")
      const filtered = yield* llm.generate(ask("x"), "gemini-2.5-flash")
      expect(filtered).toMatchObject({ content: "partly said", finishReason: "content-filter" })
    })
  )

  it.live("stream: deltas, usage snapshots as they arrive, then exactly one finish; same usage as generate", () =>
    Effect.gen(function* () {
      const sim = yield* geminiSimulator()
      const reply = { kind: "text", text: "one two three four", usage } as const
      sim.script(reply, reply)
      const llm = yield* gemini(sim)
      const { events, error } = yield* collect(llm.stream(hello, "gemini-2.5-flash"))
      expect(error).toBeUndefined()
      expect(deltas(events)).toEqual(["one ", "two ", "three ", "four"])
      const snapshots = events.filter((e) => e._tag === "UsageSnapshot")
      expect(snapshots.length).toBeGreaterThan(1) // cumulative usage on every chunk, reported as it grows
      expect(snapshots[0]?.usage.inputTokens).toBe(usage.inputTokens)
      expect(events.at(-1)?._tag).toBe("ProviderFinish")
      expect(finishes(events)).toEqual([
        {
          _tag: "ProviderFinish",
          finishReason: "stop",
          usage,
          model: "gemini-2.5-flash",
          requestId: expect.stringMatching(/^req_/)
        }
      ])
      const plain = yield* llm.generate(hello, "gemini-2.5-flash")
      expect(finishes(events)[0]?.usage).toEqual(plain.usage)
      expect(sim.requests[0]?.path).toBe("/v1/models/gemini-2.5-flash:streamGenerateContent")
      expect(sim.requests[0]?.body).toEqual(sim.requests[1]?.body)
    })
  )

  it.live("listModels: every page, generateContent models only, ids without models/", () =>
    Effect.gen(function* () {
      const sim = yield* geminiSimulator()
      const models = yield* (yield* gemini(sim)).listModels
      const chat = defaultGeminiModels.filter((m) => m.chat !== false)
      expect(models.map((m) => m.id)).toEqual(chat.map((m) => m.id))
      expect(models.find((m) => m.id === "gemini-2.5-pro")).toEqual({
        id: "gemini-2.5-pro",
        provider: "gemini",
        displayName: "Gemini 2.5 Pro",
        contextWindow: 1_048_576,
        maxOutputTokens: 65_536
      })
      expect(sim.requests.length).toBe(Math.ceil(defaultGeminiModels.length / 4))
      expect(sim.requests.slice(1).every((r) => r.query.get("pageToken") !== null)).toBe(true)
    })
  )
})

describe("GeminiProvider: errors", () => {
  const rows: ReadonlyArray<[FaultKind, string, number]> = [
    ["rate-limit", "RateLimitError", 429],
    ["overloaded", "ProviderUnavailableError", 503],
    ["unavailable", "ProviderUnavailableError", 503],
    ["server-error", "ProviderUnavailableError", 500],
    ["auth", "AuthenticationError", 400],
    ["permission", "AuthenticationError", 403],
    ["model-not-found", "ModelNotFoundError", 404],
    ["context-length", "ContextLengthExceededError", 400],
    ["invalid-request", "InvalidRequestError", 400]
  ]
  for (const [fault, tag, status] of rows) {
    it.live(`${fault} -> ${tag} (${status}), plain and streamed`, () =>
      Effect.gen(function* () {
        const sim = yield* geminiSimulator()
        sim.script({ kind: "error", fault, retryAfterSeconds: 21 }, { kind: "error", fault, retryAfterSeconds: 21 })
        const llm = yield* gemini(sim)
        const plain = yield* Effect.flip(llm.generate(ask("x"), "gemini-2.5-flash"))
        const streamed = yield* collect(llm.stream(ask("x"), "gemini-2.5-flash"))
        for (const error of [plain, streamed.error]) {
          expect(error).toMatchObject({ _tag: tag, status, provider: "gemini", model: "gemini-2.5-flash" })
          expect(error?.message).not.toContain(API_KEY)
          if (fault === "rate-limit") expect(error).toMatchObject({ retryAfterMs: 21_000 })
          if (fault === "model-not-found") expect(error).toMatchObject({ suggestions: [] })
        }
        expect(streamed.events).toEqual([])
      })
    )
  }

  it.live("a 429 without RetryInfo has no retryAfterMs", () =>
    Effect.gen(function* () {
      const sim = yield* geminiSimulator()
      sim.script({ kind: "error", fault: "rate-limit" })
      const error = yield* Effect.flip((yield* gemini(sim)).generate(ask("x"), "gemini-2.5-flash"))
      expect(error._tag).toBe("RateLimitError")
      expect("retryAfterMs" in error).toBe(false)
    })
  )

  it.live("504 DEADLINE_EXCEEDED -> TimeoutError", () =>
    Effect.gen(function* () {
      const sim = yield* geminiSimulator()
      sim.script({ kind: "error", fault: "server-error", status: 504 })
      const error = yield* Effect.flip((yield* gemini(sim)).generate(ask("x"), "gemini-2.5-flash"))
      expect(error).toMatchObject({ _tag: "TimeoutError", status: 504 })
    })
  )

  it.live("a provider message echoing the key is redacted", () =>
    Effect.gen(function* () {
      const sim = yield* geminiSimulator()
      sim.script({ kind: "error", fault: "invalid-request", message: `Bad request for key ${API_KEY}` })
      const error = yield* Effect.flip((yield* gemini(sim)).generate(ask("x"), "gemini-2.5-flash"))
      expect(error.message).toContain("[redacted]")
      expect(error.message).not.toContain(API_KEY)
    })
  )

  it.live("a blocked prompt -> finishReason content-filter with the prompt's usage, plain and streamed", () =>
    Effect.gen(function* () {
      const sim = yield* geminiSimulator()
      const blocked = { kind: "error", fault: "content-filter", usage: { inputTokens: 1200 } } as const
      sim.script(blocked, blocked)
      const llm = yield* gemini(sim)
      // promptFeedback.blockReason with no candidates: usageMetadata counts only the prompt.
      const usage = { inputTokens: 1200, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 }
      yield* expectContentFilterReported(
        llm.generate(ask("x"), "gemini-2.5-flash"),
        llm.stream(ask("x"), "gemini-2.5-flash"),
        usage
      )
    })
  )

  it.live("an output safety stop with no text -> finishReason content-filter with its usage, plain and streamed", () =>
    Effect.gen(function* () {
      const sim = yield* geminiSimulator()
      const usage = { inputTokens: 1200, outputTokens: 35, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 }
      const blocked = { kind: "text", text: "", finishReason: "content-filter", usage } as const
      sim.script(blocked, blocked)
      const llm = yield* gemini(sim)
      yield* expectContentFilterReported(
        llm.generate(ask("x"), "gemini-2.5-flash"),
        llm.stream(ask("x"), "gemini-2.5-flash"),
        usage
      )
    })
  )

  it.live("a mid-stream error chunk fails the stream with the typed error after the earlier deltas", () =>
    Effect.gen(function* () {
      const sim = yield* geminiSimulator()
      sim.script(
        {
          kind: "stream-fault",
          text: "alpha beta gamma",
          afterChunks: 2,
          fault: "error-event",
          errorFault: "overloaded"
        },
        {
          kind: "stream-fault",
          text: "alpha beta gamma",
          afterChunks: 1,
          fault: "error-event",
          errorFault: "rate-limit"
        }
      )
      const llm = yield* gemini(sim)
      const first = yield* collect(llm.stream(ask("x"), "gemini-2.5-flash"))
      expect(deltas(first.events)).toEqual(["alpha ", "beta "])
      expect(first.events.some((e) => e._tag === "UsageSnapshot")).toBe(true) // billable usage before the cut
      expect(finishes(first.events)).toEqual([])
      expect(first.error).toMatchObject({ _tag: "ProviderUnavailableError", status: 503 })
      const second = yield* collect(llm.stream(ask("x"), "gemini-2.5-flash"))
      expect(deltas(second.events)).toEqual(["alpha "])
      expect(second.error).toMatchObject({ _tag: "RateLimitError", status: 429 })
    })
  )

  it.live("a mid-stream safety stop after text ends with finishReason content-filter", () =>
    Effect.gen(function* () {
      const sim = yield* geminiSimulator()
      sim.script({
        kind: "stream-fault",
        text: "a b c",
        afterChunks: 2,
        fault: "error-event",
        errorFault: "content-filter"
      })
      const { events, error } = yield* collect((yield* gemini(sim)).stream(ask("x"), "gemini-2.5-flash"))
      expect(error).toBeUndefined()
      expect(deltas(events)).toEqual(["a ", "b "])
      expect(finishes(events)[0]?.finishReason).toBe("content-filter")
    })
  )

  it.live("a dropped connection -> NetworkError (mid-stream after the deltas, and plain)", () =>
    Effect.gen(function* () {
      const sim = yield* geminiSimulator()
      sim.script(
        { kind: "stream-fault", text: "a b c", afterChunks: 2, fault: "drop" },
        { kind: "stream-fault", text: "a b c", afterChunks: 0, fault: "drop" }
      )
      const llm = yield* gemini(sim)
      const streamed = yield* collect(llm.stream(ask("x"), "gemini-2.5-flash"))
      expect(deltas(streamed.events)).toEqual(["a ", "b "])
      expect(streamed.error?._tag).toBe("NetworkError")
      expect((yield* Effect.flip(llm.generate(ask("x"), "gemini-2.5-flash")))._tag).toBe("NetworkError")
    })
  )

  it.live("a malformed frame -> NetworkError, never a defect (streamed and plain)", () =>
    Effect.gen(function* () {
      const sim = yield* geminiSimulator()
      sim.script(
        { kind: "stream-fault", text: "a b c", afterChunks: 1, fault: "malformed" },
        { kind: "stream-fault", text: "a b c", afterChunks: 0, fault: "malformed" }
      )
      const llm = yield* gemini(sim)
      const streamed = yield* collect(llm.stream(ask("x"), "gemini-2.5-flash"))
      expect(deltas(streamed.events)).toEqual(["a "])
      expect(streamed.error?._tag).toBe("NetworkError")
      expect((yield* Effect.flip(llm.generate(ask("x"), "gemini-2.5-flash")))._tag).toBe("NetworkError")
    })
  )

  it.live("a stream that ends cleanly without a finish reason -> NetworkError, after its text and usage", () =>
    Effect.gen(function* () {
      const sim = yield* geminiSimulator()
      const chunk = {
        candidates: [{ content: { role: "model", parts: [{ text: "half an answ" }] }, index: 0 }],
        usageMetadata: { promptTokenCount: 6, candidatesTokenCount: 3, totalTokenCount: 9 },
        modelVersion: "gemini-2.5-flash",
        responseId: "resp-cut"
      }
      sim.script({
        kind: "cassette",
        status: 200,
        headers: { "content-type": "text/event-stream" },
        body: `data: ${JSON.stringify(chunk)}\r\n\r\n`
      })
      const { events, error } = yield* collect((yield* gemini(sim)).stream(ask("x"), "gemini-2.5-flash"))
      expect(deltas(events)).toEqual(["half an answ"])
      expect(events.filter((e) => e._tag === "UsageSnapshot").map((e) => e.usage)).toEqual([
        { inputTokens: 6, outputTokens: 3, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 }
      ])
      expect(error).toMatchObject({ _tag: "NetworkError", requestId: "resp-cut" })
    })
  )

  it.live("a refused connection -> NetworkError", () =>
    Effect.gen(function* () {
      const port = yield* Effect.promise(
        () =>
          new Promise<number>((resolve) => {
            const server = createServer()
            server.listen(0, "127.0.0.1", () => {
              const address = server.address() as { port: number }
              server.close(() => resolve(address.port))
            })
          })
      )
      const llm = yield* Effect.gen(function* () {
        return yield* LLMProvider
      }).pipe(
        Effect.provide(GeminiProvider.layer({ apiKey: Redacted.make(API_KEY), baseUrl: `http://127.0.0.1:${port}` }))
      )
      const error = yield* Effect.flip(llm.generate(ask("x"), "gemini-2.5-flash"))
      expect(error._tag).toBe("NetworkError")
      expect(error.message).toContain("ECONNREFUSED")
    })
  )
})

describe("GeminiProvider: cancellation and timeouts", () => {
  it.live("stopping a stream after two deltas closes the HTTP request at once", () =>
    Effect.gen(function* () {
      const sim = yield* geminiSimulator()
      sim.script({ kind: "text", text: "a b c d e f g h i j", chunkDelayMs: 40 })
      const llm = yield* gemini(sim)
      const taken = yield* llm.stream(ask("x"), "gemini-2.5-flash").pipe(
        Stream.filter((e) => e._tag === "TextDelta"),
        Stream.take(2),
        Stream.runCollect
      )
      expect(Array.from(taken).map((e) => (e._tag === "TextDelta" ? e.text : ""))).toEqual(["a ", "b "])
      yield* Effect.promise(() => sim.waitForAbort(sim.requests[0]!, 50))
    })
  )

  it.live("interrupting a plain call aborts the request", () =>
    Effect.gen(function* () {
      const sim = yield* geminiSimulator()
      sim.script({ kind: "hang" })
      const llm = yield* gemini(sim)
      const fiber = yield* Effect.forkChild(llm.generate(ask("x"), "gemini-2.5-flash"))
      yield* Effect.promise(() => waitFor(() => sim.requests.length === 1))
      const { Fiber } = yield* Effect.promise(() => import("effect"))
      yield* Fiber.interrupt(fiber)
      yield* Effect.promise(() => sim.waitForAbort(sim.requests[0]!, 50))
    })
  )

  it.live("a hanging answer hits the per-attempt timeout -> TimeoutError, and the request is aborted", () =>
    Effect.gen(function* () {
      const sim = yield* geminiSimulator()
      sim.script({ kind: "hang" }, { kind: "hang" })
      const llm = yield* gemini(sim, { timeoutMs: 100 })
      const plain = yield* Effect.flip(llm.generate(ask("x"), "gemini-2.5-flash"))
      expect(plain).toMatchObject({ _tag: "TimeoutError", timeoutMs: 100 })
      yield* Effect.promise(() => sim.waitForAbort(sim.requests[0]!, 50))
      const streamed = yield* collect(llm.stream(ask("x"), "gemini-2.5-flash"))
      expect(streamed.error).toMatchObject({ _tag: "TimeoutError", timeoutMs: 100 })
      yield* Effect.promise(() => sim.waitForAbort(sim.requests[1]!, 50))
    })
  )
})

const waitFor = async (condition: () => boolean, withinMs = 1000) => {
  const until = Date.now() + withinMs
  while (!condition()) {
    if (Date.now() > until) throw new Error("condition not met in time")
    await new Promise((resolve) => setTimeout(resolve, 2))
  }
}

describe("GeminiProvider.layerConfig", () => {
  it.live("reads GEMINI_API_KEY and GEMINI_BASE_URL", () =>
    Effect.gen(function* () {
      const sim = yield* geminiSimulator()
      const llm = yield* Effect.gen(function* () {
        return yield* LLMProvider
      }).pipe(
        Effect.provide(GeminiProvider.layerConfig),
        Effect.provide(
          ConfigProvider.layer(ConfigProvider.fromUnknown({ GEMINI_API_KEY: API_KEY, GEMINI_BASE_URL: sim.url }))
        )
      )
      const response = yield* llm.generate(ask("x"), "gemini-2.5-flash")
      expect(response.content).toContain("gemini-2.5-flash")
      expect(sim.requests[0]?.headers["x-goog-api-key"]).toBe(API_KEY)
    })
  )

  it.effect("an empty key fails the layer with a ConfigError naming the key", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(
        Effect.gen(function* () {
          return yield* LLMProvider
        }).pipe(Effect.provide(GeminiProvider.layer({ apiKey: Redacted.make(" ") })))
      )
      expect(error).toMatchObject({ _tag: "ConfigError", path: "providers.gemini.api_key" })
    })
  )

  it.live("without a key the layer fails with a ConfigError", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(
        Effect.gen(function* () {
          return yield* LLMProvider
        }).pipe(
          Effect.provide(GeminiProvider.layerConfig),
          Effect.provide(ConfigProvider.layer(ConfigProvider.fromUnknown({})))
        )
      )
      expect(error._tag).toBe("ConfigError")
      expect(String(error.message)).toContain("GEMINI_API_KEY")
    })
  )
})

describe("GeminiProvider: usage as served", () => {
  // The simulator renders usage as the adapter's inverse, so a wrong rule shared by both passes the
  // tests above; here the expectation is read from the bytes served, with its totalTokenCount.
  it.live("generate reports what the served usageMetadata says, every counted token included", () =>
    Effect.gen(function* () {
      const sim = yield* geminiSimulator()
      const reply = { kind: "text", text: "counted", usage } as const
      sim.script(reply, reply)
      const served = yield* Effect.promise(() =>
        fetch(`${sim.url}/v1beta/models/gemini-2.5-flash:generateContent`, {
          method: "POST",
          headers: { "content-type": "application/json", "x-goog-api-key": API_KEY },
          body: JSON.stringify({ contents: [{ role: "user", parts: [{ text: "hi" }] }] })
        }).then((r) => r.json() as Promise<{ usageMetadata: Record<string, number> }>)
      )
      // Google counts thoughts outside candidatesTokenCount, cached tokens inside promptTokenCount.
      expect(served.usageMetadata).toMatchObject({ promptTokenCount: 40, thoughtsTokenCount: 9, totalTokenCount: 65 })
      const response = yield* (yield* gemini(sim)).generate(ask("hi"), "gemini-2.5-flash")
      expect(response.usage).toEqual(expectedGoogleUsage(served.usageMetadata).usage)
    })
  )
})

describe("GeminiProvider: every recorded Gemini exchange", () => {
  for (const cassette of loadCassettes("gemini")) {
    it.live(`${cassette.name} (${isStreamingCassette(cassette) ? "stream" : "plain"})`, () =>
      Effect.gen(function* () {
        const sim = yield* geminiSimulator()
        sim.script(cassetteReply(cassette))
        const llm = yield* gemini(sim)
        const expected = expectedFromCassette(cassette)
        const model = cassetteModel(cassette)
        if (isStreamingCassette(cassette)) {
          const { events, error } = yield* collect(llm.stream(ask("replay"), model))
          expect(error).toBeUndefined()
          expect(deltas(events).join("")).toBe(expected.text)
          expect(finishes(events)).toEqual([
            {
              _tag: "ProviderFinish",
              finishReason: expected.finishReason,
              usage: expected.usage,
              model: expected.modelVersion,
              ...(expected.responseId ? { requestId: expected.responseId } : {})
            }
          ])
        } else {
          const response = yield* llm.generate(ask("replay"), model)
          expect(response).toMatchObject({
            content: expected.text,
            finishReason: expected.finishReason,
            usage: expected.usage,
            model: expected.modelVersion,
            ...(expected.responseId ? { requestId: expected.responseId } : {})
          })
        }
      })
    )
  }
})
