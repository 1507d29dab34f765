/**
 * OpenAI over the official `openai` SDK (PROTOCOLS.md sections 1 and 6): Chat Completions by default
 * (so any OpenAI-compatible `baseUrl` works), the Responses API with `api: "responses"`. The SDK is
 * loaded when the layer is built; its retries are off (the orchestrator owns them).
 */
import {
  AuthenticationError,
  type ChatRequest,
  ConfigError,
  ContentFilteredError,
  ContextLengthExceededError,
  emptyUsage,
  type FinishReason,
  InvalidRequestError,
  isLLMError,
  type LLMError,
  LLMProvider,
  type LLMProviderShape,
  type ModelInfo,
  ModelNotFoundError,
  messageText,
  NetworkError,
  type OpenAIConfig,
  type ProviderResponse,
  type ProviderStreamEvent,
  ProviderUnavailableError,
  RateLimitError,
  resolveAttemptTimeouts,
  TimeoutError,
  type Usage
} from "@llm-orchestrator/core"
import { Config, ConfigProvider, Effect, Layer, Option, Redacted, Stream } from "effect"
import type OpenAIClient from "openai"
import type { ChatCompletion, ChatCompletionChunk } from "openai/resources/chat/completions"
import type { CompletionUsage } from "openai/resources/completions"
import type {
  Response as OpenAIResponse,
  ResponseStreamEvent,
  ResponseUsage
} from "openai/resources/responses/responses"
import {
  type CallContext,
  callSdk,
  errorFromHttp,
  type HttpFailure,
  listPages,
  networkError,
  redactSecrets,
  retryAfterMsFromHeaders,
  type StreamDecoder,
  sdkTimeoutMs,
  streamSdk,
  unsafeHeaderValues
} from "./internal/call.ts"

export interface OpenAIOptions {
  readonly apiKey: Redacted.Redacted<string>
  /** e.g. `http://localhost:8000/v1` for an OpenAI-compatible server (the SDK appends `/chat/completions`). */
  readonly baseUrl?: string
  /** Per-attempt timeout (until the answer, or a stream's first text); default 10 min, 0: none. */
  readonly timeoutMs?: number
  /** Streams: the longest wait for more text once text has begun (default 60 s; 0: none). */
  readonly idleTimeoutMs?: number
  readonly organization?: string
  readonly project?: string
  /** Chat Completions (default) or the Responses API. */
  readonly api?: "chat" | "responses"
}

// The orchestrator passes the parsed YAML config straight in.
const _configIsAccepted = (config: OpenAIConfig): OpenAIOptions => config
void _configIsAccepted

const provider = "openai" as const

// ---- Errors -----------------------------------------------------------------------------------------

/** OpenAI echoes a masked key ("sk-proj-****abcd") in 401 messages; no part of a key leaves this module. */
const keyLike = /\b(sk|sess|rk)-[A-Za-z0-9_*.-]{3,}/g

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

