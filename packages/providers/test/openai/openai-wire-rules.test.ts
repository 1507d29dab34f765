/**
 * The OpenAI adapter's rules, row by row, through the real SDK against the simulator (found by
 * mutation testing: each row fails when its branch is changed):
 * - an error inside a 200 stream (`data: {"error": ...}`) is classified by its code and type, with
 *   each message checked word for word; HTTP errors whose body is not OpenAI's JSON;
 * - what each request puts on the wire (Chat Completions and Responses), and what it leaves out;
 * - how a Responses answer's text, refusal and finish reason are read from its output items.
 */
import { describe, expect, it } from "@effect/vitest"
import { type ChatRequest, LLMProvider } from "@llm-orchestrator/core"
import { openaiSimulator, type Simulator } from "@llm-orchestrator/testing"
import { Effect, Redacted, Stream } from "effect"
import { type OpenAIOptions, OpenAIProvider } from "../../src/openai/openai.ts"
import { errorFields } from "../error-fields.ts"

const apiKey = "sk-proj-WIRERULES-0123456789abcdef"
const model = "gpt-4o-mini"
const where = `openai model ${model}`
const hello: ChatRequest = { messages: [{ role: "user", content: "Hello" }] }

/** A fresh simulator and the provider over it, for `api`. */
const setup = (api: OpenAIOptions["api"] = "chat") =>
  Effect.gen(function* () {
    const sim: Simulator = yield* openaiSimulator()
    const provider = yield* Effect.provide(
      Effect.service(LLMProvider),
      OpenAIProvider.layer({ apiKey: Redacted.make(apiKey), baseUrl: `${sim.url}/v1`, api })
    )
    return { sim, provider }
  })

const sse = (...frames: ReadonlyArray<object>) => frames.map((frame) => `data: ${JSON.stringify(frame)}\n\n`).join("")

const chatChunk = (content: string) => ({
  id: "chatcmpl-1",
  object: "chat.completion.chunk",
  created: 1,
  model,
  choices: [{ index: 0, delta: { content }, finish_reason: null }]
})

describe("an error inside a 200 stream: its code and type decide", () => {
  const rows: ReadonlyArray<readonly [string, object, string, string]> = [
    [
      "context overflow by its code",
      { code: "context_length_exceeded", type: "invalid_request_error", message: "too many tokens" },
      "ContextLengthExceededError",
      `${where}: the prompt is too long: too many tokens`
    ],
    [
      "rate limit by its type",
      { type: "tokens", message: "slow down" },
      "RateLimitError",
      `${where} is rate limited (in the stream): slow down`
    ],
    [
      "content filter by its code",
      { code: "content_filter", message: "flagged" },
      "ContentFilteredError",
      `${where} refused the content (safety filter): flagged`
    ],
    [
      "content policy by its type",
      { type: "content_policy_violation", message: "flagged" },
      "ContentFilteredError",
      `${where} refused the content (safety filter): flagged`
    ],
    [
      "model not found by its code",
      { code: "model_not_found", type: "invalid_request_error", message: "no such model" },
      "ModelNotFoundError",
      `${where} not found: no such model`
    ],
    [
      "a bad key by its code, before its invalid_request type",
      { code: "invalid_api_key", type: "invalid_request_error", message: `bad key ${apiKey}` },
      "AuthenticationError",
      `${where}: authentication failed: bad key [redacted]`
    ],
    [
      "permission by its type",
      { type: "permission_error", message: "not allowed" },
      "AuthenticationError",
      `${where}: authentication failed: not allowed`
    ],
    [
      "an invalid value",
      { code: "invalid_value", type: "invalid_request_error", message: "bad temperature" },
      "InvalidRequestError",
      `${where} rejected the request: bad temperature`
    ],
    [
      "a server error: worth a retry",
      { type: "server_error", message: "boom" },
      "ProviderUnavailableError",
      `${where} failed mid-response (server_error): boom`
    ],
    [
      "code and type both named",
      { code: "overloaded", type: "server_error", message: "busy" },
      "ProviderUnavailableError",
      `${where} failed mid-response (overloaded server_error): busy`
    ],
    [
      "neither code nor type nor message",
      { param: null },
      "ProviderUnavailableError",
      // The SDK words an error without a message as its JSON.
      `${where} failed mid-response (): {"param":null}`
    ]
  ]

  it.each(rows)("%s", (_, error, tag, message) =>
    Effect.runPromise(
      Effect.scoped(
        Effect.gen(function* () {
          const { sim, provider } = yield* setup()
          sim.script({
            kind: "cassette",
            status: 200,
            headers: { "content-type": "text/event-stream", "x-request-id": "req_stream_1" },
            body: sse(chatChunk("Hi"), { error })
          })
          const texts: Array<string> = []
          const failure = yield* Effect.flip(
            Stream.runForEach(provider.stream(hello, model), (event) =>
              Effect.sync(() => {
                if (event._tag === "TextDelta") texts.push(event.text)
              })
            )
          )
          expect(texts).toEqual(["Hi"])
          expect(errorFields(failure)).toEqual({ tag, message, status: undefined, requestId: "req_stream_1" })
        })
      )
    )
  )
})

