/**
 * @llm-orchestrator/ledger: cost records into a PostgreSQL table, as one more cost sink
 * (`CostTracking.layer(config, { sinks })`, or `layerFromConfig(config, { costSinks })`), and the cost
 * report summed from that table.
 */
export { PgSharedBudget, type PgSharedBudgetOptions } from "./budget.ts"
export { type LedgerCostReport, PgLedgerReport, type PgLedgerReportOptions } from "./report.ts"
export { type LedgerColumn, ledgerColumns } from "./schema.ts"
export { type LedgerHealth, type PgLedgerOptions, PgLedgerSink } from "./sink.ts"
