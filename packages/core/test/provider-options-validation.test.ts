/**
 * `providerOptions` checked before anything is sent: every refusal names the field and the fix and
 * reaches no provider, plain and streamed; well-formed options (both types at once, at every level,
 * at the 4-breakpoint limit) are sent unchanged to the provider.
 */
import { describe, expect, it } from "@effect/vitest"
import { type ChatRequest, LLMOrchestrator, runToolLoop } from "@llm-orchestrator/core"
import { Effect, Stream } from "effect"
import { setup } from "./orchestrator-helpers.ts"

const cache = { anthropic: { cacheControl: { type: "ephemeral" } } } as const
const cache1h = { anthropic: { cacheControl: { type: "ephemeral", ttl: "1h" } } } as const
const point = { bedrock: { cachePoint: { type: "default" } } } as const
const tool = { name: "lookup", parameters: { type: "object", properties: {} } }
const text = (t: string, providerOptions?: unknown) => ({ type: "text", text: t, providerOptions })
const userWith = (providerOptions: unknown) => ({ messages: [{ role: "user", content: "hi", providerOptions }] })

/** [what, request, the message after "invalid request: "] */
const refused: ReadonlyArray<[string, unknown, string]> = [
  [
    "options that are not an object",
    { messages: [{ role: "user", content: "hi" }], providerOptions: "anthropic" },
    "request.providerOptions must be an object keyed by provider type (anthropic, bedrock)"
  ],
  [
    "a misspelt provider type",
    userWith({ antropic: { cacheControl: { type: "ephemeral" } } }),
    'request.messages[0].providerOptions.antropic: "antropic" is not a provider type; did you mean "anthropic"? (provider options are keyed by provider type: anthropic, bedrock)'
  ],
  [
    "an unknown provider type with no close match",
    userWith({ mistral: {} }),
    'request.messages[0].providerOptions.mistral: "mistral" is not a provider type (provider options are keyed by provider type: anthropic, bedrock)'
  ],
  [
    "a provider type that takes no options",
    userWith({ openai: { promptCacheKey: "x" } }),
    "request.messages[0].providerOptions.openai: openai takes no provider options (its prompt caching is automatic; nothing to send)"
  ],
  [
    "an unknown Anthropic option, with a close match",
    userWith({ anthropic: { cache_control: { type: "ephemeral" } } }),
    'request.messages[0].providerOptions.anthropic.cache_control is not an option of anthropic; did you mean "cacheControl"? (anthropic options: "cacheControl")'
  ],
  [
    "an unknown Bedrock option",
    userWith({ bedrock: { guardrail: {} } }),
    'request.messages[0].providerOptions.bedrock.guardrail is not an option of bedrock (bedrock options: "cachePoint")'
  ],
  [
    "Anthropic options that are not an object",
    userWith({ anthropic: true }),
    'request.messages[0].providerOptions.anthropic must be an object of anthropic options ("cacheControl")'
  ],
  [
    "a cacheControl of another type",
    userWith({ anthropic: { cacheControl: { type: "persistent" } } }),
    'request.messages[0].providerOptions.anthropic.cacheControl must be { type: "ephemeral", ttl?: "5m" | "1h" }'
  ],
  [
    "a ttl of 2h",
    {
      messages: [
        { role: "user", content: [text("hi", { anthropic: { cacheControl: { type: "ephemeral", ttl: "2h" } } })] }
      ]
    },
    'request.messages[0].content[0].providerOptions.anthropic.cacheControl.ttl must be "5m" or "1h" (got "2h"): Anthropic caches for 5 minutes or 1 hour'
  ],
  [
    "an unknown cacheControl field",
    userWith({ anthropic: { cacheControl: { type: "ephemeral", scope: "org" } } }),
    "request.messages[0].providerOptions.anthropic.cacheControl.scope is not a cacheControl field (type, ttl)"
  ],
  [
    "a cachePoint of another type",
    {
      messages: [{ role: "user", content: "hi" }],
      tools: [{ ...tool, providerOptions: { bedrock: { cachePoint: { type: "long" } } } }]
    },
    'request.tools[0].providerOptions.bedrock.cachePoint must be { type: "default" }'
  ],
  [
    "a Bedrock cache point on the whole request",
    { messages: [{ role: "user", content: "hi" }], providerOptions: point },
    "request.providerOptions.bedrock.cachePoint: Bedrock has no request-wide cache point; put it on a message, a part or a tool"
  ],
  [
    "options on a reasoning part",
    {
      messages: [
        { role: "user", content: "hi" },
        { role: "assistant", content: [{ type: "reasoning", text: "t", source: "anthropic", providerOptions: cache }] },
        { role: "user", content: "and?" }
      ]
    },
    "request.messages[1].content[0]: reasoning parts take no providerOptions (they go back as the provider returned them); put the marker on the message or on another part"
  ],
  [
    "five Anthropic breakpoints (request, message, part, tool)",
    {
      messages: [
        { role: "system", content: "be brief", providerOptions: cache },
        { role: "user", content: [text("a", cache), text("b", cache)] }
      ],
      tools: [{ ...tool, providerOptions: cache }],
      providerOptions: cache
    },
    "the request has 5 Anthropic cache breakpoints (providerOptions.anthropic.cacheControl on the request, messages, parts and tools); Anthropic takes at most 4: keep the last one of each prefix you reuse (a breakpoint caches everything before it)"
  ],
  [
    "a 1-hour breakpoint in a message after a 5-minute one on a tool (tools come first)",
    {
      messages: [{ role: "user", content: "hi", providerOptions: cache1h }],
      tools: [{ ...tool, providerOptions: cache }]
    },
    'request.messages[0].providerOptions.anthropic.cacheControl has ttl "1h" after the "5m" breakpoint request.tools[0].providerOptions.anthropic.cacheControl; Anthropic reads tools, then system, then messages, and wants 1-hour breakpoints before 5-minute ones: make the earlier one "1h" or this one "5m"'
  ],
  [
    "a system message's 5-minute breakpoint counts before an earlier user message's 1-hour one (system comes first)",
    {
      messages: [
        { role: "user", content: "hi", providerOptions: cache1h },
        { role: "system", content: "later system", providerOptions: cache },
        { role: "assistant", content: "ok", providerOptions: cache1h }
      ]
    },
    'request.messages[0].providerOptions.anthropic.cacheControl has ttl "1h" after the "5m" breakpoint request.messages[1].providerOptions.anthropic.cacheControl; Anthropic reads tools, then system, then messages, and wants 1-hour breakpoints before 5-minute ones: make the earlier one "1h" or this one "5m"'
  ]
]

