/**
 * Reasoning on the OpenAI wires, through the real `openai` SDK against the simulator: `request.reasoning`
 * as Chat's `reasoning_effort` and Responses' `reasoning: { effort, summary: "auto" }` with the encrypted
 * content included; Responses' reasoning summary returned as `response.reasoning` with its item id and
 * encrypted content in `reasoningParts`, plain and streamed; those items sent back before the message of a
 * tool loop (the simulator verifies the encrypted content) and another provider's reasoning dropped; and
 * every recorded Responses answer with a reasoning summary replayed (expected values read from the body).
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "@effect/vitest"
import { type ChatRequest, LLMProvider, type Message, type ReasoningPart } from "@llm-orchestrator/core"
import {
  cassetteReply,
  isStreamingCassette,
  loadCassettes,
  reasoningSignature,
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
beforeEach(() => {
  sim.reset()
})

const layer = (api: "chat" | "responses") =>
  OpenAIProvider.layer({ apiKey: Redacted.make("sk-test-reasoning"), baseUrl: `${sim.url}/v1`, api })
const generate = (api: "chat" | "responses", request: ChatRequest) =>
  LLMProvider.use((p) => p.generate(request, "gpt-5")).pipe(Effect.provide(layer(api)))
const stream = (api: "chat" | "responses", request: ChatRequest) =>
  LLMProvider.use((p) => Stream.runCollect(p.stream(request, "gpt-5"))).pipe(Effect.provide(layer(api)))
const lastBody = () => sim.requests.at(-1)!.body as Record<string, unknown>

const ask: Message = { role: "user", content: "How do I cross the street?" }
const thought = "Safety first: look both ways."

describe("OpenAI reasoning: the request", () => {
  const efforts: ReadonlyArray<[ChatRequest["reasoning"], string]> = [
    [{ effort: "low" }, "low"],
    [{ effort: "high" }, "high"],
    // a budget becomes the smallest effort whose documented budget covers it
    [{ budgetTokens: 2048 }, "low"],
    [{ budgetTokens: 5000 }, "medium"],
    [{ budgetTokens: 30_000 }, "high"]
  ]
  for (const [reasoning, effort] of efforts) {
    it.effect(`Chat: ${JSON.stringify(reasoning)} as reasoning_effort ${effort}`, () =>
      Effect.gen(function* () {
        yield* generate("chat", { messages: [ask], ...(reasoning ? { reasoning } : {}) })
        expect(lastBody().reasoning_effort).toBe(effort)
      })
    )
    it.effect(`Responses: ${JSON.stringify(reasoning)} as reasoning.effort ${effort} with a summary`, () =>
      Effect.gen(function* () {
        yield* generate("responses", { messages: [ask], ...(reasoning ? { reasoning } : {}) })
        expect(lastBody().reasoning).toEqual({ effort, summary: "auto" })
        expect(lastBody().include).toEqual(["reasoning.encrypted_content"])
      })
    )
  }

  it.effect("no reasoning: neither field is sent", () =>
    Effect.gen(function* () {
      yield* generate("chat", { messages: [ask] })
      expect("reasoning_effort" in lastBody()).toBe(false)
      yield* generate("responses", { messages: [ask] })
      expect("reasoning" in lastBody()).toBe(false)
      expect("include" in lastBody()).toBe(false)
    })
  )
})

describe("OpenAI Responses reasoning: the answer and the history", () => {
  const expectedPart = (id: string): ReasoningPart => ({
    type: "reasoning",
    text: thought,
    source: "openai",
    id,
    signature: reasoningSignature("openai", thought)
  })

  it.effect("plain: the summary in response.reasoning, the item in reasoningParts", () =>
    Effect.gen(function* () {
      sim.script({ kind: "text", text: "Look both ways.", reasoning: thought })
      const response = yield* generate("responses", { messages: [ask], reasoning: { effort: "low" } })
      expect(response.content).toBe("Look both ways.")
      expect(response.reasoning).toBe(thought)
      expect(response.reasoningParts).toEqual([expectedPart(response.reasoningParts![0]!.id!)])
      expect(response.reasoningParts![0]!.id).toMatch(/^rs_/)
    })
  )

  it.effect("streamed: summary deltas before the text, the item on the finish", () =>
    Effect.gen(function* () {
      sim.script({ kind: "text", text: "Look both ways.", reasoning: thought })
      const events = yield* stream("responses", { messages: [ask], reasoning: { effort: "low" } })
      expect(events.flatMap((e) => (e._tag === "ReasoningDelta" ? [e.text] : [])).join("")).toBe(thought)
      const firstText = events.findIndex((e) => e._tag === "TextDelta")
      expect(events.findLastIndex((e) => e._tag === "ReasoningDelta")).toBeLessThan(firstText)
      const finish = events.at(-1)!
      expect(finish._tag === "ProviderFinish" && finish.reasoningParts?.[0]?.text).toBe(thought)
    })
  )

  const weather = { name: "get_weather", parameters: { type: "object", properties: { city: { type: "string" } } } }
  const history = (part: ReasoningPart): ChatRequest => ({
    messages: [
      ask,
      {
        role: "assistant",
        content: [part, { type: "tool-call", id: "call_1", name: "get_weather", arguments: { city: "Paris" } }]
      },
      { role: "tool", content: [{ type: "tool-result", id: "call_1", name: "get_weather", result: "21 C" }] }
    ],
    tools: [weather],
    reasoning: { effort: "low" }
  })

  it.effect("its own reasoning item goes back before the calls, as the API gave it", () =>
    Effect.gen(function* () {
      yield* generate("responses", history(expectedPart("rs_123")))
      const input = lastBody().input as Array<Record<string, unknown>>
      expect(input[1]).toEqual({
        type: "reasoning",
        id: "rs_123",
        summary: [{ type: "summary_text", text: thought }],
        encrypted_content: reasoningSignature("openai", thought)
      })
      expect(input.slice(2).map((item) => item.type ?? item.role)).toEqual([
        "assistant",
        "function_call",
        "function_call_output"
      ])
    })
  )

  it.effect("the simulator refuses encrypted content it did not give, as the API does", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(
        generate(
          "responses",
          history({ ...expectedPart("rs_123"), signature: reasoningSignature("anthropic", thought) })
        )
      )
      expect(error._tag).toBe("InvalidRequestError")
      expect(error.message).toContain("could not be verified")
    })
  )

  it.effect("another provider's reasoning is dropped, on both APIs", () =>
    Effect.gen(function* () {
      const foreign: ReasoningPart = {
        type: "reasoning",
        text: "Claude thought",
        source: "anthropic",
        signature: "c2ln"
      }
      yield* generate("responses", history(foreign))
      expect(JSON.stringify(lastBody())).not.toContain("Claude thought")
      yield* generate("chat", history(foreign))
      expect(JSON.stringify(lastBody())).not.toContain("Claude thought")
    })
  )
})

interface OutputItem {
  type: string
  id?: string
  summary?: Array<{ text: string }>
  encrypted_content?: string | null
}

/** The recorded reasoning items (plain body, or the completed response of a stream) as reasoning parts. */
const recordedParts = (body: string): Array<ReasoningPart> => {
  let output: Array<OutputItem> = []
  if (body.trimStart().startsWith("{")) output = (JSON.parse(body) as { output?: Array<OutputItem> }).output ?? []
  else
    for (const line of body.split("\n"))
      if (line.startsWith("data:") && line.includes('"response.completed"'))
        output = (JSON.parse(line.slice(5)) as { response: { output: Array<OutputItem> } }).response.output
  return output.flatMap(
    (item): Array<ReasoningPart> =>
      item.type === "reasoning"
        ? [
            {
              type: "reasoning",
              text: (item.summary ?? []).map((s) => s.text).join("\n\n"),
              source: "openai",
              id: item.id!,
              ...(item.encrypted_content ? { signature: item.encrypted_content } : {})
            }
          ]
        : []
  )
}

