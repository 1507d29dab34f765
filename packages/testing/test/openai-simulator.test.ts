/**
 * The real `openai` SDK against the OpenAI simulator: Chat Completions and the Responses API, plain and
 * streamed, model listing, every fault surfacing as the OpenAI SDK's own error class,
 * and every recorded cassette replayed without a parse error.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "@effect/vitest"
import OpenAI, { APIError } from "openai"
import {
  type Cassette,
  cassetteReply,
  defaultOpenAIModels,
  type FaultKind,
  isStreamingCassette,
  loadCassettes,
  type Simulator,
  startOpenAISimulator
} from "../src/index.ts"

let sim: Simulator
let client: OpenAI

beforeAll(async () => {
  sim = await startOpenAISimulator()
  client = new OpenAI({ apiKey: "sk-sim-test-key", baseURL: `${sim.url}/v1`, maxRetries: 0, timeout: 5_000 })
})
afterAll(() => sim.close())
beforeEach(() => {
  sim.reset()
})

const messages = [{ role: "user" as const, content: "Say hello" }]

/** Everything an async iterable yields (Array.fromAsync is outside the es2023 lib). */
const collect = async <A>(iterable: AsyncIterable<A>): Promise<Array<A>> => {
  const out: Array<A> = []
  for await (const item of iterable) out.push(item)
  return out
}

/** Runs an SDK call and returns what it threw (fails the test when it did not throw). */
const thrown = async (run: () => Promise<unknown>): Promise<unknown> => {
  try {
    await run()
  } catch (error) {
    return error
  }
  throw new Error("expected the SDK call to throw")
}

describe("Chat Completions", () => {
  it("plain call: text, finish reason, usage in the wire form, request id", async () => {
    const usage = { inputTokens: 120, outputTokens: 40, cacheReadTokens: 64, cacheWriteTokens: 16, reasoningTokens: 25 }
    sim.script({ kind: "text", text: "Hello there", usage })
    const response = await client.chat.completions.create({ model: "gpt-4o-mini", messages })
    expect(response.choices[0]?.message.content).toBe("Hello there")
    expect(response.choices[0]?.finish_reason).toBe("stop")
    expect(response.model).toBe("gpt-4o-mini")
    expect(response.usage).toMatchObject({
      prompt_tokens: usage.inputTokens,
      completion_tokens: usage.outputTokens,
      total_tokens: usage.inputTokens + usage.outputTokens,
      prompt_tokens_details: { cached_tokens: usage.cacheReadTokens, cache_write_tokens: usage.cacheWriteTokens },
      completion_tokens_details: { reasoning_tokens: usage.reasoningTokens }
    })
    expect(response._request_id).toMatch(/^req_/)
    expect(sim.requests[0]?.headers.authorization).toBe("Bearer sk-sim-test-key")
    expect(sim.requests[0]?.path).toBe("/v1/chat/completions")
  })

  it("streamed call with include_usage: deltas, then a usage-only chunk with choices []", async () => {
    const pieces = ["Hel", "lo ", "wor", "ld"]
    sim.script({ kind: "text", text: pieces.join(""), chunks: pieces, usage: { inputTokens: 9, outputTokens: 4 } })
    const stream = await client.chat.completions.create({
      model: "gpt-4o-mini",
      messages,
      stream: true,
      stream_options: { include_usage: true }
    })
    const chunks = await collect(stream)
    const deltas = chunks.flatMap((c) => c.choices.map((choice) => choice.delta.content ?? "")).filter((t) => t)
    expect(deltas).toEqual(pieces)
    expect(chunks.flatMap((c) => c.choices.map((choice) => choice.finish_reason)).filter(Boolean)).toEqual(["stop"])
    const last = chunks.at(-1)
    expect(last?.choices).toEqual([])
    expect(last?.usage).toMatchObject({ prompt_tokens: 9, completion_tokens: 4, total_tokens: 13 })
    for (const chunk of chunks.slice(0, -1)) expect(chunk.usage).toBeNull()
  })

  it("streamed call without include_usage carries no usage", async () => {
    sim.script({ kind: "text", text: "a b" })
    const chunks = await collect(await client.chat.completions.create({ model: "gpt-4o", messages, stream: true }))
    expect(chunks.every((c) => c.usage === undefined)).toBe(true)
    expect(chunks.every((c) => c.choices.length === 1)).toBe(true)
  })

  it("the strict stream helper assembles the same completion", async () => {
    sim.script({ kind: "text", text: "one two three", usage: { reasoningTokens: 5 } })
    const final = await client.chat.completions
      .stream({ model: "o4-mini", messages, stream_options: { include_usage: true } })
      .finalChatCompletion()
    expect(final.choices[0]?.message.content).toBe("one two three")
    // Default output = one token per delta plus the reasoning tokens.
    expect(final.usage?.completion_tokens).toBe(3 + 5)
    expect(final.usage?.completion_tokens_details?.reasoning_tokens).toBe(5)
  })

  it("finish reasons: length, content_filter, tool_calls (with a tool call)", async () => {
    sim.script(
      { kind: "text", text: "cut", finishReason: "length" },
      { kind: "text", text: "partial", finishReason: "content-filter" },
      { kind: "text", text: "", finishReason: "tool-calls" }
    )
    const length = await client.chat.completions.create({ model: "gpt-4o", messages })
    expect(length.choices[0]?.finish_reason).toBe("length")
    const filtered = await client.chat.completions.create({ model: "gpt-4o", messages })
    expect(filtered.choices[0]?.finish_reason).toBe("content_filter")
    expect(filtered.choices[0]?.message.content).toBe("partial")
    const tools = await client.chat.completions.create({ model: "gpt-4o", messages })
    expect(tools.choices[0]?.finish_reason).toBe("tool_calls")
    expect(tools.choices[0]?.message.content).toBeNull()
    expect(tools.choices[0]?.message.tool_calls?.[0]).toMatchObject({ type: "function", function: { name: "lookup" } })
  })
})

