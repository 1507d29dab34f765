/**
 * The Bedrock provider layer, through the real AWS SDKs, against the Bedrock simulator: calls, streams,
 * listing, every error row Bedrock can produce, cut and malformed streams, interruption, timeouts,
 * credentials and config, usage normalisation, and every recorded cassette.
 */

import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { describe, expect, it } from "@effect/vitest"
import {
  type ChatRequest,
  ConfigError,
  LLMProvider,
  type ProviderStreamEvent,
  type Usage
} from "@llm-orchestrator/core"
import {
  bedrockErrorType,
  bedrockEventFrame,
  bedrockSimulator,
  defaultBedrockModels,
  type FaultKind,
  type Reply,
  type Simulator
} from "@llm-orchestrator/testing"
import { ConfigProvider, Effect, Layer, Redacted, Stream } from "effect"
import { type BedrockOptions, BedrockProvider } from "../../src/bedrock/bedrock.ts"
import type { BedrockSettings } from "../../src/bedrock/type.ts"

// The parsed YAML config must be accepted as is by the layer.
const configFits = (config: BedrockSettings): BedrockOptions => config
void configFits

const accessKeyId = "AKIDBEDROCKTEST"
const secretAccessKey = "bedrock-test-secret-access-key"
const staticKeys = { accessKeyId: Redacted.make(accessKeyId), secretAccessKey: Redacted.make(secretAccessKey) }

const hello: ChatRequest = { messages: [{ role: "user", content: "Say hello" }] }
const model = "us.anthropic.claude-sonnet-4-5-20250929-v1:0"

/** Runs `body` with a fresh simulator and the provider layer pointed at it. */
const withBedrock = <A, E>(
  body: (sim: Simulator) => Effect.Effect<A, E, LLMProvider>,
  options: Partial<BedrockOptions> = {}
) =>
  Effect.gen(function* () {
    const sim = yield* bedrockSimulator()
    return yield* body(sim).pipe(
      Effect.provide(BedrockProvider.layer({ region: "us-east-1", baseUrl: sim.url, ...staticKeys, ...options }))
    )
  })

/** All events of a stream, and its error when it fails. */
const drain = (stream: Stream.Stream<ProviderStreamEvent, unknown>) =>
  Effect.gen(function* () {
    const events: Array<ProviderStreamEvent> = []
    const error = yield* stream.pipe(
      Stream.runForEach((event) => Effect.sync(() => events.push(event))),
      Effect.match({ onFailure: (e) => e, onSuccess: () => undefined })
    )
    const text = events.flatMap((e) => (e._tag === "TextDelta" ? [e.text] : [])).join("")
    return { events, error, text }
  })

const fullUsage = (usage: Partial<Usage>): Usage => ({
  inputTokens: 0,
  outputTokens: 0,
  cacheReadTokens: 0,
  cacheWriteTokens: 0,
  reasoningTokens: 0,
  ...usage
})

