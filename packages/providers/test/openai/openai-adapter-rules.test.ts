/**
 * The OpenAI adapter's remaining rules, one by one, through the real SDK against the simulator (found
 * by mutation testing): an empty key, 200 bodies that are not what was asked for, answers with parts
 * missing, what a stream's events carry (the served model, empty deltas, a refusal after text, a
 * failed response without an error), and that an interrupted model listing closes its connection.
 */
import { describe, expect, it } from "@effect/vitest"
import { type ChatRequest, LLMProvider, type ProviderStreamEvent } from "@llm-orchestrator/core"
import { openaiSimulator, type Simulator } from "@llm-orchestrator/testing"
import { Effect, Redacted, Stream } from "effect"
import { type OpenAIOptions, OpenAIProvider } from "../../src/openai/openai.ts"
import { errorFields } from "../error-fields.ts"

const apiKey = "sk-proj-ADAPTERRULES-0123456789abcdef"
const model = "gpt-4o-mini"
const where = `openai model ${model}`
const hello: ChatRequest = { messages: [{ role: "user", content: "Hello" }] }

const setup = (api: OpenAIOptions["api"] = "chat") =>
  Effect.gen(function* () {
    const sim: Simulator = yield* openaiSimulator()
    const provider = yield* Effect.provide(
      Effect.service(LLMProvider),
      OpenAIProvider.layer({ apiKey: Redacted.make(apiKey), baseUrl: `${sim.url}/v1`, api })
    )
    return { sim, provider }
  })

const json = (body: object) => ({
  kind: "cassette" as const,
  status: 200,
  headers: { "content-type": "application/json", "x-request-id": "req_rules" },
  body: JSON.stringify(body)
})
const sse = (...frames: ReadonlyArray<object>) => ({
  kind: "cassette" as const,
  status: 200,
  headers: { "content-type": "text/event-stream", "x-request-id": "req_rules" },
  body: frames.map((frame) => `data: ${JSON.stringify(frame)}\n\n`).join("")
})
const usage = { prompt_tokens: 5, completion_tokens: 2, total_tokens: 7 }

const events = (provider: LLMProvider["Service"]) =>
  Effect.map(Stream.runCollect(provider.stream(hello, model)), (all): Array<ProviderStreamEvent> => Array.from(all))

describe("configuration", () => {
  it.effect("an empty or blank API key is a ConfigError that names the variable", () =>
    Effect.gen(function* () {
      for (const key of ["", "   "]) {
        const failure = yield* Effect.flip(
          Effect.provide(Effect.service(LLMProvider), OpenAIProvider.layer({ apiKey: Redacted.make(key) }))
        )
        expect(failure.message).toBe("providers.openai.api_key: the OpenAI API key is empty: set OPENAI_API_KEY")
      }
    })
  )
})

describe("Chat Completions answers", () => {
  it.effect("a 200 whose body is not a chat completion is a NetworkError pointing at base_url", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const { sim, provider } = yield* setup()
        sim.script(json({ object: "list", data: [] }))
        expect(errorFields(yield* Effect.flip(provider.generate(hello, model)))).toEqual({
          tag: "NetworkError",
          message: `${where}: the server answered 200 but the body is not a chat completion; check base_url points at an OpenAI-compatible API`,
          status: undefined,
          requestId: "req_rules"
        })
      })
    )
  )

  it.effect("no choice, or a choice without a message, is an empty answer, not a crash", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const { sim, provider } = yield* setup()
        sim.script(
          json({ id: "c1", object: "chat.completion", model, choices: [], usage }),
          json({ id: "c2", object: "chat.completion", model, choices: [{ index: 0, finish_reason: "length" }], usage })
        )
        expect(yield* provider.generate(hello, model)).toMatchObject({ content: "", finishReason: "other" })
        expect(yield* provider.generate(hello, model)).toMatchObject({ content: "", finishReason: "length" })
      })
    )
  )

  it.effect("text next to a refusal is an answer (finish stop), not a content filter", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const { sim, provider } = yield* setup()
        sim.script(
          json({
            id: "c3",
            object: "chat.completion",
            model: "gpt-4o-mini-2024-07-18",
            choices: [
              {
                index: 0,
                message: { role: "assistant", content: "Partly.", refusal: "not all" },
                finish_reason: "stop"
              }
            ],
            usage
          })
        )
        expect(yield* provider.generate(hello, model)).toMatchObject({
          content: "Partly.",
          finishReason: "stop",
          model: "gpt-4o-mini-2024-07-18",
          requestId: "req_rules"
        })
      })
    )
  )
})