const both = { ...cache, ...point }

/** [what, request]: each is sent, its options as given. */
const accepted: ReadonlyArray<[string, ChatRequest]> = [
  [
    "both types on every level, 4 Anthropic breakpoints",
    {
      messages: [
        { role: "system", content: "be brief", providerOptions: both },
        {
          role: "user",
          content: [
            { type: "text", text: "a", providerOptions: both },
            { type: "text", text: "b" }
          ]
        }
      ],
      tools: [{ ...tool, providerOptions: both }],
      providerOptions: cache
    }
  ],
  [
    "1-hour breakpoints before 5-minute ones, in Anthropic's order",
    {
      messages: [
        { role: "user", content: "hi", providerOptions: cache },
        { role: "system", content: "s", providerOptions: cache1h }
      ],
      tools: [{ ...tool, providerOptions: cache1h }]
    }
  ],
  [
    "only Bedrock markers, any number",
    {
      messages: [
        {
          role: "user",
          content: [1, 2, 3, 4, 5].map((n) => ({ type: "text" as const, text: `${n}`, providerOptions: point }))
        }
      ]
    }
  ],
  [
    "empty options",
    { messages: [{ role: "user", content: "hi", providerOptions: {} }], providerOptions: { anthropic: {} } }
  ]
]

describe("providerOptions validation", () => {
  it.effect("each malformed option fails with a message that names the field and the fix, before any call", () => {
    const t = setup({ activeProvider: "anthropic", activeModel: "m", providers: { anthropic: {} } })
    return Effect.gen(function* () {
      const llm = yield* LLMOrchestrator
      for (const [what, request, message] of refused) {
        const failure = yield* Effect.flip(llm.sendRequest(request as ChatRequest))
        expect(failure._tag, what).toBe("InvalidRequestError")
        expect(failure.message, what).toBe(`invalid request: ${message}`)
        const streamed = yield* Effect.flip(Stream.runDrain(llm.sendStreamingRequest(request as ChatRequest)))
        expect(streamed.message, what).toBe(`invalid request: ${message}`)
      }
      expect(t.fake("anthropic").calls).toHaveLength(0)
    }).pipe(Effect.provide(t.layer))
  })

  it.effect("well-formed options are sent to the provider as given", () => {
    const t = setup({ activeProvider: "anthropic", activeModel: "m", providers: { anthropic: {} } })
    return Effect.gen(function* () {
      const llm = yield* LLMOrchestrator
      for (const [what, request] of accepted) {
        const response = yield* Effect.result(llm.sendRequest(request))
        expect(response._tag, what).toBe("Success")
      }
      const calls = t.fake("anthropic").calls
      expect(calls).toHaveLength(accepted.length)
      expect(calls.map((call) => call.request)).toEqual(accepted.map(([, request]) => request))
    }).pipe(Effect.provide(t.layer))
  })
})

describe("runToolLoop", () => {
  it.effect("sends each tool's providerOptions with its definition (execute stays out)", () => {
    const t = setup({ activeProvider: "anthropic", activeModel: "m", providers: { anthropic: {} } })
    return Effect.gen(function* () {
      yield* runToolLoop({ messages: [{ role: "user", content: "hi" }] }, [
        { ...tool, providerOptions: both, execute: () => Effect.succeed("ok") }
      ])
      expect(t.fake("anthropic").calls[0]!.request.tools).toEqual([{ ...tool, providerOptions: both }])
    }).pipe(Effect.provide(t.layer))
  })
})
