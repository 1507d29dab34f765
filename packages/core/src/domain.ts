/**
 * The provider-neutral domain (docs/ARCHITECTURE.md, "Domain"). Every type is a Schema so requests can be validated
 * at the boundary and responses round-trip through JSON (CLI `--json`, cost logs, snapshots).
 * Types are plain readonly objects: users write `{ messages: [...] }`, never `new ChatRequest(...)`.
 */
import { Schema } from "effect"

/**
 * A provider instance: a key under `providers:` in the config (e.g. `openai`, or `openai-work` beside it).
 * Which API it speaks is its provider type (docs/ARCHITECTURE.md, "Provider types and instances").
 */
export const ProviderId = Schema.String
export type ProviderId = typeof ProviderId.Type

const TokenCount = Schema.Number.check(Schema.isInt(), Schema.isGreaterThanOrEqualTo(0))

export const Role = Schema.Literals(["system", "user", "assistant", "tool"])
export type Role = typeof Role.Type

/** A JSON object: tool arguments and JSON Schemas. */
const JsonObject = Schema.Record(Schema.String, Schema.Unknown)

/**
 * Anthropic prompt caching: a cache breakpoint (`cache_control`). `ttl` "5m" (default) or "1h", which
 * is written at a higher rate (`usage.cacheWrite1hTokens`).
 */
export const AnthropicCacheControl = Schema.Struct({
  type: Schema.Literal("ephemeral"),
  ttl: Schema.optionalKey(Schema.Literals(["5m", "1h"]))
})
export type AnthropicCacheControl = typeof AnthropicCacheControl.Type

/** What only Anthropic has, where a request, a message, a part or a tool may say it. */
export const AnthropicOptions = Schema.Struct({ cacheControl: Schema.optionalKey(AnthropicCacheControl) })
export type AnthropicOptions = typeof AnthropicOptions.Type

/** Bedrock prompt caching: a Converse `cachePoint` block after what is to be cached. */
export const BedrockCachePoint = Schema.Struct({ type: Schema.Literal("default") })
export type BedrockCachePoint = typeof BedrockCachePoint.Type

/** What only Bedrock has, where a message, a part or a tool may say it. */
export const BedrockOptions = Schema.Struct({ cachePoint: Schema.optionalKey(BedrockCachePoint) })
export type BedrockOptions = typeof BedrockOptions.Type

/**
 * What only one provider type has, keyed by that type: each provider reads its own key and ignores the
 * others, so one request can carry both Anthropic's and Bedrock's markers and keep caching after a
 * fallback from one to the other (README "Prompt caching").
 */
export const ProviderOptions = Schema.Struct({
  anthropic: Schema.optionalKey(AnthropicOptions),
  bedrock: Schema.optionalKey(BedrockOptions)
})
export type ProviderOptions = typeof ProviderOptions.Type

/** The `providerOptions` field of a request, a message, a part and a tool definition. */
const providerOptions = Schema.optionalKey(ProviderOptions)

export const TextPart = Schema.Struct({
  type: Schema.Literal("text"),
  text: Schema.String,
  providerOptions
})
export type TextPart = typeof TextPart.Type

/** A tool the model called, in an assistant message of the history (as `response.toolCalls` returned it). */
export const ToolCallPart = Schema.Struct({
  type: Schema.Literal("tool-call"),
  id: Schema.String,
  name: Schema.String,
  arguments: JsonObject,
  providerOptions
})
export type ToolCallPart = typeof ToolCallPart.Type

/**
 * What a tool returned, in a message of role `tool`: `id` and `name` of the call it answers. `result`
 * is sent as is when a string, as JSON otherwise; `isError` tells the model the tool failed.
 */
export const ToolResultPart = Schema.Struct({
  type: Schema.Literal("tool-result"),
  id: Schema.String,
  name: Schema.String,
  result: Schema.Unknown,
  isError: Schema.optionalKey(Schema.Boolean),
  providerOptions
})
export type ToolResultPart = typeof ToolResultPart.Type

/**
 * The bytes of an image or a file: base64 text, the bytes themselves, or a `URL` (http or https) that
 * the provider fetches itself where its API can (we never fetch it). A string is always base64.
 */
export const MediaData = Schema.Union([Schema.String, Schema.Uint8Array, Schema.URL])
export type MediaData = typeof MediaData.Type

/** An image in a user message: `mediaType` image/png, image/jpeg, image/gif or image/webp. */
export const ImagePart = Schema.Struct({
  type: Schema.Literal("image"),
  data: MediaData,
  mediaType: Schema.String,
  filename: Schema.optionalKey(Schema.String),
  providerOptions
})
export type ImagePart = typeof ImagePart.Type

