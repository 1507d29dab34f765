/**
 * Google's generateContent protocol, spoken by two front doors that share the body format
 * (docs/ARCHITECTURE.md, "Providers on the wire"): the Gemini API (`models/{m}:generateContent`, API key in
 * `x-goog-api-key`) and Vertex AI (`projects/{p}/locations/{l}/publishers/google/models/{m}:...`,
 * OAuth Bearer token, or an API key on the project-less express-mode path).
 * Usage arrives normalised (docs/ARCHITECTURE.md, "Domain") and is rendered in Google's form, where
 * `candidatesTokenCount` excludes `thoughtsTokenCount` and `promptTokenCount` includes cached tokens.
 */
import type { FinishReason, Usage } from "@llm-orchestrator/core"
import type { Effect, Scope } from "effect"
import { decodeBase64, isHttpUrl } from "./media.ts"
import { isJsonObject } from "./schema.ts"
import {
  type ErrorReply,
  type FaultKind,
  type RequestedFormat,
  reasoningSignature,
  type ScriptedToolCall,
  type SeenMedia,
  type SimModel
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
  type WireResponse
} from "./server.ts"

export interface GoogleSimulatorOptions extends SimulatorOptions {
  /**
   * Models per listing page when the client sends no `pageSize`. The real APIs default to 50; the
   * simulator pages by 4 so every listing of the default model list crosses page boundaries.
   */
  readonly pageSize?: number
}

type Flavor = "gemini" | "vertex"
type Json = Record<string, unknown>

/** Gemini API models (`GET /v1beta/models`): chat models plus embedding and image models that lack generateContent. */
export const defaultGeminiModels: ReadonlyArray<SimModel> = [
  { id: "gemini-2.5-pro", displayName: "Gemini 2.5 Pro", contextWindow: 1_048_576, maxOutputTokens: 65_536 },
  { id: "gemini-2.5-flash", displayName: "Gemini 2.5 Flash", contextWindow: 1_048_576, maxOutputTokens: 65_536 },
  {
    id: "gemini-2.5-flash-lite",
    displayName: "Gemini 2.5 Flash-Lite",
    contextWindow: 1_048_576,
    maxOutputTokens: 65_536
  },
  { id: "gemini-2.0-flash", displayName: "Gemini 2.0 Flash", contextWindow: 1_048_576, maxOutputTokens: 8_192 },
  { id: "gemini-embedding-001", displayName: "Gemini Embedding 001", contextWindow: 2_048, chat: false },
  {
    id: "gemini-2.0-flash-lite",
    displayName: "Gemini 2.0 Flash-Lite",
    contextWindow: 1_048_576,
    maxOutputTokens: 8_192
  },
  {
    id: "gemini-3-pro-preview",
    displayName: "Gemini 3 Pro Preview",
    contextWindow: 1_048_576,
    maxOutputTokens: 65_536
  },
  {
    id: "gemini-3-flash-preview",
    displayName: "Gemini 3 Flash Preview",
    contextWindow: 1_048_576,
    maxOutputTokens: 65_536
  },
  { id: "imagen-4.0-generate-001", displayName: "Imagen 4", contextWindow: 480, chat: false },
  { id: "gemma-3-27b-it", displayName: "Gemma 3 27B", contextWindow: 131_072, maxOutputTokens: 8_192 },
  { id: "gemini-flash-latest", displayName: "Gemini Flash Latest", contextWindow: 1_048_576, maxOutputTokens: 65_536 }
]

/** Vertex publisher models (`GET /v1beta1/publishers/google/models`); the wire carries no display names or limits. */
export const defaultVertexModels: ReadonlyArray<SimModel> = [
  { id: "gemini-2.5-pro" },
  { id: "gemini-2.5-flash" },
  { id: "text-embedding-005", chat: false },
  { id: "gemini-2.5-flash-lite" },
  { id: "gemini-2.0-flash-001" },
  { id: "imagen-4.0-generate-001", chat: false },
  { id: "gemini-2.0-flash-lite-001" },
  { id: "gemini-3-pro-preview" },
  { id: "gemini-embedding-001", chat: false },
  { id: "gemini-3-flash-preview" }
]

const apiVersion = /^\/(v1|v1beta|v1alpha|v1beta1)\/(.+)$/
const geminiCall = /^models\/([^/:]+):(generateContent|streamGenerateContent)$/
const vertexCall =
  /^(?:projects\/([^/]+)\/locations\/([^/]+)\/)?publishers\/([^/]+)\/models\/([^/:]+):(generateContent|streamGenerateContent)$/

/** The google.rpc.Status body every Google API error uses. */
const rpcError = (code: number, status: string, message: string, details?: ReadonlyArray<unknown>) => ({
  error: { code, message, status, ...(details ? { details } : {}) }
})

