/**
 * The Google adapter's rules, row by row, through the real `@google/genai` SDK against the Gemini
 * simulator (found by mutation testing: each row fails when its branch is changed):
 * - an HTTP error is classified by its google.rpc status, its HTTP status and its details (each row
 *   checks tag, status, Retry-After and the exact message);
 * - what a request puts on the wire, and leaves out;
 * - usage read from partial `usageMetadata`, and a stream's usage snapshots and model version.
 */
import { describe, expect, it } from "@effect/vitest"
import { type ChatRequest, type LLMError, LLMProvider, type ProviderStreamEvent } from "@llm-orchestrator/core"
import { GeminiProvider } from "@llm-orchestrator/providers"
import { geminiSimulator, type Simulator } from "@llm-orchestrator/testing"
import { Effect, Redacted, Stream } from "effect"
import { errorFields } from "../error-fields.ts"

const model = "gemini-2.5-flash"
const where = `gemini model ${model}`
const hello: ChatRequest = { messages: [{ role: "user", content: "Hello" }] }

const setup = Effect.gen(function* () {
  const sim: Simulator = yield* geminiSimulator()
  const provider = yield* Effect.provide(
    Effect.service(LLMProvider),
    GeminiProvider.layer({ apiKey: Redacted.make("AIzaSy-wire-rules-0123456789"), baseUrl: sim.url })
  )
  return { sim, provider }
})

const fields = (error: LLMError) => ({
  ...errorFields(error),
  retryAfterMs: "retryAfterMs" in error ? error.retryAfterMs : undefined
})

/** A google.rpc.Status error body. */
const rpc = (code: number, status: string, message: string, details: ReadonlyArray<object> = []) =>
  JSON.stringify({ error: { code, status, message, details } })

const retryInfo = (retryDelay: string) => ({ "@type": "type.googleapis.com/google.rpc.RetryInfo", retryDelay })

describe("an HTTP error: its rpc status, HTTP status and details decide", () => {
  const rows: ReadonlyArray<
    readonly [
      string,
      number,
      string,
      string | undefined,
      ReturnType<typeof fields> | Partial<ReturnType<typeof fields>>
    ]
  > = [
    [
      "a key rejected by its reason",
      400,
      rpc(400, "INVALID_ARGUMENT", "Bad credential.", [{ reason: "API_KEY_INVALID" }]),
      undefined,
      {
        tag: "AuthenticationError",
        status: 400,
        message: "gemini: the API key was rejected (Bad credential.). Check the provider's api_key",
        retryAfterMs: undefined
      }
    ],
    [
      "a key rejected by its wording alone",
      400,
      rpc(400, "INVALID_ARGUMENT", "API key expired. Please renew the API key."),
      undefined,
      { tag: "AuthenticationError" }
    ],
    [
      "a context overflow by its wording",
      400,
      rpc(
        400,
        "INVALID_ARGUMENT",
        "The input token count (2000000) exceeds the maximum number of tokens allowed (1048576)."
      ),
      undefined,
      {
        tag: "ContextLengthExceededError",
        status: 400,
        message: `${where}: the prompt is longer than the model's context window: INVALID_ARGUMENT: The input token count (2000000) exceeds the maximum number of tokens allowed (1048576).. Shorten the messages or use a model with a larger context`
      }
    ],
    [
      "RESOURCE_EXHAUSTED with a RetryInfo delay",
      429,
      rpc(429, "RESOURCE_EXHAUSTED", "Quota exceeded.", [retryInfo("1.5s")]),
      undefined,
      {
        tag: "RateLimitError",
        status: 429,
        message: `${where} is rate limited (HTTP 429): RESOURCE_EXHAUSTED: Quota exceeded.`,
        retryAfterMs: 1500
      }
    ],
    [
      "RESOURCE_EXHAUSTED under another HTTP status, whole seconds",
      400,
      rpc(400, "RESOURCE_EXHAUSTED", "Quota exceeded.", [retryInfo("47s")]),
      undefined,
      { tag: "RateLimitError", status: 400, retryAfterMs: 47_000 }
    ],
    [
      "a RetryInfo delay that is not a Duration is no hint",
      429,
      rpc(429, "RESOURCE_EXHAUSTED", "Quota exceeded.", [retryInfo("47s later")]),
      undefined,
      { tag: "RateLimitError", retryAfterMs: undefined }
    ],
    [
      "DEADLINE_EXCEEDED: the server gave up on the attempt",
      400,
      rpc(400, "DEADLINE_EXCEEDED", "Deadline expired before operation could complete."),
      undefined,
      {
        tag: "TimeoutError",
        status: 400,
        message: `${where}: the provider gave up before answering (HTTP 400 DEADLINE_EXCEEDED): Deadline expired before operation could complete.`
      }
    ],
    [
      "a 504 with a JSON body that holds no status",
      504,
      JSON.stringify({ error: { message: "gateway timeout" } }),
      undefined,
      {
        tag: "TimeoutError",
        status: 504,
        message: `${where}: the provider gave up before answering (HTTP 504): gateway timeout`
      }
    ],
    [
      "NOT_FOUND: a model not found, worded as such",
      404,
      rpc(404, "NOT_FOUND", "models/gemini-9 is not found for API version v1beta."),
      undefined,
      {
        tag: "ModelNotFoundError",
        status: 404,
        message: `${where} not found: NOT_FOUND: models/gemini-9 is not found for API version v1beta.. Check the model id (\`llm-orchestrator models gemini\` lists them)`
      }
    ],
    [
      "a plain-text 500: the SDK's status text stands in for the rpc status",
      500,
      "upstream exploded",
      "text/plain",
      {
        tag: "ProviderUnavailableError",
        status: 500,
        message: `${where} is unavailable (HTTP 500): Internal Server Error: upstream exploded`
      }
    ],
    [
      "a JSON body whose error is null: the SDK's message as is",
      400,
      JSON.stringify({ error: null }),
      undefined,
      {
        tag: "InvalidRequestError",
        status: 400,
        message: `${where} rejected the request (HTTP 400): {"error":null}`
      }
    ]
  ]

  it.each(rows)("%s", (_, status, body, contentType, expected) =>
    Effect.runPromise(
      Effect.scoped(
        Effect.gen(function* () {
          const { sim, provider } = yield* setup
          sim.script({ kind: "cassette", status, headers: { "content-type": contentType ?? "application/json" }, body })
          const error = yield* Effect.flip(provider.generate(hello, model))
          expect(fields(error)).toMatchObject(expected)
        })
      )
    )
  )
})