describe("BedrockProvider: calls", () => {
  it.live("generate: text, finish reason, normalised usage and request id", () =>
    withBedrock((sim) =>
      Effect.gen(function* () {
        const usage = { inputTokens: 120, outputTokens: 9, cacheReadTokens: 80, cacheWriteTokens: 15 }
        sim.script({ kind: "text", text: "Hello there!", usage, finishReason: "length" })
        const llm = yield* LLMProvider
        const response = yield* llm.generate(
          {
            messages: [
              { role: "system", content: "Be brief." },
              {
                role: "user",
                content: [
                  { type: "text", text: "Say " },
                  { type: "text", text: "hello" }
                ]
              },
              { role: "user", content: "twice" },
              { role: "assistant", content: "Hello!" },
              { role: "user", content: "" },
              { role: "user", content: "Again" }
            ],
            maxTokens: 64,
            temperature: 0.3,
            topP: 0.9,
            stop: ["END"]
          },
          model
        )
        expect(response).toMatchObject({
          content: "Hello there!",
          provider: "bedrock",
          model,
          finishReason: "length",
          usage: fullUsage(usage)
        })
        expect(response.requestId).toMatch(/^req_/)
        const request = sim.requests[0]
        expect(request?.path).toBe(`/model/${encodeURIComponent(model)}/converse`)
        expect(request?.body).toEqual({
          system: [{ text: "Be brief." }],
          messages: [
            { role: "user", content: [{ text: "Say hello" }, { text: "twice" }] },
            { role: "assistant", content: [{ text: "Hello!" }] },
            { role: "user", content: [{ text: "Again" }] }
          ],
          inferenceConfig: { maxTokens: 64, temperature: 0.3, topP: 0.9, stopSequences: ["END"] }
        })
        expect(String(request?.headers.authorization)).toContain(`Credential=${accessKeyId}/`)
      })
    )
  )

  it.live("stream: deltas, a usage snapshot, then exactly one ProviderFinish; same usage as generate", () =>
    withBedrock((sim) =>
      Effect.gen(function* () {
        const chunks = ["Hel", "lo, ", "wor", "ld"]
        const reply: Reply = {
          kind: "text",
          text: chunks.join(""),
          chunks,
          usage: { inputTokens: 50, outputTokens: 4, cacheReadTokens: 20 }
        }
        sim.script(reply, reply)
        const llm = yield* LLMProvider
        const { events, error } = yield* drain(llm.stream(hello, model))
        expect(error).toBeUndefined()
        expect(events.filter((e) => e._tag === "TextDelta").map((e) => e.text)).toEqual(chunks)
        const finishes = events.filter((e) => e._tag === "ProviderFinish")
        expect(finishes.length).toBe(1)
        expect(events.at(-1)?._tag).toBe("ProviderFinish")
        const snapshot = events.find((e) => e._tag === "UsageSnapshot")
        const expected = fullUsage({ inputTokens: 50, outputTokens: 4, cacheReadTokens: 20 })
        expect(snapshot?._tag === "UsageSnapshot" && snapshot.usage).toEqual(expected)
        expect(finishes[0]).toMatchObject({ finishReason: "stop", usage: expected, model })
        expect(finishes[0]?.requestId).toMatch(/^req_/)
        const plain = yield* llm.generate(hello, model)
        expect(plain.usage).toEqual(expected)
        expect(plain.content).toBe(chunks.join(""))
        expect(sim.requests.map((r) => r.kind)).toEqual(["stream", "generate"])
      })
    )
  )

  it.live("finish reasons: tool use, content filter, other, guardrail intervention", () =>
    withBedrock((sim) =>
      Effect.gen(function* () {
        const llm = yield* LLMProvider
        sim.script({ kind: "text", text: "", finishReason: "tool-calls" })
        expect((yield* llm.generate(hello, model)).finishReason).toBe("tool-calls")
        sim.script({ kind: "text", text: "x", finishReason: "content-filter" })
        expect((yield* llm.generate(hello, model)).finishReason).toBe("content-filter")
        sim.script({ kind: "text", text: "x", finishReason: "other" }) // malformed_model_output on the wire
        expect((yield* llm.generate(hello, model)).finishReason).toBe("other")
        sim.script({ kind: "error", fault: "content-filter" })
        const blocked = yield* llm.generate(hello, model)
        expect(blocked).toMatchObject({
          finishReason: "content-filter",
          content: "Sorry, the model cannot answer this question."
        })
        sim.script({ kind: "error", fault: "content-filter", message: "Blocked by guardrail." })
        const streamed = yield* drain(llm.stream(hello, model))
        expect(streamed.text).toBe("Blocked by guardrail.")
        expect(streamed.events.at(-1)).toMatchObject({ _tag: "ProviderFinish", finishReason: "content-filter" })
      })
    )
  )
})

