export * from "./config/load.ts"
export * as ConfigRead from "./config/read.ts"
export * from "./config/types.ts"
export * from "./cost.ts"
export * from "./domain.ts"
export { jsonSchemaFrom, schemaTool } from "./effect-schema.ts"
export * from "./errors.ts"
export { optionalField } from "./internal/optional.ts"
export { loadOptionalPackage } from "./internal/optional-package.ts"
export { closestMatches } from "./internal/suggest.ts"
export * from "./orchestrator/orchestrator.ts"
export { retrySchedule } from "./orchestrator/policy.ts"
export {
  Attr as TelemetryAttributes,
  attributePrefix as telemetryAttributePrefix,
  GenAI as GenAIConventions,
  MetricName as TelemetryMetricNames,
  type TelemetryOptions
} from "./orchestrator/telemetry.ts"
export {
  headerValueProblem,
  type ModelIdCheck,
  maxModelIdLength,
  modelIdProblem,
  modelIdRule
} from "./orchestrator/validate.ts"
export * from "./provider.ts"
export * from "./provider-type.ts"
export * from "./tool-loop.ts"
