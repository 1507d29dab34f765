/**
 * Raw-HTTP tests of the simulators' reasoning checks, so adapter tests against them mean something:
 * Anthropic's thinking budget rules, thinking signatures bound to the text and to the API that gave
 * them, and the thinking-first tool turn while thinking is on; Gemini 3's thought signatures on call
 * turns (missing or foreign refused; the documented placeholder and earlier models accepted); OpenAI
 * Responses' encrypted reasoning. Each valid shape is accepted, each broken one gets the API's 400.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import {
  reasoningSignature,
  type Simulator,
  startAnthropicSimulator,
  startGeminiSimulator,
  startOpenAISimulator
} from "@llm-orchestrator/testing"

let anthropic: Simulator
let gemini: Simulator
let openai: Simulator
beforeAll(async () => {
  anthropic = await startAnthropicSimulator()
  gemini = await startGeminiSimulator()
  openai = await startOpenAISimulator()
})
afterAll(async () => {
  await Promise.all([anthropic.close(), gemini.close(), openai.close()])
})

const thought = "Call the tool."
const postJson = async (url: string, headers: Record<string, string>, body: unknown) => {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body)
  })
  return { status: response.status, text: await response.text() }
}

describe("Anthropic simulator: extended thinking", () => {
  const post = (body: Record<string, unknown>) =>
    postJson(
      `${anthropic.url}/v1/messages`,
      { "x-api-key": "sk-ant-test" },
      {
        model: "claude-sonnet-4-6",
        max_tokens: 4096,
        messages: [{ role: "user", content: "Hi" }],
        ...body
      }
    )
  const toolTurn = (first: Record<string, unknown> | undefined) => ({
    messages: [
      { role: "user", content: "Weather?" },
      {
        role: "assistant",
        content: [...(first ? [first] : []), { type: "tool_use", id: "toolu_1", name: "get_weather", input: {} }]
      },
      { role: "user", content: [{ type: "tool_result", tool_use_id: "toolu_1", content: "21 C" }] }
    ],
    tools: [{ name: "get_weather", input_schema: { type: "object" } }]
  })
  const enabled = { thinking: { type: "enabled", budget_tokens: 2048 } }
  const own = { type: "thinking", thinking: thought, signature: reasoningSignature("anthropic", thought) }

  it("accepts a budget of 1,024 below max_tokens, and its own signed thinking first in a tool turn", async () => {
    expect((await post({ thinking: { type: "enabled", budget_tokens: 1024 } })).status).toBe(200)
    expect((await post({ ...enabled, ...toolTurn(own) })).status).toBe(200)
    expect((await post({ ...enabled, ...toolTurn({ type: "redacted_thinking", data: "EmwKAhgB" }) })).status).toBe(200)
    // Without thinking on, a tool turn needs no thinking block.
    expect((await post(toolTurn(undefined))).status).toBe(200)
  })

  const refused: ReadonlyArray<[string, Record<string, unknown>, string]> = [
    ["a budget under 1,024", { thinking: { type: "enabled", budget_tokens: 1023 } }, "greater than or equal to 1024"],
    [
      "a budget at max_tokens",
      { thinking: { type: "enabled", budget_tokens: 4096 } },
      "`max_tokens` must be greater than `thinking.budget_tokens`"
    ],
    ["a budget that is not an integer", { thinking: { type: "enabled", budget_tokens: 2048.5 } }, "valid integer"],
    [
      "another API's signature",
      { ...enabled, ...toolTurn({ ...own, signature: reasoningSignature("bedrock", thought) }) },
      "Invalid `signature`"
    ],
    [
      "a signature over edited thinking",
      { ...enabled, ...toolTurn({ ...own, thinking: `${thought}!` }) },
      "Invalid `signature`"
    ],
    [
      "a tool turn without thinking while thinking is on",
      { ...enabled, ...toolTurn(undefined) },
      "must start with a thinking block"
    ]
  ]
  for (const [name, body, message] of refused)
    it(`refuses ${name} with a 400 in the API's words`, async () => {
      const response = await post(body)
      expect(response.status).toBe(400)
      expect(response.text).toContain(message)
    })

  it("scripted reasoning is a signed thinking block before the text", async () => {
    anthropic.script({ kind: "text", text: "Hello.", reasoning: thought })
    const response = await post(enabled)
    const message = JSON.parse(response.text) as { content: Array<Record<string, unknown>> }
    expect(message.content).toEqual([own, { type: "text", text: "Hello." }])
  })
})

describe("Gemini simulator: thought signatures", () => {
  const post = (model: string, modelParts: Array<Record<string, unknown>>) =>
    postJson(
      `${gemini.url}/v1beta/models/${model}:generateContent`,
      { "x-goog-api-key": "AIzaSy-test" },
      {
        contents: [
          { role: "user", parts: [{ text: "Weather?" }] },
          { role: "model", parts: modelParts },
          { role: "user", parts: [{ functionResponse: { name: "get_weather", response: { celsius: 21 } } }] }
        ],
        tools: [{ functionDeclarations: [{ name: "get_weather" }] }]
      }
    )
  const call = { functionCall: { name: "get_weather", args: {} } }

  it("Gemini 3 takes its own signature or the placeholder on the first call; earlier models need none", async () => {
    expect(
      (await post("gemini-3-pro-preview", [{ ...call, thoughtSignature: reasoningSignature("gemini", thought) }]))
        .status
    ).toBe(200)
    expect(
      (await post("gemini-3-pro-preview", [{ ...call, thoughtSignature: "skip_thought_signature_validator" }])).status
    ).toBe(200)
    expect((await post("gemini-2.5-flash", [call])).status).toBe(200)
  })

  it("Gemini 3 refuses a call turn without a signature, and any model a foreign one", async () => {
    const missing = await post("gemini-3-pro-preview", [call])
    expect(missing.status).toBe(400)
    expect(missing.text).toContain("missing a thought_signature")
    const foreign = await post("gemini-2.5-flash", [
      { ...call, thoughtSignature: reasoningSignature("anthropic", thought) }
    ])
    expect(foreign.status).toBe(400)
    expect(foreign.text).toContain("Corrupted thought signature")
  })
})

describe("OpenAI Responses simulator: encrypted reasoning", () => {
  const post = (encrypted: string) =>
    postJson(
      `${openai.url}/v1/responses`,
      { authorization: "Bearer sk-test" },
      {
        model: "gpt-5",
        input: [
          { role: "user", content: "Hi" },
          {
            type: "reasoning",
            id: "rs_1",
            summary: [{ type: "summary_text", text: thought }],
            encrypted_content: encrypted
          },
          { role: "assistant", content: "Hello." },
          { role: "user", content: "Again" }
        ]
      }
    )

  it("takes the encrypted content it gave for that summary, and refuses any other", async () => {
    expect((await post(reasoningSignature("openai", thought))).status).toBe(200)
    const foreign = await post(reasoningSignature("anthropic", thought))
    expect(foreign.status).toBe(400)
    expect(foreign.text).toContain("could not be verified")
  })
})
