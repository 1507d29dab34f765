/**
 * Prompt caching on the Anthropic wire, through the real `@anthropic-ai/sdk` and the simulator:
 * `providerOptions.anthropic.cacheControl` becomes `cache_control` on the marked block, tool, system
 * block or the whole request (plain and streamed); Bedrock's options in the same request are not sent;
 * a request without markers keeps its plain shape; and the simulator refuses markers as the API does.
 */
import { describe, expect, it } from "@effect/vitest"
import { type ChatRequest, LLMProvider } from "@llm-orchestrator/core"
import { AnthropicProvider } from "@llm-orchestrator/providers"
import { anthropicSimulator, type Simulator } from "@llm-orchestrator/testing"
import { Effect, Redacted, Stream } from "effect"

const model = "claude-sonnet-4-5-20250929"
const fiveMinutes = { type: "ephemeral" } as const
const oneHour = { type: "ephemeral", ttl: "1h" } as const
const point = { cachePoint: { type: "default" } } as const
const tool = { name: "lookup", description: "Looks up a word.", parameters: { type: "object", properties: {} } }

const withAnthropic = <A, E>(body: (sim: Simulator, llm: LLMProvider["Service"]) => Effect.Effect<A, E>) =>
  Effect.scoped(
    Effect.gen(function* () {
      const sim = yield* anthropicSimulator()
      const llm = yield* Effect.provide(
        Effect.service(LLMProvider),
        AnthropicProvider.layer({ apiKey: Redacted.make("sk-ant-test-0000"), baseUrl: sim.url })
      )
      return yield* body(sim, llm)
    })
  )

/** Markers for both providers at every level: 4 Anthropic breakpoints, 1-hour ones first. */
const marked: ChatRequest = {
  messages: [
    {
      role: "system",
      content: "You answer from the glossary.",
      providerOptions: { anthropic: { cacheControl: oneHour }, bedrock: point }
    },
    {
      role: "user",
      content: [
        {
          type: "text",
          text: "The glossary: ...",
          providerOptions: { anthropic: { cacheControl: fiveMinutes }, bedrock: point }
        },
        { type: "text", text: "What is a lemma?" }
      ]
    }
  ],
  tools: [{ ...tool, providerOptions: { anthropic: { cacheControl: oneHour }, bedrock: point } }],
  providerOptions: { anthropic: { cacheControl: { type: "ephemeral", ttl: "5m" } } }
}

const expectedWire = {
  tools: [
    {
      name: "lookup",
      description: "Looks up a word.",
      input_schema: { type: "object", properties: {} },
      cache_control: oneHour
    }
  ],
  system: [{ type: "text", text: "You answer from the glossary.", cache_control: oneHour }],
  messages: [
    {
      role: "user",
      content: [
        { type: "text", text: "The glossary: ...", cache_control: fiveMinutes },
        { type: "text", text: "What is a lemma?" }
      ]
    }
  ],
  cache_control: { type: "ephemeral", ttl: "5m" }
}

