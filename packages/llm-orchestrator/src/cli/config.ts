/**
 * Provider names from the command line, checked against the loaded config, and the `--provider` /
 * `--model` overrides of `chat` applied to it.
 */
import { type OrchestratorConfig, type ProviderId, providerIds } from "@llm-orchestrator/core"
import { Effect } from "effect"
import { CliFailure } from "./failure.ts"

export const configuredProviders = (config: OrchestratorConfig): ReadonlyArray<ProviderId> =>
  providerIds.filter((id) => config.providers[id] !== undefined)

/** A provider named on the command line: known, and configured in this config. */
export const requireConfiguredProvider = (
  config: OrchestratorConfig,
  name: string
): Effect.Effect<ProviderId, CliFailure> => {
  const configured = configuredProviders(config)
  const id = providerIds.find((p) => p === name)
  if (id === undefined) {
    return Effect.fail(CliFailure.failure(`unknown provider "${name}"; the providers are ${providerIds.join(", ")}`))
  }
  if (!configured.includes(id)) {
    return Effect.fail(
      CliFailure.failure(
        `provider ${id} is not configured; add providers.${id} to the config (configured: ${configured.join(", ")})`
      )
    )
  }
  return Effect.succeed(id)
}

export interface ModelOverride {
  readonly provider: string | undefined
  readonly model: string | undefined
}

/**
 * Replaces the active provider/model. A provider without `--model` runs its first `fallback_models`
 * entry (the active model belongs to the old provider); with none configured, `--model` is required.
 */
export const applyOverride = (
  config: OrchestratorConfig,
  override: ModelOverride
): Effect.Effect<OrchestratorConfig, CliFailure> =>
  Effect.gen(function* () {
    if (override.provider === undefined) {
      return override.model === undefined ? config : { ...config, activeModel: override.model }
    }
    const provider = yield* requireConfiguredProvider(config, override.provider)
    if (override.model !== undefined) return { ...config, activeProvider: provider, activeModel: override.model }
    if (provider === config.activeProvider) return config
    const model = config.providers[provider]?.fallbackModels[0]
    if (model === undefined) {
      return yield* Effect.fail(
        CliFailure.usage(`--provider ${provider} needs --model: providers.${provider} has no fallback_models`)
      )
    }
    return { ...config, activeProvider: provider, activeModel: model }
  })
