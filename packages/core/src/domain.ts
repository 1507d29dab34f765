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

export const Role = Schema.Literals(["system", "user", "assistant"])
export type Role = typeof Role.Type

export const TextPart = Schema.Struct({ type: Schema.Literal("text"), text: Schema.String })
export type TextPart = typeof TextPart.Type
/** Content parts; only text today. A union so images and tool parts can join without a breaking change. */
export const ContentPart = Schema.Union([TextPart])
export type ContentPart = typeof ContentPart.Type

export const Message = Schema.Struct({
  role: Role,
  content: Schema.Union([Schema.String, Schema.Array(ContentPart)])
})
export type Message = typeof Message.Type

export const ChatRequest = Schema.Struct({
  messages: Schema.Array(Message),
  /** Overrides the configured active model for this request (the chain still follows it). */
  model: Schema.optionalKey(Schema.String),
  temperature: Schema.optionalKey(Schema.Number),
  maxTokens: Schema.optionalKey(Schema.Number),
  topP: Schema.optionalKey(Schema.Number),
  stop: Schema.optionalKey(Schema.Array(Schema.String)),
  /** Cost attribution tags (feature, tenant, user, ...), copied into every cost record. */
  metadata: Schema.optionalKey(Schema.Record(Schema.String, Schema.String))
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
  requestId: Schema.optionalKey(Schema.String)
})
export type ProviderResponse = typeof ProviderResponse.Type

export const ChatResponse = Schema.Struct({
  ...ProviderResponse.fields,
  /** `undefined` when the model has no known price: never a made-up $0. */
  cost: Schema.UndefinedOr(Cost),
  attempts: Schema.Array(Attempt),
  latencyMs: Schema.Number
})
export type ChatResponse = typeof ChatResponse.Type

export const TextDelta = Schema.TaggedStruct("TextDelta", { text: Schema.String })
export type TextDelta = typeof TextDelta.Type

export const Finish = Schema.TaggedStruct("Finish", {
  finishReason: FinishReason,
  usage: Usage,
  cost: Schema.UndefinedOr(Cost),
  provider: ProviderId,
  model: Schema.String,
  attempts: Schema.Array(Attempt),
  requestId: Schema.optionalKey(Schema.String)
})
export type Finish = typeof Finish.Type

/** What `sendStreamingRequest` emits: text deltas, then exactly one `Finish`. */
export const StreamEvent = Schema.Union([TextDelta, Finish])
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
  requestId: Schema.optionalKey(Schema.String)
})
export type ProviderFinish = typeof ProviderFinish.Type

/** What a provider's `stream` emits: deltas and usage snapshots, then exactly one `ProviderFinish`. */
export type ProviderStreamEvent = TextDelta | UsageSnapshot | ProviderFinish

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

/** Joins a message's text parts (providers that take plain strings). */
export const messageText = (message: Message): string =>
  typeof message.content === "string" ? message.content : message.content.map((part) => part.text).join("")