describe("BedrockProvider: listModels", () => {
  it.live("text models callable on demand, plus inference profiles, through every page", () =>
    withBedrock((sim) =>
      Effect.gen(function* () {
        const llm = yield* LLMProvider
        const models = yield* llm.listModels
        const onDemand = defaultBedrockModels.filter((m) => m.chat !== false && !m.inferenceProfileOnly)
        const profiled = defaultBedrockModels.filter((m) => m.chat !== false && /^(anthropic|amazon|meta)\./.test(m.id))
        expect(models.map((m) => m.id).sort()).toEqual(
          [...onDemand.map((m) => m.id), ...profiled.map((m) => `us.${m.id}`)].sort()
        )
        // Profile-only models are never listed under their bare id; non-text models never.
        expect(models.some((m) => m.id === "anthropic.claude-sonnet-4-5-20250929-v1:0")).toBe(false)
        expect(models.some((m) => m.id.includes("titan-embed") || m.id.includes("stable-image"))).toBe(false)
        expect(models.find((m) => m.id === "us.anthropic.claude-sonnet-4-5-20250929-v1:0")).toEqual({
          id: "us.anthropic.claude-sonnet-4-5-20250929-v1:0",
          provider: "bedrock",
          displayName: "US Claude Sonnet 4.5"
        })
        expect(models.find((m) => m.id === "amazon.nova-micro-v1:0")?.displayName).toBe("Nova Micro")
        const profilePages = sim.requests.filter((r) => r.path === "/inference-profiles")
        expect(profilePages.length).toBe(Math.ceil(profiled.length / 5))
        expect(profilePages[1]?.query.get("nextToken")).toBeTruthy()
        expect(sim.requests.filter((r) => r.path === "/foundation-models").length).toBe(1)
      })
    )
  )
})

