/**
 * The small typed readers the config walker is built from. Each reader records a problem and returns
 * `undefined` instead of stopping, so one pass reports every problem in the file.
 *
 * Messages never echo a value, except the literal text of enum-like keys (provider names, `api`):
 * any other value may be a secret written in the wrong place, or come from a secret variable.
 */
import { Redacted } from "effect"
import type { ConfigProblem } from "../errors.ts"
import { closest } from "../internal/suggest.ts"
import { headerValueProblem, type ModelIdCheck, modelIdProblem, modelIdRule } from "../orchestrator/validate.ts"
import { parseDurationMs } from "./duration.ts"
import { expandVariables } from "./expand.ts"

export type Env = Readonly<Record<string, string | undefined>>

export class Reader {
  readonly problems: Array<ConfigProblem> = []
  readonly env: Env
  constructor(env: Env) {
    this.env = env
  }
  hasProblemAt(path: string): boolean {
    return this.problems.some((problem) => problem.path === path)
  }
  report(path: string, message: string): undefined {
    this.problems.push({ path, message })
    return undefined
  }
}

/** `a.b`, `a["gpt-4.1"]` for keys that would be ambiguous after a dot, `a[0]` for list items. */
export const childPath = (parent: string, key: string | number): string => {
  if (typeof key === "number") return `${parent}[${key}]`
  if (!/^[A-Za-z0-9_-]+$/.test(key)) return `${parent}[${JSON.stringify(key)}]`
  return parent === "" ? key : `${parent}.${key}`
}

export const isMapping = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value)

export const describe = (value: unknown): string => {
  if (value === null || value === undefined) return "nothing"
  if (Array.isArray(value)) return "a list"
  if (typeof value === "object") return "a mapping"
  // YAML scalars are strings, numbers and booleans: "a string", "a number", "a boolean".
  return `a ${typeof value}`
}

/** YAML reads `123` and `true` as numbers and booleans; where a string was meant, quoting fixes it. */
const wrongType = (expected: string, value: unknown): string =>
  `expected ${expected}, got ${describe(value)}${typeof value === "number" || typeof value === "boolean" ? "; put it in quotes" : ""}`

/**
 * Checks the keys of a mapping (unknown keys are problems with a suggestion). `null` (a key written
 * with no value) reads as an empty mapping. Returns undefined when the value is not a mapping.
 */
export const readMapping = (
  reader: Reader,
  path: string,
  value: unknown,
  knownKeys: ReadonlyArray<string>,
  expected?: string,
  unknownKeyHint?: (key: string) => string | undefined
): Record<string, unknown> | undefined => {
  if (value === null || value === undefined) return {}
  if (!isMapping(value)) {
    return reader.report(path, `expected ${expected ?? `a mapping (${knownKeys.join(", ")})`}, got ${describe(value)}`)
  }
  for (const key of Object.keys(value)) {
    if (knownKeys.includes(key)) continue
    const suggestion = closest(key, knownKeys)
    const message = suggestion
      ? `unknown key; did you mean ${suggestion}?`
      : (unknownKeyHint?.(key) ?? `unknown key; the keys here are ${knownKeys.join(", ")}`)
    reader.report(childPath(path, key), message)
  }
  return value
}

export interface ExpandedString {
  readonly value: string
  /** The value is exactly what the file says (no variable was expanded), so it may be echoed. */
  readonly literal: boolean
  /** Variables that expanded to the empty string (for a better "is empty" message). */
  readonly emptyVariables: ReadonlyArray<string>
  /** Variables whose values are in `value`. */
  readonly variables: ReadonlyArray<string>
}

/** Reads a string and expands its variables. `null`/absent gives undefined without a problem. */
export const readExpanded = (
  reader: Reader,
  path: string,
  value: unknown,
  expected = "a string"
): ExpandedString | undefined => {
  if (value === null || value === undefined) return undefined
  if (typeof value !== "string") return reader.report(path, wrongType(expected, value))
  const expansion = expandVariables(value, reader.env)
  if (expansion.syntaxError !== undefined) return reader.report(path, expansion.syntaxError)
  if (expansion.missing.length > 0) {
    for (const name of expansion.missing) {
      reader.report(path, `environment variable ${name} is not set; export it, or write \${${name}:-...} for a default`)
    }
    return undefined
  }
  return {
    value: expansion.value,
    literal: !expansion.usedVariables,
    emptyVariables: expansion.empty,
    variables: expansion.used
  }
}

const emptyMessage = (expanded: ExpandedString, fix: string): string =>
  expanded.emptyVariables.length > 0
    ? `is empty: environment variable ${expanded.emptyVariables.join(", ")} is set to ""; give it a value`
    : `is empty; ${fix}`

/**
 * A required, non-empty string. `missingFix` completes "is required; ..." when the key is absent.
 */
