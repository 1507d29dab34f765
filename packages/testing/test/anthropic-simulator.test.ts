/**
 * The REAL `@anthropic-ai/sdk` against the Anthropic simulator: plain and streamed messages, model
 * pagination, every scripted fault surfacing as the Anthropic SDK's own error class, and
 * every recorded cassette of the `anthropic` folder replayed through the SDK.
 */
import Anthropic, {
  APIError,
  APIUserAbortError,
  AuthenticationError,
  BadRequestError,
  InternalServerError,
  NotFoundError,
  OverloadedError,
  PaymentRequiredError,
  PermissionDeniedError,
  RateLimitError,
  ServiceUnavailableError
} from "@anthropic-ai/sdk"
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "@effect/vitest"
import {
  anthropicDefaultPageSize,
  cassetteReply,
  defaultAnthropicModels,
  type FaultKind,
  isStreamingCassette,
  loadCassettes,
  type Simulator,
  startAnthropicSimulator
} from "@llm-orchestrator/testing"

let sim: Simulator
let client: Anthropic

beforeAll(async () => {
  sim = await startAnthropicSimulator()
  // logLevel off: the malformed-frame test would otherwise print the SDK's parse complaint.
  client = new Anthropic({ apiKey: "sk-ant-test-key", baseURL: sim.url, maxRetries: 0, logLevel: "off" })
})
afterAll(() => sim.close())
beforeEach(() => {
  sim.reset()
  sim.setModels(defaultAnthropicModels)
})

const ask = { model: "claude-sonnet-4-6", max_tokens: 256, messages: [{ role: "user" as const, content: "Hi" }] }

const caught = async (promise: Promise<unknown>): Promise<unknown> => {
  try {
    await promise
  } catch (error) {
    return error
  }
  throw new Error("expected the call to fail")
}

