/**
 * The `openai-compatible` provider type: any server that speaks OpenAI's Chat Completions, next to (or
 * instead of) OpenAI itself. `base_url` is required, `api_key` optional; prices come from
 * `cost_tracking.prices`, or from the catalogue's provider named by `price_provider` (docs/ARCHITECTURE.md).
 */
import { ConfigRead, type ProviderSettings, type ProviderType } from "@llm-orchestrator/core"
import { type OpenAICompatibleOptions, OpenAICompatibleProvider } from "./openai.ts"

export interface OpenAICompatibleSettings extends OpenAICompatibleOptions, ProviderSettings {
  readonly baseUrl: string
  /** `price_provider`: the catalogue provider whose prices its models have (e.g. `deepseek`, `mistral`). */
  readonly priceProvider?: string
}

export const openaiCompatibleType: ProviderType<OpenAICompatibleSettings> = {
  name: "openai-compatible",
  keys: ["base_url", "api_key", "price_provider", "fallback_models", "timeout", "idle_timeout"],
  exampleModel: "llama3.1:8b",
  // Without `price_provider`, only `cost_tracking.prices` price its models.
  price: {},
  instancePrice: (settings) =>
    settings.priceProvider === undefined ? {} : { catalogueProvider: settings.priceProvider },
  readSettings: ({ reader, path, raw }) => {
    const apiKey = ConfigRead.readOptionalSecret(reader, ConfigRead.childPath(path, "api_key"), raw.api_key)
    const priceProvider = ConfigRead.readOptionalString(
      reader,
      ConfigRead.childPath(path, "price_provider"),
      raw.price_provider
    )
    if (raw.base_url === undefined || raw.base_url === null) {
      reader.report(
        ConfigRead.childPath(path, "base_url"),
        'is required: the server\'s OpenAI-compatible endpoint, e.g. "http://127.0.0.1:11434/v1"'
      )
      return undefined
    }
    return {
      ...(apiKey !== undefined ? { apiKey } : {}),
      ...(priceProvider !== undefined ? { priceProvider } : {})
    }
  },
  layer: (settings) => OpenAICompatibleProvider.layer(settings),
  describe: (settings) => [
    settings.apiKey ? "API key" : "no key",
    settings.priceProvider ? `prices of ${settings.priceProvider}` : "prices from cost_tracking.prices"
  ]
}