describe("Responses API", () => {
  it("plain call: output_text, status, usage with reasoning and cache", async () => {
    const usage = { inputTokens: 200, outputTokens: 80, cacheReadTokens: 128, cacheWriteTokens: 8, reasoningTokens: 50 }
    sim.script({ kind: "text", text: "Bonjour", usage })
    const response = await client.responses.create({ model: "gpt-5", input: "Say hello" })
    expect(response.output_text).toBe("Bonjour")
    expect(response.status).toBe("completed")
    expect(response.output.map((item) => item.type)).toEqual(["reasoning", "message"])
    expect(response.usage).toEqual({
      input_tokens: usage.inputTokens,
      input_tokens_details: { cached_tokens: usage.cacheReadTokens, cache_write_tokens: usage.cacheWriteTokens },
      output_tokens: usage.outputTokens,
      output_tokens_details: { reasoning_tokens: usage.reasoningTokens },
      total_tokens: usage.inputTokens + usage.outputTokens
    })
    expect(sim.requests[0]?.path).toBe("/v1/responses")
  })

  it("streamed call passes the strict finalResponse() validation", async () => {
    const pieces = ["Bon", "jour", " à ", "tous"]
    sim.script({ kind: "text", text: pieces.join(""), chunks: pieces, usage: { inputTokens: 11, reasoningTokens: 3 } })
    const stream = client.responses.stream({ model: "gpt-5", input: "Say hello" })
    const deltas: Array<string> = []
    stream.on("response.output_text.delta", (event) => deltas.push(event.delta))
    const final = await stream.finalResponse()
    expect(deltas).toEqual(pieces)
    expect(final.output_text).toBe(pieces.join(""))
    expect(final.usage).toMatchObject({
      input_tokens: 11,
      output_tokens: pieces.length + 3,
      output_tokens_details: { reasoning_tokens: 3 }
    })
  })

  it("sequence numbers increase by one from 0", async () => {
    sim.script({ kind: "text", text: "a b c", finishReason: "tool-calls" })
    const events = await collect(await client.responses.create({ model: "gpt-5", input: "x", stream: true }))
    expect(events.map((e) => e.sequence_number)).toEqual(events.map((_, i) => i))
    expect(events[0]?.type).toBe("response.created")
    expect(events.at(-1)?.type).toBe("response.completed")
  })

  it("tool call, max_output_tokens and content filter outcomes, streamed and plain", async () => {
    const cases = [
      { finishReason: "tool-calls", status: "completed", reason: undefined },
      { finishReason: "length", status: "incomplete", reason: "max_output_tokens" },
      { finishReason: "content-filter", status: "incomplete", reason: "content_filter" }
    ] as const
    for (const c of cases) {
      sim.script({ kind: "text", text: "some text", finishReason: c.finishReason })
      sim.script({ kind: "text", text: "some text", finishReason: c.finishReason })
      const streamed = await client.responses.stream({ model: "gpt-5", input: "x" }).finalResponse()
      const plain = await client.responses.create({ model: "gpt-5", input: "x" })
      for (const response of [streamed, plain]) {
        expect(response.status).toBe(c.status)
        expect(response.incomplete_details?.reason).toBe(c.reason)
        expect(response.output_text).toBe("some text")
      }
      if (c.finishReason === "tool-calls") {
        expect(streamed.output.find((item) => item.type === "function_call")).toMatchObject({ name: "lookup" })
      }
    }
  })
})

