/**
 * The mapping between effect/ai's provider interface and the orchestrator's domain, both ways
 * (README "effect/ai"): `Prompt` and `ProviderOptions` to a `ChatRequest`; a `ChatResponse` or the
 * stream's events to `Response` parts; an `LLMError` to an `AiError` reason.
 */
import type {
  Attempt,
  ChatRequest,
  ChatResponse,
  ContentPart,
  Cost,
  Finish,
  LLMError,
  MediaData,
  Message,
  ProviderOptions,
  ReasoningConfig,
  ReasoningPart,
  StreamEvent,
  ToolDefinition,
  Usage
} from "@llm-orchestrator/core"
import { Duration, type Schema } from "effect"
import { AiError, type LanguageModel, Prompt, type Response, Tool } from "effect/ai"

/** The key of this library's entry in the `metadata` of response parts and error reasons. */
export const metadataKey = "llm-orchestrator"

/**
 * What the orchestrator adds to an answer, in the `finish` part's metadata (read it with
 * `orchestratorMetadata`): who answered after any fallback, every attempt, the cost of the answering
 * attempt (`null` when the model has no known price) and its usage in the orchestrator's own form
 * (with `cacheWrite1hTokens`, `webSearches` when any).
 */
export interface OrchestratorMetadata {
  readonly provider: string
  readonly model: string
  readonly requestId?: string
  readonly cost: Cost | null
  readonly attempts: ReadonlyArray<Attempt>
  readonly usage: Usage
}

/** Per-program request settings: what `ChatRequest` takes beyond messages, tools and format. */
export interface ModelSettings {
  /**
   * The provider instance the program expects to answer first. The orchestrator routes `model` to its
   * active provider only, so a different one fails the call with an `InvalidRequestError` reason.
   */
  readonly provider?: string
  /** The model on the active provider (default `active_model`); the fallback chain still follows. */
  readonly model?: string
  readonly temperature?: number
  readonly maxTokens?: number
  readonly topP?: number
  readonly stop?: ReadonlyArray<string>
  /** Ask the model to think first (`effort` and/or `budgetTokens`, as `ChatRequest.reasoning`). */
  readonly reasoning?: ReasoningConfig
  /** Cost attribution tags, copied into every cost record. */
  readonly metadata?: Readonly<Record<string, string>>
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] }

/** Thrown inside the request mapping and turned into a failed `AiError` by its one caller. */
const refuse = (parameter: string, description: string): never => {
  throw new AiError.InvalidRequestError({ parameter, description })
}

const isObject = (u: unknown): u is Record<string, unknown> => typeof u === "object" && u !== null && !Array.isArray(u)

/**
 * Prompt caching markers in effect/ai's per-part and per-message `options` (keyed by provider, as
 * ours): `anthropic.cacheControl` and `bedrock.cachePoint` become our `providerOptions`; other keys
 * (options of effect/ai's own providers) are not ours to send and are left out.
 */
const providerOptionsOf = (options: Prompt.ProviderOptions): ProviderOptions | undefined => {
  const anthropic = options.anthropic
  const bedrock = options.bedrock
  const cacheControl = isObject(anthropic) ? anthropic.cacheControl : undefined
  const cachePoint = isObject(bedrock) ? bedrock.cachePoint : undefined
  if (cacheControl === undefined && cachePoint === undefined) return undefined
  // Core checks the values before any call (a bad ttl is an InvalidRequestError naming the field).
  return {
    ...(cacheControl === undefined ? {} : { anthropic: { cacheControl: cacheControl as never } }),
    ...(cachePoint === undefined ? {} : { bedrock: { cachePoint: cachePoint as never } })
  }
}

/** `value` with our `providerOptions` when `options` carries any. */
const withOptions = <T extends object>(value: T, options: Prompt.ProviderOptions): T => {
  const providerOptions = providerOptionsOf(options)
  return providerOptions === undefined ? value : { ...value, providerOptions }
}

