/**
 * Anthropic Messages API over the official `@anthropic-ai/sdk` 1.x (docs/ARCHITECTURE.md, "Providers on the wire" and "Usage semantics").
 *
 * Decisions worth knowing:
 * - `max_tokens` is required by the API. When the request gives none, `defaultMaxTokens(model)` picks
 *   one by model family: the hard maximum of the Claude 3 generation (4,096 / 8,192), and 16,384 for
 *   Claude 3.7 and later. 16,384 covers long answers yet stays under the SDK's non-streaming limit
 *   (below) and does not reserve a huge output budget against the organisation's output-tokens-per-
 *   minute limit, which Anthropic estimates from `max_tokens`. Unknown models get 4,096, which every
 *   Claude model accepts.
 * - The SDK refuses a non-streamed call that might run over 10 minutes ("Streaming is required",
 *   max_tokens above ~21,333) unless a timeout is given. Both are handled: the client always has an
 *   explicit timeout (so the guard never throws), and `generate` with a larger `maxTokens` runs over a
 *   stream internally and assembles the response, because an HTTP request idle for many minutes is
 *   what networks drop.
 * - A refusal (`stop_reason: "refusal"`) is a normal response with finishReason "content-filter", so
 *   the text and usage already billed are kept; the orchestrator decides whether it is an error.
 * - Tool calls (mapping.ts): ids go through `toolCallIdFor` (Anthropic takes only `[A-Za-z0-9_-]`), the
 *   results answering one assistant turn form one user message, and a history whose calls and results
 *   are not paired turn by turn is refused before the call, as the API would refuse it.
 * - 402 `billing_error` becomes `AuthenticationError`: like a bad key it is an account problem that no
 *   retry or other Anthropic model fixes, while another provider would work (the same fallback policy).
 */
import type AnthropicSdk from "@anthropic-ai/sdk"
import {
  AuthenticationError,
  boundedByDeadline,
  type CallDeadline,
  type ChatRequest,
  ConfigError,
  ContextLengthExceededError,
  type FinishReason,
  InvalidRequestError,
  isLLMError,
  type LLMError,
  LLMProvider,
  type LLMProviderShape,
  type ModelInfo,
  ModelNotFoundError,
  NetworkError,
  type ProviderResponse,
  type ProviderStreamEvent,
  ProviderUnavailableError,
  RateLimitError,
  resolveAttemptTimeouts,
  TimeoutError,
  type ToolCall,
  type Usage
} from "@llm-orchestrator/core"
import { Config, Effect, Layer, Redacted, Stream, type Types } from "effect"
import {
  abortableBy,
  anthropicThinking,
  type CallContext,
  callSdk,
  connectionErrorCode,
  errorFromHttp,
  layerFromEnv,
  listPages,
  loadSdk,
  networkError,
  optionalEnv,
  reasoningFields,
  redactor,
  retryAfterMsFromHeaders,
  type StreamDecoder,
  sdkFetch,
  sdkTimeoutMs,
  streamCut,
  streamSdk,
  ThinkingAssembler,
  ToolCallAssembler,
  unsafeHeaderValues
} from "../kit/index.ts"
import {
  outputConfigOf,
  reasoningPartsOf,
  requestCacheOf,
  source,
  systemOf,
  thinkingAllowed,
  toMessages,
  toolCallsOf,
  toolParams
} from "./mapping.ts"

export interface AnthropicOptions {
  readonly apiKey: Redacted.Redacted<string>
  /** Without `/v1` (the SDK's paths start with it); default https://api.anthropic.com or ANTHROPIC_BASE_URL. */
  readonly baseUrl?: string
  /** Per-attempt timeout in milliseconds (default 10 min; 0: none). */
  readonly timeoutMs?: number
  /** Streams: the longest wait for more text once text has begun (default 60 s; 0: none). */
  readonly idleTimeoutMs?: number
}

type Sdk = typeof import("@anthropic-ai/sdk")
type Client = AnthropicSdk
type MessageParams = AnthropicSdk.MessageCreateParamsNonStreaming
type StreamEvent = AnthropicSdk.RawMessageStreamEvent

const provider = "anthropic" as const

