/**
 * What the Gemini API and Vertex AI providers share: both go through `@google/genai` and speak the
 * same generateContent body (docs/ARCHITECTURE.md, "Providers on the wire" and "Usage semantics"). The two modules only differ in how the
 * client is built and how model listings are filtered.
 */
import type {
  Candidate,
  Content,
  FunctionCall,
  FunctionCallingConfig,
  FunctionCallingConfigMode,
  GenerateContentParameters,
  GenerateContentResponse,
  GenerateContentResponseUsageMetadata,
  GoogleGenAI,
  Model,
  Part,
  ThinkingConfig,
  ThinkingLevel
} from "@google/genai"
import {
  AuthenticationError,
  type CallDeadline,
  type ChatRequest,
  type FinishReason,
  InvalidRequestError,
  isLLMError,
  type LLMError,
  type LLMProviderShape,
  type Message,
  type ModelIdCheck,
  type ModelInfo,
  messageText,
  modelIdProblem,
  modelIdRule,
  NetworkError,
  optionalField,
  type ProviderResponse,
  type ProviderStreamEvent,
  type ReasoningConfig,
  type ReasoningPart,
  reasoningBudgetOf,
  resolveAttemptTimeouts,
  TimeoutError,
  type ToolCall,
  type ToolChoice,
  type ToolResultPart,
  type Usage
} from "@llm-orchestrator/core"
import { Effect, Stream } from "effect"
import {
  base64Of,
  type CallContext,
  callSdk,
  connectionErrorCode,
  errorFromHttp,
  type HttpFailure,
  isMediaPart,
  isOwnReasoning,
  listPages,
  type MediaPart,
  networkError,
  reasoningFields,
  type StreamDecoder,
  streamCut,
  streamSdk,
  ToolCallAssembler,
  thinkingPart,
  toolCallFromValue,
  toolCallIdFor,
  toolResultText,
  unsupportedToolsError,
  usesTools
} from "../kit/index.ts"

export interface GoogleBackend {
  readonly provider: "gemini" | "vertex"
  readonly client: GoogleGenAI
  readonly timeoutMs?: number | undefined
  readonly idleTimeoutMs?: number | undefined
  /** Masks the keys that must never appear in an error message (`redactor`). */
  readonly redact: (text: string) => string
  /** A listed model as `ModelInfo`, or undefined when it cannot chat. */
  readonly modelInfo: (model: Model) => ModelInfo | undefined
  /** The API's narrowing of model ids (model-ids.ts), checked before every call. */
  readonly checkModelId: ModelIdCheck
}

// ---------------------------------------------------------------------------------------------
// Requests

/** The longest tool-call id sent back; another provider's id (Anthropic `toolu_...`, OpenAI `call_...|fc_...`) becomes a digest. */
const maxToolCallId = 64

/** A tool result as Gemini's `response`, which must be a JSON object: an error as `{error}`, anything else not an object as `{result}`. */
const functionResponse = (part: ToolResultPart): Record<string, unknown> => {
  if (part.isError === true) return { error: toolResultText(part.result) }
  const result = part.result
  return typeof result === "object" && result !== null && !Array.isArray(result)
    ? (result as Record<string, unknown>)
    : { result }
}

/**
 * An image or a file: its bytes inline (`inlineData`, base64) or its URL for Google to fetch
 * (`fileData`), with its media type either way. Gemini's Blob has no file name (`displayName` is
 * Vertex-only), so a filename is not sent.
 */
const mediaPart = (part: MediaPart): Part =>
  part.data instanceof URL
    ? { fileData: { fileUri: part.data.href, mimeType: part.mediaType } }
    : { inlineData: { mimeType: part.mediaType, data: base64Of(part.data) } }

/**
 * A message's parts in Google's form. Ids go on the wire on both sides of a call, so Gemini matches
 * each result to its call by name and id, parallel calls of one function included. Images and files
 * keep their place among the text parts.
 */
