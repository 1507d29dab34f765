/**
 * From a parsed config file to running services: one provider layer per configured instance, built by
 * its type (each loads only its own SDK, when built), the cost services, and the orchestrator over them.
 */
import {
  ConfigError,
  LLMOrchestrator as CoreOrchestrator,
  type CostSink,
  type CostTracker,
  type LedgerConfig,
  type OrchestratorConfig,
  type PriceSource,
  type Pricing,
  type ProviderId,
  type ProviderSetup,
  type SharedBudget,
  type TelemetryOptions
} from "@llm-orchestrator/core"
import { CostTracking } from "@llm-orchestrator/cost"
import { Effect, Layer } from "effect"
import { loadConfig } from "./config.ts"
import { type LedgerModule, loadLedger } from "./ledger.ts"
import { withTelemetry } from "./telemetry.ts"

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
  /**
   * Turns telemetry on with these options (README "Telemetry"), over the config's `telemetry:`
   * section: e.g. your own tracer for requests that run without one, or a metric registry.
   */
  readonly telemetry?: TelemetryOptions | undefined
}

/** The ledger's problems under the config key they come from (`ledger.url` -> `cost_tracking.ledger.url`). */
const underLedgerKey = (error: ConfigError): ConfigError =>
  ConfigError.fromProblems(
    error.problems.map((problem) => ({
      ...problem,
      path: problem.path.startsWith("ledger") ? `cost_tracking.${problem.path}` : problem.path
    }))
  )

/**
 * `cost_tracking.ledger`: the sink and the shared budgets of `@llm-orchestrator/ledger`, an optional
 * package loaded only when a config names a ledger (so an app without one never installs its driver).
 */
export const ledgerLayers = (
  ledger: LedgerConfig
): {
  readonly sink: Layer.Layer<CostSink, ConfigError>
  readonly sharedBudget: Layer.Layer<SharedBudget, ConfigError> | undefined
} => {
  const loaded = loadLedger("cost_tracking.ledger")
  const where = {
    url: ledger.url,
    ...(ledger.table === undefined ? {} : { table: ledger.table }),
    ...(ledger.schema === undefined ? {} : { schema: ledger.schema })
  }
  const fromPackage = <A>(build: (module: LedgerModule) => Layer.Layer<A, ConfigError>) =>
    Layer.effectContext(
      Effect.flatMap(loaded, (module) => Layer.build(build(module))).pipe(Effect.mapError(underLedgerKey))
    )
  return {
    sink: fromPackage((module) => module.PgLedgerSink.layer(where)),
    sharedBudget:
      ledger.budgets.length === 0
        ? undefined
        : fromPackage((module) => module.PgSharedBudget.layer({ ...where, budgets: ledger.budgets }))
  }
}

/** The orchestrator and the cost services it records into, from a parsed config. */
export const layerFromConfig = (
  config: OrchestratorConfig,
  options: WiringOptions = {}
): Layer.Layer<OrchestratorServices, ConfigError> => {
  const ledger = config.costTracking.ledger === undefined ? undefined : ledgerLayers(config.costTracking.ledger)
  const sinks = [...(ledger === undefined ? [] : [ledger.sink]), ...(options.costSinks ?? [])]
  const cost = CostTracking.layer(config.costTracking, {
    priceSources: priceSources(config),
    ...(sinks.length === 0 ? {} : { sinks }),
    ...(ledger?.sharedBudget === undefined ? {} : { sharedBudget: ledger.sharedBudget })
  })
  const orchestrator = withTelemetry(config.telemetry, options.telemetry, (telemetry) =>
    CoreOrchestrator.layer({
      activeProvider: config.activeProvider,
      activeModel: config.activeModel,
      providers: providerSetups(config),
      retry: config.retry,
      fallback: config.fallback,
      circuitBreaker: config.circuitBreaker,
      discovery: config.discovery,
      ...(config.requestTimeoutMs !== undefined ? { requestTimeoutMs: config.requestTimeoutMs } : {}),
      ...(telemetry === undefined ? {} : { telemetry })
    })
  )
  return Layer.provideMerge(orchestrator, cost) as Layer.Layer<OrchestratorServices, ConfigError>
}

/** Everything from a YAML config file (docs/ARCHITECTURE.md, "Config"). */
export const layerFromFile = (
  path: string,
  options: WiringOptions = {}
): Layer.Layer<OrchestratorServices, ConfigError> =>
  Layer.unwrap(Effect.map(loadConfig(path), (config) => layerFromConfig(config, options)))
