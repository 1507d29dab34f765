/**
 * The Anthropic adapter's rules, row by row, through the real SDK against the simulator (found by
 * mutation testing: each row fails when its branch is changed):
 * - an HTTP error is classified by its status OR its `error.type` (each alone decides), and an
 *   `event: error` inside a 200 stream by its type alone; tag, fields and exact message are checked;
 * - `max_tokens` by model family; no `stop_sequences` for an empty list; stream usage counters that a
 *   `message_delta` leaves out or nulls keep `message_start`'s values.
 */
import { describe, expect, it } from "@effect/vitest"
import { LLMProvider } from "@llm-orchestrator/core"
import { AnthropicProvider, defaultMaxTokens } from "@llm-orchestrator/providers"
import { anthropicSimulator } from "@llm-orchestrator/testing"
import { ConfigProvider, Effect, Layer, Redacted, Stream } from "effect"
import { errorFields } from "../error-fields.ts"

const model = "claude-sonnet-4-6"
const hello = { messages: [{ role: "user" as const, content: "Hello" }] }
const where = `anthropic model ${model}`

/** The provider over `baseUrl` (a simulator, or a closed port). */
const providerAt = (baseUrl: string) =>
  Effect.provide(
    Effect.service(LLMProvider),
    AnthropicProvider.layer({ apiKey: Redacted.make("sk-ant-test-0000"), baseUrl })
  )

/** One server-sent event, as lines. */
const sseEvent = (name: string, data: object) => [`event: ${name}`, `data: ${JSON.stringify(data)}`, ""]

/** message_start of a message from `wireModel` with `usage`. */
const messageStart = (wireModel: string, usage: object) =>
  sseEvent("message_start", {
    type: "message_start",
    message: {
      id: "msg_1",
      type: "message",
      role: "assistant",
      model: wireModel,
      content: [],
      stop_reason: null,
      usage
    }
  })

/** One call against a fresh simulator that answers with `reply`; the error it ends in. */
const failureOf = (
  reply: { readonly status: number; readonly headers: Record<string, string>; readonly body: string },
  stream = false
) =>
  Effect.scoped(
    Effect.gen(function* () {
      const sim = yield* anthropicSimulator()
      sim.script({ kind: "cassette", ...reply })
      const provider = yield* providerAt(sim.url)
      return yield* Effect.flip(
        stream ? Stream.runDrain(provider.stream(hello, model)) : provider.generate(hello, model)
      )
    })
  )

/** An HTTP error answer in Anthropic's form. */
const httpError = (status: number, type: string, message: string, headers: Record<string, string> = {}) => ({
  status,
  headers: { "content-type": "application/json", "request-id": "req_err_1", ...headers },
  body: JSON.stringify({ type: "error", error: { type, message } })
})

