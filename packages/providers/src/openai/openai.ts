/**
 * OpenAI over the official `openai` SDK (docs/ARCHITECTURE.md, "Providers on the wire" and "Usage semantics"): Chat Completions by default
 * (so any OpenAI-compatible `baseUrl` works), the Responses API with `api: "responses"`. The SDK is
 * loaded when the layer is built; its retries are off (the orchestrator owns them).
 */
import {
  type CallDeadline,
  ConfigError,
  emptyUsage,
  InvalidRequestError,
  type LLMError,
  LLMProvider,
  type LLMProviderShape,
  type ModelInfo,
  optionalField,
  type ProviderResponse,
  type ProviderStreamEvent,
  resolveAttemptTimeouts,
  type Usage
} from "@llm-orchestrator/core"
import { Config, Effect, Layer, Redacted, Stream } from "effect"
import type { ChatCompletion, ChatCompletionChunk } from "openai/resources/chat/completions"
import type { Response as OpenAIResponse, ResponseStreamEvent } from "openai/resources/responses/responses"
import {
  abortableBy,
  type CallContext,
  callSdk,
  layerFromEnv,
  listPages,
  loadSdk,
  optionalEnv,
  reasoningFields,
  redactor,
  type StreamDecoder,
  sdkFetch,
  sdkTimeoutMs,
  streamCut,
  streamSdk,
  ToolCallAssembler,
  unsafeHeaderValues
} from "../kit/index.ts"
import {
  chatBody,
  chatFinishWithCalls,
  chatToolCalls,
  chatUsage,
  type ErrorTools,
  isOpenAIChatModel,
  keyLike,
  notAResponse,
  payloadError,
  responsesBody,
  responsesFinishReason,
  responsesReasoningParts,
  responsesRefused,
  responsesText,
  responsesToolCalls,
  responsesUsage,
  toLLMError,
  unsupportedByResponses
} from "./mapping.ts"

export { isOpenAIChatModel }

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

/**
 * Any server that speaks OpenAI's Chat Completions (Ollama, vLLM, Groq, OpenRouter, DeepSeek, Mistral,
 * Together): the OpenAI SDK pointed at `baseUrl`, with or without a key.
 */
export interface OpenAICompatibleOptions {
  /** e.g. `http://localhost:11434/v1` (the SDK appends `/chat/completions`). */
  readonly baseUrl: string
  /** Sent as a bearer token when set; a server that needs none gets no Authorization header. */
  readonly apiKey?: Redacted.Redacted<string>
  readonly timeoutMs?: number
  readonly idleTimeoutMs?: number
}

type ClientOptions = Omit<OpenAIOptions, "apiKey"> & { readonly apiKey: Redacted.Redacted<string> | undefined }

const provider = "openai" as const

// ---- The layer --------------------------------------------------------------------------------------

