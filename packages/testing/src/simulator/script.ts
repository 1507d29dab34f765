/**
 * What a simulator can be told to answer, in provider-neutral terms. Each protocol adapter renders
 * these into its own wire format, so one script drives any of the five simulators.
 */
import { createHash } from "node:crypto"
import type { FinishReason, Usage } from "@llm-orchestrator/core"

/** Provider-neutral failure kinds; each adapter renders the provider's real status and error body. */
export type FaultKind =
  | "rate-limit" // 429 (Bedrock ThrottlingException, Gemini RESOURCE_EXHAUSTED)
  | "overloaded" // Anthropic 529 overloaded_error; 503 elsewhere
  | "server-error" // 500
  | "unavailable" // 503
  | "auth" // 401 (Bedrock UnrecognizedClientException 403, Gemini 400 API_KEY_INVALID)
  | "permission" // 403
  | "model-not-found" // 404
  | "context-length" // 400 in the provider's context-overflow form
  | "invalid-request" // other 400
  | "content-filter" // a safety block in the provider's form (HTTP 200 for Gemini/Bedrock/OpenAI)

/** A tool call a scripted reply makes (after its text), rendered in each provider's wire form. */
export interface ScriptedToolCall {
  /** Default: an id in the provider's own style, numbered within the reply. */
  readonly id?: string
  readonly name: string
  readonly arguments: Readonly<Record<string, unknown>>
  /** Streams: how many deltas the arguments JSON is split into (default 3; Gemini sends a call whole). */
  readonly argumentsChunks?: number
}

/**
 * The structured-output format a request asked for, as the simulator read it from the provider's
 * field (already checked as the real API checks it). The reply text stays what the script says.
 */
export interface RequestedFormat {
  /** The JSON Schema, parsed (Bedrock sends it as a JSON string). */
  readonly schema: unknown
  readonly name?: string
  /** OpenAI only: whether strict mode was asked for. */
  readonly strict?: boolean
}

/**
 * An image or a document a request carried, as the simulator read it (the provider's checks passed):
 * recorded on the request (`RecordedRequest.media`) and given to the render context, in request order.
 */
export interface SeenMedia {
  readonly kind: "image" | "document"
  /**
   * As the wire says it (Bedrock: from its format, png -> image/png, pdf -> application/pdf, txt ->
   * text/plain); "" when the wire names none (a URL on OpenAI).
   */
  readonly mediaType: string
  /** Inline media: the decoded bytes. */
  readonly bytes?: Uint8Array
  /** Media by URL: the URL the provider would fetch. */
  readonly url?: string
  /** A document given as text (Anthropic's text source). */
  readonly text?: string
  /** The name sent with it (OpenAI filename, Anthropic title, Bedrock document name). */
  readonly name?: string
  /** Where in the request it was, in the provider's path form (e.g. `messages[0].content[1]`). */
  readonly at: string
}

export interface TextReply {
  readonly kind: "text"
  /** May be "" when the reply only calls tools. */
  readonly text: string
  /** Tool calls after the text; the finish reason then defaults to "tool-calls". */
  readonly toolCalls?: ReadonlyArray<ScriptedToolCall>
  /**
   * The model's reasoning, before the text, in the provider's form (Anthropic/Bedrock thinking with a
   * signature, Gemini thought parts with a thoughtSignature, OpenAI reasoning summaries). Streams
   * send it as deltas first. Without it, a scripted `usage.reasoningTokens` still gives a stock thought.
   */
  readonly reasoning?: string
  /** How the text is split into stream deltas: a count of near-equal pieces, or the pieces. Default: words. */
  readonly chunks?: number | ReadonlyArray<string>
  /** Normalised usage (docs/ARCHITECTURE.md, "Domain"); each adapter renders it in its wire form. Default: estimated. */
  readonly usage?: Partial<Usage>
  readonly finishReason?: FinishReason
  /** Overrides the model name echoed in the response. */
  readonly model?: string
  readonly firstByteDelayMs?: number
  readonly chunkDelayMs?: number
}