export const readRequiredString = (
  reader: Reader,
  path: string,
  value: unknown,
  missingFix: string,
  expected = "a string"
): string | undefined => {
  if (value === null || value === undefined) return reader.report(path, `is required; ${missingFix}`)
  const expanded = readExpanded(reader, path, value, expected)
  if (expanded === undefined) return undefined
  if (expanded.value.trim() === "") return reader.report(path, emptyMessage(expanded, missingFix))
  return expanded.value
}

/**
 * An optional string. An empty result reads as absent, so `${ORG:-}` makes a key optional through
 * the environment.
 */
export const readOptionalString = (reader: Reader, path: string, value: unknown): string | undefined => {
  const expanded = readExpanded(reader, path, value)
  return expanded === undefined || expanded.value.trim() === "" ? undefined : expanded.value
}

/** The value when an HTTP header can carry it; the problem names the variables it came from, never the value. */
const headerSafe = (reader: Reader, path: string, expanded: ExpandedString): string | undefined => {
  const problem = headerValueProblem(expanded.value)
  if (problem === undefined) return expanded.value
  const from =
    expanded.variables.length > 0
      ? `environment variable ${expanded.variables.join(", ")} holds it: remove it there (a file read with its trailing newline, for example)`
      : "remove it from the config file"
  return reader.report(path, `${problem}; ${from}`)
}

/** An optional header value; empty reads as absent, like `readOptionalString`. */
export const readOptionalHeaderValue = (reader: Reader, path: string, value: unknown): string | undefined => {
  const expanded = readExpanded(reader, path, value)
  return expanded === undefined || expanded.value.trim() === "" ? undefined : headerSafe(reader, path, expanded)
}

export const readOptionalSecret = (
  reader: Reader,
  path: string,
  value: unknown
): Redacted.Redacted<string> | undefined => {
  const plain = readOptionalHeaderValue(reader, path, value)
  return plain === undefined ? undefined : Redacted.make(plain)
}

export const readRequiredSecret = (
  reader: Reader,
  path: string,
  value: unknown,
  missingFix: string
): Redacted.Redacted<string> | undefined => {
  if (value === null || value === undefined) return reader.report(path, `is required; ${missingFix}`)
  const expanded = readExpanded(reader, path, value)
  if (expanded === undefined) return undefined
  if (expanded.value.trim() === "") return reader.report(path, emptyMessage(expanded, missingFix))
  const plain = headerSafe(reader, path, expanded)
  return plain === undefined ? undefined : Redacted.make(plain)
}

/** One of a fixed set of words. Its literal text is echoed (a name, not a secret); a value from a variable is not. */
export const readEnum = <A extends string>(
  reader: Reader,
  path: string,
  value: unknown,
  allowed: ReadonlyArray<A>,
  options: { readonly noun?: string; readonly plural?: string; readonly missingFix?: string } = {}
): A | undefined => {
  const noun = options.noun ?? "value"
  const expected = `one of ${allowed.join(", ")}`
  if ((value === null || value === undefined) && options.missingFix !== undefined) {
    return reader.report(path, `is required; ${options.missingFix}`)
  }
  const expanded = readExpanded(reader, path, value, expected)
  if (expanded === undefined) return undefined
  const word = expanded.value.trim()
  if ((allowed as ReadonlyArray<string>).includes(word)) return word as A
  const shown = expanded.literal ? ` "${word}"` : ""
  const suggestion = closest(word, allowed)
  const list = allowed.join(", ")
  // "Providers: a, b" after a question reads better than a second "expected".
  const afterQuestion = options.plural ? `${capitalise(options.plural)}: ${list}` : `Expected one of ${list}`
  const alone = options.plural ? `the ${options.plural} are ${list}` : `expected one of ${list}`
  return reader.report(
    path,
    suggestion
      ? `unknown ${noun}${shown}; did you mean ${suggestion}? ${afterQuestion}`
      : `unknown ${noun}${shown}; ${alone}`
  )
}

const capitalise = (word: string): string => word.charAt(0).toUpperCase() + word.slice(1)

/**
 * Numbers from YAML, or strings that came from a variable (`${BUDGET:-10}`): the environment only
 * holds strings, so a number key must accept an expanded numeric string.
 */
const numberFrom = (reader: Reader, path: string, value: unknown, expected: string): number | undefined => {
  if (typeof value === "number") return value
  if (typeof value === "string" && value.includes("${")) {
    const expanded = readExpanded(reader, path, value)
    if (expanded === undefined) return undefined
    const text = expanded.value.trim()
    const parsed = text === "" ? Number.NaN : Number(text)
    if (Number.isFinite(parsed)) return parsed
    return reader.report(path, `expected ${expected}; the environment variable does not hold one`)
  }
  return reader.report(path, `expected ${expected}, got ${describe(value)}`)
}

export interface NumberRule {
  readonly integer?: boolean
  /** Inclusive lower bound. */
  readonly min?: number
  /** Exclusive lower bound. */
  readonly above?: number
  /** What the number means, for the message ("USD", "USD per million tokens"). */
  readonly unit?: string
}

