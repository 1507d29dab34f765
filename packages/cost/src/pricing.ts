/**
 * Model prices: config overrides first, then the `@pydantic/genai-prices` catalogue.
 *
 * A catalogue lookup walks every model's match rules (tens of microseconds), so each provider+model is
 * resolved once into a compiled `Rates` and memoised; `costOf` after that is a two-level Map lookup plus
 * arithmetic. Unknown models are memoised too (as `null`), so a missing price is never searched twice.
 *
 * Historic prices: the catalogue can date prices (`start_date`); we price with the rates valid when a
 * model is first resolved in this process. Cost tracking is about the session at hand, and a process that
 * runs across a price change keeps the older rate until restart (a deliberate trade for a no-search hot path).
 */

import {
  type ChatRequest,
  type Cost,
  type ModelPrice,
  mediaInputTokens,
  messageText,
  type PriceSource,
  type ProviderId,
  reasoningBudgetOf,
  structuredInputText,
  type Usage
} from "@llm-orchestrator/core"
import { calcPrice } from "@pydantic/genai-prices"
import type { Types } from "effect"

/** A per-million-token rate, either flat or tiered by the request's TOTAL input tokens. */
export interface TieredRate {
  readonly base: number
  /** Sorted by `start`; a tier applies when the request's input tokens exceed `start`. */
  readonly tiers: ReadonlyArray<{ readonly start: number; readonly price: number }>
}
export type Rate = number | TieredRate

/** A model's resolved rates, USD per million tokens. */
export interface Rates {
  readonly source: "config" | "catalogue"
  /** The catalogue's model id that matched (the override key for `config`). */
  readonly matchedId: string
  readonly input: Rate
  readonly output: Rate
  readonly cacheRead: Rate
  readonly cacheWrite: Rate
  /** 1-hour cache writes (Anthropic: 2x input, where `cacheWrite` is the 5-minute 1.25x). */
  readonly cacheWrite1h: Rate
  readonly reasoning: Rate
  /** USD per 1,000 built-in web searches; 0 when no fee is known. */
  readonly webSearchPerThousand: number
  /** The flat price `priceOf` reports (base tier for tiered models). */
  readonly price: ModelPrice
}

/**
 * Where an instance that no `PriceSource` was given for is priced: the model id (or its last path
 * segment) looked up across the whole catalogue. What a provider composed by hand, without its type's
 * source, gets.
 */
const anyProvider: PriceSource = {
  // The catalogue trims and lowercases ids itself. Without a slash both candidates are the id: an
  // unpriced id is looked up twice, once (memoised).
  modelCandidates: (model) => [model, model.slice(model.lastIndexOf("/") + 1)]
}

type CatalogueValue =
  | number
  | { readonly base: number; readonly tiers: ReadonlyArray<{ start: number; price: number }> }

const isFiniteNonNegative = (u: unknown): u is number => Number.isFinite(u) && (u as number) >= 0

/** A catalogue price as a `Rate`, or undefined when malformed (third-party data). Exported for its tests. */
export const toRate = (value: unknown): Rate | undefined => {
  if (isFiniteNonNegative(value)) return value
  if (typeof value === "object" && value !== null && "base" in value && "tiers" in value) {
    const { base, tiers } = value as Exclude<CatalogueValue, number>
    if (!isFiniteNonNegative(base) || !Array.isArray(tiers)) return undefined
    const sorted = tiers
      .filter((tier) => isFiniteNonNegative(tier.start) && isFiniteNonNegative(tier.price))
      .map((tier) => ({ start: tier.start, price: tier.price }))
      .sort((a, b) => a.start - b.start)
    return sorted.length === 0 ? base : { base, tiers: sorted }
  }
  return undefined
}

const baseOf = (rate: Rate): number => (typeof rate === "number" ? rate : rate.base)

/**
 * Looks a model up in the catalogue (slow: called once per provider+model). A source without a
 * catalogue provider prices nothing from it (an OpenAI-compatible server with no `price_provider`).
 */