describe("BedrockProvider: errors", () => {
  const requestId = "4b1c5a1e-0000-4000-8000-bedrock00001"
  const rows: ReadonlyArray<{
    readonly name: string
    readonly reply: Reply
    readonly tag: string
    readonly status: number
    readonly retryAfterMs?: number
  }> = [
    {
      name: "ThrottlingException + retry-after",
      reply: { kind: "error", fault: "rate-limit", retryAfterSeconds: 7 },
      tag: "RateLimitError",
      status: 429,
      retryAfterMs: 7000
    },
    {
      name: "ModelNotReadyException",
      reply: {
        kind: "error",
        fault: "rate-limit",
        headers: { "x-amzn-errortype": bedrockErrorType("ModelNotReadyException") }
      },
      tag: "RateLimitError",
      status: 429
    },
    {
      name: "ServiceUnavailableException",
      reply: { kind: "error", fault: "unavailable" },
      tag: "ProviderUnavailableError",
      status: 503
    },
    {
      name: "overloaded (503)",
      reply: { kind: "error", fault: "overloaded" },
      tag: "ProviderUnavailableError",
      status: 503
    },
    {
      name: "InternalServerException",
      reply: { kind: "error", fault: "server-error" },
      tag: "ProviderUnavailableError",
      status: 500
    },
    {
      name: "ModelErrorException",
      reply: { kind: "error", fault: "server-error", status: 424, message: "The model failed." },
      tag: "ProviderUnavailableError",
      status: 424
    },
    {
      name: "ModelTimeoutException",
      reply: { kind: "error", fault: "server-error", status: 408, message: "Model timed out." },
      tag: "TimeoutError",
      status: 408
    },
    {
      name: "UnrecognizedClientException",
      reply: { kind: "error", fault: "auth" },
      tag: "AuthenticationError",
      status: 403
    },
    {
      name: "AccessDeniedException",
      reply: { kind: "error", fault: "permission" },
      tag: "AuthenticationError",
      status: 403
    },
    {
      name: "ExpiredTokenException",
      reply: {
        kind: "error",
        fault: "auth",
        message: "The security token included in the request is expired",
        headers: { "x-amzn-errortype": bedrockErrorType("ExpiredTokenException") }
      },
      tag: "AuthenticationError",
      status: 403
    },
    {
      name: "ValidationException: model identifier is invalid",
      reply: { kind: "error", fault: "model-not-found" },
      tag: "ModelNotFoundError",
      status: 400
    },
    {
      name: "ValidationException: on-demand throughput isn't supported",
      reply: {
        kind: "error",
        fault: "invalid-request",
        message:
          "Invocation of model ID anthropic.claude-sonnet-4-5-20250929-v1:0 with on-demand throughput isn't supported. Retry your request with the ID or ARN of an inference profile that contains this model."
      },
      tag: "ModelNotFoundError",
      status: 400
    },
    {
      name: "ResourceNotFoundException",
      reply: { kind: "error", fault: "model-not-found", status: 404, message: "Model not found." },
      tag: "ModelNotFoundError",
      status: 404
    },
    {
      name: "ValidationException: Input is too long",
      reply: { kind: "error", fault: "context-length" },
      tag: "ContextLengthExceededError",
      status: 400
    },
    {
      name: "ValidationException: prompt is too long (Anthropic wording)",
      reply: { kind: "error", fault: "invalid-request", message: "prompt is too long: 215000 tokens > 200000 maximum" },
      tag: "ContextLengthExceededError",
      status: 400
    },
    {
      name: "ValidationException: max_tokens exceeds the context window",
      reply: {
        kind: "error",
        fault: "invalid-request",
        message: "The model returned the following errors: input length and `max_tokens` exceed context limit"
      },
      tag: "ContextLengthExceededError",
      status: 400
    },
    {
      name: "ValidationException: other",
      reply: { kind: "error", fault: "invalid-request" },
      tag: "InvalidRequestError",
      status: 400
    }
  ]
  for (const row of rows) {
    it.live(`${row.name} -> ${row.tag}`, () =>
      withBedrock((sim) =>
        Effect.gen(function* () {
          const reply =
            row.reply.kind === "error"
              ? { ...row.reply, headers: { ...row.reply.headers, "x-amzn-requestid": requestId } }
              : row.reply
          sim.script(reply, reply)
          const llm = yield* LLMProvider
          for (const error of [
            yield* Effect.flip(llm.generate(hello, model)),
            (yield* drain(llm.stream(hello, model))).error
          ]) {
            expect(error).toMatchObject({ _tag: row.tag, provider: "bedrock", model, status: row.status, requestId })
            const retryAfterMs = (error as { retryAfterMs?: number }).retryAfterMs
            expect(retryAfterMs).toBe(row.retryAfterMs)
          }
        })
      )
    )
  }

  it.live("secrets echoed by the service never reach the error message", () =>
    withBedrock(
      (sim) =>
        Effect.gen(function* () {
          sim.script({
            kind: "error",
            fault: "auth",
            message: `The key ${accessKeyId} with secret ${secretAccessKey} is bad`
          })
          const error = yield* Effect.flip((yield* LLMProvider).generate(hello, model))
          expect(error._tag).toBe("AuthenticationError")
          expect(error.message).not.toContain(secretAccessKey)
          expect(error.message).not.toContain(accessKeyId)
          expect(error.message).toContain("[redacted]")
        }),
      { sessionToken: Redacted.make("session-token-value") }
    )
  )

  // Fault -> the simulator's exception frame (see simulator/bedrock.ts) -> the expected error.
  const midStream: ReadonlyArray<readonly [FaultKind, string, string]> = [
    ["rate-limit", "throttlingException", "RateLimitError"],
    ["server-error", "internalServerException", "ProviderUnavailableError"],
    ["unavailable", "serviceUnavailableException", "ProviderUnavailableError"],
    ["overloaded", "modelStreamErrorException", "ProviderUnavailableError"],
    ["invalid-request", "validationException", "InvalidRequestError"]
  ]
  for (const [errorFault, frame, expectedTag] of midStream) {
    it.live(`a mid-stream ${frame} frame fails the stream with ${expectedTag} after the text`, () =>
      withBedrock((sim) =>
        Effect.gen(function* () {
          sim.script({
            kind: "stream-fault",
            text: "one two three four",
            afterChunks: 2,
            fault: "error-event",
            errorFault
          })
          const { events, error, text } = yield* drain((yield* LLMProvider).stream(hello, model))
          expect(text).toBe("one two ")
          expect(events.some((e) => e._tag === "ProviderFinish")).toBe(false)
          expect(error).toMatchObject({ _tag: expectedTag, provider: "bedrock", model })
          expect((error as { requestId?: string }).requestId).toMatch(/^req_/)
          expect((error as { message: string }).message).toContain("The simulator injected a mid-stream error.")
        })
      )
    )
  }

  it.live("a dropped connection: NetworkError after the text (stream) and at once (generate)", () =>
    withBedrock((sim) =>
      Effect.gen(function* () {
        sim.script(
          { kind: "stream-fault", text: "one two three", afterChunks: 2, fault: "drop" },
          { kind: "stream-fault", text: "one two three", afterChunks: 0, fault: "drop" }
        )
        const llm = yield* LLMProvider
        const streamed = yield* drain(llm.stream(hello, model))
        expect(streamed.text).toBe("one two ")
        expect(streamed.error).toMatchObject({ _tag: "NetworkError", provider: "bedrock" })
        expect((yield* Effect.flip(llm.generate(hello, model)))._tag).toBe("NetworkError")
      })
    )
  )

  it.live("a stream that ends cleanly but early (no messageStop, or no usage metadata) is a NetworkError", () =>
    withBedrock((sim) =>
      Effect.gen(function* () {
        const start = bedrockEventFrame("messageStart", { role: "assistant" })
        const delta = bedrockEventFrame("contentBlockDelta", { contentBlockIndex: 0, delta: { text: "partial" } })
        const stop = bedrockEventFrame("messageStop", { stopReason: "end_turn" })
        const truncated = (frames: ReadonlyArray<Uint8Array>): Reply => ({
          kind: "cassette",
          status: 200,
          headers: { "content-type": "application/vnd.amazon.eventstream" },
          bodyBase64: Buffer.concat(frames).toString("base64")
        })
        sim.script(truncated([start, delta]), truncated([start, delta, stop]))
        const llm = yield* LLMProvider
        for (const missing of ["messageStop", "usage metadata"]) {
          const { text, error, events } = yield* drain(llm.stream(hello, model))
          expect(text).toBe("partial")
          expect(events.some((e) => e._tag === "ProviderFinish")).toBe(false)
          expect(error).toMatchObject({ _tag: "NetworkError", provider: "bedrock", model })
          expect((error as { message: string }).message).toContain(missing)
        }
      })
    )
  )

  it.live("a malformed frame (bad CRC) and an unreadable body are typed NetworkErrors, not defects", () =>
    withBedrock((sim) =>
      Effect.gen(function* () {
        sim.script(
          { kind: "stream-fault", text: "one two three", afterChunks: 1, fault: "malformed" },
          { kind: "stream-fault", text: "one two three", afterChunks: 0, fault: "malformed" }
        )
        const llm = yield* LLMProvider
        const streamed = yield* drain(llm.stream(hello, model))
        expect(streamed.text).toBe("one ")
        expect(streamed.error).toMatchObject({ _tag: "NetworkError" })
        expect((streamed.error as { message: string }).message).toMatch(/checksum/)
        const plain = yield* Effect.flip(llm.generate(hello, model))
        expect(plain._tag).toBe("NetworkError")
      })
    )
  )

  it.live("a refused connection is a NetworkError", () =>
    Effect.gen(function* () {
      const sim = yield* bedrockSimulator()
      const url = sim.url
      yield* Effect.promise(() => sim.close())
      const error = yield* Effect.flip(
        LLMProvider.use((llm) => llm.generate(hello, model)).pipe(
          Effect.provide(BedrockProvider.layer({ region: "us-east-1", baseUrl: url, ...staticKeys }))
        )
      )
      expect(error).toMatchObject({ _tag: "NetworkError", provider: "bedrock" })
      expect(error.message).toContain("ECONNREFUSED")
    })
  )
})

