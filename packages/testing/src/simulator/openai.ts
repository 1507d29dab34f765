/**
 * The OpenAI protocol (docs/ARCHITECTURE.md, "Providers on the wire"): Chat Completions (`POST /v1/chat/completions`, plain
 * and SSE), the Responses API (`POST /v1/responses`, plain and the typed SSE event sequence that
 * `client.responses.stream().finalResponse()` validates), and `GET /v1/models` (one page: the API never
 * paginates). Shapes follow the recorded exchanges in cassettes/openai-chat and cassettes/openai-responses.
 */
import type { FinishReason, Usage } from "@llm-orchestrator/core"
import type { Effect, Scope } from "effect"
import { decodeBase64, isHttpUrl, parseDataUrl } from "./media.ts"
import { firstLooseObject, isJsonObject, jsonTypeWord } from "./schema.ts"
import {
  type ErrorReply,
  type FaultKind,
  type RequestedFormat,
  reasoningSignature,
  type SeenMedia,
  type SimModel,
  splitText
} from "./script.ts"
import {
  type Frame,
  type IncomingCall,
  json,
  type ProtocolAdapter,
  type RenderContext,
  type Route,
  Simulator,
  type SimulatorOptions,
  scopedSimulator,
  sse,
  type WireResponse
} from "./server.ts"

/** Current OpenAI ids, plus the non-chat models `/v1/models` really lists (embeddings, images, audio). */
export const defaultOpenAIModels: ReadonlyArray<SimModel> = [
  { id: "gpt-4o" },
  { id: "gpt-4o-mini" },
  { id: "gpt-4o-2024-08-06" },
  { id: "chatgpt-4o-latest" },
  { id: "gpt-4.1" },
  { id: "gpt-4.1-mini" },
  { id: "gpt-4.1-nano" },
  { id: "gpt-5" },
  { id: "gpt-5-mini" },
  { id: "gpt-5-nano" },
  { id: "o1" },
  { id: "o3" },
  { id: "o3-mini" },
  { id: "o4-mini" },
  { id: "text-embedding-3-small", chat: false },
  { id: "text-embedding-3-large", chat: false },
  { id: "omni-moderation-latest", chat: false },
  { id: "dall-e-3", chat: false },
  { id: "gpt-image-1", chat: false },
  { id: "whisper-1", chat: false },
  { id: "tts-1", chat: false },
  { id: "gpt-4o-mini-tts", chat: false },
  { id: "gpt-4o-transcribe", chat: false },
  { id: "gpt-4o-realtime-preview", chat: false },
  { id: "davinci-002", chat: false },
  { id: "babbage-002", chat: false }
]

type Api = "chat" | "responses"

interface ErrorBody {
  readonly status: number
  readonly message: string
  readonly type: string
  readonly param: string | null
  readonly code: string | null
}

const now = () => Math.floor(Date.now() / 1000)
const idOf = (ctx: RenderContext) => ctx.requestId.slice("req_".length)
const apiOf = (ctx: RenderContext): Api => (ctx.api === "responses" ? "responses" : "chat")
const wantsStream = (call: IncomingCall) => (call.body as { stream?: unknown } | undefined)?.stream === true
const includeUsage = (call: IncomingCall) =>
  (call.body as { stream_options?: { include_usage?: unknown } } | undefined)?.stream_options?.include_usage === true

/** The error OpenAI sends for each fault (status, type, param, code as the real API words them). */
const errorBody = (fault: FaultKind, api: Api, model: string, message: string | undefined): ErrorBody => {
  const body = (status: number, type: string, code: string | null, text: string, param: string | null = null) => ({
    status,
    type,
    code,
    param,
    message: message ?? text
  })
  switch (fault) {
    case "rate-limit":
      return body(
        429,
        "requests",
        "rate_limit_exceeded",
        `Rate limit reached for ${model} in organization org-sim on requests per min (RPM): Limit 3, Used 3, Requested 1. Please try again in 20s.`
      )
    case "overloaded":
      return body(503, "server_error", null, "The engine is currently overloaded, please try again later")
    case "server-error":
      return body(500, "server_error", null, "The server had an error while processing your request. Sorry about that!")
    case "unavailable":
      return body(503, "server_error", "service_unavailable", "The service is temporarily unavailable.")
    case "auth":
      // The real API echoes a masked key; the simulator never sees the real one anyway.
      return body(
        401,
        "invalid_request_error",
        "invalid_api_key",
        "Incorrect API key provided: sk-sim***1234. You can find your API key at https://platform.openai.com/account/api-keys."
      )
    case "permission":
      return body(
        403,
        "invalid_request_error",
        null,
        "You have insufficient permissions for this operation. Missing scopes: model.request."
      )
    case "model-not-found":
      return body(
        404,
        "invalid_request_error",
        "model_not_found",
        `The model \`${model}\` does not exist or you do not have access to it.`,
        "model"
      )
    case "context-length":
      return api === "responses"
        ? body(
            400,
            "invalid_request_error",
            "context_length_exceeded",
            "Your input exceeds the context window of this model. Please adjust your input and try again.",
            "input"
          )
        : body(
            400,
            "invalid_request_error",
            "context_length_exceeded",
            "This model's maximum context length is 128000 tokens. However, your messages resulted in 130532 tokens. Please reduce the length of the messages.",
            "messages"
          )
    case "invalid-request":
      return body(
        400,
        "invalid_request_error",
        "unsupported_value",
        "Unsupported value: 'temperature' does not support 7 with this model.",
        "temperature"
      )
    case "content-filter":
      // Only reached for a mid-stream error event: a content filter is otherwise an HTTP 200 (see `error`).
      return body(400, "invalid_request_error", "content_filter", "The response was filtered by the content policy.")
  }
}

const wireError = (e: ErrorBody) => ({ message: e.message, type: e.type, param: e.param, code: e.code })

// ---- Chat Completions -------------------------------------------------------------------------------

const chatFinish = (reason: FinishReason): string => {
  switch (reason) {
    case "stop":
      return "stop"
    case "length":
      return "length"
    case "content-filter":
      return "content_filter"
    case "tool-calls":
      return "tool_calls"
    // OpenAI has no wire form for these; OpenAI-compatible servers send their own words (vLLM "abort").
    case "error":
      return "error"
    case "other":
      return "abort"
  }
}

