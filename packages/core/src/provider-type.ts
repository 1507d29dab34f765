/**
 * Provider types and their instances (docs/ARCHITECTURE.md, "Provider types and instances").
 *
 * A provider type is everything the library knows about one API: how its config keys are read, how its
 * layer is built, how its model ids are priced and checked, and its line in `check`. Core knows no
 * type by name: the config loader, the wiring, the pricing and the CLI take a list of types (the
 * providers package exports the built-in one). A key under `providers:` is an instance of a type.
 */
import type { Config, Layer } from "effect"
import type { ModelIdOwner, Reader } from "./config/read.ts"
import type { ConfigError } from "./errors.ts"
import type { ModelIdCheck } from "./orchestrator/validate.ts"
import type { LLMProvider } from "./provider.ts"

/** The settings every instance has, whatever its type (YAML keys in brackets). */
export interface ProviderSettings {
  /** `fallback_models`, in order; the chain never repeats the active model. */
  readonly fallbackModels: ReadonlyArray<string>
  /** `base_url`: a proxy, a compatible server, or a simulator. */
  readonly baseUrl?: string
  /**
   * `timeout` per attempt: a whole non-streamed call, or a stream until its first text (YAML: seconds
   * as a number, or "500ms" / "30s" / "2m"). Absent: `defaultTimeouts.attemptMs`; 0 (`0` or `none`): off.
   */
  readonly timeoutMs?: number
  /**
   * `idle_timeout`: once a stream's text has begun, the longest wait for more text or its end.
   * Absent: `defaultTimeouts.idleMs`, or `timeout` when that is shorter; 0: off.
   */
  readonly idleTimeoutMs?: number
}

/** The YAML keys of the common settings; every type's `keys` includes them. */
export const commonProviderKeys: ReadonlyArray<string> = ["fallback_models", "base_url", "timeout", "idle_timeout"]

/** What a type's `readSettings` gets: the instance's mapping and its path. */
export interface ProviderSettingsInput {
  readonly reader: Reader
  /** `providers.<instance>`: where problems are reported (with `childPath`). */
  readonly path: string
  /** The instance's mapping, its keys already checked against the type's `keys`. */
  readonly raw: Readonly<Record<string, unknown>>
}

/** A type's own settings: what its `readSettings` returns (the loader adds the common ones). */
export type OwnSettings<Settings extends ProviderSettings> = Omit<Settings, keyof ProviderSettings>

/** How a type's model ids map onto the price catalogue (`@pydantic/genai-prices`). */
export interface PriceSource {
  /** The catalogue's provider id (`google` for Gemini and Vertex AI); none: only `cost_tracking.prices`. */
  readonly catalogueProvider?: string
  /** The ids to look up, in order, for a model id the SDK may return in a longer form (a path, an ARN). */
  readonly modelCandidates?: (model: string) => ReadonlyArray<string>
}

/**
 * One provider type. Methods, not function properties, so a `ProviderType<OpenAISettings>` is a
 * `ProviderType` where types are listed together.
 */
export interface ProviderType<Settings extends ProviderSettings = ProviderSettings> {
  /** The `type:` of an instance (and the default instance name), e.g. `openai`. */
  readonly name: string
  /** Every key an instance accepts besides `type`, in the order messages list them (the common ones included). */
  readonly keys: ReadonlyArray<string>
  /** A model id for messages ("add a model such as ..."). */
  readonly exampleModel: string
  /** Its narrowing of the common model-id rule, if any. */
  readonly checkModelId?: ModelIdCheck
  /** Where its models are in the price catalogue. */
  readonly price: PriceSource
  /**
   * Reads and validates the type's own keys (the loader reads the common ones after them, so problems
   * come in the order people write the keys); reports problems to `input.reader`; undefined when unusable.
   */
  readSettings(input: ProviderSettingsInput): OwnSettings<Settings> | undefined
  /** The layer of one instance (loads the SDK when built). */
  layer(settings: Settings): Layer.Layer<LLMProvider, ConfigError | Config.ConfigError>
  /** An instance's own price source, when its settings choose one (`price_provider`); else `price`. */
  instancePrice?(settings: Settings): PriceSource
  /** The non-secret settings for `llm-orchestrator check`: where it connects, how it authenticates. */
  describe(settings: Settings): ReadonlyArray<string>
}

/** One configured instance: its type and the settings that type read. */
export interface ProviderInstance {
  readonly type: ProviderType
  readonly settings: ProviderSettings
}

/** The model-id owner of an instance, for config messages and checks. */
export const modelIdOwner = (provider: string, type: ProviderType): ModelIdOwner => ({
  provider,
  check: type.checkModelId
})

/** The settings of instance `name` as `type` reads them; undefined when it is absent or of another type. */
export const settingsOf = <Settings extends ProviderSettings>(
  providers: Readonly<Record<string, ProviderInstance>>,
  name: string,
  type: ProviderType<Settings>
): Settings | undefined => {
  const instance = providers[name]
  return instance !== undefined && instance.type.name === type.name ? (instance.settings as Settings) : undefined
}
