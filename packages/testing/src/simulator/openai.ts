/**
 * The OpenAI protocol (docs/ARCHITECTURE.md, "Providers on the wire"): Chat Completions (`POST /v1/chat/completions`, plain
 * and SSE), the Responses API (`POST /v1/responses`, plain and the typed SSE event sequence that
 * `client.responses.stream().finalResponse()` validates), and `GET /v1/models` (one page: the API never
 * paginates). Shapes follow the recorded exchanges in cassettes/openai-chat and cassettes/openai-responses.
 */
import type { FinishReason, Usage } from "@llm-orchestrator/core"
import type { Effect, Scope } from "effect"
import type { ErrorReply, FaultKind, SimModel } from "./script.ts"
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

const toolCall = (ctx: RenderContext) => ({
  id: `call_${idOf(ctx).slice(0, 20)}`,
  type: "function",
  function: { name: "lookup", arguments: "{}" }
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
  const content = finish === "tool-calls" && ctx.text === "" ? null : ctx.text
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
          ...(finish === "tool-calls" ? { tool_calls: [toolCall(ctx)] } : {})
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
  if (ctx.finishReason === "tool-calls") {
    const call = toolCall(ctx)
    frames.push(
      sse(
        chatChunk(ctx, [
          chatDeltaChoice({ tool_calls: [{ index: 0, id: call.id, type: "function", function: call.function }] })
        ])
      )
    )
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
  return { response: `resp_${id}`, reasoning: `rs_${id}`, message: `msg_${id}`, call: `fc_${id}` }
}

const reasoningItem = (ctx: RenderContext) => ({ id: responseIds(ctx).reasoning, type: "reasoning", summary: [] })
const hasReasoning = (ctx: RenderContext) => ctx.usage.reasoningTokens > 0

const textPart = (text: string) => ({ type: "output_text", annotations: [], logprobs: [], text })

const messageItem = (ctx: RenderContext, status: string) => ({
  id: responseIds(ctx).message,
  type: "message",
  status,
  content: [textPart(ctx.text)],
  role: "assistant"
})

const functionCallItem = (ctx: RenderContext, status: string, args: string) => ({
  id: responseIds(ctx).call,
  type: "function_call",
  status,
  arguments: args,
  call_id: `call_${idOf(ctx).slice(0, 20)}`,
  name: "lookup"
})

/** The message is left out when a tool call produced no text (as the real API does). */
const hasMessage = (ctx: RenderContext) => !(ctx.finishReason === "tool-calls" && ctx.text === "")

const finalOutput = (ctx: RenderContext) => {
  const outcome = responsesOutcome(ctx)
  return [
    ...(hasReasoning(ctx) ? [reasoningItem(ctx)] : []),
    ...(hasMessage(ctx) ? [messageItem(ctx, outcome.status === "completed" ? "completed" : "incomplete")] : []),
    ...(ctx.finishReason === "tool-calls" ? [functionCallItem(ctx, "completed", "{}")] : [])
  ]
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
    text: { format: { type: "text" } },
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
    frames.push(event(ctx, "response.output_item.added", { item: reasoningItem(ctx), output_index: 0 }))
    frames.push(event(ctx, "response.output_item.done", { item: reasoningItem(ctx), output_index: 0 }))
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
  if (ctx.finishReason === "tool-calls") {
    const callIndex = index + (hasMessage(ctx) ? 1 : 0)
    const callId = responseIds(ctx).call
    frames.push(
      event(ctx, "response.output_item.added", {
        item: functionCallItem(ctx, "in_progress", ""),
        output_index: callIndex
      }),
      event(ctx, "response.function_call_arguments.delta", { delta: "{}", item_id: callId, output_index: callIndex }),
      event(ctx, "response.function_call_arguments.done", {
        arguments: "{}",
        item_id: callId,
        output_index: callIndex
      }),
      event(ctx, "response.output_item.done", {
        item: functionCallItem(ctx, "completed", "{}"),
        output_index: callIndex
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
      return { kind: wantsStream(call) ? "stream" : "generate", model, api }
    }
    if (call.method === "GET" && call.path.endsWith("/models")) return { kind: "models" }
    const retrieve = /\/models\/([^/]+)$/.exec(call.path)
    if (call.method === "GET" && retrieve?.[1]) return { kind: "models", api: `retrieve:${retrieve[1]}` }
    return { kind: "response", response: invalidUrl(call) }
  },

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
