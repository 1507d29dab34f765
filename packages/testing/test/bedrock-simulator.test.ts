/**
 * The real `@aws-sdk/client-bedrock-runtime` and `@aws-sdk/client-bedrock` against the Bedrock simulator:
 * Converse, ConverseStream, model and inference-profile listing, every fault, and every recorded cassette.
 */
import { BedrockClient, ListFoundationModelsCommand, paginateListInferenceProfiles } from "@aws-sdk/client-bedrock"
import {
  AccessDeniedException,
  BedrockRuntimeClient,
  type ContentBlock,
  ConverseCommand,
  type ConverseCommandOutput,
  ConverseStreamCommand,
  type ConverseStreamOutput,
  InternalServerException,
  ModelNotReadyException,
  ModelStreamErrorException,
  ResourceNotFoundException,
  ServiceUnavailableException,
  ThrottlingException,
  ValidationException
} from "@aws-sdk/client-bedrock-runtime"
import { EventStreamCodec } from "@smithy/eventstream-codec"
import { NodeHttpHandler } from "@smithy/node-http-handler"
import { fromUtf8, toUtf8 } from "@smithy/util-utf8"
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest"
import {
  bedrockErrorType,
  cassetteReply,
  defaultBedrockModels,
  type FaultKind,
  loadCassettes,
  type Simulator,
  startBedrockSimulator
} from "../src/index.ts"

const credentials = { accessKeyId: "AKIDSIMULATOR", secretAccessKey: "simulator-secret-key" }
const messages = [{ role: "user" as const, content: [{ text: "Say hello" }] }]

let sim: Simulator
let runtime: BedrockRuntimeClient
let control: BedrockClient

beforeAll(async () => {
  sim = await startBedrockSimulator()
  // The runtime client defaults to HTTP/2; the simulator is HTTP/1.1 (docs/ARCHITECTURE.md, "Providers on the wire").
  runtime = new BedrockRuntimeClient({
    region: "us-east-1",
    endpoint: sim.url,
    credentials,
    maxAttempts: 1,
    requestHandler: new NodeHttpHandler()
  })
  control = new BedrockClient({ region: "us-east-1", endpoint: sim.url, credentials, maxAttempts: 1 })
})

afterAll(async () => {
  runtime.destroy()
  control.destroy()
  await sim.close()
})

beforeEach(() => {
  sim.reset()
})

const converse = (modelId = "amazon.nova-micro-v1:0") => runtime.send(new ConverseCommand({ modelId, messages }))

const collect = async (modelId = "amazon.nova-micro-v1:0") => {
  const response = await runtime.send(new ConverseStreamCommand({ modelId, messages }))
  const events: Array<ConverseStreamOutput> = []
  let error: unknown
  try {
    for await (const event of response.stream ?? []) events.push(event)
  } catch (e) {
    error = e
  }
  const text = events.map((e) => e.contentBlockDelta?.delta?.text ?? "").join("")
  return { response, events, text, error }
}

const failure = async (run: () => Promise<unknown>) => {
  try {
    await run()
  } catch (error) {
    return error as Error & { $metadata?: { httpStatusCode?: number; requestId?: string }; $response?: unknown }
  }
  throw new Error("expected the call to fail")
}

