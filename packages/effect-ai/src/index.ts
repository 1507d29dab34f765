export * as OrchestratorLanguageModel from "./language-model.ts"
export {
  type ModelSettings,
  metadataKey,
  type OrchestratorMetadata,
  orchestratorMetadata,
  toAiError,
  toReason,
  toUsage
} from "./mapping.ts"
