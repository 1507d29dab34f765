/**
 * The Anthropic Messages API simulator (docs/ARCHITECTURE.md, "Providers on the wire"): `POST /v1/messages` plain and SSE,
 * `GET /v1/models` with cursor pagination, and the API's real error bodies and headers. Usage in a
 * `RenderContext` is normalised (docs/ARCHITECTURE.md, "Domain"); it is rendered here in Anthropic's wire form, where
 * `input_tokens` EXCLUDES cache reads and writes, so the provider adapter's normalisation is tested.
 */
import type { FinishReason, Usage } from "@llm-orchestrator/core"
import type { Effect, Scope } from "effect"
import { decodeBase64, isHttpUrl } from "./media.ts"
import { firstLooseObject, isJsonObject } from "./schema.ts"
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
  type Frame,
  type IncomingCall,
  json,
  type ProtocolAdapter,
  type RenderContext,
  type Route,
  Simulator,
  type SimulatorOptions,
  scopedSimulator,
  sse,
  type WireResponse
} from "./server.ts"

/** The page size of `GET /v1/models` when the client sends no `limit` (the real API's default). */
export const anthropicDefaultPageSize = 20

const created = (daysAgo: number) => new Date(Date.UTC(2026, 10, 1) - daysAgo * 86_400_000).toISOString()

/**
 * Realistic model ids (the 1.x SDK's `Model` union), newest first as the API lists them. The one
 * `chat: false` entry is rendered as a retired model: Anthropic lists only Claude chat models, and a
 * retired one is the listed model that cannot serve a request.
 */
export const defaultAnthropicModels: ReadonlyArray<SimModel> = [
  { id: "claude-opus-5-5", displayName: "Claude Opus 5.5", contextWindow: 1_000_000, maxOutputTokens: 128_000 },
  { id: "claude-sonnet-5-5", displayName: "Claude Sonnet 5.5", contextWindow: 1_000_000, maxOutputTokens: 128_000 },
  { id: "claude-haiku-5-5", displayName: "Claude Haiku 5.5", contextWindow: 400_000, maxOutputTokens: 64_000 },
  { id: "claude-fable-5-2", displayName: "Claude Fable 5.2", contextWindow: 1_000_000, maxOutputTokens: 128_000 },
  { id: "claude-opus-5", displayName: "Claude Opus 5", contextWindow: 1_000_000, maxOutputTokens: 128_000 },
  { id: "claude-sonnet-5", displayName: "Claude Sonnet 5", contextWindow: 1_000_000, maxOutputTokens: 64_000 },
  { id: "claude-opus-4-8", displayName: "Claude Opus 4.8", contextWindow: 1_000_000, maxOutputTokens: 128_000 },
  { id: "claude-opus-4-6", displayName: "Claude Opus 4.6", contextWindow: 200_000, maxOutputTokens: 128_000 },
  { id: "claude-sonnet-4-6", displayName: "Claude Sonnet 4.6", contextWindow: 200_000, maxOutputTokens: 64_000 },
  {
    id: "claude-haiku-4-5-20251001",
    displayName: "Claude Haiku 4.5",
    contextWindow: 200_000,
    maxOutputTokens: 64_000
  },
  {
    id: "claude-sonnet-4-5-20250929",
    displayName: "Claude Sonnet 4.5",
    contextWindow: 200_000,
    maxOutputTokens: 64_000
  },
  { id: "claude-3-haiku-20240307", displayName: "Claude Haiku 3", contextWindow: 200_000, maxOutputTokens: 4_096 },
  { id: "claude-2.1", displayName: "Claude 2.1", contextWindow: 200_000, maxOutputTokens: 4_096, chat: false }
]

const stopReasons: Record<FinishReason, string> = {
  stop: "end_turn",
  length: "max_tokens",
  "tool-calls": "tool_use",
  "content-filter": "refusal",
  other: "pause_turn",
  error: "end_turn"
}

const errorTypeByStatus: Record<number, string> = {
  400: "invalid_request_error",
  401: "authentication_error",
  402: "billing_error",
  403: "permission_error",
  404: "not_found_error",
  413: "request_too_large",
  429: "rate_limit_error",
  500: "api_error",
  504: "timeout_error",
  529: "overloaded_error"
}

const faultStatus: Record<Exclude<FaultKind, "content-filter">, number> = {
  "rate-limit": 429,
  overloaded: 529,
  "server-error": 500,
  unavailable: 503,
  auth: 401,
  permission: 403,
  "model-not-found": 404,
  "context-length": 400,
  "invalid-request": 400
}

