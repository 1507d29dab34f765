/**
 * Every recorded OpenAI exchange that called tools (cassettes/openai-chat, cassettes/openai-responses)
 * replayed through `OpenAIProvider` and the real SDK. The answer side: tool call ids, names and parsed
 * arguments, in order, and the finish reason, as the test reads them from the recorded body. The
 * request side: the recorded request's tools and tool history, turned into a `ChatRequest`, must come
 * out of the adapter as the recorded wire form (and pass the simulator's checks of the API's rules).
 * Recorded plain answers replay plain and recorded streams streamed: a recording is served as it is.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "@effect/vitest"
import {
  type ChatRequest,
  type ContentPart,
  type FinishReason,
  LLMProvider,
  type Message,
  type ToolChoice,
  type ToolDefinition
} from "@llm-orchestrator/core"
import {
  type Cassette,
  cassetteReply,
  isStreamingCassette,
  loadCassettes,
  type Simulator,
  startOpenAISimulator
} from "@llm-orchestrator/testing"
import { Effect, Redacted, Stream } from "effect"
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

interface ExpectedCall {
  readonly id: string
  readonly name: string
  readonly arguments: unknown
  readonly text: string
}

interface Expected {
  readonly calls: ReadonlyArray<ExpectedCall>
  readonly finishReason: FinishReason
}

const sseData = (body: string): ReadonlyArray<Json> =>
  body
    .split("\n\n")
    .flatMap((block) => block.split("\n").filter((line) => line.startsWith("data: ")))
    .map((line) => line.slice("data: ".length))
    .filter((data) => data !== "[DONE]")
    .map((data) => JSON.parse(data) as Json)

const parsedArguments = (text: string): unknown => (text.trim() === "" ? {} : JSON.parse(text))

/** The tool calls a recorded answer made, read from its body; undefined when it made none. */
const expectedFrom = (cassette: Cassette): Expected | undefined => {
  const body = cassette.response.body ?? ""
  if (cassette.response.status !== 200) return undefined
  if (cassette.folder === "openai-chat") {
    if (isStreamingCassette(cassette)) {
      const byIndex = new Map<number, { id: string; name: string; text: string }>()
      let finish = ""
      for (const chunk of sseData(body))
        for (const choice of (chunk.choices ?? []) as ReadonlyArray<Json>) {
          const delta = choice.delta as { tool_calls?: ReadonlyArray<Json> }
          for (const call of delta.tool_calls ?? []) {
            const fn = call.function as { name?: string; arguments?: string } | undefined
            const open = byIndex.get(call.index as number)
            if (open) open.text += fn?.arguments ?? ""
            else
              byIndex.set(call.index as number, {
                id: call.id as string,
                name: fn?.name ?? "",
                text: fn?.arguments ?? ""
              })
          }
          if (choice.finish_reason) finish = choice.finish_reason as string
        }
      if (byIndex.size === 0) return undefined
      return {
        calls: [...byIndex.values()].map((c) => ({ ...c, arguments: parsedArguments(c.text) })),
        finishReason: finish === "tool_calls" ? "tool-calls" : finish === "length" ? "length" : "stop"
      }
    }
    const choice = (JSON.parse(body) as { choices: ReadonlyArray<Json> }).choices[0] ?? {}
    const message = choice.message as {
      tool_calls?: ReadonlyArray<{ id: string; function: { name: string; arguments: string } }>
    }
    const calls = message.tool_calls ?? []
    if (calls.length === 0) return undefined
    expect(choice.finish_reason, `${cassette.name}: finish_reason`).toBe("tool_calls")
    return {
      calls: calls.map((c) => ({
        id: c.id,
        name: c.function.name,
        arguments: parsedArguments(c.function.arguments),
        text: c.function.arguments
      })),
      finishReason: "tool-calls"
    }
  }
  const response = isStreamingCassette(cassette)
    ? (sseData(body).find((e) => e.type === "response.completed" || e.type === "response.incomplete")?.response as
        | Json
        | undefined)
    : (JSON.parse(body) as Json)
  if (!response) throw new Error(`${cassette.name}: no terminal event recorded`)
  const calls = (response.output as ReadonlyArray<Json>).filter((item) => item.type === "function_call")
  if (calls.length === 0) return undefined
  return {
    calls: calls.map((item) => ({
      id: item.call_id as string,
      name: item.name as string,
      arguments: parsedArguments(item.arguments as string),
      text: item.arguments as string
    })),
    finishReason: response.status === "completed" ? "tool-calls" : "other"
  }
}

// ---- The recorded request as a ChatRequest ------------------------------------------------------------