const recorded = loadCassettes("openai-responses").filter(
  (c) => c.response.status === 200 && recordedParts(c.response.body ?? "").length > 0
)

describe("OpenAI Responses reasoning: every recorded answer with reasoning items", () => {
  it("the recordings hold reasoning items, with and without summaries, plain and streamed", () => {
    expect(recorded.length).toBeGreaterThanOrEqual(10)
    expect(recorded.some((c) => recordedParts(c.response.body ?? "").every((p) => p.text === ""))).toBe(true)
    expect(recorded.filter(isStreamingCassette).length).toBeGreaterThanOrEqual(1)
  })
  for (const cassette of recorded)
    it.effect(cassette.name, () =>
      Effect.gen(function* () {
        sim.script(cassetteReply(cassette))
        const expected = recordedParts(cassette.response.body ?? "")
        const text = expected.map((p) => p.text).join("")
        if (isStreamingCassette(cassette)) {
          const events = yield* stream("responses", { messages: [ask] })
          const finish = events.at(-1)!
          expect(finish._tag === "ProviderFinish" && finish.reasoningParts).toEqual(expected)
          const deltas = events.flatMap((e) => (e._tag === "ReasoningDelta" ? [e.text] : [])).join("")
          expect(deltas).toBe(text)
          return
        }
        const response = yield* generate("responses", { messages: [ask] })
        expect(response.reasoningParts).toEqual(expected)
        // Reasoning with no summary (encrypted only) has no text to show.
        if (text === "") expect("reasoning" in response).toBe(false)
        else expect(response.reasoning).toBe(text)
      })
    )
})

describe("OpenAI reasoning on a model that does not reason", () => {
  for (const api of ["chat", "responses"] as const)
    it.effect(`${api}: the API's 400 comes back as InvalidRequestError, tried once`, () =>
      Effect.gen(function* () {
        const error = yield* Effect.flip(
          LLMProvider.use((p) => p.generate({ messages: [ask], reasoning: { effort: "low" } }, "gpt-4o-mini")).pipe(
            Effect.provide(layer(api))
          )
        )
        expect(error._tag).toBe("InvalidRequestError")
        expect(error.message).toContain("is not supported with this model")
        expect(sim.requests.filter((r) => r.kind !== "models")).toHaveLength(1)
      })
    )
})