const chatUsage = (usage: Usage) => ({
  prompt_tokens: usage.inputTokens,
  completion_tokens: usage.outputTokens,
  total_tokens: usage.inputTokens + usage.outputTokens,
  prompt_tokens_details: {
    cached_tokens: usage.cacheReadTokens,
    audio_tokens: 0,
    ...(usage.cacheWriteTokens > 0 ? { cache_write_tokens: usage.cacheWriteTokens } : {})
  },
  completion_tokens_details: {
    reasoning_tokens: usage.reasoningTokens,
    audio_tokens: 0,
    accepted_prediction_tokens: 0,
    rejected_prediction_tokens: 0
  }
})

/** A tool call as rendered: the scripted ones, or one `lookup({})` for a bare "tool-calls" finish. */
interface SimCall {
  readonly callId: string
  readonly itemId: string
  readonly name: string
  readonly arguments: string
  readonly pieces: ReadonlyArray<string>
}

/** Ids in OpenAI's style (`call_...`, Responses items `fc_...`), numbered within the reply. */
const callsOf = (ctx: RenderContext): ReadonlyArray<SimCall> => {
  const id = idOf(ctx)
  const scripted = ctx.toolCalls ?? []
  const calls =
    scripted.length > 0
      ? scripted
      : ctx.finishReason === "tool-calls"
        ? [{ name: "lookup", arguments: {}, argumentsChunks: 1 }]
        : []
  return calls.map((call, index) => {
    const args = JSON.stringify(call.arguments)
    const suffix = index === 0 ? "" : `_${index}`
    return {
      callId: call.id ?? `call_${id.slice(0, 20)}${suffix}`,
      itemId: `fc_${id}${suffix}`,
      name: call.name,
      arguments: args,
      pieces: splitText(args, call.argumentsChunks ?? 3)
    }
  })
}

const chatToolCall = (call: SimCall) => ({
  id: call.callId,
  type: "function",
  function: { name: call.name, arguments: call.arguments }
})

const chatHead = (ctx: RenderContext, object: string) => ({
  id: `chatcmpl-${idOf(ctx)}`,
  object,
  created: now(),
  model: ctx.model,
  service_tier: "default",
  system_fingerprint: "fp_sim"
})

const chatCompletion = (ctx: RenderContext) => {
  const finish = ctx.finishReason
  const calls = callsOf(ctx)
  const content = calls.length > 0 && ctx.text === "" ? null : ctx.text
  return {
    ...chatHead(ctx, "chat.completion"),
    choices: [
      {
        index: 0,
        message: {
          role: "assistant",
          content,
          refusal: null,
          annotations: [],
          ...(calls.length > 0 ? { tool_calls: calls.map(chatToolCall) } : {})
        },
        logprobs: null,
        finish_reason: chatFinish(finish)
      }
    ],
    usage: chatUsage(ctx.usage)
  }
}

const chatChunk = (ctx: RenderContext, choices: ReadonlyArray<unknown>, usage?: unknown) => ({
  ...chatHead(ctx, "chat.completion.chunk"),
  choices,
  // With include_usage every chunk carries `usage: null` until the final usage-only chunk.
  ...(includeUsage(ctx.call) ? { usage: usage ?? null } : {})
})

const chatDeltaChoice = (delta: unknown, finish: string | null = null) => ({
  index: 0,
  delta,
  logprobs: null,
  finish_reason: finish
})

const chatStreamEnd = (ctx: RenderContext): ReadonlyArray<Frame> => {
  const frames: Array<Frame> = []
  // As OpenAI streams a call: id, name and empty arguments first, then the arguments in pieces.
  for (const [index, call] of callsOf(ctx).entries()) {
    frames.push(
      sse(
        chatChunk(ctx, [
          chatDeltaChoice({
            tool_calls: [{ index, id: call.callId, type: "function", function: { name: call.name, arguments: "" } }]
          })
        ])
      )
    )
    for (const piece of call.pieces)
      frames.push(sse(chatChunk(ctx, [chatDeltaChoice({ tool_calls: [{ index, function: { arguments: piece } }] })])))
  }
  frames.push(sse(chatChunk(ctx, [chatDeltaChoice({}, chatFinish(ctx.finishReason))])))
  if (includeUsage(ctx.call)) frames.push(sse(chatChunk(ctx, [], chatUsage(ctx.usage))))
  frames.push(sse("[DONE]"))
  return frames
}

// ---- Responses API ----------------------------------------------------------------------------------

const responsesUsage = (usage: Usage) => ({
  input_tokens: usage.inputTokens,
  input_tokens_details: { cached_tokens: usage.cacheReadTokens, cache_write_tokens: usage.cacheWriteTokens },
  output_tokens: usage.outputTokens,
  output_tokens_details: { reasoning_tokens: usage.reasoningTokens },
  total_tokens: usage.inputTokens + usage.outputTokens
})

/** How a finish reason ends a Responses response: its status, and `incomplete_details` / `error`. */
const responsesOutcome = (ctx: RenderContext) => {
  switch (ctx.finishReason) {
    case "length":
      return { status: "incomplete", incomplete_details: { reason: "max_output_tokens" }, error: null }
    case "content-filter":
      return { status: "incomplete", incomplete_details: { reason: "content_filter" }, error: null }
    case "error":
      return {
        status: "failed",
        incomplete_details: null,
        error: { code: "server_error", message: "The model failed to generate a response." }
      }
    default:
      return { status: "completed", incomplete_details: null, error: null }
  }
}

const responseIds = (ctx: RenderContext) => {
  const id = idOf(ctx)
  return { response: `resp_${id}`, reasoning: `rs_${id}`, message: `msg_${id}` }
}

/**
 * The reasoning item: a scripted reasoning as its summary and its encrypted content (bound to the text,
 * so another provider's or an edited one is refused when sent back).
 */
const reasoningItem = (ctx: RenderContext) => ({
  id: responseIds(ctx).reasoning,
  type: "reasoning",
  summary: ctx.reasoning !== undefined ? [{ type: "summary_text", text: ctx.reasoning }] : [],
  ...(ctx.reasoning !== undefined ? { encrypted_content: reasoningSignature("openai", ctx.reasoning) } : {})
})
const hasReasoning = (ctx: RenderContext) => ctx.reasoning !== undefined || ctx.usage.reasoningTokens > 0

