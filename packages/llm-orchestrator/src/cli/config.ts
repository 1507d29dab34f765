/**
 * Provider names from the command line, checked against the loaded config, and the `--provider` /
 * `--model` overrides of `chat` applied to it.
 */
import { closestMatches, type OrchestratorConfig, type ProviderId } from "@llm-orchestrator/core"
import { providerTypes } from "@llm-orchestrator/providers"
import { Effect } from "effect"
import { CliFailure } from "./failure.ts"

/** The configured provider instances, in config order. */
export const configuredProviders = (config: OrchestratorConfig): ReadonlyArray<ProviderId> =>
  Object.keys(config.providers)

/** A provider named on the command line: known, and configured in this config. */
export const requireConfiguredProvider = (
  config: OrchestratorConfig,
  name: string
): Effect.Effect<ProviderId, CliFailure> => {
  const configured = configuredProviders(config)
  if (configured.includes(name)) return Effect.succeed(name)
  if (providerTypes.some((type) => type.name === name)) {
    return Effect.fail(
      CliFailure.failure(
        `provider ${name} is not configured; add providers.${name} to the config (configured: ${configured.join(", ")})`
      )
    )
  }
  const [suggestion] = closestMatches(name, configured, 1)
  const list = configured.join(", ")
  return Effect.fail(
    CliFailure.failure(
      suggestion === undefined
        ? `unknown provider "${name}"; the configured providers are ${list}`
        : `unknown provider "${name}"; did you mean ${suggestion}? Configured providers: ${list}`
    )
  )
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
    const model = config.providers[provider]?.settings.fallbackModels[0]
    if (model === undefined) {
      return yield* Effect.fail(
        CliFailure.usage(`--provider ${provider} needs --model: providers.${provider} has no fallback_models`)
      )
    }
    return { ...config, activeProvider: provider, activeModel: model }
  })
