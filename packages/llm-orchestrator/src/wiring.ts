/**
 * From a parsed config file to running services: one provider layer per configured instance, built by
 * its type (each loads only its own SDK, when built), the cost services, and the orchestrator over them.
 */
import {
  type ConfigError,
  LLMOrchestrator as CoreOrchestrator,
  type CostSink,
  type CostTracker,
  type OrchestratorConfig,
  type PriceSource,
  type Pricing,
  type ProviderId,
  type ProviderSetup
} from "@llm-orchestrator/core"
import { CostTracking } from "@llm-orchestrator/cost"
import { Effect, Layer } from "effect"
import { loadConfig } from "./config.ts"

const byInstance = <A>(
  config: OrchestratorConfig,
  f: (instance: OrchestratorConfig["providers"][string]) => A
): Record<ProviderId, A> =>
  Object.fromEntries(Object.entries(config.providers).map(([name, instance]) => [name, f(instance)]))

/** The provider layers a config asks for, keyed by instance name. */
export const providerSetups = (config: OrchestratorConfig): Record<ProviderId, ProviderSetup> =>
  byInstance(config, ({ type, settings }) => ({
    layer: type.layer(settings),
    fallbackModels: settings.fallbackModels,
    checkModelId: type.checkModelId
  }))

/** Where each instance's models are in the price catalogue (for `CostTracking.layer`). */
export const priceSources = (config: OrchestratorConfig): Record<ProviderId, PriceSource> =>
  byInstance(config, ({ type, settings }) => type.instancePrice?.(settings) ?? type.price)

export type OrchestratorServices = CoreOrchestrator | CostTracker | Pricing

/** What a config file cannot say: services built in code. */
export interface WiringOptions {
  /**
   * More cost sinks after the JSONL log, e.g. `PgLedgerSink.layer({ url })` from
   * `@llm-orchestrator/ledger`: each gets every record, opens with the orchestrator (a failure is its
   * ConfigError) and is drained when it closes. Unused when `cost_tracking.enabled` is false.
   */
  readonly costSinks?: ReadonlyArray<Layer.Layer<CostSink, ConfigError>>
}

/** The orchestrator and the cost services it records into, from a parsed config. */
export const layerFromConfig = (
  config: OrchestratorConfig,
  options: WiringOptions = {}
): Layer.Layer<OrchestratorServices, ConfigError> => {
  const cost = CostTracking.layer(config.costTracking, {
    priceSources: priceSources(config),
    ...(options.costSinks === undefined ? {} : { sinks: options.costSinks })
  })
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
export const layerFromFile = (
  path: string,
  options: WiringOptions = {}
): Layer.Layer<OrchestratorServices, ConfigError> =>
  Layer.unwrap(Effect.map(loadConfig(path), (config) => layerFromConfig(config, options)))
