/**
 * Checks a request before anything is sent: a bad request becomes an `InvalidRequestError` that says
 * what to fix, and never costs a network call. Hand-written rather than a Schema decode because it
 * runs on every request (a few property checks cost far less than a decode) and because the messages
 * name the fix, not just the expected type.
 */
import type { ChatRequest, ProviderId } from "../domain.ts"
import { InvalidRequestError } from "../errors.ts"
import { compileSchema } from "./output.ts"
import {
  type Breakpoint,
  breakpointsProblem,
  messageRank,
  providerOptionsProblem,
  requestRank,
  systemRank,
  toolRank
} from "./provider-options.ts"

const roles = new Set(["system", "user", "assistant", "tool"])

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
  // Stryker disable next-line ConditionalExpression: equivalent, the block only names what is wrong and finds nothing in a valid id
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

// ---------------------------------------------------------------------------------------------------
// Tools

/** Tool names every provider accepts (OpenAI, Anthropic and Bedrock allow no dots; Gemini wants a letter or _ first). */
const toolNameShape = /^[A-Za-z_][A-Za-z0-9_-]{0,63}$/
export const toolNameRule = "tool names are 1 to 64 characters: letters, digits, _ and -, starting with a letter or _"

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value)

const nonEmptyString = (value: unknown): value is string => typeof value === "string" && value.length > 0

const toolsProblem = (tools: unknown, toolChoice: unknown, breakpoints: Array<Breakpoint>): string | undefined => {
  if (tools !== undefined) {
    if (!Array.isArray(tools)) return "request.tools must be an array of { name, description?, parameters }"
    const names = new Set<string>()
    for (let i = 0; i < tools.length; i++) {
      const tool: unknown = tools[i]
      if (!isPlainObject(tool)) return `request.tools[${i}] must be { name, description?, parameters }`
      if (typeof tool.name !== "string" || !toolNameShape.test(tool.name))
        return `request.tools[${i}].name is missing or invalid (${toolNameRule})`
      if (names.has(tool.name)) return `request.tools[${i}].name "${tool.name}" is defined twice`
      names.add(tool.name)
      if (tool.description !== undefined && typeof tool.description !== "string")
        return `request.tools[${i}].description must be a string`
      if (!isPlainObject(tool.parameters) || tool.parameters.type !== "object")
        return `request.tools[${i}].parameters must be a JSON Schema of an object ({ type: "object", properties: {...} })`
      if (tool.providerOptions !== undefined) {
        const problem = providerOptionsProblem(tool.providerOptions, `request.tools[${i}]`, toolRank, breakpoints)
        if (problem !== undefined) return problem
      }
    }
  }
  if (toolChoice === undefined || toolChoice === "auto" || toolChoice === "none") return undefined
  const defined = Array.isArray(tools) ? tools.map((tool: { name: string }) => tool.name) : []
  if (toolChoice === "required")
    return defined.length > 0 ? undefined : 'request.toolChoice "required" needs request.tools'
  if (!isPlainObject(toolChoice) || typeof toolChoice.tool !== "string")
    return 'request.toolChoice must be "auto", "none", "required" or { tool: name }'
  return defined.includes(toolChoice.tool)
    ? undefined
    : `request.toolChoice names the tool ${JSON.stringify(toolChoice.tool)}, which request.tools does not define (${defined.length > 0 ? defined.join(", ") : "no tools"})`
}

/** Schema names OpenAI and Bedrock accept (the others do not send one). */
const schemaNameShape = /^[A-Za-z0-9_-]{1,64}$/

const responseFormatProblem = (format: unknown): string | undefined => {
  if (!isPlainObject(format) || format.type !== "json")
    return 'request.responseFormat must be { type: "json", schema, name? }'
  if (!isPlainObject(format.schema) || format.schema.type !== "object")
    return 'request.responseFormat.schema must be a JSON Schema of an object ({ type: "object", properties: {...} }): every provider\'s structured output wants an object at the root; wrap a list or a value in a property'
  if (format.name !== undefined && (typeof format.name !== "string" || !schemaNameShape.test(format.name)))
    return "request.responseFormat.name must be 1 to 64 characters: letters, digits, _ and -"
  const compiled = compileSchema(format.schema)
  return typeof compiled === "string"
    ? `request.responseFormat.schema is not a valid JSON Schema: ${compiled}`
    : undefined
}

// ---------------------------------------------------------------------------------------------------
// Images and files

/** What every provider takes inline (Anthropic and Bedrock take less per image: their adapters say so). */
export const maxMediaBytes = 20 * 1024 * 1024
export const imageMediaTypes: ReadonlySet<string> = new Set(["image/png", "image/jpeg", "image/gif", "image/webp"])
export const fileMediaTypes: ReadonlySet<string> = new Set(["application/pdf", "text/plain"])
const base64Shape = /^[A-Za-z0-9+/]*={0,2}$/

