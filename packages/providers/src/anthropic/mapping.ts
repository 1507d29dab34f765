/**
 * Tool calls on the Anthropic Messages wire: tool definitions and `tool_choice`, a history's tool calls
 * as assistant `tool_use` blocks and its tool results as `tool_result` blocks of one user message, and
 * the `tool_use` blocks of an answer as tool calls; the structured-output format; images and files
 * of user messages as `image` and `document` blocks; and prompt-caching markers as `cache_control`.
 *
 * Anthropic pairs calls and results strictly: every `tool_use` of an assistant message is answered by a
 * `tool_result` at the start of the very next (user) message, and nothing else. A history that breaks
 * the pairing is refused here, with the fix, rather than by the API after a network round trip.
 */
import type AnthropicSdk from "@anthropic-ai/sdk"
import {
  type ChatRequest,
  type ContentPart,
  type InvalidRequestError,
  type Message,
  messageText,
  type ProviderOptions,
  type ReasoningPart,
  type ResponseFormat,
  type ToolCall,
  type ToolCallPart,
  type ToolChoice,
  type ToolDefinition,
  type ToolResultPart
} from "@llm-orchestrator/core"
import {
  base64Of,
  type CallContext,
  closeObjects,
  contentParts,
  hasMedia,
  hasOptions,
  hasWireParts,
  isMediaPart,
  isOwnReasoning,
  type MediaPart,
  mediaWhere,
  megabytes,
  partOptions,
  textOf,
  thinkingPart,
  toolCallFromValue,
  toolCallIdFor,
  toolResultText,
  unsupportedMediaError,
  unsupportedToolsError
} from "../kit/index.ts"

type MessageParam = AnthropicSdk.MessageParam
type BlockParam = AnthropicSdk.ContentBlockParam

/** Anthropic's tool-use ids: `^[a-zA-Z0-9_-]+$`; 64 keeps every id another provider made readable. */
const idLength = 64
const wireId = (id: string) => toolCallIdFor(id, idLength)

// ---------------------------------------------------------------------------------------------------
// Prompt caching: `providerOptions.anthropic.cacheControl` (other types' options are not read here).

/** The cache breakpoint that options ask of Anthropic, as the wire's `cache_control`. */
export const cacheControlOf = (
  options: ProviderOptions | undefined
): AnthropicSdk.CacheControlEphemeral | undefined => {
  const marker = options?.anthropic?.cacheControl
  return marker === undefined
    ? undefined
    : { type: marker.type, ...(marker.ttl !== undefined ? { ttl: marker.ttl } : {}) }
}

const hasCacheMarkers = (message: Message) => hasOptions(message, cacheControlOf)

/** Thinking blocks cannot carry `cache_control`; every other block the adapter sends can. */
const cacheable = (block: BlockParam) => block.type !== "thinking" && block.type !== "redacted_thinking"

const withCache = <B extends BlockParam | AnthropicSdk.TextBlockParam>(
  block: B,
  marker: AnthropicSdk.CacheControlEphemeral | undefined
): B => (marker === undefined || !cacheable(block) ? block : { ...block, cache_control: marker })

/** A message's marker goes on its last block that can carry one (the blocks of that message only). */
const markLast = <B extends BlockParam>(blocks: Array<B>, message: Message): Array<B> => {
  const marker = cacheControlOf(message.providerOptions)
  const at = marker === undefined ? -1 : blocks.findLastIndex(cacheable)
  if (at !== -1) blocks[at] = withCache(blocks[at]!, marker)
  return blocks
}

/**
 * The system messages as `system`: the joined text, or text blocks (one per text part) when a system
 * message or part carries a cache marker, so the marker has a block to go on. Undefined without text.
 */
export const systemOf = (request: ChatRequest): string | Array<AnthropicSdk.TextBlockParam> | undefined => {
  const systems = request.messages.filter((m) => m.role === "system")
  if (!systems.some(hasCacheMarkers)) return systems.map(messageText).join("\n\n") || undefined
  return systems.flatMap((message) =>
    markLast(
      contentParts(message).flatMap(
        (part): Array<AnthropicSdk.TextBlockParam> =>
          part.type === "text" && part.text !== ""
            ? [withCache({ type: "text", text: part.text }, cacheControlOf(partOptions(part)))]
            : []
      ),
      message
    )
  )
}

