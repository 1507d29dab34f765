/**
 * `LLMOrchestrator` as most users import it: the core service, plus `layerFromFile` and
 * `layerFromConfig` that build it (and its cost tracking) from a config file.
 */
import { LLMOrchestrator as CoreOrchestrator } from "@llm-orchestrator/core"
import { layerFromConfig, layerFromFile } from "./wiring.ts"

/** The same service key as the core class: `yield* LLMOrchestrator` works with either import. */
export class LLMOrchestrator extends CoreOrchestrator {
  static readonly layerFromFile = layerFromFile
  static readonly layerFromConfig = layerFromConfig
}
