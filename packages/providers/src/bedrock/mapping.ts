/**
 * Bedrock's wire forms, apart from the SDK calls: chat requests as Converse input, stop reasons and
 * usage, SDK exceptions -> `LLMError`, and the model listing assembled from foundation models and
 * inference profiles.
 */
import type { FoundationModelSummary, InferenceProfileSummary } from "@aws-sdk/client-bedrock"
import type {
  Message as BedrockMessage,
  ContentBlock,
  ConverseCommandInput,
  ImageFormat,
  OutputConfig,
  StopReason,
  SystemContentBlock,
  TokenUsage,
  Tool,
  ToolChoice,
  ToolConfiguration,
  ToolUseBlock
} from "@aws-sdk/client-bedrock-runtime"
import {
  AuthenticationError,
  type ChatRequest,
  type ContentPart,
  ContextLengthExceededError,
  type FinishReason,
  InvalidRequestError,
  isLLMError,
  type LLMError,
  type Message,
  type ModelInfo,
  ModelNotFoundError,
  NetworkError,
  optionalField,
  type ProviderOptions,
  ProviderUnavailableError,
  RateLimitError,
  type ReasoningPart,
  type ResponseFormat,
  TimeoutError,
  type ToolCall,
  type Usage
} from "@llm-orchestrator/core"
import {
  anthropicThinking,
  byteLengthOf,
  bytesOf,
  type CallContext,
  closeObjects,
  connectionErrorCode,
  contentParts,
  errorFromHttp,
  hasMedia,
  isMediaPart,
  isOwnReasoning,
  mediaWhere,
  megabytes,
  retryAfterMsFromHeaders,
  thinkingPart,
  toolCallFromValue,
  toolCallIdFor,
  toolResultText,
  unsupportedMediaError,
  unsupportedToolsError
} from "../kit/index.ts"

const provider = "bedrock" as const

// ---------------------------------------------------------------------------------------------------
// Requests

// Bedrock's toolUseId limit; ids from another provider are made valid the same way for call and result.
const toolUseIdLength = 64

// The SDK's JSON document type; tool arguments, results and schemas are JSON values by the domain's rules.
type Document = NonNullable<ToolUseBlock["input"]>
const asDocument = (value: unknown) => value as Document

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value)

/** The provider type a reasoning part of this adapter names (Bedrock's signatures are valid only here). */
export const source = "bedrock"

const reasoningBlock = (part: ReasoningPart): ContentBlock =>
  part.redacted !== undefined
    ? { reasoningContent: { redactedContent: Buffer.from(part.redacted, "base64") } }
    : { reasoningContent: { reasoningText: { text: part.text, ...optionalField("signature", part.signature) } } }

/** The reasoning blocks of a Converse answer as reasoning parts (redacted bytes as base64). */
export const reasoningPartsFromContent = (content: ReadonlyArray<ContentBlock>): Array<ReasoningPart> =>
  content.flatMap((block) => {
    const reasoning = block.reasoningContent
    if (reasoning === undefined) return []
    if (reasoning.redactedContent !== undefined)
      return [thinkingPart(source, "", undefined, Buffer.from(reasoning.redactedContent).toString("base64"))]
    return [thinkingPart(source, reasoning.reasoningText?.text ?? "", reasoning.reasoningText?.signature)]
  })

/** Claude on Bedrock (a model id, an inference profile or a cross-region id naming anthropic.claude). */
const isClaude = (model: string) => model.includes("anthropic.claude")

/**
 * Whether Claude's thinking can be on for these messages: the last assistant turn that called tools
 * must start with a reasoning block (as on Anthropic); after a fallback from another provider it has
 * none, so thinking is left off for that request.
 */
const thinkingAllowed = (messages: ReadonlyArray<BedrockMessage>): boolean => {
  const last = messages.findLast((message) => message.role === "assistant")
  const blocks = last?.content ?? []
  return !blocks.some((block) => block.toolUse !== undefined) || blocks[0]?.reasoningContent !== undefined
}

// ---------------------------------------------------------------------------------------------------
// Prompt caching: `providerOptions.bedrock.cachePoint` (other types' options are not read here).

