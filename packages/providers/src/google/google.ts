/**
 * What the Gemini API and Vertex AI providers share: both go through `@google/genai` and speak the
 * same generateContent body (docs/ARCHITECTURE.md, "Providers on the wire" and "Usage semantics"). The two modules only differ in how the
 * client is built and how model listings are filtered.
 */
import type {
  Candidate,
  GenerateContentParameters,
  GenerateContentResponse,
  GenerateContentResponseUsageMetadata,
  GoogleGenAI,
  Model
} from "@google/genai"
import {
  AuthenticationError,
  type ChatRequest,
  type FinishReason,
  InvalidRequestError,
  isLLMError,
  type LLMError,
  type LLMProviderShape,
  type ModelIdCheck,
  type ModelInfo,
  messageText,
  modelIdProblem,
  modelIdRule,
  NetworkError,
  optionalField,
  type ProviderResponse,
  type ProviderStreamEvent,
  resolveAttemptTimeouts,
  TimeoutError,
  type Usage
} from "@llm-orchestrator/core"
import { Effect, Stream } from "effect"
import {
  type CallContext,
  callSdk,
  connectionErrorCode,
  errorFromHttp,
  type HttpFailure,
  listPages,
  networkError,
  type StreamDecoder,
  streamCut,
  streamSdk
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

/** System messages become `systemInstruction`; assistant turns are the `model` role. */
export const toGoogleParams = (request: ChatRequest, model: string, signal: AbortSignal): GenerateContentParameters => {
  const system = request.messages.filter((m) => m.role === "system").map((m) => ({ text: messageText(m) }))
  return {
    model,
    contents: request.messages
      .filter((m) => m.role !== "system")
      .map((m) => ({ role: m.role === "assistant" ? "model" : "user", parts: [{ text: messageText(m) }] })),
    config: {
      abortSignal: signal,
      // The SDK would silently re-send the request when a response carries a continuation token;
      // every HTTP call must be one attempt the orchestrator sees.
      automaticContinuation: false,
      ...(system.length > 0 ? { systemInstruction: { parts: system } } : {}),
      ...(request.temperature !== undefined ? { temperature: request.temperature } : {}),
      ...(request.maxTokens !== undefined ? { maxOutputTokens: request.maxTokens } : {}),
      ...(request.topP !== undefined ? { topP: request.topP } : {}),
      ...(request.stop !== undefined && request.stop.length > 0 ? { stopSequences: [...request.stop] } : {})
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

const calledTools = (candidate: Candidate | undefined): boolean =>
  (candidate?.content?.parts ?? []).some((part) => part.functionCall !== undefined)

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
const streamDecoder = (ctx: CallContext): StreamDecoder<GenerateContentResponse> => {
  let usage: Usage | undefined
  let rawReason: string | undefined
  let sawToolCall = false
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
      const text = candidateText(candidate)
      if (text !== "") events.push({ _tag: "TextDelta", text })
      if (calledTools(candidate)) sawToolCall = true
      if (candidate?.finishReason) rawReason = candidate.finishReason
      return events
    },
    onEnd: () => {
      if (rawReason === undefined && !promptBlocked) return streamCut("the model finished", responseId)
      return {
        _tag: "ProviderFinish",
        finishReason: promptBlocked ? "content-filter" : googleFinishReason(rawReason, sawToolCall),
        usage: usage ?? googleUsage(undefined),
        model: modelVersion ?? ctx.model,
        ...optionalField("requestId", responseId)
      }
    }
  }
}

export const makeGoogleProvider = (backend: GoogleBackend): LLMProviderShape => {
  const { client, provider, redact } = backend
  const timeouts = resolveAttemptTimeouts(backend)
  const context = (model: string): CallContext => ({
    provider,
    model,
    timeoutMs: timeouts.timeoutMs,
    idleTimeoutMs: timeouts.idleTimeoutMs
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

  const generate: LLMProviderShape["generate"] = (request, model) => {
    const invalid = invalidModel(model)
    if (invalid !== undefined) return Effect.fail(invalid)
    const ctx = context(model)
    return callSdk(
      ctx,
      (signal) => client.models.generateContent(toGoogleParams(request, model, signal)),
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
        // A blocked prompt (no candidate) or a blocked answer is reported with its usage, whether text
        // came first or not: the orchestrator decides (empty content: billed, then ContentFilteredError).
        const finishReason =
          candidate === undefined
            ? response.promptFeedback?.blockReason
              ? "content-filter"
              : "other"
            : googleFinishReason(candidate.finishReason, calledTools(candidate))
        return Effect.succeed({
          content: candidateText(candidate),
          provider,
          model: response.modelVersion ?? model,
          finishReason,
          usage: googleUsage(response.usageMetadata),
          ...optionalField("requestId", response.responseId)
        })
      })
    )
  }

  const stream: LLMProviderShape["stream"] = (request, model) => {
    const invalid = invalidModel(model)
    if (invalid !== undefined) return Stream.fail(invalid)
    const ctx = context(model)
    return streamSdk(
      ctx,
      (signal) => client.models.generateContentStream(toGoogleParams(request, model, signal)),
      googleError(ctx, redact),
      () => streamDecoder(ctx)
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

  return { id: provider, generate, stream, listModels }
}
