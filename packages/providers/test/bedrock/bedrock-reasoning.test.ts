/**
 * Reasoning on Bedrock Converse, through the real SDK: every recorded answer of Claude with reasoning
 * blocks replayed plain and streamed (text in `response.reasoning`, each block with its signature or
 * redacted bytes in `reasoningParts`, read from the recorded body here); `request.reasoning` as
 * Claude's `additionalModelRequestFields.thinking` as recorded; other model families refused before any
 * network call; Bedrock's own reasoning sent back first and another provider's dropped.
 */
import { describe, expect, it } from "@effect/vitest"
import {
  type ChatRequest,
  InvalidRequestError,
  LLMProvider,
  type Message,
  type ReasoningPart
} from "@llm-orchestrator/core"
import {
  bedrockSimulator,
  type Cassette,
  cassetteReply,
  isStreamingCassette,
  loadCassettes,
  reasoningSignature,
  type Simulator
} from "@llm-orchestrator/testing"
import { Effect, Redacted, Stream } from "effect"
import { BedrockProvider } from "../../src/bedrock/bedrock.ts"

const claude = "us.anthropic.claude-sonnet-4-5-20250929-v1:0"
const ask: Message = { role: "user", content: "How do I cross the street?" }

const withProvider = <A, E>(body: (provider: LLMProvider["Service"], sim: Simulator) => Effect.Effect<A, E>) =>
  Effect.scoped(
    Effect.gen(function* () {
      const sim = yield* bedrockSimulator({ unknownModels: "answer" })
      const layer = BedrockProvider.layer({
        region: "us-east-1",
        baseUrl: sim.url,
        accessKeyId: Redacted.make("AKIDREASONING"),
        secretAccessKey: Redacted.make("reasoning-secret")
      })
      const provider = yield* Effect.provide(Effect.service(LLMProvider), layer)
      return yield* body(provider, sim)
    })
  )

interface Reasoning {
  readonly reasoningText?: { readonly text?: string; readonly signature?: string }
  readonly redactedContent?: string
  readonly text?: string
  readonly signature?: string
}

/** The payloads of an event-stream body (the test's own reading of the frames). */
const framePayloads = (body: Buffer): Array<Record<string, unknown>> => {
  const payloads: Array<Record<string, unknown>> = []
  for (let offset = 0; offset < body.length; ) {
    const total = body.readUInt32BE(offset)
    const headersLength = body.readUInt32BE(offset + 4)
    payloads.push(JSON.parse(body.toString("utf8", offset + 12 + headersLength, offset + total - 4)))
    offset += total
  }
  return payloads
}

/** The recorded reasoning blocks as reasoning parts. */
const recordedParts = (cassette: Cassette): Array<ReasoningPart> => {
  const parts: Array<ReasoningPart> = []
  if (!isStreamingCassette(cassette)) {
    const content = (
      JSON.parse(cassette.response.body ?? "{}") as {
        output?: { message?: { content?: Array<{ reasoningContent?: Reasoning }> } }
      }
    ).output?.message?.content
    for (const block of content ?? []) {
      const r = block.reasoningContent
      if (r === undefined) continue
      if (r.redactedContent !== undefined)
        parts.push({ type: "reasoning", text: "", source: "bedrock", redacted: r.redactedContent })
      else
        parts.push({
          type: "reasoning",
          text: r.reasoningText?.text ?? "",
          source: "bedrock",
          ...(r.reasoningText?.signature ? { signature: r.reasoningText.signature } : {})
        })
    }
    return parts
  }
  const open = new Map<number, { text: string; signature: string; redacted?: string }>()
  for (const payload of framePayloads(Buffer.from(cassette.response.bodyBase64 ?? "", "base64"))) {
    const index = payload.contentBlockIndex as number | undefined
    const delta = (payload.delta as { reasoningContent?: Reasoning } | undefined)?.reasoningContent
    if (index !== undefined && delta !== undefined) {
      const block = open.get(index) ?? { text: "", signature: "" }
      open.set(index, block)
      if (delta.text !== undefined) block.text += delta.text
      if (delta.signature !== undefined) block.signature += delta.signature
      if (delta.redactedContent !== undefined) block.redacted = delta.redactedContent
    } else if (index !== undefined && payload.delta === undefined && payload.start === undefined && open.has(index)) {
      const block = open.get(index)!
      open.delete(index)
      parts.push({
        type: "reasoning",
        text: block.text,
        source: "bedrock",
        ...(block.signature ? { signature: block.signature } : {}),
        ...(block.redacted !== undefined ? { redacted: block.redacted } : {})
      })
    }
  }
  return parts
}

const answers = loadCassettes("bedrock").filter((c) => c.response.status === 200)
const withReasoning = answers.filter((c) => recordedParts(c).length > 0)
const modelOf = (cassette: Cassette) => decodeURIComponent(cassette.request.path.split("/")[2] ?? "")

