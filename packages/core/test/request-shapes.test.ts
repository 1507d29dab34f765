/**
 * More refused request shapes (added after request-validation.test.ts was measured by mutation
 * testing): no messages, messages that are not a list, an undefined part, a nested stop list.
 */
import { describe, expect, it } from "@effect/vitest"
import { type ChatRequest, LLMOrchestrator } from "@llm-orchestrator/core"
import { Effect } from "effect"
import { setup } from "./orchestrator-helpers.ts"

const hi = [{ role: "user" as const, content: "hi" }]
const refused: ReadonlyArray<[string, unknown, string]> = [
  ["no messages", { messages: [] }, "request.messages must be a non-empty array of { role, content }"],
  [
    "messages that are not a list",
    { messages: "hi" },
    "request.messages must be a non-empty array of { role, content }"
  ],
  [
    "an undefined part",
    { messages: [{ role: "user", content: [undefined] }] },
    'request.messages[0].content[0] must be a content part ({ type: "text", text: string }, an "image", a "file", a "tool-call", a "tool-result" or a "reasoning")'
  ],
  [
    "a stop sequence that is a list",
    { messages: hi, stop: [["END"]] },
    "request.stop must be an array of non-empty strings"
  ]
]

describe("request shapes", () => {
  it.effect("each is refused with its message before any call", () => {
    const t = setup({ activeProvider: "openai", activeModel: "m", providers: { openai: {} } })
    return Effect.gen(function* () {
      const llm = yield* LLMOrchestrator
      for (const [what, request, message] of refused) {
        const failure = yield* Effect.flip(llm.sendRequest(request as ChatRequest))
        expect(failure.message, what).toBe(`invalid request: ${message}`)
      }
      expect(t.fake("openai").calls).toHaveLength(0)
    }).pipe(Effect.provide(t.layer))
  })
})
