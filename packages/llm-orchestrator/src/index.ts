export * from "@llm-orchestrator/core"
export { LLMOrchestrator } from "./orchestrator.ts"
export { type CallOptions, createOrchestrator, type Orchestrator } from "./promise.ts"
export { layerFromConfig, layerFromFile, providerSetups } from "./wiring.ts"
