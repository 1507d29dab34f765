/**
 * Reasoning on Gemini and Vertex, through the real `@google/genai` SDK against the simulators (which
 * check thought signatures as Gemini 3 does): `request.reasoning` as `thinkingConfig` with the thoughts
 * included (a level on Gemini 3, a budget on earlier models), thought summaries returned as
 * `response.reasoning` with the turn's thoughtSignature in `reasoningParts`, plain and streamed; a
 * two-step tool loop sending the signature back on the function call; another provider's reasoning
 * dropped (a call it made gets Google's placeholder); and the recorded thinking answers replayed.
 */
import { describe, expect, it } from "@effect/vitest"
import { type ChatRequest, LLMProvider, type Message, type ReasoningPart } from "@llm-orchestrator/core"
import { GeminiProvider, VertexProvider } from "@llm-orchestrator/providers"
import {
  cassetteReply,
  geminiSimulator,
  isStreamingCassette,
  loadCassettes,
  reasoningSignature,
  type Simulator,
  vertexSimulator
} from "@llm-orchestrator/testing"
import { Effect, Redacted, Stream } from "effect"
import { OAuth2Client } from "google-auth-library"

const flavors = [
  {
    name: "gemini",
    simulator: geminiSimulator,
    layer: (sim: Simulator) => GeminiProvider.layer({ apiKey: Redacted.make("AIzaSy-reasoning"), baseUrl: sim.url })
  },
  {
    name: "vertex",
    simulator: vertexSimulator,
    layer: (sim: Simulator) => {
      const authClient = new OAuth2Client()
      authClient.setCredentials({ access_token: "ya29.reasoning-test" })
      return VertexProvider.layer({
        project: "acme-prod",
        location: "us-central1",
        baseUrl: sim.url,
        googleAuthOptions: { authClient }
      })
    }
  }
] as const

const ask: Message = { role: "user", content: "Weather in Paris?" }
const thought = "I should call the weather tool."
const weather = { name: "get_weather", parameters: { type: "object", properties: { city: { type: "string" } } } }
const sentConfig = (sim: Simulator) =>
  (sim.requests.at(-1)!.body as { generationConfig?: Record<string, unknown> }).generationConfig ?? {}

