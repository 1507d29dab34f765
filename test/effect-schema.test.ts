/**
 * Issue 17: Effect Schemas where requests take JSON Schemas, through the real SDKs against the
 * simulators. `jsonSchemaFrom` is what goes on the wire (root an object schema, a Class's `$ref`
 * resolved); the answer comes back as the schema's decoded type (a Class instance, a DateTime); an
 * answer that passes the JSON Schema but not the Effect Schema's own checks is an
 * OutputValidationError that falls back; `schemaTool`'s `execute` gets decoded arguments, and
 * arguments that do not decode go back to the model as an error result without running the tool.
 */
import { describe, expect, it } from "@effect/vitest"
import { DateTime, Effect, Schema, Stream } from "effect"
import {
  type ChatRequest,
  jsonSchemaFrom,
  LLMOrchestrator,
  runToolLoop,
  type StreamEvent,
  schemaTool
} from "llm-orchestrator"
import { fleetOrchestrator, readLog } from "./support.ts"

class Meeting extends Schema.Class<Meeting>("Meeting")({
  title: Schema.String,
  at: Schema.DateTimeUtcFromString,
  // A check JSON Schema cannot say: an even number of attendees.
  attendees: Schema.Finite.check(Schema.makeFilter((n: number) => n % 2 === 0 || "must be even"))
}) {}

const request: ChatRequest = {
  messages: [{ role: "user", content: "Plan the meeting." }],
  responseFormat: { type: "json", schema: jsonSchemaFrom(Meeting), name: "meeting" }
}
const answer = '{"title":"Otter review","at":"2026-12-05T09:30:00.000Z","attendees":4}'
const odd = '{"title":"Otter review","at":"2026-12-05T09:30:00.000Z","attendees":3}'

const providers = [
  ["openai", "gpt-4o-mini", "gpt-4o"],
  ["anthropic", "claude-sonnet-4-6", "claude-haiku-4-5-20251001"],
  ["gemini", "gemini-2.5-flash", "gemini-2.5-flash-lite"],
  ["vertex", "gemini-2.5-flash", "gemini-2.5-pro"],
  ["bedrock", "us.anthropic.claude-sonnet-4-5-20250929-v1:0", "amazon.nova-lite-v1:0"]
] as const