interface ErrorTools {
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
const payloadError = (
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

/** Every SDK failure as exactly one `LLMError` (DESIGN section 5). */
const toLLMError = (ctx: CallContext, error: unknown, sdk: typeof OpenAIClient, tools: ErrorTools): LLMError => {
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
  if (error instanceof sdk.APIConnectionError) return redacted(networkError(ctx, error.cause ?? error), tools)
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
  return redacted(networkError(ctx, error), tools)
}

const redacted = (error: NetworkError, tools: ErrorTools): NetworkError => {
  const message = tools.redact(error.message)
  return message === error.message ? error : new NetworkError({ provider, model: error.model, message })
}

// ---- Usage and finish reasons -----------------------------------------------------------------------

/** Chat usage is already in the normalised form: prompt_tokens counts cached input, completion_tokens reasoning. */
const chatUsage = (usage: CompletionUsage | null | undefined): Usage =>
  usage
    ? {
        inputTokens: usage.prompt_tokens ?? 0,
        outputTokens: usage.completion_tokens ?? 0,
        cacheReadTokens: usage.prompt_tokens_details?.cached_tokens ?? 0,
        cacheWriteTokens: usage.prompt_tokens_details?.cache_write_tokens ?? 0,
        reasoningTokens: usage.completion_tokens_details?.reasoning_tokens ?? 0
      }
    : emptyUsage

const responsesUsage = (usage: ResponseUsage | null | undefined): Usage =>
  usage
    ? {
        inputTokens: usage.input_tokens ?? 0,
        outputTokens: usage.output_tokens ?? 0,
        cacheReadTokens: usage.input_tokens_details?.cached_tokens ?? 0,
        cacheWriteTokens: usage.input_tokens_details?.cache_write_tokens ?? 0,
        reasoningTokens: usage.output_tokens_details?.reasoning_tokens ?? 0
      }
    : emptyUsage

const chatFinishReason = (reason: string | null | undefined): FinishReason => {
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
const responsesText = (response: OpenAIResponse): string =>
  response.output
    .flatMap((item) => (item.type === "message" ? item.content : []))
    .map((part) => (part.type === "output_text" ? part.text : ""))
    .join("")

const responsesRefused = (response: OpenAIResponse): boolean =>
  response.output.some((item) => item.type === "message" && item.content.some((part) => part.type === "refusal"))

const responsesFinishReason = (response: OpenAIResponse): FinishReason => {
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

const contentFiltered = (ctx: CallContext, requestId: string | null | undefined) =>
  new ContentFilteredError({
    ...base(ctx, requestId),
    message: `openai model ${ctx.model} produced nothing: its content filter stopped the answer. Rephrase the request`
  })

/** A 200 whose JSON is not the expected object: unreadable, like a malformed body (retryable). */
const notAResponse = (ctx: CallContext, body: { _request_id?: string | null } | null | undefined, what: string) =>
  new NetworkError({
    ...base(ctx, body?._request_id),
    message: `openai model ${ctx.model}: the server answered 200 but the body is not a ${what}; check base_url points at an OpenAI-compatible API`
  })

// ---- Requests ---------------------------------------------------------------------------------------

const chatBody = (request: ChatRequest, model: string) => ({
  model,
  messages: request.messages.map((message) => ({ role: message.role, content: messageText(message) })),
  ...(request.temperature !== undefined ? { temperature: request.temperature } : {}),
  ...(request.topP !== undefined ? { top_p: request.topP } : {}),
  // max_tokens is deprecated and refused by reasoning models; max_completion_tokens works for all.
  ...(request.maxTokens !== undefined ? { max_completion_tokens: request.maxTokens } : {}),
  ...(request.stop !== undefined && request.stop.length > 0 ? { stop: [...request.stop] } : {})
})

const responsesBody = (request: ChatRequest, model: string) => {
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
const unsupportedByResponses = (request: ChatRequest, ctx: CallContext): InvalidRequestError | undefined =>
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

// ---- Aborting a call ---------------------------------------------------------------------------------

/**
 * Handing the OpenAI SDK a caller `signal` makes it compose that signal with its own through
 * `AbortSignal.any`, and the SDK reads `signal.aborted` on every SSE line: on a composed signal each
 * read re-checks the sources, which measured ~0.8 us per streamed chunk and ~10 us per call (bench/).
 * Instead the call's signal travels in `fetchOptions` under a private key, and `linkedFetch` (the
 * client's `fetch`) links it to the SDK's own signal with two plain listeners.
 */
const callSignal = Symbol("llm-orchestrator/call-signal")

const abortableBy = (signal: AbortSignal) => ({ fetchOptions: { [callSignal]: signal } as Record<string, never> })

const linkedFetch = (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
  const signal = (init as { [callSignal]?: AbortSignal } | undefined)?.[callSignal]
  if (init === undefined || signal === undefined) return globalThis.fetch(input, init)
  const controller = new AbortController()
  const abort = () => controller.abort()
  const sdkSignal = init.signal
  if (signal.aborted || sdkSignal?.aborted) abort()
  signal.addEventListener("abort", abort, { once: true })
  sdkSignal?.addEventListener("abort", abort, { once: true })
  const { [callSignal]: _, ...rest } = init as RequestInit & { [callSignal]?: AbortSignal }
  return globalThis.fetch(input, { ...rest, signal: controller.signal })
}

// ---- The layer --------------------------------------------------------------------------------------

const make = (options: OpenAIOptions): Effect.Effect<LLMProviderShape, ConfigError> =>
  Effect.gen(function* () {
    const sdk = yield* Effect.tryPromise({
      try: () => import("openai"),
      catch: () =>
        ConfigError.fromProblems([
          { path: "providers.openai", message: "the `openai` package is not installed: add it to use this provider" }
        ])
    })
    const OpenAI = sdk.default
    const apiKey = Redacted.value(options.apiKey)
    if (apiKey.trim() === "") {
      return yield* ConfigError.fromProblems([
        { path: "providers.openai.api_key", message: "the OpenAI API key is empty: set OPENAI_API_KEY" }
      ])
    }
    const unsafe = unsafeHeaderValues([
      ["providers.openai.api_key", apiKey],
      ["providers.openai.organization", options.organization],
      ["providers.openai.project", options.project]
    ])
    if (unsafe !== undefined) return yield* unsafe
    const timeouts = resolveAttemptTimeouts(options)
    const client = yield* Effect.try({
      try: () =>
        new OpenAI({
          apiKey,
          maxRetries: 0,
          organization: options.organization ?? null,
          project: options.project ?? null,
          ...(options.baseUrl !== undefined ? { baseURL: options.baseUrl } : {}),
          timeout: sdkTimeoutMs(timeouts.timeoutMs),
          // The SDK logs malformed frames to the console; they surface here as typed errors instead.
          logLevel: "off",
          fetch: linkedFetch
        }),
      catch: (error) =>
        ConfigError.fromProblems([
          {
            path: "providers.openai",
            message: redactSecrets(error instanceof Error ? error.message : String(error), [apiKey])
          }
        ])
    })
    const tools: ErrorTools = { redact: (text) => redactSecrets(text, [apiKey]).replace(keyLike, "[redacted]") }
    const context = (model: string): CallContext => ({
      provider,
      model,
      timeoutMs: timeouts.timeoutMs,
      idleTimeoutMs: timeouts.idleTimeoutMs
    })
    const mapError = (ctx: CallContext) => (error: unknown) => toLLMError(ctx, error, OpenAI, tools)
    const api = options.api ?? "chat"

    const generateChat = (request: ChatRequest, model: string): Effect.Effect<ProviderResponse, LLMError> => {
      const ctx = context(model)
      return callSdk(
        ctx,
        (signal) => client.chat.completions.create(chatBody(request, model), abortableBy(signal)),
        mapError(ctx)
      ).pipe(
        Effect.flatMap(
          (completion: ChatCompletion & { _request_id?: string | null }): Effect.Effect<ProviderResponse, LLMError> => {
            // A proxy or a broken OpenAI-compatible server can answer 200 with any JSON.
            if (!Array.isArray(completion?.choices))
              return Effect.fail(notAResponse(ctx, completion, "chat completion"))
            const choice = completion.choices[0]
            const content = choice?.message?.content ?? ""
            const finishReason = chatFinishReason(choice?.finish_reason)
            const refused = !content && Boolean(choice?.message?.refusal)
            if ((finishReason === "content-filter" || refused) && content === "")
              return Effect.fail(contentFiltered(ctx, completion._request_id))
            return Effect.succeed({
              content,
              provider,
              model: completion.model || model,
              finishReason,
              usage: chatUsage(completion.usage),
              ...(completion._request_id ? { requestId: completion._request_id } : {})
            })
          }
        )
      )
    }

    const generateResponses = (request: ChatRequest, model: string): Effect.Effect<ProviderResponse, LLMError> => {
      const ctx = context(model)
      const unsupported = unsupportedByResponses(request, ctx)
      if (unsupported) return Effect.fail(unsupported)
      return callSdk(
        ctx,
        (signal) => client.responses.create(responsesBody(request, model), abortableBy(signal)),
        mapError(ctx)
      ).pipe(
        Effect.flatMap((response: OpenAIResponse & { _request_id?: string | null }) => {
          if (!Array.isArray(response?.output))
            return Effect.fail(notAResponse(ctx, response, "Responses API response"))
          const requestId = response._request_id
          if (response.status === "failed")
            return Effect.fail(payloadError(ctx, response.error ?? { type: "server_error" }, requestId, tools))
          const content = responsesText(response)
          const finishReason = responsesFinishReason(response)
          if ((finishReason === "content-filter" || responsesRefused(response)) && content === "")
            return Effect.fail(contentFiltered(ctx, requestId))
          return Effect.succeed({
            content,
            provider,
            model: response.model || model,
            finishReason,
            usage: responsesUsage(response.usage),
            ...(requestId ? { requestId } : {})
          })
        })
      )
    }

    const streamChat = (request: ChatRequest, model: string) => {
      const ctx = context(model)
      let requestId: string | null | undefined
      return streamSdk<ChatCompletionChunk>(
        ctx,
        async (signal) => {
          const { data, request_id } = await client.chat.completions
            .create(
              { ...chatBody(request, model), stream: true, stream_options: { include_usage: true } },
              abortableBy(signal)
            )
            .withResponse()
          requestId = request_id
          return data
        },
        mapError(ctx),
        (): StreamDecoder<ChatCompletionChunk> => {
          let finish: string | null | undefined
          let usage: Usage | undefined
          let servedModel = model
          let sawText = false
          return {
            onChunk: (chunk) => {
              const events: Array<ProviderStreamEvent> = []
              if (chunk.model) servedModel = chunk.model
              for (const choice of chunk.choices ?? []) {
                const text = choice.delta?.content
                if (text) {
                  sawText = true
                  events.push({ _tag: "TextDelta", text })
                }
                if (choice.finish_reason) finish = choice.finish_reason
              }
              // Later chunks may repeat `usage: null` (moderation results): never let them erase it.
              if (chunk.usage) {
                usage = chatUsage(chunk.usage)
                events.push({ _tag: "UsageSnapshot", usage })
              }
              return events
            },
            onEnd: () => {
              if (finish === undefined)
                return Effect.fail(
                  new NetworkError({
                    ...base(ctx, requestId),
                    message: `openai model ${model}: the stream ended before the model finished`
                  })
                )
              const finishReason = chatFinishReason(finish)
              if (finishReason === "content-filter" && !sawText) return Effect.fail(contentFiltered(ctx, requestId))
              return Effect.succeed([
                {
                  _tag: "ProviderFinish" as const,
                  finishReason,
                  usage: usage ?? emptyUsage,
                  model: servedModel,
                  ...(requestId ? { requestId } : {})
                }
              ])
            }
          }
        }
      )
    }

    const streamResponses = (request: ChatRequest, model: string): Stream.Stream<ProviderStreamEvent, LLMError> => {
      const ctx = context(model)
      const unsupported = unsupportedByResponses(request, ctx)
      if (unsupported) return Stream.fail(unsupported)
      let requestId: string | null | undefined
      return streamSdk<ResponseStreamEvent>(
        ctx,
        async (signal) => {
          const { data, request_id } = await client.responses
            .create({ ...responsesBody(request, model), stream: true }, abortableBy(signal))
            .withResponse()
          requestId = request_id
          return data
        },
        mapError(ctx),
        (): StreamDecoder<ResponseStreamEvent> => {
          let final: OpenAIResponse | undefined
          let servedModel = model
          let sawText = false
          return {
            onChunk: (event) => {
              switch (event.type) {
                case "response.created":
                case "response.in_progress":
                  if (event.response.model) servedModel = event.response.model
                  return []
                case "response.output_text.delta":
                  if (!event.delta) return []
                  sawText = true
                  return [{ _tag: "TextDelta", text: event.delta }]
                case "response.completed":
                case "response.incomplete":
                case "response.failed": {
                  final = event.response
                  return event.response.usage
                    ? [{ _tag: "UsageSnapshot", usage: responsesUsage(event.response.usage) }]
                    : []
                }
                default:
                  return []
              }
            },
            onEnd: () => {
              if (final === undefined)
                return Effect.fail(
                  new NetworkError({
                    ...base(ctx, requestId),
                    message: `openai model ${model}: the stream ended before the response completed`
                  })
                )
              if (final.status === "failed")
                return Effect.fail(payloadError(ctx, final.error ?? { type: "server_error" }, requestId, tools))
              const finishReason = responsesFinishReason(final)
              if ((finishReason === "content-filter" || responsesRefused(final)) && !sawText)
                return Effect.fail(contentFiltered(ctx, requestId))
              return Effect.succeed([
                {
                  _tag: "ProviderFinish" as const,
                  finishReason,
                  usage: responsesUsage(final.usage),
                  model: final.model || servedModel,
                  ...(requestId ? { requestId } : {})
                }
              ])
            }
          }
        }
      )
    }

    const listContext = context("(model listing)")
    // `/v1/models` is one page (the API does not paginate it): the shared reader still caps its size.
    const listModels: Effect.Effect<ReadonlyArray<ModelInfo>, LLMError> = listPages<ModelInfo, never>(
      listContext,
      async (_cursor, signal) => {
        const page = await client.models.list({ signal })
        return {
          items: page.data.filter((model) => isOpenAIChatModel(model.id)).map((model) => ({ id: model.id, provider })),
          next: undefined
        }
      },
      mapError(listContext)
    )

    return LLMProvider.of({
      id: provider,
      generate: api === "responses" ? generateResponses : generateChat,
      stream: api === "responses" ? streamResponses : streamChat,
      listModels
    })
  })

export const OpenAIProvider = {
  layer: (options: OpenAIOptions): Layer.Layer<LLMProvider, ConfigError> => Layer.effect(LLMProvider, make(options)),
  /**
   * From the environment: OPENAI_API_KEY (required), OPENAI_BASE_URL, OPENAI_ORG_ID, OPENAI_PROJECT_ID,
   * OPENAI_TIMEOUT_MS, OPENAI_API (`chat` or `responses`).
   */
  layerConfig: Layer.effect(
    LLMProvider,
    Effect.gen(function* () {
      const env = yield* Config.all({
        apiKey: Config.Redacted("OPENAI_API_KEY"),
        baseUrl: Config.option(Config.String("OPENAI_BASE_URL")),
        organization: Config.option(Config.String("OPENAI_ORG_ID")),
        project: Config.option(Config.String("OPENAI_PROJECT_ID")),
        timeoutMs: Config.option(Config.Int("OPENAI_TIMEOUT_MS")),
        api: Config.Literals(["chat", "responses"], "OPENAI_API").pipe(Config.withDefault("chat" as const))
      })
      const options: OpenAIOptions = {
        apiKey: env.apiKey,
        api: env.api,
        ...Option.match(env.baseUrl, { onNone: () => ({}), onSome: (baseUrl) => ({ baseUrl }) }),
        ...Option.match(env.organization, { onNone: () => ({}), onSome: (organization) => ({ organization }) }),
        ...Option.match(env.project, { onNone: () => ({}), onSome: (project) => ({ project }) }),
        ...Option.match(env.timeoutMs, { onNone: () => ({}), onSome: (timeoutMs) => ({ timeoutMs }) })
      }
      return yield* make(options).pipe(
        Effect.mapError((error) => new Config.ConfigError(new ConfigProvider.SourceError({ message: error.message })))
      )
    })
  )
}