/** A document in a user message: `mediaType` application/pdf or text/plain. */
export const FilePart = Schema.Struct({
  type: Schema.Literal("file"),
  data: MediaData,
  mediaType: Schema.String,
  filename: Schema.optionalKey(Schema.String),
  providerOptions
})
export type FilePart = typeof FilePart.Type

/**
 * The model's reasoning, in an assistant message of the history (as `response.reasoningParts` returned
 * it), placed before the text and tool calls it led to. `source` is the provider type whose model wrote
 * it ("anthropic", "bedrock", "gemini", "vertex", "openai"): its `signature` (Anthropic/Bedrock thinking
 * signature, Gemini thoughtSignature, OpenAI encrypted reasoning) is valid only there, so the part is sent
 * back to that provider type only and dropped elsewhere (never turned into visible text). `redacted`:
 * Anthropic's encrypted `redacted_thinking` data (then `text` is ""); `id`: OpenAI's reasoning item id.
 */
export const ReasoningPart = Schema.Struct({
  type: Schema.Literal("reasoning"),
  text: Schema.String,
  source: Schema.String,
  signature: Schema.optionalKey(Schema.String),
  redacted: Schema.optionalKey(Schema.String),
  id: Schema.optionalKey(Schema.String)
})
export type ReasoningPart = typeof ReasoningPart.Type

export const ContentPart = Schema.Union([TextPart, ImagePart, FilePart, ToolCallPart, ToolResultPart, ReasoningPart])
export type ContentPart = typeof ContentPart.Type

export const Message = Schema.Struct({
  role: Role,
  content: Schema.Union([Schema.String, Schema.Array(ContentPart)]),
  /** Markers on the whole message (Anthropic: its last block; Bedrock: a cache point after it). */
  providerOptions
})
export type Message = typeof Message.Type

/** A function the model may call: `parameters` is the JSON Schema of its arguments (an object schema). */
export const ToolDefinition = Schema.Struct({
  name: Schema.String,
  description: Schema.optionalKey(Schema.String),
  parameters: JsonObject,
  providerOptions
})
export type ToolDefinition = typeof ToolDefinition.Type

/** `auto` (the model decides), `none`, `required` (some tool), or one tool by name. */
export const ToolChoice = Schema.Union([
  Schema.Literals(["auto", "none", "required"]),
  Schema.Struct({ tool: Schema.String })
])
export type ToolChoice = typeof ToolChoice.Type

/**
 * A tool call the model made. `arguments` is the parsed JSON object; when the model wrote arguments
 * that are not a JSON object, `arguments` is `{}` and `rawArguments` holds what it wrote, so the caller
 * can answer with an error result instead of running the tool on nothing.
 */
export const ToolCall = Schema.Struct({
  id: Schema.String,
  name: Schema.String,
  arguments: JsonObject,
  rawArguments: Schema.optionalKey(Schema.String)
})
export type ToolCall = typeof ToolCall.Type

/**
 * Structured output: the answer is JSON matching `schema` (a JSON Schema whose root is an object),
 * returned decoded in `response.output`. `name` labels the schema for providers that show it to the
 * model (OpenAI, Bedrock; default "response").
 */
export const ResponseFormat = Schema.Struct({
  type: Schema.Literal("json"),
  schema: JsonObject,
  name: Schema.optionalKey(Schema.String)
})
export type ResponseFormat = typeof ResponseFormat.Type

export const ReasoningEffort = Schema.Literals(["low", "medium", "high"])
export type ReasoningEffort = typeof ReasoningEffort.Type

/**
 * Ask the model to think before answering: an `effort`, a `budgetTokens` (a positive integer, below
 * `maxTokens` when both are set), or both. Each provider's form is in README "Reasoning".
 */
export const ReasoningConfig = Schema.Struct({
  effort: Schema.optionalKey(ReasoningEffort),
  budgetTokens: Schema.optionalKey(Schema.Number)
})
export type ReasoningConfig = typeof ReasoningConfig.Type

/** The thinking budget an effort stands for where an API takes a budget (Anthropic, Bedrock Claude, Gemini 2.5). */
export const effortBudgets: Readonly<Record<ReasoningEffort, number>> = { low: 2_048, medium: 8_192, high: 24_576 }

/** The thinking budget of a request's reasoning: its `budgetTokens`, else its effort's; undefined without reasoning. */
export const reasoningBudgetOf = (reasoning: ReasoningConfig | undefined): number | undefined =>
  reasoning === undefined
    ? undefined
    : (reasoning.budgetTokens ?? (reasoning.effort !== undefined ? effortBudgets[reasoning.effort] : undefined))