const contextWindowOf = (model: string): number =>
  defaultAnthropicModels.find((m) => m.id === model)?.contextWindow ?? 200_000

const faultMessage = (fault: FaultKind, ctx: RenderContext): string => {
  switch (fault) {
    case "rate-limit":
      return "This request would exceed the rate limit for your organization of 50 requests per minute. For details, refer to: https://docs.claude.com/en/api/rate-limits."
    case "overloaded":
      return "Overloaded"
    case "server-error":
      return "Internal server error"
    case "unavailable":
      return "Service unavailable"
    case "auth":
      return "invalid x-api-key"
    case "permission":
      return "Your API key does not have permission to use the specified resource."
    case "model-not-found":
      return `model: ${ctx.model}`
    case "context-length": {
      const maximum = contextWindowOf(ctx.model)
      return `prompt is too long: ${maximum + ctx.usage.inputTokens} tokens > ${maximum} maximum`
    }
    case "invalid-request":
      return "messages: at least one message is required"
    case "content-filter":
      return "The request was refused."
  }
}

const errorType = (status: number): string =>
  errorTypeByStatus[status] ?? (status >= 500 ? "api_error" : "invalid_request_error")

const faultType = (fault: FaultKind): string =>
  fault === "content-filter" ? "invalid_request_error" : errorType(faultStatus[fault])

const errorBody = (type: string, message: string, requestId: string) => ({
  type: "error",
  error: { type, message },
  request_id: requestId
})

/** The usage object of a finished message: Anthropic's `input_tokens` excludes cache reads and writes. */
const wireUsage = (usage: Usage) => ({
  input_tokens: Math.max(0, usage.inputTokens - usage.cacheReadTokens - usage.cacheWriteTokens),
  cache_creation_input_tokens: usage.cacheWriteTokens,
  cache_read_input_tokens: usage.cacheReadTokens,
  cache_creation: {
    ephemeral_5m_input_tokens: usage.cacheWriteTokens - (usage.cacheWrite1hTokens ?? 0),
    ephemeral_1h_input_tokens: usage.cacheWrite1hTokens ?? 0
  },
  output_tokens: usage.outputTokens,
  // Present only when there was thinking, so adapters exercise both shapes seen in real traffic.
  ...(usage.reasoningTokens > 0 ? { output_tokens_details: { thinking_tokens: usage.reasoningTokens } } : {}),
  // Server tools (web search / fetch) report their requests; real traffic has it only when they ran.
  ...(usage.webSearches || usage.webFetches
    ? {
        server_tool_use: {
          web_search_requests: usage.webSearches ?? 0,
          web_fetch_requests: usage.webFetches ?? 0
        }
      }
    : {}),
  service_tier: "standard",
  inference_geo: "global"
})

const wantsStream = (call: IncomingCall): boolean =>
  typeof call.body === "object" && call.body !== null && (call.body as { stream?: unknown }).stream === true

const messageId = (ctx: RenderContext) => `msg_${ctx.requestId.slice(4)}`
const thinkingText = (ctx: RenderContext) =>
  ctx.reasoning ?? `The user asked me something; ${ctx.usage.reasoningTokens} tokens of thought.`
const signature = (ctx: RenderContext) => reasoningSignature("anthropic", thinkingText(ctx))
const hasThinking = (ctx: RenderContext) => ctx.reasoning !== undefined || ctx.usage.reasoningTokens > 0
/** The content index of the text block: after the thinking block when there is one. */
const textIndex = (ctx: RenderContext) => (hasThinking(ctx) ? 1 : 0)
const toolCallsOf = (ctx: RenderContext) => ctx.toolCalls ?? []
/** A reply that only calls tools has no text block, as the real API answers; otherwise one, even empty. */
const hasTextBlock = (ctx: RenderContext) => ctx.text !== "" || (!hasThinking(ctx) && toolCallsOf(ctx).length === 0)
/** The content index of a reply's `index`th tool call: after the thinking and text blocks. */
const toolIndex = (ctx: RenderContext, index: number) => textIndex(ctx) + (hasTextBlock(ctx) ? 1 : 0) + index

/** A tool call's id: the scripted one, or one in Anthropic's style (`toolu_01` and 22 characters). */
const toolUseId = (ctx: RenderContext, call: ScriptedToolCall, index: number) =>
  call.id ?? `toolu_01${ctx.requestId.slice(4, 24)}${String(index).padStart(2, "0")}`