/**
 * Above this `max_tokens` the SDK expects a call to possibly outlast 10 minutes (it budgets 128,000
 * output tokens per hour) and demands streaming; `generate` then streams internally.
 */
export const nonStreamingMaxTokens = Math.floor((600 * 128_000) / 3600)

/** The `max_tokens` sent when the request has no `maxTokens` (see the module comment). */
export const defaultMaxTokens = (model: string): number => {
  if (/^claude-3-5-/.test(model)) return 8_192
  if (/^claude-3-7-/.test(model)) return 16_384
  // claude-opus-4, claude-sonnet-4-5, ...; claude-3-opus, claude-2.1 and claude-instant fall through to 4,096.
  if (/^claude-[a-z]+-([4-9]|\d\d)/.test(model)) return 16_384
  return 4_096
}

const finishReasons: Record<string, FinishReason> = {
  end_turn: "stop",
  stop_sequence: "stop",
  max_tokens: "length",
  model_context_window_exceeded: "length",
  tool_use: "tool-calls",
  refusal: "content-filter",
  pause_turn: "other"
}

const finishReasonOf = (stopReason: string | null | undefined): FinishReason =>
  (stopReason ? finishReasons[stopReason] : undefined) ?? "other"

/** The usage counters of a message or a message_delta (every field may be absent or null on the wire). */
interface WireUsage {
  input_tokens?: number | null
  output_tokens?: number | null
  cache_read_input_tokens?: number | null
  cache_creation_input_tokens?: number | null
  /** The split of `cache_creation_input_tokens` by cache lifetime (1-hour writes cost more). */
  cache_creation?: { readonly ephemeral_1h_input_tokens?: number | null } | null
  output_tokens_details?: { readonly thinking_tokens?: number | null } | null
  /** Built-in server tools run for this message, each billed per request (web search) or not (fetch). */
  server_tool_use?: {
    readonly web_search_requests?: number | null
    readonly web_fetch_requests?: number | null
  } | null
}

/**
 * Anthropic's `input_tokens` excludes cache reads and writes; the domain's `inputTokens` counts them all.
 * 1-hour cache writes and server tool requests are set only when the wire reports some.
 */
export const normaliseAnthropicUsage = (usage: WireUsage): Usage => {
  const cacheReadTokens = usage.cache_read_input_tokens ?? 0
  const cacheWriteTokens = usage.cache_creation_input_tokens ?? 0
  const normalised: Types.Mutable<Usage> = {
    inputTokens: (usage.input_tokens ?? 0) + cacheReadTokens + cacheWriteTokens,
    outputTokens: usage.output_tokens ?? 0,
    cacheReadTokens,
    cacheWriteTokens,
    reasoningTokens: usage.output_tokens_details?.thinking_tokens ?? 0
  }
  const cacheWrite1hTokens = usage.cache_creation?.ephemeral_1h_input_tokens
  if (cacheWrite1hTokens) normalised.cacheWrite1hTokens = cacheWrite1hTokens
  const tools = usage.server_tool_use
  if (tools) {
    if (tools.web_search_requests) normalised.webSearches = tools.web_search_requests
    if (tools.web_fetch_requests) normalised.webFetches = tools.web_fetch_requests
  }
  return normalised
}

/** Stream usage: message_delta's counters are cumulative and replace what message_start said. */
const mergeUsage = (into: WireUsage, from: WireUsage): WireUsage => {
  const merged: WireUsage = { ...into }
  if (from.input_tokens != null) merged.input_tokens = from.input_tokens
  if (from.output_tokens != null) merged.output_tokens = from.output_tokens
  if (from.cache_read_input_tokens != null) merged.cache_read_input_tokens = from.cache_read_input_tokens
  if (from.cache_creation_input_tokens != null) merged.cache_creation_input_tokens = from.cache_creation_input_tokens
  if (from.output_tokens_details?.thinking_tokens != null) merged.output_tokens_details = from.output_tokens_details
  if (from.cache_creation != null) merged.cache_creation = from.cache_creation
  if (from.server_tool_use != null) merged.server_tool_use = from.server_tool_use
  return merged
}

