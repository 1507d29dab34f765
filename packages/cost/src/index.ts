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
/** The report's buckets, for other stores' reports (the ledger's) to add and sort as the log's does. */
export {
  type Bucket as ReportBucket,
  mergeBuckets,
  reportFromLog,
  reportFromRecords,
  snapshot as bucketSnapshot,
  toRecord as sortedBuckets
} from "./report.ts"
export { budgetExceeded, CostTracking, makePricing } from "./tracker.ts"
