/**
 * OpenAI's wire forms, apart from the SDK calls: error bodies -> `LLMError`, usage and finish reasons
 * of Chat Completions and the Responses API, request bodies, and which listed models can chat.
 */
import {
  AuthenticationError,
  type ChatRequest,
  ContentFilteredError,
  ContextLengthExceededError,
  emptyUsage,
  type FinishReason,
  InvalidRequestError,
  isLLMError,
  type LLMError,
  ModelNotFoundError,
  messageText,
  NetworkError,
  ProviderUnavailableError,
  RateLimitError,
  TimeoutError,
  type Usage
} from "@llm-orchestrator/core"
import type OpenAIClient from "openai"
import type { CompletionUsage } from "openai/resources/completions"
import type { Response as OpenAIResponse, ResponseUsage } from "openai/resources/responses/responses"
import {
  type CallContext,
  errorFromHttp,
  type HttpFailure,
  networkError,
  retryAfterMsFromHeaders
} from "../kit/index.ts"

const provider = "openai" as const

// ---- Errors -----------------------------------------------------------------------------------------

/** OpenAI echoes a masked key ("sk-proj-****abcd") in 401 messages; no part of a key leaves this module. */
export const keyLike = /\b(sk|sess|rk)-[A-Za-z0-9_*.-]{3,}/g

interface ErrorPayload {
  readonly code?: string | null | undefined
  readonly type?: string | null | undefined
  readonly message?: string | null | undefined
}

const isContextOverflow = (p: ErrorPayload) =>
  p.code === "context_length_exceeded" ||
  /maximum context length|context window|context_length_exceeded|prompt is too long/i.test(p.message ?? "")

/** The provider-specific reading of an error body that `errorFromHttp` refines with. */
const kindOf = (p: ErrorPayload): HttpFailure["kind"] => {
  if (isContextOverflow(p)) return "context-length"
  if (p.code === "model_not_found") return "model-not-found"
  if (p.code === "content_filter" || p.code === "content_policy_violation") return "content-filter"
  return undefined
}

export interface ErrorTools {
  readonly redact: (text: string) => string
}

const base = (ctx: CallContext, requestId: string | null | undefined) => ({
  provider,
  model: ctx.model,
  ...(requestId ? { requestId } : {})
})

/**
 * An error that arrived inside a 200 stream (`data: {"error":...}`, `event: error`) or a `failed`
 * response: no HTTP status, so it is read from its `type` / `code`.
 */
export const payloadError = (
  ctx: CallContext,
  payload: ErrorPayload,
  requestId: string | null | undefined,
  tools: ErrorTools
): LLMError => {
  const fields = base(ctx, requestId)
  const said = tools.redact(payload.message ?? "")
  const where = `openai model ${ctx.model}`
  const words = `${payload.code ?? ""} ${payload.type ?? ""}`
  if (isContextOverflow(payload))
    return new ContextLengthExceededError({ ...fields, message: `${where}: the prompt is too long: ${said}` })
  if (/rate_limit|requests|tokens|quota/.test(words))
    return new RateLimitError({ ...fields, message: `${where} is rate limited (in the stream): ${said}` })
  if (/content_filter|content_policy/.test(words))
    return new ContentFilteredError({ ...fields, message: `${where} refused the content (safety filter): ${said}` })
  if (/model_not_found/.test(words))
    return new ModelNotFoundError({ ...fields, suggestions: [], message: `${where} not found: ${said}` })
  if (/invalid_api_key|authentication|permission/.test(words))
    return new AuthenticationError({ ...fields, message: `${where}: authentication failed: ${said}` })
  if (/invalid_request|invalid_prompt|invalid_value|unsupported/.test(words))
    return new InvalidRequestError({ ...fields, message: `${where} rejected the request: ${said}` })
  // server_error, overloaded, and anything unknown the server aborted a stream with: worth a retry.
  return new ProviderUnavailableError({ ...fields, message: `${where} failed mid-response (${words.trim()}): ${said}` })
}