describe("Effect Schemas in requests", () => {
  it("jsonSchemaFrom: the JSON Schema of what the schema decodes from, root an object, one object per schema", () => {
    const json = jsonSchemaFrom(Meeting)
    expect(json.type).toBe("object")
    expect(json.additionalProperties).toBe(false)
    expect(json.$ref).toBeUndefined()
    expect(json.required).toEqual(["title", "at", "attendees"])
    expect((json.properties as Record<string, { type: string }>).at!.type).toBe("string")
    expect(jsonSchemaFrom(Meeting)).toBe(json)
    const Nested = Schema.Struct({ meeting: Meeting, room: Schema.String })
    const nested = jsonSchemaFrom(Nested)
    expect(nested.type).toBe("object")
    expect(Object.keys(nested.$defs as object)).toEqual(["MeetingEncoded"])
    expect(JSON.stringify(nested.properties)).toContain('"$ref":"#/$defs/MeetingEncoded"')
  })

  for (const [provider, first, second] of providers) {
    it.effect(
      `${provider}: the answer decodes to the schema's type; one failing the Effect Schema's own check falls back`,
      () =>
        Effect.gen(function* () {
          const { fleet, layer, logPath } = yield* fleetOrchestrator({ activeProvider: provider })
          fleet[provider].scriptModel(first, { kind: "text", text: odd })
          fleet[provider].scriptModel(second, { kind: "text", text: answer })
          const response = yield* Effect.provide(
            Effect.flatMap(LLMOrchestrator, (llm) => llm.sendRequest(request)),
            layer
          )
          expect(response.output).toBeInstanceOf(Meeting)
          const meeting = response.output as Meeting
          expect(meeting.title).toBe("Otter review")
          expect(DateTime.isDateTime(meeting.at)).toBe(true)
          expect(DateTime.formatIso(meeting.at)).toBe("2026-12-05T09:30:00.000Z")
          expect(response.attempts.map((a) => `${a.model}:${a.outcome}:${a.errorTag ?? ""}`)).toEqual([
            `${first}:error:OutputValidationError`,
            `${second}:success:`
          ])
          expect(readLog(logPath).map((r) => [r.model, r.outcome])).toEqual([
            [first, "error"],
            [second, "success"]
          ])
          // The wire carried the generated JSON Schema (the simulators check each API's form).
          const sent = fleet[provider].requests.filter((r) => r.kind !== "models")
          expect(JSON.stringify(sent[0]!.body)).toContain("attendees")
        })
    )
  }

  it.effect(
    "a stream's Finish carries the decoded output; an answer failing the check ends it with OutputValidationError naming it",
    () =>
      Effect.gen(function* () {
        const { fleet, layer } = yield* fleetOrchestrator({
          activeProvider: "openai",
          extraYaml: "fallback:\n  on_invalid_output: false"
        })
        fleet.openai.scriptModel("gpt-4o-mini", { kind: "text", text: answer }, { kind: "text", text: odd })
        const events = yield* Effect.provide(
          Effect.flatMap(LLMOrchestrator, (llm) => Stream.runCollect(llm.sendStreamingRequest(request))),
          layer
        )
        const finish = [...events].find((e): e is Extract<StreamEvent, { _tag: "Finish" }> => e._tag === "Finish")!
        expect((finish as { output?: unknown }).output).toBeInstanceOf(Meeting)
        const failed = yield* Effect.provide(
          Effect.flatMap(LLMOrchestrator, (llm) => Effect.flip(Stream.runDrain(llm.sendStreamingRequest(request)))),
          layer
        )
        expect(failed._tag).toBe("OutputValidationError")
        expect(failed.message).toContain("does not decode with the request's Effect Schema: must be even")
      })
  )

  it.effect("schemaTool: execute gets decoded arguments; arguments that do not decode go back as an error result", () =>
    Effect.gen(function* () {
      const { fleet, layer } = yield* fleetOrchestrator({ activeProvider: "openai" })
      const seen: Array<unknown> = []
      const book = schemaTool("book_room", {
        description: "Book a room for a meeting",
        parameters: Schema.Struct({ room: Schema.String, at: Schema.DateTimeUtcFromString }),
        execute: (args) =>
          Effect.sync(() => {
            seen.push(args)
            return `booked ${args.room} at ${DateTime.formatIso(args.at)}`
          })
      })
      fleet.openai.scriptModel(
        "gpt-4o-mini",
        {
          kind: "text",
          text: "",
          toolCalls: [{ id: "call_1", name: "book_room", arguments: { room: "Kelp", at: "noon" } }]
        },
        {
          kind: "text",
          text: "",
          toolCalls: [{ id: "call_2", name: "book_room", arguments: { room: "Kelp", at: "2026-12-05T12:00:00Z" } }]
        },
        { kind: "text", text: "Booked." }
      )
      const result = yield* Effect.provide(
        runToolLoop({ messages: [{ role: "user", content: "Book Kelp at noon tomorrow." }] }, [book]),
        layer
      )
      expect(result.response.content).toBe("Booked.")
      expect(seen).toHaveLength(1)
      const [args] = seen as [{ room: string; at: DateTime.Utc }]
      expect(args.room).toBe("Kelp")
      expect(DateTime.isDateTime(args.at)).toBe(true)
      const results = result.messages
        .filter((m) => m.role === "tool")
        .map((m) => (m.content as unknown as Array<{ result: unknown; isError?: boolean }>)[0]!)
      expect(results[0]!.isError).toBe(true)
      expect(String(results[0]!.result)).toMatch(
        /^the arguments do not match the parameters of book_room: .*at \["at"\]/s
      )
      expect(results[1]).toEqual(expect.objectContaining({ result: "booked Kelp at 2026-12-05T12:00:00.000Z" }))
      expect(results[1]!.isError).toBeUndefined()
      // The model was offered the generated JSON Schema, and read the error result on the wire.
      const sent = fleet.openai.requests.filter((r) => r.kind !== "models")
      const body = sent[0]!.body as { tools: Array<{ function: { parameters: unknown } }> }
      expect(body.tools[0]!.function.parameters).toEqual(book.parameters)
      expect(JSON.stringify(sent[1]!.body)).toContain("the arguments do not match the parameters of book_room")
    })
  )
})