const errorResponse = (
  code: number,
  status: string,
  message: string,
  details?: ReadonlyArray<unknown>,
  headers: Readonly<Record<string, string>> = {}
): WireResponse =>
  json(code, rpcError(code, status, message, details), {
    "content-type": "application/json; charset=UTF-8",
    ...headers
  })

const errorInfo = (reason: string, service: string, metadata: Record<string, string> = {}) => ({
  "@type": "type.googleapis.com/google.rpc.ErrorInfo",
  reason,
  domain: "googleapis.com",
  metadata: { service, ...metadata }
})

const serviceOf = (flavor: Flavor) =>
  flavor === "gemini" ? "generativelanguage.googleapis.com" : "aiplatform.googleapis.com"

const unauthenticated = (message?: string): WireResponse =>
  errorResponse(
    401,
    "UNAUTHENTICATED",
    message ??
      "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.",
    [
      errorInfo("CREDENTIALS_MISSING", "aiplatform.googleapis.com", {
        method: "google.cloud.aiplatform.v1beta1.PredictionService.GenerateContent"
      })
    ]
  )

interface RpcFault {
  readonly code: number
  readonly status: string
  readonly message: string
  readonly details?: ReadonlyArray<unknown>
}

/** Where the call went, to word errors the way each API does. */
const resourceOf = (ctx: RenderContext): string => {
  const match = apiVersion.exec(ctx.call.path)
  const path = match?.[2] ?? ctx.call.path
  return path.replace(/:(generateContent|streamGenerateContent)$/, "") || `models/${ctx.model}`
}

/** Each fault as Google really answers it (status, google.rpc status string, message and details). */
const rpcFault = (flavor: Flavor, ctx: RenderContext, fault: FaultKind, retryAfterSeconds?: number): RpcFault => {
  const version = apiVersion.exec(ctx.call.path)?.[1] ?? (flavor === "gemini" ? "v1beta" : "v1beta1")
  switch (fault) {
    case "rate-limit":
      return {
        code: 429,
        status: "RESOURCE_EXHAUSTED",
        message:
          flavor === "gemini"
            ? "You exceeded your current quota, please check your plan and billing details. For more information on this error, head to: https://ai.google.dev/gemini-api/docs/rate-limits."
            : "Resource exhausted. Please try again later. Please refer to https://cloud.google.com/vertex-ai/generative-ai/docs/error-code-429 for more details.",
        details: [
          {
            "@type": "type.googleapis.com/google.rpc.QuotaFailure",
            violations: [
              {
                quotaMetric: `${serviceOf(flavor)}/generate_content_free_tier_requests`,
                quotaId: "GenerateRequestsPerMinutePerProjectPerModel-FreeTier",
                quotaDimensions: { location: "global", model: ctx.model },
                quotaValue: "10"
              }
            ]
          },
          ...(retryAfterSeconds !== undefined
            ? [{ "@type": "type.googleapis.com/google.rpc.RetryInfo", retryDelay: `${retryAfterSeconds}s` }]
            : [])
        ]
      }
    case "overloaded":
      return { code: 503, status: "UNAVAILABLE", message: "The model is overloaded. Please try again later." }
    case "unavailable":
      return { code: 503, status: "UNAVAILABLE", message: "The service is currently unavailable." }
    case "server-error":
      return {
        code: 500,
        status: "INTERNAL",
        message:
          "An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting"
      }
    case "auth":
      return flavor === "vertex" && !ctx.call.headers["x-goog-api-key"]
        ? {
            code: 401,
            status: "UNAUTHENTICATED",
            message:
              "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential."
          }
        : {
            code: 400,
            status: "INVALID_ARGUMENT",
            message: "API key not valid. Please pass a valid API key.",
            details: [errorInfo("API_KEY_INVALID", serviceOf(flavor))]
          }
    case "permission":
      return flavor === "gemini"
        ? { code: 403, status: "PERMISSION_DENIED", message: "The caller does not have permission" }
        : {
            code: 403,
            status: "PERMISSION_DENIED",
            message: `Permission 'aiplatform.endpoints.predict' denied on resource '//aiplatform.googleapis.com/${resourceOf(ctx)}' (or it may not exist).`,
            details: [
              errorInfo("IAM_PERMISSION_DENIED", "aiplatform.googleapis.com", {
                permission: "aiplatform.endpoints.predict"
              })
            ]
          }
    case "model-not-found":
      return flavor === "gemini"
        ? {
            code: 404,
            status: "NOT_FOUND",
            message: `models/${ctx.model} is not found for API version ${version}, or is not supported for generateContent. Call ListModels to see the list of available models and their supported methods.`
          }
        : {
            code: 404,
            status: "NOT_FOUND",
            message: `Publisher Model \`${resourceOf(ctx)}\` was not found or your project does not have access to it. Please ensure you are using a valid model version. For more information, see: https://cloud.google.com/vertex-ai/generative-ai/docs/learn/model-versions`
          }
    case "context-length": {
      const limit = 1_048_576
      return {
        code: 400,
        status: "INVALID_ARGUMENT",
        message: `The input token count (${limit + ctx.usage.inputTokens}) exceeds the maximum number of tokens allowed (${limit}).`
      }
    }
    case "invalid-request":
      return { code: 400, status: "INVALID_ARGUMENT", message: "Request contains an invalid argument." }
    case "content-filter":
      // Never an HTTP error: rendered as a blocked prompt (see `blockedPrompt`).
      return { code: 400, status: "FAILED_PRECONDITION", message: "content filter" }
  }
}

