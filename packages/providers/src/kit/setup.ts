/**
 * How every provider layer is set up: its SDK loaded when the layer is built, and `layerConfig` read
 * from the environment in one shape.
 */
import { type ConfigError, type LLMProvider, loadOptionalPackage } from "@llm-orchestrator/core"
import { Config, Effect, Layer, Option } from "effect"

/**
 * Loads a provider's SDK with `load` (an `import()` of `packageName`) when the layer is built, so users
 * of other providers never load it. A package that cannot be loaded is a `ConfigError` at `path` naming
 * the package to install: a missing SDK is a setup problem, not a defect.
 */
export const loadSdk = <A>(path: string, packageName: string, load: () => Promise<A>): Effect.Effect<A, ConfigError> =>
  loadOptionalPackage(path, packageName, "to use this provider", load)

/** An environment variable that may be unset: `undefined` then, so the option is left out. */
export const optionalEnv = <A>(config: Config.Config<A>): Config.Config<A | undefined> =>
  Config.map(Config.option(config), Option.getOrUndefined)

/** The fields read, with every `undefined` one left out (options are optional properties, never `undefined`). */
export type DefinedFields<T> = { [K in keyof T as undefined extends T[K] ? never : K]: T[K] } & {
  [K in keyof T as undefined extends T[K] ? K : never]?: Exclude<T[K], undefined>
}

const definedFields = <T extends object>(fields: T): DefinedFields<T> => {
  const out: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(fields)) if (value !== undefined) out[key] = value
  return out as DefinedFields<T>
}

/**
 * Every provider's `layerConfig`: its environment variables read as `fields` (a missing required one
 * fails with Config's `ConfigError` naming it), unset optional ones left out, then the provider's own
 * `layer`, which validates the options as it does for a YAML config.
 */
export const layerFromEnv = <const Fields extends Record<string, Config.Config<unknown>>>(
  fields: Fields,
  layer: (
    options: DefinedFields<{ -readonly [K in keyof Fields]: Fields[K] extends Config.Config<infer A> ? A : never }>
  ) => Layer.Layer<LLMProvider, ConfigError>
): Layer.Layer<LLMProvider, Config.ConfigError | ConfigError> =>
  Layer.unwrap(Effect.map(Config.all(fields), (env) => layer(definedFields(env) as never)))