const cachePointBlock = { cachePoint: { type: "default" } } as const

/** Claude's limit of cache breakpoints per request, which its cache points count against on Bedrock. */
export const maxClaudeCachePoints = 4

/** Whether options ask for a Bedrock cache point after what carries them. */
const wantsCachePoint = (options: ProviderOptions | undefined) => options?.bedrock?.cachePoint !== undefined

/**
 * Appends a cache point after the blocks so far when `options` ask for one, unless there are no blocks
 * or the last one already is one (a marker on a part that sent no block, or a message's right after a part's).
 */
const addCachePoint = (blocks: Array<ContentBlock>, options: ProviderOptions | undefined): void => {
  const last = blocks.at(-1)
  if (wantsCachePoint(options) && last !== undefined && last.cachePoint === undefined) blocks.push(cachePointBlock)
}

/**
 * A message's Converse blocks: its own reasoning first, its text (one block, empty dropped; a text part
 * with a cache point ends the block there, the point after it), then its tool calls or results, each
 * followed by its cache point; the message's cache point after all of them.
 */
const contentBlocks = (message: Message): Array<ContentBlock> => {
  const blocks: Array<ContentBlock> = []
  let reasoningAt = 0
  const parts = contentParts(message)
  let text = ""
  for (const part of parts) {
    if (part.type !== "text") continue
    text += part.text
    if (!wantsCachePoint(part.providerOptions)) continue
    if (text.length > 0) blocks.push({ text })
    text = ""
    addCachePoint(blocks, part.providerOptions)
  }
  if (text.length > 0) blocks.push({ text })
  for (const part of parts) {
    // Its own thinking goes back first, unchanged (Claude checks the signature); another type's is dropped.
    if (part.type === "reasoning") {
      if (isOwnReasoning(part, source)) blocks.splice(reasoningAt++, 0, reasoningBlock(part))
    } else if (part.type === "tool-call") {
      blocks.push({
        toolUse: {
          toolUseId: toolCallIdFor(part.id, toolUseIdLength),
          name: part.name,
          input: asDocument(part.arguments)
        }
      })
      addCachePoint(blocks, part.providerOptions)
    } else if (part.type === "tool-result") {
      blocks.push({
        toolResult: {
          toolUseId: toolCallIdFor(part.id, toolUseIdLength),
          // A JSON object goes as a json block; anything else (strings, arrays, numbers) as its text.
          content: [
            isPlainObject(part.result) ? { json: asDocument(part.result) } : { text: toolResultText(part.result) }
          ],
          // Omitted on success: some model families reject the field (only Nova and Claude document it),
          // and its absence already means success.
          ...(part.isError === true ? { status: "error" as const } : {})
        }
      })
      addCachePoint(blocks, part.providerOptions)
    }
  }
  addCachePoint(blocks, message.providerOptions)
  return blocks
}

// ---------------------------------------------------------------------------------------------------
// Images and documents

/** Converse's limits per inline image and per document (bytes; the API takes no URL). */
export const maxImageBytes = 3.75 * 1024 * 1024
export const maxDocumentBytes = 4.5 * 1024 * 1024
const maxDocumentName = 200

const imageFormats: Readonly<Record<string, ImageFormat>> = {
  "image/png": "png",
  "image/jpeg": "jpeg",
  "image/gif": "gif",
  "image/webp": "webp"
}

/**
 * A document name Converse takes, from the part's filename: only letters, digits, single spaces,
 * hyphens, parentheses and square brackets, at most 200 characters. The extension is dropped (the
 * format says it), any other character run becomes a hyphen; "document" when nothing is left. A name
 * already used in the request gets " (2)", " (3)"...: Converse refuses duplicate document names.
 */