const textPart = (text: string) => ({ type: "output_text", annotations: [], logprobs: [], text })

const messageItem = (ctx: RenderContext, status: string) => ({
  id: responseIds(ctx).message,
  type: "message",
  status,
  content: [textPart(ctx.text)],
  role: "assistant"
})

const functionCallItem = (call: SimCall, status: string, args: string) => ({
  id: call.itemId,
  type: "function_call",
  status,
  arguments: args,
  call_id: call.callId,
  name: call.name
})

/** The message is left out when a tool call produced no text (as the real API does). */
const hasMessage = (ctx: RenderContext) => !(callsOf(ctx).length > 0 && ctx.text === "")

const finalOutput = (ctx: RenderContext) => {
  const outcome = responsesOutcome(ctx)
  return [
    ...(hasReasoning(ctx) ? [reasoningItem(ctx)] : []),
    ...(hasMessage(ctx) ? [messageItem(ctx, outcome.status === "completed" ? "completed" : "incomplete")] : []),
    ...callsOf(ctx).map((call) => functionCallItem(call, "completed", call.arguments))
  ]
}

const echoedFormat = (format: RequestedFormat | undefined) =>
  format === undefined
    ? { type: "text" }
    : {
        type: "json_schema",
        description: null,
        name: format.name ?? null,
        schema: format.schema ?? null,
        strict: format.strict ?? false
      }

const responseObject = (ctx: RenderContext, phase: "start" | "final") => {
  const outcome = responsesOutcome(ctx)
  const final = phase === "final"
  return {
    id: responseIds(ctx).response,
    object: "response",
    created_at: now(),
    status: final ? outcome.status : "in_progress",
    background: false,
    error: final ? outcome.error : null,
    incomplete_details: final ? outcome.incomplete_details : null,
    instructions: null,
    max_output_tokens: null,
    model: ctx.model,
    output: final ? finalOutput(ctx) : [],
    parallel_tool_calls: true,
    previous_response_id: null,
    reasoning: { effort: null, summary: null },
    service_tier: "default",
    store: true,
    temperature: 1.0,
    // The API echoes the requested format.
    text: { format: echoedFormat(ctx.responseFormat) },
    tool_choice: "auto",
    tools: [],
    top_p: 1.0,
    truncation: "disabled",
    usage: final ? responsesUsage(ctx.usage) : null,
    user: null,
    metadata: {}
  }
}

/** Sequence numbers of one Responses stream (one render context per response). */
const sequences = new WeakMap<RenderContext, number>()
const event = (ctx: RenderContext, type: string, fields: Record<string, unknown>): string => {
  const sequence_number = sequences.get(ctx) ?? 0
  sequences.set(ctx, sequence_number + 1)
  return sse({ type, ...fields, sequence_number }, type)
}

const messageIndex = (ctx: RenderContext) => (hasReasoning(ctx) ? 1 : 0)

const responsesStreamStart = (ctx: RenderContext): ReadonlyArray<Frame> => {
  const frames = [
    event(ctx, "response.created", { response: responseObject(ctx, "start") }),
    event(ctx, "response.in_progress", { response: responseObject(ctx, "start") })
  ]
  if (hasReasoning(ctx)) {
    const item = reasoningItem(ctx)
    frames.push(event(ctx, "response.output_item.added", { item: { ...item, summary: [] }, output_index: 0 }))
    if (ctx.reasoning !== undefined) {
      const half = Math.ceil(ctx.reasoning.length / 2)
      const ids = { item_id: item.id, output_index: 0, summary_index: 0 }
      frames.push(
        event(ctx, "response.reasoning_summary_part.added", { ...ids, part: { type: "summary_text", text: "" } })
      )
      for (const delta of [ctx.reasoning.slice(0, half), ctx.reasoning.slice(half)])
        frames.push(event(ctx, "response.reasoning_summary_text.delta", { ...ids, delta }))
      frames.push(event(ctx, "response.reasoning_summary_text.done", { ...ids, text: ctx.reasoning }))
    }
    frames.push(event(ctx, "response.output_item.done", { item, output_index: 0 }))
  }
  if (hasMessage(ctx)) {
    const index = messageIndex(ctx)
    const item_id = responseIds(ctx).message
    frames.push(
      event(ctx, "response.output_item.added", {
        item: { id: item_id, type: "message", status: "in_progress", content: [], role: "assistant" },
        output_index: index
      }),
      event(ctx, "response.content_part.added", {
        content_index: 0,
        item_id,
        output_index: index,
        part: textPart("")
      })
    )
  }
  return frames
}

const responsesStreamEnd = (ctx: RenderContext): ReadonlyArray<Frame> => {
  const outcome = responsesOutcome(ctx)
  const frames: Array<Frame> = []
  const item_id = responseIds(ctx).message
  const index = messageIndex(ctx)
  if (hasMessage(ctx)) {
    frames.push(
      event(ctx, "response.output_text.done", {
        content_index: 0,
        item_id,
        logprobs: [],
        output_index: index,
        text: ctx.text
      }),
      event(ctx, "response.content_part.done", {
        content_index: 0,
        item_id,
        output_index: index,
        part: textPart(ctx.text)
      }),
      event(ctx, "response.output_item.done", {
        item: messageItem(ctx, outcome.status === "completed" ? "completed" : "incomplete"),
        output_index: index
      })
    )
  }
  for (const [position, call] of callsOf(ctx).entries()) {
    const output_index = index + (hasMessage(ctx) ? 1 : 0) + position
    const item_id = call.itemId
    frames.push(
      event(ctx, "response.output_item.added", { item: functionCallItem(call, "in_progress", ""), output_index })
    )
    for (const delta of call.pieces)
      frames.push(event(ctx, "response.function_call_arguments.delta", { delta, item_id, output_index }))
    frames.push(
      event(ctx, "response.function_call_arguments.done", { arguments: call.arguments, item_id, output_index }),
      event(ctx, "response.output_item.done", {
        item: functionCallItem(call, "completed", call.arguments),
        output_index
      })
    )
  }
  const terminal =
    outcome.status === "completed"
      ? "response.completed"
      : outcome.status === "failed"
        ? "response.failed"
        : "response.incomplete"
  frames.push(event(ctx, terminal, { response: responseObject(ctx, "final") }))
  return frames
}