/** The effort of a request's reasoning: its `effort`, else the smallest whose budget covers `budgetTokens`. */
export const reasoningEffortOf = (reasoning: ReasoningConfig | undefined): ReasoningEffort | undefined => {
  if (reasoning === undefined) return undefined
  if (reasoning.effort !== undefined) return reasoning.effort
  const budget = reasoning.budgetTokens
  if (budget === undefined) return undefined
  return budget <= effortBudgets.low ? "low" : budget <= effortBudgets.medium ? "medium" : "high"
}

export const ChatRequest = Schema.Struct({
  messages: Schema.Array(Message),
  /** Overrides the configured active model for this request (the chain still follows it). */
  model: Schema.optionalKey(Schema.String),
  temperature: Schema.optionalKey(Schema.Number),
  maxTokens: Schema.optionalKey(Schema.Number),
  topP: Schema.optionalKey(Schema.Number),
  stop: Schema.optionalKey(Schema.Array(Schema.String)),
  /** Functions the model may call; its calls come back in `response.toolCalls`. */
  tools: Schema.optionalKey(Schema.Array(ToolDefinition)),
  toolChoice: Schema.optionalKey(ToolChoice),
  /** Ask for JSON matching a schema; the decoded value comes back in `response.output`. */
  responseFormat: Schema.optionalKey(ResponseFormat),
  /** Ask the model to reason first; its reasoning comes back in `response.reasoning`. */
  reasoning: Schema.optionalKey(ReasoningConfig),
  /** Cost attribution tags (feature, tenant, user, ...), copied into every cost record. */
  metadata: Schema.optionalKey(Schema.Record(Schema.String, Schema.String)),
  /** What only one provider has (prompt caching): README "Prompt caching". */
  providerOptions
})
export type ChatRequest = typeof ChatRequest.Type

/**
 * Token usage normalised across providers: `inputTokens` counts ALL input tokens (cached reads and
 * cache writes included, and Gemini's tool-use prompt tokens, which Google bills as input) and
 * `outputTokens` includes reasoning tokens (docs/ARCHITECTURE.md, "Usage semantics"). The optional fields are absent
 * when zero: a plain call carries none of them.
 */
export const Usage = Schema.Struct({
  inputTokens: TokenCount,
  outputTokens: TokenCount,
  cacheReadTokens: TokenCount,
  cacheWriteTokens: TokenCount,
  reasoningTokens: TokenCount,
  /** Of `cacheWriteTokens`, those cached for 1 hour (Anthropic), billed at their own, higher rate. */
  cacheWrite1hTokens: Schema.optionalKey(TokenCount),
  /** Searches run by the provider's built-in web search tool (Anthropic), billed per search. */
  webSearches: Schema.optionalKey(TokenCount),
  /** Pages read by the provider's built-in web fetch tool (Anthropic): no fee beyond their tokens. */
  webFetches: Schema.optionalKey(TokenCount)
})
export type Usage = typeof Usage.Type

export const emptyUsage: Usage = {
  inputTokens: 0,
  outputTokens: 0,
  cacheReadTokens: 0,
  cacheWriteTokens: 0,
  reasoningTokens: 0
}

export const FinishReason = Schema.Literals(["stop", "length", "content-filter", "tool-calls", "error", "other"])
export type FinishReason = typeof FinishReason.Type

/**
 * A cost breakdown in USD. `output` excludes reasoning tokens, which are priced in `reasoning`;
 * `tools` is the per-request fees of built-in tools (web searches), present only when there are some.
 */
export const Cost = Schema.Struct({
  input: Schema.Number,
  cacheRead: Schema.Number,
  cacheWrite: Schema.Number,
  output: Schema.Number,
  reasoning: Schema.Number,
  tools: Schema.optionalKey(Schema.Number),
  total: Schema.Number,
  currency: Schema.Literal("USD")
})
export type Cost = typeof Cost.Type

/** One try of one model while serving a request: what `response.attempts` lists. */
export const Attempt = Schema.Struct({
  provider: ProviderId,
  model: Schema.String,
  /** 1-based try number for this model within the request. */
  attempt: Schema.Number,
  outcome: Schema.Literals(["success", "error", "skipped", "interrupted"]),
  /** The `LLMError` tag when `outcome` is "error" (or the reason a model was skipped). */
  errorTag: Schema.optionalKey(Schema.String),
  durationMs: Schema.Number
})
export type Attempt = typeof Attempt.Type