describe("Bedrock simulator: Converse and ConverseStream", () => {
  it("answers Converse with the scripted text, stop reason and Bedrock-form usage", async () => {
    const usage = { inputTokens: 100, outputTokens: 7, cacheReadTokens: 60, cacheWriteTokens: 10 }
    sim.script({ kind: "text", text: "Hello there", usage, finishReason: "length" })
    const result = await runtime.send(
      new ConverseCommand({
        modelId: "us.anthropic.claude-sonnet-4-5-20250929-v1:0",
        messages,
        system: [{ text: "be brief" }],
        inferenceConfig: { maxTokens: 50, temperature: 0.2 }
      })
    )
    expect(result.output?.message?.content?.map((c: ContentBlock) => c.text).join("")).toBe("Hello there")
    expect(result.stopReason).toBe("max_tokens")
    // Bedrock's inputTokens excludes cached input: 100 in total = 30 uncached + 60 read + 10 written.
    expect(result.usage).toMatchObject({
      inputTokens: usage.inputTokens - usage.cacheReadTokens - usage.cacheWriteTokens,
      cacheReadInputTokens: usage.cacheReadTokens,
      cacheWriteInputTokens: usage.cacheWriteTokens,
      outputTokens: usage.outputTokens,
      totalTokens: usage.inputTokens + usage.outputTokens
    })
    const request = sim.requests[0]
    expect(request?.path).toBe("/model/us.anthropic.claude-sonnet-4-5-20250929-v1%3A0/converse")
    expect(request?.model).toBe("us.anthropic.claude-sonnet-4-5-20250929-v1:0")
    expect(request?.body).toMatchObject({ system: [{ text: "be brief" }], inferenceConfig: { maxTokens: 50 } })
    expect(request?.headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDSIMULATOR\//)
    expect(result.$metadata.requestId).toMatch(/^req_/)
  })

  it("streams real event-stream frames: messageStart, deltas, contentBlockStop, messageStop, metadata", async () => {
    const chunks = ["Hel", "lo ", "world"]
    sim.script({ kind: "text", text: chunks.join(""), chunks, usage: { inputTokens: 9, outputTokens: 3 } })
    const { events, text, error, response } = await collect()
    expect(error).toBeUndefined()
    expect(response.$metadata.httpStatusCode).toBe(200)
    expect(Object.keys(events[0] ?? {})).toEqual(["messageStart"])
    expect(events.filter((e) => e.contentBlockDelta).map((e) => e.contentBlockDelta?.delta?.text)).toEqual(chunks)
    expect(text).toBe("Hello world")
    expect(events.some((e) => e.contentBlockStop)).toBe(true)
    expect(events.find((e) => e.messageStop)?.messageStop?.stopReason).toBe("end_turn")
    expect(events.at(-1)?.metadata?.usage).toEqual({ inputTokens: 9, outputTokens: 3, totalTokens: 12 })
  })

  it("maps scripted finish reasons to Bedrock stop reasons", async () => {
    const cases = [
      ["stop", "end_turn"],
      ["length", "max_tokens"],
      ["tool-calls", "tool_use"],
      ["content-filter", "content_filtered"]
    ] as const
    for (const [finishReason, stopReason] of cases) {
      sim.script({ kind: "text", text: "x", finishReason })
      expect((await converse()).stopReason).toBe(stopReason)
    }
  })
})

describe("Bedrock simulator: model listing", () => {
  it("ListFoundationModels lists every model, non-text and profile-only ones included, and filters", async () => {
    const all = await control.send(new ListFoundationModelsCommand({}))
    expect(all.modelSummaries?.map((m) => m.modelId)).toEqual(defaultBedrockModels.map((m) => m.id))
    const embedding = all.modelSummaries?.find((m) => m.modelId === "amazon.titan-embed-text-v2:0")
    expect(embedding?.outputModalities).toEqual(["EMBEDDING"])
    const sonnet = all.modelSummaries?.find((m) => m.modelId === "anthropic.claude-sonnet-4-5-20250929-v1:0")
    expect(sonnet?.inferenceTypesSupported).toEqual(["INFERENCE_PROFILE"])
    expect(sonnet?.modelName).toBe("Claude Sonnet 4.5")
    const text = await control.send(new ListFoundationModelsCommand({ byOutputModality: "TEXT" }))
    expect(text.modelSummaries?.map((m) => m.modelId)).toEqual(
      defaultBedrockModels.filter((m) => m.chat !== false).map((m) => m.id)
    )
    expect(sim.requests.at(-1)?.query.get("byOutputModality")).toBe("TEXT")
  })

  it("ListInferenceProfiles pages with nextToken / maxResults until every profile is seen", async () => {
    const pages: Array<ReadonlyArray<string>> = []
    for await (const page of paginateListInferenceProfiles({ client: control, pageSize: 3 }, {})) {
      pages.push((page.inferenceProfileSummaries ?? []).map((p) => p.inferenceProfileId ?? ""))
    }
    const expected = defaultBedrockModels
      .filter((m) => m.chat !== false && /^(anthropic|amazon|meta)\./.test(m.id))
      .map((m) => `us.${m.id}`)
    expect(pages.flat()).toEqual(expected)
    expect(pages.length).toBe(Math.ceil(expected.length / 3))
    expect(sim.requests.map((r) => r.query.get("maxResults"))).toEqual(pages.map(() => "3"))
    expect(sim.requests[1]?.query.get("nextToken")).toBeTruthy()
  })

  it("profiles carry their models, status and SYSTEM_DEFINED type", async () => {
    const pages = paginateListInferenceProfiles({ client: control }, {})
    const first = (await pages.next()).value
    const profile = first?.inferenceProfileSummaries?.[0]
    expect(profile?.inferenceProfileId).toBe("us.anthropic.claude-sonnet-4-5-20250929-v1:0")
    expect(profile?.inferenceProfileName).toBe("US Claude Sonnet 4.5")
    expect(profile?.status).toBe("ACTIVE")
    expect(profile?.type).toBe("SYSTEM_DEFINED")
    expect(profile?.models?.[0]?.modelArn).toBe(
      "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-sonnet-4-5-20250929-v1:0"
    )
    expect(profile?.createdAt).toBeInstanceOf(Date)
    // The default page size is small, so the default list needs several pages.
    expect(first?.nextToken).toBeTruthy()
  })
})

describe("Bedrock simulator: HTTP faults surface as the SDK's classes", () => {
  const rows: ReadonlyArray<readonly [FaultKind, number, string, (new (...args: never) => Error) | undefined]> = [
    ["rate-limit", 429, "ThrottlingException", ThrottlingException],
    ["overloaded", 503, "ServiceUnavailableException", ServiceUnavailableException],
    ["server-error", 500, "InternalServerException", InternalServerException],
    ["unavailable", 503, "ServiceUnavailableException", ServiceUnavailableException],
    ["auth", 403, "UnrecognizedClientException", undefined], // not modelled: a generic service exception
    ["permission", 403, "AccessDeniedException", AccessDeniedException],
    ["model-not-found", 400, "ValidationException", ValidationException],
    ["context-length", 400, "ValidationException", ValidationException],
    ["invalid-request", 400, "ValidationException", ValidationException]
  ]
  for (const [fault, status, name, errorClass] of rows) {
    it(`${fault} -> ${status} ${name}`, async () => {
      sim.script({ kind: "error", fault })
      const error = await failure(() => converse())
      expect(error.name).toBe(name)
      if (errorClass) expect(error).toBeInstanceOf(errorClass)
      expect(error.$metadata?.httpStatusCode).toBe(status)
      expect(error.$metadata?.requestId).toMatch(/^req_/)
    })
  }

  it("context overflow and unknown model carry Bedrock's own messages", async () => {
    sim.script({ kind: "error", fault: "context-length" }, { kind: "error", fault: "model-not-found" })
    expect((await failure(() => converse())).message).toBe("Input is too long for requested model.")
    expect((await failure(() => converse())).message).toBe("The provided model identifier is invalid.")
  })

  it("a throttle carries retry-after when scripted", async () => {
    sim.script({ kind: "error", fault: "rate-limit", retryAfterSeconds: 7 })
    const error = await failure(() => converse())
    const headers = (error.$response as { headers: Record<string, string> }).headers
    expect(headers["retry-after"]).toBe("7")
    expect(headers["x-amzn-errortype"]).toMatch(/^ThrottlingException:/)
  })

  it("a status override and an x-amzn-errortype override select other exceptions", async () => {
    sim.script(
      { kind: "error", fault: "model-not-found", status: 404 },
      {
        kind: "error",
        fault: "rate-limit",
        message: "Model is not ready for inference.",
        headers: { "x-amzn-errortype": bedrockErrorType("ModelNotReadyException") }
      }
    )
    const notFound = await failure(() => converse())
    expect(notFound).toBeInstanceOf(ResourceNotFoundException)
    expect(notFound.$metadata?.httpStatusCode).toBe(404)
    const notReady = await failure(() => converse())
    expect(notReady).toBeInstanceOf(ModelNotReadyException)
    expect(notReady.message).toBe("Model is not ready for inference.")
  })

  it("a streamed call fails with the same typed error before any frame", async () => {
    sim.script({ kind: "error", fault: "rate-limit" })
    const error = await failure(() => collect())
    expect(error).toBeInstanceOf(ThrottlingException)
  })

  it("content filter: HTTP 200 with stopReason guardrail_intervened, plain and streamed", async () => {
    sim.script({ kind: "error", fault: "content-filter" }, { kind: "error", fault: "content-filter" })
    const plain = await converse()
    expect(plain.stopReason).toBe("guardrail_intervened")
    expect(plain.output?.message?.content?.[0]?.text).toBe("Sorry, the model cannot answer this question.")
    const streamed = await collect()
    expect(streamed.error).toBeUndefined()
    expect(streamed.events.find((e) => e.messageStop)?.messageStop?.stopReason).toBe("guardrail_intervened")
    expect(streamed.text).toBe("Sorry, the model cannot answer this question.")
  })
})

describe("Bedrock simulator: stream faults", () => {
  const rows: ReadonlyArray<readonly [FaultKind, string, new (...args: never) => Error]> = [
    ["rate-limit", "ThrottlingException", ThrottlingException],
    ["server-error", "InternalServerException", InternalServerException],
    ["unavailable", "ServiceUnavailableException", ServiceUnavailableException],
    ["overloaded", "ModelStreamErrorException", ModelStreamErrorException],
    ["invalid-request", "ValidationException", ValidationException]
  ]
  for (const [errorFault, name, errorClass] of rows) {
    it(`an exception frame (${errorFault}) throws ${name} after the earlier deltas`, async () => {
      sim.script({ kind: "stream-fault", text: "one two three four", afterChunks: 2, fault: "error-event", errorFault })
      const { text, error } = await collect()
      expect(text).toBe("one two ")
      expect(error).toBeInstanceOf(errorClass)
      expect((error as Error).name).toBe(name)
      expect((error as Error).message).toBe("The simulator injected a mid-stream error.")
    })
  }

  it("a frame with a wrong CRC fails the stream after the earlier deltas", async () => {
    sim.script({ kind: "stream-fault", text: "one two three", afterChunks: 1, fault: "malformed" })
    const { text, error } = await collect()
    expect(text).toBe("one ")
    expect((error as Error).message).toMatch(/checksum/)
  })

  it("a dropped connection fails the stream after the earlier deltas", async () => {
    sim.script({ kind: "stream-fault", text: "one two three", afterChunks: 2, fault: "drop" })
    const { text, error } = await collect()
    expect(text).toBe("one two ")
    // Node's http client reports the socket closed mid-body: no $metadata, no AWS exception class.
    expect(error).toMatchObject({ message: "aborted", code: "ECONNRESET" })
    expect(error).not.toHaveProperty("$metadata")
  })

  it("a non-streamed call sees the fault as a whole response", async () => {
    sim.script(
      { kind: "stream-fault", text: "x", afterChunks: 0, fault: "error-event", errorFault: "rate-limit" },
      { kind: "stream-fault", text: "x", afterChunks: 0, fault: "malformed" }
    )
    expect(await failure(() => converse())).toBeInstanceOf(ThrottlingException)
    const malformed = await failure(() => converse())
    expect(malformed.$metadata?.httpStatusCode).toBe(200)
    expect(malformed.name).toBe("SyntaxError")
  })

  it("an aborted stream is seen by the simulator as a closed connection", async () => {
    sim.script({ kind: "text", text: "a b c d e f", chunkDelayMs: 30 })
    const controller = new AbortController()
    const response = await runtime.send(new ConverseStreamCommand({ modelId: "amazon.nova-micro-v1:0", messages }), {
      abortSignal: controller.signal
    })
    const seen: Array<string> = []
    const error = await failure(async () => {
      for await (const event of response.stream ?? []) {
        const text = event.contentBlockDelta?.delta?.text
        if (text) seen.push(text)
        if (seen.length === 1) controller.abort()
      }
    })
    // The SDK's HTTP/1 handler destroys the response on abort; the read ends with the socket's reset,
    // not with a service exception (nothing came back from the simulator after the abort).
    expect(controller.signal.aborted).toBe(true)
    expect(error).toMatchObject({ message: "aborted", code: "ECONNRESET" })
    expect(error).not.toHaveProperty("$metadata")
    const request = sim.requests[0]
    if (!request) throw new Error("no request recorded")
    await sim.waitForAbort(request, 200)
    expect(seen).toEqual(["a "])
  })
})

// ---------------------------------------------------------------------------------------------------
// Every recorded exchange replays through the real SDK; expectations come from the recorded bodies.

const codec = new EventStreamCodec(toUtf8, fromUtf8)

interface RecordedUsage {
  readonly inputTokens?: number | undefined
  readonly outputTokens?: number | undefined
  readonly totalTokens?: number | undefined
  readonly cacheReadInputTokens?: number | undefined
  readonly cacheWriteInputTokens?: number | undefined
}

/** Text, stop reason and usage read straight from a recorded body (JSON, or event-stream frames). */
const recordedExpectation = (body: string | undefined, bodyBase64: string | undefined) => {
  if (bodyBase64 === undefined) {
    const parsed = JSON.parse(body ?? "{}") as {
      output: { message: { content: Array<{ text?: string }> } }
      stopReason: string
      usage: RecordedUsage
    }
    const text = parsed.output.message.content.map((c) => c.text ?? "").join("")
    return { text, stopReason: parsed.stopReason, usage: parsed.usage }
  }
  let bytes = Buffer.from(bodyBase64, "base64")
  let text = ""
  let stopReason = ""
  let usage: RecordedUsage = {}
  while (bytes.length > 0) {
    const length = bytes.readUInt32BE(0)
    const message = codec.decode(bytes.subarray(0, length))
    const payload = JSON.parse(toUtf8(message.body))
    const type = message.headers[":event-type"]?.value
    if (type === "contentBlockDelta") text += payload.delta.text ?? ""
    if (type === "messageStop") stopReason = payload.stopReason
    if (type === "metadata") usage = payload.usage
    bytes = bytes.subarray(length)
  }
  return { text, stopReason, usage }
}

const usageFields = (usage: RecordedUsage | undefined) => ({
  inputTokens: usage?.inputTokens,
  outputTokens: usage?.outputTokens,
  totalTokens: usage?.totalTokens,
  cacheReadInputTokens: usage?.cacheReadInputTokens,
  cacheWriteInputTokens: usage?.cacheWriteInputTokens
})

describe("Bedrock simulator: every cassette replays through the real SDK", () => {
  const cassettes = loadCassettes("bedrock")
  it("has the recorded folder", () => {
    expect(cassettes.length).toBeGreaterThan(40)
  })
  for (const cassette of cassettes) {
    it(cassette.name, async () => {
      sim.script(cassetteReply(cassette))
      const modelId = decodeURIComponent(cassette.request.path.split("/")[2] ?? "")
      if (cassette.response.status !== 200) {
        const error = await failure(() => converse(modelId))
        const recorded = JSON.parse(cassette.response.body ?? "{}") as { message: string }
        expect(error.message).toBe(recorded.message)
        expect(error.$metadata?.httpStatusCode).toBe(cassette.response.status)
        return
      }
      const expected = recordedExpectation(cassette.response.body, cassette.response.bodyBase64)
      if (cassette.request.path.endsWith("/converse-stream")) {
        const { text, events, error } = await collect(modelId)
        expect(error).toBeUndefined()
        expect(text).toBe(expected.text)
        expect(events.find((e) => e.messageStop)?.messageStop?.stopReason).toBe(expected.stopReason)
        expect(usageFields(events.find((e) => e.metadata)?.metadata?.usage)).toEqual(usageFields(expected.usage))
      } else {
        const result: ConverseCommandOutput = await converse(modelId)
        expect((result.output?.message?.content ?? []).map((c) => c.text ?? "").join("")).toBe(expected.text)
        expect(result.stopReason).toBe(expected.stopReason)
        expect(usageFields(result.usage)).toEqual(usageFields(expected.usage))
      }
      expect(sim.requests[0]?.model).toBe(modelId)
    })
  }
})