/** Every SDK failure as exactly one `LLMError` (docs/ARCHITECTURE.md, "Errors"). */
export const toLLMError = (ctx: CallContext, error: unknown, sdk: typeof OpenAIClient, tools: ErrorTools): LLMError => {
  if (isLLMError(error)) return error
  const where = `openai model ${ctx.model}`
  if (error instanceof sdk.APIConnectionTimeoutError) {
    return new TimeoutError({
      provider,
      model: ctx.model,
      ...(ctx.timeoutMs !== undefined ? { timeoutMs: ctx.timeoutMs } : {}),
      message: `${where} did not answer within ${ctx.timeoutMs ?? "the SDK's"} ms (providers.openai.timeout); raise it if this model is that slow, or set it to none`
    })
  }
  if (error instanceof sdk.APIConnectionError) return networkError(ctx, error.cause ?? error, tools.redact)
  if (error instanceof sdk.APIError) {
    const payload: ErrorPayload = { code: error.code, type: error.type, message: error.message }
    if (error.status === undefined) return payloadError(ctx, payload, error.requestID, tools)
    const message = tools.redact(
      (error.error as ErrorPayload | undefined)?.message ?? error.message.replace(/^\d{3}\s*/, "")
    )
    if (error.status === 404 && /^Invalid URL/.test(message)) {
      // A server without this route: almost always a base_url missing its `/v1`.
      return new InvalidRequestError({
        ...base(ctx, error.requestID),
        status: 404,
        message: `${where}: the server has no such endpoint (${message}). Check base_url: it must end with the API version, e.g. http://host:port/v1`
      })
    }
    if (error.status === 429 && error.code === "insufficient_quota") {
      // Not a rate limit: retrying the same key cannot help, another provider can.
      return new AuthenticationError({
        ...base(ctx, error.requestID),
        status: 429,
        message: `${where}: the account is out of quota (${message}). Check the plan and billing of this API key`
      })
    }
    return errorFromHttp(ctx, {
      status: error.status,
      message,
      requestId: error.requestID ?? undefined,
      retryAfterMs: retryAfterMsFromHeaders((name) => error.headers?.get(name)),
      kind: kindOf(payload)
    })
  }
  if (error instanceof SyntaxError) {
    return new NetworkError({
      provider,
      model: ctx.model,
      message: `${where}: the server sent an unreadable stream frame (${error.message})`
    })
  }
  return networkError(ctx, error, tools.redact)
}

// ---- Usage and finish reasons -----------------------------------------------------------------------

/** Chat usage is already in the normalised form: prompt_tokens counts cached input, completion_tokens reasoning. */
export const chatUsage = (usage: CompletionUsage | null | undefined): Usage =>
  usage
    ? {
        inputTokens: usage.prompt_tokens ?? 0,
        outputTokens: usage.completion_tokens ?? 0,
        cacheReadTokens: usage.prompt_tokens_details?.cached_tokens ?? 0,
        cacheWriteTokens: usage.prompt_tokens_details?.cache_write_tokens ?? 0,
        reasoningTokens: usage.completion_tokens_details?.reasoning_tokens ?? 0
      }
    : emptyUsage

export const responsesUsage = (usage: ResponseUsage | null | undefined): Usage =>
  usage
    ? {
        inputTokens: usage.input_tokens ?? 0,
        outputTokens: usage.output_tokens ?? 0,
        cacheReadTokens: usage.input_tokens_details?.cached_tokens ?? 0,
        cacheWriteTokens: usage.input_tokens_details?.cache_write_tokens ?? 0,
        reasoningTokens: usage.output_tokens_details?.reasoning_tokens ?? 0
      }
    : emptyUsage

export const chatFinishReason = (reason: string | null | undefined): FinishReason => {
  switch (reason) {
    case "stop":
      return "stop"
    case "length":
      return "length"
    case "content_filter":
      return "content-filter"
    case "tool_calls":
    case "function_call":
      return "tool-calls"
    default:
      return "other"
  }
}