/** A `tool_use` content block without its input (plain replies add it, streams send it as JSON deltas). */
const toolUseBlock = (ctx: RenderContext, call: ScriptedToolCall, index: number) => ({
  type: "tool_use",
  id: toolUseId(ctx, call, index),
  name: call.name,
  caller: { type: "direct" }
})

const refusalDetails = (ctx: RenderContext) =>
  ctx.finishReason === "content-filter"
    ? { stop_details: { type: "refusal", category: "general_harms", explanation: "The request was refused." } }
    : {}

const message = (ctx: RenderContext) => ({
  id: messageId(ctx),
  type: "message",
  role: "assistant",
  model: ctx.model,
  content: [
    ...(hasThinking(ctx) ? [{ type: "thinking", thinking: thinkingText(ctx), signature: signature(ctx) }] : []),
    ...(hasTextBlock(ctx) ? [{ type: "text", text: ctx.text }] : []),
    ...toolCallsOf(ctx).map((call, index) => ({ ...toolUseBlock(ctx, call, index), input: call.arguments }))
  ],
  stop_reason: stopReasons[ctx.finishReason],
  stop_sequence: null,
  ...refusalDetails(ctx),
  usage: wireUsage(ctx.usage)
})

const streamHeaders = (ctx: RenderContext) => ({
  "content-type": "text/event-stream; charset=utf-8",
  "cache-control": "no-cache",
  "request-id": ctx.requestId
})

const streamStart = (ctx: RenderContext): ReadonlyArray<Frame> => {
  const usage = wireUsage(ctx.usage)
  // message_start carries the input side; output_tokens is a placeholder the final message_delta replaces.
  const start = {
    type: "message_start",
    message: {
      id: messageId(ctx),
      type: "message",
      role: "assistant",
      model: ctx.model,
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage: {
        input_tokens: usage.input_tokens,
        cache_creation_input_tokens: usage.cache_creation_input_tokens,
        cache_read_input_tokens: usage.cache_read_input_tokens,
        cache_creation: usage.cache_creation,
        output_tokens: 1,
        service_tier: "standard"
      }
    }
  }
  const frames: Array<Frame> = [sse(start, "message_start")]
  if (hasThinking(ctx)) {
    frames.push(
      sse(
        { type: "content_block_start", index: 0, content_block: { type: "thinking", thinking: "", signature: "" } },
        "content_block_start"
      ),
      sse({ type: "ping" }, "ping")
    )
    const thought = thinkingText(ctx)
    const half = Math.ceil(thought.length / 2)
    for (const piece of [thought.slice(0, half), thought.slice(half)])
      frames.push(
        sse(
          { type: "content_block_delta", index: 0, delta: { type: "thinking_delta", thinking: piece } },
          "content_block_delta"
        )
      )
    frames.push(
      sse(
        { type: "content_block_delta", index: 0, delta: { type: "signature_delta", signature: signature(ctx) } },
        "content_block_delta"
      ),
      sse({ type: "content_block_stop", index: 0 }, "content_block_stop")
    )
  }
  if (hasTextBlock(ctx))
    frames.push(
      sse(
        { type: "content_block_start", index: textIndex(ctx), content_block: { type: "text", text: "" } },
        "content_block_start"
      )
    )
  if (!hasThinking(ctx)) frames.push(sse({ type: "ping" }, "ping"))
  return frames
}

const streamDelta = (ctx: RenderContext, text: string): Frame =>
  // The server sends the one empty piece of a reply without text: no text block, nothing to send.
  hasTextBlock(ctx)
    ? sse(
        { type: "content_block_delta", index: textIndex(ctx), delta: { type: "text_delta", text } },
        "content_block_delta"
      )
    : ""

/** Each tool call as its own block: start with empty input, an empty then the JSON pieces, stop. */
const toolCallFrames = (ctx: RenderContext): ReadonlyArray<Frame> =>
  toolCallsOf(ctx).flatMap((call, index) => {
    const blockIndex = toolIndex(ctx, index)
    const pieces = splitText(JSON.stringify(call.arguments), call.argumentsChunks ?? 3)
    return [
      sse(
        {
          type: "content_block_start",
          index: blockIndex,
          content_block: { ...toolUseBlock(ctx, call, index), input: {} }
        },
        "content_block_start"
      ),
      ...["", ...pieces].map((partial_json) =>
        sse(
          { type: "content_block_delta", index: blockIndex, delta: { type: "input_json_delta", partial_json } },
          "content_block_delta"
        )
      ),
      sse({ type: "content_block_stop", index: blockIndex }, "content_block_stop")
    ]
  })

