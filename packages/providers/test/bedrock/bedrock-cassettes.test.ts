/**
 * Every recorded Bedrock exchange (packages/testing/cassettes/bedrock) replayed through the provider layer
 * and the real SDK. The expected text, finish reason and normalised usage are computed here from the
 * recorded bodies (JSON, or event-stream frames decoded by hand), never copied from the adapter.
 */
import { describe, expect, it } from "@effect/vitest"
import { type FinishReason, LLMProvider, type ProviderStreamEvent, type Usage } from "@llm-orchestrator/core"
import { bedrockSimulator, cassetteReply, loadCassettes } from "@llm-orchestrator/testing"
import { Effect, Redacted, Stream } from "effect"
import { BedrockProvider } from "../../src/bedrock/bedrock.ts"

interface RecordedUsage {
  readonly inputTokens: number
  readonly outputTokens: number
  readonly totalTokens: number
  readonly cacheReadInputTokens?: number
  readonly cacheWriteInputTokens?: number
}

/** The events of an `application/vnd.amazon.eventstream` body: [event type, JSON payload]. */
const decodeFrames = (body: Buffer): ReadonlyArray<readonly [string, Record<string, unknown>]> => {
  const frames: Array<readonly [string, Record<string, unknown>]> = []
  for (let offset = 0; offset < body.length; ) {
    const total = body.readUInt32BE(offset)
    const headersLength = body.readUInt32BE(offset + 4)
    const headers = new Map<string, string>()
    for (let at = offset + 12; at < offset + 12 + headersLength; ) {
      const nameLength = body.readUInt8(at)
      const name = body.toString("utf8", at + 1, at + 1 + nameLength)
      at += 1 + nameLength + 1 // name, then the value type (7 = string: all Bedrock headers)
      const valueLength = body.readUInt16BE(at)
      headers.set(name, body.toString("utf8", at + 2, at + 2 + valueLength))
      at += 2 + valueLength
    }
    const payload = body.toString("utf8", offset + 12 + headersLength, offset + total - 4)
    frames.push([headers.get(":event-type") ?? "", JSON.parse(payload)])
    offset += total
  }
  return frames
}

/** The recorded answer: text blocks only (reasoning and tool use are not text), stop reason, usage. */
const recorded = (body: string | undefined, bodyBase64: string | undefined) => {
  if (bodyBase64 === undefined) {
    const parsed = JSON.parse(body ?? "{}") as {
      output: { message: { content: Array<{ text?: string }> } }
      stopReason: string
      usage: RecordedUsage
    }
    return {
      text: parsed.output.message.content.map((block) => block.text ?? "").join(""),
      stopReason: parsed.stopReason,
      usage: parsed.usage
    }
  }
  let text = ""
  let stopReason = ""
  let usage: RecordedUsage | undefined
  for (const [type, payload] of decodeFrames(Buffer.from(bodyBase64, "base64"))) {
    if (type === "contentBlockDelta") text += (payload.delta as { text?: string }).text ?? ""
    if (type === "messageStop") stopReason = payload.stopReason as string
    if (type === "metadata") usage = payload.usage as RecordedUsage
  }
  if (!usage) throw new Error("the recorded stream has no metadata frame")
  return { text, stopReason, usage }
}

// Bedrock stop reasons -> the domain's finish reasons.
const expectedFinish: Record<string, FinishReason> = {
  end_turn: "stop",
  stop_sequence: "stop",
  max_tokens: "length",
  model_context_window_exceeded: "length",
  tool_use: "tool-calls",
  content_filtered: "content-filter",
  guardrail_intervened: "content-filter"
}

/** Bedrock's inputTokens excludes the cached part; the domain counts every input token once. */
const expectedUsage = (usage: RecordedUsage): Usage => {
  const cacheReadTokens = usage.cacheReadInputTokens ?? 0
  const cacheWriteTokens = usage.cacheWriteInputTokens ?? 0
  // The recorded total is the sum of the recorded parts: the usage below leaves no recorded token out.
  expect(usage.inputTokens + cacheReadTokens + cacheWriteTokens + usage.outputTokens, "parts vs totalTokens").toBe(
    usage.totalTokens
  )
  return {
    inputTokens: usage.inputTokens + cacheReadTokens + cacheWriteTokens,
    outputTokens: usage.outputTokens,
    cacheReadTokens,
    cacheWriteTokens,
    reasoningTokens: 0
  }
}

const cassettes = loadCassettes("bedrock")