/** Text of a Responses output: its message items' output_text parts (reasoning and tool items have none). */
export const responsesText = (response: OpenAIResponse): string =>
  response.output
    .flatMap((item) => (item.type === "message" ? item.content : []))
    .map((part) => (part.type === "output_text" ? part.text : ""))
    .join("")

export const responsesRefused = (response: OpenAIResponse): boolean =>
  response.output.some((item) => item.type === "message" && item.content.some((part) => part.type === "refusal"))

export const responsesFinishReason = (response: OpenAIResponse): FinishReason => {
  switch (response.status) {
    case "incomplete": {
      const reason = response.incomplete_details?.reason
      return reason === "max_output_tokens" ? "length" : reason === "content_filter" ? "content-filter" : "other"
    }
    case "cancelled":
      return "other"
    default:
      return response.output.some((item) => item.type === "function_call" || item.type === "custom_tool_call")
        ? "tool-calls"
        : "stop"
  }
}

/** A 200 whose JSON is not the expected object: unreadable, like a malformed body (retryable). */
export const notAResponse = (
  ctx: CallContext,
  body: { _request_id?: string | null } | null | undefined,
  what: string
) =>
  new NetworkError({
    ...base(ctx, body?._request_id),
    message: `openai model ${ctx.model}: the server answered 200 but the body is not a ${what}; check base_url points at an OpenAI-compatible API`
  })

// ---- Requests ---------------------------------------------------------------------------------------

export const chatBody = (request: ChatRequest, model: string) => ({
  model,
  messages: request.messages.map((message) => ({ role: message.role, content: messageText(message) })),
  ...(request.temperature !== undefined ? { temperature: request.temperature } : {}),
  ...(request.topP !== undefined ? { top_p: request.topP } : {}),
  // max_tokens is deprecated and refused by reasoning models; max_completion_tokens works for all.
  ...(request.maxTokens !== undefined ? { max_completion_tokens: request.maxTokens } : {}),
  ...(request.stop !== undefined && request.stop.length > 0 ? { stop: [...request.stop] } : {})
})

export const responsesBody = (request: ChatRequest, model: string) => {
  const instructions = request.messages
    .filter((message) => message.role === "system")
    .map(messageText)
    .join("\n\n")
  return {
    model,
    input: request.messages
      .filter((message) => message.role !== "system")
      .map((message) => ({ role: message.role as "user" | "assistant", content: messageText(message) })),
    ...(instructions ? { instructions } : {}),
    ...(request.temperature !== undefined ? { temperature: request.temperature } : {}),
    ...(request.topP !== undefined ? { top_p: request.topP } : {}),
    ...(request.maxTokens !== undefined ? { max_output_tokens: request.maxTokens } : {})
  }
}

/** The Responses API has no stop sequences: refuse before sending rather than silently ignore them. */
export const unsupportedByResponses = (request: ChatRequest, ctx: CallContext): InvalidRequestError | undefined =>
  request.stop !== undefined && request.stop.length > 0
    ? new InvalidRequestError({
        provider,
        model: ctx.model,
        message: `openai model ${ctx.model}: the Responses API does not support stop sequences; remove \`stop\` or use \`api: chat\``
      })
    : undefined

// ---- Model listing ----------------------------------------------------------------------------------

/**
 * `/v1/models` lists every model the key may use, with no capability field. Keep what Chat Completions
 * and Responses accept: everything except the families that are plainly something else. Unknown ids
 * (fine-tunes `ft:gpt-4o...`, an OpenAI-compatible server's `llama-3.1-8b`) stay in.
 */
const nonChatModel = /embed|moderation|whisper|tts|transcribe|dall-e|image|davinci|babbage|realtime|audio|sora/i
export const isOpenAIChatModel = (id: string): boolean => !nonChatModel.test(id)