/** What a provider returns for one call; the orchestrator adds cost, attempts and latency. */
export const ProviderResponse = Schema.Struct({
  content: Schema.String,
  provider: ProviderId,
  model: Schema.String,
  finishReason: FinishReason,
  usage: Usage,
  /** The tools the model called, in order; absent when it called none. */
  toolCalls: Schema.optionalKey(Schema.Array(ToolCall)),
  /** The model's reasoning text, when the provider returned some (absent otherwise). */
  reasoning: Schema.optionalKey(Schema.String),
  /**
   * The reasoning as parts to put first in the assistant message that continues the conversation
   * (signatures included); `runToolLoop` does it. Absent when there are none.
   */
  reasoningParts: Schema.optionalKey(Schema.Array(ReasoningPart)),
  requestId: Schema.optionalKey(Schema.String)
})
export type ProviderResponse = typeof ProviderResponse.Type

export const ChatResponse = Schema.Struct({
  ...ProviderResponse.fields,
  /** `undefined` when the model has no known price: never a made-up $0. */
  cost: Schema.UndefinedOr(Cost),
  attempts: Schema.Array(Attempt),
  latencyMs: Schema.Number,
  /** With `responseFormat`: the answer decoded from JSON and checked against the schema. */
  output: Schema.optionalKey(Schema.Unknown)
})
export type ChatResponse = typeof ChatResponse.Type

export const TextDelta = Schema.TaggedStruct("TextDelta", { text: Schema.String })
export type TextDelta = typeof TextDelta.Type

/** A piece of the model's reasoning (streams): all of it comes before the text it leads to. */
export const ReasoningDelta = Schema.TaggedStruct("ReasoningDelta", { text: Schema.String })
export type ReasoningDelta = typeof ReasoningDelta.Type

export const Finish = Schema.TaggedStruct("Finish", {
  finishReason: FinishReason,
  usage: Usage,
  cost: Schema.UndefinedOr(Cost),
  provider: ProviderId,
  model: Schema.String,
  attempts: Schema.Array(Attempt),
  requestId: Schema.optionalKey(Schema.String),
  /** With `responseFormat`: the streamed text decoded from JSON and checked against the schema. */
  output: Schema.optionalKey(Schema.Unknown),
  /** The reasoning as history parts (signatures included), as `response.reasoningParts`. */
  reasoningParts: Schema.optionalKey(Schema.Array(ReasoningPart))
})
export type Finish = typeof Finish.Type

/** A tool call begins (streams): its arguments follow as `ToolCallDelta`s, then one `ToolCall`. */
export const ToolCallStart = Schema.TaggedStruct("ToolCallStart", { id: Schema.String, name: Schema.String })
export type ToolCallStart = typeof ToolCallStart.Type

/** A piece of a tool call's arguments, as the model writes them (JSON text; pieces need not parse). */
export const ToolCallDelta = Schema.TaggedStruct("ToolCallDelta", { id: Schema.String, argumentsDelta: Schema.String })
export type ToolCallDelta = typeof ToolCallDelta.Type

/** A tool call complete, arguments parsed as in `response.toolCalls`. */
export const ToolCallComplete = Schema.TaggedStruct("ToolCall", ToolCall.fields)
export type ToolCallComplete = typeof ToolCallComplete.Type

/** Tool-call events, in order per call: `ToolCallStart`, `ToolCallDelta`s, `ToolCall`. */
export type ToolCallEvent = ToolCallStart | ToolCallDelta | ToolCallComplete

/**
 * What `sendStreamingRequest` emits: reasoning deltas, text deltas and tool-call events in the order the
 * model wrote them, then exactly one `Finish`.
 */
export const StreamEvent = Schema.Union([
  ReasoningDelta,
  TextDelta,
  ToolCallStart,
  ToolCallDelta,
  ToolCallComplete,
  Finish
])
export type StreamEvent = typeof StreamEvent.Type

/**
 * Usage known so far in a provider stream (cumulative, replaces earlier snapshots). Providers emit it
 * as soon as the wire tells them, so a stream that fails or is interrupted can still be billed for
 * what is known. The orchestrator consumes these; users never see them.
 */
export const UsageSnapshot = Schema.TaggedStruct("UsageSnapshot", { usage: Usage })
export type UsageSnapshot = typeof UsageSnapshot.Type

export const ProviderFinish = Schema.TaggedStruct("ProviderFinish", {
  finishReason: FinishReason,
  usage: Usage,
  model: Schema.String,
  requestId: Schema.optionalKey(Schema.String),
  reasoningParts: Schema.optionalKey(Schema.Array(ReasoningPart))
})
export type ProviderFinish = typeof ProviderFinish.Type