const fromCatalogue = (source: PriceSource, model: string): Rates | undefined => {
  if (source !== anyProvider && source.catalogueProvider === undefined) return undefined
  // Stryker disable next-line ConditionalExpression: the catalogue reads an undefined providerId as none
  const options = source.catalogueProvider === undefined ? {} : { providerId: source.catalogueProvider }
  for (const candidate of source.modelCandidates?.(model) ?? [model]) {
    let found: ReturnType<typeof calcPrice>
    // Stryker disable BlockStatement: the catch is reached only by malformed catalogue data, which the shipped catalogue does not have
    try {
      // No usage: only the model's prices are read, not an amount.
      found = calcPrice({}, candidate, options)
    } catch {
      // Malformed catalogue data for this model: better unpriced than a wrong number.
      continue
    }
    // Stryker restore BlockStatement
    if (found === null) continue
    const prices = found.model_price
    const input = toRate(prices.input_mtok)
    const output = toRate(prices.output_mtok)
    // Stryker disable next-line ConditionalExpression: no catalogue model has an output price without an input price
    if (input === undefined || output === undefined) continue
    // Missing cache rates fall back to the input rate: a provider that does not discount cached tokens
    // bills them as ordinary input, and over-counting is safer for a budget than pricing them at $0.
    const cacheRead = toRate(prices.cache_read_mtok)
    // `cache_write_mtok` is the 5-minute write (Anthropic: 1.25x input); 1-hour writes have their own
    // rate (2x input), and fall back to the 5-minute one where the catalogue lists none (as it does).
    const cacheWrite = toRate(prices.cache_write_mtok)
    const cacheWrite1h = toRate(prices.cache_write_1h_mtok)
    const webSearchPerThousand = prices.web_searches_kcount
    // Reasoning tokens are billed as output unless the catalogue lists a separate rate.
    const reasoning = toRate(prices.output_reasoning_mtok)
    return {
      source: "catalogue",
      matchedId: found.model.id,
      input,
      output,
      cacheRead: cacheRead ?? input,
      cacheWrite: cacheWrite ?? input,
      cacheWrite1h: cacheWrite1h ?? cacheWrite ?? input,
      reasoning: reasoning ?? output,
      webSearchPerThousand: isFiniteNonNegative(webSearchPerThousand) ? webSearchPerThousand : 0,
      price: {
        input: baseOf(input),
        output: baseOf(output),
        ...(cacheRead === undefined ? {} : { cacheRead: baseOf(cacheRead) }),
        ...(cacheWrite === undefined ? {} : { cacheWrite: baseOf(cacheWrite) }),
        ...(cacheWrite1h === undefined ? {} : { cacheWrite1h: baseOf(cacheWrite1h) }),
        ...(isFiniteNonNegative(webSearchPerThousand) ? { webSearchPerThousand } : {})
      }
    }
  }
  return undefined
}

/**
 * Rates from a `cost_tracking.prices` entry: flat, missing cache rates fall back to input (see above),
 * a missing 1-hour write rate to the 5-minute one. The web-search fee is a price of its own, not of
 * the tokens: without `web_search_per_thousand` the catalogue's fee for the model still applies.
 */
export const ratesFromOverride = (key: string, price: ModelPrice, catalogue?: Rates): Rates => ({
  source: "config",
  matchedId: key,
  input: price.input,
  output: price.output,
  cacheRead: price.cacheRead ?? price.input,
  cacheWrite: price.cacheWrite ?? price.input,
  cacheWrite1h: price.cacheWrite1h ?? price.cacheWrite ?? price.input,
  reasoning: price.output,
  webSearchPerThousand: price.webSearchPerThousand ?? catalogue?.webSearchPerThousand ?? 0,
  price
})

const rateAt = (rate: Rate, inputTokens: number): number => {
  if (typeof rate === "number") return rate
  let price = rate.base
  for (const tier of rate.tiers) {
    if (inputTokens > tier.start) price = tier.price
    else break
  }
  return price
}