describe("an HTTP error: its status or its type decides", () => {
  const rows: ReadonlyArray<readonly [string, ReturnType<typeof httpError>, string, string]> = [
    [
      "402 billing",
      httpError(402, "billing_error", "credit balance too low"),
      "AuthenticationError",
      `${where}: the Anthropic account cannot be billed (HTTP 402): credit balance too low. Check the plan and credit balance of the key's organisation`
    ],
    [
      "billing type on a 400",
      httpError(400, "billing_error", "no credit"),
      "AuthenticationError",
      `${where}: the Anthropic account cannot be billed (HTTP 400): no credit. Check the plan and credit balance of the key's organisation`
    ],
    [
      "402 of another type",
      httpError(402, "api_error", "payment required"),
      "AuthenticationError",
      `${where}: the Anthropic account cannot be billed (HTTP 402): payment required. Check the plan and credit balance of the key's organisation`
    ],
    ["overloaded type on a 400", httpError(400, "overloaded_error", "Overloaded"), "ProviderUnavailableError", ""],
    ["rate-limit type on a 400", httpError(400, "rate_limit_error", "slow down"), "RateLimitError", ""],
    ["429 of another type", httpError(429, "api_error", "slow down"), "RateLimitError", ""],
    [
      "400 prompt too long",
      httpError(400, "invalid_request_error", "prompt is too long: 250000 tokens > 200000 maximum"),
      "ContextLengthExceededError",
      ""
    ],
    [
      "422 prompt too long is not a context error",
      httpError(422, "invalid_request_error", "prompt is too long"),
      "InvalidRequestError",
      ""
    ],
    ["not-found type on a 400", httpError(400, "not_found_error", "model: nope"), "ModelNotFoundError", ""],
    ["404 of another type", httpError(404, "api_error", "no such thing"), "ModelNotFoundError", ""]
  ]
  for (const [name, reply, tag, message] of rows)
    it.live(name, () =>
      Effect.gen(function* () {
        const error = errorFields(yield* failureOf(reply))
        expect([error.tag, error.status, error.requestId]).toEqual([tag, reply.status, "req_err_1"])
        if (message !== "") expect(error.message).toBe(message)
      })
    )

  it.live("a 429's retry-after header becomes retryAfterMs", () =>
    Effect.gen(function* () {
      const error = yield* failureOf(httpError(429, "rate_limit_error", "slow down", { "retry-after": "7" }))
      expect(error._tag === "RateLimitError" ? error.retryAfterMs : undefined).toBe(7000)
    })
  )

  it.live("a non-JSON 200 body is an unreadable response (NetworkError)", () =>
    Effect.gen(function* () {
      const error = yield* failureOf({ status: 200, headers: { "content-type": "application/json" }, body: "{oops" })
      expect(error._tag).toBe("NetworkError")
      expect(error.message).toMatch(new RegExp(`^${where}: unreadable response from the API \\(`))
    })
  )
})

/** A 200 stream that starts a message, then reports `event: error` of `type`. */
const streamError = (type: string | undefined, message: string) => ({
  status: 200,
  headers: { "content-type": "text/event-stream", "request-id": "req_stream_1" },
  body: [
    ...messageStart(model, { input_tokens: 5, output_tokens: 1 }),
    "event: error",
    `data: ${JSON.stringify({ type: "error", error: type === undefined ? { message } : { type, message } })}`,
    "",
    ""
  ].join("\n")
})

describe("an error event inside a 200 stream: its type decides", () => {
  const rows: ReadonlyArray<readonly [string | undefined, string, string, string]> = [
    ["rate_limit_error", "slow", "RateLimitError", `${where} was rate limited mid-stream: slow`],
    ["authentication_error", "bad key", "AuthenticationError", `${where}: authentication_error mid-stream: bad key`],
    ["permission_error", "denied", "AuthenticationError", `${where}: permission_error mid-stream: denied`],
    ["billing_error", "no credit", "AuthenticationError", `${where}: billing_error mid-stream: no credit`],
    ["not_found_error", "gone", "ModelNotFoundError", `${where} not found: gone`],
    [
      "invalid_request_error",
      "prompt is too long: 250000 tokens",
      "ContextLengthExceededError",
      `${where}: the prompt is longer than the model's context window: prompt is too long: 250000 tokens`
    ],
    [
      "request_too_large",
      "too big",
      "ContextLengthExceededError",
      `${where}: the prompt is longer than the model's context window: too big`
    ],
    [
      "invalid_request_error",
      "bad field",
      "InvalidRequestError",
      `${where} rejected the request mid-stream: bad field`
    ],
    [
      "overloaded_error",
      "Overloaded",
      "ProviderUnavailableError",
      `${where} failed mid-stream (overloaded_error): Overloaded`
    ],
    [undefined, "what", "ProviderUnavailableError", `${where} failed mid-stream (unknown error): what`]
  ]
  for (const [type, message, tag, expected] of rows)
    it.live(`${type ?? "no type"}: ${message}`, () =>
      Effect.gen(function* () {
        const error = errorFields(yield* failureOf(streamError(type, message), true))
        expect(error).toEqual({ tag, message: expected, status: undefined, requestId: "req_stream_1" })
        if (error.tag === "ModelNotFoundError")
          expect((yield* failureOf(streamError(type, message), true)) as unknown).toMatchObject({ suggestions: [] })
      })
    )
})

