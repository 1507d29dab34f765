/**
 * Tool calls as every adapter needs them (docs/ARCHITECTURE.md, "Tool calls"): arguments parsed from the
 * model's JSON text, tool results as the text a provider sends, tool-call ids made valid for the
 * provider a conversation continues on, and streamed calls assembled into complete ones.
 */
import { createHash } from "node:crypto"
import { type ChatRequest, InvalidRequestError, type ToolCall, type ToolCallEvent } from "@llm-orchestrator/core"
import type { CallContext } from "./call.ts"

/**
 * A tool call from the model's arguments text. Empty text is no arguments (`{}`, as OpenAI and
 * Anthropic send for a tool without parameters); text that is not a JSON object gives `{}` and keeps
 * the text in `rawArguments`, so the answer is still returned (and billed) and the caller decides.
 */
export const toolCallFromText = (id: string, name: string, text: string): ToolCall => {
  if (text.trim() === "") return { id, name, arguments: {} }
  try {
    const parsed: unknown = JSON.parse(text)
    if (typeof parsed === "object" && parsed !== null && !Array.isArray(parsed))
      return { id, name, arguments: parsed as Record<string, unknown> }
  } catch {
    // Not JSON: kept as written, below.
  }
  return { id, name, arguments: {}, rawArguments: text }
}

/** A tool call whose arguments came as a decoded value (Anthropic `input`, Gemini `args`, Bedrock `input`). */
export const toolCallFromValue = (id: string, name: string, value: unknown): ToolCall =>
  typeof value === "object" && value !== null && !Array.isArray(value)
    ? { id, name, arguments: value as Record<string, unknown> }
    : value === undefined || value === null
      ? { id, name, arguments: {} }
      : { id, name, arguments: {}, rawArguments: JSON.stringify(value) }

/** A tool result as text: a string as is, anything else as JSON. */
export const toolResultText = (result: unknown): string =>
  typeof result === "string" ? result : (JSON.stringify(result) ?? "null")

const idShape = /^[A-Za-z0-9_-]+$/

/**
 * A tool-call id valid for a provider that wants `[A-Za-z0-9_-]` and at most `maxLength` characters.
 * Ids already valid pass unchanged (every id the provider made itself); another provider's id (after
 * a fallback mid-conversation) becomes a digest of it, the same for its call and its result, so the
 * two still match.
 */
export const toolCallIdFor = (id: string, maxLength: number): string =>
  id.length <= maxLength && idShape.test(id)
    ? id
    : `call_${createHash("sha256")
        .update(id)
        .digest("base64url")
        .slice(0, Math.min(32, maxLength - 5))}`

/** The request's tools need a provider that cannot take them: a typed error before any network call. */
export const unsupportedToolsError = (ctx: CallContext, what: string, fix: string): InvalidRequestError =>
  new InvalidRequestError({
    provider: ctx.provider,
    model: ctx.model,
    message: `${ctx.provider} model ${ctx.model}: ${what}; ${fix}`
  })

/** Whether the request uses tools at all (definitions, or tool parts in its history). */
export const usesTools = (request: ChatRequest): boolean =>
  request.tools !== undefined ||
  request.messages.some(
    (message) =>
      typeof message.content !== "string" &&
      message.content.some((part) => part.type === "tool-call" || part.type === "tool-result")
  )

interface OpenCall {
  readonly id: string
  readonly name: string
  text: string
}

/**
 * Streamed tool calls, keyed as the provider keys them (an index, an item id), turned into
 * `ToolCallStart`, `ToolCallDelta`s and one complete `ToolCall` each. A provider that sends a whole
 * call at once (Gemini) uses `whole`. `calls` lists the completed calls in order.
 */
export class ToolCallAssembler {
  private readonly open = new Map<string | number, OpenCall>()
  readonly calls: Array<ToolCall> = []

  start(key: string | number, id: string, name: string): Array<ToolCallEvent> {
    this.open.set(key, { id, name, text: "" })
    return [{ _tag: "ToolCallStart", id, name }]
  }

  /** Arguments text of an open call; text for a key never started is dropped (nothing to attach it to). */
  delta(key: string | number, text: string): Array<ToolCallEvent> {
    const call = this.open.get(key)
    if (call === undefined || text === "") return []
    call.text += text
    return [{ _tag: "ToolCallDelta", id: call.id, argumentsDelta: text }]
  }

  isOpen(key: string | number): boolean {
    return this.open.has(key)
  }

  /** Completes one call; `text` replaces the streamed arguments when the provider repeats them whole at the end. */
  end(key: string | number, text?: string): Array<ToolCallEvent> {
    const call = this.open.get(key)
    if (call === undefined) return []
    this.open.delete(key)
    const complete = toolCallFromText(call.id, call.name, text ?? call.text)
    this.calls.push(complete)
    return [{ _tag: "ToolCall", ...complete }]
  }

  /** Completes every open call, in the order they started (a provider that closes calls only by finishing). */
  endAll(): Array<ToolCallEvent> {
    const events: Array<ToolCallEvent> = []
    for (const key of [...this.open.keys()]) events.push(...this.end(key))
    return events
  }

  /** A call that arrives complete: its start, its arguments as one delta, and the call. */
  whole(call: ToolCall): Array<ToolCallEvent> {
    this.calls.push(call)
    const text = call.rawArguments ?? JSON.stringify(call.arguments)
    return [
      { _tag: "ToolCallStart", id: call.id, name: call.name },
      { _tag: "ToolCallDelta", id: call.id, argumentsDelta: text },
      { _tag: "ToolCall", ...call }
    ]
  }
}