/**
 * USD rounded to a whole pico-dollar (1e-12). Token counts times per-million prices have far fewer
 * decimals than that, so this removes only binary float noise (29 tokens at $0.15 per million is
 * 0.00000435, not 0.000004349999999999999); every sum of costs is rounded again, so totals stay clean
 * however many records they add up.
 */
export const roundUsd = (usd: number): number => Math.round(usd * 1e12) / 1e12

/**
 * The cost of one call. The tier is chosen by the request's total input tokens and applies to every
 * token of the request (Gemini 2.5 Pro and Claude long context bill the whole request at the higher rate).
 * Usage is normalised (docs/ARCHITECTURE.md, "Usage semantics"): `inputTokens` includes cache reads and writes, and
 * `outputTokens` includes reasoning; inconsistent counts are clamped at 0 rather than priced negative.
 * Built-in web searches add a per-search fee (`tools`), set only when the call made some.
 */
export const costFromRates = (rates: Rates, usage: Usage): Cost => {
  const inputTokens = usage.inputTokens
  const perToken = 1e-6
  const uncachedInput = Math.max(0, inputTokens - usage.cacheReadTokens - usage.cacheWriteTokens)
  const visibleOutput = Math.max(0, usage.outputTokens - usage.reasoningTokens)
  const cacheWrite1hTokens = Math.min(usage.cacheWrite1hTokens ?? 0, usage.cacheWriteTokens)
  const input = roundUsd(uncachedInput * rateAt(rates.input, inputTokens) * perToken)
  const cacheRead = roundUsd(usage.cacheReadTokens * rateAt(rates.cacheRead, inputTokens) * perToken)
  const cacheWrite = roundUsd(
    ((usage.cacheWriteTokens - cacheWrite1hTokens) * rateAt(rates.cacheWrite, inputTokens) +
      cacheWrite1hTokens * rateAt(rates.cacheWrite1h, inputTokens)) *
      perToken
  )
  const output = roundUsd(visibleOutput * rateAt(rates.output, inputTokens) * perToken)
  const reasoning = roundUsd(usage.reasoningTokens * rateAt(rates.reasoning, inputTokens) * perToken)
  const cost: Types.Mutable<Cost> = {
    input,
    cacheRead,
    cacheWrite,
    output,
    reasoning,
    total: roundUsd(input + cacheRead + cacheWrite + output + reasoning),
    currency: "USD"
  }
  const webSearches = usage.webSearches
  // Stryker disable next-line ConditionalExpression: equivalent, undefined > 0 is false
  if (webSearches !== undefined && webSearches > 0) {
    const tools = roundUsd((webSearches * rates.webSearchPerThousand) / 1000)
    cost.tools = tools
    cost.total = roundUsd(cost.total + tools)
  }
  return cost
}

/** The highest price any request with at most `inputTokens` input tokens can pay at this rate. */
const highestUpTo = (rate: Rate, inputTokens: number): number => {
  if (typeof rate === "number") return rate
  let price = rate.base
  for (const tier of rate.tiers) if (inputTokens > tier.start) price = Math.max(price, tier.price)
  return price
}

/** Tokens a provider may add around each message (role markers, separators) and around the request. */
export const formattingTokensPerMessage = 16
export const formattingTokensPerRequest = 16
/**
 * Tokens a provider adds to a request with tools or an output schema: its tool-use instructions
 * (Anthropic documents 346 for Claude), its structured-output instructions, and the rendering of each
 * definition around the JSON counted byte by byte.
 */
export const formattingTokensForTools = 1024

/**
 * An upper bound of the request's input tokens: one token per UTF-8 byte of message text, tool calls,
 * tool results, tool definitions and the output schema (a byte-level BPE or byte-fallback tokenizer
 * never emits a token for less than one byte), plus a formatting allowance per message, per request and
 * for tools, plus `mediaInputTokens` for images and files (an estimate for PDFs, README "Guarantees").
 */
