/** The seed instances' settings of a loaded config, typed by their provider type (undefined when absent). */
import { type OrchestratorConfig, settingsOf } from "@llm-orchestrator/core"
import { anthropicType, bedrockType, geminiType, openaiType, vertexType } from "@llm-orchestrator/providers"

export const seeds = ({ providers }: OrchestratorConfig) => ({
  openai: settingsOf(providers, "openai", openaiType),
  anthropic: settingsOf(providers, "anthropic", anthropicType),
  gemini: settingsOf(providers, "gemini", geminiType),
  bedrock: settingsOf(providers, "bedrock", bedrockType),
  vertex: settingsOf(providers, "vertex", vertexType)
})
