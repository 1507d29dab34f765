/**
 * Generic access to `providerOptions` for the adapters. Each adapter reads only its own type's key
 * (docs/ARCHITECTURE.md, "Provider options"); nothing here names a provider.
 */
import type { ContentPart, Message, ProviderOptions } from "@llm-orchestrator/core"

/** A part's provider options (reasoning parts carry none: core validation refuses them there). */
export const partOptions = (part: ContentPart): ProviderOptions | undefined =>
  part.type === "reasoning" ? undefined : part.providerOptions

/** A message's content as parts: a plain string is one text part. */
export const contentParts = (message: Message): ReadonlyArray<ContentPart> =>
  typeof message.content === "string" ? [{ type: "text", text: message.content }] : message.content

/** Whether the message or one of its parts has options that `read` finds. */
export const hasOptions = (message: Message, read: (options: ProviderOptions | undefined) => unknown): boolean =>
  read(message.providerOptions) !== undefined ||
  (typeof message.content !== "string" && message.content.some((part) => read(partOptions(part)) !== undefined))