for (const flavor of flavors) {
  const withProvider = <A, E>(body: (provider: LLMProvider["Service"], sim: Simulator) => Effect.Effect<A, E>) =>
    Effect.scoped(
      Effect.gen(function* () {
        const sim = yield* flavor.simulator()
        const provider = yield* Effect.provide(Effect.service(LLMProvider), flavor.layer(sim))
        return yield* body(provider, sim)
      })
    )

  describe(`${flavor.name} reasoning`, () => {
    const configs: ReadonlyArray<[string, string, ChatRequest["reasoning"], unknown]> = [
      [
        "an effort on Gemini 3",
        "gemini-3-pro-preview",
        { effort: "high" },
        { includeThoughts: true, thinkingLevel: "HIGH" }
      ],
      [
        "an effort on Gemini 2.5",
        "gemini-2.5-flash",
        { effort: "medium" },
        { includeThoughts: true, thinkingBudget: 8192 }
      ],
      [
        "a budget on Gemini 3",
        "gemini-3-pro-preview",
        { budgetTokens: 3000 },
        { includeThoughts: true, thinkingBudget: 3000 }
      ]
    ]
    for (const [name, model, reasoning, expected] of configs)
      it.live(`${name} reaches the wire as thinkingConfig`, () =>
        withProvider((provider, sim) =>
          Effect.gen(function* () {
            yield* provider.generate({ messages: [ask], ...(reasoning ? { reasoning } : {}) }, model)
            expect(sentConfig(sim).thinkingConfig).toEqual(expected)
          })
        )
      )

    it.live("no reasoning: no thinkingConfig", () =>
      withProvider((provider, sim) =>
        Effect.gen(function* () {
          yield* provider.generate({ messages: [ask] }, "gemini-2.5-flash")
          expect("thinkingConfig" in sentConfig(sim)).toBe(false)
        })
      )
    )

    const part: ReasoningPart = {
      type: "reasoning",
      text: thought,
      source: flavor.name,
      signature: reasoningSignature(flavor.name, thought)
    }

    it.live("plain and streamed: the thoughts in response.reasoning, the signature in reasoningParts", () =>
      withProvider((provider, sim) =>
        Effect.gen(function* () {
          sim.script({ kind: "text", text: "Sunny.", reasoning: thought })
          const response = yield* provider.generate(
            { messages: [ask], reasoning: { effort: "low" } },
            "gemini-3-pro-preview"
          )
          expect(response.content).toBe("Sunny.")
          expect(response.reasoning).toBe(thought)
          expect(response.reasoningParts).toEqual([part])
          sim.script({ kind: "text", text: "Sunny.", reasoning: thought })
          const events = yield* Stream.runCollect(
            provider.stream({ messages: [ask], reasoning: { effort: "low" } }, "gemini-3-pro-preview")
          )
          expect(events.flatMap((e) => (e._tag === "ReasoningDelta" ? [e.text] : [])).join("")).toBe(thought)
          expect(events.flatMap((e) => (e._tag === "TextDelta" ? [e.text] : [])).join("")).toBe("Sunny.")
          expect(events.findIndex((e) => e._tag === "ReasoningDelta")).toBeLessThan(
            events.findIndex((e) => e._tag === "TextDelta")
          )
          const finish = events.at(-1)!
          expect(finish._tag === "ProviderFinish" && finish.reasoningParts).toEqual([part])
        })
      )
    )

    for (const streamed of [false, true])
      it.live(
        `a two-step tool loop on Gemini 3 sends the signature back on the call (${streamed ? "streamed" : "plain"})`,
        () =>
          withProvider((provider, sim) =>
            Effect.gen(function* () {
              sim.script({
                kind: "text",
                text: "",
                reasoning: thought,
                toolCalls: [{ id: "c1", name: "get_weather", arguments: { city: "Paris" } }]
              })
              const request: ChatRequest = { messages: [ask], tools: [weather], reasoning: { effort: "low" } }
              let parts: ReadonlyArray<ReasoningPart>
              if (streamed) {
                const events = yield* Stream.runCollect(provider.stream(request, "gemini-3-pro-preview"))
                const finish = events.at(-1)!
                parts = finish._tag === "ProviderFinish" ? (finish.reasoningParts ?? []) : []
              } else parts = (yield* provider.generate(request, "gemini-3-pro-preview")).reasoningParts ?? []
              expect(parts).toEqual([part])
              sim.script({ kind: "text", text: "21 C in Paris." })
              const second = yield* provider.generate(
                {
                  ...request,
                  messages: [
                    ask,
                    {
                      role: "assistant",
                      content: [
                        ...parts,
                        { type: "tool-call", id: "c1", name: "get_weather", arguments: { city: "Paris" } }
                      ]
                    },
                    { role: "tool", content: [{ type: "tool-result", id: "c1", name: "get_weather", result: "21 C" }] }
                  ]
                },
                "gemini-3-pro-preview"
              )
              expect(second.content).toBe("21 C in Paris.")
              const contents = (
                sim.requests.at(-1)!.body as { contents: Array<{ parts: Array<Record<string, unknown>> }> }
              ).contents
              expect(contents[1]!.parts[0]!.thoughtSignature).toBe(part.signature)
            })
          )
      )

    it.live(
      "Gemini 3 refuses a call turn without its signature, as the API does; another provider's reasoning gets the placeholder",
      () =>
        withProvider((provider, sim) =>
          Effect.gen(function* () {
            const history = (reasoning: ReadonlyArray<ReasoningPart>): ChatRequest => ({
              messages: [
                ask,
                {
                  role: "assistant",
                  content: [...reasoning, { type: "tool-call", id: "c1", name: "get_weather", arguments: {} }]
                },
                { role: "tool", content: [{ type: "tool-result", id: "c1", name: "get_weather", result: "21 C" }] }
              ],
              tools: [weather]
            })
            // A signature of another provider type is dropped; the call gets Google's placeholder.
            const foreign: ReasoningPart = {
              type: "reasoning",
              text: "Claude",
              source: "anthropic",
              signature: reasoningSignature("anthropic", "Claude")
            }
            yield* provider.generate(history([foreign]), "gemini-3-pro-preview")
            const sent = sim.requests.at(-1)!.body as { contents: Array<{ parts: Array<Record<string, unknown>> }> }
            expect(sent.contents[1]!.parts[0]!.thoughtSignature).toBe("skip_thought_signature_validator")
            expect(JSON.stringify(sent)).not.toContain("Claude")
            // The simulator checks what the API checks: a wrong signature is refused.
            const raw = yield* Effect.flip(
              provider.generate(history([{ ...foreign, source: flavor.name }]), "gemini-3-pro-preview")
            )
            expect(raw._tag).toBe("InvalidRequestError")
            expect(raw.message).toContain("Corrupted thought signature")
          })
        )
    )
  })
}