/** The request's wire parameters, or the refusal of a tool history Anthropic cannot take (mapping.ts). */
const toParams = (request: ChatRequest, ctx: CallContext): MessageParams | InvalidRequestError => {
  const model = ctx.model
  const system = systemOf(request)
  const messages = toMessages(request, ctx)
  if (!Array.isArray(messages)) return messages
  let maxTokens = request.maxTokens ?? defaultMaxTokens(model)
  let thinking: { thinking?: AnthropicSdk.ThinkingConfigParam } = {}
  if (request.reasoning !== undefined && thinkingAllowed(messages)) {
    const config = anthropicThinking(request, maxTokens, ctx)
    if (config instanceof InvalidRequestError) return config
    maxTokens = config.maxTokens
    thinking = { thinking: config.thinking }
  }
  return {
    model,
    max_tokens: maxTokens,
    messages,
    ...thinking,
    ...(system !== undefined ? { system } : {}),
    ...(request.temperature !== undefined ? { temperature: request.temperature } : {}),
    ...(request.topP !== undefined ? { top_p: request.topP } : {}),
    ...(request.stop !== undefined && request.stop.length > 0 ? { stop_sequences: [...request.stop] } : {}),
    ...toolParams(request),
    ...(request.responseFormat !== undefined ? { output_config: outputConfigOf(request.responseFormat) } : {}),
    ...requestCacheOf(request)
  }
}

/** Status the API uses for each error type, to classify mid-stream `event: error` (which has no status). */
const contextOverflow = /prompt is too long|context (window|length)|too many (input )?tokens/i

const optionalRequestId = (requestId: string | null | undefined) => (requestId ? { requestId } : {})

/** Maps anything the SDK throws (or a decoder's LLMError) to exactly one LLMError. */
const errorMapper =
  (sdk: Sdk, ctx: CallContext, redact: (text: string) => string) =>
  (error: unknown): LLMError => {
    if (isLLMError(error)) return error
    const where = `${provider} model ${ctx.model}`
    if (error instanceof sdk.APIConnectionTimeoutError)
      return new TimeoutError({
        provider,
        model: ctx.model,
        ...(ctx.timeoutMs !== undefined ? { timeoutMs: ctx.timeoutMs } : {}),
        message: `${where} did not answer in time (providers.anthropic.timeout); raise it if this model is that slow, or set it to none`
      })
    if (error instanceof sdk.APIUserAbortError)
      return new NetworkError({ provider, model: ctx.model, message: `${where}: the request was aborted` })
    if (error instanceof sdk.APIConnectionError) return networkError(ctx, error.cause ?? error, redact)
    if (error instanceof sdk.APIError) {
      const body = (error.error ?? {}) as { request_id?: string }
      const requestId = error.requestID ?? body.request_id
      const message = redact(error.apiMessage ?? error.message)
      const type = error.type ?? undefined
      if (error.status === undefined) return midStreamError(ctx, type, message, requestId)
      const status = error.status
      if (status === 402 || type === "billing_error")
        return new AuthenticationError({
          provider,
          model: ctx.model,
          status,
          ...optionalRequestId(requestId),
          message: `${where}: the Anthropic account cannot be billed (HTTP ${status}): ${message}. Check the plan and credit balance of the key's organisation`
        })
      const kind =
        status === 529 || type === "overloaded_error"
          ? "overloaded"
          : status === 429 || type === "rate_limit_error"
            ? "rate-limit"
            : status === 400 && contextOverflow.test(message)
              ? "context-length"
              : status === 404 || type === "not_found_error"
                ? "model-not-found"
                : undefined
      return errorFromHttp(ctx, {
        status,
        message,
        requestId,
        retryAfterMs: retryAfterMsFromHeaders((name) => error.headers?.get(name)),
        kind
      })
    }
    if (error instanceof SyntaxError)
      return new NetworkError({
        provider,
        model: ctx.model,
        message: `${where}: unreadable response from the API (${redact(error.message)})`
      })
    if (error instanceof sdk.AnthropicError && connectionErrorCode(error) === undefined)
      return new InvalidRequestError({
        provider,
        model: ctx.model,
        message: `${where}: the Anthropic SDK rejected the request: ${redact(error.message)}`
      })
    return networkError(ctx, error, redact)
  }