export const documentName = (filename: string | undefined, used: Set<string>): string => {
  const base = (filename ?? "")
    .replace(/\.[A-Za-z0-9]{1,8}$/, "")
    .replace(/[^A-Za-z0-9\s()[\]-]+/g, "-")
    .replace(/\s+/g, " ")
    .trim()
    .slice(0, maxDocumentName - 8)
    .trim()
  const stem = base === "" || base === "-" ? "document" : base
  let name = stem
  for (let n = 2; used.has(name.toLowerCase()); n++) name = `${stem} (${n})`
  used.add(name.toLowerCase())
  return name
}

/**
 * A user message's blocks when it holds images or files, in order: texts (empty dropped), `image`
 * blocks and `document` blocks, each with its bytes and followed by its cache point if it has one. What Converse cannot take is refused: a URL (it
 * takes bytes or S3 locations only) and media over its size limits.
 */
const userMediaBlocks = (
  parts: ReadonlyArray<ContentPart>,
  messageIndex: number,
  names: Set<string>,
  ctx: CallContext
): Array<ContentBlock> | InvalidRequestError => {
  const blocks: Array<ContentBlock> = []
  for (const [index, part] of parts.entries()) {
    if (part.type === "text") {
      if (part.text !== "") blocks.push({ text: part.text })
      addCachePoint(blocks, part.providerOptions)
      continue
    }
    if (!isMediaPart(part)) continue
    const where = mediaWhere(part, messageIndex, index)
    const data = part.data
    if (data instanceof URL)
      return unsupportedMediaError(
        ctx,
        `the ${where} is a URL, and Converse takes no URL (only bytes, or an S3 location)`,
        "pass the bytes (a Uint8Array or base64 text)"
      )
    const image = part.type === "image"
    const size = byteLengthOf(data)
    const limit = image ? maxImageBytes : maxDocumentBytes
    if (size > limit)
      return unsupportedMediaError(
        ctx,
        `the ${where} is ${megabytes(size)}, over Converse's ${image ? "3.75 MB per image" : "4.5 MB per document"}`,
        image ? "make it smaller (fewer pixels, or JPEG/WebP)" : "split the document or make it smaller"
      )
    const bytes = bytesOf(data)
    if (image) blocks.push({ image: { format: imageFormats[part.mediaType]!, source: { bytes } } })
    else
      blocks.push({
        document: {
          format: part.mediaType === "application/pdf" ? "pdf" : "txt",
          name: documentName(part.filename, names),
          source: { bytes }
        }
      })
    addCachePoint(blocks, part.providerOptions)
  }
  return blocks
}

/**
 * Converse refuses a message with a document and no text block: the name of the first document in such
 * a message (the names are unique within the request), or undefined.
 */
const documentWithoutText = (messages: ReadonlyArray<BedrockMessage>): string | undefined => {
  for (const message of messages) {
    const blocks = message.content ?? []
    const document = blocks.find((block) => block.document !== undefined)?.document
    if (document !== undefined && !blocks.some((block) => block.text !== undefined && block.text.trim() !== ""))
      return document.name
  }
  return undefined
}

const hasToolBlocks = (messages: ReadonlyArray<BedrockMessage>) =>
  messages.some((message) => (message.content ?? []).some((block) => block.toolUse ?? block.toolResult))

const toolChoiceFor = (choice: ChatRequest["toolChoice"]): ToolChoice | undefined =>
  choice === undefined || choice === "none"
    ? undefined
    : choice === "auto"
      ? { auto: {} }
      : choice === "required"
        ? { any: {} }
        : { tool: { name: choice.tool } }

/**
 * The request's tools as Converse's `toolConfig`, or why Bedrock cannot take them. Converse requires a
 * toolConfig whenever the history has toolUse/toolResult blocks, and has no "none" choice: "none" is
 * met by sending no tools at all, which only works while the history has no tool blocks.
 */