/** effect/ai file data: a data URL or a plain http(s) URL written as text becomes what core takes. */
const mediaData = (data: string | Uint8Array | URL): MediaData => {
  if (typeof data !== "string") return data
  if (data.startsWith("data:")) return data.slice(data.indexOf(",") + 1)
  if (data.startsWith("https://") || data.startsWith("http://")) return new URL(data)
  return data
}

const fileOf = (part: Prompt.FilePart): ContentPart =>
  withOptions(
    {
      type: part.mediaType.startsWith("image/") ? "image" : "file",
      data: mediaData(part.data),
      mediaType: part.mediaType,
      ...(part.fileName === undefined ? {} : { filename: part.fileName })
    },
    part.options
  )

/**
 * Where our reasoning parts ride in effect/ai's reasoning parts: `metadata` of a response part, which
 * `Prompt.fromResponseParts` (Chat, toolkits) copies into the prompt part's `options`. They carry the
 * signatures a provider needs back (Anthropic refuses a tool turn without its thinking block, Gemini 3
 * a function call without its thought signature); effect/ai's `text` alone cannot.
 */
const reasoningCarrier = (parts: ReadonlyArray<ReasoningPart>) => ({
  [metadataKey]: { reasoningParts: parts as unknown as Schema.Json }
})

/** Our reasoning parts in an effect/ai prompt part's options; none for reasoning we did not write. */
const reasoningPartsOf = (part: Prompt.ReasoningPart): ReadonlyArray<ContentPart> => {
  const carried = part.options[metadataKey]
  return isObject(carried) && Array.isArray(carried.reasoningParts)
    ? (carried.reasoningParts as ReadonlyArray<ContentPart>)
    : []
}

/**
 * `Prompt` messages to the orchestrator's. An assistant message's reasoning goes first, as our parts
 * that it carries (core checks them and sends them back to the provider type that wrote them only);
 * reasoning from elsewhere is dropped, as are parts of tools the provider ran itself and approval
 * bookkeeping (effect/ai resolves approvals before asking the model).
 */
export const toMessages = (prompt: Prompt.Prompt): Array<Message> => {
  const messages: Array<Message> = []
  for (const message of prompt.content) {
    switch (message.role) {
      case "system":
        messages.push(withOptions({ role: "system", content: message.content }, message.options))
        break
      case "user": {
        const content: Array<ContentPart> = []
        for (const part of message.content)
          content.push(
            part.type === "text" ? withOptions({ type: "text", text: part.text }, part.options) : fileOf(part)
          )
        messages.push(withOptions({ role: "user", content }, message.options))
        break
      }
      case "assistant": {
        const reasoning: Array<ContentPart> = []
        const content: Array<ContentPart> = []
        for (const part of message.content) {
          if (part.type === "reasoning") reasoning.push(...reasoningPartsOf(part))
          else if (part.type === "text") content.push(withOptions({ type: "text", text: part.text }, part.options))
          else if (part.type === "tool-call" && !part.providerExecuted) {
            if (!isObject(part.params))
              refuse("prompt", `the arguments of tool call ${part.id} (${part.name}) are not a JSON object`)
            content.push(
              withOptions(
                { type: "tool-call", id: part.id, name: part.name, arguments: part.params as never },
                part.options
              )
            )
          } else if (part.type === "file") refuse("prompt", "files in assistant messages are not supported")
        }
        if (reasoning.length + content.length > 0)
          messages.push(withOptions({ role: "assistant", content: [...reasoning, ...content] }, message.options))
        break
      }
      case "tool": {
        const content: Array<ContentPart> = []
        for (const part of message.content)
          if (part.type === "tool-result" && !part.providerExecuted)
            content.push(
              withOptions(
                {
                  type: "tool-result",
                  id: part.id,
                  name: part.name,
                  // What the tool chose to show the model, when it did, else its encoded result.
                  result: part.modelOutput === undefined ? part.result : Prompt.toolModelOutputToText(part.modelOutput),
                  ...(part.isFailure ? { isError: true } : {})
                },
                part.options
              )
            )
        if (content.length > 0) messages.push(withOptions({ role: "tool", content }, message.options))
        break
      }
    }
  }
  return messages
}