const streamEnd = (ctx: RenderContext): ReadonlyArray<Frame> => {
  const usage = wireUsage(ctx.usage)
  return [
    ...(hasTextBlock(ctx) ? [sse({ type: "content_block_stop", index: textIndex(ctx) }, "content_block_stop")] : []),
    ...toolCallFrames(ctx),
    sse(
      {
        type: "message_delta",
        delta: { stop_reason: stopReasons[ctx.finishReason], stop_sequence: null, ...refusalDetails(ctx) },
        // Cumulative totals, as the real API sends them: they REPLACE message_start's counters.
        usage: {
          input_tokens: usage.input_tokens,
          cache_creation_input_tokens: usage.cache_creation_input_tokens,
          cache_read_input_tokens: usage.cache_read_input_tokens,
          output_tokens: usage.output_tokens,
          ...(usage.output_tokens_details ? { output_tokens_details: usage.output_tokens_details } : {}),
          ...(usage.server_tool_use ? { server_tool_use: usage.server_tool_use } : {})
        }
      },
      "message_delta"
    ),
    sse({ type: "message_stop" }, "message_stop")
  ]
}

const modelEntry = (model: SimModel, index: number) => ({
  type: "model",
  id: model.id,
  display_name: model.displayName ?? model.id,
  created_at: created(index * 30),
  max_input_tokens: model.contextWindow ?? null,
  max_tokens: model.maxOutputTokens ?? null,
  lifecycle: model.chat === false ? "retired" : "active",
  deprecated_at: model.chat === false ? created(index * 30 - 365) : null,
  retires_at: model.chat === false ? created(index * 30 - 730) : null,
  line: null,
  capabilities: null
})

interface WireBlock {
  readonly type?: unknown
  readonly id?: unknown
  readonly tool_use_id?: unknown
}
interface WireRequest {
  readonly tools?: ReadonlyArray<{ readonly type?: unknown; readonly name?: unknown; readonly input_schema?: unknown }>
  readonly messages?: ReadonlyArray<{ readonly role?: unknown; readonly content?: unknown }>
}

type Json = Record<string, unknown>

const toolName = /^[a-zA-Z0-9_-]{1,128}$/
const toolId = /^[a-zA-Z0-9_-]+$/
const blocksOf = (message: { readonly content?: unknown } | undefined): ReadonlyArray<WireBlock> =>
  Array.isArray(message?.content) ? (message.content as ReadonlyArray<WireBlock>) : []

/**
 * The tool rules the real API enforces before running a model, with its messages: custom tool names
 * and object input schemas, well-formed ids, each `tool_result` answering a `tool_use` of the assistant
 * message right before and placed before anything else in its user message, and every `tool_use`
 * answered in the next message.
 */
const toolProblem = (request: WireRequest | undefined): string | undefined => {
  for (const [index, tool] of (request?.tools ?? []).entries()) {
    if (tool.type !== undefined && tool.type !== "custom") continue // server tools have their own shapes
    if (typeof tool.name !== "string" || !toolName.test(tool.name))
      return `tools.${index}.custom.name: String should match pattern '^[a-zA-Z0-9_-]{1,128}$'`
    if ((tool.input_schema as { type?: unknown } | undefined)?.type !== "object")
      return `tools.${index}.custom.input_schema.type: Input should be 'object'`
  }
  const messages = request?.messages ?? []
  for (const [index, message] of messages.entries()) {
    const blocks = blocksOf(message)
    for (const [at, block] of blocks.entries()) {
      if (block.type === "tool_use" && (typeof block.id !== "string" || !toolId.test(block.id)))
        return `messages.${index}.content.${at}.tool_use.id: String should match pattern '^[a-zA-Z0-9_-]+$'`
      if (block.type === "tool_result" && (typeof block.tool_use_id !== "string" || !toolId.test(block.tool_use_id)))
        return `messages.${index}.content.${at}.tool_result.tool_use_id: String should match pattern '^[a-zA-Z0-9_-]+$'`
    }
    const previous = messages[index - 1]
    const called = previous?.role === "assistant" ? blocksOf(previous).filter((b) => b.type === "tool_use") : []
    for (const [at, block] of blocks.entries())
      if (block.type === "tool_result" && (message.role !== "user" || !called.some((c) => c.id === block.tool_use_id)))
        return `messages.${index}.content.${at}: unexpected \`tool_use_id\` found in \`tool_result\` blocks: ${String(block.tool_use_id)}. Each \`tool_result\` block must have a corresponding \`tool_use\` block in the previous message.`
    if (message.role !== "assistant") continue
    const next = blocksOf(messages[index + 1])
    // The results must open the next message: only tool_result blocks before the first other block count.
    const firstOther = next.findIndex((b) => b.type !== "tool_result")
    const leading = firstOther === -1 ? next : next.slice(0, firstOther)
    const unanswered = blocks
      .filter((b) => b.type === "tool_use" && !leading.some((r) => r.tool_use_id === b.id))
      .map((b) => String(b.id))
    if (unanswered.length > 0)
      return `messages.${index}: \`tool_use\` ids were found without \`tool_result\` blocks immediately after: ${unanswered.join(", ")}. Each \`tool_use\` block must have a corresponding \`tool_result\` block in the next message.`
  }
  return undefined
}

