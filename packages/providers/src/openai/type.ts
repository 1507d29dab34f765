/** The `openai` provider type: config keys, layer, prices and `check` line (docs/ARCHITECTURE.md). */
import { ConfigRead, commonProviderKeys, type ProviderSettings, type ProviderType } from "@llm-orchestrator/core"
import { readApiKey } from "../kit/config.ts"
import { type OpenAIOptions, OpenAIProvider } from "./openai.ts"

/** The adapter's options as the config gives them: `api` always set. */
export interface OpenAISettings extends OpenAIOptions, ProviderSettings {
  readonly api: "chat" | "responses"
}

export const openaiType: ProviderType<OpenAISettings> = {
  name: "openai",
  keys: ["api_key", ...commonProviderKeys, "organization", "project", "api"],
  exampleModel: "gpt-4o-mini",
  price: { catalogueProvider: "openai" },
  readSettings: (input) => {
    const { reader, path, raw } = input
    const apiKey = readApiKey(input, "OPENAI_API_KEY")
    const organization = ConfigRead.readOptionalHeaderValue(
      reader,
      ConfigRead.childPath(path, "organization"),
      raw.organization
    )
    const project = ConfigRead.readOptionalHeaderValue(reader, ConfigRead.childPath(path, "project"), raw.project)
    const api = ConfigRead.readEnum(
      reader,
      ConfigRead.childPath(path, "api"),
      raw.api,
      ["chat", "responses"] as const,
      {
        noun: "api"
      }
    )
    if (apiKey === undefined) return undefined
    return {
      apiKey,
      ...(organization !== undefined ? { organization } : {}),
      ...(project !== undefined ? { project } : {}),
      api: api ?? "chat"
    }
  },
  layer: (settings) => OpenAIProvider.layer(settings),
  describe: (settings) => ["API key", `${settings.api} API`]
}