const textOf = (content: unknown): string =>
  typeof content === "string"
    ? content
    : Array.isArray(content)
      ? (content as ReadonlyArray<{ text?: string }>).map((part) => part.text ?? "").join("")
      : ""

/** Recorded tool definitions: `description` null means none. */
const toolsOf = (tools: ReadonlyArray<Json>, folder: string): Array<ToolDefinition> =>
  tools.map((tool) => {
    const fn = (folder === "openai-chat" ? tool.function : tool) as Json
    return {
      name: fn.name as string,
      ...(typeof fn.description === "string" ? { description: fn.description } : {}),
      parameters: fn.parameters as Json
    }
  })

const choiceOf = (choice: unknown): ToolChoice | undefined => {
  if (choice === undefined || choice === null) return undefined
  if (typeof choice === "string") return choice as ToolChoice
  const named = choice as { function?: { name: string }; name?: string }
  return { tool: named.function?.name ?? named.name ?? "" }
}

/** Chat messages to domain messages: tool calls as parts, results named after their calls. */
const chatHistory = (messages: ReadonlyArray<Json>): Array<Message> => {
  const names = new Map<string, string>()
  return messages.map((message): Message => {
    const role = message.role === "developer" ? "system" : (message.role as Message["role"])
    if (role === "tool") {
      const id = message.tool_call_id as string
      return {
        role,
        content: [{ type: "tool-result", id, name: names.get(id) ?? "", result: textOf(message.content) }]
      }
    }
    const calls = (message.tool_calls ?? []) as ReadonlyArray<{
      id: string
      function: { name: string; arguments: string }
    }>
    if (calls.length === 0) return { role, content: textOf(message.content) }
    const parts: Array<ContentPart> = []
    const text = textOf(message.content)
    if (text !== "") parts.push({ type: "text", text })
    for (const call of calls) {
      names.set(call.id, call.function.name)
      parts.push({
        type: "tool-call",
        id: call.id,
        name: call.function.name,
        arguments: parsedArguments(call.function.arguments) as Json
      })
    }
    return { role, content: parts }
  })
}

/**
 * Responses input to domain messages: text messages, `function_call` items as tool-call parts of an
 * assistant turn, `function_call_output` as tool results. Reasoning items and outputs whose call is
 * not in this input (continued through `previous_response_id` or a conversation) have no domain form.
 */
const responsesHistory = (input: unknown): Array<Message> => {
  if (typeof input === "string") return [{ role: "user", content: input }]
  const messages: Array<Message> = []
  const names = new Map<string, string>()
  for (const item of input as ReadonlyArray<Json>) {
    if (item.type === "function_call") {
      names.set(item.call_id as string, item.name as string)
      const part: ContentPart = {
        type: "tool-call",
        id: item.call_id as string,
        name: item.name as string,
        arguments: parsedArguments(item.arguments as string) as Json
      }
      const last = messages.at(-1)
      if (last?.role === "assistant" && typeof last.content !== "string")
        messages[messages.length - 1] = { role: "assistant", content: [...last.content, part] }
      else messages.push({ role: "assistant", content: [part] })
    } else if (item.type === "function_call_output") {
      const id = item.call_id as string
      const name = names.get(id)
      if (name !== undefined)
        messages.push({ role: "tool", content: [{ type: "tool-result", id, name, result: textOf(item.output) }] })
    } else if (item.role !== undefined && (item.type === undefined || item.type === "message")) {
      const role = item.role === "developer" ? "system" : (item.role as Message["role"])
      const text = textOf(item.content)
      // An assistant turn's text goes first, so its calls join it.
      messages.push(role === "assistant" ? { role, content: [{ type: "text", text }] } : { role, content: text })
    }
  }
  return messages
}

const requestFrom = (cassette: Cassette): ChatRequest => {
  const body = cassette.request.body as Json
  const tools = toolsOf((body.tools ?? []) as ReadonlyArray<Json>, cassette.folder)
  const choice = choiceOf(body.tool_choice)
  const messages =
    cassette.folder === "openai-chat"
      ? chatHistory(body.messages as ReadonlyArray<Json>)
      : [
          ...(typeof body.instructions === "string" ? [{ role: "system" as const, content: body.instructions }] : []),
          ...responsesHistory(body.input)
        ]
  return {
    messages,
    ...(tools.length > 0 ? { tools } : {}),
    ...(choice !== undefined ? { toolChoice: choice } : {})
  }
}

type HistoryEntry =
  | { readonly call: unknown; readonly name: unknown; readonly arguments: unknown }
  | { readonly result: unknown; readonly content: string }