const wireFinishReason: Record<FinishReason, string> = {
  stop: "STOP",
  length: "MAX_TOKENS",
  "content-filter": "SAFETY",
  "tool-calls": "STOP",
  error: "OTHER",
  other: "OTHER"
}

/** Normalised usage in Google's wire form; `outputShare` scales the output of an unfinished stream. */
const usageMetadata = (usage: Usage, outputShare = 1) => {
  const thoughts = usage.reasoningTokens
  const candidates = Math.floor(Math.max(0, usage.outputTokens - thoughts) * outputShare)
  return {
    promptTokenCount: usage.inputTokens,
    ...(candidates > 0 || outputShare === 1 ? { candidatesTokenCount: candidates } : {}),
    totalTokenCount: usage.inputTokens + candidates + thoughts,
    ...(usage.cacheReadTokens > 0 ? { cachedContentTokenCount: usage.cacheReadTokens } : {}),
    promptTokensDetails: [{ modality: "TEXT", tokenCount: usage.inputTokens }],
    ...(usage.cacheReadTokens > 0
      ? { cacheTokensDetails: [{ modality: "TEXT", tokenCount: usage.cacheReadTokens }] }
      : {}),
    ...(thoughts > 0 ? { thoughtsTokenCount: thoughts } : {})
  }
}

const safetyRatings = (blocked: string) =>
  [
    "HARM_CATEGORY_HATE_SPEECH",
    "HARM_CATEGORY_DANGEROUS_CONTENT",
    "HARM_CATEGORY_HARASSMENT",
    "HARM_CATEGORY_SEXUALLY_EXPLICIT"
  ].map((category) => ({
    category,
    probability: category === blocked ? "HIGH" : "NEGLIGIBLE",
    ...(category === blocked ? { blocked: true } : {})
  }))

/** Gemini's rule for function names (its 400 quotes it). */
const functionName = /^[A-Za-z_][A-Za-z0-9_.:-]{0,63}$/

interface WirePart {
  readonly text?: unknown
  readonly functionCall?: { readonly id?: unknown; readonly name?: unknown }
  readonly functionResponse?: { readonly id?: unknown; readonly name?: unknown; readonly response?: unknown }
}
interface WireContent {
  readonly role?: unknown
  readonly parts?: ReadonlyArray<WirePart>
}
interface WireBody {
  readonly contents?: ReadonlyArray<WireContent>
  readonly tools?: ReadonlyArray<{ readonly functionDeclarations?: ReadonlyArray<{ readonly name?: unknown }> }>
}

const partsOf = (content: WireContent | undefined): ReadonlyArray<WirePart> =>
  Array.isArray(content?.parts) ? content.parts : []
const callsOf = (content: WireContent | undefined) =>
  partsOf(content).flatMap((p) => (p.functionCall ? [p.functionCall] : []))
const responsesOf = (content: WireContent | undefined) =>
  partsOf(content).flatMap((p) => (p.functionResponse ? [p.functionResponse] : []))

/**
 * What the real API refuses in a request with tools, in its words: an invalid function name, a
 * function response turn that does not answer the function call turn right before it (count, names,
 * ids), a function call turn after another model turn, a response that is not a JSON object.
 */