export interface ErrorReply {
  readonly kind: "error"
  readonly fault: FaultKind
  /** Overrides the adapter's status for this fault. */
  readonly status?: number
  readonly message?: string
  readonly headers?: Readonly<Record<string, string>>
  /** Sent as the provider's Retry-After form (header, or Gemini's RetryInfo detail). */
  readonly retryAfterSeconds?: number
  readonly firstByteDelayMs?: number
  /** The usage a fault answered with HTTP 200 reports (a content filter); default: estimated. */
  readonly usage?: Partial<Usage>
}

/** A streamed reply that goes wrong after `afterChunks` text deltas. Non-streamed calls see the fault at once. */
export interface StreamFaultReply {
  readonly kind: "stream-fault"
  readonly text: string
  readonly afterChunks: number
  /** error-event: the provider's mid-stream error (`errorFault` decides which); drop: the socket is destroyed;
   * malformed: a frame the SDK cannot parse; hang: nothing more is sent until the client gives up. */
  readonly fault: "error-event" | "drop" | "malformed" | "hang"
  readonly errorFault?: FaultKind
  readonly chunks?: number | ReadonlyArray<string>
  readonly usage?: Partial<Usage>
  readonly chunkDelayMs?: number
}

/** No response at all until the client aborts (or the simulator closes). */
export interface HangReply {
  readonly kind: "hang"
}

/** A recorded exchange (packages/testing/cassettes) served as is. */
export interface CassetteReply {
  readonly kind: "cassette"
  readonly status: number
  readonly headers: Readonly<Record<string, string>>
  readonly body?: string
  readonly bodyBase64?: string
}

export type Reply = TextReply | ErrorReply | StreamFaultReply | HangReply | CassetteReply

/** A model a simulator lists. */
export interface SimModel {
  readonly id: string
  readonly displayName?: string
  readonly contextWindow?: number
  readonly maxOutputTokens?: number
  /** Non-chat models (embeddings, images) are listed too, so adapters' filters are exercised. */
  readonly chat?: boolean
  /** Bedrock: callable only through an inference profile (listed by ListInferenceProfiles). */
  readonly inferenceProfileOnly?: boolean
}

/** Splits text into stream deltas as a reply asks. */
export const splitText = (text: string, chunks: number | ReadonlyArray<string> | undefined): ReadonlyArray<string> => {
  if (Array.isArray(chunks)) return chunks as ReadonlyArray<string>
  if (typeof chunks === "number") {
    const n = Math.max(1, Math.min(chunks, text.length || 1))
    const size = Math.ceil(text.length / n)
    const out: Array<string> = []
    for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size))
    return out.length > 0 ? out : [""]
  }
  const words = text.match(/\S+\s*|\s+/g)
  return words && words.length > 0 ? words : [text]
}

/** Fills the usage a reply did not script: input estimated from the request size, output = deltas. */
export const completeUsage = (usage: Partial<Usage> | undefined, requestBytes: number, deltas: number): Usage => {
  const reasoningTokens = usage?.reasoningTokens ?? 0
  return {
    inputTokens: usage?.inputTokens ?? Math.max(1, Math.ceil(requestBytes / 16)),
    outputTokens: usage?.outputTokens ?? deltas + reasoningTokens,
    cacheReadTokens: usage?.cacheReadTokens ?? 0,
    cacheWriteTokens: usage?.cacheWriteTokens ?? 0,
    reasoningTokens,
    // The optional counters only when scripted, as a provider reports them.
    ...(usage?.cacheWrite1hTokens ? { cacheWrite1hTokens: usage.cacheWrite1hTokens } : {}),
    ...(usage?.webSearches ? { webSearches: usage.webSearches } : {}),
    ...(usage?.webFetches ? { webFetches: usage.webFetches } : {})
  }
}

/**
 * The signature a simulator gives a piece of reasoning: bound to the protocol and the text, as the
 * real APIs' are, so a signature from another provider or over edited text is refused.
 */
export const reasoningSignature = (protocol: string, text: string): string =>
  Buffer.from(`${protocol}-signature:${createHash("sha256").update(text).digest("hex").slice(0, 32)}`).toString(
    "base64"
  )