/** The tool part of a wire body, with arguments parsed (JSON text spacing is not meaning) and `strict` left out. */
const toolWire = (folder: string, body: Json) => {
  const tools = ((body.tools ?? []) as ReadonlyArray<Json>).map((tool) => {
    const fn = (folder === "openai-chat" ? tool.function : tool) as Json
    return { name: fn.name, description: fn.description ?? undefined, parameters: fn.parameters }
  })
  const history: ReadonlyArray<HistoryEntry> =
    folder === "openai-chat"
      ? ((body.messages ?? []) as ReadonlyArray<Json>).flatMap(
          (message): Array<HistoryEntry> => [
            ...(
              (message.tool_calls ?? []) as ReadonlyArray<{ id: string; function: { name: string; arguments: string } }>
            ).map((call) => ({
              call: call.id,
              name: call.function.name,
              arguments: parsedArguments(call.function.arguments)
            })),
            ...(message.role === "tool" ? [{ result: message.tool_call_id, content: textOf(message.content) }] : [])
          ]
        )
      : ((Array.isArray(body.input) ? body.input : []) as ReadonlyArray<Json>).flatMap(
          (item): Array<HistoryEntry> =>
            item.type === "function_call"
              ? [{ call: item.call_id, name: item.name, arguments: parsedArguments(item.arguments as string) }]
              : item.type === "function_call_output"
                ? [{ result: item.call_id, content: textOf(item.output) }]
                : []
        )
  return { tools, toolChoice: body.tool_choice, history }
}

// ---- The replays ----------------------------------------------------------------------------------------

const withCalls = (folder: "openai-chat" | "openai-responses") =>
  loadCassettes(folder).flatMap((cassette) => {
    const expected = expectedFrom(cassette)
    return expected ? [{ cassette, expected }] : []
  })

const folders = [
  // Counted from the recordings: every exchange whose answer calls a function.
  { folder: "openai-chat", api: "chat", plain: 6, streamed: 0 },
  { folder: "openai-responses", api: "responses", plain: 14, streamed: 1 }
] as const

for (const { folder, api, plain, streamed } of folders) {
  describe(`${folder}: recorded tool calls`, () => {
    const exchanges = withCalls(folder)

    it("holds the exchanges with tool calls this file counts on", () => {
      expect(exchanges.filter((e) => !isStreamingCassette(e.cassette))).toHaveLength(plain)
      expect(exchanges.filter((e) => isStreamingCassette(e.cassette))).toHaveLength(streamed)
    })

    for (const { cassette, expected } of exchanges) {
      it.live(cassette.name, () =>
        Effect.gen(function* () {
          const provider = yield* LLMProvider
          const request = requestFrom(cassette)
          const model = (cassette.request.body as { model: string }).model
          sim.script(cassetteReply(cassette))
          const calls = expected.calls.map(({ id, name, arguments: args }) => ({ id, name, arguments: args }))
          if (isStreamingCassette(cassette)) {
            const events = Array.from(yield* Stream.runCollect(provider.stream(request, model)))
            expect(events.filter((e) => e._tag === "ToolCall").map(({ _tag, ...call }) => call)).toEqual(calls)
            expect(
              events.filter((e) => e._tag === "ToolCallStart").map((e) => (e._tag === "ToolCallStart" ? e.id : ""))
            ).toEqual(calls.map((c) => c.id))
            for (const call of expected.calls)
              expect(
                events
                  .filter((e) => e._tag === "ToolCallDelta" && e.id === call.id)
                  .map((e) => (e._tag === "ToolCallDelta" ? e.argumentsDelta : ""))
                  .join(""),
                `${call.id}: the streamed argument pieces`
              ).toBe(call.text)
            expect(events.at(-1)).toMatchObject({ _tag: "ProviderFinish", finishReason: expected.finishReason })
          } else {
            const response = yield* provider.generate(request, model)
            expect(response.toolCalls).toEqual(calls)
            expect(response.finishReason).toBe(expected.finishReason)
          }
          // The request side: the same tools, choice and tool history on the wire as recorded.
          const sent = toolWire(folder, sim.requests.at(-1)?.body as Json)
          const recorded = toolWire(folder, cassette.request.body as Json)
          expect(sent.tools).toEqual(recorded.tools)
          expect(sent.toolChoice).toEqual(recorded.toolChoice)
          // Outputs answering a call made before this input (previous_response_id) have no domain form.
          const answerable = new Set(recorded.history.flatMap((entry) => ("call" in entry ? [entry.call] : [])))
          expect(sent.history).toEqual(
            recorded.history.filter((entry) => !("result" in entry) || answerable.has(entry.result))
          )
        }).pipe(
          // Built when the test runs: the simulator's URL is known only after beforeAll.
          Effect.provide(
            OpenAIProvider.layer({ apiKey: Redacted.make("sk-test-replay"), baseUrl: `${sim.url}/v1`, api })
          )
        )
      )
    }
  })
}