const toolOf = (tool: ToolDefinition): AnthropicSdk.Tool => ({
  name: tool.name,
  ...(tool.description !== undefined ? { description: tool.description } : {}),
  // Core validation guarantees an object schema (`type: "object"`), the one shape Anthropic takes.
  input_schema: tool.parameters as AnthropicSdk.Tool.InputSchema,
  ...optionalCache(cacheControlOf(tool.providerOptions))
})

const optionalCache = (marker: AnthropicSdk.CacheControlEphemeral | undefined) =>
  marker === undefined ? {} : { cache_control: marker }

/**
 * The request-level marker: Anthropic's automatic caching (top-level `cache_control`, on the SDK's
 * `MessageCreateParams` since 1.x), which puts the breakpoint on the last cacheable block itself.
 */
export const requestCacheOf = (request: ChatRequest) => optionalCache(cacheControlOf(request.providerOptions))

const toolChoiceOf = (choice: ToolChoice): AnthropicSdk.ToolChoice =>
  choice === "auto"
    ? { type: "auto" }
    : choice === "none"
      ? { type: "none" }
      : choice === "required"
        ? { type: "any" }
        : { type: "tool", name: choice.tool }

/** `tools` and `tool_choice` of the request, each only when the request sets it. */
export const toolParams = (
  request: ChatRequest
): { tools?: Array<AnthropicSdk.Tool>; tool_choice?: AnthropicSdk.ToolChoice } => ({
  ...(request.tools !== undefined ? { tools: request.tools.map(toolOf) } : {}),
  ...(request.toolChoice !== undefined ? { tool_choice: toolChoiceOf(request.toolChoice) } : {})
})

/**
 * Structured output: Anthropic constrains the answer to the schema through `output_config.format`
 * (generally available, no beta header). The answer is then one text block holding the JSON. Objects
 * are closed first: Anthropic refuses a schema whose objects allow unlisted keys.
 */
export const outputConfigOf = (format: ResponseFormat): AnthropicSdk.OutputConfig => ({
  format: { type: "json_schema", schema: closeObjects(format.schema) as Record<string, unknown> }
})

/**
 * An assistant message's thinking (Anthropic's own, sent back unchanged with its signature; another
 * provider's is dropped), text (the API refuses empty text blocks) and calls, in order.
 */
const assistantBlocks = (parts: ReadonlyArray<ContentPart>): Array<BlockParam> =>
  parts.flatMap((part): Array<BlockParam> => {
    if (part.type === "text")
      return part.text === ""
        ? []
        : [withCache({ type: "text", text: part.text }, cacheControlOf(part.providerOptions))]
    if (part.type === "reasoning") {
      if (!isOwnReasoning(part, source)) return []
      return part.redacted !== undefined
        ? [{ type: "redacted_thinking", data: part.redacted }]
        : [{ type: "thinking", thinking: part.text, signature: part.signature ?? "" }]
    }
    // Core validation keeps tool results out of assistant messages: the rest are calls.
    const call = part as ToolCallPart
    return [
      withCache(
        { type: "tool_use", id: wireId(call.id), name: call.name, input: call.arguments },
        cacheControlOf(call.providerOptions)
      )
    ]
  })

/** The provider type a reasoning part of this adapter names (its signatures are valid only here). */
export const source = "anthropic"

/** The thinking and redacted-thinking blocks of an answer, as reasoning parts. */
export const reasoningPartsOf = (content: ReadonlyArray<AnthropicSdk.ContentBlock>): Array<ReasoningPart> =>
  content.flatMap((block) =>
    block.type === "thinking"
      ? [thinkingPart(source, block.thinking, block.signature)]
      : block.type === "redacted_thinking"
        ? [thinkingPart(source, "", undefined, block.data)]
        : []
  )

/**
 * Whether thinking can be on for these messages: with thinking on, Anthropic wants the last assistant
 * message to start with a thinking block when it called tools (the tool loop in progress). After a
 * fallback from another provider that message has none (another type's reasoning is dropped), so
 * thinking is left off for that request rather than refused.
 */