describe("messages", () => {
  it("plain call: text, wire usage excludes cache from input_tokens, request id header", async () => {
    const usage = { inputTokens: 120, cacheReadTokens: 70, cacheWriteTokens: 30, outputTokens: 9 }
    sim.script({ kind: "text", text: "Hello there", usage })
    const { data: message, response } = await client.messages.create(ask).withResponse()
    expect(message.content).toEqual([{ type: "text", text: "Hello there" }])
    expect(message.stop_reason).toBe("end_turn")
    expect(message.usage.input_tokens).toBe(usage.inputTokens - usage.cacheReadTokens - usage.cacheWriteTokens)
    expect(message.usage.cache_read_input_tokens).toBe(usage.cacheReadTokens)
    expect(message.usage.cache_creation_input_tokens).toBe(usage.cacheWriteTokens)
    expect(message.usage.output_tokens).toBe(usage.outputTokens)
    expect(response.headers.get("request-id")).toMatch(/^req_/)
    const request = sim.requests[0]!
    expect(request.headers.authorization).toBe("Bearer sk-ant-test-key")
    expect(request.headers["anthropic-version"]).toBeTruthy()
    expect(request.path).toBe("/v1/messages")
  })

  it("streamed call: every event named, deltas in order, message_delta carries cumulative usage", async () => {
    const chunks = ["One ", "two ", "three"]
    const usage = { inputTokens: 40, cacheReadTokens: 10, outputTokens: 3 }
    sim.script({ kind: "text", text: chunks.join(""), chunks, usage })
    const stream = await client.messages.create({ ...ask, stream: true })
    const events: Array<Anthropic.RawMessageStreamEvent> = []
    for await (const event of stream) events.push(event)
    const types = events.map((e) => e.type)
    expect(types[0]).toBe("message_start")
    expect(types.at(-1)).toBe("message_stop")
    const deltas = events.flatMap((e) =>
      e.type === "content_block_delta" && e.delta.type === "text_delta" ? [e.delta.text] : []
    )
    expect(deltas).toEqual(chunks)
    const start = events[0] as Anthropic.RawMessageStartEvent
    expect(start.message.usage.input_tokens).toBe(usage.inputTokens - usage.cacheReadTokens)
    expect(start.message.usage.cache_read_input_tokens).toBe(usage.cacheReadTokens)
    const delta = events.find((e) => e.type === "message_delta") as Anthropic.RawMessageDeltaEvent
    expect(delta.usage.output_tokens).toBe(usage.outputTokens)
    expect(delta.usage.input_tokens).toBe(usage.inputTokens - usage.cacheReadTokens)
    expect(delta.delta.stop_reason).toBe("end_turn")
  })

  it("raw SSE: every data line has an event line, and a ping is sent", async () => {
    sim.script({ kind: "text", text: "a b" })
    const response = await fetch(`${sim.url}/v1/messages`, {
      method: "POST",
      headers: { "x-api-key": "k", "anthropic-version": "2023-06-01", "content-type": "application/json" },
      body: JSON.stringify({ ...ask, stream: true })
    })
    const frames = (await response.text()).split("\n\n").filter((frame) => frame.length > 0)
    for (const frame of frames) expect(frame).toMatch(/^event: \w+\ndata: /)
    expect(frames.some((frame) => frame.startsWith("event: ping"))).toBe(true)
  })

  it("MessageStream assembles the final message, with thinking and signature when usage has reasoning", async () => {
    sim.script({
      kind: "text",
      text: "The answer is 4.",
      usage: { inputTokens: 12, outputTokens: 30, reasoningTokens: 22 }
    })
    const final = await client.messages.stream(ask).finalMessage()
    expect(final.content.map((block) => block.type)).toEqual(["thinking", "text"])
    const thinking = final.content[0] as Anthropic.ThinkingBlock
    expect(thinking.thinking.length).toBeGreaterThan(0)
    expect(thinking.signature.length).toBeGreaterThan(0)
    expect((final.content[1] as Anthropic.TextBlock).text).toBe("The answer is 4.")
    expect(final.usage.output_tokens).toBe(30)
    expect(final.usage.output_tokens_details?.thinking_tokens).toBe(22)
  })

  it("finish reasons render as Anthropic stop reasons", async () => {
    const rows = [
      ["length", "max_tokens"],
      ["tool-calls", "tool_use"],
      ["content-filter", "refusal"],
      ["other", "pause_turn"]
    ] as const
    for (const [finishReason, stopReason] of rows) {
      sim.script({ kind: "text", text: "x", finishReason })
      expect((await client.messages.create(ask)).stop_reason).toBe(stopReason)
    }
  })

  it("accepts x-api-key and rejects a request with no credentials", async () => {
    const noAuth = await fetch(`${sim.url}/v1/messages`, { method: "POST", body: JSON.stringify(ask) })
    expect(noAuth.status).toBe(401)
    expect(((await noAuth.json()) as { error: { type: string } }).error.type).toBe("authentication_error")
    const withKey = await fetch(`${sim.url}/v1/messages`, {
      method: "POST",
      headers: { "x-api-key": "k", "content-type": "application/json" },
      body: JSON.stringify(ask)
    })
    expect(withKey.status).toBe(200)
  })
})

describe("models", () => {
  it("the SDK pages through every model with after_id when the limit is small", async () => {
    const seen: Array<string> = []
    for await (const model of client.models.list({ limit: 5 })) seen.push(model.id)
    expect(seen).toEqual(defaultAnthropicModels.map((m) => m.id))
    const pages = Math.ceil(defaultAnthropicModels.length / 5)
    expect(sim.requests.map((r) => r.query.get("after_id"))).toEqual([
      null,
      ...Array.from({ length: pages - 1 }, (_, i) => defaultAnthropicModels[(i + 1) * 5 - 1]!.id)
    ])
  })

  it("without a limit the API default page size applies; fields are the API's", async () => {
    const many = Array.from({ length: anthropicDefaultPageSize + 3 }, (_, i) => ({
      id: `claude-test-${i}`,
      contextWindow: 200_000,
      maxOutputTokens: 64_000
    }))
    sim.setModels(many)
    const first = await client.models.list()
    expect(first.data.length).toBe(anthropicDefaultPageSize)
    expect(first.has_more).toBe(true)
    expect(first.last_id).toBe(`claude-test-${anthropicDefaultPageSize - 1}`)
    expect(first.data[0]).toMatchObject({ type: "model", max_input_tokens: 200_000, max_tokens: 64_000 })
    const second = await first.getNextPage()
    expect(second.data.map((m) => m.id)).toEqual(many.slice(anthropicDefaultPageSize).map((m) => m.id))
    expect(second.has_more).toBe(false)
  })

  it("a non-chat entry is listed as retired", async () => {
    const retired = defaultAnthropicModels.filter((m) => m.chat === false).map((m) => m.id)
    expect(retired.length).toBeGreaterThan(0)
    const listed = (await client.models.list({ limit: 100 })).data
    expect(listed.filter((m) => m.lifecycle === "retired").map((m) => m.id)).toEqual(retired)
  })
})