// ---- Tool requests checked as the real API checks them --------------------------------------------

type Json = Record<string, unknown>
const isObject = (value: unknown): value is Json => typeof value === "object" && value !== null && !Array.isArray(value)
const functionName = /^[a-zA-Z0-9_-]{1,64}$/

/** A 400 in OpenAI's words (`invalid_request_error` with its param and code). */
const invalid = (message: string, param: string | null, code: string | null = null): WireResponse =>
  json(400, { error: { message, type: "invalid_request_error", param, code } })

/** `tools` and `tool_choice`: a non-empty list of well-named functions, a choice only with tools. */
const toolsProblem = (api: Api, body: Json): WireResponse | undefined => {
  const tools = body.tools
  if (tools !== undefined) {
    if (!Array.isArray(tools) || tools.length === 0)
      return invalid(
        "Invalid 'tools': empty array. Expected an array with minimum length 1, but got an empty array instead.",
        "tools",
        "empty_array"
      )
    for (const [i, tool] of tools.entries()) {
      const fn: unknown = api === "chat" ? (tool as Json).function : tool
      const where = api === "chat" ? `tools[${i}].function` : `tools[${i}]`
      if (!isObject(tool) || tool.type !== "function" || !isObject(fn))
        return invalid(`Missing required parameter: '${where}'.`, where, "missing_required_parameter")
      if (typeof fn.name !== "string" || !functionName.test(fn.name))
        return invalid(
          `Invalid '${where}.name': string does not match pattern. Expected a string that matches the pattern '^[a-zA-Z0-9_-]+$'.`,
          `${where}.name`,
          "invalid_value"
        )
      if (fn.parameters !== undefined && (!isObject(fn.parameters) || fn.parameters.type !== "object"))
        return invalid(
          `Invalid schema for function '${fn.name}': schema must be a JSON Schema of 'type: "object"', got 'type: "${String((fn.parameters as Json | null)?.type)}"'.`,
          `${where}.parameters`,
          "invalid_function_parameters"
        )
    }
  }
  const choice = body.tool_choice
  if (choice === undefined) return undefined
  if (tools === undefined)
    return invalid(
      "Invalid value for 'tool_choice': 'tool_choice' is only allowed when 'tools' are specified.",
      "tool_choice"
    )
  if (choice === "auto" || choice === "none" || choice === "required") return undefined
  const named =
    isObject(choice) && choice.type === "function"
      ? api === "chat"
        ? (choice.function as Json)?.name
        : choice.name
      : undefined
  const defined = (tools as ReadonlyArray<Json>).map((tool) =>
    api === "chat" ? (tool.function as Json).name : tool.name
  )
  if (typeof named !== "string")
    return invalid(
      "Invalid value for 'tool_choice': expected 'none', 'auto', 'required' or a named function.",
      "tool_choice",
      "invalid_value"
    )
  if (!defined.includes(named))
    return invalid(`Tool choice '${named}' not found in 'tools' parameter.`, "tool_choice", null)
  return undefined
}

const idTooLong = (where: string, id: string) =>
  invalid(
    `Invalid '${where}': string too long. Expected a string with maximum length 40, but got a string with length ${id.length} instead.`,
    where,
    "string_above_max_length"
  )

/** Chat history: every assistant `tool_calls` answered by `tool` messages right after it, and nothing else. */
const chatHistoryProblem = (messages: ReadonlyArray<Json>): WireResponse | undefined => {
  let pending: Array<string> = []
  let answerable = new Set<string>()
  for (const [i, message] of messages.entries()) {
    if (message.role === "tool") {
      const id = message.tool_call_id
      if (typeof id !== "string" || !answerable.has(id))
        return invalid(
          "Invalid parameter: messages with role 'tool' must be a response to a preceeding message with 'tool_calls'.",
          `messages.[${i}].role`
        )
      if (typeof message.content !== "string" && !Array.isArray(message.content))
        return invalid(
          `Invalid type for 'messages[${i}].content': expected one of a string or array of objects.`,
          `messages[${i}].content`,
          "invalid_type"
        )
      pending = pending.filter((open) => open !== id)
      continue
    }
    if (pending.length > 0)
      return invalid(
        `An assistant message with 'tool_calls' must be followed by tool messages responding to each 'tool_call_id'. The following tool_call_ids did not have response messages: ${pending.join(", ")}`,
        `messages.[${i}].role`
      )
    answerable = new Set()
    if (message.role !== "assistant" || message.tool_calls === undefined) continue
    if (!Array.isArray(message.tool_calls) || message.tool_calls.length === 0)
      return invalid(
        `Invalid 'messages[${i}].tool_calls': empty array. Expected an array with minimum length 1, but got an empty array instead.`,
        `messages[${i}].tool_calls`,
        "empty_array"
      )
    for (const [j, call] of (message.tool_calls as ReadonlyArray<Json>).entries()) {
      const where = `messages[${i}].tool_calls[${j}]`
      const fn = call.function as Json | undefined
      if (typeof call.id !== "string")
        return invalid(`Missing required parameter: '${where}.id'.`, `${where}.id`, "missing_required_parameter")
      if (call.id.length > 40) return idTooLong(`${where}.id`, call.id)
      if (call.type !== "function" || !isObject(fn) || typeof fn.name !== "string")
        return invalid(
          `Missing required parameter: '${where}.function'.`,
          `${where}.function`,
          "missing_required_parameter"
        )
      if (typeof fn.arguments !== "string")
        return invalid(
          `Invalid type for '${where}.function.arguments': expected a string, but got ${Array.isArray(fn.arguments) ? "an array" : `an ${typeof fn.arguments}`} instead.`,
          `${where}.function.arguments`,
          "invalid_type"
        )
      pending.push(call.id)
      answerable.add(call.id)
    }
  }
  if (pending.length > 0)
    return invalid(
      `An assistant message with 'tool_calls' must be followed by tool messages responding to each 'tool_call_id'. The following tool_call_ids did not have response messages: ${pending.join(", ")}`,
      `messages.[${messages.length}].role`
    )
  return undefined
}

