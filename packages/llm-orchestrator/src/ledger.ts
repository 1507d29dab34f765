/**
 * `@llm-orchestrator/ledger`, an optional peer dependency (it brings a PostgreSQL driver): loaded with
 * an `import()` only when a config names `cost_tracking.ledger` or the CLI is given `--ledger`. Its
 * interface is spelled here so that no type of that optional package appears in this package's own.
 */
import {
  type ConfigError,
  type CostBucket,
  type CostReport,
  type CostSink,
  loadOptionalPackage,
  type SharedBudget,
  type SharedBudgetConfig
} from "@llm-orchestrator/core"
import type { Effect, Layer, Redacted } from "effect"

/** A report with its groups by UTC day (`YYYY-MM-DD`): what the ledger gives. */
export type ReportByDay = CostReport & { readonly byDay: Readonly<Record<string, CostBucket>> }

interface Where {
  readonly url: string | Redacted.Redacted<string>
  readonly table?: string
  readonly schema?: string
}

/** The part of `@llm-orchestrator/ledger` this package uses. */
export interface LedgerModule {
  readonly PgLedgerSink: { readonly layer: (options: Where) => Layer.Layer<CostSink, ConfigError> }
  readonly PgSharedBudget: {
    readonly layer: (
      options: Where & { readonly budgets: ReadonlyArray<SharedBudgetConfig> }
    ) => Layer.Layer<SharedBudget, ConfigError>
  }
  readonly PgLedgerReport: {
    readonly report: (options: Where & { readonly since?: number }) => Effect.Effect<ReportByDay, ConfigError>
  }
}

const ledgerPackage = "@llm-orchestrator/ledger"

/**
 * Loads the package with `load`; missing (or broken), it is a ConfigError at `path` (the config key or
 * the CLI flag that needs it) naming the package to install, as a missing provider SDK is.
 */
export const loadLedger = (
  path: string,
  load: () => Promise<LedgerModule> = () => import("@llm-orchestrator/ledger")
): Effect.Effect<LedgerModule, ConfigError> =>
  loadOptionalPackage(path, ledgerPackage, "to keep costs in PostgreSQL", load)
