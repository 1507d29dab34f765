/**
 * Every recorded OpenAI exchange (cassettes/openai-chat, cassettes/openai-responses) replayed through
 * `OpenAIProvider` and the real SDK: text, finish reason, served model and normalised usage must match
 * what the test reads straight from the recorded body; recorded 4xx answers must map to their LLMError.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { type FinishReason, LLMProvider, type Usage } from "@llm-orchestrator/core"
import {
  type Cassette,
  cassetteReply,
  isStreamingCassette,
  loadCassettes,
  type Simulator,
  startOpenAISimulator
} from "@llm-orchestrator/testing"
import { Effect, Redacted, Stream } from "effect"
import { OpenAIProvider } from "../../src/openai/openai.ts"

let sim: Simulator
beforeAll(async () => {
  sim = await startOpenAISimulator()
})
afterAll(() => sim.close())

interface Expected {
  readonly text: string
  readonly finishReason: FinishReason
  readonly usage: Usage
  readonly model: string
}

interface WireUsage {
  readonly prompt_tokens?: number
  readonly completion_tokens?: number
  readonly input_tokens?: number
  readonly output_tokens?: number
  readonly prompt_tokens_details?: { cached_tokens?: number; cache_write_tokens?: number }
  readonly completion_tokens_details?: { reasoning_tokens?: number }
  readonly input_tokens_details?: { cached_tokens?: number; cache_write_tokens?: number }
  readonly output_tokens_details?: { reasoning_tokens?: number }
  readonly total_tokens?: number
}

/** docs/ARCHITECTURE.md, "Usage semantics": OpenAI's counts are already totals (cached inside input, reasoning inside output). */
const usageOf = (u: WireUsage): Usage => {
  const input = u.prompt_tokens_details ?? u.input_tokens_details
  const output = u.completion_tokens_details ?? u.output_tokens_details
  const inputTokens = u.prompt_tokens ?? u.input_tokens ?? 0
  const outputTokens = u.completion_tokens ?? u.output_tokens ?? 0
  // The recorded total_tokens is input + output: cached and reasoning tokens are inside those two.
  if (u.total_tokens !== undefined)
    expect(inputTokens + outputTokens, "input + output vs total_tokens").toBe(u.total_tokens)
  return {
    inputTokens,
    outputTokens,
    cacheReadTokens: input?.cached_tokens ?? 0,
    cacheWriteTokens: input?.cache_write_tokens ?? 0,
    reasoningTokens: output?.reasoning_tokens ?? 0
  }
}

const chatFinish: Record<string, FinishReason> = {
  stop: "stop",
  length: "length",
  tool_calls: "tool-calls",
  content_filter: "content-filter"
}

interface WireResponse {
  readonly model: string
  readonly status: string
  readonly incomplete_details: { reason?: string } | null
  readonly output: ReadonlyArray<{ type: string; content?: ReadonlyArray<{ type: string; text?: string }> }>
  readonly usage: WireUsage
}

const responsesFinish = (r: WireResponse): FinishReason => {
  if (r.status === "incomplete")
    return r.incomplete_details?.reason === "max_output_tokens"
      ? "length"
      : r.incomplete_details?.reason === "content_filter"
        ? "content-filter"
        : "other"
  return r.output.some((item) => item.type === "function_call") ? "tool-calls" : "stop"
}

const sseData = (body: string): ReadonlyArray<unknown> =>
  body
    .split("\n\n")
    .flatMap((block) => block.split("\n").filter((line) => line.startsWith("data: ")))
    .map((line) => line.slice("data: ".length))
    .filter((data) => data !== "[DONE]")
    .map((data) => JSON.parse(data) as unknown)

const expectedFrom = (cassette: Cassette): Expected => {
  const body = cassette.response.body ?? ""
  if (cassette.folder === "openai-chat") {
    if (isStreamingCassette(cassette)) {
      const chunks = sseData(body) as ReadonlyArray<{
        model: string
        choices: ReadonlyArray<{ delta: { content?: string | null }; finish_reason: string | null }>
        usage: WireUsage | null
      }>
      const finish = chunks
        .flatMap((c) => c.choices.map((choice) => choice.finish_reason))
        .filter(Boolean)
        .at(-1)
      const usage = chunks.filter((c) => c.usage).at(-1)?.usage
      return {
        text: chunks.map((c) => c.choices.map((choice) => choice.delta.content ?? "").join("")).join(""),
        finishReason: chatFinish[finish ?? ""] ?? "other",
        usage: usageOf(usage ?? {}),
        model: chunks[0]?.model ?? ""
      }
    }
    const parsed = JSON.parse(body) as {
      model: string
      choices: ReadonlyArray<{ message: { content: string | null }; finish_reason: string }>
      usage: WireUsage
    }
    return {
      text: parsed.choices[0]?.message.content ?? "",
      finishReason: chatFinish[parsed.choices[0]?.finish_reason ?? ""] ?? "other",
      usage: usageOf(parsed.usage),
      model: parsed.model
    }
  }
  const textOf = (r: WireResponse) =>
    r.output
      .filter((item) => item.type === "message")
      .flatMap((item) => item.content ?? [])
      .map((part) => (part.type === "output_text" ? (part.text ?? "") : ""))
      .join("")
  if (isStreamingCassette(cassette)) {
    const events = sseData(body) as ReadonlyArray<{ type: string; delta?: string; response?: WireResponse }>
    const final = events.find((e) => e.type === "response.completed" || e.type === "response.incomplete")?.response
    if (!final) throw new Error(`${cassette.name}: no terminal event recorded`)
    return {
      text: events
        .filter((e) => e.type === "response.output_text.delta")
        .map((e) => e.delta ?? "")
        .join(""),
      finishReason: responsesFinish(final),
      usage: usageOf(final.usage),
      model: final.model
    }
  }
  const parsed = JSON.parse(body) as WireResponse
  return {
    text: textOf(parsed),
    finishReason: responsesFinish(parsed),
    usage: usageOf(parsed.usage),
    model: parsed.model
  }
}

