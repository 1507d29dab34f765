/**
 * The `gemini` and `vertex` provider types: config keys, layers, prices and `check` lines
 * (docs/ARCHITECTURE.md). Both speak the Google GenAI API through one module (google.ts).
 */
import { ConfigRead, commonProviderKeys, type ProviderSettings, type ProviderType } from "@llm-orchestrator/core"
import { readApiKey } from "../kit/config.ts"
import { type GeminiOptions, GeminiProvider } from "./gemini.ts"
import { checkGeminiModelId, checkVertexModelId, googleModelCandidates } from "./model-ids.ts"
import { type VertexOptions, VertexProvider } from "./vertex.ts"

export interface GeminiSettings extends GeminiOptions, ProviderSettings {}

/** The adapter's options as the config gives them: `location` always set (`googleAuthOptions`: code only). */
export interface VertexSettings extends VertexOptions, ProviderSettings {
  readonly location: string
}

/** Gemini and Vertex AI models are one catalogue provider, `google`. */
const googlePrices = { catalogueProvider: "google", modelCandidates: googleModelCandidates }

export const geminiType: ProviderType<GeminiSettings> = {
  name: "gemini",
  keys: ["api_key", ...commonProviderKeys],
  exampleModel: "gemini-2.5-flash",
  checkModelId: checkGeminiModelId,
  price: googlePrices,
  readSettings: (input) => {
    const apiKey = readApiKey(input, "GEMINI_API_KEY")
    return apiKey === undefined ? undefined : { apiKey }
  },
  layer: (settings) => GeminiProvider.layer(settings),
  describe: () => ["API key"]
}

export const vertexType: ProviderType<VertexSettings> = {
  name: "vertex",
  keys: ["project", "location", "credentials_file", "api_key", ...commonProviderKeys],
  exampleModel: "gemini-2.5-flash",
  checkModelId: checkVertexModelId,
  price: googlePrices,
  readSettings: ({ reader, path, raw }) => {
    const read = (key: string) => ConfigRead.readOptionalString(reader, ConfigRead.childPath(path, key), raw[key])
    const project = read("project")
    const location = read("location")
    const credentialsFile = read("credentials_file")
    const apiKey = ConfigRead.readOptionalSecret(reader, ConfigRead.childPath(path, "api_key"), raw.api_key)
    return {
      ...(project !== undefined ? { project } : {}),
      location: location ?? "global",
      ...(credentialsFile !== undefined ? { credentialsFile } : {}),
      ...(apiKey !== undefined ? { apiKey } : {})
    }
  },
  layer: (settings) => VertexProvider.layer(settings),
  describe: (settings) => [
    `project ${settings.project ?? "(from ADC)"}`,
    `location ${settings.location}`,
    settings.apiKey ? "API key" : settings.credentialsFile ? `credentials ${settings.credentialsFile}` : "ADC"
  ]
}