/** The recorded thoughts and signature of a Gemini answer (plain JSON or SSE frames), read here. */
const recordedReasoning = (body: string): { text: string; signature: string | undefined } => {
  const frames = body.trimStart().startsWith("{")
    ? [JSON.parse(body)]
    : body
        .split("\n")
        .filter((line) => line.startsWith("data:"))
        .map((line) => JSON.parse(line.slice(5)))
  let text = ""
  let signature: string | undefined
  for (const frame of frames as Array<{ candidates?: Array<{ content?: { parts?: Array<Record<string, unknown>> } }> }>)
    for (const part of frame.candidates?.[0]?.content?.parts ?? []) {
      if (part.thought === true && typeof part.text === "string") text += part.text
      if (typeof part.thoughtSignature === "string") signature ??= part.thoughtSignature
    }
  return { text, signature }
}

const recorded = [...loadCassettes("gemini"), ...loadCassettes("vertex")].filter((c) => {
  if (c.response.status !== 200) return false
  const { text, signature } = recordedReasoning(c.response.body ?? "")
  return text !== "" || signature !== undefined
})

describe("Gemini and Vertex reasoning: every recorded answer with thoughts or a thought signature", () => {
  // None of them streams (the streamed thought-signature recording has its signature in the request):
  // streamed thoughts are covered against the simulators above.
  it("the recordings hold such answers", () => {
    expect(recorded.length).toBeGreaterThanOrEqual(3)
  })
  for (const cassette of recorded) {
    const flavor = flavors.find((f) => f.name === cassette.folder)!
    it.live(cassette.name, () =>
      Effect.scoped(
        Effect.gen(function* () {
          const sim = yield* flavor.simulator()
          const provider = yield* Effect.provide(Effect.service(LLMProvider), flavor.layer(sim))
          sim.script(cassetteReply(cassette))
          const { text, signature } = recordedReasoning(cassette.response.body ?? "")
          const expected = [
            { type: "reasoning", text, source: flavor.name, ...(signature !== undefined ? { signature } : {}) }
          ]
          if (isStreamingCassette(cassette)) {
            const events = yield* Stream.runCollect(provider.stream({ messages: [ask] }, "gemini-2.5-pro"))
            expect(events.flatMap((e) => (e._tag === "ReasoningDelta" ? [e.text] : [])).join("")).toBe(text)
            const finish = events.at(-1)!
            expect(finish._tag === "ProviderFinish" && finish.reasoningParts).toEqual(expected)
            return
          }
          const response = yield* provider.generate({ messages: [ask] }, "gemini-2.5-pro")
          expect(response.reasoningParts).toEqual(expected)
          if (text !== "") expect(response.reasoning).toBe(text)
        })
      )
    )
  }
})
