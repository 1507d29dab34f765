import { describe, expect, it } from "@effect/vitest"
import {
  Attempt,
  ChatRequest,
  ChatResponse,
  ContentPart,
  Cost,
  emptyUsage,
  Finish,
  FinishReason,
  Message,
  ModelInfo,
  ModelPrice,
  messageText,
  ProviderFinish,
  ProviderId,
  ProviderResponse,
  Role,
  StreamEvent,
  TextDelta,
  TextPart,
  Usage,
  UsageSnapshot
} from "@llm-orchestrator/core"
import { Effect, Schema } from "effect"

const usage: Usage = {
  inputTokens: 1200,
  outputTokens: 350,
  cacheReadTokens: 1000,
  cacheWriteTokens: 64,
  reasoningTokens: 128
}
const cost: Cost = {
  input: 0.0003,
  cacheRead: 0.00075,
  cacheWrite: 0.00008,
  output: 0.0002,
  reasoning: 0.0001,
  total: 0.00143,
  currency: "USD"
}
const attempts: ReadonlyArray<Attempt> = [
  { provider: "openai", model: "gpt-4o", attempt: 1, outcome: "error", errorTag: "RateLimitError", durationMs: 41 },
  { provider: "openai", model: "gpt-4o", attempt: 2, outcome: "skipped", errorTag: "CircuitOpen", durationMs: 0 },
  { provider: "anthropic", model: "claude-sonnet-4-5", attempt: 1, outcome: "success", durationMs: 812 }
]
const providerResponse: ProviderResponse = {
  content: "Bonjour",
  provider: "anthropic",
  model: "claude-sonnet-4-5",
  finishReason: "stop",
  usage,
  requestId: "req_011"
}

/** An absent optional key (a key set to `undefined` is not the same value). */
const { requestId: _requestId, ...withoutRequestId } = providerResponse

/** Representative values of every Schema in domain.ts (optional keys both present and absent). */
const samples: ReadonlyArray<readonly [string, Schema.Codec<unknown, unknown>, ReadonlyArray<unknown>]> = [
  ["ProviderId", ProviderId, ["openai", "openai-work", "local"]],
  ["Role", Role, ["system", "user", "assistant"]],
  ["TextPart", TextPart, [{ type: "text", text: "hi" }]],
  ["ContentPart", ContentPart, [{ type: "text", text: "" }]],
  [
    "Message",
    Message,
    [
      { role: "user", content: "plain text" },
      { role: "assistant", content: [] },
      {
        role: "system",
        content: [
          { type: "text", text: "be " },
          { type: "text", text: "brief" }
        ]
      }
    ]
  ],
  [
    "ChatRequest",
    ChatRequest,
    [
      { messages: [] },
      {
        messages: [
          { role: "system", content: "s" },
          { role: "user", content: "u" }
        ],
        model: "gpt-4o-mini",
        temperature: 0.2,
        maxTokens: 256,
        topP: 0.9,
        stop: ["\n\n", "END"],
        metadata: { feature: "summary", tenant: "acme", user: "u-1" }
      }
    ]
  ],
  ["Usage", Usage, [usage, emptyUsage]],
  ["FinishReason", FinishReason, ["stop", "length", "content-filter", "tool-calls", "error", "other"]],
  ["Cost", Cost, [cost]],
  ["Attempt", Attempt, attempts],
  ["ProviderResponse", ProviderResponse, [providerResponse, withoutRequestId]],
  [
    "ChatResponse",
    ChatResponse,
    [
      { ...providerResponse, cost, attempts, latencyMs: 853 },
      { ...withoutRequestId, finishReason: "length", cost: undefined, attempts: [], latencyMs: 0 }
    ]
  ],
  ["TextDelta", TextDelta, [{ _tag: "TextDelta", text: "Bon" }]],
  [
    "Finish",
    Finish,
    [
      { _tag: "Finish", finishReason: "stop", usage, cost, provider: "gemini", model: "gemini-2.5-flash", attempts },
      {
        _tag: "Finish",
        finishReason: "content-filter",
        usage: emptyUsage,
        cost: undefined,
        provider: "bedrock",
        model: "m",
        attempts: [],
        requestId: "r"
      }
    ]
  ],
  [
    "StreamEvent",
    StreamEvent,
    [
      { _tag: "TextDelta", text: "x" },
      { _tag: "Finish", finishReason: "other", usage, cost: undefined, provider: "vertex", model: "m", attempts }
    ]
  ],
  ["UsageSnapshot", UsageSnapshot, [{ _tag: "UsageSnapshot", usage }]],
  [
    "ProviderFinish",
    ProviderFinish,
    [
      { _tag: "ProviderFinish", finishReason: "tool-calls", usage, model: "gpt-4o" },
      { _tag: "ProviderFinish", finishReason: "error", usage: emptyUsage, model: "gpt-4o", requestId: "req_1" }
    ]
  ],
  [
    "ModelPrice",
    ModelPrice,
    [
      { input: 2.5, output: 10 },
      { input: 3, output: 15, cacheRead: 0.3, cacheWrite: 3.75 }
    ]
  ],
  [
    "ModelInfo",
    ModelInfo,
    [
      { id: "gpt-4o-mini", provider: "openai" },
      {
        id: "claude-sonnet-4-5",
        provider: "anthropic",
        displayName: "Claude Sonnet 4.5",
        contextWindow: 200_000,
        maxOutputTokens: 64_000,
        price: { input: 3, output: 15, cacheRead: 0.3 },
        deprecated: false
      }
    ]
  ]
]