const toolRequestProblem = (body: unknown): string | undefined => {
  if (typeof body !== "object" || body === null) return undefined
  const { contents, tools } = body as WireBody
  for (const [t, tool] of (Array.isArray(tools) ? tools : []).entries())
    for (const [d, declaration] of (tool.functionDeclarations ?? []).entries())
      if (typeof declaration.name !== "string" || !functionName.test(declaration.name))
        return `* GenerateContentRequest.tools[${t}].function_declarations[${d}].name: Invalid function name. Must start with a letter or an underscore. Must be alphameric (a-z, A-Z, 0-9), underscores (_), dots (.), colons (:), or dashes (-), with a maximum length of 64.\n`
  const list = Array.isArray(contents) ? contents : []
  for (const [i, content] of list.entries()) {
    const previous = list[i - 1]
    const calls = callsOf(content)
    if (calls.length > 0 && previous !== undefined && previous.role === "model")
      return "Please ensure that function call turn comes immediately after a user turn or after a function response turn."
    const responses = responsesOf(content)
    if (responses.length === 0) continue
    const answered = callsOf(previous)
    if (previous?.role !== "model" || answered.length === 0)
      return "Please ensure that function response turn comes immediately after a function call turn."
    if (responses.length !== answered.length)
      return "Please ensure that the number of function response parts is equal to the number of function call parts of the function call turn."
    for (const [j, response] of responses.entries()) {
      const where = `contents[${i}].parts[${j}].function_response`
      if (typeof response.response !== "object" || response.response === null || Array.isArray(response.response))
        return `Invalid value at '${where}.response' (type.googleapis.com/google.protobuf.Struct), ${JSON.stringify(response.response)}`
      const match = answered.some(
        (call) =>
          call.name === response.name && (call.id === undefined || response.id === undefined || call.id === response.id)
      )
      if (!match)
        return `* GenerateContentRequest.${where}.name: function response name ${JSON.stringify(response.name)}${response.id === undefined ? "" : ` with id ${JSON.stringify(response.id)}`} does not match any function call of the previous turn.\n`
    }
  }
  return undefined
}

const signatureDocs = "https://ai.google.dev/gemini-api/docs/thought-signatures"

/**
 * Thought signatures as Gemini 3 checks them, in its words: in the current turn (from the last user
 * message with text on), each model turn's first function call carries a thoughtSignature; and every
 * signature sent is one this API gave (another provider's is refused) or Google's documented
 * placeholder for histories another model wrote. Earlier models take a missing signature.
 */
export const thoughtSignatureProblem = (body: unknown, model: string, flavor: string): string | undefined => {
  if (typeof body !== "object" || body === null) return undefined
  const contents = (
    body as { contents?: ReadonlyArray<{ role?: unknown; parts?: ReadonlyArray<Record<string, unknown>> }> }
  ).contents
  const list = Array.isArray(contents) ? contents : []
  const ours = Buffer.from(`${flavor}-signature:`).toString("base64").slice(0, 12)
  for (const [i, content] of list.entries())
    for (const [j, part] of (content.parts ?? []).entries()) {
      const signature = part.thoughtSignature
      if (signature === undefined || signature === "skip_thought_signature_validator") continue
      if (typeof signature !== "string" || !signature.startsWith(ours))
        return `Corrupted thought signature at contents[${i}].parts[${j}]. Please refer to ${signatureDocs} for more details.`
    }
  if (!/(^|\/)gemini-3/.test(model)) return undefined
  const turnStart = list.findLastIndex(
    (content) =>
      content.role === "user" &&
      (content.parts ?? []).some((part: Record<string, unknown>) => typeof part.text === "string")
  )
  for (const [i, content] of list.entries()) {
    if (i < turnStart || content.role !== "model") continue
    const parts: ReadonlyArray<Record<string, unknown>> = content.parts ?? []
    const first = parts.findIndex((part) => part.functionCall !== undefined)
    if (first !== -1 && parts[first]!.thoughtSignature === undefined)
      return `Function call is missing a thought_signature in functionCall parts. This is required for tools to work correctly, and missing thought_signature may lead to degraded model performance. Additional data, function call \`default_api:${String((parts[first]!.functionCall as { name?: unknown }).name)}\` , position ${first + 1}. Please refer to ${signatureDocs} for more details.`
  }
  return undefined
}

/** Media types Gemini reads inline or by URL (images, PDFs, text, audio, video). */
const mediaTypes =
  /^(image\/(png|jpeg|webp|heic|heif|gif)|application\/pdf|text\/[a-z.+-]+|audio\/[a-z0-9.+-]+|video\/[a-z0-9.+-]+)$/