const thinkingDocs = "https://docs.claude.com/en/docs/build-with-claude/extended-thinking"

/**
 * Extended thinking as the real API checks it, in its words: `thinking` is enabled with a budget of at
 * least 1,024 below `max_tokens` (or disabled); a thinking block sent back carries the signature this
 * API gave its text (another provider's, or one over edited text, is refused); and with thinking on,
 * the last assistant message that called tools starts with a thinking block. `protocol` names whose
 * signatures are valid (Claude on Bedrock checks its own the same way).
 */
export const thinkingProblem = (body: unknown, protocol: string): string | undefined => {
  if (!isJsonObject(body)) return undefined
  const thinking = body.thinking
  const enabled = isJsonObject(thinking) && thinking.type === "enabled"
  if (thinking !== undefined) {
    if (!isJsonObject(thinking)) return "thinking: Input should be a valid dictionary"
    if (thinking.type === "enabled") {
      const budget = thinking.budget_tokens
      if (typeof budget !== "number" || !Number.isInteger(budget))
        return "thinking.enabled.budget_tokens: Input should be a valid integer"
      if (budget < 1024) return "thinking.enabled.budget_tokens: Input should be greater than or equal to 1024"
      if (typeof body.max_tokens === "number" && body.max_tokens <= budget)
        return `\`max_tokens\` must be greater than \`thinking.budget_tokens\`. Please consult our documentation at ${thinkingDocs}#max-tokens-and-context-window-size`
    } else if (thinking.type !== "disabled" && thinking.type !== "adaptive")
      return `thinking: Input tag '${String(thinking.type)}' found using 'type' does not match any of the expected tags: 'adaptive', 'disabled', 'enabled'`
  }
  const messages = Array.isArray(body.messages)
    ? (body.messages as ReadonlyArray<{ role?: unknown; content?: unknown }>)
    : []
  for (const [index, message] of messages.entries())
    for (const [at, block] of blocksOf(message).entries()) {
      const b = block as Json
      if (
        b.type === "thinking" &&
        (typeof b.thinking !== "string" || b.signature !== reasoningSignature(protocol, b.thinking))
      )
        return `messages.${index}.content.${at}: Invalid \`signature\` in \`thinking\` block`
      // Redacted data is opaque (recorded blocks are sent back as they came): only its shape is checked.
      if (b.type === "redacted_thinking" && (typeof b.data !== "string" || b.data === ""))
        return `messages.${index}.content.${at}.redacted_thinking.data: Field required`
    }
  if (!enabled) return undefined
  const lastAssistant = messages.findLastIndex((message) => message.role === "assistant")
  if (lastAssistant === -1) return undefined
  const blocks = blocksOf(messages[lastAssistant])
  const first = blocks[0]?.type
  if (blocks.some((b) => b.type === "tool_use") && first !== "thinking" && first !== "redacted_thinking")
    return `messages.${lastAssistant}.content.0.type: Expected \`thinking\` or \`redacted_thinking\`, but found \`${String(first)}\`. When \`thinking\` is enabled, a final \`assistant\` message must start with a thinking block (preceeding the lastmost set of \`tool_use\` and \`tool_result\` blocks). We recommend you include thinking blocks from previous turns. To avoid this requirement, disable \`thinking\`. Please consult our documentation at ${thinkingDocs}`
  return undefined
}