const googleParts = (message: Message, source: string, placeholder: boolean): Array<Part> => {
  if (typeof message.content === "string" || message.content.every((part) => part.type === "text"))
    return [{ text: messageText(message) }]
  const parts: Array<Part> = []
  // Its own thought signature goes back on the part that carried it (see `withSignature`).
  let signature: string | undefined
  for (const part of message.content) {
    if (part.type === "reasoning") {
      if (isOwnReasoning(part, source) && part.signature !== undefined) signature = part.signature
      continue
    }
    // An empty text part beside function calls is refused by Gemini and says nothing.
    if (part.type === "text") {
      if (part.text !== "") parts.push({ text: part.text })
    } else if (part.type === "tool-call")
      parts.push({ functionCall: { id: toolCallIdFor(part.id, maxToolCallId), name: part.name, args: part.arguments } })
    else if (isMediaPart(part)) parts.push(mediaPart(part))
    else
      parts.push({
        functionResponse: {
          id: toolCallIdFor(part.id, maxToolCallId),
          name: part.name,
          response: functionResponse(part)
        }
      })
  }
  return message.role === "assistant" ? withSignature(parts, signature, placeholder) : parts
}

/**
 * Gemini 3 wants the thoughtSignature of a model turn back on its first function call (the last part
 * when it called none). On Gemini 3 a call turn another provider made (or one without a signature)
 * gets Google's documented placeholder for histories it did not write, so a conversation carried over
 * after a fallback is still accepted; earlier models need none.
 */
export const skipSignature = "skip_thought_signature_validator"

const withSignature = (parts: Array<Part>, signature: string | undefined, placeholder: boolean): Array<Part> => {
  const at = parts.findIndex((part) => part.functionCall !== undefined)
  if (at === -1) {
    if (signature !== undefined && parts.length > 0) parts[parts.length - 1]!.thoughtSignature = signature
    return parts
  }
  const sent = signature ?? (placeholder ? skipSignature : undefined)
  if (sent !== undefined) parts[at]!.thoughtSignature = sent
  return parts
}

/** Gemini 3 models: they take a thinking level and require thought signatures on function calls. */
const isGemini3 = (model: string) => /(^|\/)gemini-3/.test(model)

/**
 * Assistant turns are the `model` role and tool results `user` turns. Gemini wants every result of
 * one function-call turn in ONE content, so consecutive `tool` messages are merged.
 */
const googleContents = (messages: ReadonlyArray<Message>, source: string, model: string): Array<Content> => {
  const placeholder = isGemini3(model)
  const contents: Array<Content> = []
  let previous: Message["role"] | undefined
  for (const message of messages) {
    if (message.role === "system") continue
    const parts = googleParts(message, source, placeholder)
    const last = contents.at(-1)
    if (message.role === "tool" && previous === "tool" && last !== undefined)
      last.parts = [...(last.parts ?? []), ...parts]
    else contents.push({ role: message.role === "assistant" ? "model" : "user", parts })
    previous = message.role
  }
  return contents
}

/**
 * Gemini takes the results of a function call turn only as the very next turn, answering each of its
 * calls (it matches them by name and id); other providers accept looser histories, which Gemini
 * would refuse with a 400. Returns what is wrong, or undefined.
 */
export const toolHistoryProblem = (messages: ReadonlyArray<Message>): string | undefined => {
  const turns = messages.filter((m) => m.role !== "system")
  for (let i = 0; i < turns.length; i++) {
    if (turns[i]!.role !== "tool" || turns[i - 1]?.role === "tool") continue
    const previous = turns[i - 1]
    const calls =
      previous?.role === "assistant" && typeof previous.content !== "string"
        ? previous.content.flatMap((part) => (part.type === "tool-call" ? [part.id] : []))
        : []
    if (calls.length === 0) return "tool results must come right after the assistant message that made the calls"
    const answered: Array<string> = []
    for (let j = i; turns[j]?.role === "tool"; j++) {
      const content = turns[j]!.content
      if (typeof content !== "string")
        for (const part of content) if (part.type === "tool-result") answered.push(part.id)
    }
    if (answered.length !== calls.length || !calls.every((id) => answered.includes(id)))
      return `the tool results after an assistant message must answer each of its ${calls.length} call(s) once (answered: ${answered.length})`
  }
  return undefined
}

