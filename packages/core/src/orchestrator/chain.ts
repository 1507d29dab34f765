/**
 * Which models a request may try, in which order (docs/ARCHITECTURE.md, "The request's path"): the
 * active model, the active provider's fallback models, then the cross-provider chain, without
 * repeats and without providers that are not configured; the circuit breaker then moves cooling
 * models out. Pure functions of the options, the breaker and the clock.
 */
import type { Attempt, ChatRequest, ProviderId } from "../domain.ts"
import type { ConfigProblem } from "../errors.ts"
import type { ChainEntry, CircuitBreaker } from "./policy.ts"
import { type ModelIdCheck, modelIdProblem, modelIdRule } from "./validate.ts"

export interface ChainOptions {
  readonly activeProvider: ProviderId
  readonly activeModel: string
  readonly providers: Readonly<
    Record<
      ProviderId,
      { readonly fallbackModels?: ReadonlyArray<string>; readonly checkModelId?: ModelIdCheck | undefined } | undefined
    >
  >
  readonly fallback?: { readonly chain?: ReadonlyArray<ChainEntry> }
}

/** Every configured model id checked once, so no chain entry can carry an id that leaves the model's URL path. */
export const invalidModelIds = (options: ChainOptions): Array<ConfigProblem> => {
  const problems: Array<ConfigProblem> = []
  const check = (path: string, model: string, provider: ProviderId): void => {
    const problem = modelIdProblem(model, options.providers[provider]?.checkModelId)
    if (problem !== undefined)
      problems.push({ path, message: `is not a valid ${provider} model id: ${problem}; ${modelIdRule}` })
  }
  check("activeModel", options.activeModel, options.activeProvider)
  for (const [id, setup] of Object.entries(options.providers))
    for (const [i, model] of (setup?.fallbackModels ?? []).entries())
      check(`providers.${id}.fallbackModels[${i}]`, model, id)
  for (const [i, entry] of (options.fallback?.chain ?? []).entries())
    check(`fallback.chain[${i}].model`, entry.model, entry.provider)
  return problems
}

/** The chain for each request; `configured` are the providers whose layers were built. */
export const makeChainPlanner = (options: ChainOptions, configured: ReadonlySet<ProviderId>) => {
  // Stryker disable next-line ArrayDeclaration: equivalent, buildChain skips an entry whose provider is not configured
  const fallbackChain = options.fallback?.chain ?? []
  const buildChain = (activeModel: string): ReadonlyArray<ChainEntry> => {
    const entries: Array<ChainEntry> = []
    const seen = new Set<string>()
    const add = (entry: ChainEntry) => {
      const key = `${entry.provider}/${entry.model}`
      if (seen.has(key) || !configured.has(entry.provider)) return
      seen.add(key)
      entries.push(entry)
    }
    add({ provider: options.activeProvider, model: activeModel })
    for (const model of options.providers[options.activeProvider]?.fallbackModels ?? [])
      add({ provider: options.activeProvider, model })
    for (const entry of fallbackChain) add(entry)
    return entries
  }
  // Built once: only a request that names another model needs a chain of its own.
  const configuredChain = buildChain(options.activeModel)
  return (request: ChatRequest): ReadonlyArray<ChainEntry> =>
    // Stryker disable next-line ConditionalExpression,LogicalOperator,EqualityOperator: equivalent, buildChain(activeModel) is configuredChain
    request.model === undefined || request.model === options.activeModel ? configuredChain : buildChain(request.model)
}

/**
 * Orders a chain by the circuit breaker: cooling models are skipped (and listed as skipped attempts)
 * unless all are cooling; then the one that failed longest ago is tried, rather than failing blind.
 */
export const planChain = (
  entries: ReadonlyArray<ChainEntry>,
  breaker: CircuitBreaker,
  now: number
): { readonly entries: ReadonlyArray<ChainEntry>; readonly skipped: ReadonlyArray<Attempt> } => {
  const open = entries.map((entry) => breaker.isOpen(entry, now))
  if (!open.includes(true)) return { entries, skipped: [] }
  if (!open.includes(false)) {
    const lastFailures = entries.map(breaker.lastFailureAt)
    return { entries: [entries[lastFailures.indexOf(Math.min(...lastFailures))]!], skipped: [] }
  }
  const skipped: Array<Attempt> = []
  const kept = entries.filter((entry, i) => {
    if (!open[i]) return true
    skipped.push({ ...entry, attempt: 0, outcome: "skipped", errorTag: "CircuitOpen", durationMs: 0 })
    return false
  })
  return { entries: kept, skipped }
}