describe("every domain Schema round-trips", () => {
  for (const [name, schema, values] of samples) {
    it(`${name}: encode then decode gives the same value`, () => {
      for (const value of values) {
        const encoded = Schema.encodeUnknownSync(schema)(value)
        expect(Schema.decodeUnknownSync(schema)(encoded)).toEqual(value)
      }
    })
    it(`${name}: through JSON text (toCodecJson), as the CLI --json and cost logs write it`, () => {
      const json = Schema.toCodecJson(schema)
      for (const value of values) {
        const text = JSON.stringify(Schema.encodeUnknownSync(json)(value))
        expect(Schema.decodeUnknownSync(json)(JSON.parse(text))).toEqual(value)
      }
    })
  }
})

/** The decode failure's message, which must say what was expected and where. */
const decodeError = <S extends Schema.Codec<unknown, unknown>>(schema: S, input: unknown) =>
  Effect.flip(Schema.decodeUnknownEffect(schema)(input)).pipe(Effect.map((error) => error.message))

describe("decoding rejects bad input with a readable error", () => {
  it.effect("a role that is not system, user or assistant", () =>
    Effect.gen(function* () {
      expect(yield* decodeError(Message, { role: "robot", content: "beep" })).toBe(
        'Expected "system" | "user" | "assistant" | "tool"\n  at ["role"]'
      )
    })
  )

  it.effect("negative and fractional token counts", () =>
    Effect.gen(function* () {
      expect(yield* decodeError(Usage, { ...usage, inputTokens: -1 })).toBe(
        'Expected a value greater than or equal to 0\n  at ["inputTokens"]'
      )
      expect(yield* decodeError(Usage, { ...usage, reasoningTokens: 1.5 })).toBe(
        'Expected an integer\n  at ["reasoningTokens"]'
      )
    })
  )

  it.effect("nested paths: a bad message inside a request, bad usage inside a Finish", () =>
    Effect.gen(function* () {
      expect(yield* decodeError(ChatRequest, { messages: [{ role: "user", content: "ok" }, { role: "bot" }] })).toBe(
        'Expected "system" | "user" | "assistant" | "tool"\n  at ["messages"][1]["role"]'
      )
      const finish = { _tag: "Finish", finishReason: "stop", cost: undefined, provider: "openai", model: "m", attempts }
      expect(yield* decodeError(Finish, { ...finish, usage: { ...usage, outputTokens: -3 } })).toBe(
        'Expected a value greater than or equal to 0\n  at ["usage"]["outputTokens"]'
      )
    })
  )

  it.effect("missing keys, wrong literals, wrong types", () =>
    Effect.gen(function* () {
      expect(yield* decodeError(ChatRequest, {})).toBe('Missing key\n  at ["messages"]')
      expect(yield* decodeError(ChatRequest, { messages: [], metadata: { tenant: 7 } })).toBe(
        'Expected string\n  at ["metadata"]["tenant"]'
      )
      expect(yield* decodeError(ProviderId, 42)).toBe("Expected string")
      expect(yield* decodeError(Cost, { ...cost, currency: "EUR" })).toBe('Expected "USD"\n  at ["currency"]')
      expect(yield* decodeError(Attempt, { ...attempts[0]!, outcome: "timeout" })).toContain('at ["outcome"]')
      const { cost: _dropped, ...withoutCost } = { ...providerResponse, cost, attempts, latencyMs: 1 }
      expect(yield* decodeError(ChatResponse, withoutCost)).toBe('Missing key\n  at ["cost"]')
    })
  )

  it.effect("content parts other than text, and unknown stream events", () =>
    Effect.gen(function* () {
      const image = yield* decodeError(Message, { role: "user", content: [{ type: "image", url: "x" }] })
      expect(image).toContain('at ["content"][0]')
      expect(yield* decodeError(StreamEvent, { _tag: "Delta", text: "x" })).toContain('"TextDelta"')
    })
  )

  it.effect('with { errors: "all" } every problem is listed', () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(
        Schema.decodeUnknownEffect(Usage)({ ...usage, inputTokens: -1, outputTokens: "many" }, { errors: "all" })
      )
      expect(error.message).toContain('at ["inputTokens"]')
      expect(error.message).toContain('at ["outputTokens"]')
    })
  )
})

describe("helpers", () => {
  it("messageText joins text parts and passes strings through", () => {
    expect(messageText({ role: "user", content: "hi" })).toBe("hi")
    expect(
      messageText({
        role: "user",
        content: [
          { type: "text", text: "a" },
          { type: "text", text: "b" }
        ]
      })
    ).toBe("ab")
  })
  it("emptyUsage is a valid Usage of zeros", () => {
    expect(Schema.decodeUnknownSync(Usage)(emptyUsage)).toEqual(emptyUsage)
    expect(Object.values(emptyUsage)).toEqual([0, 0, 0, 0, 0])
  })
})
