/**
 * `providerOptions` values at the edges of what validation takes: `null` where an object belongs is
 * refused with the same message as any other non-object (never a crash, never silently accepted), a
 * Bedrock cachePoint with any field beyond `type` is refused (Converse's cachePoint is only
 * `{ type: "default" }` here), every option of every type is checked (a bad one after a good one is
 * still refused), and an explicit `ttl: "5m"` is taken as the default it is.
 */
import { describe, expect, it } from "@effect/vitest"
import { type ChatRequest, LLMOrchestrator } from "@llm-orchestrator/core"
import { Effect, Stream } from "effect"
import { setup } from "./orchestrator-helpers.ts"

const cache = { cacheControl: { type: "ephemeral" } } as const
const userWith = (providerOptions: unknown) => ({ messages: [{ role: "user", content: "hi", providerOptions }] })

/** [what, request, the message after "invalid request: "] */
const refused: ReadonlyArray<[string, unknown, string]> = [
  [
    "null options on a message",
    userWith(null),
    "request.messages[0].providerOptions must be an object keyed by provider type (anthropic, bedrock)"
  ],
  [
    "null Anthropic options",
    userWith({ anthropic: null }),
    'request.messages[0].providerOptions.anthropic must be an object of anthropic options ("cacheControl")'
  ],
  [
    "a null cacheControl",
    userWith({ anthropic: { cacheControl: null } }),
    'request.messages[0].providerOptions.anthropic.cacheControl must be { type: "ephemeral", ttl?: "5m" | "1h" }'
  ],
  [
    "a null cachePoint",
    userWith({ bedrock: { cachePoint: null } }),
    'request.messages[0].providerOptions.bedrock.cachePoint must be { type: "default" }'
  ],
  [
    "a cachePoint with a ttl (not taken here)",
    userWith({ bedrock: { cachePoint: { type: "default", ttl: "1h" } } }),
    'request.messages[0].providerOptions.bedrock.cachePoint must be { type: "default" }'
  ],
  [
    "an unknown Anthropic option after a valid cacheControl",
    userWith({ anthropic: { ...cache, cachePoint: { type: "default" } } }),
    'request.messages[0].providerOptions.anthropic.cachePoint is not an option of anthropic (anthropic options: "cacheControl")'
  ],
  [
    "a bad Bedrock cachePoint after valid Anthropic options",
    userWith({ anthropic: cache, bedrock: { cachePoint: { type: "long" } } }),
    'request.messages[0].providerOptions.bedrock.cachePoint must be { type: "default" }'
  ]
]

const accepted: ReadonlyArray<[string, ChatRequest]> = [
  [
    'an explicit ttl "5m" on a message, a part and the request',
    {
      messages: [
        {
          role: "user",
          content: [
            {
              type: "text",
              text: "a",
              providerOptions: { anthropic: { cacheControl: { type: "ephemeral", ttl: "5m" } } }
            }
          ],
          providerOptions: { anthropic: { cacheControl: { type: "ephemeral", ttl: "5m" } } }
        }
      ],
      providerOptions: { anthropic: { cacheControl: { type: "ephemeral", ttl: "5m" } } }
    }
  ]
]

describe("providerOptions validation at the edges", () => {
  it.effect(
    "null, extra cachePoint fields and a bad option after a good one are refused by name, before any call",
    () => {
      const t = setup({ activeProvider: "anthropic", activeModel: "m", providers: { anthropic: {} } })
      return Effect.gen(function* () {
        const llm = yield* LLMOrchestrator
        for (const [what, request, message] of refused) {
          const failure = yield* Effect.flip(llm.sendRequest(request as ChatRequest))
          expect(failure._tag, what).toBe("InvalidRequestError")
          expect(failure.message, what).toBe(`invalid request: ${message}`)
          const streamed = yield* Effect.flip(Stream.runDrain(llm.sendStreamingRequest(request as ChatRequest)))
          expect(streamed._tag, what).toBe("InvalidRequestError")
          expect(streamed.message, what).toBe(`invalid request: ${message}`)
        }
        expect(t.fake("anthropic").calls).toHaveLength(0)
      }).pipe(Effect.provide(t.layer))
    }
  )

  it.effect('an explicit ttl "5m" is sent as given', () => {
    const t = setup({ activeProvider: "anthropic", activeModel: "m", providers: { anthropic: {} } })
    return Effect.gen(function* () {
      const llm = yield* LLMOrchestrator
      for (const [what, request] of accepted) {
        const response = yield* Effect.result(llm.sendRequest(request))
        expect(response._tag, what).toBe("Success")
      }
      expect(t.fake("anthropic").calls.map((call) => call.request)).toEqual(accepted.map(([, request]) => request))
    }).pipe(Effect.provide(t.layer))
  })
})
