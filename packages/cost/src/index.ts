/**
 * @llm-orchestrator/cost: prices (genai-prices + config overrides), the Ref-backed CostTracker and the
 * JSONL cost log. The service tags and record/report types are declared in core (the orchestrator records
 * into them) and re-exported here.
 */
export type { CostBucket, CostLogHealth, CostReport } from "@llm-orchestrator/core"
export { CostLogError, CostRecord, CostSink, CostTracker, Pricing } from "@llm-orchestrator/core"
export {
  type BadLine,
  type CostLogFold,
  CostLogSink,
  encodeRecord,
  type FoldOptions,
  foldCostLog,
  readCostLog,
  resolveLogPath
} from "./log.ts"
export { costFromRates, makePriceBook, type PriceBook, type Rate, type Rates, type TieredRate } from "./pricing.ts"
export { reportFromLog, reportFromRecords } from "./report.ts"
export { budgetExceeded, CostTracking, makePricing } from "./tracker.ts"