// Derived once per tool and per output schema: core compiles a schema once per schema object (Ajv,
// cached by identity), so the same object must come back for the same Schema on every call.
const toolDefinitions = new WeakMap<Tool.Any, ToolDefinition>()
const formatSchemas = new WeakMap<Schema.Top, Record<string, unknown>>()

const toolDefinition = (tool: Tool.Any, codecTransformer: LanguageModel.CodecTransformer): ToolDefinition => {
  let definition = toolDefinitions.get(tool)
  if (definition === undefined) {
    if (Tool.isProviderDefined(tool))
      refuse("tools", `${tool.name} is a provider-defined tool; only user-defined tools are supported`)
    const description = Tool.getDescription(tool)
    definition = {
      name: tool.name,
      ...(description === undefined ? {} : { description }),
      parameters: Tool.getJsonSchema(tool, { transformer: codecTransformer }) as Record<string, unknown>
    }
    toolDefinitions.set(tool, definition)
  }
  return definition
}

/** `name` of a response format: 1 to 64 letters, digits, `_` and `-` (what every provider accepts). */
const formatName = (objectName: string): string => objectName.replace(/[^A-Za-z0-9_-]/g, "_").slice(0, 64) || "response"

/** effect/ai's request to ours. Throws an `InvalidRequestError` reason for what core cannot carry. */
export const toRequest = (
  options: LanguageModel.ProviderOptions,
  settings: ModelSettings,
  codecTransformer: LanguageModel.CodecTransformer
): ChatRequest => {
  const request: Mutable<ChatRequest> = { messages: toMessages(options.prompt) }
  if (settings.model !== undefined) request.model = settings.model
  if (settings.temperature !== undefined) request.temperature = settings.temperature
  if (settings.maxTokens !== undefined) request.maxTokens = settings.maxTokens
  if (settings.topP !== undefined) request.topP = settings.topP
  if (settings.stop !== undefined) request.stop = settings.stop
  if (settings.reasoning !== undefined) request.reasoning = settings.reasoning
  if (settings.metadata !== undefined) request.metadata = settings.metadata
  if (options.tools.length > 0) {
    request.tools = options.tools.map((tool) => toolDefinition(tool, codecTransformer))
    const choice = options.toolChoice
    // `oneOf` already narrowed `tools` (effect/ai does it); what remains is whether a call is required.
    request.toolChoice = typeof choice === "string" || "tool" in choice ? choice : (choice.mode ?? "auto")
  }
  const format = options.responseFormat
  if (format.type === "json") {
    let schema = formatSchemas.get(format.schema)
    if (schema === undefined) {
      schema = codecTransformer(format.schema).jsonSchema as Record<string, unknown>
      formatSchemas.set(format.schema, schema)
    }
    request.responseFormat = { type: "json", schema, name: formatName(format.objectName) }
  }
  return request
}

/** Our normalised usage (input includes cache reads and writes, output includes reasoning) in effect/ai's shape. */
export const toUsage = (usage: Usage): typeof Response.Usage.Encoded => ({
  inputTokens: {
    uncached: usage.inputTokens - usage.cacheReadTokens - usage.cacheWriteTokens,
    total: usage.inputTokens,
    cacheRead: usage.cacheReadTokens,
    cacheWrite: usage.cacheWriteTokens
  },
  outputTokens: {
    total: usage.outputTokens,
    text: usage.outputTokens - usage.reasoningTokens,
    reasoning: usage.reasoningTokens
  }
})

const metadataOf = (answer: ChatResponse | Finish): { readonly [metadataKey]: Schema.Json } => {
  const metadata: OrchestratorMetadata = {
    provider: answer.provider,
    model: answer.model,
    ...(answer.requestId === undefined ? {} : { requestId: answer.requestId }),
    cost: answer.cost ?? null,
    attempts: answer.attempts,
    usage: answer.usage
  }
  return { [metadataKey]: metadata as unknown as Schema.Json }
}