/** The LLMError a recorded error body must become (docs/ARCHITECTURE.md, "Errors", OpenAI's codes). */
const expectedErrorTag = (cassette: Cassette): string => {
  const { error } = JSON.parse(cassette.response.body ?? "{}") as { error: { code: string | null } }
  if (error.code === "context_length_exceeded") return "ContextLengthExceededError"
  if (error.code === "model_not_found" || cassette.response.status === 404) return "ModelNotFoundError"
  if (cassette.response.status === 401 || cassette.response.status === 403) return "AuthenticationError"
  if (cassette.response.status === 429) return "RateLimitError"
  if (cassette.response.status >= 500) return "ProviderUnavailableError"
  return "InvalidRequestError"
}

const cassettes = [...loadCassettes("openai-chat"), ...loadCassettes("openai-responses")]

describe("every OpenAI cassette through OpenAIProvider", () => {
  it("covers both folders, plain and streamed, and errors", () => {
    expect(cassettes.filter((c) => c.folder === "openai-chat").length).toBeGreaterThan(10)
    expect(cassettes.filter((c) => c.folder === "openai-responses").length).toBeGreaterThan(10)
    expect(cassettes.filter(isStreamingCassette).length).toBeGreaterThan(5)
    expect(cassettes.filter((c) => c.response.status >= 400).length).toBeGreaterThan(0)
  })

  for (const cassette of cassettes) {
    const api = cassette.folder === "openai-chat" ? "chat" : "responses"
    const model = (cassette.request.body as { model?: string }).model ?? "gpt-4o"
    const streaming = isStreamingCassette(cassette)
    it.live(`${cassette.folder}/${cassette.name}${streaming ? " (streamed)" : ""}`, () =>
      Effect.gen(function* () {
        sim.reset().script(cassetteReply(cassette))
        const provider = yield* LLMProvider
        const request = { messages: [{ role: "user" as const, content: "replayed" }] }
        if (cassette.response.status >= 400) {
          const error = yield* Effect.flip(
            streaming ? Stream.runDrain(provider.stream(request, model)) : provider.generate(request, model)
          )
          expect(error._tag).toBe(expectedErrorTag(cassette))
          expect(error.status).toBe(cassette.response.status)
          return
        }
        const expected = expectedFrom(cassette)
        if (streaming) {
          const events = Array.from(yield* Stream.runCollect(provider.stream(request, model)))
          const text = events.map((e) => (e._tag === "TextDelta" ? e.text : "")).join("")
          const finish = events.filter((e) => e._tag === "ProviderFinish")
          expect(text).toBe(expected.text)
          expect(finish).toHaveLength(1)
          expect(events.at(-1)).toMatchObject({
            finishReason: expected.finishReason,
            usage: expected.usage,
            model: expected.model
          })
          return
        }
        const response = yield* provider.generate(request, model)
        expect(response).toMatchObject({
          content: expected.text,
          finishReason: expected.finishReason,
          usage: expected.usage,
          model: expected.model
        })
      }).pipe(
        Effect.provide(OpenAIProvider.layer({ apiKey: Redacted.make("sk-replay"), baseUrl: `${sim.url}/v1`, api }))
      )
    )
  }
})

// The simulator renders usage as the adapter's inverse, so a wrong rule shared by both passes the
// simulator-based tests; here the expectation is read from the bytes the simulator served (`usageOf`).
describe("usage is what the served body says by OpenAI's rule, not what the simulator was told", () => {
  const usage = { inputTokens: 1_000, cacheReadTokens: 600, outputTokens: 300, reasoningTokens: 120 }
  for (const api of ["chat", "responses"] as const) {
    it.live(api, () =>
      Effect.gen(function* () {
        const reply = { kind: "text", text: "counted", usage } as const
        sim.reset().script(reply, reply)
        const path = api === "chat" ? "chat/completions" : "responses"
        const body =
          api === "chat"
            ? { model: "gpt-4o", messages: [{ role: "user", content: "hi" }] }
            : { model: "gpt-4o", input: "hi" }
        const served = yield* Effect.promise(() =>
          fetch(`${sim.url}/v1/${path}`, {
            method: "POST",
            headers: { "content-type": "application/json", authorization: "Bearer sk-replay" },
            body: JSON.stringify(body)
          }).then((r) => r.json() as Promise<{ usage: WireUsage & { total_tokens: number } }>)
        )
        // OpenAI's counts are totals: cached tokens inside the input count, reasoning inside the output.
        expect(served.usage.total_tokens).toBe(1_300)
        const provider = yield* LLMProvider
        const response = yield* provider.generate({ messages: [{ role: "user", content: "hi" }] }, "gpt-4o")
        expect(response.usage).toEqual(usageOf(served.usage))
      }).pipe(
        Effect.provide(OpenAIProvider.layer({ apiKey: Redacted.make("sk-replay"), baseUrl: `${sim.url}/v1`, api }))
      )
    )
  }
})