const toolConfigFor = (
  request: ChatRequest,
  messages: ReadonlyArray<BedrockMessage>,
  ctx: CallContext
): ToolConfiguration | undefined | InvalidRequestError => {
  const tools = request.tools ?? []
  const historyHasTools = hasToolBlocks(messages)
  if (request.toolChoice === "none") {
    if (!historyHasTools) return undefined
    return unsupportedToolsError(
      ctx,
      'toolChoice "none" cannot be sent with tool calls in the history (Converse has no "none" choice and needs the tools defined for such a history)',
      'leave toolChoice out (or "auto") and ignore any tool call, or end the tool loop before asking for a text-only answer'
    )
  }
  if (tools.length === 0) {
    if (!historyHasTools) return undefined
    return unsupportedToolsError(
      ctx,
      "the history has tool calls or results but the request defines no tools (Converse requires toolConfig with such a history)",
      "pass the same request.tools as in the turns that made those calls"
    )
  }
  const toolChoice = toolChoiceFor(request.toolChoice)
  return {
    // A tool's cache point is an entry of its own right after it.
    tools: tools.flatMap(
      (tool): Array<Tool> => [
        {
          toolSpec: {
            name: tool.name,
            ...(tool.description !== undefined ? { description: tool.description } : {}),
            inputSchema: { json: asDocument(tool.parameters) }
          }
        },
        ...(wantsCachePoint(tool.providerOptions) ? [cachePointBlock] : [])
      ]
    ),
    ...(toolChoice !== undefined ? { toolChoice } : {})
  }
}

/**
 * Structured output: Converse takes the JSON Schema as a JSON string, and a name (ours is optional).
 * Objects are closed first, as for Anthropic: Claude on Bedrock has the same rule.
 */
const outputConfigFor = (format: ResponseFormat): OutputConfig => ({
  textFormat: {
    type: "json_schema",
    structure: {
      jsonSchema: { schema: JSON.stringify(closeObjects(format.schema)), name: format.name ?? "response" }
    }
  }
})

/**
 * System messages become Converse `system` blocks. Consecutive messages of one role are merged into one
 * Bedrock message (several blocks), because Converse rejects conversations that do not alternate; role
 * "tool" messages are Bedrock "user" messages, so every result answering one assistant turn lands in one
 * user message. Empty texts are dropped, because Converse rejects blank text blocks. Images and files of
 * user messages become `image` and `document` blocks with their bytes. A request Bedrock cannot take
 * (tools it has no form for, media by URL, over its size limits, a document without text beside it) is
 * an `InvalidRequestError`, returned before any network call.
 */