/** `event: error` inside a 200 stream: the SDK throws an APIError with no status; classify by `error.type`. */
const midStreamError = (
  ctx: CallContext,
  type: string | undefined,
  message: string,
  requestId: string | null | undefined
): LLMError => {
  const base = { provider, model: ctx.model, ...optionalRequestId(requestId) }
  const where = `${provider} model ${ctx.model}`
  switch (type) {
    case "rate_limit_error":
      return new RateLimitError({ ...base, message: `${where} was rate limited mid-stream: ${message}` })
    case "authentication_error":
    case "permission_error":
    case "billing_error":
      return new AuthenticationError({ ...base, message: `${where}: ${type} mid-stream: ${message}` })
    case "not_found_error":
      return new ModelNotFoundError({ ...base, suggestions: [], message: `${where} not found: ${message}` })
    case "invalid_request_error":
    case "request_too_large":
      return contextOverflow.test(message) || type === "request_too_large"
        ? new ContextLengthExceededError({
            ...base,
            message: `${where}: the prompt is longer than the model's context window: ${message}`
          })
        : new InvalidRequestError({ ...base, message: `${where} rejected the request mid-stream: ${message}` })
    default:
      // overloaded_error, api_error, timeout_error and anything new: the service failed, a retry may work.
      return new ProviderUnavailableError({
        ...base,
        message: `${where} failed mid-stream (${type ?? "unknown error"}): ${message}`
      })
  }
}

/**
 * Stream decoder: text deltas, tool calls (a `tool_use` block's start, its `input_json_delta`s, its stop),
 * a usage snapshot whenever the wire reports usage, then one finish.
 */
const makeDecoder = (ctx: CallContext, requestId: () => string | undefined) => (): StreamDecoder<StreamEvent> => {
  let wire: WireUsage = {}
  let model = ctx.model
  let stopReason: string | null | undefined
  let stopped = false
  // Keyed by content block index: a block's deltas and stop name it by that index only.
  const toolCalls = new ToolCallAssembler()
  // Created at the first thinking block: nothing is allocated for a stream without thinking.
  let thinking: ThinkingAssembler | undefined
  const snapshot = (): ProviderStreamEvent => ({ _tag: "UsageSnapshot", usage: normaliseAnthropicUsage(wire) })
  return {
    onChunk: (event) => {
      switch (event.type) {
        case "message_start":
          wire = mergeUsage({}, event.message.usage)
          if (event.message.model) model = event.message.model
          return [snapshot()]
        case "content_block_start": {
          const block = event.content_block
          // Only `tool_use` is a call for the client; `server_tool_use` ran at Anthropic.
          if (block.type === "tool_use") return toolCalls.start(event.index, block.id, block.name)
          if (block.type === "thinking" || block.type === "redacted_thinking") {
            thinking ??= new ThinkingAssembler(source)
            return thinking.start(
              event.index,
              block.type === "thinking" ? block.thinking : "",
              block.type === "redacted_thinking" ? block.data : undefined
            )
          }
          return []
        }
        case "content_block_delta":
          switch (event.delta.type) {
            case "text_delta":
              return event.delta.text ? [{ _tag: "TextDelta", text: event.delta.text }] : []
            case "input_json_delta":
              return toolCalls.delta(event.index, event.delta.partial_json)
            case "thinking_delta":
              return thinking?.text(event.index, event.delta.thinking) ?? []
            case "signature_delta":
              thinking?.sign(event.index, event.delta.signature)
              return []
            default:
              return []
          }
        case "content_block_stop":
          if (thinking?.end(event.index)) return []
          return toolCalls.end(event.index)
        case "message_delta":
          wire = mergeUsage(wire, event.usage)
          stopReason = event.delta.stop_reason
          return [snapshot()]
        case "message_stop":
          stopped = true
          return []
        default:
          return []
      }
    },
    onEnd: () =>
      stopped
        ? {
            _tag: "ProviderFinish",
            finishReason: finishReasonOf(stopReason),
            usage: normaliseAnthropicUsage(wire),
            model,
            ...optionalRequestId(requestId()),
            ...(thinking !== undefined ? { reasoningParts: thinking.parts } : {})
          }
        : streamCut("message_stop", requestId())
  }
}

