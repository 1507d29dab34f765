/** The `anthropic` provider type: config keys, layer, prices and `check` line (docs/ARCHITECTURE.md). */
import { commonProviderKeys, type ProviderSettings, type ProviderType } from "@llm-orchestrator/core"
import { readApiKey } from "../kit/config.ts"
import { type AnthropicOptions, AnthropicProvider } from "./anthropic.ts"

export interface AnthropicSettings extends AnthropicOptions, ProviderSettings {}

export const anthropicType: ProviderType<AnthropicSettings> = {
  name: "anthropic",
  keys: ["api_key", ...commonProviderKeys],
  exampleModel: "claude-sonnet-4-5",
  price: { catalogueProvider: "anthropic" },
  readSettings: (input) => {
    const apiKey = readApiKey(input, "ANTHROPIC_API_KEY")
    return apiKey === undefined ? undefined : { apiKey }
  },
  layer: (settings) => AnthropicProvider.layer(settings),
  describe: () => ["API key"]
}