describe("Anthropic: cache markers on the wire", () => {
  for (const streamed of [false, true])
    it.live(
      `every level's marker where Anthropic reads it, Bedrock's left out (${streamed ? "streamed" : "plain"})`,
      () =>
        withAnthropic((sim, llm) =>
          Effect.gen(function* () {
            sim.script({ kind: "text", text: "A headword." })
            if (streamed) yield* Stream.runDrain(llm.stream(marked, model))
            else yield* llm.generate(marked, model)
            const body = sim.requests[0]!.body as Record<string, unknown>
            expect(body).toMatchObject(expectedWire)
            expect(body.stream === true).toBe(streamed)
            expect(JSON.stringify(body)).not.toContain("cachePoint")
          })
        )
    )

  it.live(
    "a message's marker goes on its last block: a tool call, a tool result, a user text joining the results",
    () =>
      withAnthropic((sim, llm) =>
        Effect.gen(function* () {
          sim.script({ kind: "text", text: "Done." })
          const call = { id: "toolu_01", name: "lookup", arguments: { word: "lemma" } }
          yield* llm.generate(
            {
              messages: [
                { role: "user", content: "Look up lemma." },
                {
                  role: "assistant",
                  content: [
                    { type: "text", text: "Looking." },
                    { type: "tool-call", ...call }
                  ],
                  providerOptions: { anthropic: { cacheControl: fiveMinutes } }
                },
                {
                  role: "tool",
                  content: [{ type: "tool-result", id: "toolu_01", name: "lookup", result: "a headword" }],
                  providerOptions: { anthropic: { cacheControl: fiveMinutes } }
                },
                { role: "user", content: "Thanks.", providerOptions: { anthropic: { cacheControl: fiveMinutes } } }
              ],
              tools: [tool]
            },
            model
          )
          const body = sim.requests[0]!.body as { messages: ReadonlyArray<{ content: unknown }> }
          expect(body.messages[1]!.content).toEqual([
            { type: "text", text: "Looking." },
            { type: "tool_use", id: "toolu_01", name: "lookup", input: { word: "lemma" }, cache_control: fiveMinutes }
          ])
          expect(body.messages[2]!.content).toEqual([
            { type: "tool_result", tool_use_id: "toolu_01", content: "a headword", cache_control: fiveMinutes },
            { type: "text", text: "Thanks.", cache_control: fiveMinutes }
          ])
        })
      )
  )

  it.live("a request without Anthropic markers keeps its plain shape (system and content as strings)", () =>
    withAnthropic((sim, llm) =>
      Effect.gen(function* () {
        sim.script({ kind: "text", text: "Hi." })
        yield* llm.generate(
          {
            messages: [
              { role: "system", content: "Be brief.", providerOptions: { bedrock: point } },
              { role: "user", content: "Hello", providerOptions: { bedrock: point } }
            ]
          },
          model
        )
        const body = sim.requests[0]!.body as Record<string, unknown>
        expect(body.system).toBe("Be brief.")
        expect(body.messages).toEqual([{ role: "user", content: "Hello" }])
        expect(body).not.toHaveProperty("cache_control")
      })
    )
  )

  it.live("1-hour cache writes come back apart from 5-minute ones, plain and streamed", () =>
    withAnthropic((sim, llm) =>
      Effect.gen(function* () {
        const usage = { inputTokens: 2_000, cacheWriteTokens: 1_500, cacheWrite1hTokens: 1_000, outputTokens: 5 }
        sim.script({ kind: "text", text: "A.", usage }, { kind: "text", text: "A.", usage })
        const plain = yield* llm.generate(marked, model)
        const events = yield* Stream.runCollect(llm.stream(marked, model))
        const finish = [...events].find((e) => e._tag === "ProviderFinish")
        for (const got of [plain.usage, finish?._tag === "ProviderFinish" ? finish.usage : undefined])
          expect(got).toEqual({
            inputTokens: 2_000,
            outputTokens: 5,
            cacheReadTokens: 0,
            cacheWriteTokens: 1_500,
            cacheWrite1hTokens: 1_000,
            reasoningTokens: 0
          })
      })
    )
  )
})

describe("the Anthropic simulator checks cache markers as the API does", () => {
  const post = (sim: Simulator, body: Record<string, unknown>) =>
    Effect.promise(() =>
      fetch(`${sim.url}/v1/messages`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: "Bearer sk-ant-test-0000" },
        body: JSON.stringify({ model, max_tokens: 100, ...body })
      }).then(async (r) => ({ status: r.status, body: (await r.json()) as { error?: { message: string } } }))
    )
  const blocks = (n: number, cache_control: unknown) =>
    Array.from({ length: n }, (_, i) => ({ type: "text", text: `part ${i}`, cache_control }))

  const cases: ReadonlyArray<[string, Record<string, unknown>, number, string?]> = [
    ["4 blocks", { messages: [{ role: "user", content: blocks(4, fiveMinutes) }] }, 200],
    [
      "5 blocks",
      { messages: [{ role: "user", content: blocks(5, fiveMinutes) }] },
      400,
      "A maximum of 4 blocks with cache_control may be provided. Found 5."
    ],
    [
      "4 blocks and the top-level one",
      { messages: [{ role: "user", content: blocks(4, fiveMinutes) }], cache_control: fiveMinutes },
      400,
      "A maximum of 4 blocks with cache_control may be provided. Found 5."
    ],
    [
      "a ttl of 2h",
      { messages: [{ role: "user", content: blocks(1, { type: "ephemeral", ttl: "2h" }) }] },
      400,
      "messages.0.content.0.cache_control.ephemeral.ttl: Input should be '5m' or '1h'"
    ],
    [
      "a 1h block after a 5m tool",
      {
        tools: [{ name: "t", input_schema: { type: "object" }, cache_control: fiveMinutes }],
        messages: [{ role: "user", content: blocks(1, oneHour) }]
      },
      400,
      "messages.0.content.0.cache_control.ttl: a ttl='1h' cache_control block must not come after a ttl='5m' cache_control block. Note that blocks are processed in the following order: `tools`, `system`, `messages`."
    ],
    [
      "1h on the system before 5m in messages",
      {
        system: [{ type: "text", text: "s", cache_control: oneHour }],
        messages: [{ role: "user", content: blocks(1, fiveMinutes) }]
      },
      200
    ]
  ]
  for (const [what, body, status, message] of cases)
    it.live(what, () =>
      Effect.scoped(
        Effect.gen(function* () {
          const sim = yield* anthropicSimulator()
          const answer = yield* post(sim, body)
          expect(answer.status).toBe(status)
          if (message !== undefined) expect(answer.body.error?.message).toBe(message)
        })
      )
    )
})
