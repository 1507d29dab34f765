/**
 * The config functions over the built-in provider types (docs/ARCHITECTURE.md, "Config"). With a
 * provider type of your own: `makeConfigLoader([...providerTypes, myType])` from the core package.
 */
import { makeConfigLoader } from "@llm-orchestrator/core"
import { providerTypes } from "@llm-orchestrator/providers"

export const { checkConfig, parseConfig, parseConfigObject, loadConfig } = makeConfigLoader(providerTypes)

/** The config file used when none is named, by `createOrchestrator()` and the command line alike. */
export const configPathVariable = "LLM_ORCHESTRATOR_CONFIG"
export const defaultConfigFile = "./llm-orchestrator.yaml"