describe("HTTP errors the SDK reads without OpenAI's JSON", () => {
  const failureOf = (status: number, body: string, contentType = "text/plain") =>
    Effect.scoped(
      Effect.gen(function* () {
        const { sim, provider } = yield* setup()
        sim.script({
          kind: "cassette",
          status,
          headers: { "content-type": contentType, "x-request-id": "req_h" },
          body
        })
        return errorFields(yield* Effect.flip(provider.generate(hello, model)))
      })
    )

  it.effect("a plain-text 500: the status the SDK puts before the text is not repeated", () =>
    Effect.gen(function* () {
      expect(yield* failureOf(500, "upstream exploded")).toEqual({
        tag: "ProviderUnavailableError",
        message: `${where} is unavailable (HTTP 500): upstream exploded`,
        status: 500,
        requestId: "req_h"
      })
    })
  )

  it.effect("a 404 that merely mentions an invalid URL is a model not found, not a wrong base_url", () =>
    Effect.gen(function* () {
      const body = JSON.stringify({ error: { message: "The model 'x' (Invalid URL?) does not exist", code: null } })
      expect(yield* failureOf(404, body, "application/json")).toMatchObject({ tag: "ModelNotFoundError", status: 404 })
    })
  )

  it.effect("no quota is an AuthenticationError saying what to check, word for word", () =>
    Effect.gen(function* () {
      const body = JSON.stringify({
        error: { message: "You exceeded your current quota.", type: "insufficient_quota", code: "insufficient_quota" }
      })
      expect((yield* failureOf(429, body, "application/json")).message).toBe(
        `${where}: the account is out of quota (You exceeded your current quota.). Check the plan and billing of this API key`
      )
    })
  )

  it.effect("a refused connection: the system error's code and the SDK's cause, not its generic wording", () =>
    Effect.gen(function* () {
      const closed = yield* Effect.scoped(Effect.map(openaiSimulator(), (sim) => sim.url))
      const provider = yield* Effect.provide(
        Effect.service(LLMProvider),
        OpenAIProvider.layer({ apiKey: Redacted.make(apiKey), baseUrl: `${closed}/v1` })
      )
      const error = yield* Effect.flip(provider.generate(hello, model))
      expect(errorFields(error)).toEqual({
        tag: "NetworkError",
        message: `${where}: connection failed (ECONNREFUSED): connect ECONNREFUSED ${new URL(closed).host}`,
        status: undefined,
        requestId: undefined
      })
    })
  )
})

