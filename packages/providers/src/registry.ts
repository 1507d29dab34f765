/**
 * The provider types this package ships: the one place that lists them (docs/ARCHITECTURE.md,
 * "Provider types and instances"). Config loading, wiring, pricing and the CLI take this list; a
 * type of your own is appended to it (`[...providerTypes, myType]`).
 */
import type { PriceSource, ProviderType } from "@llm-orchestrator/core"
import { anthropicType } from "./anthropic/type.ts"
import { bedrockType } from "./bedrock/type.ts"
import { geminiType, vertexType } from "./google/type.ts"
import { openaiCompatibleType } from "./openai/compatible-type.ts"
import { openaiType } from "./openai/type.ts"

export const providerTypes: ReadonlyArray<ProviderType> = [
  openaiType,
  anthropicType,
  geminiType,
  bedrockType,
  vertexType,
  openaiCompatibleType
]

/**
 * Each type's price source under the type's own name: the instances of a config written without
 * `type:`. For pricing composed by hand: `CostTracking.layer(config, { priceSources: priceSourcesByType })`.
 */
export const priceSourcesByType: Readonly<Record<string, PriceSource>> = Object.fromEntries(
  providerTypes.map((type) => [type.name, type.price])
)