const textOf = (message: AnthropicSdk.Message): string =>
  // Stryker disable next-line ConditionalExpression: equivalent when forced true, other blocks have no text and join() skips undefined
  message.content.flatMap((block) => (block.type === "text" ? [block.text] : [])).join("")

const toModelInfo = (model: AnthropicSdk.ModelInfo): ModelInfo => ({
  id: model.id,
  provider,
  ...(model.display_name ? { displayName: model.display_name } : {}),
  ...(model.max_input_tokens != null ? { contextWindow: model.max_input_tokens } : {}),
  ...(model.max_tokens != null ? { maxOutputTokens: model.max_tokens } : {}),
  deprecated: model.lifecycle === "deprecated"
})

const make = (options: AnthropicOptions) =>
  Effect.gen(function* () {
    const sdk: Sdk = yield* loadSdk("providers.anthropic", "@anthropic-ai/sdk", () => import("@anthropic-ai/sdk"))
    const apiKey = Redacted.value(options.apiKey)
    const redact = redactor([apiKey])
    const timeouts = resolveAttemptTimeouts(options)
    const client: Client = new sdk.Anthropic({
      apiKey,
      ...(options.baseUrl !== undefined ? { baseURL: options.baseUrl } : {}),
      maxRetries: 0, // the orchestrator owns retries
      // Always explicit, so the SDK's non-streaming guard never fires (see the module comment).
      timeout: sdkTimeoutMs(timeouts.timeoutMs),
      // Every failure reaches the caller as a typed error; ANTHROPIC_LOG still turns SDK logging on.
      ...(process.env.ANTHROPIC_LOG ? {} : { logLevel: "off" as const }),
      fetch: sdkFetch
    })
    const context = (model: string, deadline?: CallDeadline): CallContext => ({
      provider,
      model,
      timeoutMs: timeouts.timeoutMs,
      idleTimeoutMs: timeouts.idleTimeoutMs,
      deadline
    })

    const stream: LLMProviderShape["stream"] = (request, model, deadline) => {
      const ctx = context(model, deadline)
      const params = toParams(request, ctx)
      if (params instanceof InvalidRequestError) return Stream.fail(params)
      let requestId: string | undefined
      return streamSdk(
        ctx,
        async (call) => {
          const { data, request_id } = await client.messages
            .create({ ...params, stream: true }, abortableBy(call))
            .withResponse()
          requestId = request_id ?? undefined
          return data
        },
        errorMapper(sdk, ctx, redact),
        makeDecoder(ctx, () => requestId)
      )
    }

    /**
     * A long generation, streamed and folded into one response. The request's deadline bounds all of
     * it, not only the wait for its first text as for a stream.
     */
    const generateOverStream = (request: ChatRequest, model: string, deadline: CallDeadline | undefined) => {
      const folded = Stream.runFold(
        stream(request, model),
        () => ({
          text: "",
          toolCalls: [] as Array<ToolCall>,
          finish: undefined as (ProviderStreamEvent & { _tag: "ProviderFinish" }) | undefined
        }),
        (acc, event) => {
          if (event._tag === "TextDelta") acc.text += event.text
          else if (event._tag === "ToolCall") {
            const { _tag, ...call } = event
            acc.toolCalls.push(call)
          }
          // Stryker disable next-line ConditionalExpression: equivalent when forced true, the finish is always the last event
          else if (event._tag === "ProviderFinish") acc.finish = event
          return acc
        }
      ).pipe(
        Effect.map(({ text, toolCalls, finish }): ProviderResponse => {
          // streamSdk ends every successful stream with the decoder's ProviderFinish.
          const done = finish!
          return {
            content: text,
            provider,
            model: done.model,
            finishReason: done.finishReason,
            usage: done.usage,
            ...(toolCalls.length > 0 ? { toolCalls } : {}),
            ...reasoningFields(done.reasoningParts ?? []),
            ...optionalRequestId(done.requestId)
          }
        })
      )
      return boundedByDeadline(folded, deadline)
    }

    const generate: LLMProviderShape["generate"] = (request, model, deadline) => {
      const ctx = context(model, deadline)
      const params = toParams(request, ctx)
      if (params instanceof InvalidRequestError) return Effect.fail(params)
      if (params.max_tokens > nonStreamingMaxTokens) return generateOverStream(request, model, deadline)
      const mapError = errorMapper(sdk, ctx, redact)
      // The SDK puts the request-id header on the parsed message as `_request_id`: no `withResponse()`
      // (a second promise chain over the same response) is needed for it.
      return callSdk(ctx, (call) => client.messages.create(params, abortableBy(call)), mapError).pipe(
        Effect.flatMap((message: AnthropicSdk.Message & { _request_id?: string | null }) => {
          const request_id = message?._request_id
          const toolCalls = Array.isArray(message?.content) ? toolCallsOf(message.content) : []
          return Array.isArray(message?.content) && message.usage
            ? Effect.succeed<ProviderResponse>({
                content: textOf(message),
                provider,
                model: message.model || model,
                finishReason: finishReasonOf(message.stop_reason),
                usage: normaliseAnthropicUsage(message.usage),
                ...(toolCalls.length > 0 ? { toolCalls } : {}),
                ...reasoningFields(reasoningPartsOf(message.content)),
                ...optionalRequestId(request_id)
              })
            : Effect.fail(
                new NetworkError({
                  provider,
                  model,
                  ...optionalRequestId(request_id),
                  message: `${provider} model ${model}: the response is not a message (no content or usage)`
                })
              )
        })
      )
    }

    const listContext = context("(model listing)")
    const listModels = listPages<ModelInfo, string>(
      listContext,
      async (afterId, signal) => {
        const page = await client.models.list(
          { limit: 1000, ...(afterId !== undefined ? { after_id: afterId } : {}) },
          { signal }
        )
        return {
          // A retired model is still listed but answers every request with 404.
          items: page.data.filter((model) => model.lifecycle !== "retired").map(toModelInfo),
          next: page.has_more && page.last_id ? page.last_id : undefined
        }
      },
      errorMapper(sdk, listContext, redact)
    )

    return LLMProvider.of({ id: provider, generate, stream, listModels, honorsDeadline: true })
  })