const toolHistoryFix =
  'send one tool-result per tool call of the assistant message, in role "tool" messages directly after it'

/** The SDK types the mode as an enum it only has at runtime; the wire takes the same strings. */
const mode = (name: "AUTO" | "NONE" | "ANY") => name as FunctionCallingConfigMode

/** "required" is ANY over every tool; one tool is ANY limited to its name. */
const functionCallingConfig = (choice: ToolChoice): FunctionCallingConfig =>
  choice === "auto"
    ? { mode: mode("AUTO") }
    : choice === "none"
      ? { mode: mode("NONE") }
      : choice === "required"
        ? { mode: mode("ANY") }
        : { mode: mode("ANY"), allowedFunctionNames: [choice.tool] }

/** The thinking levels of Gemini 3 (its models take a level; a budget is kept for older ones). */
const thinkingLevels = { low: "LOW", medium: "MEDIUM", high: "HIGH" } as const

/**
 * `thinkingConfig` with the thoughts included: a budgetTokens as `thinkingBudget`; an effort alone as
 * `thinkingLevel` on Gemini 3 models and as its documented budget (`effortBudgets`) on earlier ones.
 */
const thinkingConfig = (reasoning: ReasoningConfig, model: string): ThinkingConfig =>
  reasoning.budgetTokens === undefined && isGemini3(model)
    ? { includeThoughts: true, thinkingLevel: thinkingLevels[reasoning.effort!] as ThinkingLevel }
    : { includeThoughts: true, thinkingBudget: reasoningBudgetOf(reasoning)! }