describe("what the adapter sends and keeps", () => {
  it("max_tokens without maxTokens: by model family, prefixes anchored at the start of the id", () => {
    expect(defaultMaxTokens("claude-opus-4-1-20250805")).toBe(16_384)
    expect(defaultMaxTokens("claude-opus-10")).toBe(16_384)
    expect(defaultMaxTokens("claude-2.1")).toBe(4_096)
    expect(defaultMaxTokens("claude-instant-1.2")).toBe(4_096)
    // An id that only contains a family name (a proxy's alias) gets the safe default.
    expect(defaultMaxTokens("my-claude-3-5-sonnet")).toBe(4_096)
    expect(defaultMaxTokens("my-claude-3-7-sonnet")).toBe(4_096)
    expect(defaultMaxTokens("my-claude-opus-4")).toBe(4_096)
  })

  it.live("an empty stop list sends no stop_sequences", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const sim = yield* anthropicSimulator()
        const provider = yield* providerAt(sim.url)
        yield* provider.generate({ ...hello, stop: [] }, model)
        yield* provider.generate({ ...hello, stop: ["END"] }, model)
        expect(sim.requests.map((r) => (r.body as { stop_sequences?: unknown }).stop_sequences)).toEqual([
          undefined,
          ["END"]
        ])
      })
    )
  )

  it.live("a message_delta that reports only some counters keeps message_start's others", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const sim = yield* anthropicSimulator()
        const startUsage = {
          input_tokens: 100,
          output_tokens: 1,
          cache_read_input_tokens: 50,
          cache_creation_input_tokens: 20,
          cache_creation: { ephemeral_1h_input_tokens: 20 },
          output_tokens_details: { thinking_tokens: 3 },
          server_tool_use: { web_search_requests: 2 }
        }
        const body = [
          ...messageStart(model, startUsage),
          ...sseEvent("content_block_start", {
            type: "content_block_start",
            index: 0,
            content_block: { type: "text", text: "" }
          }),
          ...sseEvent("content_block_delta", {
            type: "content_block_delta",
            index: 0,
            delta: { type: "text_delta", text: "hi" }
          }),
          ...sseEvent("content_block_stop", { type: "content_block_stop", index: 0 }),
          // Absent and null counters: what message_start said stands.
          ...sseEvent("message_delta", {
            type: "message_delta",
            delta: { stop_reason: "end_turn", stop_sequence: null },
            usage: {
              output_tokens: 7,
              input_tokens: null,
              cache_read_input_tokens: null,
              cache_creation_input_tokens: null,
              cache_creation: null,
              output_tokens_details: null,
              server_tool_use: null
            }
          }),
          ...sseEvent("message_stop", { type: "message_stop" }),
          ""
        ].join("\n")
        sim.script({ kind: "cassette", status: 200, headers: { "content-type": "text/event-stream" }, body })
        const provider = yield* providerAt(sim.url)
        const events = yield* Stream.runCollect(provider.stream(hello, model))
        const finish = events.at(-1)
        expect(finish?._tag === "ProviderFinish" ? finish.usage : undefined).toEqual({
          inputTokens: 170,
          outputTokens: 7,
          cacheReadTokens: 50,
          cacheWriteTokens: 20,
          cacheWrite1hTokens: 20,
          reasoningTokens: 3,
          webSearches: 2
        })
      })
    )
  )

  /** A 200 stream: message_start naming `wireModel`, one text delta, then `stopReason`. */
  const shortStream = (wireModel: string, stopReason: string) => {
    return [
      ...messageStart(wireModel, { input_tokens: 3, output_tokens: 1 }),
      ...sseEvent("content_block_delta", {
        type: "content_block_delta",
        index: 0,
        delta: { type: "text_delta", text: "ok" }
      }),
      ...sseEvent("message_delta", {
        type: "message_delta",
        delta: { stop_reason: stopReason, stop_sequence: null },
        usage: { output_tokens: 2 }
      }),
      ...sseEvent("message_stop", { type: "message_stop" }),
      ""
    ].join("\n")
  }

  it.live(
    "a stream's finish names the model the API answered with (the requested one when it names none), and an unknown stop reason is 'other'",
    () =>
      Effect.scoped(
        Effect.gen(function* () {
          const sim = yield* anthropicSimulator()
          const sse = { status: 200, headers: { "content-type": "text/event-stream" } } as const
          sim.script(
            { kind: "cassette", ...sse, body: shortStream("claude-sonnet-4-6-20260101", "end_turn") },
            { kind: "cassette", ...sse, body: shortStream("", "brand_new_reason") }
          )
          const provider = yield* providerAt(sim.url)
          const finishOf = Effect.map(Stream.runCollect(provider.stream(hello, model)), (events) => {
            const last = events.at(-1)
            return last?._tag === "ProviderFinish" ? [last.model, last.finishReason] : []
          })
          expect(yield* finishOf).toEqual(["claude-sonnet-4-6-20260101", "stop"])
          expect(yield* finishOf).toEqual([model, "other"])
        })
      )
  )

  it.live("options given in code are checked when the layer is built, every problem at once", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(
        Layer.build(
          AnthropicProvider.layer({
            apiKey: Redacted.make(" "),
            baseUrl: "not a url",
            timeoutMs: -1,
            idleTimeoutMs: Number.NaN
          })
        ).pipe(Effect.scoped)
      )
      expect(error._tag === "ConfigError" ? error.problems : []).toEqual([
        { path: "providers.anthropic.api_key", message: "is empty; set ANTHROPIC_API_KEY" },
        { path: "providers.anthropic.base_url", message: "is not a URL: not a url" },
        { path: "providers.anthropic.timeout", message: "must be a duration, or 0 for none" },
        { path: "providers.anthropic.idle_timeout", message: "must be a duration, or 0 for none" }
      ])
      // 0 means none, and is accepted.
      const ok = yield* Layer.build(
        AnthropicProvider.layer({ apiKey: Redacted.make("k"), timeoutMs: 0, idleTimeoutMs: 0 })
      ).pipe(Effect.scoped, Effect.exit)
      expect(ok._tag).toBe("Success")
    })
  )

  it.live("a refused connection names its code; a stream cut before message_stop says what was missing", () =>
    Effect.scoped(
      Effect.gen(function* () {
        // A port nothing listens on: take one from a simulator, then close it.
        const closed = yield* Effect.scoped(Effect.map(anthropicSimulator(), (sim) => sim.url))
        const refused = yield* providerAt(closed)
        const error = yield* Effect.flip(refused.generate(hello, model))
        // The cause's message (the system error, with the address), not the SDK's generic "Connection error.".
        expect([error._tag, error.message]).toEqual([
          "NetworkError",
          `${where}: connection failed (ECONNREFUSED): connect ECONNREFUSED ${new URL(closed).host}`
        ])
        const sim = yield* anthropicSimulator()
        const cut = shortStream(model, "end_turn").replace(/event: message_stop[\s\S]*$/, "")
        sim.script({ kind: "cassette", status: 200, headers: { "content-type": "text/event-stream" }, body: cut })
        const provider = yield* providerAt(sim.url)
        const cutError = yield* Effect.flip(Stream.runDrain(provider.stream(hello, model)))
        expect([cutError._tag, cutError.message]).toEqual([
          "NetworkError",
          `${where}: the stream ended before message_stop; the connection was probably cut`
        ])
      })
    )
  )

  /** The provider over a fresh simulator that answers the next calls with `replies`. */
  const scripted = (...replies: ReadonlyArray<{ status: number; headers: Record<string, string>; body: string }>) =>
    Effect.gen(function* () {
      const sim = yield* anthropicSimulator()
      sim.script(...replies.map((reply) => ({ kind: "cassette" as const, ...reply })))
      return yield* providerAt(sim.url)
    })
  const json = (body: object) => ({
    status: 200,
    headers: { "content-type": "application/json", "request-id": "req_json_1" },
    body: JSON.stringify(body)
  })

  it.live(
    "a stream yields text deltas only for non-empty text, a snapshot per usage report, nothing for message_stop",
    () =>
      Effect.scoped(
        Effect.gen(function* () {
          const delta = (d: object) =>
            sseEvent("content_block_delta", { type: "content_block_delta", index: 0, delta: d })
          const body = shortStream(model, "end_turn").replace(
            "event: content_block_delta",
            [
              ...delta({ type: "thinking_delta", thinking: "hmm" }),
              ...delta({ type: "text_delta", text: "" }),
              "event: content_block_delta"
            ].join("\n")
          )
          const provider = yield* scripted({ status: 200, headers: { "content-type": "text/event-stream" }, body })
          const events = yield* Stream.runCollect(provider.stream(hello, model))
          expect(events.map((e) => (e._tag === "TextDelta" ? `text:${e.text}` : e._tag))).toEqual([
            "UsageSnapshot",
            "text:ok",
            "UsageSnapshot",
            "ProviderFinish"
          ])
        })
      )
  )

  it.live("a plain answer keeps only its text blocks; a 200 that is not a message is a NetworkError", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const message = {
          id: "msg_3",
          type: "message",
          role: "assistant",
          model: "claude-sonnet-4-6-20260101",
          content: [
            { type: "thinking", thinking: "let me see", signature: "sig" },
            { type: "text", text: "Hello" },
            { type: "tool_use", id: "tu_1", name: "lookup", input: {} },
            { type: "text", text: " there" }
          ],
          stop_reason: "end_turn",
          stop_sequence: null,
          usage: { input_tokens: 4, output_tokens: 2 }
        }
        const provider = yield* scripted(json(message), json({ id: "msg_4", type: "message", content: [] }))
        const response = yield* provider.generate(hello, model)
        expect([response.content, response.model, response.requestId]).toEqual([
          "Hello there",
          "claude-sonnet-4-6-20260101",
          "req_json_1"
        ])
        const error = yield* Effect.flip(provider.generate(hello, model))
        expect([error._tag, error.message, "requestId" in error ? error.requestId : undefined]).toEqual([
          "NetworkError",
          `${where}: the response is not a message (no content or usage)`,
          "req_json_1"
        ])
      })
    )
  )

  it.live(
    "a long generation (maxTokens above the SDK's non-streaming limit) is streamed and folded into one answer",
    () =>
      Effect.scoped(
        Effect.gen(function* () {
          const provider = yield* scripted({
            status: 200,
            headers: { "content-type": "text/event-stream", "request-id": "req_long_1" },
            body: shortStream("claude-sonnet-4-6-20260101", "max_tokens")
          })
          const response = yield* provider.generate({ ...hello, maxTokens: 64_000 }, model)
          expect(response).toEqual({
            content: "ok",
            provider: "anthropic",
            model: "claude-sonnet-4-6-20260101",
            finishReason: "length",
            usage: { inputTokens: 3, outputTokens: 2, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 },
            requestId: "req_long_1"
          })
        })
      )
  )

  it.live(
    "layerConfig takes ANTHROPIC_BASE_URL with a trailing slash (the SDK joins it without doubling the slash)",
    () =>
      Effect.scoped(
        Effect.gen(function* () {
          const sim = yield* anthropicSimulator()
          const env = ConfigProvider.fromUnknown({
            ANTHROPIC_API_KEY: "sk-ant-env-0000",
            ANTHROPIC_BASE_URL: `${sim.url}/`
          })
          const provider = yield* Effect.provide(
            Effect.service(LLMProvider),
            AnthropicProvider.layerConfig.pipe(Layer.provide(ConfigProvider.layer(env)))
          )
          yield* provider.generate(hello, model)
          expect(sim.requests.map((r) => r.path)).toEqual(["/v1/messages"])
        })
      )
  )
})