/** Responses input: each `function_call_output` answers an earlier `function_call`'s `call_id`. */
const responsesInputProblem = (input: ReadonlyArray<Json>): WireResponse | undefined => {
  const called = new Set<string>()
  for (const [i, item] of input.entries()) {
    if (item.type === "function_call") {
      if (typeof item.call_id !== "string" || typeof item.name !== "string")
        return invalid(
          `Missing required parameter: 'input[${i}].call_id'.`,
          `input[${i}].call_id`,
          "missing_required_parameter"
        )
      if (typeof item.arguments !== "string")
        return invalid(
          `Invalid type for 'input[${i}].arguments': expected a string, but got an ${typeof item.arguments} instead.`,
          `input[${i}].arguments`,
          "invalid_type"
        )
      called.add(item.call_id)
    }
    // A reasoning item sent back: its encrypted content must be one this API gave (bound to its summary).
    if (item.type === "reasoning" && typeof item.encrypted_content === "string") {
      const summary = Array.isArray(item.summary) ? (item.summary as Array<{ text?: unknown }>) : []
      const text = summary.map((part) => String(part.text ?? "")).join("\n\n")
      if (item.encrypted_content !== reasoningSignature("openai", text))
        return invalid(
          `The encrypted content for item ${String(item.id)} could not be verified.`,
          `input[${i}].encrypted_content`,
          "invalid_encrypted_content"
        )
    }
    if (item.type === "function_call_output") {
      if (typeof item.call_id !== "string" || !called.has(item.call_id))
        return invalid(`No tool call found for function call output with call_id ${String(item.call_id)}.`, "input")
      if (typeof item.output !== "string" && !Array.isArray(item.output))
        return invalid(
          `Invalid type for 'input[${i}].output': expected one of a string or array of objects.`,
          `input[${i}].output`,
          "invalid_type"
        )
    }
  }
  return undefined
}

// ---- Structured output checked as the real API checks it ------------------------------------------

const formatTypes = ["text", "json_object", "json_schema"]
const formatName = /^[a-zA-Z0-9_-]+$/

/** A JSON Schema format's name, schema and strict flag, under `where` (`response_format.json_schema`, `text.format`). */
const jsonSchemaProblem = (where: string, spec: Json, schemaRequired: boolean): WireResponse | undefined => {
  const { name, schema, strict } = spec
  if (name === undefined)
    return invalid(`Missing required parameter: '${where}.name'.`, `${where}.name`, "missing_required_parameter")
  if (typeof name !== "string")
    return invalid(
      `Invalid type for '${where}.name': expected a string, but got ${jsonTypeWord(name)} instead.`,
      `${where}.name`,
      "invalid_type"
    )
  if (name.length > 64)
    return invalid(
      `Invalid '${where}.name': string too long. Expected a string with maximum length 64, but got a string with length ${name.length} instead.`,
      `${where}.name`,
      "string_above_max_length"
    )
  if (!formatName.test(name))
    return invalid(
      `Invalid '${where}.name': string does not match pattern. Expected a string that matches the pattern '^[a-zA-Z0-9_-]+$'.`,
      `${where}.name`,
      "invalid_value"
    )
  if (schema === undefined && schemaRequired)
    return invalid(`Missing required parameter: '${where}.schema'.`, `${where}.schema`, "missing_required_parameter")
  if (schema !== undefined && !isJsonObject(schema))
    return invalid(
      `Invalid type for '${where}.schema': expected an object, but got ${jsonTypeWord(schema)} instead.`,
      `${where}.schema`,
      "invalid_type"
    )
  if (strict !== undefined && strict !== null && typeof strict !== "boolean")
    return invalid(
      `Invalid type for '${where}.strict': expected a boolean, but got ${jsonTypeWord(strict)} instead.`,
      `${where}.strict`,
      "invalid_type"
    )
  if (strict !== true) return undefined
  // Strict mode: an object at the root, and every object closed with all its properties required.
  const param = where === "text.format" ? "text.format.schema" : "response_format"
  const refused = (text: string) =>
    invalid(`Invalid schema for response_format '${name}': ${text}`, param, "invalid_json_schema")
  if ((schema as Json | undefined)?.type !== "object")
    return refused(`schema must be a JSON Schema of 'type: "object"', got 'type: "${String((schema as Json)?.type)}"'.`)
  const loose = firstLooseObject(schema, true)
  if (loose === undefined) return undefined
  const context = `(${loose.path.map((key) => `'${key}'`).join(", ")}${loose.path.length === 1 ? "," : ""})`
  return refused(
    loose.lacks === "additionalProperties"
      ? `In context=${context}, 'additionalProperties' is required to be supplied and to be false.`
      : `In context=${context}, 'required' is required to be supplied and to be an array including every key in properties. Missing '${loose.lacks.required}'.`
  )
}

/** One format object (`response_format`, `text.format`): its type, and a JSON Schema format's fields. */
const formatObjectProblem = (where: string, format: unknown, api: Api): WireResponse | undefined => {
  if (!isJsonObject(format))
    return invalid(
      `Invalid type for '${where}': expected an object, but got ${jsonTypeWord(format)} instead.`,
      where,
      "invalid_type"
    )
  if (!formatTypes.includes(format.type as string))
    return invalid(
      `Invalid value: '${String(format.type)}'. Supported values are: 'text', 'json_object', and 'json_schema'.`,
      `${where}.type`,
      "invalid_value"
    )
  if (format.type !== "json_schema") return undefined
  if (api === "responses") return jsonSchemaProblem(where, format, true)
  if (!isJsonObject(format.json_schema))
    return invalid(
      `Missing required parameter: '${where}.json_schema'.`,
      `${where}.json_schema`,
      "missing_required_parameter"
    )
  return jsonSchemaProblem(`${where}.json_schema`, format.json_schema, false)
}

/**
 * Structured output: Chat's `response_format`, the Responses API's `text.format` (each refusing the
 * other's field, as the real APIs do), a known format type, and for a JSON Schema a valid name, an
 * object schema and, in strict mode, a schema strict mode can take.
 */