describe("BedrockProvider: cancellation and timeouts", () => {
  it.live("stopping a stream after one delta closes the HTTP request at once", () =>
    withBedrock((sim) =>
      Effect.gen(function* () {
        sim.script({ kind: "text", text: "a b c d e f g h", chunkDelayMs: 40 })
        const taken = yield* (yield* LLMProvider).stream(hello, model).pipe(
          Stream.filter((e) => e._tag === "TextDelta"),
          Stream.take(1),
          Stream.runCollect
        )
        expect(taken).toEqual([{ _tag: "TextDelta", text: "a " }])
        const request = sim.requests[0]
        if (!request) throw new Error("no request recorded")
        yield* Effect.promise(() => sim.waitForAbort(request, 50))
      })
    )
  )

  it.live("a hanging call times out with TimeoutError and the request is aborted (plain and streamed)", () =>
    withBedrock(
      (sim) =>
        Effect.gen(function* () {
          sim.script({ kind: "hang" }, { kind: "hang" })
          const llm = yield* LLMProvider
          const plain = yield* Effect.flip(llm.generate(hello, model))
          expect(plain).toMatchObject({ _tag: "TimeoutError", timeoutMs: 150, provider: "bedrock", model })
          const first = sim.requests[0]
          if (!first) throw new Error("no request recorded")
          yield* Effect.promise(() => sim.waitForAbort(first, 50))
          const streamed = yield* drain(llm.stream(hello, model))
          expect(streamed.error).toMatchObject({ _tag: "TimeoutError", timeoutMs: 150 })
          const second = sim.requests[1]
          if (!second) throw new Error("no second request recorded")
          yield* Effect.promise(() => sim.waitForAbort(second, 50))
        }),
      { timeoutMs: 150 }
    )
  )

  it.live("interrupting a plain call aborts the request", () =>
    withBedrock((sim) =>
      Effect.gen(function* () {
        sim.script({ kind: "hang" })
        const llm = yield* LLMProvider
        const result = yield* llm.generate(hello, model).pipe(Effect.timeoutOption(100))
        expect(result._tag).toBe("None")
        const request = sim.requests[0]
        if (!request) throw new Error("no request recorded")
        yield* Effect.promise(() => sim.waitForAbort(request, 50))
      })
    )
  )
})