/** One `inlineData` (or `inline_data`) or `fileData` part, checked as the API checks it: what arrived, or the problem. */
const mediaPartSeen = (part: Json, where: string): SeenMedia | string | undefined => {
  const inline = part.inlineData ?? part.inline_data
  const file = part.fileData ?? part.file_data
  if (inline === undefined && file === undefined) return undefined
  const field = inline !== undefined ? "inline_data" : "file_data"
  const value = inline ?? file
  if (!isJsonObject(value))
    return `Invalid value at '${where}.${field}' (type.googleapis.com/google.ai.generativelanguage.v1beta.Blob), ${JSON.stringify(value)}`
  const mimeType = value.mimeType ?? value.mime_type
  if (typeof mimeType !== "string" || mimeType === "")
    return `* GenerateContentRequest.${where}.${field}.mime_type: mime_type is required.\n`
  if (!mediaTypes.test(mimeType)) return `Unsupported MIME type: ${mimeType}`
  const kind = mimeType.startsWith("image/") ? "image" : "document"
  if (inline !== undefined) {
    const bytes = decodeBase64(value.data, true)
    if (bytes === undefined)
      return `Invalid value at '${where}.inline_data.data' (TYPE_BYTES), Base64 decoding failed for ${JSON.stringify(String(value.data ?? "").slice(0, 64))}`
    return { kind, mediaType: mimeType, bytes, at: where }
  }
  const uri = value.fileUri ?? value.file_uri
  if (typeof uri !== "string" || !(isHttpUrl(uri) || uri.startsWith("gs://")))
    return `* GenerateContentRequest.${where}.file_data.file_uri: Invalid or unsupported file uri: ${String(uri)}\n`
  return { kind, mediaType: mimeType, url: uri, at: where }
}

/**
 * Images and files in `contents`, as the API checks them: a media type it reads, base64 that
 * decodes, a file URI it can fetch. What arrived, or the first problem (in its words).
 */
const mediaOf = (body: unknown): ReadonlyArray<SeenMedia> | string => {
  const contents =
    isJsonObject(body) && Array.isArray(body.contents) ? (body.contents as ReadonlyArray<WireContent>) : []
  const media: Array<SeenMedia> = []
  for (const [i, content] of contents.entries())
    for (const [j, part] of partsOf(content).entries()) {
      if (!isJsonObject(part)) continue
      const seen = mediaPartSeen(part, `contents[${i}].parts[${j}]`)
      if (seen === undefined) continue
      if (typeof seen === "string") return seen
      media.push(seen)
    }
  return media
}

const mimeTypes = ["text/plain", "application/json", "application/xml", "application/yaml", "text/x.enum"]

/**
 * Structured output in `generationConfig`, refused as the real API refuses it (field violations in its
 * form; the wording of the JSON-schema ones is the simulator's): a mime type outside the API's list,
 * and a `responseJsonSchema` that is not an object schema, comes with `responseSchema`, or comes
 * without the JSON mime type.
 */
const generationConfigProblem = (body: unknown): string | undefined => {
  const config = isJsonObject(body) ? body.generationConfig : undefined
  if (!isJsonObject(config)) return undefined
  const where = "* GenerateContentRequest.generation_config"
  const mime = config.responseMimeType
  if (mime !== undefined && !mimeTypes.includes(mime as string))
    return `${where}.response_mime_type: allowed mimetypes are \`text/plain\`, \`application/json\`, \`application/xml\`, \`application/yaml\` and \`text/x.enum\`.\n`
  const schema = config.responseJsonSchema
  if (schema === undefined) return undefined
  if (!isJsonObject(schema)) return `${where}.response_json_schema: must be a JSON Schema object.\n`
  if (config.responseSchema !== undefined)
    return `${where}.response_schema: response_schema and response_json_schema cannot both be set.\n`
  if (mime !== "application/json")
    return `${where}.response_json_schema: only allowed for response_mime_type \`application/json\`, got \`${String(mime ?? "text/plain")}\`.\n`
  return undefined
}

/** The `responseJsonSchema` of a checked request. */
const requestedFormat = (call: IncomingCall): RequestedFormat | undefined => {
  const config = (call.body as { generationConfig?: { responseJsonSchema?: unknown } } | undefined)?.generationConfig
  return config?.responseJsonSchema !== undefined ? { schema: config.responseJsonSchema } : undefined
}

const scriptedCalls = (ctx: RenderContext): ReadonlyArray<ScriptedToolCall> => ctx.toolCalls ?? []

const isStreamCall = (call: IncomingCall) => call.path.endsWith(":streamGenerateContent")

/** One SSE frame the way Google frames them (CRLF pairs, no event names, no [DONE]). */
const dataFrame = (body: unknown): string => `data: ${JSON.stringify(body)}\r\n\r\n`

const streamHeaders = { "content-type": "text/event-stream", "cache-control": "no-cache" }