const ruleText = (rule: NumberRule): string => {
  const kind = rule.integer ? "a whole number" : "a number"
  const bound =
    rule.above !== undefined
      ? ` greater than ${rule.above}`
      : // Stryker disable next-line ConditionalExpression: every number key has a bound today; this is for one without
        rule.min !== undefined
        ? rule.min === 0
          ? " that is not negative"
          : ` of at least ${rule.min}`
        : // Stryker disable next-line StringLiteral: every number key has a bound today; this is for one without
          ""
  return `${kind}${bound}${rule.unit ? ` (${rule.unit})` : ""}`
}

export const readNumber = (reader: Reader, path: string, value: unknown, rule: NumberRule): number | undefined => {
  if (value === null || value === undefined) return undefined
  const n = numberFrom(reader, path, value, ruleText(rule))
  if (n === undefined) return undefined
  const ok =
    Number.isFinite(n) &&
    (!rule.integer || Number.isInteger(n)) &&
    (rule.min === undefined || n >= rule.min) &&
    (rule.above === undefined || n > rule.above)
  return ok ? n : reader.report(path, `must be ${ruleText(rule)}`)
}

export const readBoolean = (reader: Reader, path: string, value: unknown): boolean | undefined => {
  if (value === null || value === undefined) return undefined
  if (typeof value === "boolean") return value
  if (typeof value === "string" && value.includes("${")) {
    const expanded = readExpanded(reader, path, value)
    if (expanded === undefined) return undefined
    const text = expanded.value.trim().toLowerCase()
    if (text === "true" || text === "false") return text === "true"
  }
  return reader.report(path, `expected true or false, got ${describe(value)}`)
}

const durationHelp = 'a duration: a number of seconds, or a string such as "500ms", "30s", "2m" or "1h"'

/** A duration in milliseconds, 0 or more. */
export const readDuration = (
  reader: Reader,
  path: string,
  value: unknown,
  /** A timeout that `0` or `none` turns off: both read as 0. */
  disableable = false
): number | undefined => {
  if (value === null || value === undefined) return undefined
  const help = disableable ? `${durationHelp}, or 0 / "none" to turn it off` : durationHelp
  let ms: number | undefined
  if (typeof value === "number") ms = parseDurationMs(value)
  else if (typeof value === "string") {
    const expanded = readExpanded(reader, path, value)
    if (expanded === undefined) return undefined
    if (disableable && expanded.value.trim().toLowerCase() === "none") return 0
    ms = parseDurationMs(expanded.value)
  } else return reader.report(path, `expected ${help}, got ${describe(value)}`)
  if (ms === undefined || (typeof value === "string" && ms < 0)) return reader.report(path, `expected ${help}`)
  if (ms < 0) return reader.report(path, `must be ${disableable ? "0 (off) or more" : "0 or more"}`)
  return ms
}

/** Whose model ids a key holds: the provider's name for messages and its type's own check. */
export interface ModelIdOwner {
  readonly provider: string
  readonly check?: ModelIdCheck | undefined
}

/**
 * A model id (trimmed) that is safe to send to `owner` (the common rule alone when unknown): the
 * same check `sendRequest` applies to `request.model`.
 */
export const readModelId = (
  reader: Reader,
  path: string,
  value: unknown,
  missingFix: string,
  owner: ModelIdOwner | undefined,
  expected = "a string"
): string | undefined => {
  const model = readRequiredString(reader, path, value, missingFix, expected)?.trim()
  if (model === undefined) return undefined
  const problem = modelIdProblem(model, owner?.check)
  return problem === undefined
    ? model
    : reader.report(
        path,
        `is not a valid ${owner === undefined ? "" : `${owner.provider} `}model id: ${problem}; ${modelIdRule}`
      )
}

/**
 * A list of non-empty strings (model names). An empty list, or the key with no items, is a problem:
 * it almost always means the models were deleted by mistake.
 */
export const readModelList = (
  reader: Reader,
  path: string,
  value: unknown,
  example: string,
  owner: ModelIdOwner
): ReadonlyArray<string> | undefined => {
  if (value === undefined) return undefined
  if (value === null || (Array.isArray(value) && value.length === 0)) {
    return reader.report(path, `is empty; remove the key, or add a model such as [${example}]`)
  }
  if (!Array.isArray(value))
    return reader.report(path, `expected a list of model names such as [${example}], got ${describe(value)}`)
  const models: Array<string> = []
  for (const [index, item] of value.entries()) {
    if (item === null) {
      reader.report(childPath(path, index), "is empty; write a model name, or remove the item")
      continue
    }
    const model = readModelId(reader, childPath(path, index), item, "write a model name", owner, "a model name")
    if (model !== undefined) models.push(model)
  }
  return models.length === value.length ? models : undefined
}