describe("faults surface as the SDK's error classes", () => {
  const rows: ReadonlyArray<[FaultKind, number, string, abstract new (...args: never) => APIError]> = [
    ["rate-limit", 429, "rate_limit_error", RateLimitError],
    ["overloaded", 529, "overloaded_error", OverloadedError],
    ["server-error", 500, "api_error", InternalServerError],
    ["unavailable", 503, "api_error", ServiceUnavailableError],
    ["auth", 401, "authentication_error", AuthenticationError],
    ["permission", 403, "permission_error", PermissionDeniedError],
    ["model-not-found", 404, "not_found_error", NotFoundError],
    ["context-length", 400, "invalid_request_error", BadRequestError],
    ["invalid-request", 400, "invalid_request_error", BadRequestError]
  ]
  for (const [fault, status, type, errorClass] of rows) {
    it(`${fault} -> ${status} ${type}`, async () => {
      sim.script({ kind: "error", fault, retryAfterSeconds: 7 })
      const error = (await caught(client.messages.create(ask))) as APIError
      expect(error).toBeInstanceOf(errorClass)
      expect(error.status).toBe(status)
      expect(error.type).toBe(type)
      expect(error.requestID).toMatch(/^req_/)
      expect((error.error as { request_id?: string }).request_id).toBe(error.requestID)
      expect(error.headers?.get("retry-after")).toBe("7")
      expect(sim.requests.length).toBe(1) // maxRetries: 0 is honoured
    })
  }

  it("context overflow says how many tokens", async () => {
    sim.script({ kind: "error", fault: "context-length" })
    const error = (await caught(client.messages.create(ask))) as APIError
    expect(error.apiMessage).toMatch(/^prompt is too long: \d+ tokens > \d+ maximum$/)
  })

  it("429 carries retry-after even when not scripted", async () => {
    sim.script({ kind: "error", fault: "rate-limit" })
    const error = (await caught(client.messages.create(ask))) as APIError
    expect(Number(error.headers?.get("retry-after"))).toBeGreaterThan(0)
  })

  it("a status override (402 billing) picks the matching type", async () => {
    sim.script({ kind: "error", fault: "invalid-request", status: 402, message: "Your credit balance is too low" })
    const error = (await caught(client.messages.create(ask))) as APIError
    expect(error).toBeInstanceOf(PaymentRequiredError)
    expect(error.type).toBe("billing_error")
    expect(error.apiMessage).toBe("Your credit balance is too low")
  })

  it("content filter is a 200 refusal, plain and streamed", async () => {
    sim.script({ kind: "error", fault: "content-filter" }, { kind: "error", fault: "content-filter" })
    expect((await client.messages.create(ask)).stop_reason).toBe("refusal")
    const final = await client.messages.stream(ask).finalMessage()
    expect(final.stop_reason).toBe("refusal")
  })

  it("mid-stream error event: deltas first, then APIError with no status and type overloaded_error", async () => {
    sim.script({ kind: "stream-fault", text: "a b c d", afterChunks: 2, fault: "error-event" })
    const seen: Array<string> = []
    const error = (await caught(
      (async () => {
        for await (const event of await client.messages.create({ ...ask, stream: true }))
          if (event.type === "content_block_delta" && event.delta.type === "text_delta") seen.push(event.delta.text)
      })()
    )) as APIError
    expect(seen).toEqual(["a ", "b "])
    expect(error).toBeInstanceOf(APIError)
    expect(error).not.toBeInstanceOf(OverloadedError)
    expect(error.status).toBeUndefined()
    expect(error.type).toBe("overloaded_error")
  })

  it("a malformed frame fails the stream with a parse error", async () => {
    sim.script({ kind: "stream-fault", text: "a b c", afterChunks: 1, fault: "malformed" })
    const stream = await client.messages.create({ ...ask, stream: true })
    const error = await caught(
      (async () => {
        for await (const _ of stream);
      })()
    )
    expect(error).toBeInstanceOf(SyntaxError)
  })

  it("a dropped connection fails the stream", async () => {
    sim.script({ kind: "stream-fault", text: "a b c", afterChunks: 1, fault: "drop" })
    const stream = await client.messages.create({ ...ask, stream: true })
    const error = await caught(
      (async () => {
        for await (const _ of stream);
      })()
    )
    // undici's "terminated", caused by the socket closing: not an SDK class, the provider must map it.
    expect(error).toBeInstanceOf(TypeError)
    expect(((error as Error).cause as { code?: string }).code).toBe("UND_ERR_SOCKET")
  })

  it("aborting a hung request is seen by the simulator", async () => {
    sim.script({ kind: "hang" })
    const controller = new AbortController()
    const pending = caught(client.messages.create(ask, { signal: controller.signal }))
    while (sim.requests.length === 0) await new Promise((resolve) => setTimeout(resolve, 2))
    controller.abort()
    // The SDK's own abort error, not whatever the socket said: the caller can tell a cancel from a fault.
    expect(await pending).toBeInstanceOf(APIUserAbortError)
    await sim.waitForAbort(sim.requests[0]!, 200)
  })
})