/**
 * Structured output as the real API checks it, in its words: `output_config.format` is a JSON Schema
 * format with an object schema in which every object schema says `additionalProperties: false`; the
 * beta's top-level `output_format` is not a Messages parameter.
 */
const outputProblem = (body: unknown): string | undefined => {
  if (!isJsonObject(body)) return undefined
  if (body.output_format !== undefined) return "output_format: Extra inputs are not permitted"
  const config = body.output_config
  if (config === undefined) return undefined
  if (!isJsonObject(config)) return "output_config: Input should be a valid dictionary"
  const format = config.format
  if (format === undefined || format === null) return undefined
  if (!isJsonObject(format)) return "output_config.format: Input should be a valid dictionary"
  if (format.type !== "json_schema") return "output_config.format.type: Input should be 'json_schema'"
  if (format.schema === undefined) return "output_config.format.schema: Field required"
  if (!isJsonObject(format.schema)) return "output_config.format.schema: Input should be a valid dictionary"
  if (firstLooseObject(format.schema, false) !== undefined)
    return "output_config.format.schema: For 'object' type, 'additionalProperties' must be explicitly set to false"
  return undefined
}

/** Anthropic's limit of blocks with `cache_control` in one request (the top-level one included). */
export const anthropicMaxCacheBreakpoints = 4

/**
 * Prompt-caching markers as the real API checks them, in its words: each `cache_control` is
 * `{ type: "ephemeral", ttl?: "5m" | "1h" }`, at most 4 in a request (tools, system blocks, message
 * blocks and the top-level one), and no 1-hour one after a 5-minute one in the order tools, system,
 * messages (the top-level one marks the last block, so it comes last).
 */
export const cacheControlProblem = (body: unknown): string | undefined => {
  if (!isJsonObject(body)) return undefined
  const marked: Array<{ readonly where: string; readonly value: unknown }> = []
  const collect = (blocks: unknown, prefix: string) => {
    if (!Array.isArray(blocks)) return
    for (const [index, block] of blocks.entries())
      if (isJsonObject(block) && block.cache_control != null)
        marked.push({ where: `${prefix}.${index}`, value: block.cache_control })
  }
  collect(body.tools, "tools")
  collect(body.system, "system")
  if (Array.isArray(body.messages))
    for (const [index, message] of body.messages.entries())
      collect(isJsonObject(message) ? message.content : undefined, `messages.${index}.content`)
  if (body.cache_control != null) marked.push({ where: "", value: body.cache_control })
  let fiveMinutes = false
  for (const { where, value } of marked) {
    const at = where === "" ? "cache_control" : `${where}.cache_control`
    if (!isJsonObject(value)) return `${at}: Input should be a valid dictionary`
    if (value.type !== "ephemeral")
      return `${at}: Input tag '${String(value.type)}' found using 'type' does not match any of the expected tags: 'ephemeral'`
    const ttl = value.ttl ?? "5m"
    if (ttl !== "5m" && ttl !== "1h") return `${at}.ephemeral.ttl: Input should be '5m' or '1h'`
    if (ttl === "1h" && fiveMinutes)
      return `${at}.ttl: a ttl='1h' cache_control block must not come after a ttl='5m' cache_control block. Note that blocks are processed in the following order: \`tools\`, \`system\`, \`messages\`.`
    if (ttl === "5m") fiveMinutes = true
  }
  return marked.length > anthropicMaxCacheBreakpoints
    ? `A maximum of ${anthropicMaxCacheBreakpoints} blocks with cache_control may be provided. Found ${marked.length}.`
    : undefined
}

/** Anthropic's limit per image: on the base64 text, as its 400 says ("N bytes > 5242880 bytes"). */
export const anthropicMaxImageBase64 = 5 * 1024 * 1024
const imageTypes = ["image/jpeg", "image/png", "image/gif", "image/webp"]
const expectedTags = (tags: ReadonlyArray<string>) => tags.map((tag) => `'${tag}'`).join(", ")

