/**
 * Edges of the tool and model-id rules that the main tables leave open: ids and names that are lists
 * (they have a length, like a string), a tool choice naming a tool by something other than a string,
 * the list of defined tools in the unknown-tool message, and the empty model id.
 */
import { describe, expect, it } from "@effect/vitest"
import { type ChatRequest, LLMOrchestrator, modelIdProblem } from "@llm-orchestrator/core"
import { Effect } from "effect"
import { setup } from "./orchestrator-helpers.ts"

const parameters = { type: "object", properties: {} }
const weather = { name: "get_weather", parameters }
const time = { name: "get_time", parameters }
const ask = { role: "user" as const, content: "Weather in Paris?" }

/** [what, request, the message after "invalid request: "] */
const refused: ReadonlyArray<[string, unknown, string]> = [
  [
    "a tool call whose id is a list",
    {
      messages: [
        ask,
        { role: "assistant", content: [{ type: "tool-call", id: ["call_1"], name: "get_weather", arguments: {} }] }
      ]
    },
    'request.messages[1].content[0] must be { type: "tool-call", id, name, arguments } with a non-empty id and name'
  ],
  [
    "a tool choice naming a tool by a number",
    { messages: [ask], tools: [weather], toolChoice: { tool: 7 } },
    'request.toolChoice must be "auto", "none", "required" or { tool: name }'
  ],
  [
    "a tool choice naming a tool that is not one of two",
    { messages: [ask], tools: [weather, time], toolChoice: { tool: "get_date" } },
    'request.toolChoice names the tool "get_date", which request.tools does not define (get_weather, get_time)'
  ]
]

describe("tool request edges", () => {
  it.effect("each is refused with its message before any call", () => {
    const t = setup({ activeProvider: "openai", activeModel: "m", providers: { openai: {} } })
    return Effect.gen(function* () {
      const llm = yield* LLMOrchestrator
      for (const [what, request, message] of refused) {
        const failure = yield* Effect.flip(llm.sendRequest(request as ChatRequest))
        expect([failure._tag, failure.message], what).toEqual(["InvalidRequestError", `invalid request: ${message}`])
      }
      expect(t.fake("openai").calls).toHaveLength(0)
    }).pipe(Effect.provide(t.layer))
  })

  it("an empty model id, or one that is not a string, is named as such", () => {
    expect(modelIdProblem("")).toBe("it is empty or not a string")
    expect(modelIdProblem(42)).toBe("it is empty or not a string")
    expect(modelIdProblem("gpt-4o")).toBeUndefined()
  })
})
