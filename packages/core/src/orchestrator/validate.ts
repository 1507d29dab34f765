/**
 * Checks a request before anything is sent: a bad request becomes an `InvalidRequestError` that says
 * what to fix, and never costs a network call. Hand-written rather than a Schema decode because it
 * runs on every request (a few property checks cost far less than a decode) and because the messages
 * name the fix, not just the expected type.
 */
import type { ChatRequest, ProviderId } from "../domain.ts"
import { InvalidRequestError } from "../errors.ts"

const roles = new Set(["system", "user", "assistant"])

// ---------------------------------------------------------------------------------------------------
// Model ids

/** The longest model id accepted (real ids and Bedrock ARNs are well under 150 characters). */
export const maxModelIdLength = 256

/** What every provider accepts; the message of every rejected id ends with this. */
export const modelIdRule = `model ids are 1 to ${maxModelIdLength} characters: letters, digits and . _ - : @ /, starting with a letter or a digit`

const modelIdCharacter = /[A-Za-z0-9._:@/-]/
const modelIdShape = /^[A-Za-z0-9][A-Za-z0-9._:@/-]*$/
const dotOrEmptySegment = /(?:^|\/)\.{0,2}(?:\/|$)/

/** A rejected character, named without echoing anything else of the id (it may be huge or hostile). */
const describeCharacter = (ch: string): string => {
  const code = ch.codePointAt(0)!
  const hex = `U+${code.toString(16).toUpperCase().padStart(4, "0")}`
  if (code < 0x20 || code === 0x7f) return `a control character (${hex})`
  if (ch === " ") return "a space"
  // Stryker disable next-line EqualityOperator: 0x7f never gets here (a control character, above)
  return code < 0x7f ? `"${ch}"` : `a non-ASCII character (${hex})`
}

/** A provider type's own narrowing of model ids (after the common rule): why `model` is refused, or undefined. */
export type ModelIdCheck = (model: string) => string | undefined

/**
 * Why `model` cannot be sent, or undefined when it can. Model ids end up in URL paths (some SDKs put
 * them there unencoded), so an id must not be able to leave the model's path: no `%`, `?`, `#`, `\`,
 * whitespace or control characters, no `.`/`..` or empty path segments, and a bounded length. A
 * provider type may narrow this further with its own `check` (e.g. the forms of `/` and `:` it uses).
 */
export const modelIdProblem = (model: unknown, check?: ModelIdCheck): string | undefined => {
  if (typeof model !== "string" || model.length === 0) return "it is empty or not a string"
  if (model.length > maxModelIdLength) return `it is ${model.length} characters long`
  if (!modelIdShape.test(model)) {
    if (!/^[A-Za-z0-9]/.test(model) && modelIdCharacter.test(model[0]!)) return "it must start with a letter or a digit"
    for (const ch of model) if (!modelIdCharacter.test(ch)) return `it contains ${describeCharacter(ch)}`
  }
  if (dotOrEmptySegment.test(model)) return 'it has an empty, "." or ".." path segment'
  return check?.(model)
}

// ---------------------------------------------------------------------------------------------------
// Header values

const notHeaderSafe = /[^\x20-\x7e]/

/**
 * Why a value cannot travel in an HTTP header (API keys, AWS keys and session token, OpenAI
 * organization and project), or undefined when it can: printable ASCII only (spaces included). A line break or another
 * control character (a key file read with its newline, a pasted CRLF) would make the SDK throw on
 * every request, reported much later as a network error. Says what kind of character, never which:
 * the value may be a secret.
 */
export const headerValueProblem = (value: string): string | undefined => {
  const ch = notHeaderSafe.exec(value)?.[0]
  if (ch === undefined) return undefined
  const code = ch.charCodeAt(0)
  const kind =
    ch === "\r" || ch === "\n"
      ? "a line break (CR or LF)"
      : // Stryker disable next-line EqualityOperator: 0x20 (a space) is header-safe and never gets here
        code < 0x20 || code === 0x7f
        ? "a control character"
        : "a non-ASCII character"
  return `contains ${kind}, which cannot be sent in an HTTP header (printable ASCII characters only)`
}

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
  const { temperature, topP, maxTokens, stop, metadata } = request
  if (temperature !== undefined && !(typeof temperature === "number" && temperature >= 0 && temperature <= 2))
    return `request.temperature must be a number from 0 to 2 (got ${String(temperature)})`
  if (topP !== undefined && !(typeof topP === "number" && topP > 0 && topP <= 1))
    return `request.topP must be a number above 0 and at most 1 (got ${String(topP)})`
  if (maxTokens !== undefined && !(Number.isInteger(maxTokens) && maxTokens > 0))
    return `request.maxTokens must be a positive integer (got ${String(maxTokens)})`
  if (stop !== undefined && !(Array.isArray(stop) && stop.every((s) => typeof s === "string" && s.length > 0)))
    return "request.stop must be an array of non-empty strings"
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
  model: string,
  check?: ModelIdCheck
): InvalidRequestError | undefined => {
  // request.model replaces the active provider's model, so it is checked against that provider's type.
  const modelProblem = request?.model === undefined ? undefined : modelIdProblem(request.model, check)
  if (modelProblem !== undefined)
    return new InvalidRequestError({
      provider,
      // The rejected id is not repeated anywhere: it may be huge or hold control characters.
      model: "(invalid model id)",
      message: `invalid request: request.model is not a valid ${provider} model id: ${modelProblem}; ${modelIdRule}. Leave it out to use the configured active_model`
    })
  const problem = problemIn(request)
  return problem === undefined
    ? undefined
    : new InvalidRequestError({ provider, model, message: `invalid request: ${problem}` })
}