const formatProblem = (api: Api, body: Json): WireResponse | undefined => {
  if (api === "responses") {
    if (body.response_format !== undefined)
      return invalid(
        "Unsupported parameter: 'response_format'. In the Responses API, this parameter has moved to 'text.format'. Try again with the new parameter. See the API documentation for more information: https://platform.openai.com/docs/api-reference/responses/create.",
        "response_format",
        "unsupported_parameter"
      )
    const text = body.text
    if (text === undefined) return undefined
    if (!isJsonObject(text))
      return invalid(
        `Invalid type for 'text': expected an object, but got ${jsonTypeWord(text)} instead.`,
        "text",
        "invalid_type"
      )
    return text.format === undefined ? undefined : formatObjectProblem("text.format", text.format, api)
  }
  if (body.text !== undefined) return invalid("Unrecognized request argument supplied: text", null)
  return body.response_format === undefined
    ? undefined
    : formatObjectProblem("response_format", body.response_format, api)
}

/** The JSON Schema format a checked request asked for (Chat `response_format`, Responses `text.format`). */
const requestedFormat = (call: IncomingCall): RequestedFormat | undefined => {
  const body = call.body as Json | undefined
  const chat = !call.path.endsWith("/responses")
  const format = chat ? body?.response_format : (body?.text as Json | undefined)?.format
  if (!isJsonObject(format) || format.type !== "json_schema") return undefined
  const spec = (chat ? format.json_schema : format) as Json
  return {
    schema: spec.schema,
    ...(typeof spec.name === "string" ? { name: spec.name } : {}),
    strict: spec.strict === true
  }
}

/** Models of the families that do not reason (GPT-4, GPT-4o, GPT-4.1, GPT-3.5): they refuse reasoning controls. */
const nonReasoningModel = /^(gpt-4|gpt-3\.5|chatgpt-4o)/

/** A reasoning control sent to a model that does not reason, refused as the real API refuses it. */
const reasoningProblem = (api: Api, body: Json): WireResponse | undefined => {
  const model = typeof body.model === "string" ? body.model : ""
  if (!nonReasoningModel.test(model)) return undefined
  if (api === "chat" && body.reasoning_effort !== undefined)
    return invalid(
      "Unsupported parameter: 'reasoning_effort' is not supported with this model.",
      "reasoning_effort",
      "unsupported_parameter"
    )
  if (api !== "chat" && isJsonObject(body.reasoning) && body.reasoning.effort !== undefined)
    return invalid(
      "Unsupported parameter: 'reasoning.effort' is not supported with this model.",
      "reasoning.effort",
      "unsupported_parameter"
    )
  return undefined
}

const toolRequestProblem = (api: Api, body: Json): WireResponse | undefined => {
  const reasoning = reasoningProblem(api, body)
  if (reasoning) return reasoning
  const tools = toolsProblem(api, body)
  if (tools) return tools
  if (api === "chat")
    return Array.isArray(body.messages) ? chatHistoryProblem(body.messages as ReadonlyArray<Json>) : undefined
  return Array.isArray(body.input) ? responsesInputProblem(body.input as ReadonlyArray<Json>) : undefined
}

// ---- Images and files checked as the real API checks them -------------------------------------------

const imageTypes = ["image/png", "image/jpeg", "image/gif", "image/webp"]
const imageDetails = ["auto", "low", "high", "original"]
const exampleImage = "data:image/png;base64,aW1nIGJ5dGVzIGhlcmU="
const examplePdf = "data:application/pdf;base64,SGVsbG8sIFdvcmxkIQ=="

/** An image URL (`image_url.url`, `image_url`): a data URL with an image type and base64 that decodes, or http(s). */
const imageSeen = (where: string, url: unknown, at: string): WireResponse | SeenMedia => {
  if (typeof url !== "string")
    return invalid(
      `Invalid type for '${where}': expected a string, but got ${jsonTypeWord(url)} instead.`,
      where,
      "invalid_type"
    )
  if (isHttpUrl(url)) return { kind: "image", mediaType: "", url, at }
  const expected = `Invalid image URL: '${where}'. Expected a base64-encoded data URL with an image MIME type (e.g. '${exampleImage}')`
  const inline = parseDataUrl(url)
  if (inline === undefined)
    return invalid(
      `${expected}, but got ${url.startsWith("data:") ? "a data URL that is not base64" : "a value without the 'data:' prefix"}.`,
      where,
      "invalid_value"
    )
  if (!imageTypes.includes(inline.mediaType))
    return invalid(`${expected}, but got unsupported MIME type '${inline.mediaType}'.`, where, "invalid_value")
  const bytes = decodeBase64(inline.data)
  if (bytes === undefined) return invalid("Invalid base64 image_url.", where, "invalid_value")
  return { kind: "image", mediaType: inline.mediaType, bytes, at }
}

/** Inline file data: a data URL of a type the API reads (Chat: PDF only) whose base64 decodes. */
const fileDataSeen = (
  where: string,
  data: unknown,
  types: ReadonlyArray<string>,
  name: unknown,
  nameWhere: string,
  at: string
): WireResponse | SeenMedia => {
  const expected = `Invalid file data: '${where}'. Expected a base64-encoded data URL with an application/pdf MIME type (e.g. '${examplePdf}')`
  const inline = typeof data === "string" ? parseDataUrl(data) : undefined
  if (inline === undefined)
    return invalid(`${expected}, but got a value without the 'data:' prefix.`, where, "invalid_value")
  if (!types.includes(inline.mediaType))
    return invalid(`${expected}, but got unsupported MIME type '${inline.mediaType}'.`, where, "invalid_value")
  const bytes = decodeBase64(inline.data)
  if (bytes === undefined) return invalid(`${expected}, but got invalid base64 data.`, where, "invalid_value")
  if (typeof name !== "string" || name === "")
    return invalid(`Missing required parameter: '${nameWhere}'.`, nameWhere, "missing_required_parameter")
  return { kind: "document", mediaType: inline.mediaType, bytes, name, at }
}

/**
 * Chat content parts: `image_url` (only in user messages, an object with a data URL or an http(s) URL,
 * a known detail) and `file` (only in user messages; `file_data` a PDF data URL with a filename, or a
 * `file_id`). The media that arrived, or the 400 the API answers.
 */