describe("Bedrock reasoning: every recorded answer with reasoning blocks", () => {
  it("the recordings hold reasoning answers, plain and streamed, and a redacted one", () => {
    expect(withReasoning.length).toBeGreaterThanOrEqual(5)
    expect(withReasoning.filter(isStreamingCassette).length).toBeGreaterThanOrEqual(1)
    expect(withReasoning.some((c) => recordedParts(c).some((p) => p.redacted !== undefined))).toBe(true)
  })

  for (const cassette of withReasoning)
    it.live(cassette.name, () =>
      withProvider((provider, sim) =>
        Effect.gen(function* () {
          sim.script(cassetteReply(cassette))
          const expected = recordedParts(cassette)
          const text = expected.map((p) => p.text).join("")
          const request: ChatRequest = { messages: [ask] }
          if (isStreamingCassette(cassette)) {
            const events = yield* Stream.runCollect(provider.stream(request, modelOf(cassette)))
            expect(events.flatMap((e) => (e._tag === "ReasoningDelta" ? [e.text] : [])).join("")).toBe(text)
            const finish = events.at(-1)!
            expect(finish._tag === "ProviderFinish" && finish.reasoningParts).toEqual(expected)
            return
          }
          const response = yield* provider.generate(request, modelOf(cassette))
          expect(response.reasoningParts).toEqual(expected)
          if (text !== "") expect(response.reasoning).toBe(text)
        })
      )
    )
})

describe("Bedrock reasoning: the request", () => {
  const recorded = answers.filter(
    (c) =>
      (c.request.body as { additionalModelRequestFields?: { thinking?: { type?: string } } })
        .additionalModelRequestFields?.thinking?.type === "enabled"
  )
  it("there are recorded Claude requests with thinking enabled", () => {
    expect(recorded.length).toBeGreaterThanOrEqual(3)
  })
  for (const cassette of recorded)
    it.live(`${cassette.name}: thinking as recorded`, () =>
      withProvider((provider, sim) =>
        Effect.gen(function* () {
          const fields = (
            cassette.request.body as { additionalModelRequestFields: { thinking: { budget_tokens: number } } }
          ).additionalModelRequestFields
          yield* provider.generate(
            { messages: [ask], reasoning: { budgetTokens: fields.thinking.budget_tokens } },
            modelOf(cassette)
          )
          const sent = sim.requests.at(-1)!.body as Record<string, unknown>
          expect(sent.additionalModelRequestFields).toEqual({ thinking: fields.thinking })
        })
      )
    )

  it.live("an effort gives the documented budget, and maxTokens is raised above it", () =>
    withProvider((provider, sim) =>
      Effect.gen(function* () {
        yield* provider.generate({ messages: [ask], maxTokens: 1000, reasoning: { effort: "medium" } }, claude)
        const sent = sim.requests.at(-1)!.body as Record<string, unknown>
        expect(sent.additionalModelRequestFields).toEqual({ thinking: { type: "enabled", budget_tokens: 8192 } })
        expect(sent.inferenceConfig).toEqual({ maxTokens: 9192 })
      })
    )
  )

  it.live("a model of another family and a budget under 1,024 are refused before any network call", () =>
    withProvider((provider, sim) =>
      Effect.gen(function* () {
        const nova = yield* Effect.flip(
          provider.generate({ messages: [ask], reasoning: { effort: "low" } }, "amazon.nova-lite-v1:0")
        )
        expect(nova).toBeInstanceOf(InvalidRequestError)
        expect(nova.message).toContain("request.reasoning is sent only to Claude models on Bedrock")
        const small = yield* Effect.flip(
          Stream.runDrain(provider.stream({ messages: [ask], reasoning: { budgetTokens: 800 } }, claude))
        )
        expect(small).toBeInstanceOf(InvalidRequestError)
        expect(small.message).toContain("raise budgetTokens to 1024 or more")
        expect(sim.requests).toEqual([])
      })
    )
  )

  it.live("its own reasoning goes back first in the assistant turn; another provider's is dropped", () =>
    withProvider((provider, sim) =>
      Effect.gen(function* () {
        const call = { type: "tool-call" as const, id: "tooluse_1", name: "get_weather", arguments: { city: "Paris" } }
        const history = (reasoning: ReasoningPart): ChatRequest => ({
          messages: [
            ask,
            { role: "assistant", content: [reasoning, { type: "text", text: "Checking." }, call] },
            { role: "tool", content: [{ type: "tool-result", id: "tooluse_1", name: "get_weather", result: "21 C" }] }
          ],
          tools: [{ name: "get_weather", parameters: { type: "object", properties: {} } }],
          reasoning: { effort: "low" }
        })
        yield* provider.generate(
          history({
            type: "reasoning",
            text: "Think.",
            source: "bedrock",
            signature: reasoningSignature("bedrock", "Think.")
          }),
          claude
        )
        const own = sim.requests.at(-1)!.body as {
          messages: Array<{ content: Array<Record<string, unknown>> }>
          additionalModelRequestFields?: unknown
        }
        expect(own.messages[1]!.content[0]).toEqual({
          reasoningContent: { reasoningText: { text: "Think.", signature: reasoningSignature("bedrock", "Think.") } }
        })
        expect(own.additionalModelRequestFields).toEqual({ thinking: { type: "enabled", budget_tokens: 2048 } })
        yield* provider.generate(
          history({ type: "reasoning", text: "Think.", source: "anthropic", signature: "c2ln" }),
          claude
        )
        const foreign = sim.requests.at(-1)!.body as {
          messages: Array<{ content: Array<Record<string, unknown>> }>
          additionalModelRequestFields?: unknown
        }
        expect(foreign.messages[1]!.content.map((b) => Object.keys(b)[0])).toEqual(["text", "toolUse"])
        // Claude with thinking on refuses a tool turn without reasoning first: thinking stays off.
        expect(foreign.additionalModelRequestFields).toBeUndefined()
      })
    )
  )
})

