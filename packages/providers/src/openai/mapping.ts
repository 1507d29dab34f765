/**
 * OpenAI's wire forms, apart from the SDK calls: error bodies -> `LLMError`, usage and finish reasons
 * of Chat Completions and the Responses API, request bodies, and which listed models can chat.
 */
import {
  AuthenticationError,
  type ChatRequest,
  ContentFilteredError,
  type ContentPart,
  ContextLengthExceededError,
  emptyUsage,
  type FinishReason,
  InvalidRequestError,
  isLLMError,
  type LLMError,
  type Message,
  ModelNotFoundError,
  messageText,
  NetworkError,
  optionalField,
  ProviderUnavailableError,
  RateLimitError,
  type ReasoningPart,
  type ResponseFormat,
  reasoningEffortOf,
  TimeoutError,
  type ToolCall,
  type ToolCallPart,
  type ToolChoice,
  type ToolDefinition,
  type Usage
} from "@llm-orchestrator/core"
import type OpenAIClient from "openai"
import type {
  ChatCompletionContentPart,
  ChatCompletionMessage,
  ChatCompletionMessageParam,
  ChatCompletionTool,
  ChatCompletionToolChoiceOption
} from "openai/resources/chat/completions"
import type { CompletionUsage } from "openai/resources/completions"
import type {
  FunctionTool,
  Response as OpenAIResponse,
  ResponseFormatTextJSONSchemaConfig,
  ResponseInputContent,
  ResponseInputItem,
  ResponseUsage,
  ToolChoiceFunction,
  ToolChoiceOptions
} from "openai/resources/responses/responses"
import type { ResponseFormatJSONSchema } from "openai/resources/shared"
import {
  type CallContext,
  dataUrl,
  errorFromHttp,
  everySchema,
  type HttpFailure,
  hasMedia,
  isMediaPart,
  isObjectSchema,
  isOwnReasoning,
  isSchema,
  mediaWhere,
  networkError,
  retryAfterMsFromHeaders,
  textOf,
  toolCallFromText,
  toolCallIdFor,
  toolResultText,
  unsupportedMediaError
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

/**
 * Some OpenAI-compatible servers end a turn that called tools with "stop": a turn with tool calls is
 * reported as "tool-calls" then (a "length" or filter cut stays what it was).
 */
export const chatFinishWithCalls = (reason: string | null | undefined, calledTools: boolean): FinishReason => {
  const finish = chatFinishReason(reason)
  return calledTools && finish === "stop" ? "tool-calls" : finish
}

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

/**
 * OpenAI refuses tool-call ids longer than 40 characters (`string_above_max_length`); its own are 29
 * (`call_` and 24 characters). Ids from another provider's history go through `toolCallIdFor`, the
 * same for a call and its result, so they still match.
 */
const maxToolCallId = 40
const wireCallId = (id: string) => toolCallIdFor(id, maxToolCallId)

const toolCallParts = (message: Message): ReadonlyArray<ToolCallPart> =>
  typeof message.content === "string" ? [] : message.content.filter((part) => part.type === "tool-call")

// ---- Images and files ------------------------------------------------------------------------------

/** The name a PDF goes by when its part has none (OpenAI wants one with inline file data). */
const defaultPdfName = "document.pdf"

/**
 * A user message's parts on Chat Completions, in order: text, `image_url` (a data URL or the URL's
 * href), a PDF as a `file` part (a data URL, never a URL: Chat takes none) and a text file as its text.
 * Only for messages with media: the others keep the plain string content.
 */
const chatUserParts = (
  parts: ReadonlyArray<ContentPart>,
  messageIndex: number,
  ctx: CallContext
): Array<ChatCompletionContentPart> | InvalidRequestError => {
  const out: Array<ChatCompletionContentPart> = []
  for (const [index, part] of parts.entries()) {
    if (part.type === "text") {
      if (part.text !== "") out.push({ type: "text", text: part.text })
      continue
    }
    if (!isMediaPart(part)) continue
    const data = part.data
    if (part.type === "image")
      out.push({
        type: "image_url",
        image_url: { url: data instanceof URL ? data.href : dataUrl(part.mediaType, data) }
      })
    else if (data instanceof URL)
      return unsupportedMediaError(
        ctx,
        `the ${mediaWhere(part, messageIndex, index)} is a URL, and Chat Completions takes no file URL`,
        part.mediaType === "application/pdf"
          ? "pass the PDF's bytes, or use the Responses API (api: responses)"
          : "pass the file's bytes (its text is sent), or use the Responses API (api: responses)"
      )
    else if (part.mediaType === "text/plain") out.push({ type: "text", text: textOf(data) })
    else
      out.push({
        type: "file",
        file: { file_data: dataUrl(part.mediaType, data), filename: part.filename ?? defaultPdfName }
      })
  }
  return out
}

/**
 * A user message's content on the Responses API, in order: `input_text`, `input_image` (a data URL or
 * the URL's href), a PDF as `input_file` (its data URL and name, or its URL) and a text file as its text.
 */
const responsesUserContent = (parts: ReadonlyArray<ContentPart>): Array<ResponseInputContent> => {
  const out: Array<ResponseInputContent> = []
  for (const part of parts) {
    if (part.type === "text") {
      if (part.text !== "") out.push({ type: "input_text", text: part.text })
      continue
    }
    if (!isMediaPart(part)) continue
    const data = part.data
    if (part.type === "image")
      out.push({
        type: "input_image",
        image_url: data instanceof URL ? data.href : dataUrl(part.mediaType, data),
        detail: "auto"
      })
    else if (data instanceof URL) out.push({ type: "input_file", file_url: data.href })
    else if (part.mediaType === "text/plain") out.push({ type: "input_text", text: textOf(data) })
    else
      out.push({
        type: "input_file",
        file_data: dataUrl(part.mediaType, data),
        filename: part.filename ?? defaultPdfName
      })
  }
  return out
}

/**
 * Chat messages: an assistant turn's tool calls ride on its message (`content: null` without text);
 * each tool result is a message of its own (`role: "tool"`). OpenAI has no error flag on a result:
 * `isError` is not sent, the result's text says what went wrong. A user message with images or files
 * has a list of parts; a file Chat cannot take (a PDF by URL) is refused before the call.
 */
const chatMessages = (
  messages: ReadonlyArray<Message>,
  ctx: CallContext
): Array<ChatCompletionMessageParam> | InvalidRequestError => {
  const out: Array<ChatCompletionMessageParam> = []
  for (const [index, message] of messages.entries()) {
    if (message.role === "tool") {
      if (typeof message.content !== "string")
        for (const part of message.content)
          if (part.type === "tool-result")
            out.push({ role: "tool", tool_call_id: wireCallId(part.id), content: toolResultText(part.result) })
      continue
    }
    if (message.role === "user" && hasMedia(message.content)) {
      const content = chatUserParts(message.content, index, ctx)
      if (!Array.isArray(content)) return content
      out.push({ role: "user", content })
      continue
    }
    const text = messageText(message)
    const calls = toolCallParts(message)
    if (message.role === "assistant" && calls.length > 0)
      out.push({
        role: "assistant",
        content: text === "" ? null : text,
        tool_calls: calls.map((call) => ({
          id: wireCallId(call.id),
          type: "function",
          function: { name: call.name, arguments: JSON.stringify(call.arguments) }
        }))
      })
    else out.push({ role: message.role, content: text })
  }
  return out
}

const chatTools = (tools: ReadonlyArray<ToolDefinition>): Array<ChatCompletionTool> =>
  tools.map((tool) => ({
    type: "function",
    function: {
      name: tool.name,
      ...(tool.description !== undefined ? { description: tool.description } : {}),
      parameters: tool.parameters
    }
  }))

const chatToolChoice = (choice: ToolChoice): ChatCompletionToolChoiceOption =>
  typeof choice === "string" ? choice : { type: "function", function: { name: choice.tool } }

/**
 * Tools and the tool choice, only when there are tools: OpenAI refuses an empty `tools` list and a
 * `tool_choice` without tools (a request without tools cannot call one anyway).
 */
const withTools = <T, C>(
  request: ChatRequest,
  tools: (tools: ReadonlyArray<ToolDefinition>) => T,
  choice: (choice: ToolChoice) => C
) =>
  request.tools !== undefined && request.tools.length > 0
    ? {
        tools: tools(request.tools),
        ...(request.toolChoice !== undefined ? { tool_choice: choice(request.toolChoice) } : {})
      }
    : {}

// ---- Structured output ------------------------------------------------------------------------------

/**
 * Whether OpenAI's strict Structured Outputs take `schema`. With `strict: true` OpenAI refuses (400
 * `invalid_json_schema`) any object schema that allows keys it does not list or leaves one of its
 * properties optional, at any depth; with `strict: false` it takes any schema but only follows it
 * loosely. So strict is asked for exactly when every object schema says `additionalProperties: false`
 * and requires all its properties.
 */
const isStrictCompatible = (schema: unknown): boolean =>
  everySchema(schema, (each) => {
    if (!isObjectSchema(each)) return true
    if (each.additionalProperties !== false) return false
    const required = Array.isArray(each.required) ? (each.required as ReadonlyArray<unknown>) : []
    const properties = isSchema(each.properties) ? Object.keys(each.properties) : []
    return properties.every((name) => required.includes(name))
  })

/** The schema's label where the wire needs one (our `name` is optional). */
const formatName = (format: ResponseFormat) => format.name ?? "response"

const chatResponseFormat = (format: ResponseFormat): ResponseFormatJSONSchema => ({
  type: "json_schema",
  json_schema: { name: formatName(format), schema: format.schema, strict: isStrictCompatible(format.schema) }
})

const responsesTextFormat = (format: ResponseFormat): { format: ResponseFormatTextJSONSchemaConfig } => ({
  format: {
    type: "json_schema",
    name: formatName(format),
    schema: format.schema,
    strict: isStrictCompatible(format.schema)
  }
})

/** The Chat Completions body, or the refusal of media Chat cannot take (before any network call). */
export const chatBody = (request: ChatRequest, ctx: CallContext) => {
  const messages = chatMessages(request.messages, ctx)
  return messages instanceof InvalidRequestError ? messages : chatParams(request, ctx.model, messages)
}

const chatParams = (request: ChatRequest, model: string, messages: Array<ChatCompletionMessageParam>) => ({
  model,
  messages,
  ...withTools(request, chatTools, chatToolChoice),
  ...(request.responseFormat !== undefined ? { response_format: chatResponseFormat(request.responseFormat) } : {}),
  ...(request.temperature !== undefined ? { temperature: request.temperature } : {}),
  ...(request.topP !== undefined ? { top_p: request.topP } : {}),
  // max_tokens is deprecated and refused by reasoning models; max_completion_tokens works for all.
  ...(request.maxTokens !== undefined ? { max_completion_tokens: request.maxTokens } : {}),
  // Chat takes an effort only; a budget becomes the smallest effort whose documented budget covers it.
  ...(request.reasoning !== undefined ? { reasoning_effort: reasoningEffortOf(request.reasoning)! } : {}),
  ...(request.stop !== undefined && request.stop.length > 0 ? { stop: [...request.stop] } : {})
})

/** A Chat answer's function calls, in order (custom tools are never defined, so never called). */
export const chatToolCalls = (message: ChatCompletionMessage | undefined): ReadonlyArray<ToolCall> =>
  (message?.tool_calls ?? []).flatMap((call) => {
    // Some compatible servers leave out `type`: a call with a `function` is a function call.
    const fn = "function" in call ? call.function : undefined
    return fn ? [toolCallFromText(call.id, fn.name, fn.arguments ?? "")] : []
  })

/**
 * Responses input items: the text of a turn as a message, an assistant turn's calls as `function_call`
 * items after it, each result as a `function_call_output` (no error flag on the wire, as for Chat); a
 * user message with images or files as a message with a content list.
 */
const responsesInput = (messages: ReadonlyArray<Message>): Array<ResponseInputItem> =>
  messages.flatMap((message): Array<ResponseInputItem> => {
    if (message.role === "system") return []
    if (message.role === "tool")
      return typeof message.content === "string"
        ? []
        : message.content.flatMap((part) =>
            part.type === "tool-result"
              ? [{ type: "function_call_output", call_id: wireCallId(part.id), output: toolResultText(part.result) }]
              : []
          )
    if (message.role === "user" && hasMedia(message.content))
      return [{ role: "user", content: responsesUserContent(message.content) }]
    const text = messageText(message)
    const calls = message.role === "assistant" ? toolCallParts(message) : []
    const reasoning = message.role === "assistant" ? reasoningItems(message) : []
    return [
      ...reasoning,
      ...(text !== "" || calls.length === 0 || reasoning.length > 0 ? [{ role: message.role, content: text }] : []),
      ...calls.map((call) => ({
        type: "function_call" as const,
        call_id: wireCallId(call.id),
        name: call.name,
        arguments: JSON.stringify(call.arguments)
      }))
    ]
  })

/** The provider type a reasoning part of this adapter names (encrypted reasoning is valid only here). */
export const source = "openai"

/**
 * An assistant message's own reasoning as Responses reasoning items (id, summary and encrypted content,
 * as the API gave them), before its text and calls; another provider's reasoning is dropped.
 */
const reasoningItems = (message: Message): Array<ResponseInputItem> =>
  typeof message.content === "string"
    ? []
    : message.content.flatMap(
        (part): Array<ResponseInputItem> =>
          isOwnReasoning(part, source) && part.id !== undefined
            ? [
                {
                  type: "reasoning",
                  id: part.id,
                  summary: part.text === "" ? [] : [{ type: "summary_text", text: part.text }],
                  ...optionalField("encrypted_content", part.signature)
                }
              ]
            : []
      )

/** A Responses answer's reasoning items as reasoning parts (summary text, id, encrypted content). */
export const responsesReasoningParts = (output: OpenAIResponse["output"]): Array<ReasoningPart> =>
  output.flatMap(
    (item): Array<ReasoningPart> =>
      item.type === "reasoning"
        ? [
            {
              type: "reasoning",
              text: item.summary.map((part) => part.text).join("\n\n"),
              source,
              id: item.id,
              ...(item.encrypted_content ? { signature: item.encrypted_content } : {})
            }
          ]
        : []
  )

/** `strict: false`: strict mode wants every property required and no extra keys, which plain JSON Schemas rarely say. */
const responsesTools = (tools: ReadonlyArray<ToolDefinition>): Array<FunctionTool> =>
  tools.map((tool) => ({
    type: "function",
    name: tool.name,
    ...(tool.description !== undefined ? { description: tool.description } : {}),
    parameters: tool.parameters,
    strict: false
  }))

const responsesToolChoice = (choice: ToolChoice): ToolChoiceOptions | ToolChoiceFunction =>
  typeof choice === "string" ? choice : { type: "function", name: choice.tool }

export const responsesBody = (request: ChatRequest, model: string) => {
  const instructions = request.messages
    .filter((message) => message.role === "system")
    .map(messageText)
    .join("\n\n")
  return {
    model,
    input: responsesInput(request.messages),
    ...withTools(request, responsesTools, responsesToolChoice),
    ...(request.responseFormat !== undefined ? { text: responsesTextFormat(request.responseFormat) } : {}),
    ...(instructions ? { instructions } : {}),
    ...(request.temperature !== undefined ? { temperature: request.temperature } : {}),
    ...(request.topP !== undefined ? { top_p: request.topP } : {}),
    ...(request.maxTokens !== undefined ? { max_output_tokens: request.maxTokens } : {}),
    // The summary is the reasoning text the API shows; the encrypted content lets a tool loop send it back.
    ...(request.reasoning !== undefined
      ? {
          reasoning: { effort: reasoningEffortOf(request.reasoning)!, summary: "auto" as const },
          include: ["reasoning.encrypted_content" as const]
        }
      : {})
  }
}

/** A Responses answer's function calls, in order: `call_id` is the id a result answers (`id` is the item's). */
export const responsesToolCalls = (response: OpenAIResponse): ReadonlyArray<ToolCall> =>
  response.output.flatMap((item) =>
    item.type === "function_call" ? [toolCallFromText(item.call_id, item.name, item.arguments ?? "")] : []
  )

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