// Cassettes: the SDK must parse every recorded real exchange and report the recorded text and usage.
interface RecordedMessage {
  readonly content: ReadonlyArray<{ readonly type: string; readonly text?: string }>
  readonly stop_reason: string
  readonly usage: Record<string, unknown>
}

const recordedStream = (body: string) => {
  let text = ""
  let start: Record<string, unknown> = {}
  let last: Record<string, unknown> = {}
  let stopReason: string | undefined
  for (const frame of body.split("\n\n")) {
    const data = frame.split("\n").find((line) => line.startsWith("data:"))
    if (!data) continue
    const event = JSON.parse(data.slice(5))
    if (event.type === "message_start") start = event.message.usage
    if (event.type === "content_block_delta" && event.delta.type === "text_delta") text += event.delta.text
    if (event.type === "message_delta") {
      last = event.usage
      stopReason = event.delta.stop_reason
    }
  }
  return { text, usage: { ...start, ...last }, stopReason }
}

describe("cassettes replay through the SDK", () => {
  for (const cassette of loadCassettes("anthropic")) {
    it(cassette.name, async () => {
      sim.script(cassetteReply(cassette))
      // The recorded model would only add the SDK's deprecation warnings; the simulator serves the cassette anyway.
      const body = { model: ask.model, max_tokens: 1024, messages: [{ role: "user" as const, content: "replay" }] }
      if (cassette.response.status >= 400) {
        const recorded = JSON.parse(cassette.response.body!) as { error: { type: string; message: string } }
        const error = (await caught(client.messages.create(body))) as APIError
        expect(error.status).toBe(cassette.response.status)
        expect(error.type).toBe(recorded.error.type)
        expect(error.apiMessage).toBe(recorded.error.message)
        return
      }
      if (isStreamingCassette(cassette)) {
        const expected = recordedStream(cassette.response.body!)
        const final = await client.messages.stream(body).finalMessage()
        const text = final.content.flatMap((b) => (b.type === "text" ? [b.text] : [])).join("")
        expect(text).toBe(expected.text)
        expect(final.stop_reason).toBe(expected.stopReason)
        for (const [key, value] of Object.entries(expected.usage))
          if (typeof value === "number") expect(final.usage[key as keyof typeof final.usage]).toBe(value)
        return
      }
      const recorded = JSON.parse(cassette.response.body!) as RecordedMessage
      const message = await client.messages.create(body)
      const textOf = (content: RecordedMessage["content"]) =>
        content.flatMap((b) => (b.type === "text" ? [b.text ?? ""] : [])).join("")
      expect(textOf(message.content)).toBe(textOf(recorded.content))
      expect(message.stop_reason).toBe(recorded.stop_reason)
      expect(message.usage).toEqual(recorded.usage)
    })
  }
})