export const thinkingAllowed = (messages: ReadonlyArray<MessageParam>): boolean => {
  for (let i = messages.length - 1; i >= 0; i--) {
    const message = messages[i]!
    if (message.role !== "assistant") continue
    const blocks = blocksOf(message)
    if (!blocks.some((block) => block.type === "tool_use")) return true
    const first = blocks[0]?.type
    return first === "thinking" || first === "redacted_thinking"
  }
  return true
}

/**
 * Anthropic's limit per image, measured on the base64 text (its 400 says "image exceeds 5 MB maximum:
 * N bytes > 5242880 bytes" with N the base64 length): about 3.75 MB of image bytes.
 */
export const maxImageBase64 = 5 * 1024 * 1024

/**
 * An image or a file as an Anthropic block: `image` with a base64 or url source, a PDF as a `document`
 * with a base64 or url source, a text file as a `document` with a text source (its UTF-8 text). A
 * filename becomes the document's title. What Anthropic cannot take is named for the caller to refuse:
 * an inline image over its size limit, a text file by URL.
 */
const mediaBlock = (part: MediaPart): BlockParam | "too-large" | "text-url" => {
  const data = part.data
  if (part.type === "image") {
    if (data instanceof URL) return { type: "image", source: { type: "url", url: data.href } }
    const base64 = base64Of(data)
    if (base64.length > maxImageBase64) return "too-large"
    return {
      type: "image",
      source: {
        type: "base64",
        media_type: part.mediaType as AnthropicSdk.Base64ImageSource["media_type"],
        data: base64
      }
    }
  }
  const title = part.filename !== undefined ? { title: part.filename } : {}
  if (part.mediaType === "text/plain") {
    // Anthropic's url source is for PDFs only; a text file goes as its text.
    if (data instanceof URL) return "text-url"
    return { type: "document", source: { type: "text", media_type: "text/plain", data: textOf(data) }, ...title }
  }
  return data instanceof URL
    ? { type: "document", source: { type: "url", url: data.href }, ...title }
    : {
        type: "document",
        source: { type: "base64", media_type: "application/pdf", data: base64Of(data) },
        ...title
      }
}

/**
 * A user message with images, files or cache markers: its blocks in order (empty texts dropped, a part's
 * marker on its block; an empty text has no block and so no marker), or the refusal.
 */
const userBlocks = (
  parts: ReadonlyArray<ContentPart>,
  messageIndex: number,
  ctx: CallContext
): Array<BlockParam> | InvalidRequestError => {
  const blocks: Array<BlockParam> = []
  for (const [index, part] of parts.entries()) {
    if (part.type === "text") {
      if (part.text !== "")
        blocks.push(withCache({ type: "text", text: part.text }, cacheControlOf(part.providerOptions)))
      continue
    }
    if (!isMediaPart(part)) continue
    const block = mediaBlock(part)
    if (block === "too-large")
      return unsupportedMediaError(
        ctx,
        `the ${mediaWhere(part, messageIndex, index)} is ${megabytes(base64Of(part.data as string | Uint8Array).length)} as base64, over Anthropic's 5 MB per image (about 3.75 MB of bytes)`,
        "make it smaller (fewer pixels, or JPEG/WebP), or pass a URL Anthropic can fetch"
      )
    if (block === "text-url")
      return unsupportedMediaError(
        ctx,
        `the ${mediaWhere(part, messageIndex, index)} is a URL, and Anthropic fetches only PDFs and images by URL`,
        "pass the text file's bytes (its text is sent)"
      )
    blocks.push(withCache(block, cacheControlOf(part.providerOptions)))
  }
  return blocks
}

/** A role "tool" message: core validation guarantees its content is tool-result parts only. */
const resultBlocks = (message: Message): Array<BlockParam> =>
  (message.content as ReadonlyArray<ToolResultPart>).map((part) => ({
    type: "tool_result",
    tool_use_id: wireId(part.id),
    content: toolResultText(part.result),
    ...(part.isError !== undefined ? { is_error: part.isError } : {}),
    ...optionalCache(cacheControlOf(part.providerOptions))
  }))

