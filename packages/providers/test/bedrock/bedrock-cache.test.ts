/**
 * Prompt caching on the Converse wire, through the real `@aws-sdk/client-bedrock-runtime` and the
 * simulator: `providerOptions.bedrock.cachePoint` becomes a `cachePoint` block after the marked part,
 * message or system text, and a cachePoint entry after the marked tool (plain and streamed); Anthropic's
 * options in the same request are not sent; and the simulator refuses cache points as Bedrock does.
 */
import { describe, expect, it } from "@effect/vitest"
import { type ChatRequest, LLMProvider } from "@llm-orchestrator/core"
import { bedrockSimulator, type Simulator } from "@llm-orchestrator/testing"
import { Effect, Redacted, Stream } from "effect"
import { BedrockProvider } from "../../src/bedrock/bedrock.ts"

const claude = "us.anthropic.claude-sonnet-4-5-20250929-v1:0"
const point = { cachePoint: { type: "default" } } as const
const cache = { cacheControl: { type: "ephemeral" } } as const
const both = { anthropic: cache, bedrock: point }
const tool = { name: "lookup", parameters: { type: "object", properties: {} } }

const withBedrock = <A, E>(body: (sim: Simulator) => Effect.Effect<A, E, LLMProvider>) =>
  Effect.gen(function* () {
    const sim = yield* bedrockSimulator()
    return yield* body(sim).pipe(
      Effect.provide(
        BedrockProvider.layer({
          region: "us-east-1",
          baseUrl: sim.url,
          accessKeyId: Redacted.make("AKIDCACHE"),
          secretAccessKey: Redacted.make("cache-secret")
        })
      )
    )
  })

const marked: ChatRequest = {
  messages: [
    { role: "system", content: "You answer from the glossary.", providerOptions: both },
    {
      role: "user",
      content: [
        { type: "text", text: "The glossary: ...", providerOptions: both },
        { type: "text", text: "What is a lemma?" }
      ]
    },
    { role: "assistant", content: "A headword.", providerOptions: { anthropic: cache } },
    {
      role: "user",
      content: [
        { type: "text", text: "And a " },
        { type: "text", text: "stem?" }
      ],
      providerOptions: { bedrock: point }
    }
  ],
  tools: [
    { ...tool, providerOptions: both },
    { ...tool, name: "define" }
  ],
  providerOptions: { anthropic: cache }
}

const expectedWire = {
  system: [{ text: "You answer from the glossary." }, point],
  messages: [
    { role: "user", content: [{ text: "The glossary: ..." }, point, { text: "What is a lemma?" }] },
    { role: "assistant", content: [{ text: "A headword." }] },
    { role: "user", content: [{ text: "And a stem?" }, point] }
  ],
  toolConfig: {
    tools: [
      { toolSpec: { name: "lookup", inputSchema: { json: tool.parameters } } },
      point,
      { toolSpec: { name: "define", inputSchema: { json: tool.parameters } } }
    ]
  }
}