const makeAdapter = (flavor: Flavor, pageSizeDefault: number): ProtocolAdapter => {
  const envelope = (ctx: RenderContext, body: Record<string, unknown>) => ({
    ...body,
    modelVersion: ctx.model,
    ...(flavor === "vertex" ? { createTime: new Date().toISOString() } : {}),
    responseId: ctx.requestId
  })

  /** Scripted calls as functionCall parts; Gemini 2.x sends no id, so one appears only when scripted. */
  const functionCallParts = (calls: ReadonlyArray<ScriptedToolCall>) =>
    calls.map((call) => ({
      functionCall: { ...(call.id !== undefined ? { id: call.id } : {}), name: call.name, args: call.arguments }
    }))

  const candidate = (
    text: string | undefined,
    finishReason: FinishReason | undefined,
    calls: ReadonlyArray<ScriptedToolCall> = [],
    thought?: string
  ) => {
    const blocked = finishReason === "content-filter"
    // A turn that only calls functions has no text part.
    const parts: Array<Record<string, unknown>> = [
      ...(thought === undefined ? [] : [{ text: thought, thought: true }]),
      ...(text === undefined || (text === "" && calls.length > 0) ? [] : [{ text }]),
      ...functionCallParts(calls)
    ]
    // The turn's signature: on its first function call, else on its thought (Gemini signs the turn once).
    if (thought !== undefined) {
      const signed = parts.find((part) => part.functionCall !== undefined) ?? parts[0]!
      signed.thoughtSignature = reasoningSignature(flavor, thought)
    }
    return {
      content: { role: "model", ...(text === undefined && calls.length === 0 ? {} : { parts }) },
      ...(finishReason ? { finishReason: wireFinishReason[finishReason] } : {}),
      ...(blocked ? { safetyRatings: safetyRatings("HARM_CATEGORY_DANGEROUS_CONTENT") } : {}),
      ...(flavor === "gemini" ? { index: 0 } : {})
    }
  }

  /** HTTP 200 with promptFeedback.blockReason and no candidates: how Google refuses a prompt. */
  const blockedPrompt = (ctx: RenderContext, message: string | undefined): WireResponse => {
    const body = envelope(ctx, {
      promptFeedback: {
        blockReason: "SAFETY",
        safetyRatings: safetyRatings("HARM_CATEGORY_DANGEROUS_CONTENT"),
        ...(message ? { blockReasonMessage: message } : {})
      },
      usageMetadata: {
        promptTokenCount: ctx.usage.inputTokens,
        totalTokenCount: ctx.usage.inputTokens,
        promptTokensDetails: [{ modality: "TEXT", tokenCount: ctx.usage.inputTokens }]
      }
    })
    return isStreamCall(ctx.call)
      ? { status: 200, headers: streamHeaders, body: dataFrame(body) }
      : json(200, body, { "content-type": "application/json; charset=UTF-8" })
  }

  const authFailure = (call: IncomingCall): WireResponse | undefined => {
    const apiKey = call.headers["x-goog-api-key"] ?? call.query.get("key") ?? undefined
    const bearer = /^Bearer \S+/.test(call.headers.authorization ?? "")
    if (flavor === "gemini") {
      if (apiKey || bearer) return undefined
      return errorResponse(
        403,
        "PERMISSION_DENIED",
        "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.",
        [errorInfo("CONSUMER_INVALID", serviceOf(flavor))]
      )
    }
    // Bearer (ADC), or an API key: express mode on the project-less paths, or a key bound to a
    // service account on the project paths (the SDK sends `x-goog-api-key` for both).
    if (bearer || apiKey) return undefined
    return unauthenticated()
  }

  /** The request's media, or the 400 for what the API refuses in it (tools, output config, media). */
  const checked = (call: IncomingCall): ReadonlyArray<SeenMedia> | WireResponse => {
    const media = mediaOf(call.body)
    const problem =
      toolRequestProblem(call.body) ??
      generationConfigProblem(call.body) ??
      (typeof media === "string" ? media : undefined)
    return problem === undefined ? (media as ReadonlyArray<SeenMedia>) : errorResponse(400, "INVALID_ARGUMENT", problem)
  }

  const route = (call: IncomingCall): Route => {
    const match = apiVersion.exec(call.path)
    const api = match?.[1]
    const rest = match?.[2] ?? ""
    const notFound = (): Route => ({
      kind: "response",
      response: errorResponse(404, "NOT_FOUND", `Method not found: ${call.method} ${call.path}`)
    })
    if (!match) return notFound()
    if (flavor === "gemini") {
      if (call.method === "GET" && rest === "models") {
        const denied = authFailure(call)
        return denied ? { kind: "response", response: denied } : { kind: "models", api: api! }
      }
      const generate = geminiCall.exec(rest)
      if (call.method !== "POST" || !generate) return notFound()
      const denied = authFailure(call)
      if (denied) return { kind: "response", response: denied }
      const media = checked(call)
      if (!Array.isArray(media)) return { kind: "response", response: media as WireResponse }
      const signatureProblem = thoughtSignatureProblem(call.body, generate[1]!, flavor)
      if (signatureProblem !== undefined)
        return { kind: "response", response: errorResponse(400, "INVALID_ARGUMENT", signatureProblem) }
      return { kind: generate[2] === "generateContent" ? "generate" : "stream", model: generate[1]!, api: api!, media }
    }
    if (call.method === "GET" && rest === "publishers/google/models") {
      const denied = authFailure(call)
      return denied ? { kind: "response", response: denied } : { kind: "models", api: api! }
    }
    const generate = vertexCall.exec(rest)
    if (call.method !== "POST" || !generate) return notFound()
    const denied = authFailure(call)
    if (denied) return { kind: "response", response: denied }
    const media = checked(call)
    if (!Array.isArray(media)) return { kind: "response", response: media as WireResponse }
    const model = generate[3] === "google" ? generate[4]! : `${generate[3]}/${generate[4]}`
    const signatureProblem = thoughtSignatureProblem(call.body, model, flavor)
    if (signatureProblem !== undefined)
      return { kind: "response", response: errorResponse(400, "INVALID_ARGUMENT", signatureProblem) }
    return { kind: generate[5] === "generateContent" ? "generate" : "stream", model, api: api!, media }
  }

  const models = (call: IncomingCall, list: ReadonlyArray<SimModel>): WireResponse => {
    const requested = Number.parseInt(call.query.get("pageSize") ?? "", 10)
    const pageSize = Number.isFinite(requested) && requested > 0 ? Math.min(requested, 1000) : pageSizeDefault
    const token = call.query.get("pageToken")
    const start = token ? Number.parseInt(token.replace(/^page-/, ""), 10) : 0
    if (!Number.isFinite(start) || start < 0 || start > list.length)
      return errorResponse(400, "INVALID_ARGUMENT", "Invalid page token.")
    const page = list.slice(start, start + pageSize)
    const next = start + pageSize < list.length ? { nextPageToken: `page-${start + pageSize}` } : {}
    const items =
      flavor === "gemini"
        ? page.map((m) => ({
            name: `models/${m.id}`,
            version: "001",
            displayName: m.displayName ?? m.id,
            description: `${m.displayName ?? m.id} (simulated)`,
            ...(m.contextWindow !== undefined ? { inputTokenLimit: m.contextWindow } : {}),
            ...(m.maxOutputTokens !== undefined ? { outputTokenLimit: m.maxOutputTokens } : {}),
            supportedGenerationMethods:
              m.chat === false
                ? m.id.includes("embedding")
                  ? ["embedContent", "countTextTokens", "countTokens", "asyncBatchEmbedContent"]
                  : ["predict"]
                : ["generateContent", "countTokens", "createCachedContent", "batchGenerateContent"],
            ...(m.chat === false ? {} : { temperature: 1, topP: 0.95, topK: 64, maxTemperature: 2 })
          }))
        : page.map((m) => ({
            name: `publishers/google/models/${m.id}`,
            versionId: "001",
            openSourceCategory: m.id.startsWith("gemma") ? "GOOGLE_OWNED_OSS_WITH_GOOGLE_CHECKPOINT" : "PROPRIETARY",
            launchStage: m.id.includes("preview") ? "PUBLIC_PREVIEW" : "GA",
            publisherModelTemplate: `projects/{project}/locations/{location}/publishers/google/models/${m.id}@001`
          }))
    return json(
      200,
      { [flavor === "gemini" ? "models" : "publisherModels"]: items, ...next },
      {
        "content-type": "application/json; charset=UTF-8"
      }
    )
  }

  /** Gemini streams each function call whole, one chunk per call, after the text; the last one finishes. */
  const toolCallChunks = (ctx: RenderContext): ReadonlyArray<Frame> =>
    scriptedCalls(ctx).map((call, index, calls) => {
      const last = index === calls.length - 1
      return dataFrame(
        envelope(ctx, {
          candidates: [
            {
              ...candidate(undefined, last ? ctx.finishReason : undefined, [call]),
              // The first call carries the turn's signature when the turn had thoughts.
              ...(index === 0 && ctx.reasoning !== undefined
                ? {
                    content: {
                      role: "model",
                      parts: [
                        { ...functionCallParts([call])[0], thoughtSignature: reasoningSignature(flavor, ctx.reasoning) }
                      ]
                    }
                  }
                : {})
            }
          ],
          usageMetadata: usageMetadata(ctx.usage)
        })
      )
    })

  const streamChunk = (ctx: RenderContext, text: string, index: number) => {
    // With tool calls to come, the finish goes on the last call's chunk instead.
    const last = index === ctx.chunks.length - 1 && scriptedCalls(ctx).length === 0
    const share = last ? 1 : (index + 1) / ctx.chunks.length
    return envelope(ctx, {
      // An output block with nothing written is a candidate with no parts, as in a plain answer.
      candidates: [
        candidate(
          last && ctx.finishReason === "content-filter" && ctx.text === "" ? undefined : text,
          last ? ctx.finishReason : undefined
        )
      ],
      usageMetadata: usageMetadata(ctx.usage, share)
    })
  }

  return {
    protocol: flavor,
    route,
    responseFormat: requestedFormat,
    generate: (ctx) =>
      json(
        200,
        envelope(ctx, {
          candidates: [
            candidate(
              ctx.finishReason === "content-filter" && ctx.text === "" ? undefined : ctx.text,
              ctx.finishReason,
              scriptedCalls(ctx),
              ctx.reasoning
            )
          ],
          usageMetadata: usageMetadata(ctx.usage)
        }),
        { "content-type": "application/json; charset=UTF-8" }
      ),
    streamHeaders: () => streamHeaders,
    // Thoughts come first, in a chunk of their own (signed there when no function call follows).
    streamStart: (ctx) =>
      ctx.reasoning === undefined
        ? []
        : [
            dataFrame(
              envelope(ctx, {
                candidates: [
                  {
                    content: {
                      role: "model",
                      parts: [
                        {
                          text: ctx.reasoning,
                          thought: true,
                          ...(scriptedCalls(ctx).length === 0
                            ? { thoughtSignature: reasoningSignature(flavor, ctx.reasoning) }
                            : {})
                        }
                      ]
                    },
                    ...(flavor === "gemini" ? { index: 0 } : {})
                  }
                ],
                usageMetadata: usageMetadata(ctx.usage, 0)
              })
            )
          ],
    // A reply that only calls functions has no text chunk.
    streamDelta: (ctx, text, index) =>
      text === "" && scriptedCalls(ctx).length > 0 ? "" : dataFrame(streamChunk(ctx, text, index)),
    streamEnd: toolCallChunks,
    streamError: (ctx, fault, message): Frame => {
      if (fault === "content-filter")
        // An output block mid-stream is a final chunk with finishReason SAFETY and no parts.
        return dataFrame(
          envelope(ctx, {
            candidates: [candidate(undefined, "content-filter")],
            usageMetadata: usageMetadata(ctx.usage)
          })
        )
      const rpc = rpcFault(flavor, ctx, fault)
      return dataFrame(rpcError(rpc.code, rpc.status, message, rpc.details))
    },
    malformedFrame: () => 'data: {"candidates": [{"content": {"parts": [{"text": "unterminated\r\n\r\n',
    error: (ctx, reply: ErrorReply) => {
      if (reply.fault === "content-filter") return blockedPrompt(ctx, reply.message)
      const rpc = rpcFault(flavor, ctx, reply.fault, reply.retryAfterSeconds)
      return errorResponse(
        reply.status ?? rpc.code,
        rpc.status,
        reply.message ?? rpc.message,
        rpc.details,
        reply.headers
      )
    },
    models: (call, list) => models(call, list)
  }
}

