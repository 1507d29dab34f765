/**
 * Every rule a request is checked against before anything is sent, at its boundaries: the values just
 * inside are sent, those just outside fail with an `InvalidRequestError` whose message names the field
 * and the fix, and no provider is called for them. Through `sendRequest` and `sendStreamingRequest`.
 */
import { describe, expect, it } from "@effect/vitest"
import { type ChatRequest, headerValueProblem, LLMOrchestrator } from "@llm-orchestrator/core"
import { Effect, Stream } from "effect"
import { setup } from "./orchestrator-helpers.ts"

const hi = [{ role: "user" as const, content: "hi" }]

/** [what, request, the message after "invalid request: "] */
const refused: ReadonlyArray<[string, unknown, string]> = [
  ["not an object", "hello", "the request must be an object with `messages`"],
  ["null", null, "the request must be an object with `messages`"],
  ["a message that is not an object", { messages: ["hi"] }, "request.messages[0] must be { role, content }"],
  ["a null message", { messages: [...hi, null] }, "request.messages[1] must be { role, content }"],
  [
    "content that is neither a string nor parts",
    { messages: [{ role: "user", content: 42 }] },
    "request.messages[0].content must be a string or an array of content parts"
  ],
  [
    "a part that is not an object",
    { messages: [{ role: "user", content: [{ type: "text", text: "a" }, "b"] }] },
    'request.messages[0].content[1] must be a content part ({ type: "text", text: string }, an "image", a "file", a "tool-call", a "tool-result" or a "reasoning")'
  ],
  [
    "a null part",
    { messages: [{ role: "user", content: [null] }] },
    'request.messages[0].content[0] must be a content part ({ type: "text", text: string }, an "image", a "file", a "tool-call", a "tool-result" or a "reasoning")'
  ],
  [
    "a part of another type",
    { messages: [{ role: "user", content: [{ type: "video", text: "a" }] }] },
    'request.messages[0].content[0].type must be "text", "image", "file", "tool-call", "tool-result" or "reasoning" (got "video")'
  ],
  [
    "a text part without text",
    { messages: [{ role: "user", content: [{ type: "text", text: 7 }] }] },
    'request.messages[0].content[0] must be { type: "text", text: string }'
  ],
  [
    "temperature below 0",
    { messages: hi, temperature: -0.01 },
    "request.temperature must be a number from 0 to 2 (got -0.01)"
  ],
  [
    "temperature above 2",
    { messages: hi, temperature: 2.01 },
    "request.temperature must be a number from 0 to 2 (got 2.01)"
  ],
  [
    "temperature as a string",
    { messages: hi, temperature: "1" },
    "request.temperature must be a number from 0 to 2 (got 1)"
  ],
  ["topP of 0", { messages: hi, topP: 0 }, "request.topP must be a number above 0 and at most 1 (got 0)"],
  ["topP above 1", { messages: hi, topP: 1.01 }, "request.topP must be a number above 0 and at most 1 (got 1.01)"],
  ["topP as a string", { messages: hi, topP: "0.5" }, "request.topP must be a number above 0 and at most 1 (got 0.5)"],
  ["maxTokens of 0", { messages: hi, maxTokens: 0 }, "request.maxTokens must be a positive integer (got 0)"],
  [
    "a fractional maxTokens",
    { messages: hi, maxTokens: 1.5 },
    "request.maxTokens must be a positive integer (got 1.5)"
  ],
  ["stop as a string", { messages: hi, stop: "END" }, "request.stop must be an array of non-empty strings"],
  ["an empty stop sequence", { messages: hi, stop: ["END", ""] }, "request.stop must be an array of non-empty strings"],
  [
    "a stop sequence that is a number",
    { messages: hi, stop: [1] },
    "request.stop must be an array of non-empty strings"
  ],
  ["metadata as a string", { messages: hi, metadata: "team=x" }, "request.metadata must be an object of string tags"],
  ["null metadata", { messages: hi, metadata: null }, "request.metadata must be an object of string tags"],
  [
    "a metadata tag that is a number",
    { messages: hi, metadata: { team: "x", tenant: 7 } },
    "request.metadata.tenant must be a string (cost tags are strings)"
  ]
]

/** Just inside every boundary: all sent. */
const accepted: ReadonlyArray<[string, ChatRequest]> = [
  ["temperature 0", { messages: hi, temperature: 0 }],
  ["temperature 2", { messages: hi, temperature: 2 }],
  ["topP 1", { messages: hi, topP: 1 }],
  ["topP just above 0", { messages: hi, topP: 0.001 }],
  ["maxTokens 1", { messages: hi, maxTokens: 1 }],
  ["no stop sequences", { messages: hi, stop: [] }],
  ["stop sequences", { messages: hi, stop: ["END", "\n\n"] }],
  [
    "text parts",
    {
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: "a" },
            { type: "text", text: "" }
          ]
        }
      ]
    }
  ],
  ["no parts", { messages: [...hi, { role: "assistant", content: [] }] }],
  ["string tags", { messages: hi, metadata: { team: "x", tenant: "" } }]
]

describe("request validation", () => {
  it.effect("each broken rule fails with a message that names the field and the fix, before any call", () => {
    const t = setup({ activeProvider: "openai", activeModel: "m", providers: { openai: {} } })
    return Effect.gen(function* () {
      const llm = yield* LLMOrchestrator
      for (const [what, request, message] of refused) {
        const failure = yield* Effect.flip(llm.sendRequest(request as ChatRequest))
        expect(failure._tag, what).toBe("InvalidRequestError")
        expect(failure.message, what).toBe(`invalid request: ${message}`)
        const streamed = yield* Effect.flip(Stream.runDrain(llm.sendStreamingRequest(request as ChatRequest)))
        expect(streamed.message, what).toBe(`invalid request: ${message}`)
      }
      expect(t.fake("openai").calls).toHaveLength(0)
    }).pipe(Effect.provide(t.layer))
  })

  it.effect("the values at each boundary are sent", () => {
    const t = setup({ activeProvider: "openai", activeModel: "m", providers: { openai: {} } })
    return Effect.gen(function* () {
      const llm = yield* LLMOrchestrator
      for (const [what, request] of accepted) {
        const response = yield* Effect.result(llm.sendRequest(request))
        expect(response._tag, what).toBe("Success")
      }
      expect(t.fake("openai").calls).toHaveLength(accepted.length)
    }).pipe(Effect.provide(t.layer))
  })
})

describe("header values (API keys, organization, project)", () => {
  it("printable ASCII, spaces included, can be sent; the problem names the kind of character, never the value", () => {
    expect(headerValueProblem("sk-abc 123 ~")).toBeUndefined()
    const kinds: ReadonlyArray<[string, string]> = [
      ["sk-abc\n", "a line break (CR or LF)"],
      ["sk-abc\r", "a line break (CR or LF)"],
      ["sk-\tabc", "a control character"],
      ["sk-\u001fabc", "a control character"],
      ["sk-\u007fabc", "a control character"],
      ["sk-\u0080abc", "a non-ASCII character"],
      ["sk-ébc", "a non-ASCII character"]
    ]
    for (const [value, kind] of kinds)
      expect(headerValueProblem(value), JSON.stringify(value)).toBe(
        `contains ${kind}, which cannot be sent in an HTTP header (printable ASCII characters only)`
      )
  })
})