describe("model listing", () => {
  it("lists every model in one page, chat and non-chat alike", async () => {
    const ids = (await collect(client.models.list())).map((model) => model.id)
    expect(ids).toEqual(defaultOpenAIModels.map((model) => model.id))
    expect(ids).toContain("text-embedding-3-small")
    expect(sim.requests.filter((r) => r.kind === "models")).toHaveLength(1)
  })

  it("retrieves one model, 404 model_not_found for an unknown one", async () => {
    expect((await client.models.retrieve("gpt-4o")).id).toBe("gpt-4o")
    const error = await thrown(() => client.models.retrieve("gpt-404"))
    expect(error).toBeInstanceOf(OpenAI.NotFoundError)
    expect((error as APIError).code).toBe("model_not_found")
  })
})

describe("faults as the SDK sees them", () => {
  const rows: ReadonlyArray<[FaultKind, number, new (...args: never) => Error, string | null]> = [
    ["rate-limit", 429, OpenAI.RateLimitError, "rate_limit_exceeded"],
    ["overloaded", 503, OpenAI.InternalServerError, null],
    ["server-error", 500, OpenAI.InternalServerError, null],
    ["unavailable", 503, OpenAI.InternalServerError, "service_unavailable"],
    ["auth", 401, OpenAI.AuthenticationError, "invalid_api_key"],
    ["permission", 403, OpenAI.PermissionDeniedError, null],
    ["model-not-found", 404, OpenAI.NotFoundError, "model_not_found"],
    ["context-length", 400, OpenAI.BadRequestError, "context_length_exceeded"],
    ["invalid-request", 400, OpenAI.BadRequestError, "unsupported_value"]
  ]
  for (const [fault, status, errorClass, code] of rows) {
    for (const api of ["chat", "responses"] as const) {
      it(`${fault} (${api})`, async () => {
        sim.script({ kind: "error", fault })
        const error = await thrown(() =>
          api === "chat"
            ? client.chat.completions.create({ model: "gpt-4o", messages })
            : client.responses.create({ model: "gpt-4o", input: "x" })
        )
        expect(error).toBeInstanceOf(errorClass)
        const apiError = error as APIError
        expect(apiError.status).toBe(status)
        expect(apiError.code ?? null).toBe(code)
        expect(apiError.requestID).toMatch(/^req_/)
        expect(apiError.type).toBeTypeOf("string")
      })
    }
  }

  it("429 carries retry-after and retry-after-ms", async () => {
    sim.script({ kind: "error", fault: "rate-limit", retryAfterSeconds: 1.5 })
    const error = (await thrown(() => client.chat.completions.create({ model: "gpt-4o", messages }))) as APIError
    expect(error.headers?.get("retry-after")).toBe("2")
    expect(error.headers?.get("retry-after-ms")).toBe("1500")
  })

  it("a content filter is an HTTP 200 that stopped with nothing (chat and responses, plain and streamed)", async () => {
    sim.script({ kind: "error", fault: "content-filter" })
    const chat = await client.chat.completions.create({ model: "gpt-4o", messages })
    expect(chat.choices[0]?.finish_reason).toBe("content_filter")
    expect(chat.choices[0]?.message.content).toBe("")
    sim.script({ kind: "error", fault: "content-filter" })
    const chunks = await collect(await client.chat.completions.create({ model: "gpt-4o", messages, stream: true }))
    expect(chunks.flatMap((c) => c.choices.map((choice) => choice.finish_reason)).filter(Boolean)).toEqual([
      "content_filter"
    ])
    sim.script({ kind: "error", fault: "content-filter" })
    const streamed = await client.responses.stream({ model: "gpt-5", input: "x" }).finalResponse()
    expect(streamed.status).toBe("incomplete")
    expect(streamed.incomplete_details?.reason).toBe("content_filter")
    expect(streamed.output_text).toBe("")
  })

  it("a mid-stream error in chat: the deltas, then APIError with undefined status and the error type", async () => {
    sim.script({
      kind: "stream-fault",
      text: "one two three",
      afterChunks: 2,
      fault: "error-event",
      errorFault: "server-error"
    })
    const seen: Array<string> = []
    const error = await thrown(async () => {
      const stream = await client.chat.completions.create({ model: "gpt-4o", messages, stream: true })
      for await (const chunk of stream) seen.push(chunk.choices[0]?.delta.content ?? "")
    })
    expect(seen.join("")).toBe("one two ")
    expect(error).toBeInstanceOf(APIError)
    expect((error as APIError).status).toBeUndefined()
    expect((error as APIError).type).toBe("server_error")
    expect((error as APIError).requestID).toMatch(/^req_/)
  })

  it("a mid-stream error in responses is an `event: error` the SDK throws with its code", async () => {
    sim.script({
      kind: "stream-fault",
      text: "one two three",
      afterChunks: 1,
      fault: "error-event",
      errorFault: "rate-limit"
    })
    const stream = client.responses.stream({ model: "gpt-5", input: "x" })
    const deltas: Array<string> = []
    stream.on("response.output_text.delta", (event) => deltas.push(event.delta))
    const error = await thrown(() => stream.finalResponse())
    expect(deltas).toEqual(["one "])
    expect(error).toBeInstanceOf(APIError)
    expect((error as APIError).status).toBeUndefined()
    expect((error as APIError).code).toBe("rate_limit_exceeded")
  })

  for (const api of ["chat", "responses"] as const) {
    const open = () =>
      api === "chat"
        ? client.chat.completions.create({ model: "gpt-4o", messages, stream: true })
        : client.responses.create({ model: "gpt-4o", input: "x", stream: true })

    it(`a malformed frame is a SyntaxError (${api})`, async () => {
      sim.script({ kind: "stream-fault", text: "a b c", afterChunks: 1, fault: "malformed" })
      const quiet = new OpenAI({ apiKey: "sk-x", baseURL: `${sim.url}/v1`, maxRetries: 0, logLevel: "off" })
      const stream =
        api === "chat"
          ? await quiet.chat.completions.create({ model: "gpt-4o", messages, stream: true })
          : await quiet.responses.create({ model: "gpt-4o", input: "x", stream: true })
      const error = await thrown(() => collect(stream as AsyncIterable<unknown>))
      expect(error).toBeInstanceOf(SyntaxError)
    })

    it(`a dropped connection mid-stream fails the iteration (${api})`, async () => {
      sim.script({ kind: "stream-fault", text: "a b c", afterChunks: 1, fault: "drop" })
      const stream = await open()
      const error = await thrown(() => collect(stream as AsyncIterable<unknown>))
      expect(String((error as Error & { cause?: { code?: string } }).cause?.code)).toMatch(/UND_ERR_SOCKET|ECONNRESET/)
    })
  }

  it("a dropped connection before the answer is an APIConnectionError", async () => {
    sim.script({ kind: "stream-fault", text: "a", afterChunks: 0, fault: "drop" })
    const error = await thrown(() => client.chat.completions.create({ model: "gpt-4o", messages }))
    expect(error).toBeInstanceOf(OpenAI.APIConnectionError)
  })

  it("a hanging server is an APIConnectionTimeoutError, and the simulator sees the abort", async () => {
    sim.script({ kind: "hang" })
    const error = await thrown(() => client.chat.completions.create({ model: "gpt-4o", messages }, { timeout: 100 }))
    expect(error).toBeInstanceOf(OpenAI.APIConnectionTimeoutError)
    const request = sim.requests[0]
    if (!request) throw new Error("no request recorded")
    await sim.waitForAbort(request, 200)
  })

  it("no API key: 401 before any model is consulted", async () => {
    const response = await fetch(`${sim.url}/v1/chat/completions`, { method: "POST", body: "{}" })
    expect(response.status).toBe(401)
    expect(((await response.json()) as { error: { type: string } }).error.type).toBe("invalid_request_error")
  })
})