const chatMedia = (messages: ReadonlyArray<Json>): WireResponse | Array<SeenMedia> => {
  const media: Array<SeenMedia> = []
  for (const [i, message] of messages.entries()) {
    if (!Array.isArray(message.content)) continue
    for (const [j, part] of (message.content as ReadonlyArray<unknown>).entries()) {
      if (!isObject(part) || (part.type !== "image_url" && part.type !== "file")) continue
      const where = `messages[${i}].content[${j}]`
      if (message.role !== "user")
        return invalid(
          part.type === "image_url"
            ? `Image URLs are only allowed for messages with role 'user', but this message with role '${String(message.role)}' contains an image URL.`
            : `File content parts are only allowed for messages with role 'user', but this message with role '${String(message.role)}' contains a file.`,
          `messages.[${i}].content.[${j}].type`
        )
      const field = part.type === "image_url" ? part.image_url : part.file
      if (!isObject(field))
        return invalid(
          `Invalid type for '${where}.${part.type}': expected an object, but got ${jsonTypeWord(field)} instead.`,
          `${where}.${part.type}`,
          "invalid_type"
        )
      let seen: WireResponse | SeenMedia
      if (part.type === "image_url") {
        if (field.detail !== undefined && !imageDetails.includes(field.detail as string))
          return invalid(
            `Invalid value: '${String(field.detail)}'. Supported values are: 'auto', 'low', 'high', and 'original'.`,
            `${where}.image_url.detail`,
            "invalid_value"
          )
        seen = imageSeen(`${where}.image_url.url`, field.url, where)
      } else if (field.file_id !== undefined) continue
      else if (field.file_data === undefined)
        return invalid(
          `Missing required parameter: '${where}.file.file_id'.`,
          `${where}.file.file_id`,
          "missing_required_parameter"
        )
      else
        seen = fileDataSeen(
          `${where}.file.file_data`,
          field.file_data,
          ["application/pdf"],
          field.filename,
          `${where}.file.filename`,
          where
        )
      if ("status" in seen) return seen
      media.push(seen)
    }
  }
  return media
}

/**
 * Responses input content: `input_image` (a data URL or an http(s) URL, a known detail) and
 * `input_file` (one of `file_data` with a filename, `file_url` or `file_id`). The media that arrived,
 * or the 400 the API answers.
 */
const responsesMedia = (input: ReadonlyArray<Json>): WireResponse | Array<SeenMedia> => {
  const media: Array<SeenMedia> = []
  for (const [i, item] of input.entries()) {
    if (!Array.isArray(item.content)) continue
    for (const [j, part] of (item.content as ReadonlyArray<unknown>).entries()) {
      if (!isObject(part) || (part.type !== "input_image" && part.type !== "input_file")) continue
      const where = `input[${i}].content[${j}]`
      let seen: WireResponse | SeenMedia
      if (part.type === "input_image") {
        if (part.detail !== undefined && !imageDetails.includes(part.detail as string))
          return invalid(
            `Invalid value: '${String(part.detail)}'. Supported values are: 'auto', 'low', 'high', and 'original'.`,
            `${where}.detail`,
            "invalid_value"
          )
        if (part.file_id !== undefined && part.image_url === undefined) continue
        seen = imageSeen(`${where}.image_url`, part.image_url, where)
      } else {
        const given = ["file_data", "file_id", "file_url"].filter((key) => part[key] !== undefined)
        if (given.length !== 1)
          return invalid(
            given.length === 0
              ? `Missing required parameter: '${where}.file_id'. One of 'file_id', 'file_url' or 'file_data' must be provided.`
              : `Invalid '${where}': only one of 'file_id', 'file_url' and 'file_data' may be provided.`,
            where,
            given.length === 0 ? "missing_required_parameter" : "invalid_value"
          )
        if (part.file_id !== undefined) continue
        if (part.file_url !== undefined) {
          if (!isHttpUrl(part.file_url))
            return invalid(
              `Invalid URL: '${where}.file_url'. Expected an http or https URL.`,
              `${where}.file_url`,
              "invalid_value"
            )
          seen = { kind: "document", mediaType: "", url: part.file_url as string, at: where }
        } else
          seen = fileDataSeen(
            `${where}.file_data`,
            part.file_data,
            ["application/pdf", "text/plain"],
            part.filename,
            `${where}.filename`,
            where
          )
      }
      if ("status" in seen) return seen
      media.push(seen)
    }
  }
  return media
}

/** The request's media, or the 400 for the first malformed one. */
const mediaOf = (api: Api, body: Json): WireResponse | ReadonlyArray<SeenMedia> => {
  const list = api === "chat" ? body.messages : body.input
  if (!Array.isArray(list)) return []
  return api === "chat" ? chatMedia(list as ReadonlyArray<Json>) : responsesMedia(list as ReadonlyArray<Json>)
}

// ---- The adapter ------------------------------------------------------------------------------------

const requestHeaders = (ctx: RenderContext): Record<string, string> => ({
  "x-request-id": ctx.requestId,
  "openai-version": "2020-10-01",
  "openai-processing-ms": "42"
})

/** A whole streamed body for replies that are not text deltas (a content filter before any text). */
const wholeStream = (adapter: ProtocolAdapter, ctx: RenderContext): WireResponse => {
  const frames = [
    ...adapter.streamStart(ctx),
    ...ctx.chunks.map((text, index) => adapter.streamDelta(ctx, text, index)),
    ...adapter.streamEnd(ctx)
  ]
  return { status: 200, headers: adapter.streamHeaders(ctx), body: frames.join("") }
}

const invalidUrl = (call: IncomingCall): WireResponse =>
  json(404, {
    error: {
      message: `Invalid URL (${call.method} ${call.path})`,
      type: "invalid_request_error",
      param: null,
      code: null
    }
  })