/**
 * What a provider's `stream` emits: text deltas, tool-call events and usage snapshots, then exactly one
 * `ProviderFinish`.
 */
export type ProviderStreamEvent = ReasoningDelta | TextDelta | ToolCallEvent | UsageSnapshot | ProviderFinish

/** USD per million tokens, except `webSearchPerThousand` (USD per 1,000 built-in web searches). */
export const ModelPrice = Schema.Struct({
  input: Schema.Number,
  output: Schema.Number,
  cacheRead: Schema.optionalKey(Schema.Number),
  cacheWrite: Schema.optionalKey(Schema.Number),
  /** 1-hour cache writes (Anthropic); `cacheWrite` is the 5-minute rate. */
  cacheWrite1h: Schema.optionalKey(Schema.Number),
  webSearchPerThousand: Schema.optionalKey(Schema.Number)
})
export type ModelPrice = typeof ModelPrice.Type

export const ModelInfo = Schema.Struct({
  id: Schema.String,
  provider: ProviderId,
  displayName: Schema.optionalKey(Schema.String),
  contextWindow: Schema.optionalKey(Schema.Number),
  maxOutputTokens: Schema.optionalKey(Schema.Number),
  price: Schema.optionalKey(ModelPrice),
  deprecated: Schema.optionalKey(Schema.Boolean)
})
export type ModelInfo = typeof ModelInfo.Type

/** Joins a message's text parts (providers that take plain strings); tool parts have no text. */
export const messageText = (message: Message): string => {
  if (typeof message.content === "string") return message.content
  let text = ""
  for (const part of message.content) if (part.type === "text") text += part.text
  return text
}

/**
 * What a request sends beyond its message text, as JSON text: the tool calls and results of its
 * history, its tool definitions and its output schema ("" without any). For the estimates that must
 * not miss input (budget reservations, a cut stream's usage).
 */
export const structuredInputText = (request: ChatRequest): string => {
  let text = ""
  for (const message of request.messages) {
    if (typeof message.content === "string") continue
    for (const part of message.content)
      if (part.type === "tool-call") text += part.name + JSON.stringify(part.arguments)
      else if (part.type === "tool-result")
        text += part.name + (typeof part.result === "string" ? part.result : (JSON.stringify(part.result) ?? ""))
      // Reasoning sent back is input too (its signature travels with it).
      else if (part.type === "reasoning") text += part.text + (part.signature ?? "") + (part.redacted ?? "")
  }
  if (request.tools !== undefined) text += JSON.stringify(request.tools)
  if (request.responseFormat !== undefined) text += JSON.stringify(request.responseFormat.schema)
  return text
}

/** The most input tokens one image costs on any provider (OpenAI's patch-based models: about 3,800). */
export const imageTokensBound = 6_000
/** Tokens a PDF page may add besides its text: the page's image (Anthropic, OpenAI) and its framing. */
export const pdfPageTokensBound = 6_000
/** A file given by URL: its size is unknown before the provider fetches it. */
export const urlFileTokensBound = 1_000_000

const pageObject = /\/Type\s*\/Page\b/g

/** Inline media data as bytes (base64 text decoded). */
const inlineBytes = (data: string | Uint8Array): Uint8Array =>
  typeof data === "string" ? Buffer.from(data, "base64") : data

/** Page objects in a PDF's bytes (pages inside compressed object streams are not seen). */
const pdfPages = (bytes: Uint8Array): number =>
  Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString("latin1").match(pageObject)?.length ?? 0

/**
 * An estimate of the input tokens a request's images and files cost, for the budget's worst case and a
 * cut stream's usage: an image `imageTokensBound`; an inline file one token per byte (text, or a PDF's
 * compressed text) plus `pdfPageTokensBound` per page object of a PDF; a file by URL
 * `urlFileTokensBound`. 0 without media (the common case costs one pass over the parts).
 */
export const mediaInputTokens = (request: ChatRequest): number => {
  let tokens = 0
  for (const message of request.messages) {
    if (typeof message.content === "string") continue
    for (const part of message.content) {
      if (part.type === "image") tokens += imageTokensBound
      else if (part.type === "file") {
        if (part.data instanceof URL) {
          tokens += urlFileTokensBound
          continue
        }
        const bytes = inlineBytes(part.data)
        tokens += bytes.length
        if (part.mediaType === "application/pdf") tokens += pdfPages(bytes) * pdfPageTokensBound
      }
    }
  }
  return tokens
}