// ---- Cassettes -------------------------------------------------------------------------------------

interface Expected {
  readonly text: string
  readonly usage: Record<string, unknown> | undefined
}

const sseEvents = (body: string): ReadonlyArray<{ event: string | undefined; data: unknown }> =>
  body
    .split(/\n\n/)
    .map((block) => block.trim())
    .filter((block) => block.includes("data: ") && !block.endsWith("[DONE]"))
    .map((block) => {
      const event = /^event: (.+)$/m.exec(block)?.[1]
      const data = block
        .split("\n")
        .filter((line) => line.startsWith("data: "))
        .map((line) => line.slice("data: ".length))
        .join("\n")
      return { event, data: JSON.parse(data) as unknown }
    })

/** The recorded text and usage, read straight from the recorded body. */
const expectedFrom = (cassette: Cassette): Expected => {
  const body = cassette.response.body ?? ""
  if (cassette.folder === "openai-chat") {
    if (!isStreamingCassette(cassette)) {
      const parsed = JSON.parse(body) as { choices: Array<{ message: { content: string | null } }>; usage: object }
      return { text: parsed.choices[0]?.message.content ?? "", usage: parsed.usage as Record<string, unknown> }
    }
    const chunks = sseEvents(body).map(
      (e) => e.data as { choices: Array<{ delta: { content?: string } }>; usage: object }
    )
    return {
      text: chunks.map((c) => c.choices[0]?.delta.content ?? "").join(""),
      usage: chunks.find((c) => c.usage)?.usage as Record<string, unknown> | undefined
    }
  }
  if (!isStreamingCassette(cassette)) {
    const parsed = JSON.parse(body) as {
      output: Array<{ type: string; content?: Array<{ type: string; text?: string }> }>
      usage: object
    }
    const text = parsed.output
      .filter((item) => item.type === "message")
      .flatMap((item) => item.content ?? [])
      .filter((part) => part.type === "output_text")
      .map((part) => part.text ?? "")
      .join("")
    return { text, usage: parsed.usage as Record<string, unknown> }
  }
  const events = sseEvents(body).map((e) => e.data as { type: string; delta?: string; response?: { usage: object } })
  return {
    text: events
      .filter((e) => e.type === "response.output_text.delta")
      .map((e) => e.delta)
      .join(""),
    usage: events.find((e) => e.type === "response.completed")?.response?.usage as Record<string, unknown> | undefined
  }
}