export const openaiAdapter: ProtocolAdapter = {
  protocol: "openai",

  // Paths are matched by their tail, so any base URL prefix (`/v1`, `/openai/v1`) works.
  route(call: IncomingCall): Route {
    if (!call.headers.authorization?.startsWith("Bearer ")) {
      return {
        kind: "response",
        response: json(401, {
          error: {
            message:
              "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
            type: "invalid_request_error",
            param: null,
            code: null
          }
        })
      }
    }
    const api: Api | undefined = call.path.endsWith("/chat/completions")
      ? "chat"
      : call.path.endsWith("/responses")
        ? "responses"
        : undefined
    if (api && call.method === "POST") {
      const model = (call.body as { model?: unknown } | undefined)?.model
      if (typeof model !== "string" || model === "") {
        return {
          kind: "response",
          response: json(400, {
            error: {
              message: "you must provide a model parameter",
              type: "invalid_request_error",
              param: null,
              code: null
            }
          })
        }
      }
      const problem = toolRequestProblem(api, call.body as Json) ?? formatProblem(api, call.body as Json)
      if (problem) return { kind: "response", response: problem }
      const media = mediaOf(api, call.body as Json)
      if (!Array.isArray(media)) return { kind: "response", response: media as WireResponse }
      return { kind: wantsStream(call) ? "stream" : "generate", model, api, media }
    }
    if (call.method === "GET" && call.path.endsWith("/models")) return { kind: "models" }
    const retrieve = /\/models\/([^/]+)$/.exec(call.path)
    if (call.method === "GET" && retrieve?.[1]) return { kind: "models", api: `retrieve:${retrieve[1]}` }
    return { kind: "response", response: invalidUrl(call) }
  },

  responseFormat: requestedFormat,

  generate(ctx: RenderContext): WireResponse {
    const body = apiOf(ctx) === "responses" ? responseObject(ctx, "final") : chatCompletion(ctx)
    return json(200, body, requestHeaders(ctx))
  },

  streamHeaders(ctx: RenderContext) {
    return { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache", ...requestHeaders(ctx) }
  },

  streamStart(ctx: RenderContext): ReadonlyArray<Frame> {
    if (apiOf(ctx) === "responses") return responsesStreamStart(ctx)
    return [sse(chatChunk(ctx, [chatDeltaChoice({ role: "assistant", content: "", refusal: null })]))]
  },

  streamDelta(ctx: RenderContext, text: string): Frame {
    // A reply that only calls tools has no text to stream (its one empty piece is not sent).
    if (text === "" && !hasMessage(ctx)) return ""
    if (apiOf(ctx) === "responses") {
      return event(ctx, "response.output_text.delta", {
        content_index: 0,
        delta: text,
        item_id: responseIds(ctx).message,
        logprobs: [],
        output_index: messageIndex(ctx)
      })
    }
    return sse(chatChunk(ctx, [chatDeltaChoice({ content: text })]))
  },

  streamEnd(ctx: RenderContext): ReadonlyArray<Frame> {
    return apiOf(ctx) === "responses" ? responsesStreamEnd(ctx) : chatStreamEnd(ctx)
  },

  streamError(ctx: RenderContext, fault: FaultKind, message: string): Frame {
    const e = errorBody(fault, apiOf(ctx), ctx.model, message)
    if (apiOf(ctx) === "responses") {
      return event(ctx, "error", { code: e.code ?? e.type, message: e.message, param: e.param })
    }
    // Chat streams have no event names: the SDK recognises a data payload with an `error` key.
    return sse({ error: wireError(e) })
  },

  malformedFrame(ctx: RenderContext): Frame {
    return apiOf(ctx) === "responses"
      ? `event: response.output_text.delta\ndata: {"type":"response.output_text.delta","delta":"cut\n\n`
      : `data: {"id":"chatcmpl-${idOf(ctx)}","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":\n\n`
  },

  error(ctx: RenderContext, reply: ErrorReply): WireResponse {
    if (reply.fault === "content-filter") {
      // OpenAI reports a content filter as a normal answer that stopped with nothing (HTTP 200).
      const filtered: RenderContext = {
        ...ctx,
        text: "",
        chunks: [],
        finishReason: "content-filter",
        // Nothing was written: only reasoning counts as output, unless the script says otherwise.
        usage:
          reply.usage?.outputTokens === undefined
            ? { ...ctx.usage, outputTokens: ctx.usage.reasoningTokens }
            : ctx.usage
      }
      const response = wantsStream(ctx.call) ? wholeStream(openaiAdapter, filtered) : openaiAdapter.generate(filtered)
      return reply.status === undefined ? response : { ...response, status: reply.status }
    }
    const e = errorBody(reply.fault, apiOf(ctx), ctx.model, reply.message)
    const retryAfter =
      reply.retryAfterSeconds === undefined
        ? {}
        : {
            "retry-after": String(Math.ceil(reply.retryAfterSeconds)),
            "retry-after-ms": String(Math.round(reply.retryAfterSeconds * 1000))
          }
    const rateHeaders =
      reply.fault === "rate-limit"
        ? {
            "x-ratelimit-limit-requests": "3",
            "x-ratelimit-remaining-requests": "0",
            "x-ratelimit-reset-requests": "20s"
          }
        : {}
    return json(
      reply.status ?? e.status,
      { error: wireError(e) },
      { ...requestHeaders(ctx), ...rateHeaders, ...retryAfter, ...reply.headers }
    )
  },

  models(_call: IncomingCall, models: ReadonlyArray<SimModel>, api: string | undefined): WireResponse {
    const entry = (model: SimModel) => ({
      id: model.id,
      object: "model",
      created: 1_700_000_000,
      owned_by: model.id.startsWith("gpt-") || /^o\d/.test(model.id) ? "system" : "openai-internal"
    })
    if (api?.startsWith("retrieve:")) {
      const id = decodeURIComponent(api.slice("retrieve:".length))
      const model = models.find((m) => m.id === id)
      if (model) return json(200, entry(model))
      return json(404, {
        error: {
          message: `The model '${id}' does not exist`,
          type: "invalid_request_error",
          param: "model",
          code: "model_not_found"
        }
      })
    }
    return json(200, { object: "list", data: models.map(entry) })
  }
}

/** Starts an OpenAI simulator on 127.0.0.1; SDK base URL: `${sim.url}/v1`. */
export const startOpenAISimulator = (options: SimulatorOptions = {}): Promise<Simulator> =>
  Simulator.start(openaiAdapter, { models: defaultOpenAIModels, ...options })

/** An OpenAI simulator scoped to the current `Scope` (closed with it). */
export const openaiSimulator = (options: SimulatorOptions = {}): Effect.Effect<Simulator, never, Scope.Scope> =>
  scopedSimulator(openaiAdapter, { models: defaultOpenAIModels, ...options })