describe("Bedrock reasoning against the simulator's Claude rules", () => {
  const thought = "Call the weather tool."
  const part: ReasoningPart = {
    type: "reasoning",
    text: thought,
    source: "bedrock",
    signature: reasoningSignature("bedrock", thought)
  }
  const weather = { name: "get_weather", parameters: { type: "object", properties: { city: { type: "string" } } } }

  for (const streamed of [false, true])
    it.live(
      `a two-step tool loop with thinking: the signed reasoning goes back and is accepted (${streamed ? "streamed" : "plain"})`,
      () =>
        withProvider((provider, sim) =>
          Effect.gen(function* () {
            sim.script({
              kind: "text",
              text: "",
              reasoning: thought,
              toolCalls: [{ id: "tooluse_1", name: "get_weather", arguments: { city: "Paris" } }]
            })
            const request: ChatRequest = { messages: [ask], tools: [weather], reasoning: { effort: "low" } }
            let parts: ReadonlyArray<ReasoningPart>
            if (streamed) {
              const events = yield* Stream.runCollect(provider.stream(request, claude))
              expect(events.flatMap((e) => (e._tag === "ReasoningDelta" ? [e.text] : [])).join("")).toBe(thought)
              const finish = events.at(-1)!
              parts = finish._tag === "ProviderFinish" ? (finish.reasoningParts ?? []) : []
            } else {
              const response = yield* provider.generate(request, claude)
              expect(response.reasoning).toBe(thought)
              parts = response.reasoningParts ?? []
            }
            expect(parts).toEqual([part])
            sim.script({ kind: "text", text: "21 C." })
            const second = yield* provider.generate(
              {
                ...request,
                messages: [
                  ask,
                  {
                    role: "assistant",
                    content: [
                      ...parts,
                      { type: "tool-call", id: "tooluse_1", name: "get_weather", arguments: { city: "Paris" } }
                    ]
                  },
                  {
                    role: "tool",
                    content: [{ type: "tool-result", id: "tooluse_1", name: "get_weather", result: "21 C" }]
                  }
                ]
              },
              claude
            )
            expect(second.content).toBe("21 C.")
            const sent = sim.requests.at(-1)!.body as { additionalModelRequestFields?: unknown }
            expect(sent.additionalModelRequestFields).toEqual({ thinking: { type: "enabled", budget_tokens: 2048 } })
          })
        )
    )

  it.live(
    "the simulator refuses another provider's signature, a tool turn without reasoning while thinking is on, a small budget",
    () =>
      withProvider((_provider, sim) =>
        Effect.gen(function* () {
          const send = (body: Record<string, unknown>) =>
            Effect.promise(() =>
              fetch(`${sim.url}/model/${encodeURIComponent(claude)}/converse`, {
                method: "POST",
                headers: { "content-type": "application/json" },
                body: JSON.stringify(body)
              }).then(async (response) => ({ status: response.status, text: await response.text() }))
            )
          const turn = (first: Record<string, unknown>, budget = 2048) => ({
            messages: [
              { role: "user", content: [{ text: "Hi" }] },
              { role: "assistant", content: [first, { toolUse: { toolUseId: "t1", name: "get_weather", input: {} } }] },
              { role: "user", content: [{ toolResult: { toolUseId: "t1", content: [{ text: "21 C" }] } }] }
            ],
            toolConfig: { tools: [{ toolSpec: { name: "get_weather", inputSchema: { json: { type: "object" } } } }] },
            additionalModelRequestFields: { thinking: { type: "enabled", budget_tokens: budget } }
          })
          const foreign = yield* send(
            turn({
              reasoningContent: {
                reasoningText: { text: thought, signature: reasoningSignature("anthropic", thought) }
              }
            })
          )
          expect(foreign.status).toBe(400)
          expect(foreign.text).toContain("Invalid `signature`")
          const bare = yield* send(turn({ text: "Checking." }))
          expect(bare.status).toBe(400)
          expect(bare.text).toContain("must start with a thinking block")
          const small = yield* send(
            turn({ reasoningContent: { reasoningText: { text: thought, signature: part.signature } } }, 512)
          )
          expect(small.status).toBe(400)
          expect(small.text).toContain("greater than or equal to 1024")
          const valid = yield* send(
            turn({ reasoningContent: { reasoningText: { text: thought, signature: part.signature } } })
          )
          expect(valid.status).toBe(200)
        })
      )
  )
})