const make = (options: ClientOptions): Effect.Effect<LLMProviderShape, ConfigError> =>
  Effect.gen(function* () {
    const sdk = yield* loadSdk("providers.openai", "openai", () => import("openai"))
    const OpenAI = sdk.default
    // Keyless (a compatible server): the SDK insists on a key, so it gets a placeholder that the
    // `Authorization: null` default header then keeps off the wire.
    const keyless = options.apiKey === undefined
    const apiKey = options.apiKey === undefined ? "unused" : Redacted.value(options.apiKey)
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
    const tools: ErrorTools = { redact: redactor([apiKey], keyLike) }
    const client = yield* Effect.try({
      try: () =>
        new OpenAI({
          apiKey,
          ...(keyless ? { defaultHeaders: { Authorization: null } } : {}),
          maxRetries: 0,
          organization: options.organization ?? null,
          project: options.project ?? null,
          ...(options.baseUrl !== undefined ? { baseURL: options.baseUrl } : {}),
          timeout: sdkTimeoutMs(timeouts.timeoutMs),
          // The SDK logs malformed frames to the console; they surface here as typed errors instead.
          logLevel: "off",
          fetch: sdkFetch
        }),
      catch: (error) =>
        ConfigError.fromProblems([
          {
            path: "providers.openai",
            message: tools.redact(error instanceof Error ? error.message : String(error))
          }
        ])
    })
    const context = (model: string, deadline?: CallDeadline): CallContext => ({
      provider,
      model,
      timeoutMs: timeouts.timeoutMs,
      idleTimeoutMs: timeouts.idleTimeoutMs,
      deadline
    })
    const mapError = (ctx: CallContext) => (error: unknown) => toLLMError(ctx, error, OpenAI, tools)
    const api = options.api ?? "chat"

    const generateChat: LLMProviderShape["generate"] = (request, model, deadline) => {
      const ctx = context(model, deadline)
      const body = chatBody(request, ctx)
      if (body instanceof InvalidRequestError) return Effect.fail(body)
      return callSdk(ctx, (call) => client.chat.completions.create(body, abortableBy(call)), mapError(ctx)).pipe(
        Effect.flatMap(
          (completion: ChatCompletion & { _request_id?: string | null }): Effect.Effect<ProviderResponse, LLMError> => {
            // A proxy or a broken OpenAI-compatible server can answer 200 with any JSON.
            if (!Array.isArray(completion?.choices))
              return Effect.fail(notAResponse(ctx, completion, "chat completion"))
            const choice = completion.choices[0]
            const content = choice?.message?.content ?? ""
            const toolCalls = chatToolCalls(choice?.message)
            // A refusal instead of an answer is reported as a content filter with its usage: the
            // orchestrator's one rule makes it an error and bills it, as for every provider.
            const refused = content === "" && toolCalls.length === 0 && Boolean(choice?.message?.refusal)
            const finishReason = refused
              ? "content-filter"
              : chatFinishWithCalls(choice?.finish_reason, toolCalls.length > 0)
            return Effect.succeed({
              content,
              provider,
              model: completion.model || model,
              finishReason,
              usage: chatUsage(completion.usage),
              ...(toolCalls.length > 0 ? { toolCalls } : {}),
              ...(completion._request_id ? { requestId: completion._request_id } : {})
            })
          }
        )
      )
    }

    const generateResponses: LLMProviderShape["generate"] = (request, model, deadline) => {
      const ctx = context(model, deadline)
      const unsupported = unsupportedByResponses(request, ctx)
      if (unsupported) return Effect.fail(unsupported)
      return callSdk(
        ctx,
        (call) => client.responses.create(responsesBody(request, model), abortableBy(call)),
        mapError(ctx)
      ).pipe(
        Effect.flatMap((response: OpenAIResponse & { _request_id?: string | null }) => {
          if (!Array.isArray(response?.output))
            return Effect.fail(notAResponse(ctx, response, "Responses API response"))
          const requestId = response._request_id
          if (response.status === "failed")
            return Effect.fail(payloadError(ctx, response.error ?? { type: "server_error" }, requestId, tools))
          const content = responsesText(response)
          const toolCalls = responsesToolCalls(response)
          const finishReason =
            content === "" && toolCalls.length === 0 && responsesRefused(response)
              ? "content-filter"
              : responsesFinishReason(response)
          return Effect.succeed({
            content,
            provider,
            model: response.model || model,
            finishReason,
            usage: responsesUsage(response.usage),
            ...(toolCalls.length > 0 ? { toolCalls } : {}),
            ...reasoningFields(responsesReasoningParts(response.output)),
            ...(requestId ? { requestId } : {})
          })
        })
      )
    }

    const streamChat: LLMProviderShape["stream"] = (request, model, deadline) => {
      const ctx = context(model, deadline)
      const body = chatBody(request, ctx)
      if (body instanceof InvalidRequestError) return Stream.fail(body)
      let requestId: string | null | undefined
      return streamSdk<ChatCompletionChunk>(
        ctx,
        async (call) => {
          const { data, request_id } = await client.chat.completions
            .create({ ...body, stream: true, stream_options: { include_usage: true } }, abortableBy(call))
            .withResponse()
          requestId = request_id
          return data
        },
        mapError(ctx),
        (): StreamDecoder<ChatCompletionChunk> => {
          let finish: string | null | undefined
          let usage: Usage | undefined
          let servedModel = model
          // Calls are keyed by their `index`; the id and name come on the first delta of each.
          const calls = new ToolCallAssembler()
          const idAt = new Map<number, string>()
          return {
            onChunk: (chunk) => {
              const events: Array<ProviderStreamEvent> = []
              if (chunk.model) servedModel = chunk.model
              for (const choice of chunk.choices ?? []) {
                const text = choice.delta?.content
                if (text) events.push({ _tag: "TextDelta", text })
                const toolCalls = choice.delta?.tool_calls
                if (toolCalls) {
                  for (const [position, call] of toolCalls.entries()) {
                    const key = call.index ?? position
                    // Some compatible servers repeat the id on every delta, or reuse an index for the
                    // next call: only a new id at an index starts a call (closing the one before).
                    if (call.id && idAt.get(key) !== call.id) {
                      events.push(...calls.end(key), ...calls.start(key, call.id, call.function?.name ?? ""))
                      idAt.set(key, call.id)
                    }
                    events.push(...calls.delta(key, call.function?.arguments ?? ""))
                  }
                }
                if (choice.finish_reason) {
                  finish = choice.finish_reason
                  // Chat closes calls only by finishing: each is complete once the finish reason comes.
                  events.push(...calls.endAll())
                }
              }
              // Later chunks may repeat `usage: null` (moderation results): never let them erase it.
              if (chunk.usage) {
                usage = chatUsage(chunk.usage)
                events.push({ _tag: "UsageSnapshot", usage })
              }
              return events
            },
            onEnd: () => {
              if (finish === undefined) return streamCut("the model finished", requestId)
              return {
                _tag: "ProviderFinish",
                finishReason: chatFinishWithCalls(finish, calls.calls.length > 0),
                usage: usage ?? emptyUsage,
                model: servedModel,
                ...(requestId ? { requestId } : {})
              }
            }
          }
        }
      )
    }

    const streamResponses: LLMProviderShape["stream"] = (request, model, deadline) => {
      const ctx = context(model, deadline)
      const unsupported = unsupportedByResponses(request, ctx)
      if (unsupported) return Stream.fail(unsupported)
      let requestId: string | null | undefined
      return streamSdk<ResponseStreamEvent>(
        ctx,
        async (call) => {
          const { data, request_id } = await client.responses
            .create({ ...responsesBody(request, model), stream: true }, abortableBy(call))
            .withResponse()
          requestId = request_id
          return data
        },
        mapError(ctx),
        (): StreamDecoder<ResponseStreamEvent> => {
          let final: OpenAIResponse | undefined
          let servedModel = model
          let sawText = false
          // Calls are keyed by their item id (`fc_...`), which the argument deltas name; `call_id` is exposed.
          const calls = new ToolCallAssembler()
          return {
            onChunk: (event) => {
              switch (event.type) {
                case "response.output_item.added":
                  if (event.item.type !== "function_call" || event.item.id === undefined) return []
                  return [
                    ...calls.start(event.item.id, event.item.call_id, event.item.name),
                    ...calls.delta(event.item.id, event.item.arguments ?? "")
                  ]
                case "response.function_call_arguments.delta":
                  return calls.delta(event.item_id, event.delta)
                case "response.function_call_arguments.done":
                  return calls.end(event.item_id, event.arguments)
                case "response.output_item.done":
                  // Already complete after `function_call_arguments.done`; this closes a call that skipped it.
                  return event.item.type === "function_call" && event.item.id !== undefined
                    ? calls.end(event.item.id, event.item.arguments)
                    : []
                case "response.created":
                case "response.in_progress":
                  if (event.response.model) servedModel = event.response.model
                  return []
                case "response.output_text.delta":
                  if (!event.delta) return []
                  sawText = true
                  return [{ _tag: "TextDelta", text: event.delta }]
                case "response.reasoning_summary_text.delta":
                  return event.delta ? [{ _tag: "ReasoningDelta", text: event.delta }] : []
                case "response.reasoning_summary_part.added":
                  // Summary parts are joined with a blank line in response.reasoning: the stream says the same.
                  return event.summary_index > 0 ? [{ _tag: "ReasoningDelta", text: "\n\n" }] : []
                case "response.completed":
                case "response.incomplete":
                case "response.failed": {
                  final = event.response
                  // A call whose item never closed (cut by max_output_tokens) still completes, as written.
                  const open = calls.endAll()
                  return event.response.usage
                    ? [...open, { _tag: "UsageSnapshot", usage: responsesUsage(event.response.usage) }]
                    : open
                }
                default:
                  return []
              }
            },
            onEnd: () => {
              if (final === undefined) return streamCut("the response completed", requestId)
              if (final.status === "failed")
                throw payloadError(ctx, final.error ?? { type: "server_error" }, requestId, tools)
              const finishReason =
                !sawText && calls.calls.length === 0 && responsesRefused(final)
                  ? "content-filter"
                  : responsesFinishReason(final)
              return {
                _tag: "ProviderFinish",
                finishReason,
                usage: responsesUsage(final.usage),
                model: final.model || servedModel,
                ...(requestId ? { requestId } : {}),
                ...optionalField(
                  "reasoningParts",
                  reasoningFields(responsesReasoningParts(final.output)).reasoningParts
                )
              }
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
      listModels,
      honorsDeadline: true
    })
  })

export const OpenAIProvider = {
  layer: (options: OpenAIOptions): Layer.Layer<LLMProvider, ConfigError> => Layer.effect(LLMProvider, make(options)),
  /**
   * From the environment: OPENAI_API_KEY (required), OPENAI_BASE_URL, OPENAI_ORG_ID, OPENAI_PROJECT_ID,
   * OPENAI_TIMEOUT_MS, OPENAI_API (`chat` or `responses`).
   */
  layerConfig: layerFromEnv(
    {
      apiKey: Config.Redacted("OPENAI_API_KEY"),
      baseUrl: optionalEnv(Config.String("OPENAI_BASE_URL")),
      organization: optionalEnv(Config.String("OPENAI_ORG_ID")),
      project: optionalEnv(Config.String("OPENAI_PROJECT_ID")),
      timeoutMs: optionalEnv(Config.Int("OPENAI_TIMEOUT_MS")),
      api: Config.Literals(["chat", "responses"], "OPENAI_API").pipe(Config.withDefault("chat" as const))
    },
    (options) => Layer.effect(LLMProvider, make(options))
  )
}

export const OpenAICompatibleProvider = {
  /** Chat Completions only: compatible servers rarely implement the Responses API. */
  layer: (options: OpenAICompatibleOptions): Layer.Layer<LLMProvider, ConfigError> =>
    Layer.effect(LLMProvider, make({ ...options, apiKey: options.apiKey, api: "chat" }))
}
