/**
 * A provider layer under an instance name (docs/ARCHITECTURE.md, "Provider types and instances").
 * Adapters name their type in what they return (`provider: "openai"`); an instance called otherwise
 * (`openai-work`, `local`) gets its own name on responses, model lists and errors, so a caller, a
 * fallback record or a cost record can tell two instances of one type apart. An instance named like
 * its type is used as is: nothing is added to its hot path.
 */
import { Effect, Stream } from "effect"
import type { ProviderId } from "../domain.ts"
import type { LLMError } from "../errors.ts"
import type { LLMProviderShape } from "../provider.ts"

/** The same error under another provider name (errors are immutable; `message` is not enumerable). */
const renamed = (error: LLMError, provider: ProviderId): LLMError => {
  const { _tag, ...fields } = error as LLMError & Record<string, unknown>
  const ErrorClass = error.constructor as new (fields: object) => LLMError
  return new ErrorClass({ ...fields, message: error.message, provider })
}

export const asInstance = (name: ProviderId, provider: LLMProviderShape): LLMProviderShape =>
  // Stryker disable next-line ConditionalExpression: equivalent when forced false, renaming to the same name changes nothing (it only costs time)
  name === provider.id
    ? provider
    : {
        id: name,
        ...(provider.honorsDeadline === true ? { honorsDeadline: true } : {}),
        generate: (request, model, deadline) =>
          Effect.mapBoth(provider.generate(request, model, deadline), {
            onFailure: (error) => renamed(error, name),
            onSuccess: (response) => ({ ...response, provider: name })
          }),
        stream: (request, model, deadline) =>
          Stream.mapError(provider.stream(request, model, deadline), (error) => renamed(error, name)),
        listModels: Effect.mapBoth(provider.listModels, {
          onFailure: (error) => renamed(error, name),
          onSuccess: (models) => models.map((model) => ({ ...model, provider: name }))
        })
      }