export const geminiAdapter = (options: { readonly pageSize?: number } = {}): ProtocolAdapter =>
  makeAdapter("gemini", options.pageSize ?? 4)

export const vertexAdapter = (options: { readonly pageSize?: number } = {}): ProtocolAdapter =>
  makeAdapter("vertex", options.pageSize ?? 4)

const withDefaults = (options: GoogleSimulatorOptions, models: ReadonlyArray<SimModel>): SimulatorOptions => ({
  ...options,
  models: options.models ?? models
})

/** A Gemini API simulator; point `new GoogleGenAI({ apiKey, httpOptions: { baseUrl: sim.url } })` at it. */
export const startGeminiSimulator = (options: GoogleSimulatorOptions = {}): Promise<Simulator> =>
  Simulator.start(geminiAdapter(options), withDefaults(options, defaultGeminiModels))

export const geminiSimulator = (options: GoogleSimulatorOptions = {}): Effect.Effect<Simulator, never, Scope.Scope> =>
  scopedSimulator(geminiAdapter(options), withDefaults(options, defaultGeminiModels))

/** A Vertex AI simulator; `new GoogleGenAI({ vertexai: true, project, location, httpOptions: { baseUrl: sim.url } })`. */
export const startVertexSimulator = (options: GoogleSimulatorOptions = {}): Promise<Simulator> =>
  Simulator.start(vertexAdapter(options), withDefaults(options, defaultVertexModels))

export const vertexSimulator = (options: GoogleSimulatorOptions = {}): Effect.Effect<Simulator, never, Scope.Scope> =>
  scopedSimulator(vertexAdapter(options), withDefaults(options, defaultVertexModels))