export const toConverseInput = (
  request: ChatRequest,
  model: string,
  ctx: CallContext
): ConverseCommandInput | InvalidRequestError => {
  const system: Array<SystemContentBlock> = []
  const messages: Array<BedrockMessage> = []
  // Document names used so far (lower-cased): only requests with media ever make it.
  let names: Set<string> | undefined
  for (const [index, message] of (request.messages as ReadonlyArray<Message>).entries()) {
    if (message.role === "system") {
      // Only text parts reach here (core validation): its blocks are texts and cache points.
      system.push(...(contentBlocks(message) as Array<SystemContentBlock>))
      continue
    }
    let content: Array<ContentBlock>
    if (message.role === "user" && hasMedia(message.content)) {
      names ??= new Set()
      const blocks = userMediaBlocks(message.content, index, names, ctx)
      if (blocks instanceof InvalidRequestError) return blocks
      content = blocks
      addCachePoint(content, message.providerOptions)
    } else content = contentBlocks(message)
    if (content.length === 0) continue
    const role = message.role === "assistant" ? "assistant" : "user"
    const last = messages.at(-1)
    if (last?.role === role) last.content = [...(last.content ?? []), ...content]
    else messages.push({ role, content })
  }
  if (names !== undefined && names.size > 0) {
    const bare = documentWithoutText(messages)
    if (bare !== undefined)
      return unsupportedMediaError(
        ctx,
        `the document "${bare}" is in a user turn without text, and Converse requires a text block beside a document`,
        "add a text part to its user message (what to do with the document, say)"
      )
  }
  const toolConfig = toolConfigFor(request, messages, ctx)
  if (toolConfig instanceof InvalidRequestError) return toolConfig
  if (isClaude(model)) {
    // Bedrock turns cache points into Claude's cache_control, whose limit is 4 per request.
    const points = [system, ...messages.map((m) => m.content ?? []), toolConfig?.tools ?? []]
      .flat()
      .filter((block) => block.cachePoint !== undefined).length
    if (points > maxClaudeCachePoints)
      return new InvalidRequestError({
        provider: ctx.provider,
        model,
        message: `bedrock model ${model}: the request has ${points} cache points (providerOptions.bedrock.cachePoint); Claude on Bedrock takes at most ${maxClaudeCachePoints}: keep the last one of each prefix you reuse`
      })
  }
  let maxTokens = request.maxTokens
  let additionalModelRequestFields: { thinking: { type: "enabled"; budget_tokens: number } } | undefined
  if (request.reasoning !== undefined) {
    if (!isClaude(model))
      return new InvalidRequestError({
        provider: ctx.provider,
        model,
        message: `bedrock model ${model}: request.reasoning is sent only to Claude models on Bedrock (Converse has no common reasoning control; other families take their own additionalModelRequestFields); leave reasoning out for this model or use an anthropic.claude model`
      })
    if (thinkingAllowed(messages)) {
      // Bedrock has no default max_tokens to raise from: Anthropic's default for Claude 4 is used.
      const config = anthropicThinking(request, maxTokens ?? 16_384, ctx)
      if (config instanceof InvalidRequestError) return config
      maxTokens = config.maxTokens
      additionalModelRequestFields = { thinking: config.thinking }
    }
  }
  const inferenceConfig = {
    ...(maxTokens !== undefined ? { maxTokens } : {}),
    ...(request.temperature !== undefined ? { temperature: request.temperature } : {}),
    ...(request.topP !== undefined ? { topP: request.topP } : {}),
    ...(request.stop !== undefined && request.stop.length > 0 ? { stopSequences: [...request.stop] } : {})
  }
  return {
    modelId: model,
    messages,
    ...(system.length > 0 ? { system } : {}),
    ...(Object.keys(inferenceConfig).length > 0 ? { inferenceConfig } : {}),
    ...(toolConfig !== undefined ? { toolConfig } : {}),
    ...(request.responseFormat !== undefined ? { outputConfig: outputConfigFor(request.responseFormat) } : {}),
    ...(additionalModelRequestFields !== undefined
      ? { additionalModelRequestFields: asDocument(additionalModelRequestFields) }
      : {})
  }
}

// ---------------------------------------------------------------------------------------------------
// Responses

/** The toolUse blocks of a Converse answer as tool calls, in order; undefined when there are none. */
export const toolCallsFromContent = (content: ReadonlyArray<ContentBlock>): ReadonlyArray<ToolCall> | undefined => {
  const calls = content.flatMap((block) =>
    block.toolUse === undefined
      ? []
      : [toolCallFromValue(block.toolUse.toolUseId ?? "", block.toolUse.name ?? "", block.toolUse.input)]
  )
  return calls.length > 0 ? calls : undefined
}

export const finishReasonFromStop = (stopReason: StopReason | string | undefined): FinishReason => {
  switch (stopReason) {
    case "end_turn":
    case "stop_sequence":
      return "stop"
    case "max_tokens":
    case "model_context_window_exceeded":
      return "length"
    case "tool_use":
      return "tool-calls"
    case "content_filtered":
    case "guardrail_intervened":
      return "content-filter"
    default:
      return "other"
  }
}

/**
 * Bedrock's `inputTokens` EXCLUDES the cached part of the prompt: the recorded
 * test_bedrock_cache_usage_includes_cache_tokens exchange has inputTokens 13, cacheReadInputTokens 1504,
 * outputTokens 5 and totalTokens 1522 (= 13 + 1504 + 5), and the cache-write recordings add up the same
 * way. The domain's `inputTokens` counts ALL input once, so reads and writes are added back here.
 * Bedrock reports no reasoning token count (reasoning is inside `outputTokens`), so `reasoningTokens`
 * stays 0.
 */
export const usageFromBedrock = (usage: TokenUsage | undefined): Usage => {
  const cacheReadTokens = usage?.cacheReadInputTokens ?? 0
  const cacheWriteTokens = usage?.cacheWriteInputTokens ?? 0
  return {
    inputTokens: (usage?.inputTokens ?? 0) + cacheReadTokens + cacheWriteTokens,
    outputTokens: usage?.outputTokens ?? 0,
    cacheReadTokens,
    cacheWriteTokens,
    reasoningTokens: 0
  }
}

