/**
 * Checks `providerOptions` (domain.ts `ProviderOptions`) before anything is sent: the keys are provider
 * types, the options under them are the ones listed here, with values each API takes. Only the adapter
 * of a type reads its options (docs/ARCHITECTURE.md, "Provider options"); this file only refuses what no
 * provider would take, so a typo fails at once rather than silently caching nothing.
 */
import { closest } from "../internal/suggest.ts"

/** The options each provider type takes; a type listed with none takes none yet. */
const optionsByType: Readonly<Record<string, ReadonlyArray<string>>> = {
  anthropic: ["cacheControl"],
  bedrock: ["cachePoint"],
  openai: [],
  "openai-compatible": [],
  gemini: [],
  vertex: []
}
const providerTypes = Object.keys(optionsByType)
const withOptions = providerTypes.filter((type) => optionsByType[type]!.length > 0)

/** Anthropic's documented limit of blocks with `cache_control` in one request (the request-level one included). */
export const maxAnthropicBreakpoints = 4

/** Where a marker stands: Anthropic reads tools, then system, then messages; the request-level one is last. */
export type MarkerRank = 0 | 1 | 2 | 3
export const toolRank: MarkerRank = 0
export const systemRank: MarkerRank = 1
export const messageRank: MarkerRank = 2
export const requestRank: MarkerRank = 3

/** The Anthropic breakpoints met while checking a request, for the per-request rules. */
export interface Breakpoint {
  readonly where: string
  readonly ttl: "5m" | "1h"
  readonly rank: MarkerRank
}

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value)

const quoted = (values: ReadonlyArray<string>) => values.map((v) => `"${v}"`).join(", ")

const unknownKey = (key: string, known: ReadonlyArray<string>): string => {
  const guess = closest(key, known)
  return guess !== undefined ? `; did you mean "${guess}"?` : ""
}

/** Why `{ type: "ephemeral", ttl? }` is malformed, or undefined; its TTL is added to `breakpoints`. */
const cacheControlProblem = (
  value: unknown,
  where: string,
  rank: MarkerRank,
  breakpoints: Array<Breakpoint>
): string | undefined => {
  if (!isPlainObject(value) || value.type !== "ephemeral")
    return `${where} must be { type: "ephemeral", ttl?: "5m" | "1h" }`
  for (const key in value)
    if (key !== "type" && key !== "ttl") return `${where}.${key} is not a cacheControl field (type, ttl)`
  if (value.ttl !== undefined && value.ttl !== "5m" && value.ttl !== "1h")
    return `${where}.ttl must be "5m" or "1h" (got ${JSON.stringify(value.ttl)}): Anthropic caches for 5 minutes or 1 hour`
  breakpoints.push({ where, ttl: (value.ttl as "5m" | "1h" | undefined) ?? "5m", rank })
  return undefined
}

const cachePointProblem = (value: unknown, where: string, rank: MarkerRank): string | undefined => {
  if (rank === requestRank)
    return `${where}: Bedrock has no request-wide cache point; put it on a message, a part or a tool`
  if (!isPlainObject(value) || value.type !== "default" || Object.keys(value).length !== 1)
    return `${where} must be { type: "default" }`
  return undefined
}

/**
 * Why the `providerOptions` of the thing at `where` (request, message, part or tool) is malformed, or
 * undefined. Anthropic breakpoints go into `breakpoints` for `breakpointsProblem`.
 */
export const providerOptionsProblem = (
  options: unknown,
  where: string,
  rank: MarkerRank,
  breakpoints: Array<Breakpoint>
): string | undefined => {
  where = `${where}.providerOptions`
  if (!isPlainObject(options)) return `${where} must be an object keyed by provider type (${withOptions.join(", ")})`
  for (const type in options) {
    const known = optionsByType[type]
    if (known === undefined)
      return `${where}.${type}: "${type}" is not a provider type${unknownKey(type, providerTypes)} (provider options are keyed by provider type: ${withOptions.join(", ")})`
    const typeOptions = options[type]
    const at = `${where}.${type}`
    if (known.length === 0)
      return `${at}: ${type} takes no provider options (its prompt caching is automatic; nothing to send)`
    if (!isPlainObject(typeOptions)) return `${at} must be an object of ${type} options (${quoted(known)})`
    for (const name in typeOptions) {
      if (!known.includes(name))
        return `${at}.${name} is not an option of ${type}${unknownKey(name, known)} (${type} options: ${quoted(known)})`
      const value = typeOptions[name]
      const problem =
        name === "cacheControl"
          ? cacheControlProblem(value, `${at}.${name}`, rank, breakpoints)
          : cachePointProblem(value, `${at}.${name}`, rank)
      if (problem !== undefined) return problem
    }
  }
  return undefined
}

/**
 * Anthropic's per-request rules on the breakpoints found: at most `maxAnthropicBreakpoints`, and no
 * 1-hour one after a 5-minute one in the order Anthropic reads them (tools, system, messages).
 */
export const breakpointsProblem = (breakpoints: ReadonlyArray<Breakpoint>): string | undefined => {
  if (breakpoints.length > maxAnthropicBreakpoints)
    return `the request has ${breakpoints.length} Anthropic cache breakpoints (providerOptions.anthropic.cacheControl on the request, messages, parts and tools); Anthropic takes at most ${maxAnthropicBreakpoints}: keep the last one of each prefix you reuse (a breakpoint caches everything before it)`
  const ordered = [...breakpoints].sort((a, b) => a.rank - b.rank)
  const short = ordered.find((b) => b.ttl === "5m")
  const laterLong =
    short === undefined ? undefined : ordered.slice(ordered.indexOf(short) + 1).find((b) => b.ttl === "1h")
  return laterLong === undefined
    ? undefined
    : `${laterLong.where} has ttl "1h" after the "5m" breakpoint ${short!.where}; Anthropic reads tools, then system, then messages, and wants 1-hour breakpoints before 5-minute ones: make the earlier one "1h" or this one "5m"`
}
