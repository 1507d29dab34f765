/**
 * Every recorded Gemini exchange whose answer calls functions, replayed through the real SDK and
 * GeminiProvider: the calls (names, ids, arguments) and finish reason read from the recorded body by
 * this file's own parsing, and the recorded request's conversation rebuilt as a ChatRequest, whose
 * wire form must be what the recording sent (tool turns, ids, results, declarations).
 */

import { describe, expect, it } from "@effect/vitest"
import { type ChatRequest, LLMProvider, type Message, type ToolChoice } from "@llm-orchestrator/core"
import { GeminiProvider } from "@llm-orchestrator/providers"
import {
  type Cassette,
  cassetteReply,
  geminiSimulator,
  isStreamingCassette,
  loadCassettes,
  type Simulator
} from "@llm-orchestrator/testing"
import { Effect, Redacted } from "effect"
import { cassetteModel, collect, deltas, finishes } from "./google-support.ts"

const gemini = (sim: Simulator) =>
  Effect.gen(function* () {
    return yield* LLMProvider
  }).pipe(Effect.provide(GeminiProvider.layer({ apiKey: Redacted.make("AIzaSy-tools-test"), baseUrl: sim.url })))

type Json = Record<string, unknown>
interface WirePart {
  readonly text?: string
  readonly thought?: boolean
  readonly thoughtSignature?: string
  readonly functionCall?: { readonly id?: string; readonly name: string; readonly args?: Json }
  readonly functionResponse?: { readonly id?: string; readonly name: string; readonly response: Json }
}
interface WireContent {
  readonly role: string
  readonly parts: ReadonlyArray<WirePart>
}
interface WireRequest {
  readonly contents: ReadonlyArray<WireContent>
  readonly tools?: unknown
  readonly toolConfig?: { readonly functionCallingConfig: { mode: string; allowedFunctionNames?: Array<string> } }
}
interface WireFrame {
  readonly responseId?: string
  readonly candidates?: ReadonlyArray<{ content?: { parts?: ReadonlyArray<WirePart> }; finishReason?: string }>
}

const framesOf = (cassette: Cassette): ReadonlyArray<WireFrame> => {
  const body = cassette.response.body ?? ""
  return isStreamingCassette(cassette)
    ? [...body.matchAll(/^data: ?(\{.*\})\s*$/gm)].map((match) => JSON.parse(match[1]!) as WireFrame)
    : [JSON.parse(body) as WireFrame]
}

/**
 * The recorded calls, in order, with the id the README promises: the recorded one, else the response
 * id ("call" when the response has none) and the call's position among the response's calls.
 */
const recordedCalls = (cassette: Cassette) => {
  const frames = framesOf(cassette)
  const responseId = frames[0]?.responseId
  const calls = frames.flatMap((frame) =>
    (frame.candidates?.[0]?.content?.parts ?? []).flatMap((part) => (part.functionCall ? [part.functionCall] : []))
  )
  return calls.map((call, index) => ({
    id: call.id ?? `${responseId ?? "call"}_${index}`,
    name: call.name,
    arguments: call.args ?? {}
  }))
}

const recordedText = (cassette: Cassette) =>
  framesOf(cassette)
    .flatMap((frame) => frame.candidates?.[0]?.content?.parts ?? [])
    .filter((part) => typeof part.text === "string" && !part.thought)
    .map((part) => part.text)
    .join("")

const recordedFinish = (cassette: Cassette) =>
  framesOf(cassette)
    .map((frame) => frame.candidates?.[0]?.finishReason)
    .findLast((reason) => reason !== undefined)

type Declaration = { name: string; description?: string; parameters?: Json }

/** The recorded declarations; one older recording sent `tools` as one object in snake_case. */
const recordedDeclarations = (wire: WireRequest): ReadonlyArray<Declaration> => {
  const tools: ReadonlyArray<{
    functionDeclarations?: ReadonlyArray<Declaration>
    function_declarations?: ReadonlyArray<Declaration>
  }> = Array.isArray(wire.tools) ? wire.tools : wire.tools === undefined ? [] : [wire.tools]
  return tools.flatMap((tool) => tool.functionDeclarations ?? tool.function_declarations ?? [])
}

/** OpenAPI-subset types ("OBJECT", "STRING") as JSON Schema's lowercase ones. */
const jsonSchemaOf = (schema: unknown): unknown =>
  Array.isArray(schema)
    ? schema.map(jsonSchemaOf)
    : typeof schema === "object" && schema !== null
      ? Object.fromEntries(
          Object.entries(schema).map(([key, value]) => [
            key,
            key === "type" && typeof value === "string" ? value.toLowerCase() : jsonSchemaOf(value)
          ])
        )
      : schema

/** The recorded toolConfig as a toolChoice, when one expresses it (ANY over every tool is "required"). */
const recordedChoice = (wire: WireRequest, names: ReadonlyArray<string>): ToolChoice | undefined => {
  const config = wire.toolConfig?.functionCallingConfig
  if (config?.mode !== "ANY") return undefined
  const allowed = config.allowedFunctionNames ?? names
  if (allowed.length === names.length && names.every((name) => allowed.includes(name))) return "required"
  return allowed.length === 1 ? { tool: allowed[0]! } : undefined
}