// ---------------------------------------------------------------------------------------------------
// Errors

interface AwsErrorLike {
  readonly name?: string
  readonly message?: string
  readonly $metadata?: { readonly httpStatusCode?: number; readonly requestId?: string }
  readonly $response?: { readonly headers?: Readonly<Record<string, string | undefined>> }
}

const contextOverflowPattern =
  /too long|too large|context window|context length|exceeds? (the )?(model'?s? )?(context|maximum)|max(imum)?[ _]?tokens?\b.*exceed|exceed.*max(imum)?[ _]?tokens?/i
const unknownModelPattern = /model identifier is invalid|model id(entifier)? .*(not found|does not exist|is not valid)/i
// The bare id of a model that is only served through an inference profile ("us.anthropic...").
const needsProfilePattern = /on-demand throughput isn.?t supported|inference profile/i

const authErrorNames = new Set([
  "AccessDeniedException",
  "UnrecognizedClientException",
  "ExpiredTokenException",
  "ExpiredToken",
  "InvalidSignatureException",
  "IncompleteSignatureException",
  "InvalidClientTokenId",
  "MissingAuthenticationTokenException",
  "SignatureDoesNotMatch",
  "CredentialsProviderError",
  "TokenProviderError"
])
const unavailableErrorNames = new Set([
  "ServiceUnavailableException",
  "InternalServerException",
  "ModelStreamErrorException",
  "ModelErrorException"
])
const rateLimitErrorNames = new Set(["ThrottlingException", "ModelNotReadyException", "ServiceQuotaExceededException"])

/** One SDK failure -> one `LLMError` (docs/ARCHITECTURE.md, "Errors"). */
export interface BedrockErrorContext {
  /** Masks the static keys in messages (`redactor`). */
  readonly redact: (text: string) => string
  /** Where credentials come from, named in authentication errors ("profile x", "static keys", ...). */
  readonly credentialSource: string
  /** The request id of the stream response: exceptions inside an event stream carry no `$metadata`. */
  readonly streamRequestId?: string | undefined
}

export const bedrockError = (ctx: CallContext, error: unknown, about: BedrockErrorContext): LLMError => {
  if (isLLMError(error)) return error
  const aws = (typeof error === "object" && error !== null ? error : {}) as AwsErrorLike
  const name = aws.name ?? ""
  const rawMessage = about.redact(aws.message ?? String(error))
  const status = aws.$metadata?.httpStatusCode
  const requestId = aws.$metadata?.requestId ?? about.streamRequestId
  const base = {
    provider,
    model: ctx.model,
    ...(status !== undefined && status >= 400 ? { status } : {}),
    ...(requestId !== undefined ? { requestId } : {})
  }
  const where = `bedrock model ${ctx.model}`
  const said = rawMessage ? `: ${rawMessage}` : ""

  if (rateLimitErrorNames.has(name)) {
    const headers = aws.$response?.headers
    const retryAfterMs = headers ? retryAfterMsFromHeaders((header) => headers[header]) : undefined
    return new RateLimitError({
      ...base,
      ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
      message: `${where} is rate limited (${name})${said}`
    })
  }
  if (unavailableErrorNames.has(name))
    return new ProviderUnavailableError({ ...base, message: `${where} is unavailable (${name})${said}` })
  if (name === "ModelTimeoutException")
    return new TimeoutError({ ...base, message: `${where} timed out while processing the request${said}` })
  // Recorded real 400s sometimes lack x-amzn-errortype (test_bedrock_error__0): the SDK cannot name them,
  // so any 400 the SDK could not name ("Unknown") is read like a ValidationException, from its message.
  const unnamed400 = status === 400 && name === "Unknown"
  if (name === "ValidationException" || unnamed400) {
    if (unknownModelPattern.test(rawMessage))
      return new ModelNotFoundError({
        ...base,
        suggestions: [],
        message: `${where} not found${said}. Check the model id (\`llm-orchestrator models bedrock\` lists them)`
      })
    if (needsProfilePattern.test(rawMessage))
      return new ModelNotFoundError({
        ...base,
        suggestions: [],
        message: `${where} cannot be called directly${said}. Use its inference profile id (e.g. us.${ctx.model})`
      })
    if (contextOverflowPattern.test(rawMessage))
      return new ContextLengthExceededError({
        ...base,
        message: `${where}: the prompt is longer than the model's context window${said}. Shorten the messages or use a model with a larger context`
      })
    return new InvalidRequestError({ ...base, message: `${where} rejected the request (ValidationException)${said}` })
  }
  if (authErrorNames.has(name))
    return new AuthenticationError({
      ...base,
      message: `${where}: AWS authentication failed with ${about.credentialSource} (${name})${said}. Check providers.bedrock.profile / access keys (or the default AWS credential chain) and the IAM permissions for Bedrock`
    })
  if (name === "ResourceNotFoundException")
    return new ModelNotFoundError({
      ...base,
      suggestions: [],
      message: `${where} not found${said}. Check the model id (\`llm-orchestrator models bedrock\` lists them)`
    })
  if (name === "AbortError")
    // Only reachable when something other than our own interruption aborted the request.
    return new NetworkError({ ...base, message: `${where}: the request was aborted${said}` })
  if (connectionErrorCode(error) !== undefined || status === undefined || status < 400)
    // No HTTP error status: a refused/reset connection, a cut stream, or a body/frame that cannot be read
    // (bad JSON, a wrong event-stream CRC).
    return new NetworkError({
      ...base,
      message: `${where}: the connection failed or the response was unreadable${said}`
    })
  return errorFromHttp(ctx, { status, message: rawMessage, requestId })
}

// ---------------------------------------------------------------------------------------------------
// Model listing

const foundationModelId = (arn: string | undefined) => arn?.split("foundation-model/")[1]

/**
 * Chat-capable models: text output, callable ON_DEMAND under their own id; a model that needs an
 * inference profile (and every cross-region profile of a text model) is listed under the profile id.
 */
export const modelsFromListings = (
  foundation: ReadonlyArray<FoundationModelSummary>,
  profiles: ReadonlyArray<InferenceProfileSummary>
): ReadonlyArray<ModelInfo> => {
  const textModels = new Map<string, FoundationModelSummary>()
  for (const model of foundation) {
    // The SDK's InferenceType enum predates INFERENCE_PROFILE; the service sends it as a plain string.
    const types: ReadonlyArray<string> = model.inferenceTypesSupported ?? []
    if (!model.modelId || !(model.outputModalities ?? []).includes("TEXT")) continue
    if (types.includes("ON_DEMAND") || types.includes("INFERENCE_PROFILE")) textModels.set(model.modelId, model)
  }
  const out = new Map<string, ModelInfo>()
  for (const model of textModels.values()) {
    if (!(model.inferenceTypesSupported ?? []).includes("ON_DEMAND")) continue
    out.set(model.modelId ?? "", {
      id: model.modelId ?? "",
      provider,
      ...(model.modelName ? { displayName: model.modelName } : {}),
      ...(model.modelLifecycle?.status === "LEGACY" ? { deprecated: true } : {})
    })
  }
  for (const profile of profiles) {
    if (!profile.inferenceProfileId || (profile.status !== undefined && profile.status !== "ACTIVE")) continue
    const underlying = (profile.models ?? [])
      .map((m) => textModels.get(foundationModelId(m.modelArn) ?? ""))
      .find((m) => m !== undefined)
    if (!underlying || out.has(profile.inferenceProfileId)) continue
    const displayName = profile.inferenceProfileName ?? underlying.modelName
    out.set(profile.inferenceProfileId, {
      id: profile.inferenceProfileId,
      provider,
      ...(displayName ? { displayName } : {}),
      ...(underlying.modelLifecycle?.status === "LEGACY" ? { deprecated: true } : {})
    })
  }
  return [...out.values()]
}