const validate = (options: AnthropicOptions): Effect.Effect<AnthropicOptions, ConfigError> => {
  const problems: Array<{ path: string; message: string }> = []
  const apiKey = Redacted.value(options.apiKey)
  if (apiKey.trim() === "")
    problems.push({ path: "providers.anthropic.api_key", message: "is empty; set ANTHROPIC_API_KEY" })
  else problems.push(...(unsafeHeaderValues([["providers.anthropic.api_key", apiKey]])?.problems ?? []))
  if (options.baseUrl !== undefined && !URL.canParse(options.baseUrl))
    problems.push({ path: "providers.anthropic.base_url", message: `is not a URL: ${options.baseUrl}` })
  if (options.timeoutMs !== undefined && !(options.timeoutMs >= 0))
    problems.push({ path: "providers.anthropic.timeout", message: "must be a duration, or 0 for none" })
  if (options.idleTimeoutMs !== undefined && !(options.idleTimeoutMs >= 0))
    problems.push({ path: "providers.anthropic.idle_timeout", message: "must be a duration, or 0 for none" })
  return problems.length > 0 ? Effect.fail(ConfigError.fromProblems(problems)) : Effect.succeed(options)
}

export const AnthropicProvider = {
  /** The provider from explicit options (the orchestrator passes the parsed `providers.anthropic` config). */
  layer: (options: AnthropicOptions): Layer.Layer<LLMProvider, ConfigError> =>
    Layer.effect(LLMProvider, Effect.flatMap(validate(options), make)),

  /** The provider from ANTHROPIC_API_KEY, ANTHROPIC_BASE_URL and ANTHROPIC_TIMEOUT_MS. */
  layerConfig: layerFromEnv(
    {
      apiKey: Config.Redacted("ANTHROPIC_API_KEY"),
      baseUrl: optionalEnv(Config.String("ANTHROPIC_BASE_URL")),
      timeoutMs: optionalEnv(Config.Int("ANTHROPIC_TIMEOUT_MS"))
    },
    (options) => Layer.effect(LLMProvider, Effect.flatMap(validate(options), make))
  )
}