/** Sets environment variables for the rest of the test's scope, restoring them afterwards. */
const withEnv = (values: Readonly<Record<string, string>>) =>
  Effect.acquireRelease(
    Effect.sync(() => {
      const saved = Object.fromEntries(Object.keys(values).map((name) => [name, process.env[name]]))
      Object.assign(process.env, values)
      return saved
    }),
    (saved) =>
      Effect.sync(() => {
        for (const [name, value] of Object.entries(saved)) {
          if (value === undefined) delete process.env[name]
          else process.env[name] = value
        }
      })
  )

describe("BedrockProvider: config and credentials", () => {
  const buildError = (options: BedrockOptions) =>
    Effect.flip(Layer.build(BedrockProvider.layer(options)).pipe(Effect.scoped))

  it.live("a missing region is a ConfigError that says what to set", () =>
    Effect.gen(function* () {
      const error = yield* buildError({ region: "" })
      expect(error).toBeInstanceOf(ConfigError)
      expect(error).toMatchObject({ path: "providers.bedrock.region" })
      expect(error.message).toContain("set providers.bedrock.region or AWS_REGION")
    })
  )

  it.live("half a pair of static keys is a ConfigError", () =>
    Effect.gen(function* () {
      const error = yield* buildError({ region: "us-east-1", accessKeyId: Redacted.make(accessKeyId) })
      expect(error).toMatchObject({ _tag: "ConfigError", path: "providers.bedrock.secret_access_key" })
      expect(error.message).not.toContain(accessKeyId)
    })
  )

  it.live("a base_url without a scheme is a ConfigError", () =>
    Effect.gen(function* () {
      const error = yield* buildError({ region: "us-east-1", baseUrl: "127.0.0.1:8080" })
      expect(error).toMatchObject({ _tag: "ConfigError", path: "providers.bedrock.base_url" })
    })
  )

  it.live("no credentials anywhere: the default chain fails as AuthenticationError, nothing is sent", () =>
    Effect.gen(function* () {
      const sim = yield* bedrockSimulator()
      const error = yield* Effect.flip(
        LLMProvider.use((llm) => llm.generate(hello, model)).pipe(
          Effect.provide(BedrockProvider.layer({ region: "us-east-1", baseUrl: sim.url }))
        )
      )
      expect(error).toMatchObject({ _tag: "AuthenticationError", provider: "bedrock" })
      expect(sim.requests).toEqual([])
    })
  )

  it.live("an unknown named profile fails as AuthenticationError", () =>
    Effect.gen(function* () {
      const sim = yield* bedrockSimulator()
      const error = yield* Effect.flip(
        LLMProvider.use((llm) => llm.listModels).pipe(
          Effect.provide(BedrockProvider.layer({ region: "us-east-1", baseUrl: sim.url, profile: "no-such-profile" }))
        )
      )
      expect(error).toMatchObject({ _tag: "AuthenticationError", provider: "bedrock" })
      expect(error.message).toContain('AWS profile "no-such-profile"')
      expect(sim.requests).toEqual([])
    })
  )

  it.live("a named profile's keys are used (a throwaway shared-credentials file, never a real one)", () =>
    Effect.gen(function* () {
      const sim = yield* bedrockSimulator()
      const dir = yield* Effect.acquireRelease(
        Effect.sync(() => mkdtempSync(join(tmpdir(), "bedrock-profile-"))),
        (path) => Effect.sync(() => rmSync(path, { recursive: true, force: true }))
      )
      const credentialsFile = join(dir, "credentials")
      writeFileSync(
        credentialsFile,
        "[bedrock-test]\naws_access_key_id = AKIDFROMPROFILE\naws_secret_access_key = secret-from-profile\n"
      )
      yield* withEnv({ AWS_SHARED_CREDENTIALS_FILE: credentialsFile, AWS_CONFIG_FILE: join(dir, "config") })
      sim.script({ kind: "text", text: "via profile" })
      const response = yield* LLMProvider.use((llm) => llm.generate(hello, model)).pipe(
        Effect.provide(BedrockProvider.layer({ region: "us-west-2", baseUrl: sim.url, profile: "bedrock-test" }))
      )
      expect(response.content).toBe("via profile")
      expect(String(sim.requests[0]?.headers.authorization)).toMatch(/Credential=AKIDFROMPROFILE\/\d{8}\/us-west-2\//)
    })
  )

  it.live("layerConfig: a missing AWS_REGION / AWS_DEFAULT_REGION is the same ConfigError", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(
        Layer.build(BedrockProvider.layerConfig).pipe(
          Effect.scoped,
          Effect.provide(ConfigProvider.layer(ConfigProvider.fromUnknown({})))
        )
      )
      expect(error.message).toContain("set providers.bedrock.region or AWS_REGION")
    })
  )

  it.live("layerConfig: AWS_DEFAULT_REGION + BEDROCK_BASE_URL, keys from the default chain's environment", () =>
    Effect.gen(function* () {
      const sim = yield* bedrockSimulator()
      yield* withEnv({ AWS_ACCESS_KEY_ID: "AKIDFROMENVIRONMENT", AWS_SECRET_ACCESS_KEY: "secret-from-environment" })
      sim.script({ kind: "text", text: "from env" })
      const response = yield* LLMProvider.use((llm) => llm.generate(hello, model)).pipe(
        Effect.provide(BedrockProvider.layerConfig),
        Effect.provide(
          ConfigProvider.layer(
            ConfigProvider.fromUnknown({
              AWS_DEFAULT_REGION: "eu-west-1",
              BEDROCK_BASE_URL: sim.url,
              BEDROCK_TIMEOUT_MS: 5000
            })
          )
        )
      )
      expect(response.content).toBe("from env")
      expect(String(sim.requests[0]?.headers.authorization)).toMatch(
        /Credential=AKIDFROMENVIRONMENT\/\d{8}\/eu-west-1\/bedrock\//
      )
    })
  )
})