/** System messages become `systemInstruction`; assistant turns are the `model` role. */
export const toGoogleParams = (
  request: ChatRequest,
  model: string,
  signal: AbortSignal,
  source: string
): GenerateContentParameters => {
  const system = request.messages.filter((m) => m.role === "system").map((m) => ({ text: messageText(m) }))
  return {
    model,
    contents: googleContents(request.messages, source, model),
    config: {
      abortSignal: signal,
      // The SDK would silently re-send the request when a response carries a continuation token;
      // every HTTP call must be one attempt the orchestrator sees.
      automaticContinuation: false,
      ...(system.length > 0 ? { systemInstruction: { parts: system } } : {}),
      ...(request.temperature !== undefined ? { temperature: request.temperature } : {}),
      ...(request.maxTokens !== undefined ? { maxOutputTokens: request.maxTokens } : {}),
      ...(request.topP !== undefined ? { topP: request.topP } : {}),
      ...(request.stop !== undefined && request.stop.length > 0 ? { stopSequences: [...request.stop] } : {}),
      // `parametersJsonSchema` takes the caller's JSON Schema as is ($ref, anyOf...); `parameters`
      // is an OpenAPI subset that would need translating and loses what it cannot express.
      ...(request.tools !== undefined && request.tools.length > 0
        ? {
            tools: [
              {
                functionDeclarations: request.tools.map((tool) => ({
                  name: tool.name,
                  ...optionalField("description", tool.description),
                  parametersJsonSchema: tool.parameters
                }))
              }
            ]
          }
        : {}),
      ...(request.toolChoice !== undefined && request.tools !== undefined && request.tools.length > 0
        ? { toolConfig: { functionCallingConfig: functionCallingConfig(request.toolChoice) } }
        : {}),
      // Structured output: `responseJsonSchema` takes the JSON Schema as is (`responseSchema` is the
      // OpenAPI subset); Google only accepts it with the JSON mime type.
      ...(request.responseFormat !== undefined
        ? { responseMimeType: "application/json", responseJsonSchema: request.responseFormat.schema }
        : {}),
      ...(request.reasoning !== undefined ? { thinkingConfig: thinkingConfig(request.reasoning, model) } : {})
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Responses

/**
 * docs/ARCHITECTURE.md, "Usage semantics": thoughts are outside `candidatesTokenCount`; cached tokens are inside
 * `promptTokenCount`. `toolUsePromptTokenCount` (grounding, code execution and URL context results fed
 * back to the model) is outside `promptTokenCount` too, and Google bills it as input.
 */
export const googleUsage = (meta: GenerateContentResponseUsageMetadata | undefined): Usage => {
  const thoughts = meta?.thoughtsTokenCount ?? 0
  return {
    inputTokens: (meta?.promptTokenCount ?? 0) + (meta?.toolUsePromptTokenCount ?? 0),
    outputTokens: (meta?.candidatesTokenCount ?? 0) + thoughts,
    cacheReadTokens: meta?.cachedContentTokenCount ?? 0,
    cacheWriteTokens: 0,
    reasoningTokens: thoughts
  }
}

const filterReasons = new Set(["SAFETY", "RECITATION", "PROHIBITED_CONTENT", "BLOCKLIST", "SPII", "IMAGE_SAFETY"])

/** Gemini reports STOP for a turn that ends in function calls; callers want to know it asked for tools. */
export const googleFinishReason = (reason: string | undefined, calledTools: boolean): FinishReason => {
  if (reason === "STOP" || reason === undefined) return calledTools ? "tool-calls" : "stop"
  if (reason === "MAX_TOKENS") return "length"
  if (filterReasons.has(reason)) return "content-filter"
  return "other"
}

/** The answer's text: text parts that are not thought summaries. */
const candidateText = (candidate: Candidate | undefined): string => {
  let text = ""
  for (const part of candidate?.content?.parts ?? [])
    if (typeof part.text === "string" && !part.thought) text += part.text
  return text
}

/**
 * Gemini 2.5+ may send `functionCall.id`; older models send none, and then the call gets the response
 * id and its position among the response's calls: stable, unique within the response and across
 * turns, and sent back on both the call and its result (`googleParts`) so the two still match.
 */
export const syntheticToolCallId = (responseId: string | undefined, index: number): string =>
  toolCallIdFor(`${responseId ?? "call"}_${index}`, maxToolCallId)

/** One function call part as a ToolCall; `index` is its position among the response's calls. */
const toolCallOf = (call: FunctionCall, responseId: string | undefined, index: number): ToolCall =>
  toolCallFromValue(call.id ? call.id : syntheticToolCallId(responseId, index), call.name ?? "", call.args)

/**
 * The candidate's thoughts as one reasoning part: the thought summaries' text and the turn's
 * thoughtSignature (on its first function call, or its last part), which Gemini 3 wants back.
 */
const candidateReasoning = (candidate: Candidate | undefined, source: string): Array<ReasoningPart> => {
  let text = ""
  let signature: string | undefined
  for (const part of candidate?.content?.parts ?? []) {
    if (part.thought && typeof part.text === "string") text += part.text
    signature ??= part.thoughtSignature
  }
  return text === "" && signature === undefined ? [] : [thinkingPart(source, text, signature)]
}

/** The candidate's function calls (their thoughtSignature travels in `candidateReasoning`). */
const candidateToolCalls = (candidate: Candidate | undefined, responseId: string | undefined): Array<ToolCall> => {
  const calls: Array<ToolCall> = []
  for (const part of candidate?.content?.parts ?? [])
    if (part.functionCall !== undefined) calls.push(toolCallOf(part.functionCall, responseId, calls.length))
  return calls
}

// ---------------------------------------------------------------------------------------------
// Errors

interface RpcStatus {
  readonly code?: number
  readonly status?: string
  readonly message?: string
  readonly details?: ReadonlyArray<{
    readonly "@type"?: string
    readonly reason?: string
    readonly retryDelay?: string
  }>
}

/** The google.rpc.Status inside an ApiError message (`{...}` or `got status: X. {...}` mid-stream). */
const rpcStatusOf = (message: string): RpcStatus | undefined => {
  const start = message.indexOf("{")
  if (start < 0) return undefined
  try {
    // Only fields are read from it (each optional), so a null or non-object `error` reads as none.
    const body = JSON.parse(message.slice(start)) as { error?: RpcStatus | null }
    return body.error ?? undefined
  } catch {
    return undefined
  }
}

/** "47s" / "1.5s" (a protobuf Duration in JSON) -> milliseconds. */
const durationMs = (text: string | undefined): number | undefined => {
  const match = /^(\d+(?:\.\d+)?)s$/.exec(text ?? "")
  return match ? Math.round(Number.parseFloat(match[1]!) * 1000) : undefined
}

const contextOverflow = /input token count.*exceeds the maximum|exceeds the maximum number of tokens/i
const badApiKey = /API key (not valid|expired|invalid)/i
const credentialProblem =
  /default credentials|Could not refresh access token|Error code [a-z_]+|unable to impersonate|invalid_grant/i

const isApiError = (error: unknown): error is Error & { readonly status: number } =>
  error instanceof Error && error.name === "ApiError" && typeof (error as { status?: unknown }).status === "number"

const fromApiError = (ctx: CallContext, error: Error & { status: number }, redact: GoogleBackend["redact"]) => {
  const rpc = rpcStatusOf(error.message)
  const status = error.status
  const rpcStatus = rpc?.status ?? ""
  const message = redact(rpc?.message ?? error.message)
  const failure = (kind: HttpFailure["kind"], retryAfterMs?: number): LLMError =>
    errorFromHttp(ctx, { status, message: rpcStatus ? `${rpcStatus}: ${message}` : message, kind, retryAfterMs })
  const reasons = (rpc?.details ?? []).map((d) => d.reason)
  if (reasons.includes("API_KEY_INVALID") || badApiKey.test(message))
    return new AuthenticationError({
      provider: ctx.provider,
      model: ctx.model,
      status,
      message: `${ctx.provider}: the API key was rejected (${message}). Check the provider's api_key`
    })
  if (contextOverflow.test(message)) return failure("context-length")
  if (rpcStatus === "RESOURCE_EXHAUSTED" || status === 429) {
    const retryInfo = rpc?.details?.find((d) => d["@type"] === "type.googleapis.com/google.rpc.RetryInfo")
    return failure("rate-limit", durationMs(retryInfo?.retryDelay))
  }
  // DEADLINE_EXCEEDED is the server giving up on this attempt's time budget: the same remedy as our
  // own per-attempt timeout (retry, a faster model, a shorter prompt), so the same error.
  if (rpcStatus === "DEADLINE_EXCEEDED" || status === 504)
    return new TimeoutError({
      provider: ctx.provider,
      model: ctx.model,
      status,
      message: `${ctx.provider} model ${ctx.model}: the provider gave up before answering (HTTP ${status}${rpcStatus ? ` ${rpcStatus}` : ""}): ${message}`
    })
  if (rpcStatus === "NOT_FOUND") return failure("model-not-found")
  return failure(undefined) // 401/403 -> AuthenticationError, other 4xx -> InvalidRequestError, 5xx -> unavailable
}

/**
 * Argument checks `@google/genai` makes while building a request, before anything is sent (`tModel`'s
 * model checks, required contents, options of the other API flavour): the request is wrong, retrying
 * or another model of the same provider cannot help.
 */
const sdkArgumentError =
  /^(?:invalid model parameter|model is required|contents are required|.+ parameter is (?:only|not) supported in )/

/** Every error out of `@google/genai` (and google-auth-library, which it calls for Vertex tokens) as one LLMError. */
export const googleError =
  (ctx: CallContext, redact: GoogleBackend["redact"]) =>
  (error: unknown): LLMError => {
    if (isLLMError(error)) return error
    if (isApiError(error)) return fromApiError(ctx, error, redact)
    const text = redact(error instanceof Error ? error.message : String(error))
    if (sdkArgumentError.test(text))
      return new InvalidRequestError({
        provider: ctx.provider,
        model: ctx.model,
        message: `${ctx.provider} model ${ctx.model}: the Google SDK refused the request before sending it (${text})`
      })
    // google-auth-library: no ADC found, or the token endpoint refused the exchange (a GaxiosError
    // response copied onto the error). Only the message is kept: the request config holds tokens.
    const authResponse = (error as { response?: { status?: unknown } } | null)?.response
    if (typeof authResponse?.status === "number" || (credentialProblem.test(text) && !connectionErrorCode(error)))
      return new AuthenticationError({
        provider: ctx.provider,
        model: ctx.model,
        message: `${ctx.provider}: could not get Google Cloud credentials (${text}). Set credentials_file, GOOGLE_APPLICATION_CREDENTIALS or run \`gcloud auth application-default login\``
      })
    if (connectionErrorCode(error)) return networkError(ctx, error, redact)
    return new NetworkError({
      provider: ctx.provider,
      model: ctx.model,
      message: `${ctx.provider} model ${ctx.model}: unreadable or interrupted response: ${text}`
    })
  }

// ---------------------------------------------------------------------------------------------
// The provider

const sameUsage = (a: Usage, b: Usage) =>
  a.inputTokens === b.inputTokens &&
  a.outputTokens === b.outputTokens &&
  a.cacheReadTokens === b.cacheReadTokens &&
  // Stryker disable next-line ConditionalExpression,EqualityOperator: equivalent while counters only grow, as Google's do: more thoughts is more output
  a.reasoningTokens === b.reasoningTokens

/** One decoder per stream: text deltas, usage snapshots (cumulative on every chunk), the finish at EOF. */
const streamDecoder = (ctx: CallContext, source: string): StreamDecoder<GenerateContentResponse> => {
  let usage: Usage | undefined
  // Set at the first thought or signature: nothing is kept for a stream without them.
  let thoughts: { text: string; signature: string | undefined } | undefined
  let rawReason: string | undefined
  const toolCalls = new ToolCallAssembler()
  let promptBlocked = false
  let modelVersion: string | undefined
  let responseId: string | undefined
  return {
    onChunk: (chunk) => {
      modelVersion ??= chunk.modelVersion
      responseId ??= chunk.responseId
      const candidate = chunk.candidates?.[0]
      if (candidate === undefined && chunk.promptFeedback?.blockReason) promptBlocked = true
      const events: Array<ProviderStreamEvent> = []
      // The chunk's usage already counts its own text: report it first, so a consumer that stops
      // right after this text leaves the usage that billed it behind (a cut stream is billed from it).
      if (chunk.usageMetadata) {
        const next = googleUsage(chunk.usageMetadata)
        if (usage === undefined || !sameUsage(usage, next)) {
          usage = next
          events.push({ _tag: "UsageSnapshot", usage: next })
        }
      }
      // Text and calls in the order of the parts; each call arrives whole, numbered across the stream.
      let text = ""
      for (const part of candidate?.content?.parts ?? []) {
        if (part.thoughtSignature) {
          thoughts ??= { text: "", signature: undefined }
          thoughts.signature ??= part.thoughtSignature
        }
        if (part.thought && typeof part.text === "string") {
          if (part.text === "") continue
          thoughts ??= { text: "", signature: undefined }
          thoughts.text += part.text
          events.push({ _tag: "ReasoningDelta", text: part.text })
        } else if (typeof part.text === "string") text += part.text
        else if (part.functionCall !== undefined) {
          if (text !== "") events.push({ _tag: "TextDelta", text })
          text = ""
          events.push(...toolCalls.whole(toolCallOf(part.functionCall, responseId, toolCalls.calls.length)))
        }
      }
      if (text !== "") events.push({ _tag: "TextDelta", text })
      if (candidate?.finishReason) rawReason = candidate.finishReason
      return events
    },
    onEnd: () => {
      if (rawReason === undefined && !promptBlocked) return streamCut("the model finished", responseId)
      return {
        _tag: "ProviderFinish",
        finishReason: promptBlocked ? "content-filter" : googleFinishReason(rawReason, toolCalls.calls.length > 0),
        usage: usage ?? googleUsage(undefined),
        model: modelVersion ?? ctx.model,
        ...optionalField("requestId", responseId),
        ...(thoughts !== undefined ? { reasoningParts: [thinkingPart(source, thoughts.text, thoughts.signature)] } : {})
      }
    }
  }
}

export const makeGoogleProvider = (backend: GoogleBackend): LLMProviderShape => {
  const { client, provider, redact } = backend
  const timeouts = resolveAttemptTimeouts(backend)
  const context = (model: string, deadline?: CallDeadline): CallContext => ({
    provider,
    model,
    timeoutMs: timeouts.timeoutMs,
    idleTimeoutMs: timeouts.idleTimeoutMs,
    deadline
  })

  /**
   * The SDK puts the model id into the URL path unencoded: an id that could leave the model's path
   * never reaches it, even when this provider is used without the orchestrator (which checks first).
   */
  const invalidModel = (model: string): InvalidRequestError | undefined => {
    const problem = modelIdProblem(model, backend.checkModelId)
    return problem === undefined
      ? undefined
      : new InvalidRequestError({
          provider,
          model: "(invalid model id)",
          message: `${provider}: not a valid model id: ${problem}; ${modelIdRule}`
        })
  }

  const generate: LLMProviderShape["generate"] = (request, model, deadline) => {
    const invalid = invalidModel(model)
    if (invalid !== undefined) return Effect.fail(invalid)
    const ctx = context(model, deadline)
    const toolProblem = usesTools(request) ? toolHistoryProblem(request.messages) : undefined
    if (toolProblem !== undefined) return Effect.fail(unsupportedToolsError(ctx, toolProblem, toolHistoryFix))
    return callSdk(
      ctx,
      ({ signal }) => client.models.generateContent(toGoogleParams(request, model, signal, provider)),
      googleError(ctx, redact)
    ).pipe(
      Effect.flatMap((response): Effect.Effect<ProviderResponse, LLMError> => {
        const candidate = response.candidates?.[0]
        // Neither an answer, a block nor usage: not a generateContent response (a proxy, a wrong base_url).
        if (candidate === undefined && response.promptFeedback === undefined && response.usageMetadata === undefined)
          return Effect.fail(
            new NetworkError({
              provider,
              model,
              message: `${provider} model ${model}: the server's answer is not a generateContent response (no candidates, no promptFeedback, no usage); check base_url`
            })
          )
        const toolCalls = candidateToolCalls(candidate, response.responseId)
        // A blocked prompt (no candidate) or a blocked answer is reported with its usage, whether text
        // came first or not: the orchestrator decides (empty content: billed, then ContentFilteredError).
        const finishReason =
          candidate === undefined
            ? response.promptFeedback?.blockReason
              ? "content-filter"
              : "other"
            : googleFinishReason(candidate.finishReason, toolCalls.length > 0)
        return Effect.succeed({
          content: candidateText(candidate),
          ...(toolCalls.length > 0 ? { toolCalls } : {}),
          ...reasoningFields(candidateReasoning(candidate, provider)),
          provider,
          model: response.modelVersion ?? model,
          finishReason,
          usage: googleUsage(response.usageMetadata),
          ...optionalField("requestId", response.responseId)
        })
      })
    )
  }

  const stream: LLMProviderShape["stream"] = (request, model, deadline) => {
    const invalid = invalidModel(model)
    if (invalid !== undefined) return Stream.fail(invalid)
    const ctx = context(model, deadline)
    const toolProblem = usesTools(request) ? toolHistoryProblem(request.messages) : undefined
    if (toolProblem !== undefined) return Stream.fail(unsupportedToolsError(ctx, toolProblem, toolHistoryFix))
    return streamSdk(
      ctx,
      ({ signal }) => client.models.generateContentStream(toGoogleParams(request, model, signal, provider)),
      googleError(ctx, redact),
      () => streamDecoder(ctx, provider)
    )
  }

  const listCtx = context("(model listing)")
  const listModels: LLMProviderShape["listModels"] = listPages<ModelInfo, string>(
    listCtx,
    async (pageToken, signal) => {
      // One pager per page, so each page request carries its own abort signal.
      const pager = await client.models.list({
        config: { abortSignal: signal, ...(pageToken !== undefined ? { pageToken } : {}) }
      })
      const items: Array<ModelInfo> = []
      for (const model of pager.page) {
        const info = backend.modelInfo(model)
        if (info) items.push(info)
      }
      // The pager stores the response's nextPageToken as the next request's pageToken.
      const next = pager.params.config?.pageToken
      return { items, next: next ? next : undefined }
    },
    googleError(listCtx, redact)
  )

  return { id: provider, generate, stream, listModels, honorsDeadline: true }
}