const responseMetadata = (answer: ChatResponse | Finish): Response.ResponseMetadataPartEncoded => ({
  type: "response-metadata",
  id: answer.requestId,
  modelId: answer.model,
  metadata: { [metadataKey]: { provider: answer.provider, model: answer.model } }
})

const finishPart = (answer: ChatResponse | Finish): Response.FinishPartEncoded => ({
  type: "finish",
  // Our finish reasons are a subset of effect/ai's, spelled the same.
  reason: answer.finishReason,
  usage: toUsage(answer.usage),
  metadata: metadataOf(answer)
})

/**
 * A plain answer as effect/ai parts: who answered, the reasoning (one part per part of ours, each
 * carrying it), the text, the tool calls, then the finish.
 */
export const toParts = (response: ChatResponse): Array<Response.PartEncoded> => {
  const parts: Array<Response.PartEncoded> = [responseMetadata(response)]
  if (response.reasoningParts !== undefined)
    for (const part of response.reasoningParts)
      parts.push({ type: "reasoning", text: part.text, metadata: reasoningCarrier([part]) })
  if (response.content.length > 0) parts.push({ type: "text", text: response.content })
  if (response.toolCalls !== undefined)
    for (const call of response.toolCalls)
      parts.push({ type: "tool-call", id: call.id, name: call.name, params: call.arguments })
  parts.push(finishPart(response))
  return parts
}

const reasoningId = "reasoning-0"

/**
 * A stateful mapper for one stream: each chunk of our events becomes a chunk of effect/ai parts (at
 * least one part per event), text wrapped in text-start/end blocks. The reasoning is one block, opened
 * by its first delta and ended at our `Finish`, the first event that has its signatures (the end part
 * carries them; a block with no deltas, e.g. only a Gemini signature, opens there). Who answered is
 * also known only at `Finish`, so the response-metadata part comes right before the finish part.
 */
export const streamPartsMapper = (
  onFinish: (finish: Finish) => void
): ((events: ReadonlyArray<StreamEvent>) => Array<Response.StreamPartEncoded>) => {
  let textId: string | undefined
  let blocks = 0
  let reasoningOpen = false
  return (events) => {
    const parts: Array<Response.StreamPartEncoded> = []
    for (const event of events) {
      switch (event._tag) {
        case "ReasoningDelta":
          if (!reasoningOpen) {
            reasoningOpen = true
            parts.push({ type: "reasoning-start", id: reasoningId })
          }
          parts.push({ type: "reasoning-delta", id: reasoningId, delta: event.text })
          break
        case "TextDelta":
          if (textId === undefined) {
            textId = `text-${blocks++}`
            parts.push({ type: "text-start", id: textId })
          }
          parts.push({ type: "text-delta", id: textId, delta: event.text })
          break
        case "ToolCallStart":
          if (textId !== undefined) {
            parts.push({ type: "text-end", id: textId })
            textId = undefined
          }
          parts.push({ type: "tool-params-start", id: event.id, name: event.name })
          break
        case "ToolCallDelta":
          parts.push({ type: "tool-params-delta", id: event.id, delta: event.argumentsDelta })
          break
        case "ToolCall":
          parts.push(
            { type: "tool-params-end", id: event.id },
            { type: "tool-call", id: event.id, name: event.name, params: event.arguments }
          )
          break
        case "Finish": {
          if (textId !== undefined) {
            parts.push({ type: "text-end", id: textId })
            textId = undefined
          }
          const carried = event.reasoningParts ?? []
          if (!reasoningOpen && carried.length > 0) parts.push({ type: "reasoning-start", id: reasoningId })
          if (reasoningOpen || carried.length > 0)
            parts.push({
              type: "reasoning-end",
              id: reasoningId,
              ...(carried.length > 0 ? { metadata: reasoningCarrier(carried) } : {})
            })
          reasoningOpen = false
          parts.push(responseMetadata(event), finishPart(event))
          onFinish(event)
          break
        }
      }
    }
    return parts
  }
}

