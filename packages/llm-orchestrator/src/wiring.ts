/**
 * From a parsed config file to running services: one provider layer per configured provider (each
 * loads only its own SDK, when built), the cost services, and the orchestrator over them.
 */
import {
  type ConfigError,
  LLMOrchestrator as CoreOrchestrator,
  type CostTracker,
  loadConfig,
  type OrchestratorConfig,
  type Pricing,
  type ProviderId,
  type ProviderSetup
} from "@llm-orchestrator/core"
import { CostTracking } from "@llm-orchestrator/cost"
import {
  AnthropicProvider,
  BedrockProvider,
  GeminiProvider,
  OpenAIProvider,
  VertexProvider
} from "@llm-orchestrator/providers"
import { Effect, Layer } from "effect"

/** The provider layers a config asks for, keyed by provider id. */
export const providerSetups = (config: OrchestratorConfig): { [P in ProviderId]?: ProviderSetup } => {
  const { openai, anthropic, gemini, bedrock, vertex } = config.providers
  return {
    ...(openai ? { openai: { layer: OpenAIProvider.layer(openai), fallbackModels: openai.fallbackModels } } : {}),
    ...(anthropic
      ? { anthropic: { layer: AnthropicProvider.layer(anthropic), fallbackModels: anthropic.fallbackModels } }
      : {}),
    ...(gemini ? { gemini: { layer: GeminiProvider.layer(gemini), fallbackModels: gemini.fallbackModels } } : {}),
    ...(bedrock ? { bedrock: { layer: BedrockProvider.layer(bedrock), fallbackModels: bedrock.fallbackModels } } : {}),
    ...(vertex ? { vertex: { layer: VertexProvider.layer(vertex), fallbackModels: vertex.fallbackModels } } : {})
  }
}

export type OrchestratorServices = CoreOrchestrator | CostTracker | Pricing

/** The orchestrator and the cost services it records into, from a parsed config. */
export const layerFromConfig = (config: OrchestratorConfig): Layer.Layer<OrchestratorServices, ConfigError> => {
  const cost = CostTracking.layer(config.costTracking)
  const orchestrator = CoreOrchestrator.layer({
    activeProvider: config.activeProvider,
    activeModel: config.activeModel,
    providers: providerSetups(config),
    retry: config.retry,
    fallback: config.fallback,
    circuitBreaker: config.circuitBreaker,
    discovery: config.discovery,
    ...(config.requestTimeoutMs !== undefined ? { requestTimeoutMs: config.requestTimeoutMs } : {})
  })
  return Layer.provideMerge(orchestrator, cost) as Layer.Layer<OrchestratorServices, ConfigError>
}

/** Everything from a YAML config file (docs/ARCHITECTURE.md, "Config"). */
export const layerFromFile = (path: string): Layer.Layer<OrchestratorServices, ConfigError> =>
  Layer.unwrap(Effect.map(loadConfig(path), layerFromConfig))