/** One `image` or `document` block's source, checked as the API checks it: what arrived, or the problem. */
const mediaBlockSeen = (block: Json, where: string): SeenMedia | string => {
  const image = block.type === "image"
  const source = block.source
  const at = where
  where = `${where}.${image ? "image" : "document"}.source`
  if (!isJsonObject(source)) return `${where}: Field required`
  const tags = image ? ["base64", "url", "file"] : ["base64", "text", "content", "url", "file"]
  if (!tags.includes(source.type as string))
    return `${where}: Input tag '${String(source.type)}' found using 'type' does not match any of the expected tags: ${expectedTags(tags)}`
  const name = typeof block.title === "string" ? { name: block.title } : {}
  const kind = image ? "image" : "document"
  switch (source.type) {
    case "url":
      if (!isHttpUrl(source.url)) return `${where}.url.url: Input should be a valid URL`
      return { kind, mediaType: "", url: source.url as string, at, ...name }
    case "base64": {
      const types = image ? imageTypes : ["application/pdf"]
      if (!types.includes(source.media_type as string))
        return `${where}.base64.media_type: Input should be ${types
          .map((t) => `'${t}'`)
          .join(", ")
          .replace(/, ([^,]*)$/, " or $1")}`
      if (typeof source.data !== "string") return `${where}.base64.data: Field required`
      if (image && source.data.length > anthropicMaxImageBase64)
        return `${where}.base64: image exceeds 5 MB maximum: ${source.data.length} bytes > ${anthropicMaxImageBase64} bytes`
      const bytes = decodeBase64(source.data)
      if (bytes === undefined) return `${where}.base64.data: The ${kind} data is not valid base64`
      return { kind, mediaType: source.media_type as string, bytes, at, ...name }
    }
    case "text":
      if (source.media_type !== "text/plain") return `${where}.text.media_type: Input should be 'text/plain'`
      if (typeof source.data !== "string") return `${where}.text.data: Input should be a valid string`
      return { kind, mediaType: "text/plain", text: source.data, at, ...name }
    default:
      // content blocks and Files API ids: accepted, nothing inline to list
      return { kind, mediaType: "", at, ...name }
  }
}

/**
 * Images and documents as the API checks them, in its words: a known source type per block, an image
 * media type it reads, base64 that decodes, at most 5 MB of base64 per image, a PDF as the only base64
 * document, text/plain as the only text source, http(s) URLs. What arrived, or the first problem.
 */
const mediaOf = (body: unknown): ReadonlyArray<SeenMedia> | string => {
  const messages = isJsonObject(body) && Array.isArray(body.messages) ? body.messages : []
  const media: Array<SeenMedia> = []
  for (const [index, message] of messages.entries()) {
    for (const [at, block] of blocksOf(message as { content?: unknown }).entries()) {
      if (block.type !== "image" && block.type !== "document") continue
      const seen = mediaBlockSeen(block as Json, `messages.${index}.content.${at}`)
      if (typeof seen === "string") return seen
      media.push(seen)
    }
  }
  return media
}

/** The JSON Schema of a checked request's `output_config.format`. */
const requestedFormat = (call: IncomingCall): RequestedFormat | undefined => {
  const format = (call.body as { output_config?: { format?: { schema?: unknown } | null } } | undefined)?.output_config
    ?.format
  return format ? { schema: format.schema } : undefined
}

const notFound = (message: string): WireResponse =>
  json(404, errorBody("not_found_error", message, "req_notfound"), { "request-id": "req_notfound" })

