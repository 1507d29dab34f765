/**
 * Model discovery (docs/ARCHITECTURE.md, "Discovery"): each provider's listing, merged with catalogue prices, cached
 * per provider with a TTL (concurrent first calls share one listing request), and the optional
 * validation that turns an unlisted model into a `ModelNotFoundError` with close suggestions.
 */
import { Cache, Effect, Exit } from "effect"
import type { Pricing } from "../cost.ts"
import type { ModelInfo, ProviderId } from "../domain.ts"
import { type LLMError, ModelNotFoundError } from "../errors.ts"
import { closestMatches } from "../internal/suggest.ts"
import type { LLMProviderShape } from "../provider.ts"

/** A failed listing is retried after this long rather than at every request. */
const failedListingTtl = "30 seconds"
const maxVerdictsPerListing = 1_000

export const makeModelCatalog = (
  providers: ReadonlyMap<ProviderId, LLMProviderShape>,
  pricing: Pricing["Service"],
  ttlMs: number
) =>
  Effect.gen(function* () {
    const withPrices = (models: ReadonlyArray<ModelInfo>): ReadonlyArray<ModelInfo> =>
      models.map((model) => {
        if (model.price) return model
        const price = pricing.priceOf(model.provider, model.id)
        return price ? { ...model, price } : model
      })
    // The newest successful listing per provider and when it expires, readable without an Effect:
    // every request checks its model, and a fresh listing needs no trip through the cache.
    const fresh = new Map<ProviderId, { readonly models: ReadonlyArray<ModelInfo>; readonly expiresAt: number }>()
    const cache = yield* Cache.makeWith(
      // Only configured providers are asked for: the orchestrator checks a caller's provider name first.
      (provider: ProviderId): Effect.Effect<ReadonlyArray<ModelInfo>, LLMError> =>
        Effect.map(providers.get(provider)!.listModels, withPrices).pipe(
          Effect.tap((models) =>
            Effect.clockWith((clock) =>
              // Stryker disable next-line all: the fast path only; without it every check asks the cache, which holds the same listing
              Effect.sync(() => fresh.set(provider, { models, expiresAt: clock.currentTimeMillisUnsafe() + ttlMs }))
            )
          )
        ),
      { capacity: 16, timeToLive: (exit) => (Exit.isSuccess(exit) ? ttlMs : failedListingTtl) }
    )
    const configured = [...providers.keys()]
    const verdictsByListing = new WeakMap<ReadonlyArray<ModelInfo>, Map<string, ModelNotFoundError | undefined>>()
    const list = (provider: ProviderId | undefined) =>
      provider === undefined
        ? Effect.map(
            // Stryker disable next-line ObjectLiteral,StringLiteral: one provider after another is only slower
            Effect.forEach(configured, (p) => Cache.get(cache, p), { concurrency: "unbounded" }),
            (lists) => lists.flat()
          )
        : Cache.get(cache, provider)

    /** Kept per listing (a new listing after the TTL starts afresh) rather than scanning every id each time. */
    const verdictFor = (
      provider: ProviderId,
      model: string,
      models: ReadonlyArray<ModelInfo>
    ): ModelNotFoundError | undefined => {
      let verdicts = verdictsByListing.get(models)
      if (verdicts === undefined) {
        verdicts = new Map()
        verdictsByListing.set(models, verdicts)
      }
      if (verdicts.has(model)) return verdicts.get(model)
      const ids = models.map((m) => m.id)
      const verdict = ids.some((id) => id === model || id.startsWith(`${model}-`) || id.startsWith(`${model}@`))
        ? undefined
        : unknownModel(provider, model, ids)
      // Bounded: a caller cycling through many unknown model names cannot grow this without limit.
      if (verdicts.size < maxVerdictsPerListing) verdicts.set(model, verdict)
      return verdict
    }

    return {
      list,
      refresh: (provider: ProviderId | undefined) =>
        Effect.andThen(
          Effect.forEach(
            provider === undefined ? configured : [provider],
            (p) =>
              Effect.andThen(
                Effect.sync(() => fresh.delete(p)),
                Cache.invalidate(cache, p)
              ),
            // Stryker disable next-line ObjectLiteral,BooleanLiteral: the results are dropped either way
            { discard: true }
          ),
          list(provider)
        ),
      /**
       * The error for a model the provider does not list, or undefined when it is listed, when only a
       * dated version of it is listed (aliases such as `claude-sonnet-4-5` are valid), or when the
       * listing itself failed: discovery never blocks a request.
       */
      check: (provider: ProviderId, model: string, now: number): Effect.Effect<ModelNotFoundError | undefined> => {
        const listing = fresh.get(provider)
        // Stryker disable next-line ConditionalExpression: never taking the fast path asks the cache, which holds the same listing
        if (listing !== undefined && now < listing.expiresAt)
          return Effect.succeed(verdictFor(provider, model, listing.models))
        return Effect.map(Effect.exit(Cache.get(cache, provider)), (exit) =>
          Exit.isFailure(exit) ? undefined : verdictFor(provider, model, exit.value)
        )
      },
      /** Close listed ids for a model the provider rejected (empty when the listing is unavailable). */
      suggestionsFor: (provider: ProviderId, model: string): Effect.Effect<ReadonlyArray<string>> =>
        Effect.map(Effect.exit(Cache.get(cache, provider)), (exit) =>
          Exit.isSuccess(exit)
            ? closestMatches(
                model,
                exit.value.map((m) => m.id)
              )
            : []
        )
    }
  })

export type ModelCatalog = Effect.Success<ReturnType<typeof makeModelCatalog>>

export const unknownModel = (provider: ProviderId, model: string, listed: ReadonlyArray<string>) => {
  const suggestions = closestMatches(model, listed)
  return new ModelNotFoundError({
    provider,
    model,
    suggestions,
    message: `${provider} model ${model} not found${
      suggestions.length > 0 ? `; did you mean ${suggestions.join(", ")}?` : ""
    } (\`llm-orchestrator models ${provider}\` lists the models)`
  })
}
