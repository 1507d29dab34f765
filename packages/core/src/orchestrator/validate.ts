/**
 * Checks a request before anything is sent: a bad request becomes an `InvalidRequestError` that says
 * what to fix, and never costs a network call. Hand-written rather than a Schema decode because it
 * runs on every request (a few property checks cost far less than a decode) and because the messages
 * name the fix, not just the expected type.
 */
import type { ChatRequest, ProviderId } from "../domain.ts"
import { InvalidRequestError } from "../errors.ts"

const roles = new Set(["system", "user", "assistant"])

const problemIn = (request: ChatRequest): string | undefined => {
  if (typeof request !== "object" || request === null) return "the request must be an object with `messages`"
  if (!Array.isArray(request.messages) || request.messages.length === 0)
    return "request.messages must be a non-empty array of { role, content }"
  // Indexed loops: no iterator or entry arrays on every request.
  for (let i = 0; i < request.messages.length; i++) {
    const message = request.messages[i]!
    if (typeof message !== "object" || message === null) return `request.messages[${i}] must be { role, content }`
    if (!roles.has(message.role))
      return `request.messages[${i}].role must be "system", "user" or "assistant" (got ${JSON.stringify(message.role)})`
    const content: unknown = message.content
    if (typeof content !== "string") {
      if (!Array.isArray(content)) return `request.messages[${i}].content must be a string or an array of text parts`
      for (let j = 0; j < content.length; j++) {
        const part = content[j]
        if (typeof part !== "object" || part === null || part.type !== "text" || typeof part.text !== "string")
          return `request.messages[${i}].content[${j}] must be { type: "text", text: string }`
      }
    }
  }
  if (!request.messages.some((m) => m.role !== "system"))
    return "request.messages needs at least one user or assistant message, not only system messages"
  const { temperature, topP, maxTokens, stop, model, metadata } = request
  if (temperature !== undefined && !(typeof temperature === "number" && temperature >= 0 && temperature <= 2))
    return `request.temperature must be a number from 0 to 2 (got ${String(temperature)})`
  if (topP !== undefined && !(typeof topP === "number" && topP > 0 && topP <= 1))
    return `request.topP must be a number above 0 and at most 1 (got ${String(topP)})`
  if (maxTokens !== undefined && !(Number.isInteger(maxTokens) && maxTokens > 0))
    return `request.maxTokens must be a positive integer (got ${String(maxTokens)})`
  if (stop !== undefined && !(Array.isArray(stop) && stop.every((s) => typeof s === "string" && s.length > 0)))
    return "request.stop must be an array of non-empty strings"
  if (model !== undefined && !(typeof model === "string" && model.length > 0))
    return "request.model must be a non-empty model id, or left out to use the configured active_model"
  if (metadata !== undefined) {
    if (typeof metadata !== "object" || metadata === null) return "request.metadata must be an object of string tags"
    for (const key in metadata)
      if (typeof metadata[key] !== "string") return `request.metadata.${key} must be a string (cost tags are strings)`
  }
  return undefined
}

export const validateRequest = (
  request: ChatRequest,
  provider: ProviderId,
  model: string
): InvalidRequestError | undefined => {
  const problem = problemIn(request)
  return problem === undefined
    ? undefined
    : new InvalidRequestError({ provider, model, message: `invalid request: ${problem}` })
}
