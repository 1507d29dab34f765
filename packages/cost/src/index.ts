/**
 * @llm-orchestrator/cost: prices (genai-prices + config overrides), the Ref-backed CostTracker and the
 * JSONL cost log. The service tags and record/report types are declared in core (the orchestrator records
 * into them) and re-exported here.
 */
export type { CostBucket, CostRecord, CostReport } from "@llm-orchestrator/core"
export { CostTracker, Pricing } from "@llm-orchestrator/core"
export { CostRecordSchema, encodeRecord, readCostLog, resolveLogPath } from "./log.ts"
export { costFromRates, makePriceBook, type PriceBook, type Rate, type Rates, type TieredRate } from "./pricing.ts"
export { reportFromRecords } from "./report.ts"
export { budgetExceeded, CostTracking, makePricing } from "./tracker.ts"