describe("Chat Completions streams", () => {
  const chunk = (extra: object) => ({ id: "s1", object: "chat.completion.chunk", created: 1, ...extra })

  it.effect("the served model is the last one named; chunks without a model, a delta or choices are skipped", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const { sim, provider } = yield* setup()
        sim.script(
          sse(
            chunk({
              model: "gpt-4o-mini-2024-07-18",
              choices: [{ index: 0, delta: { content: "Hi" }, finish_reason: null }]
            }),
            chunk({ choices: [{ index: 0, delta: { content: "" }, finish_reason: null }] }),
            chunk({ choices: [{ index: 0, finish_reason: "stop" }] }),
            chunk({ usage })
          )
        )
        expect(yield* events(provider)).toEqual([
          { _tag: "TextDelta", text: "Hi" },
          {
            _tag: "UsageSnapshot",
            usage: { inputTokens: 5, outputTokens: 2, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 }
          },
          {
            _tag: "ProviderFinish",
            finishReason: "stop",
            usage: { inputTokens: 5, outputTokens: 2, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 },
            model: "gpt-4o-mini-2024-07-18",
            requestId: "req_rules"
          }
        ])
      })
    )
  )

  it.effect("a stream that ends without a finish reason is cut: a NetworkError after its text", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const { sim, provider } = yield* setup()
        sim.script(sse(chunk({ model, choices: [{ index: 0, delta: { content: "Hi" }, finish_reason: null }] })))
        const failure = yield* Effect.flip(Stream.runDrain(provider.stream(hello, model)))
        expect(errorFields(failure)).toEqual({
          tag: "NetworkError",
          message: `${where}: the stream ended before the model finished; the connection was probably cut`,
          status: undefined,
          requestId: "req_rules"
        })
      })
    )
  )
})

describe("Responses API", () => {
  /** A message item that only refuses. */
  const refusal = {
    type: "message",
    id: "msg_1",
    role: "assistant",
    status: "completed",
    content: [{ type: "refusal", refusal: "not that" }]
  }
  const responsesUsage = { input_tokens: 5, output_tokens: 2, total_tokens: 7 }
  const response = (status: string, extra: object = {}) => ({
    id: "resp_1",
    object: "response",
    created_at: 1,
    status,
    model: "gpt-4o-mini-2024-07-18",
    output: [],
    usage: responsesUsage,
    ...extra
  })

  it.effect(
    "a 200 whose body is not a response is a NetworkError; a failed one without an error is a server error",
    () =>
      Effect.scoped(
        Effect.gen(function* () {
          const { sim, provider } = yield* setup("responses")
          sim.script(json({ object: "response", output: "none" }), json(response("failed", { error: null })))
          expect((yield* Effect.flip(provider.generate(hello, model))).message).toBe(
            `${where}: the server answered 200 but the body is not a Responses API response; check base_url points at an OpenAI-compatible API`
          )
          const failed = yield* Effect.flip(provider.generate(hello, model))
          expect(failed._tag).toBe("ProviderUnavailableError")
          expect(failed.message).toMatch(new RegExp(`^${where} failed mid-response \\(server_error\\)`))
        })
      )
  )

  it.effect("streamed: the model from response.created, empty deltas skipped, a refusal after text is no filter", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const { sim, provider } = yield* setup("responses")
        sim.script(
          sse(
            { type: "response.created", sequence_number: 0, response: response("in_progress", { usage: null }) },
            {
              type: "response.in_progress",
              sequence_number: 1,
              response: response("in_progress", { model: "", usage: null })
            },
            {
              type: "response.output_text.delta",
              sequence_number: 2,
              item_id: "msg_1",
              output_index: 0,
              content_index: 0,
              delta: ""
            },
            {
              type: "response.output_text.delta",
              sequence_number: 3,
              item_id: "msg_1",
              output_index: 0,
              content_index: 0,
              delta: "Hi"
            },
            {
              type: "response.completed",
              sequence_number: 4,
              response: response("completed", { model: "", output: [refusal] })
            }
          )
        )
        const all = yield* events(provider)
        expect(all.filter((e) => e._tag === "TextDelta")).toEqual([{ _tag: "TextDelta", text: "Hi" }])
        expect(all.at(-1)).toMatchObject({
          _tag: "ProviderFinish",
          finishReason: "stop",
          model: "gpt-4o-mini-2024-07-18",
          requestId: "req_rules"
        })
      })
    )
  )

  it.effect(
    "streamed: a refusal with no text is a content filter; a failed response without an error a server error",
    () =>
      Effect.scoped(
        Effect.gen(function* () {
          const { sim, provider } = yield* setup("responses")
          sim.script(
            sse({
              type: "response.completed",
              sequence_number: 0,
              response: response("completed", { output: [refusal] })
            }),
            sse({ type: "response.failed", sequence_number: 0, response: response("failed", { error: null }) }),
            sse({ type: "response.created", sequence_number: 0, response: response("in_progress", { usage: null }) })
          )
          expect((yield* events(provider)).at(-1)).toMatchObject({
            _tag: "ProviderFinish",
            finishReason: "content-filter"
          })
          const failed = yield* Effect.flip(events(provider))
          expect(failed._tag).toBe("ProviderUnavailableError")
          expect(failed.message).toMatch(new RegExp(`^${where} failed mid-response \\(server_error\\)`))
          const cut = yield* Effect.flip(events(provider))
          expect(cut.message).toBe(
            `${where}: the stream ended before the response completed; the connection was probably cut`
          )
        })
      )
  )
})

describe("model listing", () => {
  it.live("an interrupted listing closes its connection at once", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const { sim, provider } = yield* setup()
        sim.setModelListing(() => undefined)
        const outcome = yield* Effect.timeoutOption(provider.listModels, "100 millis")
        expect(outcome._tag).toBe("None")
        const listing = sim.requests.at(-1)!
        expect(listing.path).toBe("/v1/models")
        yield* Effect.promise(() => sim.waitForAbort(listing, 200))
      })
    )
  )
})