describe("what a request puts on the wire", () => {
  const bodyOf = (request: ChatRequest) =>
    Effect.scoped(
      Effect.gen(function* () {
        const { sim, provider } = yield* setup
        sim.script({ kind: "text", text: "ok" })
        yield* provider.generate(request, model)
        return sim.requests.at(-1)!.body as { generationConfig?: object; systemInstruction?: object }
      })
    )

  it.effect("each setting when given; none, and no system instruction, when not; stop only when non-empty", () =>
    Effect.gen(function* () {
      const full = yield* bodyOf({
        messages: [
          { role: "system", content: "Terse." },
          { role: "user", content: "Hi" }
        ],
        temperature: 0.3,
        maxTokens: 64,
        topP: 0.9,
        stop: ["END"]
      })
      expect(full.systemInstruction).toEqual({ parts: [{ text: "Terse." }] })
      expect(full.generationConfig).toEqual({
        temperature: 0.3,
        maxOutputTokens: 64,
        topP: 0.9,
        stopSequences: ["END"]
      })
      const bare = yield* bodyOf({ ...hello, stop: [] })
      expect(bare).not.toHaveProperty("systemInstruction")
      for (const key of ["temperature", "maxOutputTokens", "topP", "stopSequences"])
        expect(bare.generationConfig ?? {}).not.toHaveProperty(key)
    })
  )
})

describe("usage and model version from what the server sent", () => {
  /** One generateContent frame: a candidate with `text` (finished when `finishReason` is given), and `extra` fields. */
  const frame = (
    text: string,
    extra: { usageMetadata?: object; modelVersion?: string; finishReason?: string } = {}
  ) => {
    const { finishReason, ...fields } = extra
    return {
      candidates: [
        {
          content: { role: "model", parts: [{ text }] },
          index: 0,
          ...(finishReason === undefined ? {} : { finishReason })
        }
      ],
      ...fields
    }
  }
  /** The provider over a simulator that answers once with `body` as `contentType`. */
  const answering = (contentType: string, body: string) =>
    Effect.gen(function* () {
      const { sim, provider } = yield* setup
      sim.script({ kind: "cassette", status: 200, headers: { "content-type": contentType }, body })
      return provider
    })
  const snapshots = (events: ReadonlyArray<ProviderStreamEvent>) =>
    events.flatMap((e) => (e._tag === "UsageSnapshot" ? [e.usage] : []))
  const usage = (inputTokens: number, outputTokens: number, cacheReadTokens = 0, reasoningTokens = 0) => ({
    inputTokens,
    outputTokens,
    cacheReadTokens,
    cacheWriteTokens: 0,
    reasoningTokens
  })

  it.effect("an answer with no usageMetadata counts zero tokens, not a failure", () =>
    Effect.gen(function* () {
      const provider = yield* answering("application/json", JSON.stringify(frame("hi", { finishReason: "STOP" })))
      const answer = yield* provider.generate(hello, model)
      expect(answer).toMatchObject({ content: "hi", finishReason: "stop", usage: usage(0, 0) })
    }).pipe(Effect.scoped)
  )

  it.effect("a stream repeats a usage snapshot only when a counter changed; the first model version names it", () =>
    Effect.gen(function* () {
      const meta = (extra: object) => ({ promptTokenCount: 5, candidatesTokenCount: 1, ...extra })
      const frames = [
        frame("a", { usageMetadata: meta({}), modelVersion: "gemini-2.5-flash-001" }),
        frame("b", { usageMetadata: meta({}), modelVersion: "gemini-2.5-flash-002" }),
        frame("c", { usageMetadata: meta({ cachedContentTokenCount: 2 }) }),
        frame("d", { usageMetadata: meta({ cachedContentTokenCount: 2, thoughtsTokenCount: 3 }) }),
        frame("", {
          usageMetadata: meta({ promptTokenCount: 6, cachedContentTokenCount: 2, thoughtsTokenCount: 3 }),
          finishReason: "STOP"
        })
      ]
      const provider = yield* answering(
        "text/event-stream",
        frames.map((f) => `data: ${JSON.stringify(f)}\r\n\r\n`).join("")
      )
      const events = Array.from(yield* Stream.runCollect(provider.stream(hello, model)))
      expect(snapshots(events)).toEqual([usage(5, 1), usage(5, 1, 2), usage(5, 4, 2, 3), usage(6, 4, 2, 3)])
      expect(events.at(-1)).toMatchObject({
        _tag: "ProviderFinish",
        model: "gemini-2.5-flash-001",
        finishReason: "stop"
      })
    }).pipe(Effect.scoped)
  )
})