const blocksOf = (message: MessageParam | undefined): ReadonlyArray<BlockParam> =>
  message === undefined || typeof message.content === "string" ? [] : message.content

/** A user message that holds tool results (and what joined it): the next results and user text join it. */
const isResultMessage = (message: MessageParam | undefined) =>
  message?.role === "user" && blocksOf(message)[0]?.type === "tool_result"

/**
 * The conversation as Anthropic messages (system messages go to `system` elsewhere). Messages without
 * tool parts keep the plain string form; consecutive role "tool" messages become one user message of
 * `tool_result` blocks, and a user message right after them joins it as text after the results. A user
 * message with images, files or cache markers is a list of blocks (joining the results the same way);
 * media Anthropic cannot take is refused here. A message's cache marker goes on its last block.
 */
export const toMessages = (request: ChatRequest, ctx: CallContext): Array<MessageParam> | InvalidRequestError => {
  const messages: Array<MessageParam> = []
  for (const [index, message] of request.messages.entries()) {
    const last = messages.at(-1)
    if (message.role === "system") continue
    if (message.role === "tool") {
      const results = markLast(resultBlocks(message), message)
      if (isResultMessage(last) && blocksOf(last).every((block) => block.type === "tool_result"))
        (last!.content as Array<BlockParam>).push(...results)
      else messages.push({ role: "user", content: results })
    } else if (message.role === "user" && (hasMedia(message.content) || hasCacheMarkers(message))) {
      const blocks = userBlocks(contentParts(message), index, ctx)
      if (!Array.isArray(blocks)) return blocks
      markLast(blocks, message)
      if (isResultMessage(last)) (last!.content as Array<BlockParam>).push(...blocks)
      else messages.push({ role: "user", content: blocks })
    } else if (message.role === "user" && isResultMessage(last)) {
      const text = messageText(message)
      if (text !== "") (last!.content as Array<BlockParam>).push({ type: "text", text })
    } else if (message.role === "assistant" && (hasWireParts(message.content, source) || hasCacheMarkers(message)))
      messages.push({ role: "assistant", content: markLast(assistantBlocks(contentParts(message)), message) })
    else messages.push({ role: message.role, content: messageText(message) })
  }
  return pairingError(messages, ctx) ?? messages
}

/** The first break of Anthropic's call/result pairing in `messages`, as a refusal saying how to fix it. */
const pairingError = (messages: ReadonlyArray<MessageParam>, ctx: CallContext): InvalidRequestError | undefined => {
  for (const [index, message] of messages.entries()) {
    const blocks = blocksOf(message)
    if (message.role === "assistant") {
      const answered = new Set(
        blocksOf(messages[index + 1]).flatMap((block) => (block.type === "tool_result" ? [block.tool_use_id] : []))
      )
      const unanswered = blocks.filter((block) => block.type === "tool_use" && !answered.has(block.id))
      if (unanswered.length > 0)
        return unsupportedToolsError(
          ctx,
          `the tool call(s) ${unanswered.map((block) => (block as AnthropicSdk.ToolUseBlockParam).name).join(", ")} of an assistant message have no result right after it`,
          'Anthropic needs every call of an assistant message answered by role "tool" messages immediately after it: add the missing results (isError: true for a tool that did not run)'
        )
      continue
    }
    const previous = blocksOf(messages[index - 1])
    const orphan = blocks.find(
      (block) =>
        block.type === "tool_result" &&
        !previous.some((call) => call.type === "tool_use" && call.id === block.tool_use_id)
    )
    if (orphan !== undefined)
      return unsupportedToolsError(
        ctx,
        "a tool result does not directly follow the assistant message whose call it answers",
        'Anthropic takes results only right after their call: move the role "tool" message up to it, before any other message'
      )
  }
  return undefined
}

/** The client tool calls of an answer, in order; server tools (`server_tool_use`) run at Anthropic and are not ours. */
export const toolCallsOf = (content: ReadonlyArray<AnthropicSdk.ContentBlock>): Array<ToolCall> =>
  content.flatMap((block) => (block.type === "tool_use" ? [toolCallFromValue(block.id, block.name, block.input)] : []))
