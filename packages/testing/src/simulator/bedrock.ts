/**
 * AWS Bedrock simulator: the runtime (Converse, ConverseStream) and the control plane
 * (ListFoundationModels, ListInferenceProfiles) on one server, speaking the REST-JSON and
 * `application/vnd.amazon.eventstream` wire formats. The real `@aws-sdk/client-bedrock-runtime` and
 * `@aws-sdk/client-bedrock` run against it: over http:// and HTTP/1.1 (the runtime client then needs
 * `requestHandler: new NodeHttpHandler()`, since it defaults to HTTP/2), or, started with `tls`, over
 * https:// with the runtime client's default HTTP/2 handler, as against AWS.
 */
import { randomUUID } from "node:crypto"
import type { FinishReason, Usage } from "@llm-orchestrator/core"
import { EventStreamCodec } from "@smithy/eventstream-codec"
import { fromUtf8, toUtf8 } from "@smithy/util-utf8"
import type { Effect, Scope } from "effect"
import { decodeBase64 } from "./media.ts"
import { isJsonObject } from "./schema.ts"
import {
  type ErrorReply,
  type FaultKind,
  type RequestedFormat,
  reasoningSignature,
  type ScriptedToolCall,
  type SeenMedia,
  type SimModel,
  splitText
} from "./script.ts"
import {
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

export interface BedrockSimulatorOptions extends SimulatorOptions {
  /**
   * Most inference profiles per ListInferenceProfiles page, whatever `maxResults` asks (default 5), so
   * clients must follow `nextToken` with the default model list. Real Bedrock may also return short pages.
   */
  readonly inferenceProfilePageSize?: number
  /** The region used in ARNs (default us-east-1). */
  readonly region?: string
}

/** Current Bedrock ids; Anthropic 4.x and Llama 4 are callable only through inference profiles. */
export const defaultBedrockModels: ReadonlyArray<SimModel> = [
  { id: "anthropic.claude-sonnet-4-5-20250929-v1:0", displayName: "Claude Sonnet 4.5", inferenceProfileOnly: true },
  { id: "anthropic.claude-haiku-4-5-20251001-v1:0", displayName: "Claude Haiku 4.5", inferenceProfileOnly: true },
  { id: "anthropic.claude-opus-4-1-20250805-v1:0", displayName: "Claude Opus 4.1", inferenceProfileOnly: true },
  { id: "anthropic.claude-3-haiku-20240307-v1:0", displayName: "Claude 3 Haiku" },
  { id: "amazon.nova-micro-v1:0", displayName: "Nova Micro" },
  { id: "amazon.nova-lite-v1:0", displayName: "Nova Lite" },
  { id: "amazon.nova-pro-v1:0", displayName: "Nova Pro" },
  {
    id: "meta.llama4-maverick-17b-instruct-v1:0",
    displayName: "Llama 4 Maverick 17B Instruct",
    inferenceProfileOnly: true
  },
  { id: "openai.gpt-oss-120b-1:0", displayName: "gpt-oss-120b" },
  { id: "qwen.qwen3-32b-v1:0", displayName: "Qwen3 32B (dense)" },
  { id: "amazon.titan-embed-text-v2:0", displayName: "Titan Text Embeddings V2", chat: false },
  { id: "stability.stable-image-core-v1:1", displayName: "Stable Image Core 1.1", chat: false }
]

type Json = Record<string, unknown>

const codec = new EventStreamCodec(toUtf8, fromUtf8)
const headerValue = (value: string) => ({ type: "string" as const, value })

/** One event frame of a ConverseStream response. */
export const bedrockEventFrame = (eventType: string, payload: unknown): Uint8Array =>
  codec.encode({
    headers: {
      ":event-type": headerValue(eventType),
      ":content-type": headerValue("application/json"),
      ":message-type": headerValue("event")
    },
    body: fromUtf8(JSON.stringify(payload))
  })

/** A modelled exception inside the stream (`:message-type` exception); the SDK throws its typed class. */
export const bedrockExceptionFrame = (exceptionType: string, message: string): Uint8Array =>
  codec.encode({
    headers: {
      ":exception-type": headerValue(exceptionType),
      ":content-type": headerValue("application/json"),
      ":message-type": headerValue("exception")
    },
    body: fromUtf8(JSON.stringify({ message }))
  })

const stopReasons: Record<FinishReason, string> = {
  stop: "end_turn",
  length: "max_tokens",
  "tool-calls": "tool_use",
  "content-filter": "content_filtered",
  error: "malformed_model_output",
  other: "malformed_model_output"
}

/**
 * Bedrock's `inputTokens` EXCLUDES cache reads and writes (cassette test_bedrock_cache_usage_includes_cache_tokens:
 * inputTokens 13 + cacheReadInputTokens 1504 + outputTokens 5 = totalTokens 1522). The normalised usage counts all
 * input, so the cached part is taken out here. Bedrock reports no reasoning count (it is inside outputTokens).
 */
const wireUsage = (usage: Usage) => {
  const cached = usage.cacheReadTokens + usage.cacheWriteTokens
  const inputTokens = Math.max(0, usage.inputTokens - cached)
  return {
    inputTokens,
    outputTokens: usage.outputTokens,
    totalTokens: inputTokens + cached + usage.outputTokens,
    ...(cached > 0
      ? { cacheReadInputTokens: usage.cacheReadTokens, cacheWriteInputTokens: usage.cacheWriteTokens }
      : {})
  }
}

interface AwsError {
  readonly status: number
  readonly type: string
  readonly message: string
}

const awsErrors: Record<Exclude<FaultKind, "content-filter">, AwsError> = {
  "rate-limit": {
    status: 429,
    type: "ThrottlingException",
    message: "Too many requests, please wait before trying again."
  },
  overloaded: {
    status: 503,
    type: "ServiceUnavailableException",
    message: "Bedrock is unable to process your request."
  },
  "server-error": {
    status: 500,
    type: "InternalServerException",
    message: "The server encountered an internal error while processing the request."
  },
  unavailable: {
    status: 503,
    type: "ServiceUnavailableException",
    message: "Bedrock is unable to process your request."
  },
  auth: {
    status: 403,
    type: "UnrecognizedClientException",
    message: "The security token included in the request is invalid."
  },
  permission: {
    status: 403,
    type: "AccessDeniedException",
    message: "You don't have access to the model with the specified model ID."
  },
  "model-not-found": { status: 400, type: "ValidationException", message: "The provided model identifier is invalid." },
  "context-length": { status: 400, type: "ValidationException", message: "Input is too long for requested model." },
  "invalid-request": {
    status: 400,
    type: "ValidationException",
    message: "1 validation error detected: Value at 'inferenceConfig.temperature' failed to satisfy constraint."
  }
}

/** Status -> error type when a script overrides the status (e.g. 404 for a model-not-found fault). */
const typeForStatus: Record<number, string> = {
  400: "ValidationException",
  403: "AccessDeniedException",
  404: "ResourceNotFoundException",
  408: "ModelTimeoutException",
  424: "ModelErrorException",
  429: "ThrottlingException",
  500: "InternalServerException",
  503: "ServiceUnavailableException"
}

/** The lowerCamel union member names of ConverseStreamOutput's exceptions. */
const streamExceptionTypes: Record<FaultKind, string> = {
  "rate-limit": "throttlingException",
  overloaded: "modelStreamErrorException",
  "server-error": "internalServerException",
  unavailable: "serviceUnavailableException",
  auth: "validationException",
  permission: "validationException",
  "model-not-found": "validationException",
  "context-length": "validationException",
  "invalid-request": "validationException",
  "content-filter": "validationException"
}

const errorTypeHeader = (type: string) => `${type}:http://internal.amazon.com/coral/com.amazon.bedrock/`

const guardrailText = "Sorry, the model cannot answer this question."

const providerName = (id: string) => {
  const vendor = id.split(".")[0] ?? id
  const names: Record<string, string> = {
    anthropic: "Anthropic",
    amazon: "Amazon",
    meta: "Meta",
    openai: "OpenAI",
    qwen: "Qwen",
    stability: "Stability AI"
  }
  return names[vendor] ?? vendor
}

const outputModality = (model: SimModel) =>
  model.chat === false ? (model.id.includes("embed") ? "EMBEDDING" : "IMAGE") : "TEXT"

/** Cross-region system profiles exist for these vendors' text models (as on real Bedrock in the US). */
const hasUsProfile = (model: SimModel) =>
  model.chat !== false && ["anthropic", "amazon", "meta"].includes(model.id.split(".")[0] ?? "")

/** A toolUseId as Bedrock makes them: "tooluse_" and 22 base64url characters. */
const toolUseId = () => `tooluse_${Buffer.from(randomUUID().replaceAll("-", ""), "hex").toString("base64url")}`

const withIds = (calls: ReadonlyArray<ScriptedToolCall>) =>
  calls.map((call) => ({ ...call, id: call.id ?? toolUseId() }))

interface WireBlock {
  readonly text?: unknown
  readonly toolUse?: { readonly toolUseId?: unknown }
  readonly toolResult?: { readonly toolUseId?: unknown }
}
interface WireRequest {
  readonly messages?: ReadonlyArray<{ readonly role?: unknown; readonly content?: ReadonlyArray<WireBlock> }>
  readonly toolConfig?: {
    readonly tools?: ReadonlyArray<{ readonly toolSpec?: { readonly name?: unknown }; readonly cachePoint?: unknown }>
  }
}

const toolNamePattern = /^[a-zA-Z0-9_-]+$/

/**
 * What real Bedrock refuses in a request's tool use, in its ValidationException wording: a tool name
 * outside its pattern, an empty tool list, toolUse/toolResult blocks without toolConfig, and a
 * toolResult answering no toolUse of the assistant message before it.
 */
export const bedrockToolProblem = (body: unknown): string | undefined => {
  if (typeof body !== "object" || body === null) return undefined
  const request = body as WireRequest
  const tools = request.toolConfig?.tools
  if (request.toolConfig !== undefined && (tools === undefined || tools.length === 0))
    return "1 validation error detected: Value '[]' at 'toolConfig.tools' failed to satisfy constraint: Member must have length greater than or equal to 1"
  for (const [index, tool] of (tools ?? []).entries()) {
    if (tool.cachePoint !== undefined) continue // checked by bedrockCachePointProblem
    const name = tool.toolSpec?.name
    if (typeof name !== "string" || !toolNamePattern.test(name) || name.length > 64)
      return `1 validation error detected: Value '${String(name)}' at 'toolConfig.tools.${index + 1}.member.toolSpec.name' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_-]+ and have length less than or equal to 64`
  }
  const messages = request.messages ?? []
  const usesToolBlocks = messages.some((message) =>
    (message.content ?? []).some((block) => block.toolUse !== undefined || block.toolResult !== undefined)
  )
  if (usesToolBlocks && request.toolConfig === undefined)
    return "The toolConfig field must be defined when using toolUse and toolResult content blocks."
  for (const [index, message] of messages.entries()) {
    const previous = messages[index - 1]
    const asked = new Set(
      previous?.role === "assistant" ? (previous.content ?? []).map((block) => block.toolUse?.toolUseId) : []
    )
    for (const [position, block] of (message.content ?? []).entries())
      if (block.toolResult !== undefined && !asked.has(block.toolResult.toolUseId))
        return `The model returned the following errors: messages.${index}.content.${position}: unexpected \`tool_use_id\` found in \`tool_result\` blocks: ${String(block.toolResult.toolUseId)}. Each \`tool_result\` block must have a corresponding \`tool_use\` block in the previous message.`
  }
  return undefined
}

/** Claude's limit of cache breakpoints, which Bedrock makes of its cache points for Claude models. */
export const bedrockClaudeMaxCachePoints = 4

/**
 * Cache points as Converse checks them, in its words: `{ cachePoint: { type: "default" } }` in
 * `system`, message content and `toolConfig.tools`; for a Claude model at most 4 of them, refused by
 * the model in Anthropic's words (Bedrock passes them on as `cache_control`).
 */
export const bedrockCachePointProblem = (body: unknown, model: string): string | undefined => {
  if (!isJsonObject(body)) return undefined
  const points: Array<{ readonly where: string; readonly value: unknown }> = []
  const collect = (blocks: unknown, prefix: string) => {
    if (!Array.isArray(blocks)) return
    for (const [index, block] of blocks.entries())
      if (isJsonObject(block) && block.cachePoint !== undefined)
        points.push({ where: `${prefix}.${index + 1}.member.cachePoint`, value: block.cachePoint })
  }
  collect(isJsonObject(body.toolConfig) ? body.toolConfig.tools : undefined, "toolConfig.tools")
  collect(body.system, "system")
  if (Array.isArray(body.messages))
    for (const [index, message] of body.messages.entries())
      collect(isJsonObject(message) ? message.content : undefined, `messages.${index + 1}.member.content`)
  for (const { where, value } of points) {
    const type = isJsonObject(value) ? value.type : undefined
    if (type !== "default")
      return `1 validation error detected: Value '${String(type)}' at '${where}.type' failed to satisfy constraint: Member must satisfy enum value set: [default]`
  }
  return model.includes("anthropic.claude") && points.length > bedrockClaudeMaxCachePoints
    ? `The model returned the following errors: A maximum of ${bedrockClaudeMaxCachePoints} blocks with cache_control may be provided. Found ${points.length}.`
    : undefined
}

const parsedObject = (text: string): Record<string, unknown> | undefined => {
  try {
    const value: unknown = JSON.parse(text)
    return isJsonObject(value) ? value : undefined
  } catch {
    return undefined
  }
}

/**
 * Structured output (`outputConfig.textFormat`) as Bedrock validates it, in its ValidationException
 * form: the one format type, a `jsonSchema` structure, and a schema sent as a string holding a JSON
 * object (the wording of that last one is the simulator's).
 */
const outputConfigProblem = (body: unknown): string | undefined => {
  const format = isJsonObject(body) && isJsonObject(body.outputConfig) ? body.outputConfig.textFormat : undefined
  if (!isJsonObject(format)) return undefined
  const where = "outputConfig.textFormat"
  if (format.type !== "json_schema")
    return `1 validation error detected: Value '${String(format.type)}' at '${where}.type' failed to satisfy constraint: Member must satisfy enum value set: [json_schema]`
  const jsonSchema = isJsonObject(format.structure) ? format.structure.jsonSchema : undefined
  if (!isJsonObject(jsonSchema))
    return `1 validation error detected: Value null at '${where}.structure.jsonSchema' failed to satisfy constraint: Member must not be null`
  if (jsonSchema.schema === undefined || jsonSchema.schema === null)
    return `1 validation error detected: Value null at '${where}.structure.jsonSchema.schema' failed to satisfy constraint: Member must not be null`
  if (typeof jsonSchema.schema !== "string" || parsedObject(jsonSchema.schema) === undefined)
    return `The value at '${where}.structure.jsonSchema.schema' is not a valid JSON schema: it must be a string holding a JSON object.`
  return undefined
}

/** Converse's limits: bytes per image and per document, images and documents per request. */
export const bedrockMaxImageBytes = 3.75 * 1024 * 1024
export const bedrockMaxDocumentBytes = 4.5 * 1024 * 1024
const maxImages = 20
const maxDocuments = 5
const imageFormats: Readonly<Record<string, string>> = {
  gif: "image/gif",
  jpeg: "image/jpeg",
  png: "image/png",
  webp: "image/webp"
}
const documentFormats: Readonly<Record<string, string>> = {
  pdf: "application/pdf",
  csv: "text/csv",
  doc: "application/msword",
  docx: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
  xls: "application/vnd.ms-excel",
  xlsx: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
  html: "text/html",
  txt: "text/plain",
  md: "text/markdown"
}
/** Letters, digits, hyphens, parentheses, square brackets, and whitespace never twice in a row. */
const documentName = /^(?:[a-zA-Z0-9\-()[\]]|\s(?!\s))+$/

const constraint = (value: unknown, where: string, rule: string) =>
  `1 validation error detected: Value '${String(value)}' at '${where}' failed to satisfy constraint: ${rule}`

/** One `image` or `document` block, checked as Converse checks it: what arrived, or the problem. */
const mediaBlockSeen = (block: Json, index: number, position: number): SeenMedia | string => {
  const image = block.image !== undefined
  const value = (image ? block.image : block.document) as Json
  const kind = image ? "image" : "document"
  const member = `messages.${index + 1}.member.content.${position + 1}.member.${kind}`
  const at = `messages.${index}.content.${position}`
  const formats = image ? imageFormats : documentFormats
  if (!isJsonObject(value)) return constraint(value, member, "Member must not be null")
  const format = value.format as string
  if (!(format in formats))
    return constraint(
      format,
      `${member}.format`,
      `Member must satisfy enum value set: [${Object.keys(formats).join(", ")}]`
    )
  const name = value.name
  if (!image) {
    if (typeof name !== "string" || name.length === 0 || name.length > 200)
      return constraint(name, `${member}.name`, "Member must have length between 1 and 200")
    if (!documentName.test(name))
      return constraint(
        name,
        `${member}.name`,
        "Member must contain only alphanumeric characters, whitespace characters (no more than one in a row), hyphens, parentheses and square brackets"
      )
  }
  const source = value.source
  const keys = isJsonObject(source)
    ? ["bytes", "s3Location", "text", "content"].filter((key) => source[key] !== undefined)
    : []
  if (!isJsonObject(source) || keys.length !== 1 || (keys[0] !== "bytes" && keys[0] !== "s3Location"))
    return `${image ? "ImageSource" : "DocumentSource"} object at ${at}.${kind}.source must set one of the following keys: bytes, s3Location.`
  if (keys[0] === "s3Location")
    return { kind, mediaType: formats[format]!, at, ...(image ? {} : { name: name as string }) }
  const bytes = decodeBase64(source.bytes)
  if (bytes === undefined) return `${at}.${kind}.source.bytes: the value is not valid base64.`
  const limit = image ? bedrockMaxImageBytes : bedrockMaxDocumentBytes
  if (bytes.length > limit)
    return image
      ? `The model returned the following errors: ${at}.image.source: image exceeds max size of 3.75 MB: ${bytes.length} bytes > ${limit} bytes`
      : `The document file size exceeds the maximum of 4.5 MB: ${bytes.length} bytes (${name as string})`
  return { kind, mediaType: formats[format]!, bytes, at, ...(image ? {} : { name: name as string }) }
}

/**
 * Images and documents as Converse checks them: formats, document names (pattern, length, unique in
 * the request), bytes or an S3 location, base64 that decodes, 3.75 MB per image and 4.5 MB per
 * document, at most 20 images and 5 documents, and a text block beside every document. What arrived,
 * or the first problem in its ValidationException wording.
 */
export const bedrockMediaOf = (body: unknown): ReadonlyArray<SeenMedia> | string => {
  const messages = isJsonObject(body) && Array.isArray(body.messages) ? (body.messages as ReadonlyArray<Json>) : []
  const media: Array<SeenMedia> = []
  const names = new Set<string>()
  for (const [index, message] of messages.entries()) {
    const blocks = Array.isArray(message.content) ? (message.content as ReadonlyArray<unknown>) : []
    let documents = 0
    for (const [position, block] of blocks.entries()) {
      if (!isJsonObject(block) || (block.image === undefined && block.document === undefined)) continue
      const seen = mediaBlockSeen(block, index, position)
      if (typeof seen === "string") return seen
      if (seen.kind === "document") {
        documents++
        if (names.has(seen.name!)) return "Messages can't contain duplicate document names."
        names.add(seen.name!)
      }
      media.push(seen)
    }
    if (
      documents > 0 &&
      !blocks.some((block) => isJsonObject(block) && typeof block.text === "string" && block.text.trim() !== "")
    )
      return "A text block must be included when using documents."
  }
  if (media.filter((m) => m.kind === "image").length > maxImages)
    return `You can't include more than ${maxImages} images in a request.`
  if (names.size > maxDocuments) return `You can't include more than ${maxDocuments} documents in a request.`
  return media
}

/** The parsed schema and name of a checked request's `outputConfig.textFormat`. */
const requestedFormat = (call: IncomingCall): RequestedFormat | undefined => {
  const jsonSchema = (
    call.body as { outputConfig?: { textFormat?: { structure?: { jsonSchema?: { schema: string; name?: unknown } } } } }
  )?.outputConfig?.textFormat?.structure?.jsonSchema
  if (jsonSchema === undefined) return undefined
  return {
    schema: parsedObject(jsonSchema.schema),
    ...(typeof jsonSchema.name === "string" ? { name: jsonSchema.name } : {})
  }
}

/** The content index of the text block: after the reasoning block when there is one. */
const textIndex = (ctx: RenderContext) => (ctx.reasoning !== undefined ? 1 : 0)

/**
 * Claude's extended thinking on Converse, as Bedrock checks it (the Anthropic rules in Converse's
 * shapes): `additionalModelRequestFields.thinking` with a budget of at least 1,024 below maxTokens; a
 * reasoning block sent back carries the signature Bedrock gave its text (another provider's is
 * refused); with thinking on, the last assistant turn that used tools starts with a reasoning block.
 */
export const bedrockThinkingProblem = (body: unknown, model: string): string | undefined => {
  if (!model.includes("anthropic.claude") || typeof body !== "object" || body === null) return undefined
  const request = body as {
    additionalModelRequestFields?: { thinking?: { type?: unknown; budget_tokens?: unknown } }
    inferenceConfig?: { maxTokens?: unknown }
    messages?: ReadonlyArray<{ role?: unknown; content?: ReadonlyArray<Record<string, unknown>> }>
  }
  const thinking = request.additionalModelRequestFields?.thinking
  const enabled = thinking?.type === "enabled"
  if (enabled) {
    const budget = thinking.budget_tokens
    if (typeof budget !== "number" || budget < 1024)
      return "The model returned the following errors: thinking.enabled.budget_tokens: Input should be greater than or equal to 1024"
    const maxTokens = request.inferenceConfig?.maxTokens
    if (typeof maxTokens === "number" && maxTokens <= budget)
      return "The model returned the following errors: `max_tokens` must be greater than `thinking.budget_tokens`."
  }
  const messages = request.messages ?? []
  for (const [index, message] of messages.entries())
    for (const [at, block] of (message.content ?? []).entries()) {
      const text = (block.reasoningContent as { reasoningText?: { text?: unknown; signature?: unknown } } | undefined)
        ?.reasoningText
      if (
        text !== undefined &&
        (typeof text.text !== "string" || text.signature !== reasoningSignature("bedrock", text.text))
      )
        return `The model returned the following errors: messages.${index}.content.${at}: Invalid \`signature\` in \`thinking\` block`
    }
  if (!enabled) return undefined
  const last = messages.findLast((message) => message.role === "assistant")
  const blocks = last?.content ?? []
  if (blocks.some((block) => block.toolUse !== undefined) && blocks[0]?.reasoningContent === undefined)
    return "The model returned the following errors: Expected `thinking` or `redacted_thinking`, but found `tool_use`. When `thinking` is enabled, a final `assistant` message must start with a thinking block. To avoid this requirement, disable `thinking`."
  return undefined
}

export const makeBedrockAdapter = (options: BedrockSimulatorOptions = {}): ProtocolAdapter => {
  const region = options.region ?? "us-east-1"
  const profilePageSize = Math.max(1, options.inferenceProfilePageSize ?? 5)
  const modelArn = (id: string, inRegion = region) => `arn:aws:bedrock:${inRegion}::foundation-model/${id}`

  const baseHeaders = (requestId: string) => ({ "x-amzn-requestid": requestId })

  // Without tool calls a reply is one text block, even an empty one; with them the text only when written.
  const converseBody = (
    text: string,
    stopReason: string,
    usage: Usage,
    toolCalls: ReadonlyArray<ScriptedToolCall> = [],
    reasoning?: string
  ) => ({
    output: {
      message: {
        role: "assistant",
        content: [
          ...(reasoning === undefined
            ? []
            : [
                {
                  reasoningContent: {
                    reasoningText: { text: reasoning, signature: reasoningSignature("bedrock", reasoning) }
                  }
                }
              ]),
          ...(toolCalls.length === 0 || text !== "" ? [{ text }] : []),
          ...withIds(toolCalls).map((call) => ({
            toolUse: { toolUseId: call.id, name: call.name, input: call.arguments }
          }))
        ]
      }
    },
    stopReason,
    usage: wireUsage(usage),
    metrics: { latencyMs: 42 }
  })

  const streamBody = (text: string, stopReason: string, usage: Usage): Uint8Array =>
    Buffer.concat([
      bedrockEventFrame("messageStart", { role: "assistant" }),
      bedrockEventFrame("contentBlockDelta", { contentBlockIndex: 0, delta: { text } }),
      bedrockEventFrame("contentBlockStop", { contentBlockIndex: 0 }),
      bedrockEventFrame("messageStop", { stopReason }),
      bedrockEventFrame("metadata", { usage: wireUsage(usage), metrics: { latencyMs: 42 } })
    ])

  /** The stream's end: the text block's stop, each tool call as its own block (start, input pieces, stop), the stop. */
  const streamTail = (ctx: RenderContext): Array<Uint8Array> => {
    const toolCalls = ctx.toolCalls ?? []
    const hasText = toolCalls.length === 0 || ctx.text !== ""
    const base = textIndex(ctx)
    const frames = hasText ? [bedrockEventFrame("contentBlockStop", { contentBlockIndex: base })] : []
    for (const [position, call] of withIds(toolCalls).entries()) {
      const contentBlockIndex = base + position + (hasText ? 1 : 0)
      frames.push(
        bedrockEventFrame("contentBlockStart", {
          contentBlockIndex,
          start: { toolUse: { toolUseId: call.id, name: call.name } }
        }),
        ...splitText(JSON.stringify(call.arguments), call.argumentsChunks ?? 3).map((input) =>
          bedrockEventFrame("contentBlockDelta", { contentBlockIndex, delta: { toolUse: { input } } })
        ),
        bedrockEventFrame("contentBlockStop", { contentBlockIndex })
      )
    }
    return frames
  }

  const foundationModels = (call: IncomingCall, models: ReadonlyArray<SimModel>): WireResponse => {
    const byOutput = call.query.get("byOutputModality")
    const byInference = call.query.get("byInferenceType")
    const byProvider = call.query.get("byProvider")?.toLowerCase()
    const summaries = models
      .map((model) => ({
        modelArn: modelArn(model.id),
        modelId: model.id,
        modelName: model.displayName ?? model.id,
        providerName: providerName(model.id),
        inputModalities: ["TEXT"],
        outputModalities: [outputModality(model)],
        responseStreamingSupported: model.chat !== false,
        customizationsSupported: [],
        inferenceTypesSupported: model.inferenceProfileOnly ? ["INFERENCE_PROFILE"] : ["ON_DEMAND"],
        modelLifecycle: { status: "ACTIVE" }
      }))
      .filter(
        (summary) =>
          (!byOutput || summary.outputModalities.includes(byOutput)) &&
          (!byInference || summary.inferenceTypesSupported.includes(byInference)) &&
          (!byProvider || summary.providerName.toLowerCase() === byProvider)
      )
    // ListFoundationModels has no pagination.
    return json(200, { modelSummaries: summaries }, baseHeaders(randomUUID()))
  }

  const inferenceProfiles = (call: IncomingCall, models: ReadonlyArray<SimModel>): WireResponse => {
    const requestId = randomUUID()
    const typeEquals = call.query.get("type")
    const all = models.filter(hasUsProfile).map((model) => ({
      inferenceProfileName: `US ${model.displayName ?? model.id}`,
      inferenceProfileArn: `arn:aws:bedrock:${region}:123456789012:inference-profile/us.${model.id}`,
      inferenceProfileId: `us.${model.id}`,
      description: `Routes requests to ${model.displayName ?? model.id} in us-east-1, us-east-2 and us-west-2.`,
      models: ["us-east-1", "us-east-2", "us-west-2"].map((r) => ({ modelArn: modelArn(model.id, r) })),
      status: "ACTIVE",
      type: "SYSTEM_DEFINED",
      createdAt: "2025-09-29T00:00:00Z",
      updatedAt: "2025-09-29T00:00:00Z"
    }))
    const selected = typeEquals && typeEquals !== "SYSTEM_DEFINED" ? [] : all
    const maxResults = Number.parseInt(call.query.get("maxResults") ?? "", 10)
    const pageSize = Math.min(profilePageSize, Number.isFinite(maxResults) && maxResults > 0 ? maxResults : 1000)
    const token = call.query.get("nextToken")
    const start = token ? Number.parseInt(Buffer.from(token, "base64url").toString("utf8"), 10) : 0
    if (!Number.isFinite(start) || start < 0 || start > selected.length)
      return json(
        400,
        { message: "Invalid pagination token." },
        { ...baseHeaders(requestId), "x-amzn-errortype": errorTypeHeader("ValidationException") }
      )
    const end = start + pageSize
    return json(
      200,
      {
        inferenceProfileSummaries: selected.slice(start, end),
        ...(end < selected.length ? { nextToken: Buffer.from(String(end)).toString("base64url") } : {})
      },
      baseHeaders(requestId)
    )
  }

  return {
    protocol: "bedrock",
    responseFormat: requestedFormat,

    // us.anthropic.claude-... (an inference profile) and arn:aws:bedrock:...:inference-profile/us.anthropic...
    // or .../foundation-model/anthropic... name the catalogue's anthropic.claude-....
    catalogueId: (model) => (model.split("/").at(-1) ?? model).replace(/^(us|eu|apac|global|us-gov|jp|au|ca)\./, ""),

    route(call): Route {
      const match = /^\/model\/([^/]+)\/(converse|converse-stream)$/.exec(call.path)
      // Bedrock validates the request before any model runs: a tool mistake is a 400 and no reply is used.
      const media = call.method === "POST" && match ? bedrockMediaOf(call.body) : []
      const toolProblem =
        call.method === "POST" && match
          ? (bedrockToolProblem(call.body) ??
            bedrockThinkingProblem(call.body, decodeURIComponent(match[1] ?? "")) ??
            outputConfigProblem(call.body) ??
            bedrockCachePointProblem(call.body, decodeURIComponent(match[1] ?? "")) ??
            (typeof media === "string" ? media : undefined))
          : undefined
      if (toolProblem !== undefined)
        return {
          kind: "response",
          response: json(
            400,
            { message: toolProblem },
            { "x-amzn-errortype": errorTypeHeader("ValidationException"), "x-amzn-requestid": randomUUID() }
          )
        }
      if (call.method === "POST" && match)
        return {
          kind: match[2] === "converse" ? "generate" : "stream",
          model: decodeURIComponent(match[1] ?? ""),
          media: media as ReadonlyArray<SeenMedia>
        }
      if (call.method === "GET" && call.path === "/foundation-models")
        return { kind: "models", api: "foundation-models" }
      if (call.method === "GET" && call.path === "/inference-profiles")
        return { kind: "models", api: "inference-profiles" }
      return {
        kind: "response",
        response: json(
          404,
          { message: `No operation at ${call.method} ${call.path}` },
          { "x-amzn-errortype": errorTypeHeader("UnknownOperationException"), "x-amzn-requestid": randomUUID() }
        )
      }
    },

    generate(ctx) {
      return json(
        200,
        converseBody(ctx.text, stopReasons[ctx.finishReason], ctx.usage, ctx.toolCalls, ctx.reasoning),
        baseHeaders(ctx.requestId)
      )
    },

    streamHeaders(ctx) {
      return { "content-type": "application/vnd.amazon.eventstream", ...baseHeaders(ctx.requestId) }
    },

    streamStart(ctx) {
      const frames = [bedrockEventFrame("messageStart", { role: "assistant" })]
      // Scripted reasoning first, as block 0: its text in two deltas, then its signature, then its stop.
      if (ctx.reasoning !== undefined) {
        const half = Math.ceil(ctx.reasoning.length / 2)
        for (const text of [ctx.reasoning.slice(0, half), ctx.reasoning.slice(half)])
          frames.push(
            bedrockEventFrame("contentBlockDelta", { contentBlockIndex: 0, delta: { reasoningContent: { text } } })
          )
        frames.push(
          bedrockEventFrame("contentBlockDelta", {
            contentBlockIndex: 0,
            delta: { reasoningContent: { signature: reasoningSignature("bedrock", ctx.reasoning) } }
          }),
          bedrockEventFrame("contentBlockStop", { contentBlockIndex: 0 })
        )
      }
      return frames
    },

    streamDelta(ctx, text) {
      // A reply that only calls tools has no text block at all.
      if (text === "" && (ctx.toolCalls ?? []).length > 0) return new Uint8Array(0)
      return bedrockEventFrame("contentBlockDelta", { contentBlockIndex: textIndex(ctx), delta: { text } })
    },

    streamEnd(ctx) {
      return [
        ...streamTail(ctx),
        bedrockEventFrame("messageStop", { stopReason: stopReasons[ctx.finishReason] }),
        bedrockEventFrame("metadata", { usage: wireUsage(ctx.usage), metrics: { latencyMs: 42 } })
      ]
    },

    streamError(_ctx, fault, message) {
      return bedrockExceptionFrame(streamExceptionTypes[fault], message)
    },

    malformedFrame() {
      // A well-formed frame whose trailing message CRC is wrong: the SDK's decoder rejects it.
      const frame = Buffer.from(bedrockEventFrame("contentBlockDelta", { contentBlockIndex: 0, delta: { text: "!" } }))
      const last = frame.length - 1
      frame[last] = (frame[last] ?? 0) ^ 0xff
      return frame
    },

    error(ctx, reply: ErrorReply) {
      const headers = {
        ...baseHeaders(ctx.requestId),
        ...(reply.retryAfterSeconds !== undefined ? { "retry-after": String(reply.retryAfterSeconds) } : {})
      }
      if (reply.fault === "content-filter") {
        // A guardrail block is a successful response whose stop reason says so, with the guardrail's text.
        const usage: Usage = { ...ctx.usage, outputTokens: 0 }
        const text = reply.message ?? guardrailText
        if (ctx.call.path.endsWith("/converse-stream"))
          return {
            status: 200,
            headers: { "content-type": "application/vnd.amazon.eventstream", ...headers, ...reply.headers },
            body: streamBody(text, "guardrail_intervened", usage)
          }
        return json(200, converseBody(text, "guardrail_intervened", usage), { ...headers, ...reply.headers })
      }
      const known = awsErrors[reply.fault]
      const status = reply.status ?? known.status
      const type =
        reply.status !== undefined && reply.status !== known.status ? (typeForStatus[status] ?? known.type) : known.type
      return json(
        status,
        { message: reply.message ?? known.message },
        { ...headers, "x-amzn-errortype": errorTypeHeader(type), ...reply.headers }
      )
    },

    models(call, models, api) {
      return api === "inference-profiles" ? inferenceProfiles(call, models) : foundationModels(call, models)
    }
  }
}

const withDefaults = (options: BedrockSimulatorOptions): BedrockSimulatorOptions => ({
  ...options,
  models: options.models ?? defaultBedrockModels
})

/** Starts a Bedrock simulator (runtime and control plane) on 127.0.0.1; `sim.url` is the endpoint for both clients. */
export const startBedrockSimulator = (options: BedrockSimulatorOptions = {}): Promise<Simulator> =>
  Simulator.start(makeBedrockAdapter(options), withDefaults(options))

/** A Bedrock simulator closed with the current scope. */
export const bedrockSimulator = (options: BedrockSimulatorOptions = {}): Effect.Effect<Simulator, never, Scope.Scope> =>
  scopedSimulator(makeBedrockAdapter(options), withDefaults(options))

/** Builds the `x-amzn-errortype` header value of a Bedrock error (for scripting other exception types). */
export const bedrockErrorType = errorTypeHeader
