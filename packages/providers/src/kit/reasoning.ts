/**
 * Reasoning as every adapter needs it (README "Reasoning"): a history's reasoning parts kept only for
 * the provider type that wrote them, Anthropic's thinking budget rules (shared by Anthropic and Claude
 * on Bedrock), and the reasoning of an answer collected into `response.reasoning` and its parts.
 */
import {
  type ChatRequest,
  type ContentPart,
  InvalidRequestError,
  type ProviderResponse,
  type ReasoningPart,
  reasoningBudgetOf
} from "@llm-orchestrator/core"
import type { CallContext } from "./call.ts"

/** A reasoning part this provider type can take back (its own); another type's signature is not valid here. */
export const isOwnReasoning = (part: ContentPart, source: string): part is ReasoningPart =>
  part.type === "reasoning" && part.source === source

/** Whether an assistant message has parts beyond text that this provider type sends (tool calls, its own reasoning). */
export const hasWireParts = (content: string | ReadonlyArray<ContentPart>, source: string): boolean =>
  typeof content !== "string" &&
  content.some((part) => part.type !== "text" && (part.type !== "reasoning" || part.source === source))

/** The smallest thinking budget Anthropic takes (Claude on Bedrock too). */
export const anthropicMinBudget = 1_024

/**
 * Anthropic's `thinking` and the `max_tokens` to send with it, or the refusal. The budget must be at
 * least 1,024 and below `max_tokens`; when the request's maxTokens (or the model default `maxTokens`)
 * is not above the budget, `max_tokens` becomes budget + it, so the answer keeps its room. Core
 * validation already refused an explicit budgetTokens at or above an explicit maxTokens.
 */
export const anthropicThinking = (
  request: ChatRequest,
  maxTokens: number,
  ctx: CallContext
):
  | { readonly thinking: { type: "enabled"; budget_tokens: number }; readonly maxTokens: number }
  | InvalidRequestError => {
  const budget = reasoningBudgetOf(request.reasoning)!
  if (budget < anthropicMinBudget)
    return new InvalidRequestError({
      provider: ctx.provider,
      model: ctx.model,
      message: `${ctx.provider} model ${ctx.model}: request.reasoning.budgetTokens is ${budget}, and Claude thinks with at least ${anthropicMinBudget} tokens: raise budgetTokens to ${anthropicMinBudget} or more, or give an effort instead`
    })
  return {
    thinking: { type: "enabled", budget_tokens: budget },
    maxTokens: maxTokens > budget ? maxTokens : budget + maxTokens
  }
}

/** A thinking or redacted-thinking block (Anthropic's and Bedrock's shapes differ; each adapter maps them). */
export const thinkingPart = (
  source: string,
  text: string,
  signature: string | undefined,
  redacted?: string
): ReasoningPart => ({
  type: "reasoning",
  text,
  source,
  ...(signature ? { signature } : {}),
  ...(redacted !== undefined ? { redacted } : {})
})

/** `reasoning` (the parts' text joined) and `reasoningParts` of a response, or nothing when there are no parts. */
export const reasoningFields = (
  parts: ReadonlyArray<ReasoningPart>
): Pick<ProviderResponse, "reasoning" | "reasoningParts"> => {
  if (parts.length === 0) return {}
  const text = parts.map((part) => part.text).join("")
  return { ...(text !== "" ? { reasoning: text } : {}), reasoningParts: parts }
}

/**
 * Streamed thinking blocks assembled into reasoning parts, keyed by content-block index (Anthropic,
 * Bedrock): each piece of text is a `ReasoningDelta`, the signature arrives in its
 * own delta, and `parts` lists the blocks in order once they end.
 */
export class ThinkingAssembler {
  private readonly open = new Map<number, { text: string; signature: string; redacted: string | undefined }>()
  readonly parts: Array<ReasoningPart> = []
  private readonly source: string

  constructor(source: string) {
    this.source = source
  }

  start(key: number, text: string, redacted: string | undefined): Array<{ _tag: "ReasoningDelta"; text: string }> {
    this.open.set(key, { text, signature: "", redacted })
    return text !== "" ? [{ _tag: "ReasoningDelta", text }] : []
  }

  text(key: number, text: string): Array<{ _tag: "ReasoningDelta"; text: string }> {
    const block = this.open.get(key)
    if (block === undefined || text === "") return []
    block.text += text
    return [{ _tag: "ReasoningDelta", text }]
  }

  isOpen(key: number): boolean {
    return this.open.has(key)
  }

  sign(key: number, signature: string): void {
    const block = this.open.get(key)
    if (block !== undefined) block.signature += signature
  }

  /** Ends a thinking block; false when `key` is not one (another kind of block). */
  end(key: number): boolean {
    const block = this.open.get(key)
    if (block === undefined) return false
    this.open.delete(key)
    this.parts.push(thinkingPart(this.source, block.text, block.signature, block.redacted))
    return true
  }
}