describe("Bedrock: cache points on the wire", () => {
  for (const streamed of [false, true])
    it.live(
      `after every marked part, message, system text and tool; Anthropic's left out (${streamed ? "streamed" : "plain"})`,
      () =>
        withBedrock((sim) =>
          Effect.gen(function* () {
            sim.script({ kind: "text", text: "A root." })
            const llm = yield* LLMProvider
            if (streamed) yield* Stream.runDrain(llm.stream(marked, claude))
            else yield* llm.generate(marked, claude)
            expect(sim.requests[0]!.path).toMatch(streamed ? /\/converse-stream$/ : /\/converse$/)
            const body = sim.requests[0]!.body as Record<string, unknown>
            expect(body).toMatchObject(expectedWire)
            expect(JSON.stringify(body)).not.toMatch(/cache_?[cC]ontrol|ephemeral/)
          })
        )
    )

  it.live("more than 4 cache points for a Claude model are refused before any call; other families may have more", () =>
    withBedrock((sim) =>
      Effect.gen(function* () {
        sim.script({ kind: "text", text: "Ok." })
        const request: ChatRequest = {
          messages: [
            {
              role: "user",
              content: [1, 2, 3, 4, 5].map((n) => ({
                type: "text" as const,
                text: `${n}`,
                providerOptions: { bedrock: point }
              }))
            }
          ]
        }
        const error = yield* Effect.flip(LLMProvider.use((llm) => llm.generate(request, claude)))
        expect(error._tag).toBe("InvalidRequestError")
        expect(error.message).toBe(
          `bedrock model ${claude}: the request has 5 cache points (providerOptions.bedrock.cachePoint); Claude on Bedrock takes at most 4: keep the last one of each prefix you reuse`
        )
        expect(sim.requests).toHaveLength(0)
        yield* LLMProvider.use((llm) => llm.generate(request, "us.amazon.nova-lite-v1:0"))
        expect(sim.requests).toHaveLength(1)
      })
    )
  )

  it.live("a marker on a part that sends no block adds no cache point of its own", () =>
    withBedrock((sim) =>
      Effect.gen(function* () {
        sim.script({ kind: "text", text: "Ok." })
        yield* LLMProvider.use((llm) =>
          llm.generate(
            {
              messages: [
                {
                  role: "user",
                  content: [
                    { type: "text", text: "", providerOptions: { bedrock: point } },
                    { type: "text", text: "Hi", providerOptions: { bedrock: point } }
                  ],
                  providerOptions: { bedrock: point }
                }
              ]
            },
            claude
          )
        )
        const body = sim.requests[0]!.body as { messages: ReadonlyArray<{ content: unknown }> }
        expect(body.messages[0]!.content).toEqual([{ text: "Hi" }, point])
      })
    )
  )

  it.live("a tool call and a tool result each get their cache point right after them", () =>
    withBedrock((sim) =>
      Effect.gen(function* () {
        sim.script({ kind: "text", text: "Done." })
        const call = { id: "tooluse_1", name: "lookup", arguments: { word: "lemma" } }
        yield* LLMProvider.use((llm) =>
          llm.generate(
            {
              messages: [
                { role: "user", content: "Look up lemma." },
                { role: "assistant", content: [{ type: "tool-call", ...call, providerOptions: { bedrock: point } }] },
                {
                  role: "tool",
                  content: [
                    {
                      type: "tool-result",
                      id: "tooluse_1",
                      name: "lookup",
                      result: "a headword",
                      providerOptions: { bedrock: point }
                    }
                  ]
                }
              ],
              tools: [tool]
            },
            claude
          )
        )
        const body = sim.requests[0]!.body as { messages: ReadonlyArray<{ content: ReadonlyArray<unknown> }> }
        expect(body.messages[1]!.content).toEqual([
          { toolUse: { toolUseId: "tooluse_1", name: "lookup", input: { word: "lemma" } } },
          point
        ])
        expect(body.messages[2]!.content[1]).toEqual(point)
      })
    )
  )
})

describe("the Bedrock simulator checks cache points as Bedrock does", () => {
  const post = (sim: Simulator, model: string, content: ReadonlyArray<unknown>) =>
    Effect.promise(() =>
      fetch(`${sim.url}/model/${encodeURIComponent(model)}/converse`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ messages: [{ role: "user", content }] })
      }).then(async (r) => ({ status: r.status, body: (await r.json()) as { message?: string } }))
    )
  const marked = (n: number) => Array.from({ length: n }, (_, i) => [{ text: `part ${i}` }, point]).flat()

  const cases: ReadonlyArray<[string, string, ReadonlyArray<unknown>, number, string?]> = [
    ["4 cache points for Claude", claude, marked(4), 200],
    [
      "5 cache points for Claude",
      claude,
      marked(5),
      400,
      "The model returned the following errors: A maximum of 4 blocks with cache_control may be provided. Found 5."
    ],
    ["5 cache points for Nova (no Claude limit)", "us.amazon.nova-lite-v1:0", marked(5), 200],
    [
      "a cache point of another type",
      claude,
      [{ text: "a" }, { cachePoint: { type: "long" } }],
      400,
      "1 validation error detected: Value 'long' at 'messages.1.member.content.2.member.cachePoint.type' failed to satisfy constraint: Member must satisfy enum value set: [default]"
    ]
  ]
  for (const [what, model, content, status, message] of cases)
    it.live(what, () =>
      Effect.gen(function* () {
        const sim = yield* bedrockSimulator()
        const answer = yield* post(sim, model, content)
        expect(answer.status).toBe(status)
        if (message !== undefined) expect(answer.body.message).toBe(message)
      })
    )
})