/** The decoded size of base64 text of this length (padding included). */
const base64Bytes = (text: string): number =>
  (text.length / 4) * 3 - (text.endsWith("==") ? 2 : text.endsWith("=") ? 1 : 0)

const megabytes = (bytes: number) => `${(bytes / (1024 * 1024)).toFixed(1)} MB`

const mediaProblem = (part: Record<string, unknown>, role: string, where: string): string | undefined => {
  const kind = part.type as "image" | "file"
  if (role !== "user") return `${where}: ${kind} parts belong in user messages`
  const types = kind === "image" ? imageMediaTypes : fileMediaTypes
  if (typeof part.mediaType !== "string" || !types.has(part.mediaType))
    return `${where}.mediaType must be one of ${[...types].join(", ")} (got ${JSON.stringify(part.mediaType)})`
  if (part.filename !== undefined && typeof part.filename !== "string") return `${where}.filename must be a string`
  const data = part.data
  let bytes: number
  if (typeof data === "string") {
    if (/^https?:\/\//i.test(data))
      return `${where}.data is a URL written as a string: pass new URL(...) (a string is read as base64)`
    if (data.length === 0 || data.length % 4 !== 0 || !base64Shape.test(data))
      return `${where}.data must be base64 text (no data: prefix, no line breaks), bytes (Uint8Array) or a URL`
    bytes = base64Bytes(data)
  } else if (data instanceof Uint8Array) {
    if (data.length === 0) return `${where}.data is empty`
    bytes = data.length
  } else if (data instanceof URL) {
    return data.protocol === "https:" || data.protocol === "http:"
      ? undefined
      : `${where}.data must be an http or https URL (got ${data.protocol})`
  } else return `${where}.data must be base64 text, bytes (Uint8Array) or a URL`
  return bytes > maxMediaBytes
    ? `${where} is ${megabytes(bytes)}; at most ${megabytes(maxMediaBytes)} can be sent inline: make it smaller, or pass a URL the provider can fetch`
    : undefined
}

/** Why a part of a message is malformed (`where` names it), or undefined. Tool calls seen so far are in `callIds`. */
const partProblem = (part: unknown, role: string, where: string, callIds: Set<string>): string | undefined => {
  if (!isPlainObject(part))
    return `${where} must be a content part ({ type: "text", text: string }, an "image", a "file", a "tool-call", a "tool-result" or a "reasoning")`
  switch (part.type) {
    case "text":
      // Stryker disable next-line ConditionalExpression: equivalent, a valid text part never gets here (the fast path in problemIn takes it)
      return typeof part.text === "string" ? undefined : `${where} must be { type: "text", text: string }`
    case "image":
    case "file":
      return mediaProblem(part, role, where)
    case "tool-call":
      if (role !== "assistant") return `${where}: tool-call parts belong in assistant messages`
      if (!nonEmptyString(part.id) || !nonEmptyString(part.name))
        return `${where} must be { type: "tool-call", id, name, arguments } with a non-empty id and name`
      if (!isPlainObject(part.arguments))
        return `${where}.arguments must be an object (the parsed arguments, as response.toolCalls gives them)`
      callIds.add(part.id)
      return undefined
    case "tool-result":
      if (role !== "tool") return `${where}: tool-result parts belong in messages of role "tool"`
      if (!nonEmptyString(part.id) || !nonEmptyString(part.name))
        return `${where} must be { type: "tool-result", id, name, result } with the id and name of the call it answers`
      if (!callIds.has(part.id))
        return `${where} answers tool call ${JSON.stringify(part.id)}, which no earlier assistant message made`
      if (part.result === undefined) return `${where}.result is missing (any JSON value, or a string)`
      if (part.isError !== undefined && typeof part.isError !== "boolean") return `${where}.isError must be a boolean`
      return undefined
    case "reasoning":
      if (role !== "assistant") return `${where}: reasoning parts belong in assistant messages`
      if (typeof part.text !== "string" || !nonEmptyString(part.source))
        return `${where} must be { type: "reasoning", text, source, signature?, redacted?, id? } as response.reasoningParts gives them`
      // Thinking blocks cannot be cache breakpoints (Anthropic) and go back exactly as they came.
      if (part.providerOptions !== undefined)
        return `${where}: reasoning parts take no providerOptions (they go back as the provider returned them); put the marker on the message or on another part`
      for (const key of ["signature", "redacted", "id"] as const)
        if (part[key] !== undefined && typeof part[key] !== "string") return `${where}.${key} must be a string`
      return undefined
    default:
      return `${where}.type must be "text", "image", "file", "tool-call", "tool-result" or "reasoning" (got ${JSON.stringify(part.type)})`
  }
}

// ---------------------------------------------------------------------------------------------------
// Reasoning

const efforts = new Set(["low", "medium", "high"])

const reasoningProblem = (reasoning: unknown, maxTokens: number | undefined): string | undefined => {
  if (!isPlainObject(reasoning) || (reasoning.effort === undefined && reasoning.budgetTokens === undefined))
    return 'request.reasoning must be { effort: "low" | "medium" | "high" } and/or { budgetTokens: a positive integer }'
  for (const key in reasoning)
    if (key !== "effort" && key !== "budgetTokens")
      return `request.reasoning.${key} is not a reasoning setting (effort, budgetTokens)`
  const { effort, budgetTokens } = reasoning
  if (effort !== undefined && !efforts.has(effort as string))
    return `request.reasoning.effort must be "low", "medium" or "high" (got ${JSON.stringify(effort)})`
  if (budgetTokens === undefined) return undefined
  if (!(Number.isInteger(budgetTokens) && (budgetTokens as number) > 0))
    return `request.reasoning.budgetTokens must be a positive integer (got ${String(budgetTokens)})`
  // The budget is part of the output: a model can only think within maxTokens.
  if (maxTokens !== undefined && (budgetTokens as number) >= maxTokens)
    return `request.reasoning.budgetTokens (${budgetTokens}) must be below request.maxTokens (${maxTokens}): the thinking is part of the output; raise maxTokens or lower the budget`
  return undefined
}

const problemIn = (request: ChatRequest): string | undefined => {
  if (typeof request !== "object" || request === null) return "the request must be an object with `messages`"
  if (!Array.isArray(request.messages) || request.messages.length === 0)
    return "request.messages must be a non-empty array of { role, content }"
  let callIds: Set<string> | undefined
  // Created at the first providerOptions: a request without any allocates nothing for them.
  let breakpoints: Array<Breakpoint> | undefined
  // Indexed loops: no iterator or entry arrays on every request.
  for (let i = 0; i < request.messages.length; i++) {
    const message = request.messages[i]!
    if (typeof message !== "object" || message === null) return `request.messages[${i}] must be { role, content }`
    if (!roles.has(message.role))
      return `request.messages[${i}].role must be "system", "user", "assistant" or "tool" (got ${JSON.stringify(message.role)})`
    const content: unknown = message.content
    const rank = message.role === "system" ? systemRank : messageRank
    if (typeof content !== "string") {
      if (!Array.isArray(content)) return `request.messages[${i}].content must be a string or an array of content parts`
      for (let j = 0; j < content.length; j++) {
        const part = content[j]
        // Text parts, the common case, need no tool bookkeeping.
        // Stryker disable next-line ConditionalExpression,StringLiteral: equivalent, partProblem accepts the same parts; this only skips its call
        if (
          isPlainObject(part) &&
          part.type === "text" &&
          typeof part.text === "string" &&
          part.providerOptions === undefined
        )
          continue
        callIds ??= new Set()
        const where = `request.messages[${i}].content[${j}]`
        const problem = partProblem(part, message.role, where, callIds)
        if (problem !== undefined) return problem
        const options = (part as { providerOptions?: unknown }).providerOptions
        if (options !== undefined) {
          breakpoints ??= []
          const optionsProblem = providerOptionsProblem(options, where, rank, breakpoints)
          if (optionsProblem !== undefined) return optionsProblem
        }
      }
    }
    if (message.providerOptions !== undefined) {
      breakpoints ??= []
      const problem = providerOptionsProblem(message.providerOptions, `request.messages[${i}]`, rank, breakpoints)
      if (problem !== undefined) return problem
    }
    if (
      message.role === "tool" &&
      (typeof content === "string" || content.length === 0 || content.some((part) => part.type !== "tool-result"))
    )
      return `request.messages[${i}] has role "tool": its content must be tool-result parts ({ type: "tool-result", id, name, result })`
  }
  if (!request.messages.some((m) => m.role !== "system"))
    return "request.messages needs at least one user or assistant message, not only system messages"
  const {
    temperature,
    topP,
    maxTokens,
    stop,
    metadata,
    tools,
    toolChoice,
    responseFormat,
    reasoning,
    providerOptions
  } = request
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
  if (reasoning !== undefined) {
    const problem = reasoningProblem(reasoning, maxTokens)
    if (problem !== undefined) return problem
  }
  if (responseFormat !== undefined) {
    const problem = responseFormatProblem(responseFormat)
    if (problem !== undefined) return problem
  }
  // Stryker disable next-line ConditionalExpression: equivalent, toolsProblem finds nothing without tools or a choice; this only skips its call
  if (tools !== undefined || toolChoice !== undefined) {
    breakpoints ??= []
    const problem = toolsProblem(tools, toolChoice, breakpoints)
    if (problem !== undefined) return problem
  }
  if (providerOptions !== undefined) {
    breakpoints ??= []
    const problem = providerOptionsProblem(providerOptions, "request", requestRank, breakpoints)
    if (problem !== undefined) return problem
  }
  return breakpoints === undefined ? undefined : breakpointsProblem(breakpoints)
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