describe("BedrockProvider replays every recorded exchange", () => {
  it("the cache cassette shows inputTokens excludes cache reads (totalTokens adds them up)", () => {
    const cache = cassettes.find((c) => c.name === "test_bedrock_cache_usage_includes_cache_tokens__0")
    const usage = recorded(cache?.response.body, undefined).usage
    expect(usage.cacheReadInputTokens).toBeGreaterThan(usage.inputTokens)
    expect(usage.inputTokens + (usage.cacheReadInputTokens ?? 0) + usage.outputTokens).toBe(usage.totalTokens)
  })

  for (const cassette of cassettes) {
    it.live(cassette.name, () =>
      Effect.gen(function* () {
        const sim = yield* bedrockSimulator()
        sim.script(cassetteReply(cassette))
        const model = decodeURIComponent(cassette.request.path.split("/")[2] ?? "")
        const request = { messages: [{ role: "user" as const, content: "replay" }] }
        yield* Effect.gen(function* () {
          const llm = yield* LLMProvider
          if (cassette.response.status !== 200) {
            const error = yield* Effect.flip(llm.generate(request, model))
            const message = (JSON.parse(cassette.response.body ?? "{}") as { message: string }).message
            // The only recorded error is Bedrock's answer to an unknown model id.
            expect(message).toMatch(/model identifier is invalid/)
            expect(error).toMatchObject({ _tag: "ModelNotFoundError", status: cassette.response.status, model })
            expect(error.message).toContain(message)
            return
          }
          const expected = recorded(cassette.response.body, cassette.response.bodyBase64)
          const finishReason = expectedFinish[expected.stopReason] ?? "other"
          if (cassette.request.path.endsWith("/converse-stream")) {
            const events: ReadonlyArray<ProviderStreamEvent> = yield* Stream.runCollect(llm.stream(request, model))
            const text = events.flatMap((e) => (e._tag === "TextDelta" ? [e.text] : [])).join("")
            expect(text).toBe(expected.text)
            expect(events.at(-1)).toMatchObject({
              _tag: "ProviderFinish",
              finishReason,
              usage: expectedUsage(expected.usage),
              model
            })
            expect(events.filter((e) => e._tag === "ProviderFinish").length).toBe(1)
          } else {
            const response = yield* llm.generate(request, model)
            expect(response).toMatchObject({
              content: expected.text,
              finishReason,
              usage: expectedUsage(expected.usage),
              model,
              provider: "bedrock"
            })
          }
        }).pipe(
          Effect.provide(
            BedrockProvider.layer({
              region: "us-east-1",
              baseUrl: sim.url,
              accessKeyId: Redacted.make("AKIDCASSETTE"),
              secretAccessKey: Redacted.make("cassette-secret")
            })
          )
        )
      })
    )
  }
})

// The simulator renders usage as the adapter's inverse, so a wrong rule shared by both passes the
// simulator-based tests; here the expectation is read from the bytes served (`expectedUsage`).
describe("usage is what the served body says by Bedrock's rule, not what the simulator was told", () => {
  it.live("Converse", () =>
    Effect.gen(function* () {
      const sim = yield* bedrockSimulator()
      const model = "anthropic.claude-sonnet-4-5-20250929-v1:0"
      const reply = {
        kind: "text",
        text: "counted",
        usage: { inputTokens: 1_000, cacheReadTokens: 600, cacheWriteTokens: 150, outputTokens: 40 }
      } as const
      sim.script(reply, reply)
      const served = yield* Effect.promise(() =>
        fetch(`${sim.url}/model/${encodeURIComponent(model)}/converse`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ messages: [{ role: "user", content: [{ text: "hi" }] }] })
        }).then((r) => r.json() as Promise<{ usage: RecordedUsage }>)
      )
      // Bedrock's inputTokens leave out cache reads and writes (1000 - 600 - 150); totalTokens has them.
      expect(served.usage).toMatchObject({ inputTokens: 250, cacheReadInputTokens: 600, totalTokens: 1_040 })
      const response = yield* LLMProvider.use((llm) =>
        llm.generate({ messages: [{ role: "user", content: "hi" }] }, model)
      ).pipe(
        Effect.provide(
          BedrockProvider.layer({
            region: "us-east-1",
            baseUrl: sim.url,
            accessKeyId: Redacted.make("AKIDSERVED"),
            secretAccessKey: Redacted.make("served-secret")
          })
        )
      )
      expect(response.usage).toEqual(expectedUsage(served.usage))
    })
  )
})