export const anthropicAdapter: ProtocolAdapter = {
  protocol: "anthropic",

  route(call: IncomingCall): Route {
    const bearer = /^Bearer \S+/.test(String(call.headers.authorization ?? ""))
    if (!bearer && !call.headers["x-api-key"]) {
      const body = errorBody("authentication_error", "x-api-key header is required", "req_noauth")
      return { kind: "response", response: json(401, body, { "request-id": "req_noauth" }) }
    }
    if (call.method === "POST" && call.path === "/v1/messages") {
      const model = (call.body as { model?: unknown } | undefined)?.model
      if (typeof model !== "string") {
        const body = errorBody("invalid_request_error", "model: Field required", "req_badrequest")
        return { kind: "response", response: json(400, body, { "request-id": "req_badrequest" }) }
      }
      const media = mediaOf(call.body)
      const problem =
        toolProblem(call.body as WireRequest) ??
        thinkingProblem(call.body, "anthropic") ??
        outputProblem(call.body) ??
        cacheControlProblem(call.body) ??
        (typeof media === "string" ? media : undefined)
      if (problem !== undefined) {
        const body = errorBody("invalid_request_error", problem, "req_badrequest")
        return { kind: "response", response: json(400, body, { "request-id": "req_badrequest" }) }
      }
      return { kind: wantsStream(call) ? "stream" : "generate", model, media: media as ReadonlyArray<SeenMedia> }
    }
    if (call.method === "GET" && call.path === "/v1/models") return { kind: "models" }
    return { kind: "response", response: notFound(`Not found: ${call.method} ${call.path}`) }
  },

  responseFormat: requestedFormat,
  generate: (ctx) => json(200, message(ctx), { "request-id": ctx.requestId }),
  streamHeaders,
  streamStart,
  streamDelta,
  streamEnd,

  streamError: (ctx, fault, text) => sse(errorBody(faultType(fault), text, ctx.requestId), "error"),

  malformedFrame: (ctx) =>
    `event: content_block_delta\ndata: {"type":"content_block_delta","index":${textIndex(ctx)},"delta":{"type":"text_del\n\n`,

  error(ctx: RenderContext, reply: ErrorReply): WireResponse {
    if (reply.fault === "content-filter" && reply.status === undefined) {
      // Anthropic has no content-filter HTTP error: the model refuses with HTTP 200 and stop_reason "refusal".
      const refused: RenderContext = { ...ctx, finishReason: "content-filter", text: "", chunks: [] }
      if (!wantsStream(ctx.call)) return generateRefusal(refused, reply)
      const frames = [...streamStart(refused), ...streamEnd(refused)]
      return { status: 200, headers: { ...streamHeaders(refused), ...reply.headers }, body: frames.join("") }
    }
    const status = reply.status ?? (reply.fault === "content-filter" ? 400 : faultStatus[reply.fault])
    const headers: Record<string, string> = { "request-id": ctx.requestId, "x-should-retry": "false" }
    if (status === 429 || status === 529 || status >= 500) headers["x-should-retry"] = "true"
    if (status === 429) {
      const seconds = reply.retryAfterSeconds ?? 20
      headers["retry-after"] = String(seconds)
      headers["anthropic-ratelimit-requests-limit"] = "50"
      headers["anthropic-ratelimit-requests-remaining"] = "0"
      headers["anthropic-ratelimit-requests-reset"] = new Date(Date.now() + seconds * 1000).toISOString()
    } else if (reply.retryAfterSeconds !== undefined) headers["retry-after"] = String(reply.retryAfterSeconds)
    const body = errorBody(errorType(status), reply.message ?? faultMessage(reply.fault, ctx), ctx.requestId)
    return json(status, body, { ...headers, ...reply.headers })
  },

  models(call: IncomingCall, models: ReadonlyArray<SimModel>): WireResponse {
    const requested = Number.parseInt(call.query.get("limit") ?? "", 10)
    const limit = Number.isFinite(requested) ? Math.min(Math.max(requested, 1), 1000) : anthropicDefaultPageSize
    const entries = models.map(modelEntry)
    const afterId = call.query.get("after_id")
    const beforeId = call.query.get("before_id")
    let page: typeof entries
    let hasMore: boolean
    if (beforeId) {
      const end = entries.findIndex((m) => m.id === beforeId)
      const stop = Math.max(end, 0)
      page = entries.slice(Math.max(0, stop - limit), stop)
      hasMore = stop - limit > 0
    } else {
      const start = afterId ? entries.findIndex((m) => m.id === afterId) + 1 : 0
      if (afterId && start === 0)
        return json(400, errorBody("invalid_request_error", `after_id: unknown model ${afterId}`, "req_models"))
      page = entries.slice(start, start + limit)
      hasMore = start + limit < entries.length
    }
    return json(200, {
      data: page,
      has_more: hasMore,
      first_id: page[0]?.id ?? null,
      last_id: page.at(-1)?.id ?? null
    })
  }
}

const generateRefusal = (ctx: RenderContext, reply: ErrorReply): WireResponse =>
  json(200, message(ctx), { "request-id": ctx.requestId, ...reply.headers })

const withDefaults = (options: SimulatorOptions = {}): SimulatorOptions => ({
  models: defaultAnthropicModels,
  ...options
})

/** Starts an Anthropic simulator on 127.0.0.1 (random port); SDK `baseURL` is `sim.url` (no `/v1`). */
export const startAnthropicSimulator = (options?: SimulatorOptions): Promise<Simulator> =>
  Simulator.start(anthropicAdapter, withDefaults(options))

/** An Anthropic simulator scoped to the current `Scope` (closed with it). */
export const anthropicSimulator = (options?: SimulatorOptions): Effect.Effect<Simulator, never, Scope.Scope> =>
  scopedSimulator(anthropicAdapter, withDefaults(options))