/**
 * The recorded conversation as a ChatRequest: model turns as assistant messages (thoughts left out),
 * every function response as its own `tool` message (the adapter must merge them back into one turn).
 */
const requestOf = (cassette: Cassette): ChatRequest => {
  const wire = cassette.request.body as WireRequest
  const messages: Array<Message> = []
  for (const content of wire.contents) {
    const visible = content.parts.filter((part) => !part.thought)
    if (content.role === "model")
      messages.push({
        role: "assistant",
        content: visible.map((part) =>
          part.functionCall
            ? {
                type: "tool-call" as const,
                id: part.functionCall.id!,
                name: part.functionCall.name,
                arguments: part.functionCall.args ?? {}
              }
            : { type: "text" as const, text: part.text ?? "" }
        )
      })
    else if (visible.some((part) => part.functionResponse))
      for (const part of visible)
        messages.push({
          role: "tool",
          content: [
            {
              type: "tool-result",
              id: part.functionResponse!.id!,
              name: part.functionResponse!.name,
              result: part.functionResponse!.response
            }
          ]
        })
    else messages.push({ role: "user", content: visible.map((part) => part.text).join("") })
  }
  const declarations = recordedDeclarations(wire)
  const toolChoice = recordedChoice(
    wire,
    declarations.map((d) => d.name)
  )
  return {
    messages,
    tools: declarations.map((d) => ({
      name: d.name,
      ...(d.description !== undefined ? { description: d.description } : {}),
      parameters: jsonSchemaOf(d.parameters ?? { type: "object", properties: {} }) as Json
    })),
    ...(toolChoice !== undefined ? { toolChoice } : {})
  }
}

/** What the recording sent, minus what this slice does not carry back (thought parts and signatures). */
const recordedContents = (cassette: Cassette) =>
  (cassette.request.body as WireRequest).contents.map((content) => ({
    role: content.role,
    parts: content.parts.filter((part) => !part.thought).map(({ thoughtSignature: _, ...part }) => part)
  }))

const exchanges = loadCassettes("gemini").filter((cassette) => recordedCalls(cassette).length > 0)

describe("GeminiProvider: every recorded exchange with function calls", () => {
  it("the recordings hold at least 13 plain and 2 streamed function-call answers", () => {
    expect(exchanges.filter((c) => !isStreamingCassette(c)).length).toBeGreaterThanOrEqual(13)
    expect(exchanges.filter(isStreamingCassette).length).toBeGreaterThanOrEqual(2)
  })

  for (const cassette of exchanges) {
    it.live(`${cassette.name} (${isStreamingCassette(cassette) ? "stream" : "plain"})`, () =>
      Effect.gen(function* () {
        const sim = yield* geminiSimulator()
        sim.script(cassetteReply(cassette))
        const llm = yield* gemini(sim)
        const calls = recordedCalls(cassette)
        expect(recordedFinish(cassette)).toBe("STOP")
        const request = requestOf(cassette)
        if (isStreamingCassette(cassette)) {
          const { events, error } = yield* collect(llm.stream(request, cassetteModel(cassette)))
          expect(error).toBeUndefined()
          expect(deltas(events).join("")).toBe(recordedText(cassette))
          // Each call whole: its start, its arguments as one delta, the call; then the one finish.
          const toolEvents = events.filter((e) => e._tag.startsWith("ToolCall"))
          expect(toolEvents).toEqual(
            calls.flatMap((call) => [
              { _tag: "ToolCallStart", id: call.id, name: call.name },
              { _tag: "ToolCallDelta", id: call.id, argumentsDelta: JSON.stringify(call.arguments) },
              { _tag: "ToolCall", ...call }
            ])
          )
          expect(events.at(-1)?._tag).toBe("ProviderFinish")
          expect(finishes(events).map((f) => f.finishReason)).toEqual(["tool-calls"])
        } else {
          const response = yield* llm.generate(request, cassetteModel(cassette))
          expect(response.toolCalls).toEqual(calls)
          expect(response.content).toBe(recordedText(cassette))
          expect(response.finishReason).toBe("tool-calls")
        }
        // The request side: the recorded conversation goes out as recorded.
        const sent = sim.requests[0]!.body as WireRequest
        // Signatures are compared in google-reasoning.test.ts (Gemini 3 call turns get one, a placeholder here).
        expect(recordedContents({ ...cassette, request: { ...cassette.request, body: sent } })).toEqual(
          recordedContents(cassette)
        )
        const recorded = cassette.request.body as WireRequest
        expect(sent.tools).toEqual([
          {
            functionDeclarations: recordedDeclarations(recorded).map((d) => ({
              name: d.name,
              ...(d.description !== undefined ? { description: d.description } : {}),
              parametersJsonSchema: jsonSchemaOf(d.parameters ?? { type: "object", properties: {} })
            }))
          }
        ])
        if (request.toolChoice !== undefined)
          expect(sent.toolConfig?.functionCallingConfig.mode).toBe(recorded.toolConfig?.functionCallingConfig.mode)
      })
    )
  }
})