describe("cassettes replay through the real SDK", () => {
  const chatRequest = (cassette: Cassette) => {
    const body = cassette.request.body as { model: string }
    return { model: body.model, messages }
  }
  for (const cassette of [...loadCassettes("openai-chat"), ...loadCassettes("openai-responses")]) {
    it(`${cassette.folder}/${cassette.name}`, async () => {
      sim.script(cassetteReply(cassette))
      const streaming = isStreamingCassette(cassette)
      if (cassette.response.status >= 400) {
        const recorded = (
          JSON.parse(cassette.response.body ?? "{}") as { error: { code: string | null; type: string } }
        ).error
        const error = await thrown(() =>
          cassette.folder === "openai-chat"
            ? client.chat.completions.create(chatRequest(cassette))
            : client.responses.create({ model: "gpt-5", input: "x" })
        )
        expect(error).toBeInstanceOf(APIError)
        expect((error as APIError).status).toBe(cassette.response.status)
        expect((error as APIError).code ?? null).toBe(recorded.code)
        expect((error as APIError).type).toBe(recorded.type)
        return
      }
      const expected = expectedFrom(cassette)
      if (cassette.folder === "openai-chat") {
        if (streaming) {
          // Raw chunks, not finalChatCompletion(): a real recording (moderation_stream) sends a chunk with
          // `usage: null` AFTER the usage chunk, and the SDK's accumulator lets it erase the usage.
          const chunks = await collect(
            await client.chat.completions.create({
              ...chatRequest(cassette),
              stream: true,
              stream_options: { include_usage: true }
            })
          )
          expect(chunks.map((c) => c.choices[0]?.delta.content ?? "").join("")).toBe(expected.text)
          expect(chunks.findLast((c) => c.usage)?.usage).toEqual(expected.usage)
          return
        }
        const completion = await client.chat.completions.create(chatRequest(cassette))
        expect(completion.choices[0]?.message.content ?? "").toBe(expected.text)
        expect(completion.usage).toEqual(expected.usage)
      } else {
        const response = streaming
          ? await client.responses.stream({ model: "gpt-5", input: "x" }).finalResponse()
          : await client.responses.create({ model: "gpt-5", input: "x" })
        expect(response.output_text).toBe(expected.text)
        expect(response.usage).toEqual(expected.usage)
      }
    })
  }
})
