/**
 * The recorded OpenAI structured-output exchanges (cassettes/openai-chat `test_openai_native_output*`,
 * cassettes/openai-responses `test_native_output*`) replayed through `OpenAIProvider` and the real SDK.
 * The request side: given the recorded schema and name, the adapter sends the format fields as
 * recorded (Chat's `response_format`, the Responses API's `text.format`). The answer side: the recorded
 * text comes back exactly, and it is JSON; an answer that called a tool instead (the format shapes the
 * final answer only) gives its calls and no text. Expected values are read from the recordings here.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "@effect/vitest"
import { type ChatRequest, LLMProvider } from "@llm-orchestrator/core"
import {
  type Cassette,
  cassetteReply,
  loadCassettes,
  type Simulator,
  startOpenAISimulator
} from "@llm-orchestrator/testing"
import { Effect, Redacted } from "effect"
import { OpenAIProvider } from "../../src/openai/openai.ts"

let sim: Simulator
beforeAll(async () => {
  sim = await startOpenAISimulator()
})
afterAll(() => sim.close())
beforeEach(() => {
  sim.reset()
})

type Json = Record<string, unknown>
type Folder = "openai-chat" | "openai-responses"

interface RecordedFormat {
  readonly type: string
  readonly name: string
  readonly schema: Json
  readonly strict?: boolean
  readonly description?: string
}

/** The recorded format object: Chat's `response_format.json_schema`, the Responses API's `text.format`. */
const recordedFormat = (cassette: Cassette): RecordedFormat => {
  const body = cassette.request.body as Json
  if (cassette.folder === "openai-chat") {
    const format = body.response_format as { type: string; json_schema: Omit<RecordedFormat, "type"> }
    return { type: format.type, ...format.json_schema }
  }
  return (body.text as { format: RecordedFormat }).format
}

/** The recorded answer: its text and its function calls (name and arguments text). */
const recordedAnswer = (cassette: Cassette) => {
  const body = JSON.parse(cassette.response.body ?? "") as Json
  if (cassette.folder === "openai-chat") {
    const message = (body.choices as ReadonlyArray<{ message: Json }>)[0]!.message as {
      content: string | null
      tool_calls?: ReadonlyArray<{ id: string; function: { name: string; arguments: string } }>
    }
    return {
      text: message.content ?? "",
      calls: (message.tool_calls ?? []).map((c) => ({
        id: c.id,
        name: c.function.name,
        arguments: c.function.arguments
      }))
    }
  }
  const output = body.output as ReadonlyArray<Json>
  return {
    text: output
      .flatMap((item) => (item.type === "message" ? (item.content as ReadonlyArray<{ text?: string }>) : []))
      .map((part) => part.text ?? "")
      .join(""),
    calls: output
      .filter((item) => item.type === "function_call")
      .map((item) => ({ id: item.call_id as string, name: item.name as string, arguments: item.arguments as string }))
  }
}

/** The first user text of the recorded conversation: the question the format answers. */
const question = (cassette: Cassette): string => {
  const body = cassette.request.body as Json
  const turns = (cassette.folder === "openai-chat" ? body.messages : body.input) as string | ReadonlyArray<Json>
  if (typeof turns === "string") return turns
  const user = turns.find((turn) => turn.role === "user")
  const content = user?.content
  return typeof content === "string"
    ? content
    : (content as ReadonlyArray<{ text?: string }>).map((part) => part.text ?? "").join("")
}

// Counted from the recordings: the exchanges, and those answered with the JSON text (the others call a tool).
const replays: ReadonlyArray<{
  folder: Folder
  prefix: string
  api: "chat" | "responses"
  count: number
  texts: number
}> = [
  { folder: "openai-chat", prefix: "test_openai_native_output", api: "chat", count: 2, texts: 1 },
  { folder: "openai-responses", prefix: "test_native_output", api: "responses", count: 3, texts: 2 }
]

for (const { folder, prefix, api, count, texts } of replays) {
  describe(`${folder}: recorded structured output`, () => {
    const cassettes = loadCassettes(folder).filter((c) => c.name.startsWith(prefix))

    it(`holds the ${count} recorded ${prefix}* exchanges this file replays, each answered 200 and not streamed`, () => {
      expect(cassettes).toHaveLength(count)
      expect(cassettes.filter((c) => recordedAnswer(c).text !== "")).toHaveLength(texts)
      for (const cassette of cassettes) {
        expect(cassette.response.status).toBe(200)
        expect((cassette.request.body as Json).stream ?? false).toBe(false)
      }
    })

    for (const cassette of cassettes)
      it.live(cassette.name, () =>
        Effect.gen(function* () {
          const recorded = recordedFormat(cassette)
          const expected = recordedAnswer(cassette)
          const request: ChatRequest = {
            messages: [{ role: "user", content: question(cassette) }],
            responseFormat: { type: "json", schema: recorded.schema, name: recorded.name }
          }
          sim.script(cassetteReply(cassette))
          const response = yield* LLMProvider.use((p) =>
            p.generate(request, (cassette.request.body as { model: string }).model)
          )

          // The request side: the recorded format fields. A recorded `description` has no domain field,
          // and a recording without `strict` (the API's default: false) is compared as strict false.
          const sent = sim.requests[0]!.body as Json
          const { description: _, ...fields } = recorded
          if (api === "chat")
            expect(sent.response_format).toEqual({
              type: fields.type,
              json_schema: { name: fields.name, schema: fields.schema, strict: fields.strict ?? false }
            })
          else expect(sent.text).toEqual({ format: fields })

          // The answer side: the text exactly as recorded, and it parses; or the calls the model made first.
          expect(response.content).toBe(expected.text)
          if (expected.calls.length === 0) {
            expect(response.finishReason).toBe("stop")
            expect(() => JSON.parse(response.content)).not.toThrow()
            expect(response.toolCalls).toBeUndefined()
          } else {
            expect(expected.text).toBe("")
            expect(response.finishReason).toBe("tool-calls")
            expect(response.toolCalls).toEqual(
              expected.calls.map((c) => ({ id: c.id, name: c.name, arguments: JSON.parse(c.arguments) }))
            )
          }
        }).pipe(
          Effect.provide(
            OpenAIProvider.layer({ apiKey: Redacted.make("sk-test-replay"), baseUrl: `${sim.url}/v1`, api })
          )
        )
      )
  })
}