describe("what a request puts on the wire", () => {
  const bodyOf = (api: OpenAIOptions["api"], request: ChatRequest) =>
    Effect.scoped(
      Effect.gen(function* () {
        const { sim, provider } = yield* setup(api)
        sim.script({ kind: "text", text: "ok" })
        yield* provider.generate(request, model)
        return sim.requests.at(-1)!.body as Record<string, unknown>
      })
    )
  const tuned: ChatRequest = {
    messages: [
      { role: "system", content: "One." },
      { role: "system", content: "Two." },
      { role: "user", content: "Hi" }
    ],
    temperature: 0.3,
    topP: 0.9,
    maxTokens: 64
  }

  it.effect("Chat Completions: each sampling setting when given, none when not; stop only when non-empty", () =>
    Effect.gen(function* () {
      const full = yield* bodyOf("chat", { ...tuned, stop: ["END"] })
      expect(full).toMatchObject({ temperature: 0.3, top_p: 0.9, max_completion_tokens: 64, stop: ["END"] })
      const bare = yield* bodyOf("chat", { ...hello, stop: [] })
      for (const key of ["temperature", "top_p", "max_completion_tokens", "max_tokens", "stop"])
        expect(bare).not.toHaveProperty(key)
    })
  )

  it.effect("Responses: system messages joined into instructions; each setting when given, none when not", () =>
    Effect.gen(function* () {
      const full = yield* bodyOf("responses", tuned)
      expect(full).toMatchObject({
        instructions: "One.\n\nTwo.",
        temperature: 0.3,
        top_p: 0.9,
        max_output_tokens: 64,
        input: [{ role: "user", content: "Hi" }]
      })
      const bare = yield* bodyOf("responses", { ...hello, stop: [] })
      for (const key of ["instructions", "temperature", "top_p", "max_output_tokens"])
        expect(bare).not.toHaveProperty(key)
    })
  )
})

describe("a Responses answer read from its output items", () => {
  const usage = { input_tokens: 5, output_tokens: 3, total_tokens: 8 }
  const message = (...content: ReadonlyArray<object>) => ({
    type: "message",
    id: "msg_1",
    role: "assistant",
    status: "completed",
    content
  })
  const text = (value: string) => ({ type: "output_text", text: value, annotations: [] })
  const response = (status: string, output: ReadonlyArray<object>, extra: object = {}) => ({
    id: "resp_1",
    object: "response",
    created_at: 1,
    model,
    status,
    output,
    usage,
    ...extra
  })
  const answer = (body: object) =>
    Effect.scoped(
      Effect.gen(function* () {
        const { sim, provider } = yield* setup("responses")
        sim.script({
          kind: "cassette",
          status: 200,
          headers: { "content-type": "application/json", "x-request-id": "req_r" },
          body: JSON.stringify(body)
        })
        const { content, finishReason } = yield* provider.generate(hello, model)
        return { content, finishReason }
      })
    )

  it.effect("text from every message item, in order; reasoning items and refusal parts add none", () =>
    Effect.gen(function* () {
      const body = response("completed", [
        { type: "reasoning", id: "rs_1", summary: [] },
        message(text("Hello, "), { type: "refusal", refusal: "not this part" }),
        message(text("world"))
      ])
      expect(yield* answer(body)).toEqual({ content: "Hello, world", finishReason: "stop" })
    })
  )

  it.effect("a refusal with no text is a content-filter finish; a refusal next to text is not", () =>
    Effect.gen(function* () {
      const refusal = { type: "refusal", refusal: "I can't help with that." }
      expect(yield* answer(response("completed", [message(refusal)]))).toEqual({
        content: "",
        finishReason: "content-filter"
      })
      expect((yield* answer(response("completed", [message(text("Partly. "), refusal)]))).finishReason).toBe("stop")
    })
  )

  it.effect("finish reasons: incomplete by its reason, cancelled, and tool calls of either kind", () =>
    Effect.gen(function* () {
      const some = [message(text("x"))]
      const incomplete = (reason: string | undefined) =>
        response("incomplete", some, { incomplete_details: reason === undefined ? null : { reason } })
      expect((yield* answer(incomplete("max_output_tokens"))).finishReason).toBe("length")
      expect((yield* answer(incomplete("content_filter"))).finishReason).toBe("content-filter")
      expect((yield* answer(incomplete(undefined))).finishReason).toBe("other")
      expect((yield* answer(response("cancelled", some))).finishReason).toBe("other")
      const call = { type: "function_call", id: "fc_1", call_id: "call_1", name: "f", arguments: "{}" }
      expect((yield* answer(response("completed", [call]))).finishReason).toBe("tool-calls")
      const custom = { type: "custom_tool_call", id: "ct_1", call_id: "call_2", name: "g", input: "x" }
      expect((yield* answer(response("completed", [custom]))).finishReason).toBe("tool-calls")
    })
  )
})