/** What an error reason carries under `metadataKey`: the fields of the `LLMError` it came from. */
const errorFields = (error: LLMError) => ({
  errorTag: error._tag,
  provider: error.provider,
  model: error.model,
  message: error.message,
  ...(error.status === undefined ? {} : { status: error.status }),
  ...(error.requestId === undefined ? {} : { requestId: error.requestId })
})

const httpOf = (error: LLMError) =>
  error.status === undefined ? {} : { http: { response: { status: error.status, headers: {} } } }

/**
 * An `LLMError` as effect/ai's reason, so `AiError.isRetryable` and `retryAfter` read as they do for
 * effect/ai's own providers. The orchestrator has already retried and fallen back by the time an error
 * reaches here: a retryable reason means the condition is transient, not that retrying now is wise.
 */
export const toReason = (error: LLMError): AiError.AiErrorReason => {
  const metadata = { [metadataKey]: errorFields(error) }
  const http = httpOf(error)
  switch (error._tag) {
    case "RateLimitError":
      return new AiError.RateLimitError({
        ...(error.retryAfterMs === undefined ? {} : { retryAfter: Duration.millis(error.retryAfterMs) }),
        metadata,
        ...http
      })
    case "AuthenticationError":
      return new AiError.AuthenticationError({
        kind: error.status === 403 ? "InsufficientPermissions" : error.status === 401 ? "InvalidKey" : "Unknown",
        description: error.message,
        metadata,
        ...http
      })
    case "InvalidRequestError":
      return new AiError.InvalidRequestError({ description: error.message, metadata, ...http })
    case "ModelNotFoundError":
      return new AiError.InvalidRequestError({ parameter: "model", description: error.message, metadata, ...http })
    case "ContextLengthExceededError":
      return new AiError.InvalidRequestError({
        parameter: "prompt",
        constraint: "exceeds the model's context window",
        description: error.message,
        metadata,
        ...http
      })
    case "ContentFilteredError":
      return new AiError.ContentPolicyError({ description: error.message, metadata, ...http })
    case "ProviderUnavailableError":
      return new AiError.InternalProviderError({ description: error.message, metadata, ...http })
    case "NetworkError":
    case "TimeoutError":
      // Both are transport failures from the caller's side (no answer arrived): retryable.
      return new AiError.NetworkError({
        reason: "TransportError",
        method: "POST",
        url: `llm-orchestrator://${error.provider}/${error.model}`,
        description: error.message
      })
    case "OutputValidationError":
      return new AiError.StructuredOutputError({ description: error.message, responseText: error.content })
    case "BudgetExceededError":
      return new AiError.QuotaExhaustedError({
        metadata: { [metadataKey]: { ...errorFields(error), spentUsd: error.spentUsd, budgetUsd: error.budgetUsd } }
      })
  }
}

export const toAiError = (method: string, error: LLMError): AiError.AiError =>
  AiError.make({ module: "LanguageModel", method, reason: toReason(error) })

/**
 * The orchestrator's metadata of an answer: from a `generateText`/`generateObject` response, the
 * parts of a stream, or its finish part. `undefined` when no finish part came from this library.
 */
export const orchestratorMetadata = (
  source: { readonly content: ReadonlyArray<Response.AnyPart> } | ReadonlyArray<Response.AnyPart> | Response.AnyPart
): OrchestratorMetadata | undefined => {
  const parts: ReadonlyArray<Response.AnyPart> = Array.isArray(source)
    ? source
    : "content" in source && Array.isArray(source.content)
      ? source.content
      : [source as Response.AnyPart]
  for (const part of parts)
    if (part.type === "finish") return part.metadata[metadataKey] as unknown as OrchestratorMetadata | undefined
  return undefined
}