export const inputTokensBound = (request: ChatRequest): number => {
  let tokens = formattingTokensPerRequest
  for (const message of request.messages) tokens += Buffer.byteLength(messageText(message)) + formattingTokensPerMessage
  const toolText = structuredInputText(request)
  if (toolText !== "") tokens += Buffer.byteLength(toolText) + formattingTokensForTools
  return tokens + mediaInputTokens(request)
}

/**
 * The most one call can cost (what a budget reserves before sending): `inputTokensBound` input tokens
 * at the highest of the input and cache rates, and `maxTokens` (else `defaultOutputTokens`) output
 * tokens at the higher of the output and reasoning rates, each at the highest tier that input can
 * reach. Reasoning tokens count within `maxTokens` (they are output tokens, docs/ARCHITECTURE.md, "Usage semantics"),
 * and a request's thinking budget (`reasoningBudgetOf`) is added on top.
 */
export const worstCaseCostUsd = (rates: Rates, request: ChatRequest, defaultOutputTokens: number): number => {
  const inputTokens = inputTokensBound(request)
  const inputRate = Math.max(
    highestUpTo(rates.input, inputTokens),
    highestUpTo(rates.cacheRead, inputTokens),
    highestUpTo(rates.cacheWrite, inputTokens)
  )
  const outputRate = Math.max(highestUpTo(rates.output, inputTokens), highestUpTo(rates.reasoning, inputTokens))
  // A thinking budget may come on top of maxTokens (Anthropic raises max_tokens above it): counted as output.
  const outputTokens = (request.maxTokens ?? defaultOutputTokens) + (reasoningBudgetOf(request.reasoning) ?? 0)
  return (inputTokens * inputRate + outputTokens * outputRate) * 1e-6
}

export interface PriceBook {
  /** Resolved rates (memoised); undefined when neither config nor the catalogue prices the model. */
  readonly ratesOf: (provider: ProviderId, model: string) => Rates | undefined
  readonly priceOf: (provider: ProviderId, model: string) => ModelPrice | undefined
  readonly costOf: (provider: ProviderId, model: string, usage: Usage) => Cost | undefined
}

/**
 * A memoising price book. Overrides are keyed by model id as the caller passes it, or by
 * `provider/model` to override one provider instance only (the provider-qualified key wins). `sources`
 * say where each instance's models are in the catalogue (its type's `price`); an instance without one
 * is looked up across the whole catalogue.
 */
export const makePriceBook = (
  overrides: Readonly<Record<string, ModelPrice>> = {},
  sources: Readonly<Record<ProviderId, PriceSource>> = {}
): PriceBook => {
  // provider -> model -> rates (null = known to be unpriced)
  const memo = new Map<ProviderId, Map<string, Rates | null>>()

  const resolve = (provider: ProviderId, model: string): Rates | null => {
    const qualified = `${provider}/${model}`
    const key = Object.hasOwn(overrides, qualified) ? qualified : Object.hasOwn(overrides, model) ? model : undefined
    const source = Object.hasOwn(sources, provider) ? sources[provider]! : anyProvider
    if (key === undefined) return fromCatalogue(source, model) ?? null
    const price = overrides[key]!
    // Only an override without a web-search fee needs the catalogue (for its fee).
    // Stryker disable next-line ConditionalExpression: looking the catalogue up anyway changes nothing but time (the override's fee wins)
    const catalogue = price.webSearchPerThousand === undefined ? fromCatalogue(source, model) : undefined
    return ratesFromOverride(key, price, catalogue)
  }

  const ratesOf = (provider: ProviderId, model: string): Rates | undefined => {
    let byModel = memo.get(provider)
    if (byModel === undefined) {
      byModel = new Map()
      memo.set(provider, byModel)
    }
    let rates = byModel.get(model)
    if (rates === undefined) {
      rates = resolve(provider, model)
      byModel.set(model, rates)
    }
    return rates ?? undefined
  }

  return {
    ratesOf,
    priceOf: (provider, model) => ratesOf(provider, model)?.price,
    costOf: (provider, model, usage) => {
      const rates = ratesOf(provider, model)
      return rates === undefined ? undefined : costFromRates(rates, usage)
    }
  }
}
